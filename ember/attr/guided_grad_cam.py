"""GuidedGradCam: guided backpropagation times the (ReLU'd) Grad-CAM map of a layer,
upsampled to each input's spatial size. Captum's semantics."""
from __future__ import annotations

import warnings

from .. import _creation as C
from ..nn import Module
from ._utils.attribution import GradientAttribution, LayerAttribution
from ._utils.common import _format_output, _format_tensor_into_tuples, _is_tuple
from .guided_backprop import GuidedBackprop
from .layer.grad_cam import LayerGradCam


class GuidedGradCam(GradientAttribution):
    """Guided Grad-CAM (Selvaraju et al.); see captum.attr.GuidedGradCam."""

    def __init__(self, model: Module, layer: Module, device_ids: None | list[int] = None
                 ) -> None:
        GradientAttribution.__init__(self, model)
        self.grad_cam = LayerGradCam(model, layer, device_ids)
        self.guided_backprop = GuidedBackprop(model)

    def attribute(self, inputs, target=None, additional_forward_args: object | None = None,
                  interpolate_mode: str = "nearest", attribute_to_layer_input: bool = False):
        """Input-shaped attributions (an empty tensor, with a warning, for an input the map
        cannot be interpolated to)."""
        is_inputs_tuple = _is_tuple(inputs)
        inputs_tuple = _format_tensor_into_tuples(inputs)
        grad_cam_attr = self.grad_cam.attribute(
            inputs=inputs_tuple, target=target, additional_forward_args=additional_forward_args,
            attribute_to_layer_input=attribute_to_layer_input, relu_attributions=True)
        if isinstance(grad_cam_attr, tuple):
            assert len(grad_cam_attr) == 1, (
                "GuidedGradCAM attributions for layer with multiple inputs / "
                "outputs is not supported.")
            grad_cam_attr = grad_cam_attr[0]
        guided = self.guided_backprop.attribute(
            inputs=inputs_tuple, target=target, additional_forward_args=additional_forward_args)
        output_attr = []
        for i, inp in enumerate(inputs_tuple):
            try:
                output_attr.append(guided[i] * LayerAttribution.interpolate(
                    grad_cam_attr, tuple(inp.shape[2:]), interpolate_mode=interpolate_mode))
            except Exception:
                warnings.warn("Couldn't appropriately interpolate GradCAM attributions for some "
                              "input tensors, returning empty tensor for corresponding "
                              "attributions.", stacklevel=1)
                output_attr.append(C.empty(0))
        return _format_output(is_inputs_tuple, tuple(output_attr))
