"""torch.autograd for ember: backward/grad (engine.py), grad modes, the Op/Node graph surface,
custom Functions, the functional API (jacobian, hessian, vjp, ...), gradcheck, anomaly mode
and the profiler. `functional`, `profiler` and `forward_ad` load on first use."""
from .engine import backward, grad
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,
                        is_grad_enabled, is_inference_mode_enabled)
from .op import Node, Op
from . import graph
from .function import Function, once_differentiable
from .gradcheck import gradcheck, gradgradcheck
from .anomaly_mode import detect_anomaly, set_detect_anomaly, is_anomaly_enabled, \
    is_anomaly_check_nan_enabled

__all__ = ["Variable", "Function", "backward", "grad", "grad_mode", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "gradcheck",
           "gradgradcheck", "detect_anomaly", "set_detect_anomaly", "functional", "profiler"]


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        from .._tensor import Tensor
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """The legacy Variable wrapper: `Variable(t, requires_grad=...)` gives a Tensor sharing t's
    memory, and every Tensor is an instance of Variable (see torch.autograd.Variable)."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        t = data.detach()
        t._rg = bool(requires_grad)
        return t


def __getattr__(name):
    import importlib
    if name in ("functional", "profiler", "anomaly_mode", "function", "forward_ad"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")
