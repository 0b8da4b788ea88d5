"""ASGD (averaged SGD): torch.optim.ASGD.

State per parameter: 'step', 'eta', 'mu' (0-dim default-dtype tensors, rounded there as in
torch) and 'ax' (the running average). `_asgd_one` follows torch's single-tensor loop.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap
from .optimizer import Optimizer, _call_closure, _incr, _get_scalar_dtype, _not_differentiable, \
    _real, _state_steps_to_tensors, _step_tensor, _to_scalar, _use_grad, _value

__all__ = ["ASGD", "asgd"]


def _asgd_one(param, grad, ax, mu, eta, step, lambd, lr, t0, alpha, weight_decay, maximize):
    """mu, eta: the 0-dim state arrays, rewritten in place."""
    if maximize:
        grad = -grad
    if param.dtype.kind == "c":
        param, grad, ax = _real(param), _real(grad), _real(ax)
    if weight_decay != 0:
        grad = grad + weight_decay * param
    eta_value = float(eta)
    param *= 1 - lambd * eta_value                  # decay term
    param -= grad * eta_value                       # param.add_(grad, alpha=-eta)
    mu_value = mu[()]
    if mu_value != 1:
        t = param - ax                              # ax.add_(param.sub(ax).mul_(mu))
        t *= mu_value
        ax += t
    else:
        ax[...] = param
    eta[...] = lr / ((1 + lambd * lr * step) ** alpha)
    mu[...] = 1 / max(1, step - t0)


class ASGD(Optimizer):
    """Averaged stochastic gradient descent; see torch.optim.ASGD."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
        _state_steps_to_tensors(self, ("eta", "mu"))

    @_use_grad
    def step(self, closure=None):
        """Perform a single optimization step; closure re-evaluates the model, returns loss."""
        loss = _call_closure(closure)
        state = self.state
        for group in self.param_groups:
            _not_differentiable(group)
            lr = _value(_to_scalar(group["lr"]))
            wd = _value(group["weight_decay"])
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                st = state[p]
                if len(st) == 0:
                    st["step"] = _step_tensor()
                    st["eta"] = _wrap(np.array(lr, dtype=_get_scalar_dtype().np))
                    st["mu"] = _step_tensor(1.0)
                    st["ax"] = _wrap(np.zeros_like(p._data))
                step = _incr(st["step"])
                _asgd_one(p._data, g._data, st["ax"]._data, st["mu"]._data, st["eta"]._data,
                          step, group["lambd"], lr, group["t0"], group["alpha"],
                          wd, group["maximize"])
                p._bump()
        return loss


def asgd(params, grads, axs, mus, etas, state_steps, foreach=None, maximize=False,
         differentiable=False, capturable=False, has_complex=False, *, lambd, lr, t0, alpha,
         weight_decay):
    """Functional ASGD on lists of tensors; see torch.optim._functional.asgd."""
    lr = _value(_to_scalar(lr))
    weight_decay = _value(weight_decay)
    for i, param in enumerate(params):
        step = _incr(state_steps[i])
        _asgd_one(param._data, grads[i]._data, axs[i]._data, mus[i]._data, etas[i]._data,
                  step, lambd, lr, t0, alpha, weight_decay, maximize)
        param._bump()
