"""ember.save writes torch's files byte for byte, torch loads them (weights_only=True), and
ember loads what torch.save writes: every dtype, views sharing storage, Parameters, nested
containers, a LeNet state_dict and an optimizer state_dict."""
import io
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember

from ._util import DTYPES, assert_tree, load_bytes, same_error, save_bytes, tensor, values


def mirror(obj, T=ember):
    """The same object tree in ember: tensors copied bit for bit, torch names mapped."""
    if isinstance(obj, torch.Tensor):
        arr = obj.detach().view(torch.int16).numpy() if obj.dtype == torch.bfloat16 else \
            obj.detach().numpy()
        if obj.dtype == torch.bfloat16:
            import ml_dtypes
            arr = arr.view(ml_dtypes.bfloat16)
        t = ember.from_numpy(arr.copy())
        if isinstance(obj, torch.nn.Parameter):
            return ember.nn.Parameter(t, obj.requires_grad)
        return t.requires_grad_(obj.requires_grad)
    if isinstance(obj, torch.dtype):
        return getattr(ember, str(obj)[6:])
    if isinstance(obj, torch.device):
        return ember.device(str(obj))
    if isinstance(obj, torch.Size):
        return ember.Size(obj)
    if isinstance(obj, OrderedDict):
        out = OrderedDict((k, mirror(v)) for k, v in obj.items())
        if hasattr(obj, "_metadata"):
            out._metadata = obj._metadata
        return out
    if isinstance(obj, dict):
        return {k: mirror(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(mirror(v) for v in obj)
    return obj


def both(build, **kw):
    """(torch's bytes, ember's bytes) of saving build(T)."""
    return save_bytes(torch, build(torch), **kw), save_bytes(ember, build(ember), **kw)


def all_dtypes(T, shape=(3, 4)):
    return {d: tensor(T, values(d, shape, seed=i)) for i, d in enumerate(DTYPES)}


@pytest.mark.parametrize("shape", [(3, 4), (), (0, 3), (2, 1, 5)])
def test_every_dtype_same_bytes_and_values(shape):
    bt, be = both(lambda T: all_dtypes(T, shape))
    assert be == bt
    assert_tree(load_bytes(ember, bt), load_bytes(torch, bt, weights_only=True))


def shared_views(T):
    t = tensor(T, values("float32", (4, 6)))
    return {"t": t, "row": t[1], "col": t[:, 2], "tr": t.t(), "sub": t[1:3, 2:5],
            "flat": t.view(-1), "exp": t[0, :1].expand(3, 2),
            "other": tensor(T, values("int64", (5,)))}


def test_shared_views_same_bytes():
    bt, be = both(shared_views)
    assert be == bt
    z = zipfile.ZipFile(io.BytesIO(be))
    assert sorted(n for n in z.namelist() if "/data/" in n) == ["archive/data/0", "archive/data/1"]


def test_ember_file_loads_in_torch_with_sharing():
    r = load_bytes(torch, save_bytes(ember, shared_views(ember)), weights_only=True)
    assert_tree(mirror(r), r)
    ptr = r["t"].untyped_storage().data_ptr()
    for k in ("row", "col", "tr", "sub", "flat", "exp"):
        assert r[k].untyped_storage().data_ptr() == ptr, k
    assert r["sub"].storage_offset() == 8 and r["sub"].stride() == (6, 1)
    r["t"][1, 2] = 100.0
    assert r["row"][2] == 100.0 and r["col"][1] == 100.0 and r["flat"][8] == 100.0


def test_torch_file_loads_in_ember_with_sharing():
    bt = save_bytes(torch, shared_views(torch))
    e = load_bytes(ember, bt)
    assert_tree(e, load_bytes(torch, bt))
    e["t"][1, 2] = 100.0                      # views of one storage share memory again
    assert e["row"][2].item() == 100.0 and e["col"][1].item() == 100.0
    assert e["tr"][2, 1].item() == 100.0 and e["flat"][8].item() == 100.0
    assert e["sub"][0, 0].item() == 100.0
    assert e["tr"].stride() == (1, 6) and e["exp"].stride() == (0, 0)


def nested(T):
    t = tensor(T, values("float64", (2, 3)))
    od = OrderedDict([("z", tensor(T, values("int32", (4,)))), ("a", [t, (t[0], 7)])])
    return {"list": [1, 2.5, "three", None, True, False], "tuple": (t, {"x": t.sum()}),
            "od": od, "size": T.Size([2, 3]), "dtype": T.float64, "dtypes": [T.bfloat16, T.bool],
            "dev": T.device("cpu"), "dev0": T.device("cpu", 0), "big": 2 ** 70, "neg": -123456789,
            "float": -1.5e300, "str": "ünïcode", "set": {1, 2}, "complex": 1 + 2j,
            "bytes": b"\x00\xffab", "bytearray": bytearray(b"cd"), "empty": {}, "nested": [[[]]],
            7: "int key", ("tuple", "key"): 1.0}


def test_nested_containers():
    bt, be = both(nested)
    assert be == bt
    assert_tree(load_bytes(ember, bt), load_bytes(torch, bt))
    assert_tree(load_bytes(ember, be), load_bytes(torch, be, weights_only=True))


def parameters(T):
    w = T.nn.Parameter(tensor(T, values("float32", (3, 2))))
    frozen = T.nn.Parameter(tensor(T, values("float64", (2,))), requires_grad=False)
    leaf = tensor(T, values("float32", (2,))).requires_grad_()
    return {"w": w, "frozen": frozen, "leaf": leaf, "nonleaf": leaf * 2, "again": w,
            "wview": w.detach()[1]}


def test_parameters_and_requires_grad():
    bt, be = both(parameters)
    assert be == bt
    e = load_bytes(ember, bt)
    assert_tree(e, load_bytes(torch, bt))
    assert e["again"] is e["w"] and e["nonleaf"].requires_grad and e["nonleaf"].is_leaf
    assert e["w"].__class__ is ember.nn.Parameter and e["w"].requires_grad
    e["w"].data[1, 0] = 9.0                   # the parameter and the view share storage
    assert e["wview"][0].item() == 9.0


def lenet_state_dict():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(400, 120), torch.nn.ReLU(),
                              torch.nn.Linear(120, 84), torch.nn.ReLU(), torch.nn.Linear(84, 10),
                              torch.nn.BatchNorm1d(10))
    return net, net.state_dict()


def test_lenet_state_dict():
    _, sd = lenet_state_dict()
    bt, be = save_bytes(torch, sd), save_bytes(ember, mirror(sd))
    assert be == bt
    e = load_bytes(ember, bt)
    assert_tree(e, load_bytes(torch, bt))
    assert e._metadata == sd._metadata       # OrderedDict state survives weights_only


def adam_state_dict():
    net, _ = lenet_state_dict()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=0.01)
    net(torch.randn(2, 1, 32, 32)).sum().backward()
    opt.step()
    return opt.state_dict()


def test_optimizer_state_dict():
    sd = adam_state_dict()
    assert sd["state"][0]["step"].dim() == 0     # 0-dim step tensors
    bt, be = save_bytes(torch, sd), save_bytes(ember, mirror(sd))
    assert be == bt
    e = load_bytes(ember, bt)
    assert_tree(e, load_bytes(torch, bt))
    assert_tree(mirror(load_bytes(torch, be, weights_only=True)), sd)


def test_tensor_attributes_and_subclass_state():
    def build(T):
        t = tensor(T, values("float32", (2,)))
        t.note = "hello"
        return [t]
    bt, be = both(build)
    assert be == bt
    e = load_bytes(ember, bt)
    assert e[0].note == "hello"
    assert load_bytes(torch, be)[0].note == "hello"


def test_conj_and_neg_views_from_torch():
    c = torch.tensor([1 + 2j, 3 - 4j])
    bt = save_bytes(torch, {"conj": c.conj(), "neg": torch.tensor([1.0, -2.0])._neg_view()})
    assert_tree(load_bytes(ember, bt), load_bytes(torch, bt))


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_protocols(protocol):
    bt, be = both(shared_views, pickle_protocol=protocol)
    assert be == bt
    assert_tree(load_bytes(ember, bt, weights_only=False), load_bytes(torch, bt,
                                                                      weights_only=False))


def test_disable_byteorder_record():
    bt, be = both(shared_views, _disable_byteorder_record=True)
    assert be == bt


def test_many_records_serialization_id():
    # a few hundred records make torch's record-name hash set rehash several times
    bt, be = both(lambda T: [tensor(T, values("int16", (2,), seed=i)) for i in range(300)])
    assert be == bt


def test_paths_and_file_objects(tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "e").mkdir()
    for name in ("model.pt", "a.b.c", "noext", "ünï.pt"):
        pt, pe = tmp_path / "t" / name, tmp_path / "e" / name
        torch.save(nested(torch), str(pt))
        ember.save(nested(ember), str(pe))             # archive folder: the basename
        assert pe.read_bytes() == pt.read_bytes()
        assert_tree(ember.load(str(pe)), torch.load(pt))
    p = tmp_path / "lib.pt"
    ember.save(nested(ember), p)                       # pathlib.Path
    torch.save(nested(torch), tmp_path / "t" / "lib.pt")
    assert p.read_bytes() == (tmp_path / "t" / "lib.pt").read_bytes()
    with open(tmp_path / "f.pt", "wb") as f:           # a binary file object: "archive/"
        ember.save(nested(ember), f)
    assert (tmp_path / "f.pt").read_bytes() == save_bytes(torch, nested(torch))
    with open(tmp_path / "f.pt", "rb") as f:
        assert_tree(ember.load(f), torch.load(tmp_path / "f.pt"))


def test_map_location_variants():
    bt = save_bytes(torch, shared_views(torch))
    ref = load_bytes(torch, bt)
    seen = []

    def fn(storage, loc):
        seen.append((loc, storage.nbytes()))
        return storage
    for ml in ("cpu", ember.device("cpu"), {"cpu": "cpu"}, fn, lambda s, loc: None):
        assert_tree(load_bytes(ember, bt, map_location=ml), ref)
    assert seen == [("cpu", 96), ("cpu", 40)]


def test_views_with_another_dtype_refused():
    def build(T):
        x = T.zeros(4)
        return [x, x.view(T.int32)]
    same_error(lambda: save_bytes(torch, build(torch)), lambda: save_bytes(ember, build(ember)))
    c = ember.zeros(2, dtype=ember.complex64)
    assert_tree(load_bytes(ember, save_bytes(ember, [c.real])), [torch.zeros(2)])


def relocate(data, location):
    """The checkpoint with its storages' location tag 'cpu' replaced by `location`."""
    z = zipfile.ZipFile(io.BytesIO(data))
    old, new = b"X\x03\x00\x00\x00cpu", b"X" + struct.pack("<I", len(location)) + \
        location.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as w:
        for n in z.namelist():
            d = z.read(n)
            w.writestr(n, d.replace(old, new) if n.endswith("data.pkl") else d)
    return out.getvalue()


def test_location_errors():
    bt = save_bytes(torch, [torch.ones(2)])
    for ml in ("cuda", "cuda:1", {"cpu": "cuda:0"}, torch.device("cuda"), "foo", 5):
        eml = ember.device(str(ml)) if isinstance(ml, torch.device) else ml
        same_error(lambda ml=ml: load_bytes(torch, bt, map_location=ml),
                   lambda eml=eml: load_bytes(ember, bt, map_location=eml))
    cuda_file = relocate(bt, "cuda:0")             # saved from a GPU, loaded without one
    same_error(lambda: load_bytes(torch, cuda_file), lambda: load_bytes(ember, cuda_file))
    for ml in ("cpu", {"cuda:0": "cpu"}, lambda s, loc: s.cpu()):
        assert_tree(load_bytes(ember, cuda_file, map_location=ml),
                    load_bytes(torch, cuda_file, map_location=ml))


def test_register_package_and_location_tag():
    from ember.serialization import (
        UntypedStorage,
        _package_registry,
        location_tag,
        register_package,
    )
    seen = []

    def tagger(storage):
        return None

    def deserializer(storage, location):
        if location == "special":
            seen.append(storage.nbytes())
            return storage
    register_package(5, tagger, deserializer)
    try:
        data = relocate(save_bytes(ember, [ember.ones(3)]), "special")
        assert load_bytes(ember, data)[0].tolist() == [1.0, 1.0, 1.0]
        assert seen == [12]
        assert location_tag(UntypedStorage(np.zeros(2, np.uint8))) == "cpu"
    finally:
        _package_registry[:] = [e for e in _package_registry if e[1] is not tagger]
