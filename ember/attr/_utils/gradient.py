"""Gradients for attribution: d(target output)/d(inputs), and at a layer through forward hooks.

`compute_gradients` is what every input-gradient method calls; `compute_layer_gradients_and_eval`
hooks a module (ember.nn forward hooks), keeps its output (or input) and differentiates the
target with respect to it, as Captum does (the hook hands the model a clone, so in-place ops
after the layer cannot disturb the saved tensor).
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from ... import _creation as C
from ..._tensor import Tensor
from ...autograd import engine
from ...autograd.grad_mode import set_grad_enabled
from .common import _reduce_list, _run_forward, _verify_select_column


def apply_gradient_requirements(inputs: tuple[Tensor, ...], warn: bool = True) -> list[bool]:
    """Make every floating input require grad; return who did before (for the undo)."""
    assert isinstance(inputs, (tuple, list)), \
        "Inputs should be wrapped in a tuple or list prior to preparing for gradients"
    grad_required = []
    for index, inp in enumerate(inputs):
        assert isinstance(inp, Tensor), "Given input is not a torch.Tensor"
        grad_required.append(inp.requires_grad)
        dt = inp.dtype
        if not dt.is_floating_point and not dt.is_complex:
            if warn:
                warnings.warn("""Input Tensor %d has a dtype of %s.
                    Gradients cannot be activated
                    for these data types.""" % (index, str(dt)), stacklevel=2)
        elif not inp.requires_grad:
            if warn:
                warnings.warn("Input Tensor %d did not already require gradients, "
                              "required_grads has been set automatically." % index,
                              stacklevel=2)
            inp.requires_grad_()
    return grad_required


def undo_gradient_requirements(inputs: tuple[Tensor, ...], grad_required: list[bool]) -> None:
    """Turn requires_grad back off on the inputs that did not have it."""
    assert isinstance(inputs, tuple), \
        "Inputs should be wrapped in a tuple prior to preparing for gradients."
    assert len(inputs) == len(grad_required), "Input tuple length should match gradient mask."
    for inp, req in zip(inputs, grad_required):
        assert isinstance(inp, Tensor), "Given input is not a torch.Tensor"
        if not req:
            inp.requires_grad_(False)


def _grad_of_rows(output: Tensor, inputs, **grad_kwargs) -> tuple[Tensor, ...]:
    # Captum differentiates torch.unbind(output): the sum of the per-example scalars, i.e. a
    # gradient of ones over the output (one node instead of N).
    return engine.grad((output,), tuple(inputs), (C.ones_like(output),), **grad_kwargs)


def compute_gradients(forward_fn: Callable, inputs, target_ind=None,
                      additional_forward_args: object | None = None) -> tuple[Tensor, ...]:
    """Gradients of the target outputs (one scalar per example) w.r.t. each input."""
    with set_grad_enabled(True):
        outputs = _run_forward(forward_fn, inputs, target_ind, additional_forward_args)
        assert outputs[0].numel() == 1, (
            "Target not provided when necessary, cannot"
            " take gradient with respect to multiple outputs.")
        return _grad_of_rows(outputs, inputs)


def _forward_layer_distributed_eval(forward_fn: Callable, inputs, layer, target_ind=None,
                                    additional_forward_args=None,
                                    attribute_to_layer_input: bool = False,
                                    forward_hook_with_return: bool = False,
                                    require_layer_grads: bool = False):
    """Run the forward pass with hooks on `layer` (a module or a list of them).

    Returns {module: tuple of its saved outputs (or inputs)} and, with
    forward_hook_with_return, also the target output. With forward_hook_with_return the model
    continues with clones of the saved tensors, so gradients reach the saved originals."""
    saved_layer: dict[Any, tuple[Tensor, ...]] = {}
    all_layers = layer if isinstance(layer, list) else [layer]

    def hook_wrapper(original_module):
        def forward_hook(module, inp, out=None):
            eval_tsrs = inp if attribute_to_layer_input else out
            is_seq = isinstance(eval_tsrs, (tuple, list))
            if not is_seq:
                eval_tsrs = (eval_tsrs,)
            if require_layer_grads:
                apply_gradient_requirements(eval_tsrs, warn=False)
            if forward_hook_with_return:
                saved_layer[original_module] = tuple(eval_tsrs)
                if not is_seq:
                    return eval_tsrs[0].clone()
                if isinstance(eval_tsrs, list):
                    return [t.clone() for t in eval_tsrs]
                return tuple(t.clone() for t in eval_tsrs)
            saved_layer[original_module] = tuple(t.clone() for t in eval_tsrs)
            return None
        return forward_hook

    handles = []
    try:
        for single in all_layers:
            if attribute_to_layer_input:
                handles.append(single.register_forward_pre_hook(hook_wrapper(single)))
            else:
                handles.append(single.register_forward_hook(hook_wrapper(single)))
        output = _run_forward(forward_fn, inputs, target=target_ind,
                              additional_forward_args=additional_forward_args)
    finally:
        for h in handles:
            h.remove()
    if len(saved_layer) == 0:
        raise AssertionError("Forward hook did not obtain any outputs for given layer")
    if forward_hook_with_return:
        return saved_layer, output
    return saved_layer


def _forward_layer_eval(forward_fn: Callable, inputs, layer, additional_forward_args=None,
                        attribute_to_layer_input: bool = False, grad_enabled: bool = False):
    """The layer's outputs (or inputs) for these inputs: a tuple, or a list for a list of
    layers."""
    with set_grad_enabled(grad_enabled):
        saved = _forward_layer_distributed_eval(
            forward_fn, inputs, layer, additional_forward_args=additional_forward_args,
            attribute_to_layer_input=attribute_to_layer_input)
    if isinstance(layer, list):
        return [_reduce_list([saved[single]]) for single in layer]
    return _reduce_list([saved[layer]])


def _forward_layer_eval_with_neuron_grads(forward_fn: Callable, inputs, layer,
                                          additional_forward_args=None,
                                          gradient_neuron_selector=None,
                                          grad_enabled: bool = False,
                                          attribute_to_layer_input: bool = False):
    """Layer eval, and with a neuron selector also d(neuron)/d(inputs)."""
    if gradient_neuron_selector is None:
        return _forward_layer_eval(forward_fn, inputs, layer, additional_forward_args,
                                   attribute_to_layer_input, grad_enabled)
    with set_grad_enabled(True):
        saved = _forward_layer_distributed_eval(
            forward_fn, inputs, layer, additional_forward_args=additional_forward_args,
            attribute_to_layer_input=attribute_to_layer_input)
        grads = _neuron_gradients(inputs, saved[layer], gradient_neuron_selector)
    return _reduce_list([saved[layer]]), grads


def _verify_select_neuron(layer_output: tuple[Tensor, ...], selector) -> Tensor:
    if callable(selector):
        return selector(layer_output if len(layer_output) > 1 else layer_output[0])
    assert len(layer_output) == 1, (
        "Cannot select neuron index from layer with multiple tensors,"
        "consider providing a neuron selector function instead.")
    selected = _verify_select_column(layer_output[0], selector)
    if isinstance(selector, slice) or (isinstance(selector, tuple) and any(
            isinstance(s, slice) for s in selector)):
        return selected.reshape(selected.shape[0], -1).sum(1)
    return selected


def _neuron_gradients(inputs, saved_layer: tuple[Tensor, ...], selector) -> tuple[Tensor, ...]:
    with set_grad_enabled(True):
        out = _verify_select_neuron(saved_layer, selector)
        return _grad_of_rows(out, inputs)


def compute_layer_gradients_and_eval(forward_fn: Callable, layer, inputs, target_ind=None,
                                     additional_forward_args=None,
                                     gradient_neuron_selector=None,
                                     attribute_to_layer_input: bool = False,
                                     output_fn: Callable | None = None,
                                     grad_kwargs: dict[str, Any] | None = None,
                                     offload_to_cpu: bool = False):
    """(gradients of the target w.r.t. the layer's outputs, the layer's outputs) as tuples
    (lists of tuples for a list of layers); with a neuron selector also the input gradients
    of that neuron."""
    with set_grad_enabled(True):
        saved_layer, output = _forward_layer_distributed_eval(
            forward_fn, inputs, layer, target_ind=target_ind,
            additional_forward_args=additional_forward_args,
            attribute_to_layer_input=attribute_to_layer_input,
            forward_hook_with_return=True, require_layer_grads=True)
        assert output[0].numel() == 1, (
            "Target not provided when necessary, cannot"
            " take gradient with respect to multiple outputs.")
        all_layers = layer if isinstance(layer, list) else [layer]

        def layer_out(single):
            out = saved_layer[single]
            if output_fn is not None:
                out = output_fn(out)
            if offload_to_cpu:
                out = tuple(t.detach().cpu() for t in out)
            return out

        if isinstance(layer, list):
            all_outputs = [_reduce_list([layer_out(s)]) for s in layer]
        else:
            all_outputs = _reduce_list([layer_out(layer)])
        grad_inputs = tuple(t for s in all_layers for t in saved_layer[s])
        saved_grads = _grad_of_rows(output, grad_inputs, **(grad_kwargs or {}))
        all_grads = []
        offset = 0
        for s in all_layers:
            n = len(saved_layer[s])
            g = tuple(saved_grads[offset:offset + n])
            offset += n
            if output_fn is not None:
                g = output_fn(g)
            g = _reduce_list([g])
            all_grads.append(tuple(t.cpu() for t in g) if offload_to_cpu else g)
        layer_grads = all_grads if isinstance(layer, list) else all_grads[0]
        if gradient_neuron_selector is not None:
            assert not isinstance(layer, list), \
                "Cannot compute neuron gradients for multiple layers simultaneously!"
            inp_grads = _neuron_gradients(inputs, saved_layer[layer], gradient_neuron_selector)
            return layer_grads, all_outputs, inp_grads
    return layer_grads, all_outputs


def _register_backward_hook(module, hook: Callable, attr_obj=None) -> list:
    """Captum's replacement for module backward hooks on single-input single-output modules:
    a forward pre-hook watches the input's gradient, a forward hook the output's, and
    `hook(module, grad_input, grad_output)` may replace the input's gradient."""
    grad_out: dict[Any, Tensor] = {}

    def forward_hook(module, inp, out):
        def output_tensor_hook(output_grad):
            grad_out[output_grad.device] = output_grad
        if isinstance(out, tuple):
            assert len(out) == 1, "Backward hooks not supported for module with >1 output"
            out[0].register_hook(output_tensor_hook)
        else:
            out.register_hook(output_tensor_hook)

    def pre_hook(module, inp):
        def input_tensor_hook(input_grad):
            if len(grad_out) == 0:
                return None
            hook_out = hook(module, input_grad, grad_out[input_grad.device])
            if hook_out is not None:
                return hook_out[0] if isinstance(hook_out, tuple) else hook_out
            return None
        if isinstance(inp, tuple):
            assert len(inp) == 1, "Backward hooks not supported for module with >1 input"
            inp[0].register_hook(input_tensor_hook)
            return inp[0].clone()
        inp.register_hook(input_tensor_hook)
        return inp.clone()

    return [module.register_forward_pre_hook(pre_hook),
            module.register_forward_hook(forward_hook)]


__all__ = ["apply_gradient_requirements", "undo_gradient_requirements", "compute_gradients",
           "compute_layer_gradients_and_eval"]
