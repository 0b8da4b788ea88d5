"""ember.hub against torch.hub: cache directory rules, load_state_dict_from_url from the cache
(torch.save'd files, model_dir / file_name / map_location), downloads through file:// URLs
with the sha256 check, and the clear errors of what needs the network or GitHub."""
import hashlib
import os
import urllib.error

import numpy as np
import pytest
import torch
import torch.hub as thub

import ember
import ember.hub as ehub
from oracle import check_raises


@pytest.fixture
def clean_env(monkeypatch):
    for var in ("TORCH_HOME", "XDG_CACHE_HOME", "TORCH_HUB", "TORCH_MODEL_ZOO"):
        monkeypatch.delenv(var, raising=False)
    yield monkeypatch
    thub._hub_dir = None
    ehub._hub_dir = None


def test_get_dir_rules(clean_env, tmp_path):
    assert ehub.get_dir() == thub.get_dir() == os.path.expanduser("~/.cache/torch/hub")
    clean_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert ehub.get_dir() == thub.get_dir() == str(tmp_path / "xdg" / "torch" / "hub")
    clean_env.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert ehub.get_dir() == thub.get_dir() == str(tmp_path / "th" / "hub")
    ehub.set_dir(str(tmp_path / "mine"))
    thub.set_dir(str(tmp_path / "mine"))
    assert ehub.get_dir() == thub.get_dir() == str(tmp_path / "mine")


def _state_dict():
    g = torch.Generator().manual_seed(0)
    return {"w": torch.randn(3, 4, generator=g), "b": torch.arange(5),
            "nested": {"h": torch.ones(2, dtype=torch.float64)}}


def _same(e, t):
    assert type(e) is dict and list(e) == list(t)
    for k in t:
        if isinstance(t[k], dict):
            _same(e[k], t[k])
        else:
            assert isinstance(e[k], ember.Tensor) and str(e[k].dtype) == str(t[k].dtype)
            np.testing.assert_array_equal(e[k].numpy(), t[k].numpy())


def test_load_from_cache(clean_env, tmp_path, capsys):
    clean_env.setenv("TORCH_HOME", str(tmp_path))
    url = "https://example.invalid/models/tiny-0123abcd.pth"
    ckpt = tmp_path / "hub" / "checkpoints" / "tiny-0123abcd.pth"
    ckpt.parent.mkdir(parents=True)
    torch.save(_state_dict(), ckpt)
    # a cached file is read as it is: no download, no hash check (as torch)
    t = thub.load_state_dict_from_url(url, check_hash=True)
    e = ehub.load_state_dict_from_url(url, check_hash=True)
    _same(e, t)
    assert capsys.readouterr().out == ""
    # model_dir and file_name pick another file; map_location and weights_only pass through
    other = tmp_path / "elsewhere"
    other.mkdir()
    torch.save(_state_dict(), other / "renamed.pt")
    _same(ehub.load_state_dict_from_url(url, model_dir=str(other), file_name="renamed.pt",
                                        map_location="cpu", weights_only=True),
          thub.load_state_dict_from_url(url, model_dir=str(other), file_name="renamed.pt",
                                        map_location="cpu", weights_only=True))


def test_download_file_url_with_hash(clean_env, tmp_path, capsys):
    src = tmp_path / "src.pth"
    torch.save(_state_dict(), src)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    url = src.as_uri()
    # the hash prefix is read from "<name>-<hex>." in the file name
    for lib, sub in ((ehub, "e"), (thub, "t")):
        d = tmp_path / sub
        got = lib.load_state_dict_from_url(url, model_dir=str(d), check_hash=True,
                                           file_name=f"model-{digest[:10]}.pth", progress=False)
        assert os.listdir(d) == [f"model-{digest[:10]}.pth"]
        if lib is ehub:
            e = got
        else:
            _same(e, got)
    out = capsys.readouterr().out
    assert out.count('Downloading: "' + url + '" to ') == 2
    # a wrong prefix: torch's message, and nothing is left in the cache
    for lib in (ehub, thub):
        with pytest.raises(RuntimeError) as info:
            lib.download_url_to_file(url, str(tmp_path / "x.pth"), hash_prefix="deadbeef",
                                     progress=False)
        assert str(info.value) == f'invalid hash value (expected "deadbeef", got "{digest}")'
        assert not (tmp_path / "x.pth").exists()
        assert not [f for f in os.listdir(tmp_path) if f.endswith(".partial")]
    ehub.download_url_to_file(url, str(tmp_path / "y.pth"), hash_prefix=digest[:8],
                              progress=False)
    assert (tmp_path / "y.pth").read_bytes() == src.read_bytes()


def test_offline_error_names_file_and_url(clean_env, tmp_path, capsys):
    def offline(*a, **k):
        raise urllib.error.URLError("[Errno -2] Name or service not known")
    clean_env.setattr(ehub, "urlopen", offline)
    url = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    with pytest.raises(urllib.error.URLError) as info:
        ehub.load_state_dict_from_url(url, model_dir=str(tmp_path))
    msg = str(info.value)
    assert url in msg and str(tmp_path / "resnet18-f37072fd.pth") in msg
    assert os.listdir(tmp_path) == []


def test_hub_repos_not_implemented():
    with pytest.raises(NotImplementedError, match="hub repositories"):
        ehub.load("pytorch/vision", "resnet18", weights=None)
    with pytest.raises(NotImplementedError, match="hub repositories"):
        ehub.list("pytorch/vision")
    check_raises(lambda T: T.hub.load("pytorch/vision", "resnet18", source="svn"))
    assert ember.hub is ehub
