"""IntegratedGradients (Sundararajan et al.): (x - x') * integral of dF/dx along the straight
path from the baseline x' to x, by a riemann or gauss-legendre rule (captum's names/defaults).

All steps of the path go through the model as one batch (or chunks of internal_batch_size
rows); the scaled inputs for every alpha are built with one broadcast expression.
"""
from __future__ import annotations

from collections.abc import Callable

from .. import _creation as C
from .._dtype import get_default_dtype
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ._utils.approximation_methods import approximation_parameters
from ._utils.attribution import GradientAttribution
from ._utils.batching import _batch_attribution
from ._utils.common import (
    _expand_additional_forward_args,
    _expand_target,
    _format_additional_forward_args,
    _format_input_baseline,
    _format_output,
    _is_tuple,
    _reshape_and_sum,
    _validate_input,
)


def _scaled_path(inp: Tensor, baseline, alphas: list[float]) -> Tensor:
    """cat([baseline + alpha * (inp - baseline) for alpha in alphas]) as one broadcast:
    (len(alphas) * N, *inp.shape[1:]), a new leaf that requires grad."""
    with no_grad():
        diff = inp - baseline
        if not diff.dtype.is_floating_point:
            diff = diff.to(get_default_dtype())  # alpha * int tensor is a float tensor
        shape = (len(alphas),) + (1,) * diff.dim()
        a = C.tensor(alphas, dtype=diff.dtype, device=diff.device).reshape(shape)
        path = baseline + a * diff.unsqueeze(0)
        n = len(alphas) * path.shape[1]
        path = path.reshape((n,) + tuple(path.shape[2:]))
    return path.requires_grad_()


class IntegratedGradients(GradientAttribution):
    """Integrated gradients along the straight path from baselines to inputs; see
    captum.attr.IntegratedGradients (multiply_by_inputs=False gives the plain integral)."""

    def __init__(self, forward_func: Callable, multiply_by_inputs: bool = True) -> None:
        GradientAttribution.__init__(self, forward_func)
        self._multiply_by_inputs = multiply_by_inputs

    def attribute(self, inputs, baselines=None, target=None,
                  additional_forward_args: object | None = None, n_steps: int = 50,
                  method: str = "gausslegendre", internal_batch_size: None | int = None,
                  return_convergence_delta: bool = False):
        """Attributions shaped like the inputs (and the completeness delta if asked)."""
        is_inputs_tuple = _is_tuple(inputs)
        formatted_inputs, formatted_baselines = _format_input_baseline(inputs, baselines)
        _validate_input(formatted_inputs, formatted_baselines, n_steps, method)
        kwargs = dict(inputs=formatted_inputs, baselines=formatted_baselines, target=target,
                      additional_forward_args=additional_forward_args, method=method)
        if internal_batch_size is not None:
            attributions = _batch_attribution(self, formatted_inputs[0].shape[0],
                                              internal_batch_size, n_steps, **kwargs)
        else:
            attributions = self._attribute(n_steps=n_steps, **kwargs)
        if return_convergence_delta:
            delta = self.compute_convergence_delta(
                attributions, baselines, inputs,
                additional_forward_args=additional_forward_args, target=target)
            return _format_output(is_inputs_tuple, attributions), delta
        return _format_output(is_inputs_tuple, attributions)

    def _attribute(self, inputs: tuple[Tensor, ...], baselines, target=None,
                   additional_forward_args=None, n_steps: int = 50,
                   method: str = "gausslegendre",
                   step_sizes_and_alphas: None | tuple[list[float], list[float]] = None
                   ) -> tuple[Tensor, ...]:
        if step_sizes_and_alphas is None:
            step_sizes_func, alphas_func = approximation_parameters(method)
            step_sizes, alphas = step_sizes_func(n_steps), alphas_func(n_steps)
        else:
            step_sizes, alphas = step_sizes_and_alphas
        scaled = tuple(_scaled_path(inp, b, alphas) for inp, b in zip(inputs, baselines))
        additional_forward_args = _format_additional_forward_args(additional_forward_args)
        input_additional_args = (_expand_additional_forward_args(additional_forward_args,
                                                                 n_steps)
                                 if additional_forward_args is not None else None)
        grads = self.gradient_func(forward_fn=self.forward_func, inputs=scaled,
                                   target_ind=_expand_target(target, n_steps),
                                   additional_forward_args=input_additional_args)
        # Captum weights the steps with float32 step sizes whatever the input dtype
        steps = C.tensor(step_sizes).float().view(n_steps, 1)
        total_grads = tuple(
            _reshape_and_sum(g.contiguous().view(n_steps, -1) * steps.to(g.device), n_steps,
                             g.shape[0] // n_steps, tuple(g.shape[1:]))
            for g in grads)
        if not self.multiplies_by_inputs:
            return total_grads
        return tuple(tg * (inp - b) for tg, inp, b in zip(total_grads, inputs, baselines))

    def has_convergence_delta(self) -> bool:
        return True

    @property
    def multiplies_by_inputs(self) -> bool:
        return self._multiply_by_inputs
