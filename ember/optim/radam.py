"""RAdam (rectified Adam, optional decoupled weight decay): torch.optim.RAdam.

`_radam_one` updates one parameter's arrays in place in the order of torch's single-tensor
loop (including `scalar / tensor` computed as `reciprocal(tensor) * scalar`, as torch's
Tensor.__rtruediv__ does); `radam` is the functional form on tensor lists.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap
from .optimizer import Optimizer, _call_closure, _incr, _consts, _lerp_, _lerp_consts, \
    _not_differentiable, _real, _Scratch, _state_steps_to_tensors, _step_tensor, _to_scalar, \
    _use_grad, _value

__all__ = ["RAdam", "radam"]


def _radam_consts(a, step, beta1, beta2, lr, weight_decay, eps, decoupled_weight_decay):
    """Per-step scalars (and whether the variance is tractable, rho_t > 5)."""
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
    rect = 0.0
    if rho_t > 5.0:
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
    wd = 1 - lr * weight_decay if decoupled_weight_decay else weight_decay
    return (rho_t > 5.0, _lerp_consts(a, 1 - beta1)) + _consts(
        a, wd, beta2, 1 - beta2, bias_correction1, lr, eps, bias_correction2 ** 0.5, rect)


def _radam_one(param, grad, exp_avg, exp_avg_sq, c, weight_decay, decoupled_weight_decay,
               maximize, tmp):
    """One parameter's RAdam update on arrays, c = _radam_consts(...); `scalar / tensor` is
    reciprocal(tensor) * scalar, as torch's Tensor.__rtruediv__ computes it."""
    tractable, lerp1, wd, beta2, one_minus_beta2, bc1, lr, eps, bc2_sqrt, rect = c
    if param.dtype.kind == "c":
        param, grad = _real(param), _real(grad)
        exp_avg, exp_avg_sq = _real(exp_avg), _real(exp_avg_sq)
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= wd                             # param.mul_(1 - lr * weight_decay)
        else:
            t = param * wd
            t += grad
            grad = t
    t = tmp(param)
    _lerp_(exp_avg, grad, lerp1, t)
    exp_avg_sq *= beta2                             # .mul_(beta2).addcmul_(g, g, 1 - beta2)
    np.multiply(grad, one_minus_beta2, out=t)
    t *= grad
    exp_avg_sq += t
    update = tmp(param, 1)
    np.divide(exp_avg, bc1, out=update)             # bias-corrected exp_avg * lr
    update *= lr
    if tractable:
        np.sqrt(exp_avg_sq, out=t)                  # * sqrt(bc2) / (sqrt(v) + eps) * rect
        t += eps
        np.reciprocal(t, out=t)
        t *= bc2_sqrt
        update *= t
        update *= rect
    param -= update                                 # param.add_(update, alpha=-1.0)


class RAdam(Optimizer):
    """RAdam; see torch.optim.RAdam."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
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
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
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
            wd = _value(group["weight_decay"])
            decoupled = group["decoupled_weight_decay"]
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
                    st["exp_avg_sq"] = _wrap(np.zeros_like(a))
                k = (a.dtype, _incr(st["step"]))
                if k != key:
                    key = k
                    c = _radam_consts(a, k[1], beta1, beta2, lr, wd, group["eps"], decoupled)
                _radam_one(a, g._data, st["exp_avg"]._data, st["exp_avg_sq"]._data, c, wd,
                           decoupled, group["maximize"], tmp)
                p._bump()
        return loss


def radam(params, grads, exp_avgs, exp_avg_sqs, state_steps, decoupled_weight_decay=False,
          foreach=None, differentiable=False, capturable=False, has_complex=False,
          maximize=False, *, beta1, beta2, lr, weight_decay, eps):
    """Functional RAdam on lists of tensors; see torch.optim._functional.radam."""
    lr = _value(_to_scalar(lr))
    weight_decay = _value(weight_decay)
    tmp = _Scratch()
    for i, param in enumerate(params):
        step = _incr(state_steps[i])
        a = param._data
        c = _radam_consts(a, step, beta1, beta2, lr, weight_decay, eps,
                          decoupled_weight_decay)
        _radam_one(a, grads[i]._data, exp_avgs[i]._data, exp_avg_sqs[i]._data, c,
                   weight_decay, decoupled_weight_decay, maximize, tmp)
        param._bump()
