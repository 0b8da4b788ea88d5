"""Tensor.to and friends: dtype casts and device moves (ToCopyBackward0), argument parsing of
torch's three `.to` signatures. Returns the tensor itself when nothing changes, as torch does."""
from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as D, _memory_format as _mf
from .._device import device as _device_cls, as_device
from .._tensor import Tensor
from ..autograd.op import Op
from ..backend import to_device, device_of


def cast_array(a, npdt):
    """a.astype(npdt) with torch's semantics (complex -> real keeps the real part)."""
    if a.dtype.kind == "c" and npdt.kind != "c":
        warnings.warn("Casting complex values to real discards the imaginary part",
                      UserWarning, stacklevel=4)
        a = a.real
    return a.astype(npdt)


class ToCopy(Op):
    def forward(self, x, dtype=None, device=None, memory_format=None):
        self.src_dt = D._FROM_NP[x.dtype]
        self.src_dev = device_of(x)
        if memory_format is not None or x.__class__ is np.ndarray and not x.flags.c_contiguous:
            # torch's _to_copy lays the copy out by the format (preserve: x's dense strides)
            want = _mf.like_strides(x, memory_format)
            r = _to_copy(x, dtype, device)
            return r if _mf.estrides(r) == want else _mf.copy_with_strides(r, want)
        return _to_copy(x, dtype, device)

    def backward(self, grad):
        g = grad
        if g.device != self.src_dev:
            g = g.to(self.src_dev)
        if g.dtype is not self.src_dt:
            g = g.to(self.src_dt)
        return g


def _to_copy(x, dtype, device):
    """x cast to dtype and/or moved to device: always a new array."""
    if dtype is not None and dtype.np != x.dtype:
        x = cast_array(x, dtype.np)
    elif device is None:
        x = x.copy()
    if device is not None and device_of(x) != device:
        x = to_device(x, device)
    elif device is not None and dtype is None:
        x = x.copy()
    return x


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got unexpected "
                        f"keyword argument '{next(iter(kwargs))}'")
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        dtype, device = other.dtype, other.device
    elif rest and isinstance(rest[0], D.dtype):
        dtype = rest.pop(0)
    elif rest and (isinstance(rest[0], (str, _device_cls, int)) and not isinstance(rest[0], bool)):
        device = rest.pop(0)
        if rest and isinstance(rest[0], D.dtype):
            dtype = rest.pop(0)
    if rest and isinstance(rest[0], bool):  # non_blocking
        rest.pop(0)
        if rest and isinstance(rest[0], bool):
            copy = rest.pop(0)
    if rest:
        raise TypeError(f"to() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in args)})")
    if dtype is not None and not isinstance(dtype, D.dtype):
        raise TypeError(f"to() received an invalid combination of arguments - got dtype of type "
                        f"{type(dtype).__name__}")
    return dtype, as_device(device), copy


def tensor_to(self, *args, **kwargs):
    """Tensor.to(dtype) / .to(device, dtype) / .to(other): self if nothing changes."""
    fmt = kwargs.pop("memory_format", None) if kwargs else None
    dtype, device, copy = _parse_to(args, dict(kwargs))
    a = self._data
    if device is not None:
        if device.type == "cuda" and device.index is None:
            device = _device_cls("cuda", 0)
        if device.type not in ("cpu", "cuda", "meta"):
            from ..backend import module_for
            module_for(device)
    same_dt = dtype is None or dtype.np == a.dtype
    same_dev = device is None or device_of(a) == device
    if fmt is not None:
        _mf.check_format(fmt, "to()")
        if fmt is _mf.preserve_format:
            fmt = None
        elif same_dt and same_dev and not copy and _mf.suggest_format(a) is fmt:
            return self   # torch's to_will_alias reads suggest_memory_format
    if same_dt and same_dev and not copy and fmt is None:
        return self
    if same_dev:
        device = None
    if same_dt:
        dtype = None
    if fmt is not None:
        return ToCopy.apply(self, dtype=dtype, device=device, memory_format=fmt)
    if dtype is None and device is None:
        dtype = D._FROM_NP[a.dtype]
        return ToCopy.apply(self, dtype=None, device=None)
    return ToCopy.apply(self, dtype=dtype, device=device)
