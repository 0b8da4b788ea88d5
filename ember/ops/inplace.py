"""In-place ops (`add_`, `x[k] = v`, `copy_`, ...) and `out=` writes, with torch's autograd rules.

An in-place op runs its out-of-place twin on a snapshot of the tensor, then writes the values
into the tensor's own memory (so every view sees them), bumps the shared version counter, and
rewires history: the tensor's grad_fn becomes the op's node. On a view whose base is part of a
graph, the base gets a CopySlices node (the op applied to a region of it) and the view an
AsStridedBackward0 node reading that region back — torch's rebase-history, in two objects.
"""
from __future__ import annotations

import weakref

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap, _addr
from ..autograd.grad_mode import GRAD
from ..autograd.op import Op, _seq, DUAL as _DUAL
from ..backend import array_module
from ..backend._meta import MetaArray

ndarray = np.ndarray

_LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_LEAF_MSG = ("a view of a leaf Variable that requires grad is being used in an in-place "
                  "operation.")
_OVERLAP_MSG = ("unsupported operation: more than one element of the written-to tensor refers to "
                "a single memory location. Please clone() the tensor before performing the "
                "operation.")


def _xp(a):
    return np if type(a) is ndarray else array_module(a)


def check_inplace(self):
    if GRAD[0]:
        if self._rg and self.grad_fn is None:
            raise RuntimeError(_LEAF_MSG)
        base = getattr(self, "_base", None)
        # self._rg: a detach()ed tensor shares the leaf's memory but is not a view in autograd
        if base is not None and self._rg and base._rg and base.grad_fn is None:
            raise RuntimeError(_VIEW_LEAF_MSG)


def _dtname(npdt):
    from .elementwise import _dtname as f
    return f(npdt)


def check_cast(result_dt, self_dt):
    if result_dt != self_dt and D._FROM_NP[result_dt].category > D._FROM_NP[self_dt].category:
        raise RuntimeError(f"result type {_dtname(result_dt)} can't be cast to the desired output "
                           f"type {_dtname(self_dt)}")


def assign(self, arr):
    """Write arr into self's memory (broadcast + cast) and bump the version."""
    d = self._data
    try:
        if d.shape == getattr(arr, "shape", None) and d.dtype == arr.dtype:
            _xp(d).copyto(d, arr)
        else:
            d[...] = arr
    except ValueError as e:
        if not d.flags.writeable:
            raise RuntimeError(_OVERLAP_MSG) from None
        raise RuntimeError(str(e)) from None
    v = self._ver
    if v is None:
        self._ver = [1]
    else:
        v[0] += 1


def _snapshot(t):
    """A stand-in for t's current value and history (its memory is about to be overwritten)."""
    s = _wrap(t._data.copy())
    if _DUAL[0]:
        from ..autograd.forward_ad import _snapshot_hook
        _snapshot_hook(t, s)
    if t.grad_fn is not None:
        s.grad_fn = t.grad_fn
        s._out_nr = t._out_nr
        s._rg = True
    elif t._rg:
        s._rg = True
        s._acc = weakref.ref(t._accumulator())
    return s


def _track(self, args):
    if not GRAD[0]:
        return False
    if self._rg:
        return True
    for a in args:
        if isinstance(a, Tensor) and a._rg:
            return True
    base = getattr(self, "_base", None)
    return base is not None and base._rg


def inplace_apply(self, fn, *args, **kw):
    """self.op_(*args): run fn(self, *args, **kw) out of place, then make self hold the result."""
    check_inplace(self)
    if not _track(self, args):
        try:
            r = fn(self, *args, **kw)
        except NotImplementedError as e:
            _cast_first(self, args, e)
            raise
        check_cast(r._data.dtype, self._data.dtype)
        assign(self, r._data)
        if _DUAL[0]:
            _fw_inplace(self, r)
        return self
    base = getattr(self, "_base", None)
    old = _snapshot(self)
    try:
        r = fn(old, *args, **kw)
    except NotImplementedError as e:
        _cast_first(self, args, e)
        raise
    check_cast(r._data.dtype, self._data.dtype)
    if _DUAL[0]:
        _fw_inplace(self, r)
    if r.grad_fn is None:
        assign(self, r._data)
        return self
    if base is not None:
        _rebase_view(self, base, r)
        return self
    _adopt(self, r)
    return self


def _cast_first(self, args, e):
    """torch checks that the result type casts to self's dtype before it looks for a kernel:
    where the out-of-place op found no kernel, report the failed cast if there is one
    (comparisons excepted: their result is bool, which casts to anything)."""
    if str(e).startswith(('"lt_cpu"', '"le_cpu"', '"gt_cpu"', '"ge_cpu"')):
        return
    if args and (isinstance(args[0], Tensor) or type(args[0]) in (bool, int, float, complex)):
        from .elementwise import _promoted
        check_cast(_promoted(self, args[0]), self._data.dtype)


def _fw_inplace(self, r):
    """Forward AD: self now holds r's values, so it takes r's tangent."""
    from ..autograd.forward_ad import _inplace_hook
    _inplace_hook(self, r)


def _adopt(self, r):
    """self takes r's values (in its own memory) and r's place in the graph."""
    assign(self, r._data)
    node = r.grad_fn
    self.grad_fn = node
    self._out_nr = r._out_nr
    self._rg = True
    so = getattr(node, "_saved_out", None)
    if so and "saved_outputs" not in node.__dict__:   # (packed by saved_tensors_hooks: kept)
        # the node's saved output is now self (same values, self's version counter)
        node._saved_out = [(nr, weakref.ref(self), self._data, self._ver, self._ver[0])
                           for (nr, _ref, _arr, _v, _n) in so]


def _view_flat_index(base, view):
    """For each element of `view`, its flat (C-order) position in `base` (an int64 array)."""
    b, v = base._data, view._data
    if b.itemsize != v.itemsize:
        raise NotImplementedError("ember: in-place autograd through a dtype-reinterpreting view")
    lin = np.empty(b.shape, np.int64, order="F" if (b.flags.f_contiguous and
                                                   not b.flags.c_contiguous) else "C")
    lin[...] = np.arange(b.size).reshape(b.shape)
    bb = np.asarray(b) if type(b) is ndarray else b
    if not (bb.flags.c_contiguous or bb.flags.f_contiguous):
        # a dense but permuted layout: order the index array the same way
        order = np.argsort(bb.strides)[::-1]
        lin = np.ascontiguousarray(np.arange(b.size).reshape(b.shape).transpose(order)) \
            .transpose(np.argsort(order))
    off = (_addr(v) - _addr(b)) // b.itemsize
    strides = tuple(s // b.itemsize * 8 for s in v.strides)
    mem = lin.ravel(order="K")
    idx = np.lib.stride_tricks.as_strided(mem[off:], v.shape, strides)
    return np.ascontiguousarray(idx)


class CopySlices(Op):
    """The base's node after an in-place op on one of its views: grad flows through the op
    for the view's region and straight through elsewhere."""
    node_name = "CopySlices"

    def name(self):
        return "torch::autograd::CopySlices"

    def backward(self, grad):
        idx = _wrap(self.idx)
        flat = grad.reshape(-1)
        g_view = flat[idx]
        res = self.op.backward(g_view)
        if type(res) is not tuple:
            res = (res,)
        g0 = res[0]
        if g0 is None:
            g0 = g_view.new_zeros(())
        g_base = flat.index_put((idx,), g0.reshape(self.idx.shape) if g0.dim() else g0)
        return (g_base.reshape(self.base_shape),) + tuple(res[1:])

    def _release(self):
        self.op._release()


class AsStrided(Op):
    """view = base.flat[idx]: how a view reads its region after its base was rewritten."""
    node_name = "AsStridedBackward0"

    def forward(self, b, idx=None):
        self.idx = idx
        self.shape = b.shape
        return b.reshape(-1)[idx]

    def backward(self, grad):
        from .indexing import IndexPutAccumulate
        flat = IndexPutAccumulate.apply(grad, shape=(int(np.prod(self.shape)),), key=(self.idx,))
        return flat.reshape(self.shape)


def _rebase_view(self, base, r):
    op = r.grad_fn
    base_old = _snapshot(base)
    assign(self, r._data)
    cs = object.__new__(CopySlices)
    cs.op = op
    cs.idx = _view_flat_index(base, self)
    cs.base_shape = base._data.shape
    if base_old.grad_fn is not None:
        e0 = (base_old.grad_fn, base_old._out_nr)
    elif base_old._rg:
        e0 = (base._accumulator(), 0)
    else:
        e0 = (None, 0)
    cs.next_functions = (e0,) + tuple(op.next_functions[1:])
    cs.needs_input_grad = (e0[0] is not None,) + tuple(op.needs_input_grad[1:])
    rest = op._in_dt[1:] if op._in_dt is not None else [None] * (len(op.next_functions) - 1)
    cs._in_dt = [base._data.dtype] + list(rest)
    cs._out_meta = None
    cs._saved = cs._saved_out = None
    cs._seq = next(_seq)
    base.grad_fn = cs
    base._out_nr = 0
    base._rg = True
    v = AsStrided.apply(base, idx=cs.idx)
    self.grad_fn = v.grad_fn
    self._out_nr = 0
    self._rg = True


# ---- copy_ / fill_ / zero_ / setitem -------------------------------------------------------

class Copy(Op):
    """self.copy_(src): src broadcast and cast into self's shape/dtype (CopyBackwards)."""
    node_name = "CopyBackwards"

    def forward(self, x, src):
        self.src_shape = getattr(src, "shape", ())
        self.src_dt = getattr(src, "dtype", None)
        out = _xp(x).empty_like(x)
        try:
            out[...] = src
        except ValueError:
            from ._broadcast import broadcast_error
            broadcast_error(x.shape, self.src_shape)
        return out

    def backward(self, grad):
        from ._broadcast import sum_to
        ns = self.needs_input_grad
        gx = grad * 0 if ns[0] else None
        gs = None
        if ns[1]:
            gs = sum_to(grad, self.src_shape)
        return gx, gs


def copy_(self, src, non_blocking=False):
    """Copy src's values into self (broadcasting, casting, across devices)."""
    if not isinstance(src, Tensor):
        from .._creation import tensor
        src = tensor(src)
    s = src._data
    if type(s) is not type(self._data):
        from ..backend import to_device
        s = to_device(s, self.device)
        src = _wrap(s) if not src._rg else src.to(self.device)
    check_inplace(self)
    if type(self._data) is MetaArray:
        # a meta destination stores nothing: torch only checks that the shapes broadcast
        _copy_shape_check(self._data.shape, s.shape)
        return self
    if not _track(self, (src,)) and not _DUAL[0]:    # (forward AD: Copy carries tangents)
        d = self._data
        try:
            d[...] = s
        except ValueError:
            if not d.flags.writeable:
                raise RuntimeError(_OVERLAP_MSG) from None
            _copy_shape_check(d.shape, s.shape)
            raise
        self._bump()
        return self
    return inplace_apply(self, lambda t, u: Copy.apply(t, u), src)


def _copy_shape_check(dst, src):
    """torch's error when src cannot be copied into a tensor of shape dst."""
    from ._broadcast import broadcast_error
    n = max(len(dst), len(src))
    a, b = (1,) * (n - len(dst)) + tuple(dst), (1,) * (n - len(src)) + tuple(src)
    if any(x != y and x != 1 and y != 1 for x, y in zip(a, b)):
        broadcast_error(dst, src)
    out = tuple(max(x, y) if min(x, y) != 0 else 0 for x, y in zip(a, b))
    if out != tuple(dst):
        raise RuntimeError(f"output with shape {list(dst)} doesn't match the broadcast shape "
                           f"{list(out)}")


class Fill(Op):
    """self.fill_(value) under autograd: a constant, so the old value gets zero gradient."""

    def forward(self, x, value=0):
        return _xp(x).full_like(x, value)

    def backward(self, grad):
        return grad * 0


def fill_(self, value):
    """Set every element to value (a number or a 0-dim tensor)."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        return copy_(self, value.expand(self._data.shape))
    check_inplace(self)
    if type(self._data) is MetaArray:
        return self  # a meta tensor has no values to set
    if _track(self, ()) or _DUAL[0]:
        return inplace_apply(self, lambda t: Fill.apply(t, value=value))
    d = self._data
    if not d.flags.writeable:
        raise RuntimeError(_OVERLAP_MSG)
    d.fill(value)
    self._bump()
    return self


def zero_(self):
    return fill_(self, 0)


def inplace_setitem(self, key, value):
    """self[key] = value with torch's semantics (cast to self's dtype, broadcast, autograd)."""
    from .indexing import _convert_key, _is_basic, IndexPut, _check_bounds
    from .shape import basic_getitem
    if isinstance(key, tuple) and all(_is_basic(k) for k in key) or _is_basic(key):
        k = key if isinstance(key, tuple) else (key,)
        basic = True
    else:
        k = _convert_key(key, self._data.shape)
        basic = all(_is_basic(x) for x in k)
    vt = isinstance(value, Tensor)
    if basic and GRAD[0] and self._rg and self.grad_fn is None and not all(
            x is Ellipsis for x in k):
        # torch writes a basic index through a view of self (select/slice + copy_)
        raise RuntimeError(_VIEW_LEAF_MSG)
    check_inplace(self)
    if not _track(self, (value,) if vt else ()) and not _DUAL[0]:
        if not basic:
            _check_bounds(k, self._data.shape)
        d = self._data
        v = value._data if vt else value
        if vt and type(v) is not type(d):
            from ..backend import to_device
            v = to_device(v, self.device)
        try:
            d[k] = v
        except ValueError as e:
            if not d.flags.writeable:
                raise RuntimeError(_OVERLAP_MSG) from None
            try:
                res = d[k].shape
            except Exception:
                raise RuntimeError(str(e)) from None
            if basic:
                # torch copies into the view, so the error is expand()'s
                from .shape import expand
                expand(value if vt else _wrap(np.asarray(v)), res)
            vs = getattr(v, "shape", ())
            raise RuntimeError(f"shape mismatch: value tensor of shape "
                               f"[{', '.join(map(str, vs))}] cannot be broadcast to indexing "
                               f"result of shape [{', '.join(map(str, res))}]") from None
        except IndexError as e:
            raise IndexError(str(e).replace("axis", "dimension")) from None
        self._bump()
        return
    if not vt:
        value = _wrap(np.asarray(value, self._data.dtype))
    if basic:
        region = basic_getitem(self, k)
        copy_(region, value)
        return
    _check_bounds(k, self._data.shape)
    if value._data.dtype != self._data.dtype:
        value = value.to(self.dtype)
    guard = tuple(x for x in (key if isinstance(key, tuple) else (key,)) if isinstance(x, Tensor))
    inplace_apply(self, lambda t, v: IndexPut.apply(t, v, key=k, index_tensors=guard), value)


def copy_into_out(out, r):
    """Write result r into the user's `out=` tensor (resizing it like torch), return out."""
    if GRAD[0] and r._rg:
        raise RuntimeError("functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    check_cast(r._data.dtype, out._data.dtype)
    d = out._data
    if d.shape != r._data.shape:
        if d.size:
            import warnings
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(d.shape)}, which does not match the required output shape "
                f"{list(r._data.shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                "with t.resize_(0).", UserWarning, stacklevel=3)
        out._data = r._data.astype(d.dtype, copy=True)
        out._bump()
        return out
    assign(out, r._data)
    return out


# ---- lean in-place arithmetic (no graph) ----------------------------------------------------

def _fast(self, ufunc, other):
    """ufunc(self, other, out=self) when no graph is involved and dtypes allow; else None."""
    if GRAD[0] and (self._rg or (isinstance(other, Tensor) and other._rg)) or _DUAL[0]:
        return None
    if getattr(self, "_base", None) is not None and GRAD[0] and self._base._rg:
        return None
    d = self._data
    if isinstance(other, Tensor):
        o = other._data
        if o.dtype is not d.dtype:
            return None
    elif type(other) is float or type(other) is int:
        if d.dtype.kind != "f":
            return None
        o = other
    else:
        return None
    try:
        ufunc(d, o, out=d)
    except ValueError:
        if not d.flags.writeable:
            raise RuntimeError(_OVERLAP_MSG) from None
        from ._broadcast import broadcast_error
        raise RuntimeError(f"output with shape {list(d.shape)} doesn't match the broadcast "
                           f"shape {list(np.broadcast_shapes(d.shape, np.shape(o)))}") \
            if _broadcasts(d.shape, np.shape(o)) else broadcast_error(d.shape, np.shape(o))
    v = self._ver
    if v is None:
        self._ver = [1]
    else:
        v[0] += 1
    return self


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def add_(self, other, *, alpha=1):
    if alpha == 1 and _fast(self, np.add, other) is not None:
        return self
    check_inplace(self)
    _check_shape(self, other)
    from .elementwise import add
    return inplace_apply(self, add, other, alpha=alpha)


def sub_(self, other, *, alpha=1):
    if alpha == 1 and self._data.dtype != np.bool_ and _fast(self, np.subtract, other) is not None:
        return self
    check_inplace(self)
    _check_shape(self, other)
    from .elementwise import sub
    return inplace_apply(self, sub, other, alpha=alpha)


def mul_(self, other):
    if _fast(self, np.multiply, other) is not None:
        return self
    check_inplace(self)
    _check_shape(self, other)
    from .elementwise import mul
    return inplace_apply(self, mul, other)


def div_(self, other, *, rounding_mode=None):
    if rounding_mode is None and self._data.dtype.kind == "f" and \
            _fast(self, np.true_divide, other) is not None:
        return self
    check_inplace(self)
    _check_shape(self, other)
    from .elementwise import div
    return inplace_apply(self, div, other, rounding_mode=rounding_mode)


def _check_shape(self, other):
    if isinstance(other, Tensor):
        s, o = self._data.shape, other._data.shape
        if s != o:
            try:
                b = np.broadcast_shapes(s, o)
            except ValueError:
                from ._broadcast import broadcast_error
                broadcast_error(s, o)
            if b != s:
                raise RuntimeError(f"output with shape {list(s)} doesn't match the broadcast "
                                   f"shape {list(b)}")


def make_inplace(fn):
    """Tensor.op_ for an out-of-place ember function `fn(self, ...)`."""
    def method(self, *args, **kw):
        try:
            return inplace_apply(self, fn, *args, **kw)
        except TypeError as e:
            # the argument parser names the method (self is not counted in positions)
            msg = str(e)
            head = f"{fn.__name__}(): argument '"
            if msg.startswith(head) and "(position 2)" in msg:
                raise TypeError(f"{fn.__name__}_(): argument '" + msg[len(head):].replace(
                    "(position 2)", "(position 1)", 1)) from None
            raise
    method.__name__ = fn.__name__ + "_"
    return method
