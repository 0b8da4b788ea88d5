"""Scaled dot-product attention as one fused Op: softmax(q k^T * scale + bias) [* dropout] @ v.

Forward is two batched GEMMs around a row softmax that, like torch's, gives zeros (not NaN) for
a row whose keys are all masked; backward is the closed-form vjp in NumPy (four GEMMs), or a
composite of ember ops when a graph of the backward is asked for. The grad_fn is named after
the kernel torch 2.13 picks on the CPU: its flash-attention kernel for 4-D inputs without
dropout, otherwise the math path (whose last node is an UnsafeView).
"""
from __future__ import annotations

import numpy as np

from .._tensor import _wrap
from ..autograd.grad_mode import GRAD
from ..autograd.op import Op
from ..backend import opmath
from ._broadcast import sum_to
from .norm_ops import composite_vjp


def _softmax_rows(s):
    """Row softmax over the last axis, in place; rows that are all -inf become zeros."""
    m = s.max(axis=-1, keepdims=True)
    dead = ~np.isfinite(m)
    if dead.any():
        m = np.where(dead, 0, m)
    s -= m
    np.exp(s, out=s)
    z = s.sum(axis=-1, keepdims=True)
    if dead.any():
        z[z == 0] = 1
    s /= z
    return s


@opmath
class ScaledDotProductAttention(Op):
    """Inputs q (..., L, E), k (..., S, E), v (..., S, Ev), bias (broadcastable to (..., L, S))
    or None; params scale and the dropout keep-mask (already divided by 1 - p) or None."""

    def forward(self, q, k, v, bias, scale=1.0, drop=None):
        s = np.matmul(q, np.swapaxes(k, -1, -2))
        s *= s.dtype.type(scale)
        if bias is not None:
            s = s + bias
        p = _softmax_rows(s)
        pd = p * drop if drop is not None else p
        self.p, self.drop, self.scale = p, drop, scale
        self.save_inputs(0, 1, 2, 3)
        return np.matmul(pd, v)

    def backward(self, grad):
        q, k, v, bias = self.saved_inputs()
        needs = self.needs_input_grad
        if GRAD[0]:
            drop = None if self.drop is None else _wrap(self.drop)
            return composite_vjp(
                lambda q, k, v, b: _sdpa_composite(q, k, v, b, self.scale, drop),
                (q, k, v, bias), needs, grad)
        g = grad._data
        p, drop, scale = self.p, self.drop, self.scale
        pd = p * drop if drop is not None else p
        res = [None] * 4
        if needs[2]:
            res[2] = sum_to(_wrap(np.matmul(np.swapaxes(pd, -1, -2), g)), v.shape)
        if needs[0] or needs[1] or needs[3]:
            dp = np.matmul(g, np.swapaxes(v._data, -1, -2))
            if drop is not None:
                dp *= drop
            # softmax vjp: p * (dp - sum(dp * p))
            ds = dp
            ds -= (dp * p).sum(axis=-1, keepdims=True)
            ds *= p
            if needs[3]:
                res[3] = sum_to(_wrap(ds.astype(bias._data.dtype)), bias.shape)  # a copy
            ds *= ds.dtype.type(scale)
            if needs[0]:
                res[0] = sum_to(_wrap(np.matmul(ds, k._data)), q.shape)
            if needs[1]:
                res[1] = sum_to(_wrap(np.matmul(np.swapaxes(ds, -1, -2), q._data)), k.shape)
        return tuple(res)


class _SdpaFlash(ScaledDotProductAttention):
    node_name = "ScaledDotProductFlashAttentionForCpuBackward0"


class _SdpaMath(ScaledDotProductAttention):
    node_name = "UnsafeViewBackward0"


def _sdpa_composite(q, k, v, bias, scale, drop):
    s = q.matmul(k.transpose(-2, -1)) * scale
    if bias is not None:
        s = s + bias
    m = s.amax(-1, keepdim=True).detach()
    m = m.masked_fill(~m.isfinite(), 0)
    e = (s - m).exp()
    z = e.sum(-1, keepdim=True)
    p = e / z.masked_fill(z == 0, 1)
    if drop is not None:
        p = p * drop
    return p.matmul(v)


def sdpa(q, k, v, bias, scale, drop, flash):
    """The fused attention node (flash: name it as torch's CPU flash kernel)."""
    return (_SdpaFlash if flash else _SdpaMath).apply(q, k, v, bias, scale=scale, drop=drop)
