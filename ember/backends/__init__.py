"""torch.backends: the switches and availability probes programs read at start-up
(`torch.backends.mps.is_available()`, `torch.backends.cudnn.benchmark = True`).

ember computes with NumPy (and CuPy on a GPU): none of MPS, cuDNN, oneDNN or MKL is used, so
their probes say False and their flags are accepted and kept but change nothing."""
from __future__ import annotations

import contextlib
import sys
import types


def _module(name, doc, **attrs):
    m = types.ModuleType(f"{__name__}.{name}", doc)
    m.__dict__.update(attrs)
    sys.modules[m.__name__] = m
    globals()[name] = m
    return m


def _false():
    return False


_module("mps", "Apple's Metal backend: not available in ember.",
        is_available=_false, is_built=_false, is_macos_or_newer=lambda major, minor: False)


@contextlib.contextmanager
def _flags(mod, **values):
    """Set a backend module's flags for the `with` block, then restore them (torch's
    `backends.cudnn.flags(...)` / `backends.mkldnn.flags(...)`); yields None like torch."""
    old = {k: getattr(mod, k) for k in values}
    mod.__dict__.update(values)
    try:
        yield
    finally:
        mod.__dict__.update(old)


def _cudnn_flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
                 allow_tf32=True, fp32_precision="none", depthwise_kernel="auto"):
    # benchmark_limit is only settable where cuDNN exists (torch keeps None otherwise)
    return _flags(sys.modules[__name__ + ".cudnn"], enabled=enabled, benchmark=benchmark,
                  deterministic=deterministic, allow_tf32=allow_tf32, fp32_precision=fp32_precision,
                  depthwise_kernel=depthwise_kernel)


def _mkldnn_flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    return _flags(sys.modules[__name__ + ".mkldnn"], enabled=enabled, deterministic=deterministic,
                  fp32_precision=fp32_precision)


_module("cudnn", "cuDNN: ember does not use it; the flags are kept for programs that set them.",
        is_available=_false, version=lambda: None, enabled=True, benchmark=False,
        deterministic=False, allow_tf32=True, benchmark_limit=None, fp32_precision="none",
        depthwise_kernel="auto", flags=_cudnn_flags)
_module("cuda", "CUDA build flags (ember's CUDA path is CuPy, not a torch build).",
        is_built=_false,
        matmul=types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                                     allow_bf16_reduced_precision_reduction=True))
_module("mkldnn", "oneDNN: not used by ember.", is_available=_false, enabled=True,
        deterministic=False, fp32_precision="none", flags=_mkldnn_flags)
_module("mkl", "MKL: not used by ember (NumPy's BLAS does the arithmetic).", is_available=_false)
_module("openmp", "OpenMP: not used by ember.", is_available=_false)
_module("opt_einsum", "opt_einsum: not used by ember.", is_available=_false, enabled=False,
        strategy=None)

__all__ = ["cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp", "opt_einsum"]
