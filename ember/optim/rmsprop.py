"""RMSprop (plain or centered, with optional momentum): torch.optim.RMSprop.

`_rmsprop_one` updates one parameter's arrays in place in the order of torch's single-tensor
loop; `RMSprop.step` feeds it and `rmsprop` is the functional form on tensor lists.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap
from .optimizer import Optimizer, _call_closure, _incr, _consts, _lerp_, _lerp_consts, \
    _not_differentiable, _real, _Scratch, _state_steps_to_tensors, _step_tensor, _to_scalar, \
    _use_grad, _value

__all__ = ["RMSprop", "rmsprop"]


def _rmsprop_consts(a, lr, alpha, eps, weight_decay, momentum):
    return (_lerp_consts(a, 1 - alpha),) + _consts(a, lr, alpha, 1 - alpha, eps, weight_decay,
                                                   momentum)


def _rmsprop_one(param, grad, square_avg, grad_avg, buf, c, weight_decay, momentum, centered,
                 maximize, tmp):
    """One parameter's RMSprop update on arrays, c = _rmsprop_consts(...)."""
    lerp, lr, alpha, one_minus_alpha, eps, wd, mom = c
    if param.dtype.kind == "c":
        param, grad, square_avg = _real(param), _real(grad), _real(square_avg)
        grad_avg = None if grad_avg is None else _real(grad_avg)
        buf = None if buf is None else _real(buf)
    if maximize:
        grad = -grad
    if weight_decay != 0:
        t = param * wd
        t += grad
        grad = t
    t = tmp(param)
    square_avg *= alpha                             # .mul_(alpha).addcmul_(g, g, 1 - alpha)
    np.multiply(grad, one_minus_alpha, out=t)
    t *= grad
    square_avg += t
    avg = tmp(param, 1)
    if centered:
        _lerp_(grad_avg, grad, lerp, t)             # grad_avg.lerp_(grad, 1 - alpha)
        np.multiply(grad_avg, grad_avg, out=t)      # addcmul(grad_avg, grad_avg, value=-1)
        np.subtract(square_avg, t, out=avg)
        np.sqrt(avg, out=avg)
    else:
        np.sqrt(square_avg, out=avg)
    avg += eps
    if momentum > 0:
        buf *= mom                                  # .mul_(momentum).addcdiv_(grad, avg)
        np.divide(grad, avg, out=t)
        buf += t
        np.multiply(buf, lr, out=t)                 # param.add_(buf, alpha=-lr)
    else:
        np.multiply(grad, lr, out=t)                # param.addcdiv_(grad, avg, value=-lr)
        t /= avg
    param -= t


class RMSprop(Optimizer):
    """RMSprop; see torch.optim.RMSprop."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
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
            wd = _value(group["weight_decay"])
            momentum, centered = group["momentum"], group["centered"]
            maximize = group["maximize"]
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
                    if momentum > 0:
                        st["momentum_buffer"] = _wrap(np.zeros_like(a))
                    if centered:
                        st["grad_avg"] = _wrap(np.zeros_like(a))
                _incr(st["step"])
                if a.dtype is not dt:
                    dt = a.dtype
                    c = _rmsprop_consts(a, lr, group["alpha"], group["eps"], wd, momentum)
                _rmsprop_one(a, g._data, st["square_avg"]._data,
                             st["grad_avg"]._data if centered else None,
                             st["momentum_buffer"]._data if momentum > 0 else None, c, wd,
                             momentum, centered, maximize, tmp)
                p._bump()
        return loss


def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps,
            foreach=None, maximize=False, differentiable=False, capturable=False,
            has_complex=False, *, lr, alpha, eps, weight_decay, momentum, centered):
    """Functional RMSprop on lists of tensors; see torch.optim._functional.rmsprop."""
    lr = _value(_to_scalar(lr))
    weight_decay = _value(weight_decay)
    tmp = _Scratch()
    for i, param in enumerate(params):
        _incr(state_steps[i])
        a = param._data
        c = _rmsprop_consts(a, lr, alpha, eps, weight_decay, momentum)
        _rmsprop_one(a, grads[i]._data, square_avgs[i]._data,
                     grad_avgs[i]._data if centered else None,
                     momentum_buffer_list[i]._data if momentum > 0 else None, c, weight_decay,
                     momentum, centered, maximize, tmp)
        param._bump()
