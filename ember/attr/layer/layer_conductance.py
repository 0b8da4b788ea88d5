"""LayerConductance (Dhamdhere et al.): the flow of integrated gradients through each unit of
a layer — sum over path steps of dF/d(unit) times the unit's change between consecutive steps
(n_steps + 1 points on the straight input path). Captum's semantics and defaults."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..._tensor import Tensor
from .._utils.approximation_methods import approximation_parameters
from .._utils.attribution import GradientAttribution, LayerAttribution
from .._utils.batching import _batch_attribution
from .._utils.common import (
    _expand_additional_forward_args,
    _expand_target,
    _format_additional_forward_args,
    _format_input_baseline,
    _format_output,
    _reshape_and_sum,
    _validate_input,
)
from .._utils.gradient import compute_layer_gradients_and_eval
from ..integrated_gradients import _scaled_path


class LayerConductance(LayerAttribution, GradientAttribution):
    """Conductance of each unit of `layer`; see captum.attr.LayerConductance."""

    def __init__(self, forward_func: Callable, layer, device_ids: None | list[int] = None
                 ) -> None:
        LayerAttribution.__init__(self, forward_func, layer, device_ids)
        GradientAttribution.__init__(self, forward_func)

    def has_convergence_delta(self) -> bool:
        return True

    @property
    def multiplies_by_inputs(self) -> bool:
        return True

    def attribute(self, inputs, baselines=None, target=None,
                  additional_forward_args: object | None = None, n_steps: int = 50,
                  method: str = "gausslegendre", internal_batch_size: None | int = None,
                  return_convergence_delta: bool = False, attribute_to_layer_input: bool = False,
                  grad_kwargs: dict[str, Any] | None = None):
        """Layer-shaped conductances (and the completeness delta if asked)."""
        inputs, baselines = _format_input_baseline(inputs, baselines)
        _validate_input(inputs, baselines, n_steps, method)
        num_examples = inputs[0].shape[0]
        kwargs = dict(inputs=inputs, baselines=baselines, target=target,
                      additional_forward_args=additional_forward_args, method=method,
                      attribute_to_layer_input=attribute_to_layer_input)
        if internal_batch_size is not None:
            attrs = _batch_attribution(self, num_examples, internal_batch_size, n_steps + 1,
                                       include_endpoint=True, **kwargs)
        else:
            attrs = self._attribute(n_steps=n_steps, grad_kwargs=grad_kwargs, **kwargs)
        is_layer_tuple = isinstance(attrs, tuple)
        attributions = attrs if is_layer_tuple else (attrs,)
        if return_convergence_delta:
            delta = self.compute_convergence_delta(
                attributions, baselines, inputs, target=target,
                additional_forward_args=additional_forward_args)
            return _format_output(is_layer_tuple, attributions), delta
        return _format_output(is_layer_tuple, attributions)

    def _attribute(self, inputs: tuple[Tensor, ...], baselines, target=None,
                   additional_forward_args=None, n_steps: int = 50,
                   method: str = "gausslegendre", attribute_to_layer_input: bool = False,
                   step_sizes_and_alphas=None, grad_kwargs: dict[str, Any] | None = None):
        num_examples = inputs[0].shape[0]
        if step_sizes_and_alphas is None:
            _, alphas_func = approximation_parameters(method)
            alphas = alphas_func(n_steps + 1)
        else:
            _, alphas = step_sizes_and_alphas
        scaled = tuple(_scaled_path(inp, b, alphas) for inp, b in zip(inputs, baselines))
        additional_forward_args = _format_additional_forward_args(additional_forward_args)
        input_additional_args = (_expand_additional_forward_args(additional_forward_args,
                                                                 n_steps + 1)
                                 if additional_forward_args is not None else None)
        layer_gradients, layer_evals = compute_layer_gradients_and_eval(
            forward_fn=self.forward_func, layer=self.layer, inputs=scaled,
            additional_forward_args=input_additional_args,
            target_ind=_expand_target(target, n_steps + 1),
            attribute_to_layer_input=attribute_to_layer_input, grad_kwargs=grad_kwargs)
        # the change of the layer between consecutive path points stands in for
        # (input gradient of the layer) * (step), so no input gradients are needed
        grad_diffs = tuple(ev[num_examples:] - ev[:-num_examples] for ev in layer_evals)
        attributions = tuple(
            _reshape_and_sum(gd * lg[:-num_examples], n_steps, num_examples,
                             tuple(ev.shape[1:]))
            for lg, ev, gd in zip(layer_gradients, layer_evals, grad_diffs))
        return _format_output(len(attributions) > 1, attributions)
