"""LayerGradCam (Selvaraju et al.): a layer's activations weighted per channel by the mean
gradient of the target over the spatial dims, summed over channels (optionally ReLU'd).
Upsample the (N, 1, h, w) map with LayerAttribution.interpolate. Captum's semantics."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...nn import functional as F
from .._utils.attribution import GradientAttribution, LayerAttribution
from .._utils.common import (
    _format_additional_forward_args,
    _format_output,
    _format_tensor_into_tuples,
)
from .._utils.gradient import compute_layer_gradients_and_eval


class LayerGradCam(LayerAttribution, GradientAttribution):
    """Grad-CAM at `layer`; see captum.attr.LayerGradCam."""

    def __init__(self, forward_func: Callable, layer, device_ids: None | list[int] = None
                 ) -> None:
        LayerAttribution.__init__(self, forward_func, layer, device_ids)
        GradientAttribution.__init__(self, forward_func)

    def attribute(self, inputs, target=None, additional_forward_args: object | None = None,
                  attribute_to_layer_input: bool = False, relu_attributions: bool = False,
                  attr_dim_summation: bool = True,
                  grad_kwargs: dict[str, Any] | None = None):
        """(N, 1, *spatial) maps per layer tensor (N, C, *spatial without the channel sum)."""
        inputs = _format_tensor_into_tuples(inputs)
        additional_forward_args = _format_additional_forward_args(additional_forward_args)
        layer_gradients, layer_evals = compute_layer_gradients_and_eval(
            self.forward_func, self.layer, inputs, target, additional_forward_args,
            attribute_to_layer_input=attribute_to_layer_input, grad_kwargs=grad_kwargs)
        summed_grads = tuple(
            g.mean(dim=tuple(range(2, g.dim())), keepdim=True) if g.dim() > 2 else g
            for g in layer_gradients)
        if attr_dim_summation:
            scaled_acts = tuple((sg * ev).sum(dim=1, keepdim=True)
                                for sg, ev in zip(summed_grads, layer_evals))
        else:
            scaled_acts = tuple(sg * ev for sg, ev in zip(summed_grads, layer_evals))
        if relu_attributions:
            scaled_acts = tuple(F.relu(a) for a in scaled_acts)
        return _format_output(len(scaled_acts) > 1, scaled_acts)
