"""InputXGradient: the input times the input gradient of the target (Captum's class)."""
from __future__ import annotations

from collections.abc import Callable

from ._utils.attribution import GradientAttribution
from ._utils.common import _format_output, _format_tensor_into_tuples, _is_tuple
from ._utils.gradient import apply_gradient_requirements, undo_gradient_requirements


class InputXGradient(GradientAttribution):
    """input * d target / d input; see captum.attr.InputXGradient."""

    def __init__(self, forward_func: Callable) -> None:
        GradientAttribution.__init__(self, forward_func)

    def attribute(self, inputs, target=None, additional_forward_args: object | None = None):
        """Each input times the gradient of the target w.r.t. it."""
        is_inputs_tuple = _is_tuple(inputs)
        inputs_tuple = _format_tensor_into_tuples(inputs)
        gradient_mask = apply_gradient_requirements(inputs_tuple)
        gradients = self.gradient_func(self.forward_func, inputs_tuple, target,
                                       additional_forward_args)
        attributions = tuple(inp * g for inp, g in zip(inputs_tuple, gradients))
        undo_gradient_requirements(inputs_tuple, gradient_mask)
        return _format_output(is_inputs_tuple, attributions)

    @property
    def multiplies_by_inputs(self) -> bool:
        return True
