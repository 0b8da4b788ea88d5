"""save/load argument handling and the errors torch gives for bad targets, as torch."""
import io
import pickle
import zipfile

import pytest
import torch

import ember

from ._util import load_bytes, same_error, save_bytes


class NoWrite:
    write = 5


class NoSeek:
    def read(self, n=-1):
        return b""


def test_bad_save_targets(tmp_path):
    (tmp_path / "dir.d").mkdir()
    for target in (5, NoWrite(), str(tmp_path / ".hidden"), str(tmp_path / "dir.d") + "/",
                   str(tmp_path / "missing" / "x.pt"), str(tmp_path / "dir.d")):
        same_error(lambda t=target: torch.save([1], t), lambda t=target: ember.save([1], t))


def test_bad_load_sources(tmp_path):
    for source in (5, NoSeek(), str(tmp_path / "nope.pt")):
        same_error(lambda s=source: torch.load(s), lambda s=source: ember.load(s))


def test_protocols_0_and_1():
    for protocol in (0, 1):
        try:
            data = save_bytes(torch, [torch.ones(2)], pickle_protocol=protocol)
        except Exception:
            same_error(lambda p=protocol: save_bytes(torch, [torch.ones(2)], pickle_protocol=p),
                       lambda p=protocol: save_bytes(ember, [ember.ones(2)], pickle_protocol=p))
            continue
        assert save_bytes(ember, [ember.ones(2)], pickle_protocol=protocol) == data


def test_other_pickle_modules_not_supported():
    with pytest.raises(NotImplementedError, match="standard pickle module"):
        ember.save([1], io.BytesIO(), pickle_module=object())
    data = save_bytes(ember, [ember.ones(1)])
    assert load_bytes(ember, data, pickle_module=pickle)[0].tolist() == [1.0]


def test_torchscript_archive():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in (("data.pkl", b"\x80\x02]q\x00."), ("constants.pkl", b"."),
                           ("version", b"3\n")):
            z.writestr("archive/" + name, data)
    data = out.getvalue()
    with pytest.warns(UserWarning, match="looks like a TorchScript archive"):
        same_error(lambda: load_bytes(torch, data), lambda: load_bytes(ember, data))
    with pytest.warns(UserWarning), pytest.raises(NotImplementedError, match="TorchScript"):
        load_bytes(ember, data, weights_only=False)


def test_pickle_load_args_warn_with_weights_only():
    data = save_bytes(torch, ["é"])
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="pickle_load_args only works"):
            assert load_bytes(T, data, encoding="utf-8") == ["é"]
    assert load_bytes(ember, data, weights_only=False, encoding="latin1") == ["é"]


def test_default_protocol_and_names():
    assert ember.serialization.DEFAULT_PROTOCOL == torch.serialization.DEFAULT_PROTOCOL == 2
    for name in ("save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
                 "safe_globals", "get_unsafe_globals_in_checkpoint", "register_package",
                 "set_default_mmap_options", "default_restore_location", "location_tag"):
        assert callable(getattr(ember.serialization, name)), name
    assert ember.save is ember.serialization.save and ember.load is ember.serialization.load
