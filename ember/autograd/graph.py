"""torch.autograd.graph: the Node type that every grad_fn is an instance of."""
from .op import Node, AccumulateGrad

__all__ = ["Node"]
