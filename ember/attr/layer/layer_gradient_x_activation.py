"""LayerGradientXActivation: a layer's activations times the target's gradient w.r.t. them
(just the gradient with multiply_by_inputs=False). Captum's semantics."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._utils.attribution import GradientAttribution, LayerAttribution
from .._utils.common import (
    _format_additional_forward_args,
    _format_output,
    _format_tensor_into_tuples,
)
from .._utils.gradient import compute_layer_gradients_and_eval


class LayerGradientXActivation(LayerAttribution, GradientAttribution):
    """activation * d target / d activation at `layer`; see
    captum.attr.LayerGradientXActivation."""

    def __init__(self, forward_func: Callable, layer, device_ids: None | list[int] = None,
                 multiply_by_inputs: bool = True, memory_efficient: bool = False) -> None:
        LayerAttribution.__init__(self, forward_func, layer, device_ids)
        GradientAttribution.__init__(self, forward_func)
        self._multiply_by_inputs = multiply_by_inputs
        self._memory_efficient = memory_efficient  # keep layer tensors on the cpu

    @property
    def multiplies_by_inputs(self) -> bool:
        return self._multiply_by_inputs

    def attribute(self, inputs, target=None, additional_forward_args: object | None = None,
                  attribute_to_layer_input: bool = False,
                  grad_kwargs: dict[str, Any] | None = None):
        """Layer-shaped attributions (a list of them for a list of layers)."""
        inputs = _format_tensor_into_tuples(inputs)
        additional_forward_args = _format_additional_forward_args(additional_forward_args)
        layer_gradients, layer_evals = compute_layer_gradients_and_eval(
            self.forward_func, self.layer, inputs, target, additional_forward_args,
            attribute_to_layer_input=attribute_to_layer_input, grad_kwargs=grad_kwargs,
            offload_to_cpu=self._memory_efficient)
        if isinstance(self.layer, list):
            return [_format_output(len(ev) > 1, self._scale(g, ev))
                    for g, ev in zip(layer_gradients, layer_evals)]
        return _format_output(len(layer_evals) > 1, self._scale(layer_gradients, layer_evals))

    def _scale(self, grads, evals):
        if not self.multiplies_by_inputs:
            return grads
        return tuple(g * ev for g, ev in zip(grads, evals))
