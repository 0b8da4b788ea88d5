"""The one place that knows about array libraries: numpy for cpu tensors, cupy for cuda ones.

`array_module(x)` is NumPy's or CuPy's module for an array; `module_for(device)` for a device.
CuPy is imported only when a cuda tensor is first made, so `import ember` never pays for it.
"""
from __future__ import annotations

import numpy as np

_cupy = None


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
    return device("cuda", int(a.device.id))


def to_numpy(a):
    """A numpy array with a's values (a copy off the GPU, `a` itself on the CPU)."""
    if type(a) is np.ndarray:
        return a
    return a.get()


def to_device(a, device):
    if device.type == "cpu":
        return to_numpy(a)
    cp = cupy()
    with cp.cuda.Device(device.index or 0):
        return cp.asarray(a)
