"""Adagrad (with lr_decay and initial_accumulator_value): torch.optim.Adagrad.

Like torch, the state ('step', 'sum') is made for every parameter in the constructor.
`_adagrad_one` is the in-place update of one parameter's arrays in the order of torch's
single-tensor loop; `adagrad` is the functional form on tensor lists.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap
from .optimizer import Optimizer, _call_closure, _incr, _consts, _not_differentiable, _real, \
    _Scratch, _step_tensor, _to_scalar, _use_grad, _value

__all__ = ["Adagrad", "adagrad"]


def _adagrad_one(param, grad, state_sum, c, weight_decay, maximize, tmp):
    """One parameter's Adagrad update; c = _consts(param, weight_decay, clr, eps)."""
    wd, clr, eps = c
    if param.dtype.kind == "c":
        param, grad, state_sum = _real(param), _real(grad), _real(state_sum)
    if maximize:
        grad = -grad
    if weight_decay != 0:
        t = param * wd
        t += grad
        grad = t
    t = tmp(param)
    np.multiply(grad, grad, out=t)                  # state_sum.addcmul_(grad, grad, value=1)
    state_sum += t
    std = tmp(param, 1)
    np.sqrt(state_sum, out=std)
    std += eps
    np.multiply(grad, clr, out=t)                   # param.addcdiv_(grad, std, value=-clr)
    t /= std
    param -= t


def _full_sum(p, value):
    a = np.empty_like(p._data)
    a.fill(complex(value, value) if a.dtype.kind == "c" else value)
    return _wrap(a)


class Adagrad(Optimizer):
    """Adagrad; see torch.optim.Adagrad."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
            self._step_supports_amp_scaling = True
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state[p]
                st["step"] = _step_tensor()
                st["sum"] = _full_sum(p, initial_accumulator_value)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)
        for s in self.state.values():
            if "step" in s and not isinstance(s["step"], Tensor):
                s["step"] = _step_tensor(float(s["step"]))

    def share_memory(self):
        """Tensor.share_memory_() on the 'sum' tensors (a no-op for NumPy memory)."""
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["sum"].share_memory_()

    @_use_grad
    def step(self, closure=None):
        """Perform a single optimization step; closure re-evaluates the model, returns loss."""
        loss = _call_closure(closure)
        state = self.state
        tmp = self._scratch
        init = self.defaults["initial_accumulator_value"]
        for group in self.param_groups:
            _not_differentiable(group)
            lr = _value(_to_scalar(group["lr"]))
            wd = _value(group["weight_decay"])
            lr_decay, eps, maximize = group["lr_decay"], group["eps"], group["maximize"]
            key = c = None
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                a = p._data
                st = state[p]
                if len(st) == 0:
                    st["step"] = _step_tensor()
                    st["sum"] = _full_sum(p, init)
                k = (a.dtype, _incr(st["step"]))
                if k != key:
                    key = k
                    c = _consts(a, wd, lr / (1 + (k[1] - 1) * lr_decay), eps)
                _adagrad_one(a, g._data, st["sum"]._data, c, wd, maximize, tmp)
                p._bump()
        return loss


def adagrad(params, grads, state_sums, state_steps, fused=None, grad_scale=None,
            found_inf=None, has_sparse_grad=False, foreach=None, differentiable=False,
            has_complex=False, *, lr, weight_decay, lr_decay, eps, maximize):
    """Functional Adagrad on lists of tensors; see torch.optim._functional.adagrad."""
    if grad_scale is not None or found_inf is not None:
        raise NotImplementedError("ember.optim.adagrad: grad_scale/found_inf (AMP) are not "
                                  "supported")
    lr = _value(_to_scalar(lr))
    weight_decay = _value(weight_decay)
    tmp = _Scratch()
    for i, param in enumerate(params):
        step = _incr(state_steps[i])
        a = param._data
        c = _consts(a, weight_decay, lr / (1 + (step - 1) * lr_decay), eps)
        _adagrad_one(a, grads[i]._data, state_sums[i]._data, c, weight_decay, maximize, tmp)
        param._bump()
