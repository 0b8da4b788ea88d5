"""torch.utils.checkpoint: trade compute for memory by running a function without keeping its
intermediate tensors and recomputing them in backward (with the RNG state of the forward, so
dropout masks match).

use_reentrant=True is torch's CheckpointFunction (an autograd.Function whose backward reruns
the function under grad and backpropagates through the copy); use_reentrant=False saves
nothing but a counter per saved tensor (autograd/_saved_tensors.py's hooks) and reruns the
function on the first unpack, collecting its saved tensors in the same order.
"""
from __future__ import annotations

import itertools
import warnings

from .._tensor import Tensor
from ..autograd._saved_tensors import saved_tensors_hooks
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, no_grad
from ..random import fork_rng, get_rng_state, set_rng_state

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction",
           "check_backward_validity", "detach_variable", "noop_context_fn"]


class CheckpointError(RuntimeError):
    """The recomputation did not save what the forward saved."""


def detach_variable(inputs):
    """Detached copies of the tensors in `inputs` keeping requires_grad; see torch."""
    if isinstance(inputs, tuple):
        out = []
        for inp in inputs:
            if not isinstance(inp, Tensor):
                out.append(inp)
                continue
            x = inp.detach()
            x.requires_grad = inp.requires_grad
            out.append(x)
        return tuple(out)
    raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: ",
                       type(inputs).__name__)


def check_backward_validity(inputs):
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


def noop_context_fn():
    from contextlib import nullcontext
    return nullcontext(), nullcontext()


class CheckpointFunction(Function):
    """The reentrant checkpoint: forward under no_grad, backward reruns and backpropagates."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_cpu_state = get_rng_state()
        ctx.inputs = []
        ctx.tensor_indices = []
        tensor_inputs = []
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                tensor_inputs.append(arg)
                ctx.tensor_indices.append(i)
                ctx.inputs.append(None)
            else:
                ctx.inputs.append(arg)
        ctx.save_for_backward(*tensor_inputs)
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *args):
        from ..autograd import backward as autograd_backward
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        # the forward's RNG state for the rerun; the caller's state is restored after it
        with fork_rng(devices=[], enabled=ctx.preserve_rng_state):
            if ctx.preserve_rng_state:
                set_rng_state(ctx.fwd_cpu_state)
            detached_inputs = detach_variable(tuple(inputs))
            with enable_grad():
                outputs = ctx.run_function(*detached_inputs)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        outputs_with_grad = []
        args_with_grad = []
        for i in range(len(outputs)):
            if isinstance(outputs[i], Tensor) and outputs[i].requires_grad:
                outputs_with_grad.append(outputs[i])
                args_with_grad.append(args[i])
        if len(outputs_with_grad) == 0:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                               "necessary")
        autograd_backward(outputs_with_grad, args_with_grad)
        grads = tuple(inp.grad if isinstance(inp, Tensor) else None for inp in detached_inputs)
        return (None, None) + grads


class _Frame:
    """One non-reentrant checkpoint call: how to rerun it and what the rerun saved."""
    __slots__ = ("run", "recomputed", "count")


def _checkpoint_without_reentrant(function, preserve, context_fn, args, kwargs):
    fwd_state = get_rng_state() if preserve else None
    frame = _Frame()
    frame.recomputed = None
    counter = itertools.count()

    def recompute():
        store = []

        def pack(t):
            store.append(t)

        def unpack(_):
            raise CheckpointError("torch.utils.checkpoint: unpack is being triggered for a "
                                  "tensor that was already unpacked once.")

        inputs = tuple(a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor)
                       else a for a in args)
        _, recompute_ctx = context_fn()
        with fork_rng(devices=[], enabled=preserve):
            if preserve:
                set_rng_state(fwd_state)
            with enable_grad(), recompute_ctx, saved_tensors_hooks(pack, unpack):
                function(*inputs, **kwargs)
        if len(store) != frame.count:
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the "
                "original forward and recomputation.\n"
                f"Number of tensors saved during forward: {frame.count}\n"
                f"Number of tensors saved during recomputation: {len(store)}.")
        frame.recomputed = store

    def pack(t):
        return next(counter)

    def unpack(i):
        if frame.recomputed is None:
            recompute()
        return frame.recomputed[i]

    forward_ctx, _ = context_fn()
    with saved_tensors_hooks(pack, unpack), forward_ctx:
        out = function(*args, **kwargs)
    frame.count = next(counter)
    return out


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check="default", debug=False, early_stop=True, **kwargs):
    """function(*args, **kwargs) without keeping its intermediates (recomputed in backward);
    see torch.utils.checkpoint.checkpoint."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    if determinism_check not in ("default", "none"):
        raise ValueError("determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    return _checkpoint_without_reentrant(function, preserve, context_fn, args, kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Checkpoint all but the last of `segments` chunks of a Sequential; see
    torch.utils.checkpoint.checkpoint_sequential."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is recommended, but if you need to preserve "
            "the current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end, functions):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input
        return forward

    from ..nn.modules.container import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input,
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)
