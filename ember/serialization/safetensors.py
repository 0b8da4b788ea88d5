"""safetensors files (the format model hubs use) for ember tensors: `safetensors.torch`'s API.

Built on the safetensors package's NumPy API, an optional dependency: ember imports without
it, and these helpers raise ImportError saying how to install it. `ember.load("x.safetensors")`
also lands here, as torch.load does.
"""
from __future__ import annotations

import os
import sys

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap

__all__ = ["load", "load_file", "load_model", "save", "save_file", "save_model"]

# safetensors' dtype codes -> ember dtypes (what ember can represent)
_TYPES = {"F64": D.float64, "F32": D.float32, "F16": D.float16, "BF16": D.bfloat16,
          "I64": D.int64, "I32": D.int32, "I16": D.int16, "I8": D.int8, "U8": D.uint8,
          "BOOL": D.bool_, "C64": D.complex64}


def _package():
    try:
        import safetensors
        import safetensors.numpy
    except ImportError:
        raise ImportError("ember.serialization.safetensors needs the safetensors package: "
                          "pip install safetensors") from None
    return safetensors


def _root_span(t):
    """(id of the buffer t views, first byte, end byte) -- where t's values live."""
    from ._pickler import _addr, _root
    a = t._data
    start = _addr(a)
    end = start + (a.nbytes if a.size else 0)
    return id(_root(a)), start, end


def _shared_groups(tensors):
    """Names whose tensors overlap in memory (safetensors.torch._find_shared_tensors)."""
    by_root = {}
    for k, v in tensors.items():
        if v._data.size:
            rid, start, end = _root_span(v)
            by_root.setdefault(rid, []).append((start, end, k))
    groups = []
    for areas in by_root.values():
        areas.sort()
        _, last_stop, name = areas[0]
        groups.append({name})
        for start, stop, name in areas[1:]:
            if start >= last_stop:
                groups.append({name})
            else:
                groups[-1].add(name)
            last_stop = max(last_stop, stop)
    return groups


def _arrays(tensors):
    """Check tensors as safetensors.torch does and return {name: contiguous cpu ndarray}."""
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    for k, v in tensors.items():
        if not isinstance(v, Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected torch.Tensor but received "
                             f"{type(v)}")
    failing = [names for names in _shared_groups(tensors) if len(names) > 1]
    if failing:
        raise RuntimeError(
            "\n            Some tensors share memory, this will lead to duplicate memory on disk "
            "and potential differences when loading them again: "
            f"{failing}.\n            A potential way to correctly save your model is to use "
            "`save_model`.\n            More information at "
            "https://huggingface.co/docs/safetensors/torch_shared_tensors\n            ")
    from ..backend import to_numpy
    out = {}
    for k, v in tensors.items():
        if not v._data.flags.c_contiguous:
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{k}` which is not allowed. It "
                "either means you are trying to save tensors which are reference of each other "
                "in which case it's recommended to save only the full tensors, and reslice at "
                "load time, or simply call `.contiguous()` on your tensor to pack it before "
                "saving.")
        out[k] = to_numpy(v._data)
    return out


def save(tensors, metadata=None):
    """The safetensors bytes of a dict of tensors; see safetensors.torch.save."""
    st = _package()
    return st.numpy.save(_arrays(tensors), metadata=metadata)


def save_file(tensors, filename, metadata=None):
    """Write a dict of tensors to a .safetensors file; see safetensors.torch.save_file."""
    st = _package()
    st.numpy.save_file(_arrays(tensors), os.fspath(filename), metadata=metadata)


def _to_device(arr, device):
    t = _wrap(arr)
    if device not in ("cpu", None):
        from .._device import device as _device
        t = t.to(_device(device) if not isinstance(device, int) else _device("cuda", device))
    return t


def load_file(filename, device="cpu"):
    """{name: tensor} from a .safetensors file; see safetensors.torch.load_file."""
    st = _package()
    out = {}
    with st.safe_open(os.fspath(filename), framework="numpy") as f:
        names = f.offset_keys() if hasattr(f, "offset_keys") else f.keys()  # file order
        for k in names:
            a = f.get_tensor(k)
            if sys.byteorder == "big":
                a = a.byteswap()
            out[k] = _to_device(a, device)     # a fresh, C-ordered array per tensor
    return out


def load(data):
    """{name: tensor} from safetensors bytes; see safetensors.torch.load."""
    st = _package()
    out = {}
    for k, v in st.deserialize(data):
        code = v["dtype"]
        if code not in _TYPES:
            raise NotImplementedError(f"ember has no dtype for safetensors' {code} (tensor {k})")
        dt = _TYPES[code].np
        raw = v["data"]
        if len(raw) == 0:
            arr = np.empty(v["shape"], dt)
        else:
            arr = np.frombuffer(raw, dtype=dt).reshape(v["shape"])
            if sys.byteorder == "big":
                arr = arr.byteswap()
        out[k] = _wrap(arr)
    return out


def save_model(model, filename, metadata=None, force_contiguous=True):
    """Save a module's state_dict, keeping one name of each group of tied tensors."""
    state_dict = model.state_dict()
    for kept, removed in _duplicate_names(state_dict).items():
        for name in removed:
            metadata = {} if metadata is None else metadata
            metadata.setdefault(name, kept)
            del state_dict[name]
    if force_contiguous:
        state_dict = {k: v.contiguous() for k, v in state_dict.items()}
    try:
        save_file(state_dict, filename, metadata=metadata)
    except ValueError as e:
        raise ValueError(str(e) + " Or use save_model(..., force_contiguous=True), read the docs "
                         "for potential caveats.") from None


def _complete(t):
    from ._pickler import _addr, _root
    a = t._data
    r = _root(a)
    return _addr(a) == _addr(r) and a.nbytes == r.nbytes


def _duplicate_names(state_dict, preferred_names=()):
    to_remove = {}
    for shared in _shared_groups(state_dict):
        if len(shared) < 2:
            continue
        complete = {n for n in shared if _complete(state_dict[n])}
        if not complete:
            raise RuntimeError(
                "Error while trying to find names to remove to save state dict, but found no "
                f"suitable name to keep for saving amongst: {shared}. None is covering the "
                "entire storage.Refusing to save/load the model since you could be storing much "
                "more memory than needed. Please refer to "
                "https://huggingface.co/docs/safetensors/torch_shared_tensors for more "
                "information. Or open an issue.")
        keep = min(complete)
        preferred = set(preferred_names) & complete
        if preferred:
            keep = min(preferred)
        to_remove[keep] = [n for n in sorted(shared) if n != keep]
    return to_remove


def load_model(model, filename, strict=True, device="cpu"):
    """Load a .safetensors file into a module; returns (missing, unexpected) names."""
    state_dict = load_file(filename, device=device)
    to_removes = _duplicate_names(model.state_dict(), preferred_names=state_dict.keys())
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    missing = set(missing)
    for group in to_removes.values():
        for name in group:
            if name not in missing:
                unexpected.append(name)
            else:
                missing.remove(name)
    if strict and (missing or unexpected):
        error = f"Error(s) in loading state_dict for {model.__class__.__name__}:"
        if missing:
            error += "\n    Missing key(s) in state_dict: " + ", ".join(
                f'"{k}"' for k in sorted(missing))
        if unexpected:
            error += "\n    Unexpected key(s) in state_dict: " + ", ".join(
                f'"{k}"' for k in sorted(unexpected))
        raise RuntimeError(error)
    return missing, unexpected
