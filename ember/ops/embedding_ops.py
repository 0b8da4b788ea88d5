"""Embedding lookup (EmbeddingBackward0) and the in-place max-norm renormalisation of the table.

Forward is one fancy-index gather; backward scatters the rows back with one `np.add.at`,
skipping `padding_idx` and optionally dividing by each index's frequency. ember.nn's
F.embedding and nn.Embedding (ember/nn/_functional2.py, modules/sparse.py) call these.
"""
from __future__ import annotations

import numpy as np

from .._tensor import _wrap
from ..autograd.grad_mode import GRAD
from ..autograd.op import Op
from ..backend import array_module

_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
          "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _xp(a):
    return np if type(a) is np.ndarray else array_module(a)


def _check_indices(idx, fn="embedding"):
    if idx.dtype != np.int64 and idx.dtype != np.int32:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following "
                           "scalar types: Long, Int; but got torch."
                           f"{_NAMES.get(idx.dtype.name, idx.dtype.name)}Tensor instead (while "
                           f"checking arguments for {fn})")


def _check_range(idx, n):
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise IndexError("index out of range in self")


class Embedding(Op):
    """weight[indices]; the gradient sums rows back into the table (padding row excluded)."""

    def forward(self, weight, indices, padding_idx=-1, scale_grad_by_freq=False):
        if weight.ndim != 2:
            raise RuntimeError("'weight' must be 2-D")
        _check_indices(indices)
        _check_range(indices, weight.shape[0])
        self.save_inputs(1)
        self.num_weights = weight.shape[0]
        self.padding_idx, self.scale = padding_idx, scale_grad_by_freq
        return weight[indices]

    def backward(self, grad):
        indices, = self.saved_inputs()
        if not self.needs_input_grad[0]:
            return None, None
        return embedding_dense_backward(grad, indices, self.num_weights, self.padding_idx,
                                        self.scale), None


def embedding_dense_backward(grad, indices, num_weights, padding_idx, scale_grad_by_freq):
    """The gradient of the table: rows of `grad` summed per index (differentiable in grad)."""
    idx = indices._data.reshape(-1)
    D = grad._data.shape[-1]
    xp = _xp(idx)
    keep = None
    if padding_idx >= 0:
        keep = idx != padding_idx
    scale = None
    if scale_grad_by_freq:
        counts = xp.bincount(idx, minlength=num_weights)
        scale = (1.0 / counts[idx]).astype(grad._data.dtype)
    if GRAD[0]:
        # a graph of the backward was asked for: the same sum from ember ops (linear in grad)
        from .._creation import zeros
        g = grad.reshape(-1, D)
        if scale is not None:
            g = g * _wrap(scale[:, None])
        if keep is not None:
            g = g * _wrap(keep[:, None].astype(grad._data.dtype))
        return zeros(num_weights, D, dtype=grad.dtype).index_add(0, _wrap(idx), g)
    g = grad._data.reshape(-1, D)
    if scale is not None:
        g = g * scale[:, None]
    if keep is not None:
        idx, g = idx[keep], g[keep]
    out = xp.zeros((num_weights, D), grad._data.dtype)
    if xp is np:
        np.add.at(out, idx, g)
    else:
        __import__("cupyx").scatter_add(out, idx, g)
    return _wrap(out)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False):
    """torch.embedding(weight, indices, padding_idx, scale_grad_by_freq)."""
    return Embedding.apply(weight, indices, padding_idx=padding_idx,
                           scale_grad_by_freq=scale_grad_by_freq)


def embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rows of `weight` used by `indices` whose norm exceeds max_norm are scaled down to it in
    place (torch.embedding_renorm_: scale = max_norm / (norm + 1e-7)). No gradient."""
    _check_indices(indices._data, "embedding_renorm_")
    w = weight._data
    xp = _xp(w)
    rows = xp.unique(indices._data.reshape(-1))
    _check_range(rows, w.shape[0])
    sel = w[rows]
    p = float(norm_type)
    if p == float("inf"):
        norms = xp.abs(sel).max(axis=1)
    elif p == 1:
        norms = xp.abs(sel).sum(axis=1)
    elif p == 2:
        norms = xp.sqrt((sel * sel).sum(axis=1))
    else:
        norms = (xp.abs(sel) ** p).sum(axis=1) ** (1.0 / p)
    big = norms > max_norm
    if big.any():
        r = rows[big]
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[r] = sel[big] * scale[:, None]
    weight._bump()
    return weight
