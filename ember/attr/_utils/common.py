"""Formatting helpers every attribution method shares, with Captum's semantics and messages.

Inputs become tuples of tensors, baselines tuples of tensors or numbers, targets pick one
output per example (`_select_targets`), and `_run_forward` calls the model with inputs plus
additional forward arguments. The assertion texts are Captum's, so a misuse fails the same way.
"""
from __future__ import annotations

from collections.abc import Callable
from inspect import signature
from typing import Any

from ... import _creation as C
from ..._tensor import Tensor
from ...ops import shape as _shape

# ---- tuples in, tuples or tensors out ----

def _is_tuple(inputs) -> bool:
    return isinstance(inputs, tuple)


def _format_tensor_into_tuples(inputs):
    """None stays None; a Tensor becomes a 1-tuple."""
    if inputs is None:
        return None
    if not isinstance(inputs, tuple):
        assert isinstance(inputs, Tensor), (
            "`inputs` must be a torch.Tensor or a tuple[torch.Tensor] "
            f"but found: {type(inputs)}")
        inputs = (inputs,)
    return inputs


def _format_inputs(inputs: Any, unpack_inputs: bool = True) -> Any:
    return inputs if isinstance(inputs, (tuple, list)) and unpack_inputs else (inputs,)


def _format_output(is_inputs_tuple: bool, output: tuple):
    """A tuple of attributions back in the caller's form (a tensor for a tensor input)."""
    assert isinstance(output, tuple), "Output must be in shape of a tuple"
    assert is_inputs_tuple or len(output) == 1, (
        "The input is a single tensor however the output isn't."
        "The number of output tensors is: {}".format(len(output)))
    return output if is_inputs_tuple else output[0]


def _format_additional_forward_args(additional_forward_args):
    if additional_forward_args is not None and not isinstance(additional_forward_args, tuple):
        additional_forward_args = (additional_forward_args,)
    return additional_forward_args


# ---- baselines ----

def _zeros(inputs: tuple[Tensor, ...]) -> tuple:
    return tuple(False if inp.dtype.name == "bool" else 0 for inp in inputs)


def _format_baseline(baselines, inputs: tuple[Tensor, ...]) -> tuple:
    """None -> zeros (False for bool inputs); a single baseline -> a 1-tuple."""
    if baselines is None:
        return _zeros(inputs)
    if not isinstance(baselines, tuple):
        baselines = (baselines,)
    for baseline in baselines:
        assert isinstance(baseline, (Tensor, int, float)), (
            "baseline input argument must be either a torch.Tensor or a number \
            however {} detected".format(type(baseline)))
    return baselines


def _format_input_baseline(inputs, baselines):
    inputs = _format_tensor_into_tuples(inputs)
    return inputs, _format_baseline(baselines, inputs)


def _format_callable_baseline(baselines, inputs):
    """Baselines that may be a function (of no arguments, or of the inputs)."""
    if callable(baselines):
        baselines = baselines() if len(signature(baselines).parameters) == 0 else \
            baselines(inputs)
    return _format_baseline(baselines, _format_tensor_into_tuples(inputs))


def _validate_input(inputs, baselines, n_steps: int = 50, method: str = "riemann_trapezoid",
                    draw_baseline_from_distrib: bool = False) -> None:
    """Captum's checks: one baseline per input, broadcastable; n_steps >= 0; a known method."""
    from .approximation_methods import SUPPORTED_METHODS
    _validate_input_basic(inputs, baselines, draw_baseline_from_distrib)
    assert n_steps >= 0, "The number of steps must be a positive integer. " \
        "Given: {}".format(n_steps)
    assert method in SUPPORTED_METHODS, "Approximation method must be one for the following " \
        "{}. Given {}".format(SUPPORTED_METHODS, method)


def _validate_input_basic(inputs, baselines, draw_baseline_from_distrib: bool = False) -> None:
    assert len(inputs) == len(baselines), (
        "Input and baseline must have the same "
        "dimensions, baseline has {} features whereas input has {}.".format(
            len(baselines), len(inputs)))
    for inp, baseline in zip(inputs, baselines):
        if draw_baseline_from_distrib:
            assert isinstance(baseline, (int, float)) or inp.shape[1:] == baseline.shape[1:], (
                "The samples in input and baseline batches must have"
                " the same shape or the baseline corresponding to the"
                " input tensor must be a scalar."
                " Found baseline: {} and input: {} ".format(baseline, inp))
        else:
            assert (isinstance(baseline, (int, float)) or inp.shape == baseline.shape
                    or baseline.shape[0] == 1), (
                "Baseline can be provided as a tensor for just one input and"
                " broadcasted to the batch or input and baseline must have the"
                " same shape or the baseline corresponding to each input tensor"
                " must be a scalar. Found baseline: {} and input: {}".format(baseline, inp))


def _tensorize_baseline(inputs, baselines) -> tuple[Tensor, ...]:
    """Numbers -> full_like(input); a one-row baseline -> repeated for every example."""
    assert isinstance(inputs, tuple) and isinstance(baselines, tuple), (
        "inputs and baselines must"
        "have tuple type but found baselines: {} and inputs: {}".format(
            type(baselines), type(inputs)))
    out = []
    for baseline, inp in zip(baselines, inputs):
        if isinstance(baseline, (int, float)):
            baseline = C.full_like(inp, baseline)
        elif inp.shape[0] > baseline.shape[0] and baseline.shape[0] == 1:
            baseline = _shape.cat([baseline] * inp.shape[0])
        out.append(baseline)
    return tuple(out)


# ---- targets ----

def _validate_target(num_samples: int, target) -> None:
    if isinstance(target, list) or (isinstance(target, Tensor) and target.numel() > 1):
        assert num_samples == len(target), (
            "The number of samples provied in the"
            "input {} does not match with the number of targets. {}".format(
                num_samples, len(target)))


def _expand_target(target, n_steps: int, expansion_type: str = "repeat"):
    """Targets for inputs repeated n_steps times (whole batch repeated, or each row)."""
    if isinstance(target, list):
        if expansion_type == "repeat":
            return target * n_steps
        return [t for t in target for _ in range(n_steps)]
    if isinstance(target, Tensor) and target.numel() > 1:
        if expansion_type == "repeat":
            return _shape.cat([target] * n_steps, dim=0)
        return target.repeat_interleave(n_steps, dim=0)
    return target


def _expand_additional_forward_args(additional_forward_args, n_steps: int,
                                    expansion_type: str = "repeat"):
    """Tensor arguments (not 0-dim ones) repeated along dim 0 like the inputs were."""
    if additional_forward_args is None:
        return None
    out = []
    for arg in additional_forward_args:
        if isinstance(arg, Tensor) and arg.dim() > 0:
            arg = _shape.cat([arg] * n_steps, dim=0) if expansion_type == "repeat" else \
                arg.repeat_interleave(n_steps, dim=0)
        out.append(arg)
    return tuple(out)


def _verify_select_column(output: Tensor, target) -> Tensor:
    target = (target,) if isinstance(target, int) else target
    assert len(target) <= len(output.shape) - 1, \
        "Cannot choose target column with output shape %r." % (output.shape,)
    return output[(slice(None), *target)]


def _select_targets(output: Tensor, target) -> Tensor:
    """The output entries the target names, one per example; see Captum's _select_targets.

    int / tuple: the same column (index into dims 1..) for every example; a one-element
    tensor: likewise; a 1-D tensor or a list of ints (2-D outputs): one column per example;
    a list of tuples: one index tuple per example."""
    if target is None:
        return output
    num_examples = output.shape[0]
    dims = len(output.shape)
    if isinstance(target, (int, tuple)):
        return _verify_select_column(output, target)
    if isinstance(target, Tensor):
        if target.numel() == 1 and isinstance(target.item(), int):
            return _verify_select_column(output, target.item())
        if len(target.shape) == 1 and target.numel() == num_examples:
            assert dims == 2, "Output must be 2D to select tensor of targets."
            from ...ops.indexing import gather
            return gather(output, 1, target.reshape(len(output), 1)).squeeze(-1)
        raise AssertionError("Tensor target dimension %r is not valid. %r"
                             % (target.shape, output.shape))
    if isinstance(target, list):
        assert len(target) == num_examples, "Target list length does not match output!"
        if isinstance(target[0], int):
            assert dims == 2, "Output must be 2D to select tensor of targets."
            from ...ops.indexing import gather
            idx = C.tensor(target, device=output.device).reshape(len(output), 1)
            return gather(output, 1, idx).squeeze(-1)
        if isinstance(target[0], tuple):
            return _shape.stack([output[(i,) + tuple(t)] for i, t in enumerate(target)])
        raise AssertionError(f"Target element type {type(target[0])} in list is not valid.")
    raise AssertionError(f"Target type {type(target)} is not valid.")


def _run_forward(forward_func: Callable, inputs: Any, target=None,
                 additional_forward_args: object | None = None):
    """forward_func(*inputs, *additional_forward_args), then the target's entries."""
    if len(signature(forward_func).parameters) == 0:
        output = forward_func()
        return output if target is None else _select_targets(output, target)
    inputs = _format_inputs(inputs)
    additional_forward_args = _format_additional_forward_args(additional_forward_args)
    output = forward_func(*((*inputs, *additional_forward_args)
                            if additional_forward_args is not None else inputs))
    return _select_targets(output, target)


# ---- sums and reshapes ----

def _sum_rows(inp: Tensor) -> Tensor:
    return inp.reshape(inp.shape[0], -1).sum(1)


def _reshape_and_sum(tensor_input: Tensor, num_steps: int, num_examples: int,
                     layer_size: tuple[int, ...]) -> Tensor:
    """(steps * examples, *layer) -> summed over the steps: (examples, *layer)."""
    return tensor_input.reshape((num_steps, num_examples) + tuple(layer_size)).sum(dim=0)


def _reduce_list(val_list: list, red_func: Callable | None = None):
    """Concatenate a list of tensors (or of tuples of tensors, position by position)."""
    assert len(val_list) > 0, "Cannot reduce empty list!"
    if red_func is None:
        red_func = _shape.cat
    first = val_list[0]
    if isinstance(first, Tensor):
        return red_func(list(val_list))
    if isinstance(first, bool):
        return any(val_list)
    if isinstance(first, (tuple, list)):
        return tuple(_reduce_list([v[i] for v in val_list], red_func)
                     for i in range(len(first)))
    raise AssertionError("Elements to be reduced can only be"
                         "either Tensors or tuples/lists containing Tensors.")


def _call_custom_attribution_func(custom_attribution_func: Callable, multipliers, inputs,
                                  baselines):
    assert callable(custom_attribution_func), (
        "`custom_attribution_func`"
        " must be a callable function but {} provided".format(type(custom_attribution_func)))
    n = len(signature(custom_attribution_func).parameters)
    if n == 1:
        return custom_attribution_func(multipliers)
    if n == 2:
        return custom_attribution_func(multipliers, inputs)
    if n == 3:
        return custom_attribution_func(multipliers, inputs, baselines)
    raise AssertionError(
        "`custom_attribution_func` must take at least one and at most 3 arguments.")

