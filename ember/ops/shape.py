"""Shape ops and views: view/reshape/flatten, squeeze/unsqueeze, transpose/permute, expand,
basic indexing (select/slice/None), split/chunk/unbind, cat/stack, flip/roll, repeat, tril/triu.

View ops (ViewOp) return tensors that share memory with their input — NumPy views — and share
its version counter and `_base`, exactly where torch's views do. The backward of basic indexing
writes the gradient into zeros at the same index (`ScatterKey`), itself differentiable.
"""
from __future__ import annotations

import builtins
import operator

import numpy as np

from .. import _memory_format as _mf
from .._tensor import Tensor, _wrap, _wrap_view
from ..autograd.op import Op, promote_arrays
from ..backend import array_module
from ._broadcast import wrap_dim, wrap_dims, sum_to

ndarray = np.ndarray


def _xp(a):
    return np if type(a) is ndarray else array_module(a)


class ViewOp(Op):
    """An op whose outputs are views of input 0: they share its memory and version counter."""

    @classmethod
    def apply(cls, x, *args, **params):
        out = Op.apply.__func__(cls, x, *args, **params)
        ver = x._ver
        if ver is None:
            ver = x._ver = [0]
        b = getattr(x, "_base", None)
        base = x if b is None else b
        if type(out) is tuple:
            for t in out:
                t._ver = ver
                t._base = base
        else:
            out._ver = ver
            out._base = base
        return out


# ---- view / reshape -----------------------------------------------------------------------

def _shape_args(shape):
    if len(shape) == 1 and type(shape[0]) is not int and not isinstance(
            shape[0], (np.integer, Tensor)):
        shape = shape[0]
    for s in shape:
        if type(s) is not int:
            return tuple(operator.index(s) for s in shape)
    return tuple(shape)


def infer_shape(shape, numel):
    """Resolve one -1 in `shape`, with torch's errors."""
    known = 1
    for s in shape:
        known *= s
    if known == numel and known >= 0 and -1 not in shape:
        return shape
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            if known == 0 and numel == 0:
                raise RuntimeError(
                    f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                    "unspecified dimension size -1 can be any value and is ambiguous")
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _np_view(a, shape):
    """a reshaped without copying, or None when the strides do not allow it."""
    try:
        return a.reshape(shape, copy=False)
    except ValueError:
        return None
    except TypeError:  # cupy without copy=
        v = a.view()
        try:
            v.shape = shape
            return v
        except AttributeError:
            return None


class View(ViewOp):
    def forward(self, x, shape=()):
        self.in_shape = x.shape
        v = _np_view(x, shape)
        if v is None:
            raise RuntimeError("view size is not compatible with input tensor's size and stride "
                               "(at least one dimension spans across two contiguous subspaces). "
                               "Use .reshape(...) instead.")
        return v

    def backward(self, grad):
        return grad.reshape(self.in_shape)

    def vjp(self, grad):
        return grad.reshape(self.in_shape)


class UnsafeView(Op):
    def forward(self, x, shape=()):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.in_shape)

    def vjp(self, grad):
        return grad.reshape(self.in_shape)


def view(input, *shape):
    """Same data, new shape; errors if the strides make that impossible (see Tensor.view)."""
    from .. import _dtype as D
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        return _view_dtype(input, shape[0])
    shape = infer_shape(_shape_args(shape), input._data.size)
    a = input._data
    if a.flags.c_contiguous and not (input._rg and _grad_on()):
        # the common case, without a graph: a contiguous reshape is always a view
        return _wrap_view(a.reshape(shape), input)
    return View.apply(input, shape=shape)


def _view_dtype(input, dt):
    a = input._data
    if a.itemsize != dt.itemsize and a.ndim and not a.flags.c_contiguous:
        raise RuntimeError("self.stride(-1) must be 1 to view a different dtype")
    r = _wrap(a.view(dt.np))
    r._ver = input._ver or [0]
    input._ver = r._ver
    r._base = input if getattr(input, "_base", None) is None else input._base
    return r


def reshape(input, *shape):
    """A view when the strides allow, else a copy (see torch.reshape)."""
    shape = infer_shape(_shape_args(shape), input._data.size)
    a = input._data
    if a.flags.c_contiguous and not (input._rg and _grad_on()):
        return _wrap_view(a.reshape(shape), input)
    if a.shape == shape and not (input._rg and _grad_on()):
        # torch returns a view (alias) even for the same shape
        return View.apply(input, shape=shape)
    if _np_view(a, shape) is not None:
        return View.apply(input, shape=shape)
    return UnsafeView.apply(clone(input), shape=shape)


def _grad_on():
    from ..autograd.grad_mode import GRAD
    return GRAD[0]


def flatten(input, start_dim=0, end_dim=-1):
    a = input._data
    if a.ndim == 0:
        return reshape(input, 1)
    s = wrap_dim(start_dim, a.ndim)
    e = wrap_dim(end_dim, a.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for d in a.shape[s:e + 1]:
        n *= d
    return reshape(input, a.shape[:s] + (n,) + a.shape[e + 1:])


def unflatten(input, dim, sizes):
    a = input._data
    d = wrap_dim(dim, a.ndim)
    sizes = tuple(sizes)
    if -1 in sizes:
        sizes = infer_shape(sizes, a.shape[d])
    elif int(np.prod(sizes)) != a.shape[d]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({a.shape[d]}) in the input tensor")
    return view(input, a.shape[:d] + sizes + a.shape[d + 1:]) if _np_view(
        a, a.shape[:d] + sizes + a.shape[d + 1:]) is not None else reshape(
        input, a.shape[:d] + sizes + a.shape[d + 1:])


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


class Clone(Op):
    def forward(self, x, memory_format=None):
        if memory_format is not None and getattr(memory_format, "name", "") == \
                "contiguous_format":
            return x.copy(order="C")   # a copy even when x is already contiguous
        # preserve_format keeps dense strides (else infers dense ones); or a requested format
        return _mf.copy_format(x, memory_format)

    def backward(self, grad):
        return grad

    def vjp(self, grad):
        return grad


def clone(input, *, memory_format=None):
    """A copy with its own memory, still connected to the graph (see torch.clone)."""
    return Clone.apply(input, memory_format=memory_format)


def contiguous(input, memory_format=None):
    a = input._data
    if memory_format is None or memory_format is _mf.contiguous_format:
        if a.flags.c_contiguous:
            return input
        return Clone.apply(input, memory_format=_ContigFmt)
    if _mf.is_contiguous_as(a, memory_format):
        return input
    if memory_format is _mf.preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    return Clone.apply(input, memory_format=memory_format)


class _ContigFmtCls:
    name = "contiguous_format"


_ContigFmt = _ContigFmtCls()


# ---- squeeze / unsqueeze / transpose / permute ----------------------------------------

class Squeeze(ViewOp):
    def forward(self, x, dims=None):
        self.in_shape = x.shape
        if dims is None:
            return x.reshape(tuple(s for s in x.shape if s != 1))
        keep = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
        return x.reshape(keep)

    def backward(self, grad):
        return grad.reshape(self.in_shape)

    def vjp(self, grad):
        return grad.reshape(self.in_shape)


class SqueezeDim(Squeeze):
    node_name = "SqueezeBackward1"


class SqueezeDims(Squeeze):
    node_name = "SqueezeBackward2"


def squeeze(input, dim=None):
    """Drop size-1 dims (all, or the given ones when they have size 1)."""
    nd = input._data.ndim
    if dim is None:
        return Squeeze.apply(input)
    if isinstance(dim, (tuple, list)):
        return SqueezeDims.apply(input, dims=wrap_dims(tuple(dim), nd) if nd else ())
    return SqueezeDim.apply(input, dims=(wrap_dim(dim, nd),) if nd else ())


class Unsqueeze(ViewOp):
    def forward(self, x, dim=0):
        self.dim = dim
        return _xp(x).expand_dims(x, dim)

    def backward(self, grad):
        return grad.squeeze(self.dim)

    def vjp(self, grad):
        return grad.squeeze(self.dim)


def unsqueeze(input, dim):
    """Insert a size-1 dim at `dim` (see torch.unsqueeze)."""
    return Unsqueeze.apply(input, dim=wrap_dim(dim, input._data.ndim + 1))


class Transpose(ViewOp):
    def forward(self, x, d0=0, d1=1):
        self.d0, self.d1 = d0, d1
        return x.swapaxes(d0, d1)

    def backward(self, grad):
        return grad.transpose(self.d0, self.d1)

    def vjp(self, grad):
        return grad.swapaxes(self.d0, self.d1)


class T(ViewOp):
    node_name = "TBackward0"

    def forward(self, x):
        return x.T

    def backward(self, grad):
        return grad.t()

    def vjp(self, grad):
        return grad.T


def transpose(input, dim0, dim1):
    nd = input._data.ndim
    d0, d1 = wrap_dim(dim0, nd), wrap_dim(dim1, nd)
    if nd == 0:
        return View.apply(input, shape=())
    return Transpose.apply(input, d0=d0, d1=d1)


swapaxes = swapdims = transpose


def t(input):
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return T.apply(input)


class Permute(ViewOp):
    def forward(self, x, dims=()):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, grad):
        inv = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inv[d] = i
        return grad.permute(*inv)

    def vjp(self, grad):
        return grad.transpose(np.argsort(self.dims))


def permute(input, *dims):
    if len(dims) == 1 and not isinstance(dims[0], int):
        dims = tuple(dims[0])
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {nd} is not equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims=dims)


def movedim(input, source, destination):
    nd = input._data.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    src = wrap_dims(src, nd)
    dst = wrap_dims(dst, nd)
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, dims=tuple(order))


moveaxis = movedim


# ---- expand / repeat -----------------------------------------------------------------------

class Expand(ViewOp):
    def forward(self, x, shape=()):
        self.in_shape = x.shape
        return _xp(x).broadcast_to(x, shape)

    def backward(self, grad):
        return sum_to(grad, self.in_shape)

    def vjp(self, grad):
        from ._broadcast import sum_to_arr
        return sum_to_arr(grad, self.in_shape)


def expand(input, *sizes):
    sizes = _shape_args(sizes)
    a = input._data
    if len(sizes) < a.ndim:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{[{', '.join(map(str, a.shape))}]}}, size=[{', '.join(map(str, sizes))}]): "
            "the number of sizes provided (" + str(len(sizes)) + ") must be greater or equal to "
            "the number of dimensions in the tensor (" + str(a.ndim) + ")")
    lead = len(sizes) - a.ndim
    shape = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   "leading, non-existing dimension 0")
            shape.append(s)
        else:
            cur = a.shape[i - lead]
            if s == -1:
                shape.append(cur)
            elif cur != 1 and s != cur:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size ({cur}) "
                    f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor "
                    f"sizes: {list(a.shape)}")
            else:
                shape.append(s)
    return Expand.apply(input, shape=tuple(shape))


def expand_as(input, other):
    return expand(input, other._data.shape)


def broadcast_to(input, size):
    return expand(input, tuple(size))


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    from ._broadcast import broadcast_error
    shape = ()
    for t in tensors:
        try:
            shape = np.broadcast_shapes(shape, t._data.shape)
        except ValueError:
            # torch reports the pair as tensor a (the shape so far) and tensor b
            broadcast_error(shape, t._data.shape)
    # torch hands back a tensor that already has the shape itself (no ExpandBackward0 node)
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)


class Repeat(Op):
    def forward(self, x, repeats=()):
        self.in_shape = x.shape
        self.repeats = repeats
        lead = len(repeats) - x.ndim
        xr = x.reshape((1,) * lead + x.shape)
        return _xp(x).tile(xr, repeats)

    def backward(self, grad):
        rs = self.repeats
        shape = (1,) * (len(rs) - len(self.in_shape)) + tuple(self.in_shape)
        split = []
        for r, s in zip(rs, shape):
            split += [r, s]
        g = grad.reshape(split)
        g = g.sum(dim=list(range(0, len(split), 2)))
        return g.reshape(self.in_shape)


def repeat(input, *sizes):
    sizes = _shape_args(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    return Repeat.apply(input, repeats=sizes)


def tile(input, dims):
    dims = tuple(dims)
    nd = input._data.ndim
    if len(dims) < nd:
        dims = (1,) * (nd - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # repeat_interleave(repeats_tensor)
        r = input._data
        return _wrap(np.repeat(np.arange(r.size, dtype=np.int64), r))
    x = input
    if dim is None:
        x = x.reshape(-1)
        dim = 0
    d = wrap_dim(dim, x._data.ndim)
    n = x._data.shape[d]
    if isinstance(repeats, Tensor):
        reps = repeats._data.reshape(-1)
        if reps.size == 1:
            reps = np.repeat(reps, n)
        elif reps.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {reps.size} and input.size({d}) = {n}")
    else:
        reps = np.full(n, int(repeats))
    if reps.size and reps.min() < 0:
        raise RuntimeError("repeats can not be negative")
    idx = np.repeat(np.arange(n), reps)
    from .indexing import index_select
    return index_select(x, d, _wrap(idx.astype(np.int64)))


# ---- basic indexing -------------------------------------------------------------------------

class GetKey(ViewOp):
    """x[key] for a basic-indexing key of ints/slices/None/Ellipsis (a view)."""

    def forward(self, x, key=()):
        self.in_shape = x.shape
        self.key = key
        return x[key]

    def backward(self, grad):
        return ScatterKey.apply(grad, shape=self.in_shape, key=self.key)

    def vjp(self, grad):
        out = _xp(grad).zeros(self.in_shape, grad.dtype)
        out[self.key] = grad
        return out


class Select(GetKey):
    node_name = "SelectBackward0"


class Slice(GetKey):
    node_name = "SliceBackward0"


class UnsqueezeKey(GetKey):
    node_name = "UnsqueezeBackward0"


class Alias(GetKey):
    node_name = "AliasBackward0"


class ScatterKey(Op):
    """zeros(shape) with `grad` written at `key`: the backward of GetKey (select_scatter)."""
    node_name = "SliceScatterBackward0"

    def forward(self, g, shape=(), key=()):
        self.key = key
        out = _xp(g).zeros(shape, g.dtype)
        out[key] = g
        return out

    def backward(self, grad):
        return GetKey.apply(grad, key=self.key)


def select(input, dim, index):
    a = input._data
    if a.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, a.ndim)
    n = a.shape[d]
    index = operator.index(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(a.shape)} at dimension {d}")
    if index < 0:
        index += n
    return Select.apply(input, key=(slice(None),) * d + (index,))


def narrow(input, dim, start, length):
    a = input._data
    d = wrap_dim(dim, a.ndim)
    start = operator.index(start)
    n = a.shape[d]
    if start < 0:
        start += n
    if not 0 <= start <= n or start + length > n or length < 0:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return Slice.apply(input, key=(slice(None),) * d + (slice(start, start + length),))


def _slice_indices(sl, n):
    if sl.step is not None and operator.index(sl.step) <= 0:
        raise ValueError("step must be greater than zero")
    return sl.indices(n)


def basic_getitem(input, key):
    """Apply a basic index (ints, slices, None, Ellipsis) as torch does: one node per part."""
    a = input._data
    parts = list(key)
    n_real = builtins.sum(1 for k in parts if k is not None and k is not Ellipsis)
    if n_real > a.ndim:
        raise IndexError(f"too many indices for tensor of dimension {a.ndim}")
    if builtins.sum(1 for k in parts if k is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if Ellipsis in parts:
        i = parts.index(Ellipsis)
        parts[i:i + 1] = [slice(None)] * (a.ndim - n_real)
    # validate and normalise, left to right over the input's dims
    dim = 0
    norm = []
    for k in parts:
        if k is None:
            norm.append(None)
            continue
        size = a.shape[dim]
        if isinstance(k, slice):
            for v in (k.start, k.stop, k.step):
                if v is not None and not isinstance(v, (int, np.integer)):
                    operator.index(v)
            if k.step is not None and operator.index(k.step) <= 0:
                raise ValueError("step must be greater than zero")
            norm.append(k)
        else:
            k = operator.index(k)
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size "
                                 f"{size}")
            norm.append(k + size if k < 0 else k)
        dim += 1
    from ..autograd.grad_mode import GRAD
    if not (input._rg and GRAD[0]):
        # one NumPy view, no graph (the trailing Ellipsis keeps all-int keys a 0-d view, not a
        # NumPy scalar)
        return _wrap_view(a[tuple(norm) + (Ellipsis,)], input)
    # with grad: torch's chain of nodes (select/slice/unsqueeze), full slices skipped in tuples
    out = input
    d = 0
    single = len(norm) == 1
    for k in norm:
        pre = (slice(None),) * d
        if k is None:
            out = UnsqueezeKey.apply(out, key=pre + (None,))
            d += 1
        elif isinstance(k, slice):
            if k == slice(None) and not single:
                d += 1
                continue
            out = Slice.apply(out, key=pre + (k,))
            d += 1
        else:
            out = Select.apply(out, key=pre + (k,))
    return out


# ---- split / chunk / unbind / cat / stack -----------------------------------------------

class SplitOp(ViewOp):
    node_name = "SplitBackward0"

    def forward(self, x, sizes=(), dim=0):
        self.in_shape, self.dim, self.dtype = x.shape, dim, x.dtype
        outs = []
        start = 0
        for s in sizes:
            outs.append(x[(slice(None),) * dim + (slice(start, start + s),)])
            start += s
        return tuple(outs)

    def backward(self, *grads):
        return cat(list(grads), self.dim)


class SplitWithSizes(SplitOp):
    node_name = "SplitWithSizesBackward0"


def split(tensor, split_size_or_sections, dim=0):
    a = tensor._data
    d = wrap_dim(dim, a.ndim)
    n = a.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        s = int(split_size_or_sections)
        if s <= 0 and not (s == 0 and n == 0):
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s else [0]
        return SplitOp.apply(tensor, sizes=tuple(sizes), dim=d)
    sizes = tuple(int(s) for s in split_size_or_sections)
    if builtins.sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                           f"tensor's size at dimension {d}), but got split_sizes={list(sizes)}")
    return SplitWithSizes.apply(tensor, sizes=sizes, dim=d)


def chunk(input, chunks, dim=0):
    a = input._data
    d = wrap_dim(dim, a.ndim)
    n = a.shape[d]
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    s = -(-n // chunks) if n else 1
    return split(input, s, d) if n else split(input, [0] * 1, d)


def tensor_split(input, indices_or_sections, dim=0):
    a = input._data
    d = wrap_dim(dim, a.ndim)
    n = a.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
    else:
        idx = [0] + [builtins.min(builtins.max(int(i), 0), n) for i in indices_or_sections] + [n]
        sizes = [builtins.max(b - a_, 0) for a_, b in zip(idx[:-1], idx[1:])]
    return SplitWithSizes.apply(input, sizes=tuple(sizes), dim=d)


class Unbind(ViewOp):
    def forward(self, x, dim=0):
        self.dim = dim
        self.in_shape = x.shape
        return tuple(x[(slice(None),) * dim + (i,)] for i in range(x.shape[dim]))

    def backward(self, *grads):
        return stack(list(grads), self.dim)


def unbind(input, dim=0):
    a = input._data
    if a.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return Unbind.apply(input, dim=wrap_dim(dim, a.ndim))


def _joined_layout(r, parts):
    """torch allocates a cat/stack result contiguous unless every input suggests the same
    channels_last format; numpy's concatenate follows the inputs' layout (a stack of
    transposed matrices would come out transposed), so restride that case."""
    if r.flags.c_contiguous or not parts:
        return r
    fmts = {_mf.suggest_format(a) for a in parts}
    if len(fmts) == 1 and _mf.contiguous_format not in fmts:
        return r
    return _xp(r).ascontiguousarray(r)


class Cat(Op):
    def forward(self, *arrays, dim=0):
        self.dim = dim
        self.sizes = [a.shape[dim] if a.ndim else 0 for a in arrays]
        self.nonempty = [not (a.ndim == 1 and a.shape[0] == 0) for a in arrays]
        parts = [a for a, ne in zip(arrays, self.nonempty) if ne]
        return _joined_layout(_xp(arrays[0]).concatenate(parts, axis=dim), parts)

    def backward(self, grad):
        out = []
        start = 0
        for s, ne in zip(self.sizes, self.nonempty):
            if not ne:
                out.append(None)
                continue
            out.append(grad.narrow(self.dim, start, s))
            start += s
        return tuple(out)


def _seq_arg(tensors, name):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        "not Tensor")
    tensors = list(tensors)
    if not tensors:
        if name == "cat":
            raise ValueError("torch.cat(): expected a non-empty list of Tensors")
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            # torch names the type by its C tp_name: bare for Python classes and builtins,
            # module-qualified for extension types ("numpy.ndarray")
            tp = type(t)
            heap = tp.__flags__ & (1 << 9)
            tname = tp.__name__ if heap or tp.__module__ == "builtins" else \
                f"{tp.__module__}.{tp.__name__}"
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {tname}")
    return tensors


def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dim (see torch.cat)."""
    tensors = _seq_arg(tensors, "cat")
    arrays = [t._data for t in tensors]
    ref = next((a for a in arrays if not (a.ndim == 1 and a.shape[0] == 0)), arrays[0])
    if ref.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = wrap_dim(dim, ref.ndim)
    for i, a in enumerate(arrays):
        if a.ndim == 1 and a.shape[0] == 0:
            continue
        if a.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and "
                               f"{a.ndim}")
        for k in range(ref.ndim):
            if k != d and a.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref.shape[k]} but got size {a.shape[k]} for "
                                   f"tensor number {i} in the list.")
    if len({a.dtype for a in arrays}) > 1:
        (*arrays2,), dt = promote_arrays(tensors, arrays, False)
        tensors = [t if t._data.dtype == dt else t.to(_dt(dt)) for t in tensors]
    r = Cat.apply(*tensors, dim=d)
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, r)
    return r


def _dt(npdt):
    from .._dtype import _FROM_NP
    return _FROM_NP[npdt]


concat = concatenate = cat


class Stack(Op):
    def forward(self, *arrays, dim=0):
        self.dim = dim
        return _joined_layout(_xp(arrays[0]).stack(arrays, axis=dim), arrays)

    def backward(self, grad):
        return grad.unbind(self.dim)


def stack(tensors, dim=0, *, out=None):
    """Join tensors along a new dim (see torch.stack)."""
    tensors = _seq_arg(tensors, "stack")
    arrays = [t._data for t in tensors]
    d = wrap_dim(dim, arrays[0].ndim + 1)
    s0 = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(s0)} at entry 0 and {list(a.shape)} at entry {i}")
    if len({a.dtype for a in arrays}) > 1:
        _, dt = promote_arrays(tensors, arrays, False)
        tensors = [t if t._data.dtype == dt else t.to(_dt(dt)) for t in tensors]
    r = Stack.apply(*tensors, dim=d)
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, r)
    return r


def hstack(tensors, *, out=None):
    tensors = _seq_arg(tensors, "hstack")
    tensors = [atleast_1d(t) for t in tensors]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    tensors = [atleast_2d(t) for t in _seq_arg(tensors, "vstack")]
    return cat(tensors, 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    tensors = [atleast_3d(t) for t in _seq_arg(tensors, "dstack")]
    return cat(tensors, 2, out=out)


def column_stack(tensors, *, out=None):
    ts = []
    for t in _seq_arg(tensors, "column_stack"):
        if t._data.ndim <= 1:
            t = t.reshape(-1, 1)
        ts.append(t)
    return cat(ts, 1, out=out)


def _atleast(fn):
    # torch.atleast_Nd(t) -> t; (t1, t2, ...) or ([t1, t2]) -> a tuple
    def f(*tensors):
        if len(tensors) == 1:
            t = tensors[0]
            if isinstance(t, Tensor):
                return fn(t)
            return tuple(fn(x) for x in t)
        return tuple(fn(x) for x in tensors)
    f.__name__ = fn.__name__.lstrip("_")
    f.__doc__ = f"see torch.{f.__name__}"
    return f


@_atleast
def atleast_1d(t):
    return t.reshape(1) if t._data.ndim == 0 else t


@_atleast
def atleast_2d(t):
    nd = t._data.ndim
    return t.reshape(1, 1) if nd == 0 else t.unsqueeze(0) if nd == 1 else t


@_atleast
def atleast_3d(t):
    nd = t._data.ndim
    if nd == 0:
        return t.reshape(1, 1, 1)
    if nd == 1:
        return t.unsqueeze(0).unsqueeze(-1)
    if nd == 2:
        return t.unsqueeze(-1)
    return t


# ---- flip / roll / tril / triu / diagonal -------------------------------------------------

class Flip(Op):
    def forward(self, x, dims=()):
        self.dims = dims
        return _xp(x).flip(x, axis=dims).copy()

    def backward(self, grad):
        return grad.flip(self.dims)


def flip(input, *dims):
    if len(dims) == 1 and not isinstance(dims[0], int):
        dims = tuple(dims[0])
    return Flip.apply(input, dims=wrap_dims(tuple(dims), input._data.ndim))


def fliplr(input):
    return flip(input, 1)


def flipud(input):
    return flip(input, 0)


class Roll(Op):
    def forward(self, x, shifts=(), dims=None):
        self.shifts, self.dims = shifts, dims
        return _xp(x).roll(x, shifts, axis=dims)

    def backward(self, grad):
        neg = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return roll(grad, neg, self.dims)


def roll(input, shifts, dims=None):
    if isinstance(shifts, (list, tuple)):
        shifts = tuple(shifts)
    if isinstance(dims, (list, tuple)):
        dims = tuple(dims)
    ns = len(shifts) if isinstance(shifts, tuple) else 1
    nd = len(dims) if isinstance(dims, tuple) else 0 if dims is None else 1
    if (nd or ns != 1) and ns != nd:
        raise RuntimeError(f"shifts and dimensions must align. shifts: {ns}, dims:{nd}")
    return Roll.apply(input, shifts=shifts, dims=dims)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees k times in the plane of dims (see torch.rot90)."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    nd = input._data.ndim
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = wrap_dim(dims[0], nd), wrap_dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} "
                           f"and dim1 = {dims[1]}")
    k %= 4
    if k == 0:
        return clone(input)
    if k == 1:
        return flip(input, [d1]).transpose(d0, d1)
    if k == 2:
        return flip(input, [d0, d1])
    return flip(input, [d0]).transpose(d0, d1)


class Tril(Op):
    fn = "tril"

    def forward(self, x, diagonal=0):
        self.k = diagonal
        if x.ndim < 2:
            raise RuntimeError(f"{self.fn}: input tensor must have at least 2 dimensions")
        return getattr(_xp(x), self.fn)(x, diagonal)

    def backward(self, grad):
        return getattr(grad, self.fn)(self.k)


class Triu(Tril):
    fn = "triu"


def tril(input, diagonal=0, *, out=None):
    r = Tril.apply(input, diagonal=diagonal)
    return r if out is None else _out(out, r)


def triu(input, diagonal=0, *, out=None):
    r = Triu.apply(input, diagonal=diagonal)
    return r if out is None else _out(out, r)


def _out(out, r):
    from .inplace import copy_into_out
    return copy_into_out(out, r)


class Diagonal(ViewOp):
    def forward(self, x, offset=0, dim1=0, dim2=1):
        self.in_shape, self.args = x.shape, (offset, dim1, dim2)
        d = _xp(x).diagonal(x, offset, dim1, dim2)
        if x.flags.writeable and not d.flags.writeable:
            d.flags.writeable = True  # NumPy's diagonal view is read-only; torch's is writable
        return d

    def backward(self, grad):
        return DiagonalScatter.apply(grad, shape=self.in_shape, args=self.args)


class DiagonalScatter(Op):
    def forward(self, g, shape=(), args=(0, 0, 1)):
        self.args = args
        out = _xp(g).zeros(shape, g.dtype)
        d = _xp(g).diagonal(out, *args)
        d.flags.writeable = True
        d[...] = g
        return out

    def backward(self, grad):
        return Diagonal.apply(grad, offset=self.args[0], dim1=self.args[1], dim2=self.args[2])


def diagonal(input, offset=0, dim1=0, dim2=1):
    nd = input._data.ndim
    return Diagonal.apply(input, offset=offset, dim1=wrap_dim(dim1, nd), dim2=wrap_dim(dim2, nd))


def diag(input, diagonal=0):
    a = input._data
    if a.ndim == 1:
        return diag_embed(input, diagonal)
    if a.ndim != 2:
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + str(a.ndim) + "D")
    return globals()["diagonal"](input, diagonal).clone()


class DiagEmbed(Op):
    def forward(self, v, offset=0):
        self.offset = offset
        n = v.shape[-1] + builtins.abs(offset)
        out = _xp(v).zeros(v.shape[:-1] + (n, n), v.dtype)
        d = _xp(v).diagonal(out, offset, -2, -1)
        d.flags.writeable = True
        d[...] = v
        return out

    def backward(self, grad):
        return grad.diagonal(self.offset, -2, -1)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Batched diagonal matrices whose diagonal dims land at dim1, dim2 (see torch.diag_embed)."""
    nd = input._data.ndim + 1
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    r = DiagEmbed.apply(input, offset=offset)
    if (d1, d2) != (nd - 2, nd - 1):
        r = r.movedim((-2, -1), (d1, d2))
    return r


class Unfold(ViewOp):
    """Tensor.unfold(dim, size, step): sliding windows as a new last dim (a view)."""

    def forward(self, x, dim=0, size=1, step=1):
        self.in_shape, self.dim, self.size, self.step = x.shape, dim, size, step
        n = (x.shape[dim] - size) // step + 1 if x.ndim else 1
        if x.ndim == 0:
            return x.reshape(1)
        shape = x.shape[:dim] + (n,) + x.shape[dim + 1:] + (size,)
        st = x.strides
        strides = st[:dim] + (st[dim] * step,) + st[dim + 1:] + (st[dim],)
        return _xp(x).lib.stride_tricks.as_strided(x, shape, strides, writeable=False)

    def backward(self, grad):
        z = grad.new_zeros(self.in_shape)
        n = grad.shape[self.dim]
        idx = (np.arange(n)[:, None] * self.step + np.arange(self.size)[None, :])
        # accumulate each window back (windows may overlap)
        from .indexing import index_add
        g = grad.movedim(self.dim, 0).movedim(-1, 1)  # (n, size, ...)
        g = g.reshape((n * self.size,) + tuple(g.shape[2:]))
        return index_add(z.movedim(self.dim, 0), 0, _wrap(idx.reshape(-1).astype(np.int64)),
                         g).movedim(0, self.dim)


def unfold(input, dimension, size, step):
    a = input._data
    d = wrap_dim(dimension, a.ndim) if a.ndim else 0
    n = a.shape[d] if a.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return Unfold.apply(input, dim=d, size=size, step=step)


def as_strided(input, size, stride, storage_offset=None):
    a = input._data
    base = getattr(input, "_base", None)
    root = base._data if base is not None else a
    off = input.storage_offset() if storage_offset is None else storage_offset
    flat = _mf.storage_view(root)   # the root's memory in storage order (channels_last too)
    if flat is None:
        flat = np.ascontiguousarray(root).reshape(-1)
    it = a.itemsize
    v = np.lib.stride_tricks.as_strided(flat[off:], tuple(size), tuple(s * it for s in stride))
    from ..autograd.grad_mode import GRAD
    if input._rg and GRAD[0]:   # differentiable (AsStridedBackward0): ember/ops/sweep2.py
        from .sweep2 import as_strided_autograd
        return as_strided_autograd(input, v, flat.shape[0], size, stride, off)
    r = _wrap(v)
    r._ver = input._ver or [0]
    r._base = base if base is not None else input
    return r
