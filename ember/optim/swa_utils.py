"""Stochastic weight averaging: torch.optim.swa_utils (AveragedModel, update_bn, SWALR and the
averaging functions).

SWALR is a scheduler and the averaging functions work on tensors, so they load with
ember.optim; AveragedModel is an nn.Module, built on first use so that importing ember.optim
never needs ember.nn.
"""
from __future__ import annotations

import itertools
import math
import warnings
from copy import deepcopy

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from .lr_scheduler import LRScheduler, _format_param
from .optimizer import _lerp_, _lerp_consts, _real

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",  # noqa: F822
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _lerp_w(a, end, weight):
    # torch._foreach_lerp_ with a scalar weight, one tensor at a time (torch's CPU path)
    _lerp_(_real(a), _real(end), _lerp_consts(a, weight), np.empty_like(_real(a)))


def get_ema_multi_avg_fn(decay=0.999):
    """In-place EMA over lists of tensors: ema = lerp(ema, current, 1 - decay)."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")

    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            if ema_param_list[0].is_floating_point() or ema_param_list[0].is_complex():
                for p_ema, p_model in zip(ema_param_list, current_param_list):
                    _lerp_w(p_ema._data, p_model._data, 1 - decay)
                    p_ema._bump()
            else:
                for p_ema, p_model in zip(ema_param_list, current_param_list):
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """In-place running mean over lists of tensors: avg += (current - avg) / (n + 1)."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with no_grad():
            if averaged_param_list[0].is_floating_point() or averaged_param_list[0].is_complex():
                weight = 1 / (num_averaged + 1)   # a tensor counter divides in float32
                if isinstance(weight, Tensor):
                    weight = weight._data[()]
                for p_avg, p_model in zip(averaged_param_list, current_param_list):
                    _lerp_w(p_avg._data, p_model._data, weight)
                    p_avg._bump()
            else:
                for p_avg, p_model in zip(averaged_param_list, current_param_list):
                    diff = p_model - p_avg
                    if isinstance(num_averaged, Tensor):
                        p_avg.addcdiv_(diff, num_averaged + 1)
                    else:
                        p_avg.add_(diff, alpha=1.0 / (num_averaged + 1))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """ema_update(ema, current, n) -> decay * ema + (1 - decay) * current."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """swa_update(avg, current, n) -> avg + (current - avg) / (n + 1)."""
    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


def _make_averaged_model():
    from .. import nn

    class AveragedModel(nn.Module):
        """A copy of `model` whose parameters are the running average (SWA) or EMA of the
        model's; see torch.optim.swa_utils.AveragedModel."""

        def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None,
                     use_buffers=False):
            super().__init__()
            if avg_fn is not None and multi_avg_fn is not None:
                raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
            self.module = deepcopy(model)
            if device is not None:
                self.module = self.module.to(device)
            from .._creation import tensor
            self.register_buffer("n_averaged", tensor(0, dtype=D.int64, device=device))
            self.avg_fn = avg_fn
            self.multi_avg_fn = multi_avg_fn
            self.use_buffers = use_buffers

        def forward(self, *args, **kwargs):
            return self.module(*args, **kwargs)

        def update_parameters(self, model):
            """Fold `model`'s current parameters (and buffers with use_buffers) into the
            average."""
            with no_grad():
                self._update(model)

        def _update(self, model):
            if self.use_buffers:
                self_param = itertools.chain(self.module.parameters(), self.module.buffers())
                model_param = itertools.chain(model.parameters(), model.buffers())
            else:
                self_param, model_param = self.parameters(), model.parameters()
            mine, theirs = [], []
            copy_param = bool(self.n_averaged == 0)
            for p_avg, p_model in zip(self_param, model_param):
                p_model_ = p_model.detach().to(p_avg.device)
                mine.append(p_avg.detach())
                theirs.append(p_model_)
                if copy_param:
                    p_avg.detach().copy_(p_model_)
            if self.n_averaged > 0:
                if self.multi_avg_fn is not None:
                    # one call per (device, dtype) group, in order of first appearance
                    groups = {}
                    for p_avg, p_model in zip(mine, theirs):
                        ms, ts = groups.setdefault((str(p_avg.device), p_avg.dtype), ([], []))
                        ms.append(p_avg)
                        ts.append(p_model)
                    for ms, ts in groups.values():
                        self.multi_avg_fn(ms, ts, self.n_averaged.to(ms[0].device))
                elif self.avg_fn is None:
                    # torch's CPU path (no foreach kernels): the plain running mean per tensor
                    avg_fn = get_swa_avg_fn()
                    for p_avg, p_model in zip(mine, theirs):
                        p_avg.copy_(avg_fn(p_avg, p_model, self.n_averaged))
                else:
                    for p_avg, p_model in zip(mine, theirs):
                        p_avg.detach().copy_(self.avg_fn(p_avg.detach(), p_model,
                                                         self.n_averaged))
            if not self.use_buffers:
                for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                    b_swa.detach().copy_(b_model.detach().to(b_swa.device))
            self.n_averaged += 1

    AveragedModel.__module__ = __name__
    return AveragedModel


def update_bn(loader, model, device=None):
    """Recompute BatchNorm running statistics with one pass over `loader`; see
    torch.optim.swa_utils.update_bn."""
    from ..nn.modules.batchnorm import _BatchNorm
    with no_grad():
        momenta = {}
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                module.reset_running_stats()
                momenta[module] = module.momentum
        if not momenta:
            return
        was_training = model.training
        model.train()
        for module in momenta:
            module.momentum = None  # a cumulative average over the whole pass
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            if device is not None:
                input = input.to(device)
            model(input)
        for module in momenta:
            module.momentum = momenta[module]
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to a fixed swa_lr over anneal_epochs (cos or linear); see
    torch.optim.swa_utils.SWALR."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use "
                          "`get_last_lr()`.", UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        # recover the lr the annealing started from, then move alpha of the way to swa_lr
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else \
            self._linear_anneal

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)


def __getattr__(name):
    if name == "AveragedModel":
        cls = _make_averaged_model()
        globals()["AveragedModel"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
