"""Shape helpers shared by every backward: sum_to (undo broadcasting), torch's broadcast error,
dim normalisation. `sum_to(grad, shape)` is the one place broadcasting is reversed."""
from __future__ import annotations

import numpy as np


def broadcast_error(sa, sb):
    """Raise torch's message for shapes that do not broadcast."""
    na, nb = len(sa), len(sb)
    n = max(na, nb)
    for i in range(1, n + 1):
        a = sa[-i] if i <= na else 1
        b = sb[-i] if i <= nb else 1
        if a != b and a != 1 and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b})"
                               f" at non-singleton dimension {n - i}")
    raise RuntimeError(f"shapes {list(sa)} and {list(sb)} cannot be broadcast together")


def broadcast_shapes(*shapes):
    """torch.broadcast_shapes, with torch's error for incompatible shapes."""
    out = ()
    for s in shapes:
        if isinstance(s, int):
            s = (s,)
        s = tuple(s)
        try:
            out = np.broadcast_shapes(out, s)
        except ValueError:
            raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape.  "
                               f"Mismatch is between arg 0 and arg 1.") from None
    return out


def wrap_dim(dim, ndim):
    """dim in [-ndim, ndim) -> [0, ndim), torch's IndexError otherwise (0-dim counts as 1)."""
    n = ndim if ndim else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim + n if dim < 0 else dim


def wrap_dims(dims, ndim):
    if isinstance(dims, int):
        return (wrap_dim(dims, ndim),)
    out = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        d = next(d for d in out if out.count(d) > 1)
        raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


def reduce_axes(gshape, shape):
    """Axes of gshape to sum so the result has `shape` (leading dims, then kept size-1 dims)."""
    lead = len(gshape) - len(shape)
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and gshape[i + lead] != 1:
            axes.append(i + lead)
    return tuple(axes)


def sum_to(grad, shape):
    """Sum `grad` (a Tensor) down to `shape`: the backward of broadcasting. Differentiable."""
    if grad._data.shape == tuple(shape):
        return grad
    from .reduction import SumToSize
    return SumToSize.apply(grad, shape=tuple(shape))


def sum_to_arr(g, shape):
    """sum_to on arrays (for the ops' array-level vjp): undo broadcasting of g to `shape`."""
    if g.shape == shape:
        return g
    axes = reduce_axes(g.shape, shape)
    if not axes:
        return g.reshape(shape)
    lead = g.ndim - len(shape)
    if axes[-1] < lead:
        return g.sum(axis=axes)   # leading dims only (a bias): a fresh array of `shape`
    return g.sum(axis=axes, keepdims=True).reshape(shape)
