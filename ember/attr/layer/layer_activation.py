"""LayerActivation: a layer's output (or input) for the given inputs, read with a forward
hook under no_grad; a list of layers gives a list of results. Captum's semantics."""
from __future__ import annotations

from collections.abc import Callable

from ...autograd.grad_mode import no_grad
from .._utils.attribution import LayerAttribution
from .._utils.common import _format_output
from .._utils.gradient import _forward_layer_eval


class LayerActivation(LayerAttribution):
    """The activations of `layer` (a module or a list of modules); see
    captum.attr.LayerActivation."""

    def __init__(self, forward_func: Callable, layer, device_ids: None | list[int] = None
                 ) -> None:
        LayerAttribution.__init__(self, forward_func, layer, device_ids)

    def attribute(self, inputs, additional_forward_args: object | None = None,
                  attribute_to_layer_input: bool = False):
        """The layer's output (input with attribute_to_layer_input) tensor(s)."""
        with no_grad():
            layer_eval = _forward_layer_eval(self.forward_func, inputs, self.layer,
                                             additional_forward_args,
                                             attribute_to_layer_input=attribute_to_layer_input)
        if isinstance(self.layer, list):
            return [_format_output(len(ev) > 1, ev) for ev in layer_eval]
        return _format_output(len(layer_eval) > 1, layer_eval)

    @property
    def multiplies_by_inputs(self) -> bool:
        return True
