"""torch.func.vmap as a loop: func runs once per batch element on slices (views, so autograd
and in-place writes reach the batched inputs) and the outputs are stacked at out_dims.

Argument checks and their messages are torch's. Random ops: randomness='error' raises torch's
error (the default generator refuses to draw while such a vmap runs), 'same' replays one
generator state for every element (torch's numbers: one unbatched draw), 'different' draws
per element in turn (different numbers, though not torch's batched draw).
Known differences from torch's batching: .item() and data-dependent Python control flow work
per element instead of raising; an out_dims=None output is only checked to be identical
across elements.
"""
from __future__ import annotations

import contextlib
import functools

import numpy as np

from .._tensor import Tensor
from ..autograd.function import TRANSFORMS
from ._pytree import broadcast_to_and_flatten, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either "
                 "use the 'same' or 'different' randomness flags on vmap or perform the "
                 "randomness operation out of vmap")


def _get_name(func):
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_get_name(func.func)}, ...)"
    return repr(func)


def _check_randomness_arg(randomness):
    if randomness not in ["error", "different", "same"]:
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


# ---- randomness: the innermost active mode decides whether the generator may draw ---------------

_MODES: list = []
_ORIG_DRAW = [None]


def _guarded_draw(self, n):
    if _MODES and _MODES[-1] == "error":
        raise RuntimeError(_RANDOM_ERROR)
    return _ORIG_DRAW[0](self, n)


@contextlib.contextmanager
def _random_mode(mode):
    """While active (innermost wins), every raw draw of an ember Generator checks the mode."""
    from .._random import Generator
    if not _MODES:
        _ORIG_DRAW[0] = Generator.__dict__["_random"]
        Generator._random = _guarded_draw
    _MODES.append(mode)
    try:
        yield
    finally:
        _MODES.pop()
        if not _MODES:
            Generator._random = _ORIG_DRAW[0]


# ---- in_dims / out_dims (torch's checks) ------------------------------------------------------

def _process_inputs(func, in_dims, args):
    name = _get_name(func)
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to "
                         "be int or a (potentially nested) tuple matching the structure of "
                         f"inputs, got: {type(in_dims)}.")
    if len(args) == 0:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add "
                         "inputs, or you are trying to vmap over a function with no inputs. "
                         "The latter is unsupported.")
    flat_args, spec = tree_flatten(args)
    flat_dims = broadcast_to_and_flatten(in_dims, spec)
    if flat_dims is None:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                         "compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree_flatten(in_dims)[1]} but inputs has structure {spec}.")
    for i, (arg, d) in enumerate(zip(flat_args, flat_dims)):
        if not isinstance(d, int) and d is not None:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                             "for an input but in_dim must be either an integer dimension or "
                             "None.")
        if isinstance(d, int) and not isinstance(arg, Tensor):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                             f"for an input but the input is of type {type(arg)}. We cannot "
                             "vmap over non-Tensor arguments, please use None as the "
                             "respective in_dim")
        if d is not None:
            nd = arg.dim()
            if d < -nd or d >= nd:
                raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got "
                                 f"in_dim={d} for some input, but that input is a Tensor of "
                                 f"dimensionality {nd} so expected in_dim to satisfy "
                                 f"-{nd} <= in_dim < {nd}.")
            if d < 0:
                flat_dims[i] = d % nd
    sizes = [arg.size(d) for d, arg in zip(flat_dims, flat_args) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0], flat_dims, flat_args, spec


def _check_out_dims(func, out_dims):
    if isinstance(out_dims, int):
        return
    for d in tree_flatten(out_dims)[0]:
        if not (d is None or isinstance(d, int)):
            raise ValueError(f"vmap({_get_name(func)}, ..., out_dims={out_dims}): `out_dims` "
                             "must be an int, None or a python collection of ints representing "
                             "where in the outputs the vmapped dimension should appear.")


def _flat_out_dims(func, out_dims, outputs, flat_out, out_spec):
    def incompatible():
        raise ValueError(f"vmap({_get_name(func)}, ..., out_dims={out_dims})(<inputs>): "
                         "out_dims is not compatible with the structure of `outputs`. out_dims "
                         f"has structure {tree_flatten(out_dims)[1]} but outputs has structure "
                         f"{out_spec}.")
    if isinstance(outputs, Tensor):
        if isinstance(out_dims, int) or out_dims is None:
            return [out_dims]
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims)
        incompatible()
    dims = broadcast_to_and_flatten(out_dims, out_spec)
    if dims is None:
        incompatible()
    name = _get_name(func)
    for o, d in zip(flat_out, dims):
        if d is not None and not isinstance(o, Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                             f"{type(o)}. Did you mean to set out_dims= to None for output?")
    return dims


# ---- the loop ---------------------------------------------------------------------------------

def _select(t, dim, i):
    return t.select(dim, i)


def _vmap_impl(func, in_dims, out_dims, randomness, args, kwargs):
    _check_out_dims(func, out_dims)
    batch, flat_dims, flat_args, spec = _process_inputs(func, in_dims, args)
    if batch == 0:
        raise NotImplementedError("ember's vmap runs func once per batch element, so it cannot "
                                  "vmap over a batch of size 0")
    gen = state = None
    if randomness == "same":
        from .._random import default_generator as gen
        state = gen.get_state_bytes()
    per_elem = []
    out_spec = dims = None
    with _random_mode(randomness):
        for b in range(batch):
            if state is not None and b:
                gen.set_state_bytes(state)
            sliced = [a if d is None else _select(a, d, b) for a, d in zip(flat_args, flat_dims)]
            TRANSFORMS.append("vmap")
            try:
                out = func(*tree_unflatten(sliced, spec), **kwargs)
            finally:
                TRANSFORMS.pop()
            flat_out, o_spec = tree_flatten(out)
            if out_spec is None:
                out_spec = o_spec
                dims = _flat_out_dims(func, out_dims, out, flat_out, o_spec)
            elif o_spec != out_spec:
                raise RuntimeError(f"vmap({_get_name(func)}): ember runs vmap as a loop and the "
                                   "function returned differently structured outputs for "
                                   "different batch elements")
            per_elem.append(flat_out)
    return tree_unflatten(_stack_outputs(func, per_elem, dims), out_spec)


def _stack_outputs(func, per_elem, dims):
    from ..ops.shape import stack
    name = _get_name(func)
    result = []
    for k, d in enumerate(dims):
        column = [flat[k] for flat in per_elem]
        if d is None:
            first = column[0]
            if isinstance(first, Tensor) and any(
                    c is not first and not (c.shape == first.shape and
                                            np.array_equal(c._data, first._data))
                    for c in column[1:]):
                # different values per element: torch's output would be batched
                raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor "
                                 "when out_dim is None")
            result.append(first)
            continue
        result.append(stack(column, dim=d))
    return result


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """func mapped over a batch dimension of its inputs; see torch.func.vmap. ember runs func
    once per batch element (a loop) and stacks the results."""
    _check_randomness_arg(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        return _vmap_impl(func, in_dims, out_dims, randomness, args, kwargs)

    return wrapped
