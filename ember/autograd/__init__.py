"""torch.autograd for ember: backward/grad (engine.py), grad modes, the Op/Node graph surface,
custom Functions, the functional API (jacobian, hessian, vjp, ...), gradcheck and the profiler."""
from .engine import backward, grad
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,
                        is_grad_enabled, is_inference_mode_enabled)
from .op import Node, Op
from . import graph
