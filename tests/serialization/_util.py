"""Shared helpers for the checkpoint tests: the same values in torch and ember, save/load to
bytes with either, and an exact (bit-level) comparison of loaded object trees."""
from __future__ import annotations

import io
import re

import ml_dtypes
import numpy as np
import torch

import ember

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64", "complex128"]


def values(dtype, shape, seed=0):
    """A NumPy array of `dtype` (ember's NumPy type; bfloat16 via ml_dtypes) with varied bits."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    if dtype == "bool":
        a = rng.integers(0, 2, n).astype(bool)
    elif dtype in ("uint8", "int8", "int16", "int32", "int64"):
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
    elif dtype == "bfloat16":
        a = rng.standard_normal(n).astype(np.float32).astype(ml_dtypes.bfloat16)
    elif dtype.startswith("complex"):
        a = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dtype)
    else:
        a = rng.standard_normal(n).astype(dtype)
        if n > 2:
            a[:3] = [np.inf, -0.0, np.nan]       # specials must survive bit for bit
    return a.reshape(shape)


def tensor(T, arr):
    """`arr` as a tensor of T (torch or ember), sharing nothing with arr."""
    arr = np.array(arr, copy=True)
    if T is torch:
        if arr.dtype == ml_dtypes.bfloat16:
            src = torch.from_numpy(arr.view(np.int16)).view(torch.bfloat16)
        else:
            src = torch.from_numpy(arr)
        # from_numpy keeps NumPy's strides even for empty arrays; torch's own are contiguous
        return torch.empty(src.shape, dtype=src.dtype).copy_(src)
    return ember.from_numpy(arr)


def raw(x):
    """The bytes of a tensor's values, in C order (torch or ember)."""
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.view(torch.int16)
        return np.ascontiguousarray(x.resolve_conj().resolve_neg().numpy()).tobytes()
    return np.ascontiguousarray(np.asarray(x._data)).tobytes()


def assert_tree(e, t, path="obj"):
    """ember object `e` equals torch object `t`: same containers, keys, dtypes, exact bits."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{path}: {type(e)}"
        assert tuple(e.shape) == tuple(t.shape), f"{path}: shape {e.shape} vs {t.shape}"
        assert str(e.dtype) == str(t.dtype), f"{path}: dtype {e.dtype} vs {t.dtype}"
        assert e.requires_grad == t.requires_grad, f"{path}: requires_grad"
        assert isinstance(e, ember.nn.Parameter) == isinstance(t, torch.nn.Parameter), path
        assert raw(e) == raw(t), f"{path}: values differ"
        return
    if isinstance(t, (torch.dtype, torch.device)):
        assert str(e) == str(t), f"{path}: {e} vs {t}"
        return
    if isinstance(t, torch.Size):
        assert isinstance(e, ember.Size) and tuple(e) == tuple(t), f"{path}: {e} vs {t}"
        return
    assert type(e).__name__ == type(t).__name__, f"{path}: {type(e)} vs {type(t)}"
    if isinstance(t, dict):
        assert list(e.keys()) == list(t.keys()), f"{path}: keys {list(e)} vs {list(t)}"
        for k in t:
            assert_tree(e[k], t[k], f"{path}[{k!r}]")
    elif isinstance(t, (list, tuple)):
        assert len(e) == len(t), f"{path}: len"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_tree(a, b, f"{path}[{i}]")
    elif isinstance(t, float) and t != t:
        assert e != e, path
    else:
        assert e == t and type(e) is type(t), f"{path}: {e!r} vs {t!r}"


def save_bytes(T, obj, **kw):
    buf = io.BytesIO()
    T.save(obj, buf, **kw)
    return buf.getvalue()


def load_bytes(T, data, **kw):
    return T.load(io.BytesIO(data), **kw)


def outcome(fn):
    """('ok', result) or (exception type name, message) of fn()."""
    try:
        return "ok", fn()
    except Exception as e:
        return type(e).__name__, str(e)


def same_error(fn_torch, fn_ember, full=True):
    """Both raise the same exception type with the same message (first line unless full)."""
    (tt, mt), (te, me) = outcome(fn_torch), outcome(fn_ember)
    assert tt != "ok", "torch did not raise"
    assert te != "ok", f"ember did not raise (torch: {tt}: {mt})"
    if not full:
        mt, me = mt.splitlines()[0] if mt else mt, me.splitlines()[0] if me else me
    mask = lambda s: re.sub(r"0x[0-9a-f]+", "0x?", s)
    assert (te, mask(me)) == (tt, mask(mt)), f"\nember: {te}: {me}\ntorch: {tt}: {mt}"
    return me


def mask_id(data):
    """Zip bytes with the serialization id (its text and CRCs) blanked: it hashes contents."""
    import zlib
    m = re.search(rb"\d{40}PK\x07\x08", data)
    if m is None:
        return data
    sid = data[m.start():m.start() + 40]
    crc = zlib.crc32(sid).to_bytes(4, "little")
    return data.replace(sid, b"?" * 40).replace(crc, b"????")
