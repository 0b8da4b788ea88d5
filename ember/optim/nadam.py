"""NAdam (Adam with Nesterov momentum, optional decoupled weight decay): torch.optim.NAdam.

`_nadam_one` updates one parameter's arrays in place in the order of torch's single-tensor
loop; the running 'mu_product' is a float32 (default-dtype) 0-dim tensor, rounded at every
step as in torch. `nadam` is the functional form on tensor lists.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap
from .optimizer import Optimizer, _call_closure, _incr, _consts, _lerp_, _lerp_consts, \
    _not_differentiable, _real, _Scratch, _state_steps_to_tensors, _step_tensor, _to_scalar, \
    _use_grad, _value

__all__ = ["NAdam", "nadam"]


def _nadam_consts(a, step, beta1, beta2, lr, weight_decay, momentum_decay, eps,
                  decoupled_weight_decay):
    """Per-step scalars: (array constants, mu, mu_next), computed as torch computes them."""
    bias_correction2 = 1 - beta2 ** step
    wd = 1 - lr * weight_decay if decoupled_weight_decay else weight_decay
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    c = (_lerp_consts(a, 1 - beta1),) + _consts(a, wd, beta2, 1 - beta2, bias_correction2, eps)
    return c, mu, mu_next


def _nadam_one(param, grad, exp_avg, exp_avg_sq, mu_product, cs, lr, weight_decay,
               decoupled_weight_decay, maximize, tmp):
    """One parameter's NAdam update on arrays; mu_product is the 0-dim state array (in the
    default dtype, rounded there as in torch), updated in place."""
    c, mu, mu_next = cs
    lerp1, wd, beta2, one_minus_beta2, bias_correction2, eps = c
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
    mu_product *= mu
    t = tmp(param)
    _lerp_(exp_avg, grad, lerp1, t)
    exp_avg_sq *= beta2                             # .mul_(beta2).addcmul_(g, g, 1 - beta2)
    np.multiply(grad, one_minus_beta2, out=t)
    t *= grad
    exp_avg_sq += t
    denom = tmp(param, 1)
    np.divide(exp_avg_sq, bias_correction2, out=denom)
    np.sqrt(denom, out=denom)
    mu_prod = float(mu_product)
    mu_product_next = mu_prod * mu_next
    denom += eps
    v1, v2 = _consts(param, -lr * (1.0 - mu) / (1.0 - mu_prod),
                     (-lr * mu_next) / (1.0 - mu_product_next))
    np.multiply(grad, v1, out=t)                    # param.addcdiv_(grad, denom, value=v1)
    t /= denom
    param += t
    np.multiply(exp_avg, v2, out=t)                 # param.addcdiv_(exp_avg, denom, value=v2)
    t /= denom
    param += t


class NAdam(Optimizer):
    """NAdam; see torch.optim.NAdam."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
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
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
        _state_steps_to_tensors(self, ("mu_product",))

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
            key = cs = None
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                a = p._data
                st = state[p]
                if len(st) == 0:
                    st["step"] = _step_tensor()
                    st["mu_product"] = _step_tensor(1.0)
                    st["exp_avg"] = _wrap(np.zeros_like(a))
                    st["exp_avg_sq"] = _wrap(np.zeros_like(a))
                k = (a.dtype, _incr(st["step"]))
                if k != key:
                    key = k
                    cs = _nadam_consts(a, k[1], beta1, beta2, lr, wd, group["momentum_decay"],
                                       group["eps"], decoupled)
                _nadam_one(a, g._data, st["exp_avg"]._data, st["exp_avg_sq"]._data,
                           st["mu_product"]._data, cs, lr, wd, decoupled, group["maximize"],
                           tmp)
                p._bump()
        return loss


def nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps,
          decoupled_weight_decay=False, foreach=None, capturable=False, differentiable=False,
          has_complex=False, maximize=False, *, beta1, beta2, lr, weight_decay, momentum_decay,
          eps):
    """Functional NAdam on lists of tensors; see torch.optim._functional.nadam."""
    lr = _value(_to_scalar(lr))
    weight_decay = _value(weight_decay)
    tmp = _Scratch()
    for i, param in enumerate(params):
        step = _incr(state_steps[i])
        a = param._data
        cs = _nadam_consts(a, step, beta1, beta2, lr, weight_decay, momentum_decay,
                           eps, decoupled_weight_decay)
        _nadam_one(a, grads[i]._data, exp_avgs[i]._data, exp_avg_sqs[i]._data,
                   mu_products[i]._data, cs, lr, weight_decay, decoupled_weight_decay,
                   maximize, tmp)
        param._bump()
