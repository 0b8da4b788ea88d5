"""Indexing: Tensor.__getitem__ (basic -> views via ops.shape, advanced -> copies), gather,
scatter/scatter_add, index_select/index_add/index_put, masked_fill/select/scatter, nonzero, take.

Advanced-indexing backward accumulates into zeros with `np.add.at` (IndexPutAccumulate), whose
own backward is the same indexing again, so these ops have gradients of every order.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap, _wrap_view
from ..autograd.grad_mode import GRAD
from ..autograd.op import Op
from ..backend import array_module
from ._broadcast import wrap_dim, sum_to
from .shape import basic_getitem

ndarray = np.ndarray


def _xp(a):
    return np if type(a) is ndarray else array_module(a)


def _is_basic(k):
    return k is None or k is Ellipsis or isinstance(k, (int, slice, np.integer)) and \
        not isinstance(k, bool)


def _convert_key(key, shape):
    """torch index -> numpy index (tensors -> arrays), with torch's errors."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, Tensor):
            a = k._data
            if a.dtype.kind not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            if a.dtype == np.uint8:
                a = a.astype(bool)
            out.append(a)
        elif isinstance(k, (list, range)):
            a = np.asarray(_tolist(k))
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            if a.size == 0:
                a = a.astype(np.int64)
            out.append(a)
        elif isinstance(k, np.ndarray):
            out.append(k)
        elif isinstance(k, bool):
            out.append(np.asarray(k))
        elif isinstance(k, float):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte Variables are valid indices (got float)")
        elif _is_basic(k):
            out.append(k)
        elif hasattr(k, "__index__"):
            out.append(k.__index__())
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {type(k).__name__})")
    return tuple(out)


def _tolist(k):
    return [(_tolist(v) if isinstance(v, (list, tuple, range)) else
             (v.item() if isinstance(v, Tensor) else v)) for v in k]


def _check_bounds(key, shape):
    """torch's IndexError for out-of-range integer array indices (numpy's text differs)."""
    dim = 0
    for k in key:
        if k is None:
            continue
        if k is Ellipsis:
            return  # numpy checks the rest (same exception type)
        if isinstance(k, ndarray) and k.dtype == bool:
            for j, s in enumerate(k.shape):
                if dim + j < len(shape) and s != shape[dim + j]:
                    raise IndexError(f"The shape of the mask [{', '.join(map(str, k.shape))}] at "
                                     f"index {j} does not match the shape of the indexed tensor "
                                     f"[{', '.join(map(str, shape))}] at index {dim + j}")
            dim += max(k.ndim, 1) if k.ndim else 0
            continue
        if isinstance(k, ndarray):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            n = shape[dim]
            if k.size and (k.max() >= n or k.min() < -n):
                bad = int(k.max()) if k.max() >= n else int(k.min())
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
        elif isinstance(k, (int, np.integer)):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            n = shape[dim]
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
        dim += 1
    if dim > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")


class Index(Op):
    """x[advanced key] (IndexBackward0): a copy; backward accumulates into zeros."""

    def forward(self, x, key=()):
        self.in_shape = x.shape
        self.key = key
        return x[key]

    def backward(self, grad):
        return IndexPutAccumulate.apply(grad, shape=self.in_shape, key=self.key)


class IndexPutAccumulate(Op):
    """zeros(shape) with grad added at key (np.add.at handles repeated indices)."""
    node_name = "IndexPutBackward0"

    def forward(self, g, shape=(), key=()):
        self.key = key
        xp = _xp(g)
        out = xp.zeros(shape, g.dtype)
        if xp is np:
            np.add.at(out, key, g)
        else:
            import cupyx
            cupyx.scatter_add(out, key, g)
        return out

    def backward(self, grad):
        return Index.apply(grad, key=self.key)


def getitem(self, key):
    """Tensor.__getitem__: basic indexing gives views, anything else copies (as torch)."""
    if type(key) is int and not (self._rg and GRAD[0]):
        # t[i] without a graph: one bounds check and a NumPy view
        a = self._data
        if a.ndim:
            n = a.shape[0]
            if -n <= key < n:
                return _wrap_view(a[key, ...], self)
    if type(key) is int or type(key) is slice or key is None or key is Ellipsis:
        return basic_getitem(self, (key,))
    if type(key) is tuple and all(_is_basic(k) for k in key):
        return basic_getitem(self, key)
    k = _convert_key(key, self._data.shape)
    if all(_is_basic(x) for x in k):
        return basic_getitem(self, k)
    if self._data.ndim == 0 and not any(isinstance(x, ndarray) and x.dtype == bool for x in k):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    _check_bounds(k, self._data.shape)
    return Index.apply(self, key=k)


def setitem(self, key, value):
    """Tensor.__setitem__: write value (broadcast, cast to self's dtype) at key, in place."""
    from .inplace import inplace_setitem
    inplace_setitem(self, key, value)


# ---- gather / scatter -----------------------------------------------------------------------

def _check_index(index, name):
    if index._data.dtype not in (np.int64, np.int32):
        # scatter_add / scatter_reduce report as scatter()
        name = "scatter" if name.startswith("scatter") else name
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


class Gather(Op):
    def forward(self, x, index, dim=0):
        self.in_shape, self.dim = x.shape, dim
        self.save_inputs(1)
        if x.ndim == 0:
            return x[()].reshape(()) if index.ndim == 0 else x.reshape(1)[index]
        return _xp(x).take_along_axis(x, index, axis=dim)

    def backward(self, grad):
        index, = self.saved_inputs()
        return grad.new_zeros(self.in_shape).scatter_add(self.dim, index, grad), None


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """out[i][j] = input[index[i][j]][j] for dim 0, etc. (see torch.gather)."""
    _check_index(index, "gather")
    x, idx = input._data, index._data
    d = wrap_dim(dim, x.ndim)
    if idx.ndim != x.ndim and not (x.ndim == 0 or idx.ndim == 0):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    n = x.shape[d] if x.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    for k in range(x.ndim):
        if k != d and idx.shape[k] > x.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(idx.shape)} to be no larger than self {list(x.shape)} "
                               f"apart from dimension {d}")
    if idx.shape != x.shape and x.ndim:
        # take_along_axis needs equal non-dim sizes: gather reads only the index's extent
        x = x[tuple(slice(0, idx.shape[k]) if k != d else slice(None) for k in range(x.ndim))]
        input = input[tuple(slice(0, idx.shape[k]) if k != d else slice(None)
                            for k in range(x.ndim))]
    r = Gather.apply(input, index, dim=d)
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, r)
    return r


def _scatter_arrays(x, dim, idx, src, reduce=None):
    out = x.copy()
    xp = _xp(x)
    nd = x.ndim
    if nd == 0:
        out = out.reshape(1)
        idx = idx.reshape(-1)
        src = src.reshape(-1) if hasattr(src, "reshape") else src
        nd = 1
    # full coordinate arrays for the index's extent
    grids = list(np.ogrid[tuple(slice(0, s) for s in idx.shape)]) if idx.ndim else []
    coords = tuple(idx if k == dim else grids[k] for k in range(nd))
    if getattr(src, "ndim", 0) and src.shape != idx.shape:
        src = src[tuple(slice(0, s) for s in idx.shape)]
    if reduce is None:
        out[coords] = src
    elif reduce in ("add", "sum"):
        np.add.at(out, coords, src) if xp is np else __import__("cupyx").scatter_add(
            out, coords, src)
    elif reduce in ("multiply", "prod"):
        np.multiply.at(out, coords, src)
    elif reduce == "amax":
        np.maximum.at(out, coords, src)
    elif reduce == "amin":
        np.minimum.at(out, coords, src)
    else:
        raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
    return out.reshape(x.shape)


class Scatter(Op):
    """self with src written at index along dim (ScatterBackward0: src tensor)."""

    def forward(self, x, index, src, dim=0):
        self.save_inputs(1)
        self.dim = dim
        self.src_shape = getattr(src, "shape", ())
        return _scatter_arrays(x, dim, index, src)

    def backward(self, grad):
        index, = self.saved_inputs()
        ns = self.needs_input_grad
        gx = grad.scatter(self.dim, index, 0) if ns[0] else None
        gs = grad.gather(self.dim, index) if len(ns) > 2 and ns[2] else None
        return gx, None, gs


class ScatterValue(Op):
    node_name = "ScatterBackward1"

    def forward(self, x, index, value=0, dim=0):
        self.save_inputs(1)
        self.dim = dim
        return _scatter_arrays(x, dim, index, np.asarray(value, dtype=x.dtype))

    def backward(self, grad):
        index, = self.saved_inputs()
        return grad.scatter(self.dim, index, 0), None


class ScatterAdd(Op):
    def forward(self, x, index, src, dim=0):
        self.save_inputs(1)
        self.dim = dim
        return _scatter_arrays(x, dim, index, src, "add")

    def backward(self, grad):
        index, = self.saved_inputs()
        ns = self.needs_input_grad
        return (grad if ns[0] else None, None,
                grad.gather(self.dim, index) if ns[2] else None)


def _scatter_check(input, dim, index, src, name):
    _check_index(index, name)
    x, idx = input._data, index._data
    if idx.ndim != x.ndim and x.ndim and idx.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    return d


def scatter(input, dim, index, src=None, *, value=None, reduce=None, out=None):
    """Write src (or value) into input at index along dim (see torch.scatter)."""
    if src is None:
        src = value
    d = _scatter_check(input, dim, index, src, "scatter")
    if reduce is not None:
        s = src._data if isinstance(src, Tensor) else np.asarray(src, input._data.dtype)
        return _wrap(_scatter_arrays(input._data, d, index._data, s, reduce))
    if isinstance(src, Tensor):
        if src._data.dtype != input._data.dtype:
            raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype")
        r = Scatter.apply(input, index, src, dim=d)
    else:
        r = ScatterValue.apply(input, index, value=src, dim=d)
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, r)
    return r


def scatter_add(input, dim, index, src):
    d = _scatter_check(input, dim, index, src, "scatter_add")
    if src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    return ScatterAdd.apply(input, index, src, dim=d)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce src into input at index along dim; differentiable (see torch.scatter_reduce)."""
    from .sweep2 import scatter_reduce as f
    return f(input, dim, index, src, reduce, include_self=include_self)


class IndexSelect(Op):
    def forward(self, x, index, dim=0):
        self.in_shape, self.dim = x.shape, dim
        self.save_inputs(1)
        if x.ndim == 0:
            return x.copy()
        return _xp(x).take(x, index, axis=dim)

    def backward(self, grad):
        index, = self.saved_inputs()
        return grad.new_zeros(self.in_shape).index_add(self.dim, index, grad), None


def index_select(input, dim, index, *, out=None):
    x, idx = input._data, index._data
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError("index out of range in self")
    if idx.ndim == 0 and x.ndim:
        index = index.reshape(1)   # torch treats a 0-d index as a length-1 vector
    r = IndexSelect.apply(input, index, dim=d)
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, r)
    return r


class IndexAdd(Op):
    def forward(self, x, index, src, dim=0, alpha=1):
        self.save_inputs(1)
        self.dim, self.alpha = dim, alpha
        out = x.copy()
        key = (slice(None),) * dim + (index,)
        s = src * alpha if alpha != 1 else src
        if _xp(x) is np:
            np.add.at(out, key, s)
        else:
            __import__("cupyx").scatter_add(out, key, s)
        return out

    def backward(self, grad):
        index, = self.saved_inputs()
        ns = self.needs_input_grad
        gs = grad.index_select(self.dim, index) if ns[2] else None
        if gs is not None and self.alpha != 1:
            gs = gs * self.alpha
        return (grad if ns[0] else None), None, gs


def index_add(input, dim, index, source, *, alpha=1):
    d = wrap_dim(dim, input._data.ndim)
    return IndexAdd.apply(input, index, source, dim=d, alpha=alpha)


def index_copy(input, dim, index, source):
    d = wrap_dim(dim, input._data.ndim)
    key = (slice(None),) * d + (index,)
    return index_put(input, key, source)


def index_fill(input, dim, index, value):
    d = wrap_dim(dim, input._data.ndim)
    key = (slice(None),) * d + (index,)
    return index_put(input, key, value if isinstance(value, Tensor) else
                     _wrap(np.asarray(value, input._data.dtype)))


class IndexPut(Op):
    def forward(self, x, values, key=(), accumulate=False, index_tensors=()):
        self.key, self.accumulate = key, accumulate
        # the key's arrays are the index tensors' own: torch saves those tensors, so writing
        # to one before backward is the usual "modified by an inplace operation" error
        self.guard = [(t, t._ver[0] if t._ver else 0) for t in index_tensors]
        self.vshape = getattr(values, "shape", ())
        out = x.copy()
        if accumulate:
            np.add.at(out, key, values)
        else:
            try:
                out[key] = values
            except ValueError:
                res_shape = out[key].shape
                raise RuntimeError(f"shape mismatch: value tensor of shape "
                                   f"[{', '.join(map(str, self.vshape))}] cannot be broadcast to "
                                   f"indexing result of shape "
                                   f"[{', '.join(map(str, res_shape))}]") from None
        return out

    def backward(self, grad):
        for t, v in self.guard:
            cur = t._ver[0] if t._ver else 0
            if cur != v:
                # torch names a saved bool mask by its backend type (CPUBoolType), an integer
                # index by its legacy name (torch.LongTensor)
                from .._tensor import legacy_type_name
                name = legacy_type_name(t)
                if t._data.dtype == np.bool_:
                    name = ("CUDA" if ".cuda." in name else "CPU") + "BoolType"
                shape = ", ".join(str(n) for n in t._data.shape)
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: [{name} [{shape}]] is at version {cur}; "
                    f"expected version {v} instead. Hint: enable anomaly detection to find the "
                    "operation that failed to compute its gradient, with "
                    "torch.autograd.set_detect_anomaly(True, check_nan=False).")
        nx, nv = self.needs_input_grad
        gx = gv = None
        if nx:
            gx = grad if self.accumulate else IndexFillZero.apply(grad, key=self.key)
        if nv:
            gv = sum_to(Index.apply(grad, key=self.key), self.vshape)
        return gx, gv


class IndexFillZero(Op):
    node_name = "IndexPutBackward0"

    def forward(self, g, key=()):
        self.key = key
        out = g.copy()
        out[key] = 0
        return out

    def backward(self, grad):
        return IndexFillZero.apply(grad, key=self.key)


def index_put(input, indices, values, accumulate=False):
    key = _convert_key(tuple(indices), input._data.shape)
    if not isinstance(values, Tensor):
        values = _wrap(np.asarray(values, input._data.dtype))
    elif values._data.dtype != input._data.dtype:
        values = values.to(input.dtype)
    return IndexPut.apply(input, values, key=key, accumulate=accumulate)


class MaskedFill(Op):
    def forward(self, x, mask, value=0):
        self.save_inputs(1)
        self.shape = x.shape
        out = _xp(x).where(mask, _xp(x).asarray(value, dtype=x.dtype), x)
        if out.shape != x.shape:
            from ._broadcast import broadcast_error
            broadcast_error(x.shape, mask.shape)
        return out

    def backward(self, grad):
        mask, = self.saved_inputs()
        return sum_to(grad.masked_fill(mask, 0), self.shape), None


class MaskedFillTensor(Op):
    node_name = "MaskedFillBackward1"

    def forward(self, x, mask, value):
        self.save_inputs(1)
        self.shape = x.shape
        return _xp(x).where(mask, value.astype(x.dtype), x)

    def backward(self, grad):
        mask, = self.saved_inputs()
        nx, _, nv = self.needs_input_grad
        return (grad.masked_fill(mask, 0) if nx else None, None,
                (grad * mask).sum() if nv else None)


def masked_fill(input, mask, value):
    """value where mask is True (mask broadcasts to input), input elsewhere."""
    if mask._data.dtype != np.bool_:
        from .._legacy_types import _CPP_TYPE
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_CPP_TYPE.get(mask.dtype.name, mask.dtype.name)}")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        return MaskedFillTensor.apply(input, mask, value)
    return MaskedFill.apply(input, mask, value=value)


class MaskedSelect(Op):
    def forward(self, x, mask):
        self.save_inputs(1)
        self.shape = x.shape
        try:
            xb, mb = _xp(x).broadcast_arrays(x, mask)
        except ValueError:
            from ._broadcast import broadcast_error
            broadcast_error(mask.shape, x.shape)   # torch broadcasts mask (a) with input (b)
        self.bshape = xb.shape
        return xb[mb]

    def backward(self, grad):
        mask, = self.saved_inputs()
        z = grad.new_zeros(self.bshape)
        return sum_to(z.masked_scatter(mask.expand(self.bshape), grad), self.shape), None


def masked_select(input, mask, *, out=None):
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask")
    return MaskedSelect.apply(input, mask)


class MaskedScatter(Op):
    def forward(self, x, mask, source):
        self.save_inputs(1)
        out = x.copy()
        m = _xp(x).broadcast_to(mask, x.shape)
        n = int(m.sum())
        if n > source.size:
            raise RuntimeError("masked_scatter: expected source to have at least as many "
                               "elements as ones in mask")
        out[m] = source.reshape(-1)[:n]
        self.src_shape = source.shape
        self.n = n
        return out

    def backward(self, grad):
        mask, = self.saved_inputs()
        nx, _, ns = self.needs_input_grad
        gx = grad.masked_fill(mask, 0) if nx else None
        gs = None
        if ns:
            sel = grad.masked_select(mask)
            total = int(np.prod(self.src_shape))
            if total > self.n:
                sel = __import__("ember").cat([sel, sel.new_zeros(total - self.n)])
            gs = sel.reshape(self.src_shape)
        return gx, None, gs


def masked_scatter(input, mask, source):
    return MaskedScatter.apply(input, mask, source)


def nonzero(input, *, out=None, as_tuple=False):
    """Indices of nonzero elements: (n, ndim) int64, or a tuple of 1-D tensors."""
    x = input._data
    xp = _xp(x)
    if as_tuple:
        if x.ndim == 0:
            return (_wrap(xp.nonzero(x.reshape(1))[0].astype(np.int64)),)
        return tuple(_wrap(i.astype(np.int64)) for i in xp.nonzero(x))
    if x.ndim == 0:
        return _wrap(xp.zeros((int(bool(x)), 0), np.int64))
    r = _wrap(xp.stack(xp.nonzero(x), axis=1).astype(np.int64) if x.ndim else
              xp.zeros((0, 0), np.int64))
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, r)
    return r


def argwhere(input):
    return nonzero(input)


def take(input, index):
    flat = input.reshape(-1)
    n = flat._data.shape[0]
    idx = index._data
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError(f"out of range: tried to access index {int(idx.max())} on a tensor of "
                         f"{n} elements.")
    return Index.apply(flat, key=(idx,))


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return take(input, indices.reshape(-1))
    return gather(input, dim, indices.expand(
        tuple(s if i != wrap_dim(dim, input.dim()) else indices.shape[i]
              for i, s in enumerate(input.shape))) if indices.shape != input.shape else indices)
