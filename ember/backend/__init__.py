"""The one place that knows about array libraries: numpy for cpu tensors, cupy for cuda ones.

`array_module(x)` is NumPy's or CuPy's module for an array; `module_for(device)` for a device.
CuPy is imported only when a cuda tensor is first made, so `import ember` never pays for it.
"""
from __future__ import annotations

import ml_dtypes
import numpy as np

from . import _malloc
from ._meta import MetaArray

_malloc.tune()
_cupy = None

# ---- reduced-precision floats ------------------------------------------------------------------
# torch's CPU kernels compute float16/bfloat16 in float32 (their "opmath" type) and round once
# at the end. NumPy would round after every step (or, for float16 matmul, use a slow loop), so
# the ops that do several steps or contract are decorated to run their forward in float32.

LOWP = frozenset((np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)))
_F32 = np.dtype(np.float32)


def _up(a):
    return a.astype(_F32) if getattr(a, "dtype", None) in LOWP else a


def _up_round(a, dt):
    """_up, with a Python number first rounded to dt (torch casts a wrapped number to the
    common dtype for most binary ops; only mul and div keep it in float32)."""
    if a.__class__ is float or a.__class__ is int:
        return _F32.type(dt.type(a))
    return _up(a)


def _down(r, dt):
    if type(r) is tuple:
        return tuple(_down(x, dt) for x in r)
    return r.astype(dt) if getattr(r, "dtype", None) is _F32 else r


_ROUND_KW = frozenset(("alpha", "other", "exponent"))


def opmath(cls=None, *, round_scalars=False):
    """Class decorator for an Op: float16/bfloat16 inputs run forward in float32, and float32
    results are rounded once to the input dtype. round_scalars: Python numbers are rounded to
    the input dtype first (torch's add, sub, pow, fmod, remainder; not mul or div)."""
    if cls is None:
        return lambda c: opmath(c, round_scalars=round_scalars)
    fwd = cls.forward

    def forward(self, *args, **kw):
        for a in args:
            if a is not None:
                dt = getattr(a, "dtype", None)
                break
        else:
            dt = None
        if dt not in LOWP:
            return fwd(self, *args, **kw)
        try:
            self._lowp = dt   # for ops that round an intermediate as torch does (batch norm)
        except AttributeError:
            pass            # a slotted op class: it does not look
        if not round_scalars:
            return _down(fwd(self, *[_up(a) for a in args], **kw), dt)
        up = [_up_round(a, dt) for a in args]
        rk = {k: v for k, v in kw.items() if k in _ROUND_KW and v.__class__ in (float, int)}
        if not rk:
            return _down(fwd(self, *up, **kw), dt)
        r = fwd(self, *up, **dict(kw, **{k: _up_round(v, dt) for k, v in rk.items()}))
        for k, v in rk.items():   # the backward scales by the number as given
            if hasattr(self, k):
                setattr(self, k, v)
        return _down(r, dt)
    forward.__doc__ = fwd.__doc__
    forward.__wrapped__ = fwd
    cls.forward = forward
    return cls


def cupy():
    """The cupy module, or a RuntimeError that says why CUDA is unavailable."""
    global _cupy
    if _cupy is None:
        try:
            import cupy as cp  # noqa: F401
            cp.cuda.runtime.getDeviceCount()
        except Exception as e:  # ImportError, or a CUDA driver error
            raise RuntimeError(
                "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU "
                "and installed a driver from http://www.nvidia.com/Download/index.aspx"
                f" (ember needs CuPy for CUDA tensors: {e})") from None
        _cupy = cp
    return _cupy


def cuda_available():
    try:
        cupy()
        return True
    except RuntimeError:
        return False


def cuda_device_count():
    try:
        return cupy().cuda.runtime.getDeviceCount()
    except RuntimeError:
        return 0


def array_module(a):
    """numpy for numpy arrays (and scalars), cupy for cupy arrays."""
    if type(a) is np.ndarray or _cupy is None:
        return np
    return _cupy.get_array_module(a)


def module_for(device):
    """numpy for cpu, cupy for cuda (raising torch's error when CUDA is absent)."""
    if device is None or device.type == "cpu":
        return np
    if device.type == "cuda":
        return cupy()
    if device.type == "meta":
        raise NotImplementedError("ember has no 'meta' device (tensors without data)")
    raise RuntimeError(f"Could not run on device type '{device.type}': ember supports cpu and "
                       "cuda (through CuPy) only")


def is_cuda_array(a):
    return _cupy is not None and type(a) is not np.ndarray and isinstance(a, _cupy.ndarray)


def device_of(a):
    from .._device import cpu, device
    if type(a) is np.ndarray:
        return cpu
    if type(a) is MetaArray:
        return device("meta")
    return device("cuda", int(a.device.id))


def to_numpy(a):
    """A numpy array with a's values (a copy off the GPU, `a` itself on the CPU)."""
    if type(a) is np.ndarray:
        return a
    return a.get()


def to_device(a, device):
    if device.type == "meta":
        return MetaArray(a.shape, a.dtype)
    if device.type == "cpu":
        return to_numpy(a)
    cp = cupy()
    with cp.cuda.Device(device.index or 0):
        return cp.asarray(a)
