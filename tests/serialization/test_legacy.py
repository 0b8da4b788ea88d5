"""The pre-1.6 checkpoint format (`_use_new_zipfile_serialization=False`) in both directions."""
import io
import pickle
import struct
import warnings

import pytest
import torch

import ember
from ember.serialization._legacy import MAGIC_NUMBER, PROTOCOL_VERSION
from ember.serialization._pickler import StorageRef, TorchPickler, torch_global

from ._util import assert_tree, load_bytes, same_error, save_bytes
from .test_interop import all_dtypes, mirror, nested, parameters, shared_views


@pytest.mark.parametrize("build", [all_dtypes, shared_views, nested, parameters])
@pytest.mark.parametrize("weights_only", [True, False])
def test_torch_legacy_files_load(build, weights_only):
    data = save_bytes(torch, build(torch), _use_new_zipfile_serialization=False)
    assert_tree(load_bytes(ember, data, weights_only=weights_only),
                load_bytes(torch, data, weights_only=weights_only))


@pytest.mark.parametrize("build", [all_dtypes, shared_views, nested, parameters])
def test_ember_legacy_files_load_in_torch(build):
    data = save_bytes(ember, build(ember), _use_new_zipfile_serialization=False)
    t = load_bytes(torch, data, weights_only=True)
    assert_tree(mirror(t), t)
    assert_tree(load_bytes(ember, data), t)
    assert_tree(mirror(t), save_and_load_zip(build))


def save_and_load_zip(build):
    return load_bytes(torch, save_bytes(torch, build(torch)))


def test_legacy_sharing_preserved():
    t = load_bytes(torch, save_bytes(ember, shared_views(ember),
                                     _use_new_zipfile_serialization=False))
    assert t["sub"].untyped_storage().data_ptr() == t["t"].untyped_storage().data_ptr()
    e = load_bytes(ember, save_bytes(torch, shared_views(torch),
                                     _use_new_zipfile_serialization=False))
    e["t"][1, 2] = -1.0
    assert e["row"][2].item() == -1.0


def test_legacy_storage_views_and_files(tmp_path):
    # torch < 1.0 could save views of storages: ('storage', type, key, loc, numel, view)
    buf = io.BytesIO()
    for h in (MAGIC_NUMBER, PROTOCOL_VERSION, {"protocol_version": 1001}):
        pickle.dump(h, buf, protocol=2)
    root = ("storage", torch_global("torch", "FloatStorage"), "k", "cpu", 6, None)
    view = root[:5] + (("v", 2, 3),)

    class P(TorchPickler):
        def reducer_override(self, obj):
            if obj in ("A", "B"):
                pid = root if obj == "A" else view
                return (torch_global("torch._utils", "_rebuild_tensor_v2"),
                        (StorageRef(pid), 0, (3,), (1,), False, {}))
            return NotImplemented
    P(buf, 2, None).dump(["A", "B"])
    pickle.dump(["k"], buf, protocol=2)
    buf.write(struct.pack("<q", 6) + struct.pack("<6f", *range(6)))
    data = buf.getvalue()
    assert_tree(load_bytes(ember, data), load_bytes(torch, data))
    p = tmp_path / "old.pt"                    # a real file: tried as tar first, as torch does
    p.write_bytes(data)
    assert_tree(ember.load(p), torch.load(p))
    with open(p, "rb") as f:
        assert_tree(ember.load(f), torch.load(p))


def test_tar_format_refused(tmp_path):
    import tarfile
    p = tmp_path / "ancient.tar"
    with tarfile.open(p, "w") as tar:
        info = tarfile.TarInfo("storages")
        info.size = 0
        tar.addfile(info, io.BytesIO())
    same_error(lambda: torch.load(p), lambda: ember.load(p))
    with pytest.raises(NotImplementedError, match="tar checkpoint format"):
        ember.load(p, weights_only=False)


def test_legacy_save_module_class_records():
    net = ember.nn.Linear(2, 3)
    data = save_bytes(ember, net, _use_new_zipfile_serialization=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = load_bytes(ember, data, weights_only=False)
    assert type(back) is ember.nn.Linear
    assert back.weight.tolist() == net.weight.tolist()
