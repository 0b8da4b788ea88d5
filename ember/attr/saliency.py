"""Saliency (Simonyan et al.): the input gradient of the target, absolute by default.
Captum's class of the same name; InputXGradient (input_x_gradient.py) multiplies it by the
input."""
from __future__ import annotations

from collections.abc import Callable

from ._utils.attribution import GradientAttribution
from ._utils.common import _format_output, _format_tensor_into_tuples, _is_tuple
from ._utils.gradient import apply_gradient_requirements, undo_gradient_requirements


class Saliency(GradientAttribution):
    """|d target / d input| (Simonyan et al.); see captum.attr.Saliency."""

    def __init__(self, forward_func: Callable) -> None:
        GradientAttribution.__init__(self, forward_func)

    def attribute(self, inputs, target=None, abs: bool = True,
                  additional_forward_args: object | None = None):
        """Gradients of the target w.r.t. each input (absolute values unless abs=False)."""
        is_inputs_tuple = _is_tuple(inputs)
        inputs_tuple = _format_tensor_into_tuples(inputs)
        gradient_mask = apply_gradient_requirements(inputs_tuple)
        gradients = self.gradient_func(self.forward_func, inputs_tuple, target,
                                       additional_forward_args)
        attributions = tuple(g.abs() for g in gradients) if abs else gradients
        undo_gradient_requirements(inputs_tuple, gradient_mask)
        return _format_output(is_inputs_tuple, attributions)
