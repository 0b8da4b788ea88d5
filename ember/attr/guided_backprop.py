"""GuidedBackprop and Deconvolution: input gradients where every nn.ReLU module passes back
only positive gradients (of its input gradient, resp. of its output gradient). The ReLU
backward is overridden with Captum's tensor hooks (forward pre-hook + forward hook), which
are removed when attribute returns. ReLUs applied as functions (F.relu) are not affected.
"""
from __future__ import annotations

import warnings

from ..nn import Module, ReLU
from ..nn import functional as F
from ._utils.attribution import GradientAttribution
from ._utils.common import _format_output, _format_tensor_into_tuples, _is_tuple
from ._utils.gradient import (
    _register_backward_hook,
    apply_gradient_requirements,
    undo_gradient_requirements,
)


class ModifiedReluGradientAttribution(GradientAttribution):
    """Input gradients with the backward pass of each ReLU module rectified."""

    def __init__(self, model: Module, use_relu_grad_output: bool = False) -> None:
        GradientAttribution.__init__(self, model)
        self.model = model
        self.backward_hooks: list = []
        self.use_relu_grad_output = use_relu_grad_output
        assert isinstance(self.model, Module), (
            "Given model must be an instance of torch.nn.Module to properly hook"
            " ReLU layers.")

    def attribute(self, inputs, target=None, additional_forward_args: object | None = None):
        """Gradients of the target w.r.t. the inputs through rectified ReLU backwards."""
        is_inputs_tuple = _is_tuple(inputs)
        inputs_tuple = _format_tensor_into_tuples(inputs)
        gradient_mask = apply_gradient_requirements(inputs_tuple)
        warnings.warn("Setting backward hooks on ReLU activations."
                      "The hooks will be removed after the attribution is finished",
                      stacklevel=1)
        try:
            self.model.apply(self._register_hooks)
            gradients = self.gradient_func(self.forward_func, inputs_tuple, target,
                                           additional_forward_args)
        finally:
            self._remove_hooks()
        undo_gradient_requirements(inputs_tuple, gradient_mask)
        return _format_output(is_inputs_tuple, gradients)

    def _register_hooks(self, module: Module) -> None:
        if isinstance(module, ReLU):
            self.backward_hooks.extend(_register_backward_hook(module, self._backward_hook,
                                                               self))

    def _backward_hook(self, module, grad_input, grad_output):
        grads = grad_output if self.use_relu_grad_output else grad_input
        if isinstance(grads, tuple):
            return tuple(F.relu(g) for g in grads)
        return F.relu(grads)

    def _remove_hooks(self) -> None:
        for hook in self.backward_hooks:
            hook.remove()
        self.backward_hooks = []


class GuidedBackprop(ModifiedReluGradientAttribution):
    """Guided backpropagation (Springenberg et al.): a ReLU passes back
    relu(grad_output * (x > 0)). See captum.attr.GuidedBackprop."""

    def __init__(self, model: Module) -> None:
        ModifiedReluGradientAttribution.__init__(self, model, use_relu_grad_output=False)


class Deconvolution(ModifiedReluGradientAttribution):
    """Deconvolution (Zeiler & Fergus): a ReLU passes back relu(grad_output).
    See captum.attr.Deconvolution."""

    def __init__(self, model: Module) -> None:
        ModifiedReluGradientAttribution.__init__(self, model, use_relu_grad_output=True)
