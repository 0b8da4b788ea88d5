"""Adamax (Adam with the infinity norm): torch.optim.Adamax.

`_adamax_one` updates one parameter's arrays in place in the order of torch's single-tensor
loop; `Adamax.step` feeds it and `adamax` is the functional form on tensor lists.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap
from .optimizer import Optimizer, _call_closure, _incr, _consts, _lerp_, _lerp_consts, \
    _not_differentiable, _real, _Scratch, _state_steps_to_tensors, _step_tensor, _to_scalar, \
    _use_grad, _value

__all__ = ["Adamax", "adamax"]


def _adamax_consts(a, step, eps, beta1, beta2, lr, weight_decay):
    clr = lr / (1 - beta1 ** step)
    return (_lerp_consts(a, 1 - beta1),) + _consts(a, beta2, eps, clr, weight_decay)


def _adamax_one(param, grad, exp_avg, exp_inf, c, weight_decay, maximize, tmp):
    """One parameter's Adamax update on arrays, c = _adamax_consts(...)."""
    lerp1, beta2, eps, clr, wd = c
    if param.dtype.kind == "c":
        param, grad = _real(param), _real(grad)
        exp_avg, exp_inf = _real(exp_avg), _real(exp_inf)
    if maximize:
        grad = -grad
    if weight_decay != 0:
        t = param * wd
        t += grad
        grad = t
    t = tmp(param)
    _lerp_(exp_avg, grad, lerp1, t)                 # exp_avg.lerp_(grad, 1 - beta1)
    exp_inf *= beta2                                # max(exp_inf * beta2, |grad| + eps)
    np.abs(grad, out=t)
    t += eps
    np.maximum(exp_inf, t, out=exp_inf)
    np.multiply(exp_avg, clr, out=t)                # param.addcdiv_(exp_avg, exp_inf, -clr)
    t /= exp_inf
    param -= t


class Adamax(Optimizer):
    """Adamax; see torch.optim.Adamax."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
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
        tmp = self._scratch
        for group in self.param_groups:
            _not_differentiable(group)
            beta1, beta2 = group["betas"]
            lr = _value(_to_scalar(group["lr"]))
            eps, maximize = group["eps"], group["maximize"]
            wd = _value(group["weight_decay"])
            key = c = None
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                a = p._data
                st = state[p]
                if len(st) == 0:
                    st["step"] = _step_tensor()
                    st["exp_avg"] = _wrap(np.zeros_like(a))
                    st["exp_inf"] = _wrap(np.zeros_like(a))
                k = (a.dtype, _incr(st["step"]))
                if k != key:
                    key = k
                    c = _adamax_consts(a, k[1], eps, beta1, beta2, lr, wd)
                _adamax_one(a, g._data, st["exp_avg"]._data, st["exp_inf"]._data, c, wd,
                            maximize, tmp)
                p._bump()
        return loss


def adamax(params, grads, exp_avgs, exp_infs, state_steps, foreach=None, maximize=False,
           differentiable=False, capturable=False, has_complex=False, *, eps, beta1, beta2, lr,
           weight_decay):
    """Functional Adamax on lists of tensors; see torch.optim._functional.adamax."""
    lr = _value(_to_scalar(lr))
    weight_decay = _value(weight_decay)
    tmp = _Scratch()
    for i, param in enumerate(params):
        step = _incr(state_steps[i])
        a = param._data
        c = _adamax_consts(a, step, eps, beta1, beta2, lr, weight_decay)
        _adamax_one(a, grads[i]._data, exp_avgs[i]._data, exp_infs[i]._data, c, weight_decay,
                    maximize, tmp)
        param._bump()
