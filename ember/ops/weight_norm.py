"""Weight normalization: torch._weight_norm, torch.norm_except_dim and the fused
`_weight_norm_interface` node (WeightNormInterfaceBackward0) that torch uses when the kept
dim is the first or the last. nn.utils.parametrizations.weight_norm and the old-style
nn.utils.weight_norm hook both compute `weight = v * (g / ||v||)` through here.
"""
from __future__ import annotations

import numpy as np

from ..autograd.op import Op


def norm_except_dim(v, pow=2, dim=0):
    """||v||_pow over every dim but `dim` (kept as size-1 dims); dim=-1: the whole norm.
    See torch.norm_except_dim."""
    if dim == -1:
        return v.norm(pow)
    nd = v.dim()
    if dim == 0:
        out = [1] * nd
        out[0] = v.size(0)
        return v.contiguous().view(v.size(0), -1).norm(pow, 1).view(out)
    if dim == nd - 1:
        out = [1] * nd
        out[-1] = v.size(nd - 1)
        return v.contiguous().view(-1, v.size(nd - 1)).norm(pow, 0).view(out)
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


class WeightNormInterface(Op):
    """w = v * (g / ||v||), the norm over every dim but `dim` (0 or the last)."""

    def forward(self, v, g, dim):
        axes = tuple(i for i in range(v.ndim) if i != dim)
        norm = np.sqrt(np.sum(v * v, axis=axes, keepdims=True))
        self.save_inputs(0, 1)
        self.dim = dim
        self.axes = axes
        return v * (g / norm)

    def backward(self, grad):
        # d/dg = <grad, v>/||v||;  d/dv = g/||v|| * (grad - v <grad, v>/||v||^2); written with
        # ember ops (the norm recomputed from v) so that double backward works
        v, g = self.saved_inputs()
        norm = norm_except_dim(v, 2, self.dim)
        s = (grad * v).sum(self.axes, keepdim=True)
        gv = (g / norm) * (grad - v * (s / (norm * norm))) if self.needs_input_grad[0] else None
        gg = (s / norm).view(g.shape) if self.needs_input_grad[1] else None
        return gv, gg


def _weight_norm(v, g, dim=0):
    """v * (g / norm_except_dim(v, 2, dim)); see torch._weight_norm."""
    half = v.dtype.itemsize == 2 or g.dtype.itemsize == 2
    if not half and (dim == 0 or dim == v.dim() - 1):
        return WeightNormInterface.apply(v.contiguous(), g.contiguous(), dim=dim)
    return v * (g / norm_except_dim(v, 2, dim))
