"""Rprop (resilient backpropagation): torch.optim.Rprop.

Per parameter: 'step', 'prev' (the last gradient used) and 'step_size' (one size per
element); `_rprop_one` follows torch's single-tensor loop with boolean masks, no Python loops.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap
from .optimizer import Optimizer, _call_closure, _incr, _not_differentiable, _real, \
    _state_steps_to_tensors, _step_tensor, _to_scalar, _use_grad, _value

__all__ = ["Rprop", "rprop"]


def _rprop_one(param, grad, prev, step_size, step_size_min, step_size_max, etaminus, etaplus,
               maximize):
    if maximize:
        grad = -grad
    if param.dtype.kind == "c":
        param, grad, prev, step_size = _real(param), _real(grad), _real(prev), \
            _real(step_size)
    sign = np.empty_like(prev)                      # grad.mul(prev).sign()
    np.multiply(grad, prev, out=sign)
    np.sign(sign, out=sign)
    pos, neg = sign > 0, sign < 0
    zero = sign == 0
    sign[pos] = etaplus
    sign[neg] = etaminus
    sign[zero] = 1
    step_size *= sign
    np.clip(step_size, step_size_min, step_size_max, out=step_size)
    grad = np.array(grad)                           # a copy (an array even for 0-dim)
    grad[sign == etaminus] = 0
    t = np.sign(grad)                               # param.addcmul_(sign(g), step_size, -1)
    t *= step_size
    param -= t
    prev[...] = grad


class Rprop(Optimizer):
    """Resilient backpropagation; see torch.optim.Rprop."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
        _state_steps_to_tensors(self)

    @_use_grad
    def step(self, closure=None):
        """Perform a single optimization step; closure re-evaluates the model, returns loss."""
        loss = _call_closure(closure)
        state = self.state
        for group in self.param_groups:
            _not_differentiable(group)
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                st = state[p]
                if len(st) == 0:
                    lr = _value(_to_scalar(group["lr"]))
                    st["step"] = _step_tensor()
                    st["prev"] = _wrap(np.zeros_like(p._data))
                    size = np.empty_like(g._data)
                    size.fill(complex(lr, lr) if size.dtype.kind == "c" else lr)
                    st["step_size"] = _wrap(size)
                _incr(st["step"])
                _rprop_one(p._data, g._data, st["prev"]._data, st["step_size"]._data,
                           step_size_min, step_size_max, etaminus, etaplus, group["maximize"])
                p._bump()
        return loss


def rprop(params, grads, prevs, step_sizes, state_steps, foreach=None, capturable=False,
          maximize=False, differentiable=False, has_complex=False, *, step_size_min,
          step_size_max, etaminus, etaplus):
    """Functional Rprop on lists of tensors; see torch.optim._functional.rprop."""
    for i, param in enumerate(params):
        _incr(state_steps[i])
        _rprop_one(param._data, grads[i]._data, prevs[i]._data, step_sizes[i]._data,
                   step_size_min, step_size_max, etaminus, etaplus, maximize)
        param._bump()
