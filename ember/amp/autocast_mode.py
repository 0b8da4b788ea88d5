"""torch.autocast: a context manager / decorator that turns on mixed precision for a region.

On CPU, ops in torch's lower-precision list run in bfloat16 (or float16) and ops in its fp32
list in float32 (ember._autocast does the casting). On a machine without CUDA, a 'cuda' region
is disabled with torch's warning, so GPU-minded programs run unchanged on CPU.
"""
from __future__ import annotations

import functools
import warnings

from .. import _autocast as A
from .. import _dtype as D

_SUPPORTED = ("cpu", "cuda")


def is_autocast_available(device_type):
    """Whether autocast applies to this device type (see torch.amp.is_autocast_available)."""
    return device_type in _SUPPORTED


# ---- the process-wide state, as torch's top-level functions ---------------------------------

def _dev(device_type):
    if device_type not in A.STATE:
        raise RuntimeError(f"User specified an unsupported autocast device_type "
                           f"'{device_type}'")
    return A.STATE[device_type]


def is_autocast_enabled(device_type=None):
    """torch.is_autocast_enabled: with no argument, CUDA's state (as torch)."""
    return _dev("cuda" if device_type is None else device_type)[0]


def set_autocast_enabled(device_type, enabled=None):
    if enabled is None:   # the old one-argument form sets CUDA's
        device_type, enabled = "cuda", device_type
    _dev(device_type)[0] = bool(enabled)
    A._refresh()


def get_autocast_dtype(device_type):
    return _dev(device_type)[1]


def set_autocast_dtype(device_type, dtype):
    _dev(device_type)[1] = dtype


def is_autocast_cache_enabled():
    return A.CACHE_ENABLED[0]


def set_autocast_cache_enabled(enabled):
    A.CACHE_ENABLED[0] = bool(enabled)


def clear_autocast_cache():
    A.clear_cache()


def autocast_increment_nesting():
    A.NESTING[0] += 1
    return A.NESTING[0]


def autocast_decrement_nesting():
    A.NESTING[0] -= 1
    return A.NESTING[0]


def _deprecated(old, new):
    warnings.warn(f"torch.{old}() is deprecated. Please use torch.{new} instead.",
                  DeprecationWarning, stacklevel=3)


def is_autocast_cpu_enabled():
    _deprecated("is_autocast_cpu_enabled", "is_autocast_enabled('cpu')")
    return A.STATE["cpu"][0]


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype", "get_autocast_dtype('cpu')")
    return A.STATE["cpu"][1]


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype", "get_autocast_dtype('cuda')")
    return A.STATE["cuda"][1]


# ---- the context manager ------------------------------------------------------------------------

class autocast:
    """Run the region's ops in mixed precision (see torch.autocast)."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        from .._device import device as _device
        _device(device_type)   # torch's error for a name that is no device at all
        self.device = device_type
        if not is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._cache_enabled = (is_autocast_cache_enabled() if cache_enabled is None
                               else cache_enabled)
        name = device_type.upper()
        if enabled:
            if device_type == "cuda":
                from .. import cuda
                if not cuda.is_available():
                    warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                                  "autocast.", stacklevel=2)
                    enabled = False
                else:
                    raise NotImplementedError(
                        "ember's autocast implements torch's CPU op lists; CUDA autocast "
                        "(CuPy tensors) is not implemented")
            elif self.fast_dtype not in (D.bfloat16, D.float16):
                warnings.warn(f"In {name} autocast, but the target dtype is not supported. "
                              f"Disabling autocast.\n{name} Autocast only supports dtypes of "
                              "torch.bfloat16, torch.float16 currently.", stacklevel=2)
                enabled = False
        self._enabled = enabled

    def __enter__(self):
        st = A.STATE[self.device]
        self.prev_cache_enabled = A.CACHE_ENABLED[0]
        self.prev, self.prev_fastdtype = st[0], st[1]
        st[0], st[1] = bool(self._enabled), self.fast_dtype
        A._refresh()
        autocast_increment_nesting()
        A.CACHE_ENABLED[0] = bool(self._cache_enabled)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        # leaving the outermost region drops the cast-weight cache
        if autocast_decrement_nesting() == 0:
            A.clear_cache()
        st = A.STATE[self.device]
        st[0], st[1] = self.prev, self.prev_fastdtype
        A.CACHE_ENABLED[0] = self.prev_cache_enabled
        A._refresh()
        return False

    def __call__(self, func):
        if isinstance(func, type):
            raise TypeError("autocast decorator cannot be applied to a class")

        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorate_autocast


class _UnmanagedAutocast(autocast):
    pass


def _enter_autocast(*vals):
    mode = _UnmanagedAutocast(*vals)
    mode.__enter__()
    return mode


def _exit_autocast(mode):
    mode.__exit__(None, None, None)


# ---- custom autograd Functions under autocast ---------------------------------------------------

def _cast(value, device_type, dtype):
    from .._tensor import Tensor
    if isinstance(value, Tensor):
        is_eligible = value.is_floating_point() and value.device.type == device_type and \
            value.dtype is not D.float64
        return value.to(dtype) if is_eligible else value
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, dict):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        it = (_cast(v, device_type, dtype) for v in value)
        return type(value)(it) if isinstance(value, list) else tuple(it)
    return value


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom Function's forward (see torch.amp.custom_fwd)."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type,
                                 cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        autocast_context = is_autocast_enabled(device_type)
        args[0]._fwd_used_autocast = False
        if autocast_context:
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs),
                           **_cast(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom Function's backward: runs it in the forward's autocast state."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast,
                      dtype=args[0]._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd
