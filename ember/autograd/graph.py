"""torch.autograd.graph: the Node type that every grad_fn is an instance of."""
from .op import Node, AccumulateGrad
from ._saved_tensors import saved_tensors_hooks, save_on_cpu, disable_saved_tensors_hooks

__all__ = ["Node", "saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]
