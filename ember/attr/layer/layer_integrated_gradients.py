"""LayerIntegratedGradients: integrated gradients of the target w.r.t. a layer's output (or
input), integrating along the straight path between the layer's values for the baselines
and for the inputs. A forward hook substitutes the path points for the layer's output while
the model runs on the (repeated) inputs. Captum's semantics."""
from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from ..._tensor import Tensor
from ...autograd.grad_mode import set_grad_enabled
from .._utils.attribution import GradientAttribution, LayerAttribution
from .._utils.common import (
    _format_additional_forward_args,
    _format_input_baseline,
    _format_output,
    _run_forward,
    _tensorize_baseline,
    _validate_input,
)
from .._utils.gradient import _forward_layer_eval, _grad_of_rows
from ..integrated_gradients import IntegratedGradients


def _flatten(tup) -> tuple:
    out = []
    for x in tup:
        out.extend(x if isinstance(x, (tuple, list)) else [x])
    return tuple(out)


def _format_outputs(is_multiple_inputs: bool, outputs: list):
    assert isinstance(outputs, list), "Outputs must be a list"
    assert is_multiple_inputs or len(outputs) == 1, (
        "outputs should contain multiple inputs or have a single output"
        f"however the number of outputs is: {len(outputs)}")
    if is_multiple_inputs:
        return [_format_output(len(o) > 1, o) for o in outputs]
    return _format_output(len(outputs[0]) > 1, outputs[0])


class LayerIntegratedGradients(LayerAttribution, GradientAttribution):
    """Integrated gradients at `layer` (a module or a list of modules); see
    captum.attr.LayerIntegratedGradients."""

    def __init__(self, forward_func: Callable, layer, device_ids: None | list[int] = None,
                 multiply_by_inputs: bool = True) -> None:
        LayerAttribution.__init__(self, forward_func, layer, device_ids=device_ids)
        GradientAttribution.__init__(self, forward_func)
        self.ig = IntegratedGradients(forward_func, multiply_by_inputs)
        if isinstance(layer, list) and len(layer) > 1:
            warnings.warn("Multiple layers provided. Please ensure that each layer is"
                          "**not** solely dependent on the outputs of"
                          "another layer. Please refer to the documentation for more"
                          "detail.", stacklevel=2)

    def has_convergence_delta(self) -> bool:
        return True

    @property
    def multiplies_by_inputs(self) -> bool:
        return self.ig.multiplies_by_inputs

    def _make_gradient_func(self, num_outputs_cumsum: list[int], attribute_to_layer_input: bool,
                            grad_kwargs: dict[str, Any] | None) -> Callable:
        def gradient_func(forward_fn, inputs, target_ind=None, additional_forward_args=None):
            with set_grad_enabled(True):
                def layer_forward_hook(module, hook_inputs, hook_outputs=None, layer_idx=0):
                    is_layer_tuple = (isinstance(hook_outputs, tuple) if hook_outputs is not None
                                      else isinstance(hook_inputs, tuple))
                    lo, hi = num_outputs_cumsum[layer_idx], num_outputs_cumsum[layer_idx + 1]
                    return tuple(inputs[lo:hi]) if is_layer_tuple else inputs[lo]

                layers = self.layer if isinstance(self.layer, list) else [self.layer]
                hooks = []
                try:
                    for idx, layer in enumerate(layers):
                        hook = functools.partial(layer_forward_hook, layer_idx=idx)
                        hooks.append(layer.register_forward_pre_hook(hook)
                                     if attribute_to_layer_input
                                     else layer.register_forward_hook(hook))
                    # the model's own inputs travel in additional_forward_args
                    output = _run_forward(self.forward_func, (), target_ind,
                                          additional_forward_args)
                finally:
                    for hook in hooks:
                        hook.remove()
                assert output[0].numel() == 1, (
                    "Target not provided when necessary, cannot"
                    " take gradient with respect to multiple outputs.")
                return _grad_of_rows(output, inputs, **(grad_kwargs or {}))
        return gradient_func

    def attribute(self, inputs, baselines=None, target=None,
                  additional_forward_args: object | None = None, n_steps: int = 50,
                  method: str = "gausslegendre", internal_batch_size: None | int = None,
                  return_convergence_delta: bool = False, attribute_to_layer_input: bool = False,
                  grad_kwargs: dict[str, Any] | None = None):
        """Layer-shaped attributions (a list for a list of layers), and the delta if asked."""
        inps, baselines = _format_input_baseline(inputs, baselines)
        _validate_input(inps, baselines, n_steps, method)
        baselines = _tensorize_baseline(inps, baselines)
        additional_forward_args = _format_additional_forward_args(additional_forward_args)
        inputs_layer = _forward_layer_eval(self.forward_func, inps, self.layer,
                                           additional_forward_args=additional_forward_args,
                                           attribute_to_layer_input=attribute_to_layer_input)
        layer_list = inputs_layer if isinstance(self.layer, list) else [inputs_layer]
        num_outputs = [1 if isinstance(x, Tensor) else len(x) for x in layer_list]
        cumsum = [0]
        for n in num_outputs:
            cumsum.append(cumsum[-1] + n)
        inputs_layer = _flatten(layer_list)
        baselines_layer = _forward_layer_eval(
            self.forward_func, baselines, self.layer,
            additional_forward_args=additional_forward_args,
            attribute_to_layer_input=attribute_to_layer_input)
        baselines_layer = _flatten(baselines_layer)
        self.ig.gradient_func = self._make_gradient_func(cumsum, attribute_to_layer_input,
                                                         grad_kwargs)
        all_inputs = inps + additional_forward_args if additional_forward_args is not None \
            else inps
        attributions = self.ig.attribute(
            inputs_layer, baselines=baselines_layer, target=target,
            additional_forward_args=all_inputs, n_steps=n_steps, method=method,
            internal_batch_size=internal_batch_size, return_convergence_delta=False)
        output = [tuple(attributions[cumsum[i]:cumsum[i + 1]]) for i in range(len(num_outputs))]
        if return_convergence_delta:
            delta = self.compute_convergence_delta(
                attributions, baselines, inps, additional_forward_args=additional_forward_args,
                target=target)
            return _format_outputs(isinstance(self.layer, list), output), delta
        return _format_outputs(isinstance(self.layer, list), output)

