"""torch.cuda for ember: honest answers (False / 0) unless CuPy finds a GPU."""
from ..backend import cuda_available, cuda_device_count, cupy
from .._legacy_types import CUDA_TYPES as _CUDA_TYPES

globals().update(_CUDA_TYPES)  # torch.cuda.FloatTensor, torch.cuda.LongTensor, ...


def is_available():
    return cuda_available()


def device_count():
    return cuda_device_count()


def current_device():
    if not cuda_available():
        raise RuntimeError("Found no NVIDIA driver on your system.")
    return cupy().cuda.runtime.getDevice()


def set_device(device):
    idx = device if isinstance(device, int) else getattr(device, "index", None) or 0
    cupy().cuda.runtime.setDevice(idx)


def get_device_name(device=None):
    cp = cupy()
    idx = 0 if device is None else (device if isinstance(device, int) else device.index or 0)
    return cp.cuda.runtime.getDeviceProperties(idx)["name"].decode()


def synchronize(device=None):
    if cuda_available():
        cupy().cuda.Device().synchronize()


def is_initialized():
    return cuda_available()


def manual_seed(seed):
    """Seeds the CUDA generator (CuPy's); a no-op without a GPU, as torch."""
    if cuda_available():
        cupy().random.seed(int(seed) & 0xFFFFFFFF)


manual_seed_all = manual_seed


def empty_cache():
    if cuda_available():
        cupy().get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None):
    return cupy().get_default_memory_pool().used_bytes() if cuda_available() else 0


def __getattr__(name):
    if name == "amp":   # torch.cuda.amp without importing it first, as in torch
        import importlib
        return importlib.import_module("ember.cuda.amp")
    raise AttributeError(f"module 'ember.cuda' has no attribute '{name}' (ember does not "
                         f"implement torch.cuda.{name})")
