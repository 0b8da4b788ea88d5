"""safetensors files through ember.serialization.safetensors (and ember.load on *.safetensors),
checked against the safetensors package's own torch API."""
import pytest
import torch

import ember
from ember.serialization import safetensors as est

from ._util import DTYPES, assert_tree, same_error, tensor, values

try:
    import safetensors.torch as stt
except ImportError:  # pragma: no cover
    stt = None
needs_package = pytest.mark.skipif(stt is None, reason="safetensors is not installed")

SUPPORTED = [d for d in DTYPES if d != "complex128"]       # safetensors has no C128


def tensors(T):
    out = {d: tensor(T, values(d, (3, 2), seed=i)) for i, d in enumerate(SUPPORTED)}
    out["scalar"] = tensor(T, values("float32", ()))
    out["empty"] = tensor(T, values("int64", (0, 4)))
    return out


def test_without_the_package(monkeypatch, tmp_path):
    import sys
    for name in [m for m in sys.modules if m == "safetensors" or m.startswith("safetensors.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "safetensors", None)     # import safetensors now fails
    with pytest.raises(ImportError, match="pip install safetensors"):
        est.save({"a": ember.ones(1)})
    with pytest.raises(ImportError, match="pip install safetensors"):
        est.load_file(tmp_path / "x.safetensors")
    with pytest.raises(RuntimeError, match="safetensors is not installed"):
        ember.load(tmp_path / "x.safetensors")


@needs_package
def test_files_both_ways(tmp_path):
    stt.save_file(tensors(torch), tmp_path / "t.safetensors", metadata={"format": "pt"})
    est.save_file(tensors(ember), tmp_path / "e.safetensors", metadata={"format": "pt"})
    assert (tmp_path / "t.safetensors").read_bytes() == (tmp_path / "e.safetensors").read_bytes()
    assert_tree(est.load_file(tmp_path / "t.safetensors"),
                stt.load_file(tmp_path / "t.safetensors"))
    assert_tree(est.load_file(str(tmp_path / "e.safetensors")),
                stt.load_file(tmp_path / "e.safetensors"))
    # torch.load dispatches *.safetensors paths to the safetensors loader; so does ember.load
    assert_tree(ember.load(tmp_path / "t.safetensors"), torch.load(tmp_path / "t.safetensors"))
    assert_tree(ember.load(str(tmp_path / "t.safetensors"), map_location="cpu"),
                torch.load(tmp_path / "t.safetensors", map_location="cpu"))
    for ml in ({"cpu": "cpu"}, lambda s, loc: s):
        same_error(lambda ml=ml: torch.load(tmp_path / "t.safetensors", map_location=ml),
                   lambda ml=ml: ember.load(tmp_path / "t.safetensors", map_location=ml))


@needs_package
def test_bytes_both_ways():
    data_t = stt.save(tensors(torch))
    data_e = est.save(tensors(ember))
    assert data_t == data_e
    # (safetensors' deserialize yields its tensors in no fixed order)
    assert_tree(dict(sorted(est.load(data_t).items())), dict(sorted(stt.load(data_t).items())))


@needs_package
def test_loaded_tensors_are_independent(tmp_path):
    est.save_file({"a": ember.arange(4.0)}, tmp_path / "a.safetensors")
    a = est.load_file(tmp_path / "a.safetensors")["a"]
    a[0] = 9.0
    assert est.load_file(tmp_path / "a.safetensors")["a"][0].item() == 0.0


@needs_package
@pytest.mark.parametrize("build", [
    lambda T: [T.ones(2)],                                  # not a dict
    lambda T: {"a": [1, 2]},                                # not a tensor
    lambda T: {"a": T.ones(3, 4).t()},                      # not contiguous
])
def test_save_errors(build, tmp_path):
    same_error(lambda: stt.save_file(build(torch), tmp_path / "x.safetensors"),
               lambda: est.save_file(build(ember), tmp_path / "x.safetensors"))


def tied(T):
    T.manual_seed(0)
    net = T.nn.Sequential(T.nn.Linear(3, 3), T.nn.Tanh(), T.nn.Linear(3, 3))
    net[2].weight = net[0].weight                            # tied weights share memory
    return net


@needs_package
def test_shared_tensors_refused_and_save_model(tmp_path):
    w = ember.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError, match="Some tensors share memory"):
        est.save_file({"a": w, "b": w[1]}, tmp_path / "x.safetensors")
    est.save_file({"a": w.clone(), "b": w[1].clone()}, tmp_path / "ok.safetensors")
    net = tied(ember)
    est.save_model(net, tmp_path / "m.safetensors")
    tnet = tied(torch)
    stt.save_model(tnet, tmp_path / "t.safetensors")
    names = sorted(est.load_file(tmp_path / "m.safetensors"))
    assert names == sorted(stt.load_file(tmp_path / "t.safetensors"))   # one tied name kept
    other = tied(ember)
    for p in other.parameters():
        p.data = p.data * 0
    missing, unexpected = est.load_model(other, tmp_path / "m.safetensors")
    assert not missing and not unexpected
    for (k, v), (k2, v2) in zip(net.state_dict().items(), other.state_dict().items()):
        assert k == k2 and v.tolist() == v2.tolist()
    stt.load_model(tnet, tmp_path / "m.safetensors")          # torch reads ember's file
    assert tnet[0].weight.tolist() == net[0].weight.tolist()
