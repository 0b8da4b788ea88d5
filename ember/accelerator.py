"""torch.accelerator: the current accelerator (CUDA through CuPy), or None on a CPU machine."""
from ._device import device as _device
from .backend import cuda_available, cuda_device_count


def is_available():
    return cuda_available()


def current_accelerator(check_available=False):
    if cuda_available():
        return _device("cuda")
    return None


def device_count():
    return cuda_device_count()


def current_device_index():
    return 0 if cuda_available() else -1


def synchronize(device=None):
    from . import cuda
    cuda.synchronize()
