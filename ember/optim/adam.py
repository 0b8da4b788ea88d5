"""Adam (and, with decoupled_weight_decay, AdamW): torch.optim.Adam.

`_adam_one` is the in-place update of one parameter's arrays in the operation order of
torch's single-tensor loop (lerp for the first moment, mul + addcmul for the second, addcdiv
for the parameter); `Adam.step` feeds it, `adam` is the functional form on tensor lists.
capturable / foreach / fused are accepted and run the same loop.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap
from .optimizer import Optimizer, _call_closure, _incr, _consts, _lerp_, _lerp_consts, \
    _not_differentiable, _real, _Scratch, _state_steps_to_tensors, _step_tensor, _to_scalar, \
    _use_grad, _value

__all__ = ["Adam", "adam"]


def _adam_consts(a, step, lr, beta1, beta2, weight_decay, eps, decoupled_weight_decay):
    """The per-step scalars, computed in Python exactly as torch computes them."""
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2 ** 0.5
    wd = 1 - lr * weight_decay if decoupled_weight_decay else weight_decay
    return (_lerp_consts(a, 1 - beta1),) + _consts(a, wd, beta2, 1 - beta2, step_size,
                                                   bias_correction2_sqrt, eps)


def _adam_one(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, c, weight_decay,
              decoupled_weight_decay, maximize, tmp):
    """One parameter's Adam update on arrays, c = _adam_consts(...)."""
    lerp1, wd, beta2, one_minus_beta2, step_size, bias_correction2_sqrt, eps = c
    if param.dtype.kind == "c":
        param, grad, exp_avg, exp_avg_sq = _real(param), _real(grad), _real(exp_avg), \
            _real(exp_avg_sq)
        if max_exp_avg_sq is not None:
            max_exp_avg_sq = _real(max_exp_avg_sq)
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= wd                             # param.mul_(1 - lr * weight_decay)
        else:
            t = param * wd                          # grad.add(param, alpha=weight_decay)
            t += grad
            grad = t
    t = tmp(param)
    _lerp_(exp_avg, grad, lerp1, t)                 # exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq *= beta2                             # .mul_(beta2).addcmul_(g, g, 1 - beta2)
    np.multiply(grad, one_minus_beta2, out=t)
    t *= grad
    exp_avg_sq += t
    denom = tmp(param, 1)
    if max_exp_avg_sq is not None:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        np.sqrt(max_exp_avg_sq, out=denom)
    else:
        np.sqrt(exp_avg_sq, out=denom)
    denom /= bias_correction2_sqrt
    denom += eps
    np.multiply(exp_avg, step_size, out=t)          # param.addcdiv_(exp_avg, denom, -step)
    t /= denom
    param -= t


def _check_betas_and_lr(lr, betas, eps, weight_decay, foreach, capturable):
    if isinstance(lr, Tensor):
        if foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and "
                             "foreach=True")
        if lr.numel() != 1:
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


class Adam(Optimizer):
    """Adam; see torch.optim.Adam (decoupled_weight_decay=True is AdamW)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_betas_and_lr(lr, betas, eps, weight_decay, foreach, capturable)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for "
                                     "capturable=False and foreach=True")
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(map(_to_scalar, betas))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            self._step_supports_amp_scaling = True
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)
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
            beta1, beta2 = _value(_to_scalar(beta1)), _value(_to_scalar(beta2))
            lr = _value(_to_scalar(group["lr"]))
            wd = _value(group["weight_decay"])
            eps = group["eps"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
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
                    if amsgrad:
                        st["max_exp_avg_sq"] = _wrap(np.zeros_like(a))
                k = (a.dtype, _incr(st["step"]))
                if k != key:
                    key = k
                    c = _adam_consts(a, k[1], lr, beta1, beta2, wd, eps, decoupled)
                _adam_one(a, g._data, st["exp_avg"]._data, st["exp_avg_sq"]._data,
                          st["max_exp_avg_sq"]._data if amsgrad else None, c, wd, decoupled,
                          maximize, tmp)
                p._bump()
        return loss


def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, foreach=None,
         capturable=False, differentiable=False, fused=None, grad_scale=None, found_inf=None,
         has_complex=False, decoupled_weight_decay=False, *, amsgrad, beta1, beta2, lr,
         weight_decay, eps, maximize):
    """Functional Adam on lists of tensors (increments state_steps); see
    torch.optim._functional.adam."""
    if grad_scale is not None or found_inf is not None:
        raise NotImplementedError("ember.optim.adam: grad_scale/found_inf (AMP) are not "
                                  "supported")
    lr = _value(_to_scalar(lr))
    beta1, beta2 = _value(_to_scalar(beta1)), _value(_to_scalar(beta2))
    weight_decay = _value(weight_decay)
    tmp = _Scratch()
    for i, param in enumerate(params):
        step = _incr(state_steps[i])
        a = param._data
        c = _adam_consts(a, step, lr, beta1, beta2, weight_decay, eps,
                         decoupled_weight_decay)
        _adam_one(a, grads[i]._data, exp_avgs[i]._data, exp_avg_sqs[i]._data,
                  max_exp_avg_sqs[i]._data if amsgrad else None, c, weight_decay,
                  decoupled_weight_decay, maximize, tmp)
        param._bump()
