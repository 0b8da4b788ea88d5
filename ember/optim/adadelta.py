"""Adadelta: torch.optim.Adadelta.

`_adadelta_one` updates one parameter's arrays in place in the order of torch's single-tensor
loop; `Adadelta.step` feeds it and `adadelta` is the functional form on tensor lists.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap
from .optimizer import Optimizer, _call_closure, _incr, _consts, _not_differentiable, _real, \
    _Scratch, _state_steps_to_tensors, _step_tensor, _to_scalar, _use_grad, _value

__all__ = ["Adadelta", "adadelta"]


def _adadelta_one(param, grad, square_avg, acc_delta, c, weight_decay, maximize, tmp):
    """One parameter's Adadelta update; c = _consts(param, lr, rho, 1 - rho, eps, wd)."""
    lr, rho, one_minus_rho, eps, wd = c
    if param.dtype.kind == "c":
        param, grad = _real(param), _real(grad)
        square_avg, acc_delta = _real(square_avg), _real(acc_delta)
    if maximize:
        grad = -grad
    if weight_decay != 0:
        t = param * wd
        t += grad
        grad = t
    t = tmp(param)
    square_avg *= rho                               # .mul_(rho).addcmul_(g, g, 1 - rho)
    np.multiply(grad, one_minus_rho, out=t)
    t *= grad
    square_avg += t
    std = tmp(param, 1)
    np.add(square_avg, eps, out=std)                # square_avg.add(eps).sqrt_()
    np.sqrt(std, out=std)
    delta = tmp(param, 2)
    np.add(acc_delta, eps, out=delta)               # acc_delta.add(eps).sqrt_()
    np.sqrt(delta, out=delta)
    delta /= std                                    # .div_(std).mul_(grad)
    delta *= grad
    acc_delta *= rho                                # .mul_(rho).addcmul_(d, d, 1 - rho)
    np.multiply(delta, one_minus_rho, out=t)
    t *= delta
    acc_delta += t
    delta *= lr                                     # param.add_(delta, alpha=-lr)
    param -= delta


class Adadelta(Optimizer):
    """Adadelta; see torch.optim.Adadelta."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
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
        tmp = self._scratch
        for group in self.param_groups:
            _not_differentiable(group)
            lr = _value(_to_scalar(group["lr"]))
            rho, eps, maximize = group["rho"], group["eps"], group["maximize"]
            wd = _value(group["weight_decay"])
            dt = c = None
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                a = p._data
                st = state[p]
                if len(st) == 0:
                    st["step"] = _step_tensor()
                    st["square_avg"] = _wrap(np.zeros_like(a))
                    st["acc_delta"] = _wrap(np.zeros_like(a))
                _incr(st["step"])
                if a.dtype is not dt:
                    dt = a.dtype
                    c = _consts(a, lr, rho, 1 - rho, eps, wd)
                _adadelta_one(a, g._data, st["square_avg"]._data, st["acc_delta"]._data, c, wd,
                              maximize, tmp)
                p._bump()
        return loss


def adadelta(params, grads, square_avgs, acc_deltas, state_steps, capturable=False,
             foreach=None, differentiable=False, has_complex=False, *, lr, rho, eps,
             weight_decay, maximize):
    """Functional Adadelta on lists of tensors; see torch.optim._functional.adadelta."""
    lr = _value(_to_scalar(lr))
    weight_decay = _value(weight_decay)
    tmp = _Scratch()
    for i, param in enumerate(params):
        _incr(state_steps[i])
        a = param._data
        c = _consts(a, lr, rho, 1 - rho, eps, weight_decay)
        _adadelta_one(a, grads[i]._data, square_avgs[i]._data, acc_deltas[i]._data, c,
                      weight_decay, maximize, tmp)
        param._bump()
