"""SGD (with momentum, dampening, Nesterov, weight decay, maximize): torch.optim.SGD.

`SGD.step` walks the param groups and calls `_sgd_one`, the in-place update of one parameter's
array, written in the order of torch's single-tensor (foreach=False) loop so the floating-point
results agree; `sgd` is the functional form (torch.optim._functional.sgd) on tensor lists.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap
from .optimizer import Optimizer, _call_closure, _consts, _not_differentiable, _Scratch, \
    _to_scalar, _use_grad, _value

__all__ = ["SGD", "sgd"]


def _sgd_one(param, grad, buf, c, weight_decay, momentum, dampening, nesterov, maximize,
             tmp):
    """One parameter's update on arrays; c = _consts(param, lr, weight_decay, momentum,
    1 - dampening); returns the momentum buffer (on the first step a copy of the gradient,
    as in torch)."""
    lr, wd, mom, one_minus_damp = c
    fresh = False
    if maximize:
        grad = -grad
        fresh = True
    if weight_decay != 0:
        t = param * wd                              # grad.add(param, alpha=weight_decay)
        t += grad
        grad = t
        fresh = True
    if momentum != 0:
        if buf is None:
            if not fresh:
                buf = grad.copy()
            elif isinstance(grad, np.generic):
                buf = np.array(grad)                # 0-dim arithmetic gives NumPy scalars
            else:
                buf = grad
        else:
            buf *= mom                              # buf.mul_(momentum).add_(grad, 1 - damp)
            if dampening == 0:
                buf += grad                         # alpha 1: the product is exact
            else:
                t = tmp(param)
                np.multiply(grad, one_minus_damp, out=t)
                buf += t
        if nesterov:
            t = buf * mom                           # grad.add(buf, alpha=momentum)
            t += grad
            grad = t
        else:
            grad = buf
    t = tmp(param)                                  # param.add_(grad, alpha=-lr)
    np.multiply(grad, lr, out=t)
    param -= t
    return buf


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum; see torch.optim.SGD."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused:
            # torch's fused kernel computes the same update; ember runs the one loop
            self._step_supports_amp_scaling = True
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    @_use_grad
    def step(self, closure=None):
        """Perform a single optimization step; closure re-evaluates the model, returns loss."""
        loss = _call_closure(closure)
        state = self.state
        tmp = self._scratch
        for group in self.param_groups:
            _not_differentiable(group)
            lr = _value(_to_scalar(group["lr"]))
            wd = _value(group["weight_decay"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            dt = c = None
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                a = p._data
                if a.dtype is not dt:
                    dt = a.dtype
                    c = _consts(a, lr, wd, momentum, 1 - dampening)
                if momentum != 0:
                    st = state[p]
                    buf = st.get("momentum_buffer")
                    new = _sgd_one(a, g._data, None if buf is None else buf._data, c, wd,
                                   momentum, dampening, nesterov, maximize, tmp)
                    if buf is None:
                        st["momentum_buffer"] = _wrap(new)
                else:
                    _sgd_one(a, g._data, None, c, wd, 0, dampening, nesterov, maximize, tmp)
                p._bump()
        return loss


def sgd(params, d_p_list, momentum_buffer_list, has_sparse_grad=False, foreach=None,
        fused=None, grad_scale=None, found_inf=None, *, weight_decay, momentum, lr, dampening,
        nesterov, maximize):
    """Functional SGD on lists of tensors (fills None momentum buffers in the list); see
    torch.optim._functional.sgd."""
    if grad_scale is not None or found_inf is not None:
        raise NotImplementedError("ember.optim.sgd: grad_scale/found_inf (AMP) are not "
                                  "supported")
    lr = _value(_to_scalar(lr))
    weight_decay = _value(weight_decay)
    tmp = _Scratch()
    for i, param in enumerate(params):
        buf = momentum_buffer_list[i] if momentum != 0 else None
        a = param._data
        c = _consts(a, lr, weight_decay, momentum, 1 - dampening)
        new = _sgd_one(a, d_p_list[i]._data, None if buf is None else buf._data, c,
                       weight_decay, momentum, dampening, nesterov, maximize, tmp)
        if momentum != 0 and buf is None:
            momentum_buffer_list[i] = _wrap(new)
        param._bump()
