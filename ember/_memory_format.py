"""Memory formats (torch.channels_last, ...) and torch's stride rules, on strided arrays.

ember's arrays carry arbitrary strides, so torch's layouts are represented exactly: this module
says which strides torch would give a result (clone/empty_like's preserve rule, channels_last
strides, TensorIterator's output order for mixed layouts) and allocates arrays with them.
Callers use it only off the common path: when a format is requested or an input is not
C-contiguous. Strides here are in elements, as `Tensor.stride()` reports them.
"""
from __future__ import annotations

import numpy as np

ndarray = np.ndarray


class memory_format:
    """torch.memory_format: contiguous_format, channels_last, channels_last_3d,
    preserve_format (singletons; torch refuses to make new ones)."""
    __slots__ = ("name",)

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create 'torch.memory_format' instances")

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return self.name   # pickled by name: unpickles to the module-level singleton


memory_format.__module__ = "torch"   # torch's type is built in C as `torch.memory_format`


def _make(name):
    f = object.__new__(memory_format)
    f.name = name
    return f


contiguous_format = _make("contiguous_format")
channels_last = _make("channels_last")
channels_last_3d = _make("channels_last_3d")
preserve_format = _make("preserve_format")


# ---- stride arithmetic (sizes and strides in elements) ----------------------------------

def estrides(a):
    it = a.itemsize
    return tuple(s // it for s in a.strides)


def contiguous_strides(shape):
    st = [1] * len(shape)
    acc = 1
    for i in range(len(shape) - 1, -1, -1):
        st[i] = acc
        acc *= max(shape[i], 1)
    return tuple(st)


def _ordered_strides(shape, order):
    """Dense strides with dims laid out innermost-first in `order`; like torch's
    get_channels_last_strides_*, a size is multiplied in as it is (0 gives 0)."""
    st = [0] * len(shape)
    acc = 1
    for d in order:
        st[d] = acc
        acc *= shape[d]
    return tuple(st)


_CL_ORDER = {4: (1, 3, 2, 0), 5: (1, 4, 3, 2, 0)}


def format_strides(shape, fmt):
    """The strides of a fresh tensor of `shape` in memory format `fmt` (not preserve)."""
    name = fmt.name
    if name == "channels_last":
        if len(shape) != 4:
            raise RuntimeError("required rank 4 tensor to use channels_last format")
        return _ordered_strides(shape, _CL_ORDER[4])
    if name == "channels_last_3d":
        if len(shape) != 5:
            raise RuntimeError("required rank 5 tensor to use channels_last_3d format")
        return _ordered_strides(shape, _CL_ORDER[5])
    return contiguous_strides(shape)


def is_format_contiguous(shape, st, order):
    """torch's is_channels_last_contiguous: dims of size 1 are free."""
    expected = 1
    for d in order:
        s = shape[d]
        if s != 1:
            if st[d] != expected:
                return False
            expected *= s
    return True


def strides_like_channels_last(shape, st):
    """torch's is_channels_last_strides_2d/3d (what suggest_memory_format reads)."""
    order = _CL_ORDER.get(len(shape))
    if order is None or st[1] == 0:
        return False
    lo = 0
    for d in order:
        if shape[d] == 0 or st[d] < lo:
            return False
        # N111-like ambiguity: torch falls back to contiguous
        if d == 0 and lo == st[1]:
            return False
        lo = st[d]
        if shape[d] > 1:
            lo *= shape[d]
    return True


def suggest_format(a):
    """torch's Tensor.suggest_memory_format for an array."""
    if a.ndim in (4, 5) and strides_like_channels_last(a.shape, estrides(a)):
        return channels_last if a.ndim == 4 else channels_last_3d
    return contiguous_format


def is_dense(shape, st):
    """torch's is_non_overlapping_and_dense."""
    if len(shape) == 1:
        return shape[0] < 2 or st[0] == 1
    perm = sorted((d for d in range(len(shape)) if shape[d] >= 2), key=lambda d: st[d])
    need = 1
    for d in perm:
        if st[d] != need:
            return False
        need *= shape[d]
    return True


def _insertion_order(shape, operands):
    """Dims innermost-first, sorted as torch's TensorIterator / infer_dense_strides do:
    a stable insertion sort on the operands' strides (first operand that decides wins; zero
    strides are ambiguous; equal strides put the smaller size inner)."""
    nd = len(shape)
    perm = list(range(nd - 1, -1, -1))

    def should_swap(d0, d1):
        for st in operands:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 < s1:
                return -1
            if s0 > s1:
                return 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    for i in range(1, nd):
        d1 = i
        for j in range(1, i + 1):
            d0 = i - j
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm


def infer_dense_strides(shape, st):
    """torch's infer_dense_strides: dense strides keeping the dims' order in memory."""
    out = [0] * len(shape)
    acc = 1
    for d in _insertion_order(shape, (st,)):
        out[d] = acc
        if shape[d] > 1:
            acc *= shape[d]
    return tuple(out)


def like_strides(a, fmt=None):
    """Strides torch gives empty_like(a, memory_format=fmt) / a.clone(memory_format=fmt)."""
    if fmt is None or fmt is preserve_format:
        shape, st = a.shape, estrides(a)
        if a.flags.c_contiguous:
            return contiguous_strides(shape)
        if is_dense(shape, st):
            return st
        return infer_dense_strides(shape, st)
    return format_strides(a.shape, fmt)


# ---- allocation and copies ---------------------------------------------------------------

def empty_strided(xp, shape, st, dtype):
    """An uninitialised array with exactly these element strides (dense layouts)."""
    dtype = np.dtype(dtype)
    shape = tuple(shape)
    n = 1 + sum((s - 1) * abs(t) for s, t in zip(shape, st)) if all(shape) else 0
    it = dtype.itemsize
    bst = tuple(t * it for t in st)
    buf = xp.empty(max(n, 1), dtype)
    if xp is np:
        return np.ndarray(shape, dtype, buf, 0, bst)
    return xp.lib.stride_tricks.as_strided(buf, shape, bst)


def _xp(a):
    if type(a) is ndarray:
        return np
    from .backend import array_module
    return array_module(a)


def copy_with_strides(a, st, dtype=None):
    """A copy of `a` (cast to dtype) laid out with strides `st`."""
    out = empty_strided(_xp(a), a.shape, st, a.dtype if dtype is None else dtype)
    if a.dtype.kind == "c" and out.dtype.kind != "c":
        a = a.real
    out[...] = a
    return out


def copy_format(a, fmt=None, dtype=None):
    """torch's clone(memory_format=fmt) on an array (fmt None means preserve_format)."""
    if (fmt is None or fmt is preserve_format) and (
            a.flags.c_contiguous and (a.ndim < 2 or 1 not in a.shape)
            if a.__class__ is ndarray or hasattr(a, "flags") else True):   # (meta: no flags)
        return a.copy() if dtype is None or dtype == a.dtype else a.astype(dtype)
    return copy_with_strides(a, like_strides(a, fmt), dtype)


def is_contiguous_as(a, fmt):
    """Tensor.is_contiguous(memory_format=fmt) for an array."""
    name = fmt.name
    if name == "channels_last" or name == "channels_last_3d":
        nd = 4 if name == "channels_last" else 5
        return a.ndim == nd and is_format_contiguous(a.shape, estrides(a), _CL_ORDER[nd])
    return a.flags.c_contiguous


def check_format(fmt, where):
    if fmt is not None and not isinstance(fmt, memory_format):
        raise TypeError(f"{where}: argument 'memory_format' must be torch.memory_format, not "
                        f"{type(fmt).__name__}")


# ---- result layouts of ops ---------------------------------------------------------------

def _op_strides(x, shape):
    """x's element strides broadcast to `shape` (0 on broadcast dims), for TensorIterator."""
    if not isinstance(x, ndarray) and not hasattr(x, "strides"):
        return None
    nd, xn = len(shape), x.ndim
    if xn == 0:
        return None
    st = estrides(x)
    full = [0] * (nd - xn) + [0 if (x.shape[i] == 1 and shape[nd - xn + i] != 1) else st[i]
                              for i in range(xn)]
    return full


def elementwise_strides(shape, inputs):
    """Strides of TensorIterator's freshly allocated output for `inputs` (arrays/numbers)."""
    arrs = [x for x in inputs if hasattr(x, "strides") and x.ndim]
    if arrs and all(x.shape == shape for x in arrs) and len(arrs) == len(inputs):
        # TensorIterator's fast setups: all contiguous, all channels_last, same dense strides
        if all(x.flags.c_contiguous for x in arrs):
            return contiguous_strides(shape)
        sts = [estrides(x) for x in arrs]
        order = _CL_ORDER.get(len(shape))
        if order is not None and all(is_format_contiguous(shape, s, order) for s in sts):
            return _ordered_strides(shape, order)
        if all(s == sts[0] for s in sts) and is_dense(shape, sts[0]):
            return sts[0]
    ops = [s for s in (_op_strides(x, shape) for x in arrs) if s is not None]
    perm = _insertion_order(shape, ops)
    if perm == list(range(len(shape) - 1, -1, -1)):
        return contiguous_strides(shape)
    out = [0] * len(shape)
    acc = 1
    for d in perm:
        out[d] = acc
        acc *= shape[d]
    return tuple(out)


def fix_elementwise(r, inputs):
    """r (NumPy's K-order result of an elementwise op on `inputs`) re-laid out with torch's
    output strides where they differ. Called only when the first input is not C-contiguous:
    with a C-contiguous first operand NumPy's order already agrees with torch's."""
    if r.ndim < 2:
        return r
    want = elementwise_strides(r.shape, inputs)
    if estrides(r) == want:
        return r
    return copy_with_strides(r, want)


def follow_format(r, *inputs):
    """r in channels_last(_3d) when an input suggests that format (torch's conv, norm and
    pooling kernels choose the output format this way); r otherwise."""
    for x in inputs:
        if x is not None and x.ndim == r.ndim and x.ndim in (4, 5) and \
                not x.flags.c_contiguous:
            fmt = suggest_format(x)
            if fmt is not contiguous_format:
                want = format_strides(r.shape, fmt)
                return r if estrides(r) == want else copy_with_strides(r, want)
    return r


def restride_output(t, *inputs):
    """Tensor t (a fresh op output) re-laid out by follow_format on the input tensors'
    arrays. The values are unchanged, so saved outputs and graph stay valid."""
    arrs = [x._data for x in inputs if x is not None and hasattr(x, "_data")]
    if not arrs or all(a.flags.c_contiguous for a in arrs):
        return t
    for o in (t if isinstance(t, tuple) else (t,)):
        d = o._data
        new = follow_format(d, *arrs)
        if new is not d:
            o._data = new
    return t


def layouts_differ(*tensors):
    """Cheap gate for restride_output: some input array is not C-contiguous."""
    for x in tensors:
        if x is not None and not x._data.flags.c_contiguous:
            return True
    return False


def storage_view(a):
    """The memory of a dense array as a flat C-order view (its storage), or None."""
    if a.flags.c_contiguous:
        return a.reshape(-1)
    st = estrides(a)
    if not is_dense(a.shape, st) or any(s < 0 for s in st):
        return None
    perm = sorted(range(a.ndim), key=lambda d: -st[d] if a.shape[d] > 1 else 0)
    m = a.transpose(perm)
    return m.reshape(-1) if m.flags.c_contiguous else None


def needs_layout(a, fmt):
    """Whether torch's empty_like(a, memory_format=fmt) differs from a C-ordered array."""
    if fmt is None or fmt is preserve_format:
        return not (a.flags.c_contiguous and (a.ndim < 2 or 1 not in a.shape))
    check_format(fmt, "empty_like()")
    return fmt is not contiguous_format


def layout_like(t, a, fmt):
    """t (a fresh, C-ordered *_like result) laid out as torch's empty_like(a, memory_format=fmt)
    would be; t itself when that is C order."""
    if not needs_layout(a, fmt):
        return t
    want = like_strides(a, fmt)
    d = t._data
    if estrides(d) != want:
        t._data = copy_with_strides(d, want)
    return t


def grad_layout(g, v):
    """torch's AccumulateGrad layout contract: a first .grad takes the strides of a dense
    variable (dims of size 1 aside), else is contiguous."""
    shape, vs = v.shape, estrides(v)
    if g.shape != shape:
        return g
    if is_dense(shape, vs):
        gs = estrides(g)
        if all(shape[i] == 1 or gs[i] == vs[i] for i in range(len(shape))):
            return g
        return copy_with_strides(g, vs)
    return g if g.flags.c_contiguous else copy_with_strides(g, contiguous_strides(shape))
