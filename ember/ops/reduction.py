"""Reductions: sum, mean, prod, var/std, max/min, amax/amin, argmax, all/any, norms, logsumexp,
cumsum/cumprod, sort/argsort/topk, median, unique, count_nonzero.

Backward of a reduction re-expands the gradient over the reduced dims (`_unreduce`); for
max/min/sort/topk/median it is index-based, scattering into the chosen positions.
"""
from __future__ import annotations

import builtins
import warnings
from math import prod as _prod

import ml_dtypes
import numpy as np

from .. import _dtype as D
from .. import return_types as RT
from .._tensor import Tensor, _wrap
from ..autograd.op import Op, _wrapa
from .. import _autocast
from ..backend import array_module, opmath
from ._broadcast import wrap_dim, wrap_dims, reduce_axes

ndarray = np.ndarray


def _xp(a):
    return np if type(a) is ndarray else array_module(a)


def _axes(dim, ndim):
    """torch dim argument -> numpy axis (None = all dims)."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        axes = wrap_dims(tuple(int(d) for d in dim), ndim)
    else:
        axes = (wrap_dim(int(dim), ndim),)
    return axes if ndim else ()  # dim 0 / -1 of a 0-dim tensor reduces nothing


def _kept_shape(shape, axes):
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _unreduce(grad, shape, axes, keepdim):
    """Broadcast a reduced gradient back to the input shape (differentiable)."""
    if not keepdim and len(shape):
        grad = grad.reshape(_kept_shape(shape, axes))
    return grad.expand(shape)


_LOW = frozenset((np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)))
_INTLIKE = frozenset(np.dtype(t) for t in (bool, np.uint8, np.int8, np.int16, np.int32, np.int64))


def _unreduce_arr(grad, shape, axes, keepdim):
    """_unreduce on arrays: a read-only broadcast view (the engine never writes into grads)."""
    if not keepdim and len(shape):
        grad = grad.reshape(_kept_shape(shape, axes))
    return broadcast_arr(grad, shape)


def broadcast_arr(a, shape):
    """a broadcast to shape: a read-only view, or for small results (where np.broadcast_to's
    Python-level cost dominates) a filled new array."""
    if a.__class__ is np.ndarray:
        if a.shape == shape:
            return a
        if _prod(shape) <= 65536:
            r = np.empty(shape, a.dtype)
            r[...] = a
            return r
        return np.broadcast_to(a, shape)
    return _xp(a).broadcast_to(a, shape)


def _is_low_float(dt):
    """float16/bfloat16: reduced in float32, as torch accumulates them."""
    return dt in _LOW


class SumToSize(Op):
    """Sum a broadcast gradient down to `shape` (the backward of expand/broadcasting)."""
    node_name = "SumToSizeBackward0"

    def forward(self, x, shape=()):
        self.in_shape = x.shape
        axes = reduce_axes(x.shape, shape)
        r = x.sum(axis=axes, keepdims=True, dtype=np.float32 if _is_low_float(x.dtype) else None)
        return r.reshape(shape).astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad.expand(self.in_shape)

    def vjp(self, grad):
        return broadcast_arr(grad, self.in_shape)


class Sum(Op):
    """Sum over dims (SumBackward0 for all dims, SumBackward1 with dim)."""

    def forward(self, x, dim=None, keepdim=False, dtype=None):
        self.shape = x.shape
        self.axes = axes = None if dim is None else _axes(dim, x.ndim)
        self.keepdim = keepdim
        if dtype is not None:
            x = x.astype(dtype.np)
        elif x.dtype in _INTLIKE:
            x = x.astype(np.int64)
        if x.dtype in _LOW:
            return x.sum(axis=axes, keepdims=keepdim, dtype=np.float32).astype(x.dtype)
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(self, grad):
        return _unreduce(grad, self.shape, self.axes, self.keepdim)

    def vjp(self, grad):
        return _unreduce_arr(grad, self.shape, self.axes, self.keepdim)


class SumDim(Sum):
    node_name = "SumBackward1"


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum of elements, over `dim` if given (see torch.sum)."""
    if isinstance(dim, D.dtype):
        dim, dtype = None, dim
    r = (Sum if dim is None else SumDim).apply(input, dim=dim, keepdim=keepdim, dtype=dtype)
    return r if out is None else _out(out, r)


def _no_kernel(kernel, dt):
    from .elementwise import _no_kernel as f
    f(kernel, dt)


def _kinds(input, kinds, kernel):
    """torch's NotImplementedError where input's dtype kind (NumPy letter) has no kernel."""
    dt = input._data.dtype
    if dt.kind in kinds:
        _no_kernel(kernel, dt)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    if input._data.dtype.kind == "c" or dtype is not None and dtype.is_complex:
        if input._data.dtype.kind == "c":
            raise RuntimeError("nansum on CPU does not support complex inputs")
        if input.is_floating_point():   # (integer inputs are summed without a NaN mask)
            _no_kernel("nansum_cpu", dtype.np)
    return sum(input.masked_fill(input.isnan(), 0), dim, keepdim, dtype=dtype)


def _out(out, r):
    from .inplace import copy_into_out
    return copy_into_out(out, r)


class Mean(Op):
    """Mean over dims (MeanBackward0 for all dims, MeanBackward1 with dim)."""

    def forward(self, x, dim=None, keepdim=False, dtype=None):
        if dtype is not None:
            if dtype.np.kind in "biu":
                raise RuntimeError(
                    "mean(): could not infer output dtype. Optional dtype must be either a "
                    f"floating point or complex dtype. Got: {_legacy(dtype.np)}")
            x = x.astype(dtype.np)
        elif x.dtype.kind in "biu":
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {_legacy(x.dtype)}")
        self.shape = x.shape
        self.axes = axes = None if dim is None else _axes(dim, x.ndim)
        self.keepdim = keepdim
        if axes is None:
            self.count = x.size
        else:
            c = 1
            for a in axes:
                c *= x.shape[a]
            self.count = c
        if x.dtype in _LOW:
            return (x.sum(axis=axes, keepdims=keepdim, dtype=np.float32) / self.count).astype(
                x.dtype)
        # sum then divide, as torch does (NumPy's mean is the same arithmetic, but slower)
        return x.sum(axis=axes, keepdims=keepdim) / self.count

    def backward(self, grad):
        return _unreduce(grad / self.count, self.shape, self.axes, self.keepdim)

    def vjp(self, grad):
        return _unreduce_arr(grad / self.count, self.shape, self.axes, self.keepdim)


class MeanDim(Mean):
    node_name = "MeanBackward1"


def _legacy(npdt):
    from .elementwise import _dtname
    return _dtname(npdt)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Arithmetic mean (see torch.mean)."""
    r = (Mean if dim is None else MeanDim).apply(input, dim=dim, keepdim=keepdim, dtype=dtype)
    return r if out is None else _out(out, r)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of the non-NaN elements (see torch.nanmean)."""
    if input._data.dtype.kind in "biu":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_legacy(input._data.dtype)}")
    if input._data.dtype.kind == "c":
        raise RuntimeError("nansum on CPU does not support complex inputs")
    m = input.isnan().logical_not()
    return sum(input.masked_fill(~m, 0), dim, keepdim, dtype=dtype) / sum(m, dim, keepdim)


@opmath
class Prod(Op):
    """Product (ProdBackward0 all dims / ProdBackward1 with dim)."""

    def forward(self, x, dim=None, keepdim=False, dtype=None):
        if dtype is not None:
            x = x.astype(dtype.np)
        elif x.dtype.kind in "biu":
            x = x.astype(np.int64)
        self.save_inputs(0)
        self.save_outputs(0)
        self.shape = x.shape
        self.axes = _axes(dim, x.ndim)
        self.keepdim = keepdim
        return _xp(x).prod(x, axis=self.axes, keepdims=keepdim)

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        g = _unreduce(grad, self.shape, self.axes, self.keepdim)
        if not bool((x == 0).any()):
            r = _unreduce(result, self.shape, self.axes, self.keepdim)
            return g * r / x
        # with zeros: product of all the other elements, computed directly
        a = x._data
        axes = self.axes if self.axes is not None else tuple(range(a.ndim))
        others = np.empty_like(a)
        flat_axes = axes
        moved = np.moveaxis(a, flat_axes, tuple(range(a.ndim - len(axes), a.ndim)))
        lead = moved.shape[:a.ndim - len(axes)]
        m = moved.reshape(lead + (-1,))
        left = np.cumprod(np.concatenate([np.ones(lead + (1,), a.dtype), m[..., :-1]], -1), -1)
        right = np.flip(np.cumprod(np.concatenate(
            [np.ones(lead + (1,), a.dtype), np.flip(m, -1)[..., :-1]], -1), -1), -1)
        o = (left * right).reshape(moved.shape)
        others = np.moveaxis(o, tuple(range(a.ndim - len(axes), a.ndim)), flat_axes)
        return g * _wrap(others)


class ProdDim(Prod):
    node_name = "ProdBackward1"


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Product of elements (see torch.prod)."""
    if _autocast.ON[0]:  # torch's autocast fp32 list
        input, = _autocast.to_fp32(input)
    if dtype is not None and dtype.np != input._data.dtype:
        # cast first: a float16 input with dtype=float32 computes (and returns) float32
        input, dtype = input.to(dtype), None
    r = (Prod if dim is None else ProdDim).apply(input, dim=dim, keepdim=keepdim, dtype=dtype)
    return r if out is None else _out(out, r)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


class Var(Op):
    warn_name = "var"
    def forward(self, x, dim=None, correction=1, keepdim=False):
        if x.dtype.kind in "biu":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        self.save_inputs(0)
        self.axes = _axes(dim, x.ndim)
        self.keepdim = keepdim
        self.correction = correction
        self.shape = x.shape
        n = x.size if self.axes is None else int(np.prod([x.shape[a] for a in self.axes]))
        self.n = n
        low = _is_low_float(x.dtype)
        xx = x.astype(np.float32) if low else x
        xp = _xp(x)
        m = xp.mean(xx, axis=self.axes, keepdims=True)
        d = xx - m
        s = xp.sum(d * d if d.dtype.kind != "c" else (d * d.conj()).real, axis=self.axes,
                   keepdims=keepdim)
        denom = builtins.max(n - correction, 0)
        if n - correction <= 0:
            warnings.warn(f"{self.warn_name}(): degrees of freedom is <= 0. Correction should be "
                          "strictly less than the reduction factor (input numel divided by "
                          "output numel).", UserWarning, stacklevel=5)
        r = s / denom if denom else s * np.nan if n else s * np.nan
        return r.astype(x.dtype) if low else r

    def backward(self, grad):
        x, = self.saved_inputs()
        g = _unreduce(grad, self.shape, self.axes, self.keepdim)
        m = x.mean(dim=list(self.axes) if self.axes is not None else None, keepdim=True)
        return g * (x - m) * float(np.float64(2.0) / builtins.max(self.n - self.correction, 0))


class Std(Op):
    warn_name = "std"
    def forward(self, x, dim=None, correction=1, keepdim=False):
        v = Var.forward(self, x, dim, correction, keepdim)
        self.save_outputs(0)
        return _xp(v).sqrt(v)

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        g = _unreduce(grad / result, self.shape, self.axes, self.keepdim)
        m = x.mean(dim=list(self.axes) if self.axes is not None else None, keepdim=True)
        return (g * (x - m) * float(np.float64(1.0) / builtins.max(self.n - self.correction, 0))).masked_fill(
            _unreduce(result == 0, self.shape, self.axes, self.keepdim), 0)


def _var_args(dim, unbiased, correction):
    if isinstance(dim, builtins.bool):  # var(x, unbiased) positional form
        return None, dim, correction
    return dim, unbiased, correction


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Variance with Bessel's correction by default (see torch.var)."""
    dim, unbiased, correction = _var_args(dim, unbiased, correction)
    r = Var.apply(input, dim=dim, correction=_correction(unbiased, correction), keepdim=keepdim)
    return r if out is None else _out(out, r)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Standard deviation with Bessel's correction by default (see torch.std)."""
    dim, unbiased, correction = _var_args(dim, unbiased, correction)
    r = Std.apply(input, dim=dim, correction=_correction(unbiased, correction), keepdim=keepdim)
    return r if out is None else _out(out, r)


class StdMean(Op):
    """(std, mean) in one node, as torch's StdMeanBackward0."""
    warn_name = "std"

    def forward(self, x, dim=None, correction=1, keepdim=False):
        s = Std.forward(self, x, dim, correction, keepdim)
        self.save_outputs(0)
        m = _xp(x).mean(x, axis=self.axes, keepdims=keepdim)
        return s, m.astype(x.dtype)

    def backward(self, gs, gm):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        g = Std.backward(self, gs)
        return g + _unreduce(gm / (self.n if self.n else 1), self.shape, self.axes, self.keepdim)


class VarMean(Op):
    warn_name = "var"
    def forward(self, x, dim=None, correction=1, keepdim=False):
        v = Var.forward(self, x, dim, correction, keepdim)
        m = _xp(x).mean(x, axis=self.axes, keepdims=keepdim)
        return v, m.astype(x.dtype)

    def backward(self, gv, gm):
        return Var.backward(self, gv) + _unreduce(gm / (self.n if self.n else 1), self.shape,
                                                  self.axes, self.keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) (see torch.std_mean)."""
    if input._data.dtype.kind in "biu":
        raise RuntimeError("std_mean only support floating point and complex dtypes")
    dim, unbiased, correction = _var_args(dim, unbiased, correction)
    return StdMean.apply(input, dim=dim, correction=_correction(unbiased, correction),
                         keepdim=keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if input._data.dtype.kind in "biu":
        raise RuntimeError("var_mean only support floating point and complex dtypes")
    dim, unbiased, correction = _var_args(dim, unbiased, correction)
    return VarMean.apply(input, dim=dim, correction=_correction(unbiased, correction),
                         keepdim=keepdim)


# ---- max / min ------------------------------------------------------------------------------

class MaxAll(Op):
    """max over all elements (MaxBackward1): ties share the gradient evenly."""
    node_name = "MaxBackward1"
    fn = "max"

    def forward(self, x):
        if x.size == 0:
            raise RuntimeError(f"{self.fn}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        self.save_inputs(0)
        self.save_outputs(0)
        xp = _xp(x)
        if x.dtype.kind == "f" and xp.isnan(x).any():
            return xp.asarray(np.nan, dtype=x.dtype)
        return getattr(xp, self.fn)(x)

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        return _evenly_distribute(grad, x, result)


def _evenly_distribute(grad, x, result):
    # torch's evenly_distribute_backward: every element equal to the result (NaN matching NaN)
    # shares the gradient
    mask = x == result
    if x.is_floating_point() or x.is_complex():
        mask = mask | (x.isnan() & result.isnan())
    return mask * (grad / mask.sum())


class MinAll(MaxAll):
    node_name = "MinBackward1"
    fn = "min"


class MaxDim(Op):
    """max along a dim with indices (MaxBackward0): the gradient goes to the argmax."""
    node_name = "MaxBackward0"
    nondiff_outputs = (1,)
    fn = "argmax"

    def forward(self, x, dim=0, keepdim=False):
        d = wrap_dim(dim, x.ndim)
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"{self.fn[3:]}(): Expected reduction dim {dim} to have non-zero "
                             "size.")
        self.shape, self.dim, self.keepdim = x.shape, d, keepdim
        xp = _xp(x)
        if x.ndim == 0:
            return x.copy(), xp.zeros((), np.int64)
        idx = getattr(xp, self.fn)(x, axis=d, keepdims=True)
        if x.dtype.kind == "f":
            nan = xp.isnan(x)
            if nan.any():
                nidx = xp.argmax(nan, axis=d, keepdims=True)
                idx = xp.where(nan.any(axis=d, keepdims=True), nidx, idx)
        vals = xp.take_along_axis(x, idx, axis=d)
        if not keepdim:
            idx = idx.squeeze(d)
            vals = vals.squeeze(d)
        self.save_outputs(1)
        return vals, idx.astype(np.int64)

    def backward(self, grad, _gi=None):
        if len(self.shape) == 0:
            return grad    # a 0-d input saved no indices
        idx, = self.saved_outputs()
        return _index_backward(grad, idx, self.shape, self.dim, self.keepdim)


class MinDim(MaxDim):
    node_name = "MinBackward0"
    fn = "argmin"


def _index_backward(grad, idx, shape, dim, keepdim):
    """Scatter `grad` into zeros of `shape` at `idx` along dim (value_selecting_reduction)."""
    if len(shape) == 0:
        return grad
    if not keepdim:
        grad = grad.unsqueeze(dim)
        idx = idx.unsqueeze(dim)
    return grad.new_zeros(shape).scatter(dim, idx, grad)


def max(input, dim=None, keepdim=False, *, out=None):
    """max over everything, or (values, indices) along dim, or elementwise with a tensor."""
    if isinstance(dim, Tensor):
        from .elementwise import maximum
        return maximum(input, dim, out=out)
    if input._data.dtype.kind == "c":
        if dim is None:
            _no_kernel("max_all", input._data.dtype)
        raise RuntimeError("max(): does not support complex input")
    if dim is None:
        return MaxAll.apply(input)
    return RT.max(MaxDim.apply(input, dim=dim, keepdim=keepdim))


def min(input, dim=None, keepdim=False, *, out=None):
    if isinstance(dim, Tensor):
        from .elementwise import minimum
        return minimum(input, dim, out=out)
    if input._data.dtype.kind == "c":
        if dim is None:
            _no_kernel("min_all", input._data.dtype)
        raise RuntimeError("min(): does not support complex input")
    if dim is None:
        return MinAll.apply(input)
    return RT.min(MinDim.apply(input, dim=dim, keepdim=keepdim))


class Amax(Op):
    """amax/amin: ties share the gradient evenly."""
    fn = "max"

    def forward(self, x, dim=(), keepdim=False):
        self.save_inputs(0)
        self.save_outputs(0)
        self.shape = x.shape
        self.axes = _axes(dim if dim != () else None, x.ndim)
        self.keepdim = keepdim
        if x.size == 0:
            name = "a" + self.fn
            if self.axes is None:
                raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                                   "input.numel() == 0. Specify the reduction dim with the 'dim' "
                                   "argument.")
            for a in self.axes:
                if x.shape[a] == 0:
                    raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero "
                                     "size.")
        return getattr(_xp(x), self.fn)(x, axis=self.axes, keepdims=keepdim)

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        r = _unreduce(result, self.shape, self.axes, self.keepdim)
        mask = x == r
        count = mask.sum(dim=list(self.axes) if self.axes is not None else None, keepdim=True)
        g = _unreduce(grad, self.shape, self.axes, self.keepdim)
        return g * mask / count


class Amin(Amax):
    fn = "min"


def amax(input, dim=(), keepdim=False, *, out=None):
    _kinds(input, "c", "max_values_cpu")
    r = Amax.apply(input, dim=dim, keepdim=keepdim)
    return r if out is None else _out(out, r)


def amin(input, dim=(), keepdim=False, *, out=None):
    _kinds(input, "c", "min_values_cpu")
    r = Amin.apply(input, dim=dim, keepdim=keepdim)
    return r if out is None else _out(out, r)


def aminmax(input, *, dim=None, keepdim=False):
    _kinds(input, "c", "aminmax_cpu")
    return RT.aminmax((amin(input, () if dim is None else dim, keepdim),
                       amax(input, () if dim is None else dim, keepdim)))


def _argfn(fn):
    def f(input, dim=None, keepdim=False):
        x = input._data
        xp = _xp(x)
        if x.dtype.kind in "bc":
            raise RuntimeError(f"{fn}(): does not support "
                               f"{'bool' if x.dtype.kind == 'b' else 'complex'} input")
        if x.size == 0:
            if dim is None:
                raise IndexError(f"{fn}(): Expected reduction dim to be specified for "
                                 "input.numel() == 0.")
            d = wrap_dim(dim, x.ndim)
            if x.ndim and x.shape[d] == 0:
                raise IndexError(f"{fn}(): Expected reduction dim {d} to have non-zero "
                                 "size.")
            # an empty input with a non-empty reduced dim gives an empty result
            shape = tuple(1 if i == d and keepdim else s for i, s in enumerate(x.shape)
                          if i != d or keepdim)
            return _wrap(xp.zeros(shape, np.int64))
        nan = x.dtype.kind == "f" and xp.isnan(x).any()
        if dim is None:
            i = xp.argmax(xp.isnan(x)) if nan else getattr(xp, fn)(x)
            r = xp.asarray(i, dtype=np.int64)
            if keepdim:
                r = r.reshape((1,) * x.ndim)
            return _wrap(r)
        d = wrap_dim(dim, x.ndim)
        if x.ndim == 0:
            return _wrap(xp.zeros((), np.int64))
        i = getattr(xp, fn)(x, axis=d, keepdims=keepdim)
        if nan:
            isn = xp.isnan(x)
            i = xp.where(isn.any(axis=d, keepdims=keepdim), xp.argmax(isn, axis=d,
                                                                      keepdims=keepdim), i)
        return _wrap(xp.asarray(i, dtype=np.int64))
    f.__name__ = fn
    return f


argmax = _argfn("argmax")
argmin = _argfn("argmin")


def all(input, dim=None, keepdim=False, *, out=None):
    """True where all elements are nonzero (uint8 in, uint8 out, as torch)."""
    x = input._data
    axes = _axes(dim, x.ndim)
    r = _xp(x).all(x, axis=axes, keepdims=keepdim)
    r = _wrapa(r.astype(np.uint8) if x.dtype == np.uint8 else r)
    return r if out is None else _out(out, r)


def any(input, dim=None, keepdim=False, *, out=None):
    x = input._data
    axes = _axes(dim, x.ndim)
    r = _xp(x).any(x, axis=axes, keepdims=keepdim)
    r = _wrapa(r.astype(np.uint8) if x.dtype == np.uint8 else r)
    return r if out is None else _out(out, r)


def count_nonzero(input, dim=None):
    x = input._data
    return _wrapa(_xp(x).asarray(_xp(x).count_nonzero(x, axis=_axes(dim, x.ndim)),
                                 dtype=np.int64))


# ---- log-sum-exp, norms ------------------------------------------------------------------

class Logsumexp(Op):
    promote = 2

    def forward(self, x, dim=(), keepdim=False):
        self.save_inputs(0)
        self.save_outputs(0)
        self.shape = x.shape
        self.axes = _axes(dim, x.ndim) if dim != () else tuple(range(x.ndim))
        self.keepdim = keepdim
        xp = _xp(x)
        if x.size == 0:
            return xp.log(xp.sum(xp.exp(x), axis=self.axes, keepdims=keepdim))
        m = xp.max(x, axis=self.axes, keepdims=True)
        m = xp.where(xp.isinf(m), 0, m)
        s = xp.log(xp.sum(xp.exp(x - m), axis=self.axes, keepdims=True)) + m
        return s if keepdim else s.reshape(_squeeze_shape(x.shape, self.axes))

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        r = _unreduce(result, self.shape, self.axes, self.keepdim)
        return _unreduce(grad, self.shape, self.axes, self.keepdim) * (x - r).exp()


def _squeeze_shape(shape, axes):
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def logsumexp(input, dim=(), keepdim=False, *, out=None):
    """log(sum(exp(input))) computed stably (see torch.logsumexp)."""
    if dim == ():   # (torch's logsumexp has no default dim)
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    if input._data.dtype.kind in "biu":
        input = input.to(D.get_default_dtype())
    r = Logsumexp.apply(input, dim=dim, keepdim=keepdim)
    return r if out is None else _out(out, r)


def _norm_dtype_check(src, dtype):
    """torch's checks on linalg.vector_norm's dtype= argument (in its order)."""
    pre = "linalg.vector_norm: "
    if src.kind in "biu":
        raise RuntimeError(f"{pre}Expected a floating point or complex tensor as input. Got "
                           f"{_legacy(src)}")
    if not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError(f"{pre}dtype should be floating point or complex, but got "
                           f"{_legacy(dtype.np)}")
    if (src.kind == "c") != dtype.is_complex:
        raise RuntimeError(f"{pre}dtype should be {'complex' if src.kind == 'c' else 'real'} "
                           f"for {'complex' if src.kind == 'c' else 'real'} inputs, but got "
                           f"{_legacy(dtype.np)}")
    s = D._FROM_NP[src]
    if D.promote_types(s, dtype) != dtype:
        raise RuntimeError(f"{pre}the dtype of the input ({_legacy(src)}) should be convertible "
                           f"without narrowing to the specified dtype ({_legacy(dtype.np)})")


class VectorNorm(Op):
    """p-norm over dims (LinalgVectorNormBackward0)."""
    node_name = "LinalgVectorNormBackward0"

    def forward(self, x, ord=2, dim=None, keepdim=False, dtype=None):
        if dtype is not None:
            _norm_dtype_check(x.dtype, dtype)
            x = x.astype(dtype.np)
        if x.dtype.kind in "biu":
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                               f"as input. Got {_legacy(x.dtype)}")
        self.save_inputs(0)
        self.save_outputs(0)
        self.shape = x.shape
        self.axes = _axes(dim, x.ndim)
        self.keepdim = keepdim
        self.ord = ord
        xp = _xp(x)
        a = xp.abs(x)
        low = _is_low_float(a.dtype)
        if low:
            a = a.astype(np.float32)
        if ord == 2:
            r = xp.sqrt(xp.sum(a * a, axis=self.axes, keepdims=keepdim))
        elif ord == float("inf"):
            r = xp.max(a, axis=self.axes, keepdims=keepdim)
        elif ord == float("-inf"):
            r = xp.min(a, axis=self.axes, keepdims=keepdim)
        elif ord == 0:
            r = xp.sum(a != 0, axis=self.axes, keepdims=keepdim).astype(a.dtype)
        elif ord == 1:
            r = xp.sum(a, axis=self.axes, keepdims=keepdim)
        else:
            r = xp.sum(a ** ord, axis=self.axes, keepdims=keepdim) ** (1.0 / ord)
        return r.astype(x.real.dtype if x.dtype.kind == "c" else x.dtype)

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        p = self.ord
        g = _unreduce(grad, self.shape, self.axes, self.keepdim)
        r = _unreduce(result, self.shape, self.axes, self.keepdim)
        if p == 2:
            return (g * x / r).masked_fill(r == 0, 0)
        if p == 1:
            return g * x.sgn()
        if p == 0:
            return g * 0
        if p in (float("inf"), float("-inf")):
            mask = x.abs() == r
            count = mask.sum(dim=list(self.axes) if self.axes is not None else None,
                             keepdim=True)
            return g * x.sgn() * mask / count
        return (g * x.sgn() * x.abs().pow(p - 1) / r.pow(p - 1)).masked_fill(r == 0, 0)


class NormP(VectorNorm):
    """at::norm(x, p, dim): the same p-norm under the node name torch's composites show
    (pairwise_distance)."""
    node_name = "NormBackward1"


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: 'fro' / 2 / p-norm over all elements or dims; 'nuc' for matrices."""
    if isinstance(p, str):
        if p == "fro":
            p = 2
        elif p == "nuc":
            from .linalg import matrix_norm
            return matrix_norm(input, "nuc", dim=(-2, -1) if dim is None else dim,
                               keepdim=keepdim)
        else:
            raise RuntimeError(f"norm(): unknown norm type {p}")
    if p is None:
        p = 2
    if isinstance(dim, int):
        dim = (dim,)
    r = VectorNorm.apply(input, ord=p, dim=dim, keepdim=keepdim, dtype=dtype)
    return r if out is None else _out(out, r)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(dim, int):
        dim = (dim,)
    r = VectorNorm.apply(x, ord=ord, dim=dim, keepdim=keepdim, dtype=dtype)
    return r if out is None else _out(out, r)


# ---- scans -------------------------------------------------------------------------------

def _cum_acc(dt):
    """The accumulator dtype of torch's CPU cumsum/cumprod (at::acc_type): double for float,
    complex<double> for complex<float>; None where it is the dtype itself."""
    if dt == np.float32:
        return np.float64
    if dt == np.complex64:
        return np.complex128
    return None   # float16/bfloat16 already run in float32 (opmath)


@opmath
class Cumsum(Op):
    def forward(self, x, dim=0, dtype=None):
        self.dim = d = wrap_dim(dim, x.ndim)
        if dtype is not None:
            x = x.astype(dtype.np)
        elif x.dtype.kind in "biu":
            x = x.astype(np.int64)
        if x.ndim == 0:
            return x.copy()
        acc = None if getattr(self, "_lowp", None) else _cum_acc(x.dtype)
        if acc is not None:   # torch's CPU scan carries a wider accumulator (acc_type)
            return _xp(x).cumsum(x, axis=d, dtype=acc).astype(x.dtype)
        return _xp(x).cumsum(x, axis=d)

    def backward(self, grad):
        if grad.dim() == 0:
            return grad
        return grad.flip(self.dim).cumsum(self.dim).flip(self.dim)


def cumsum(input, dim, *, dtype=None, out=None):
    if dtype is not None and dtype.np != input._data.dtype:
        input, dtype = input.to(dtype), None
    r = Cumsum.apply(input, dim=dim, dtype=dtype)
    return r if out is None else _out(out, r)


class Cumprod(Op):
    def forward(self, x, dim=0, dtype=None):
        self.dim = d = wrap_dim(dim, x.ndim)
        if dtype is not None:
            x = x.astype(dtype.np)
        elif x.dtype.kind in "biu":
            x = x.astype(np.int64)
        self.save_inputs(0)
        self.save_outputs(0)
        if x.ndim == 0:
            return x.copy()
        acc = None if getattr(self, "_lowp", None) else _cum_acc(x.dtype)
        if acc is not None:
            return _xp(x).cumprod(x, axis=d, dtype=acc).astype(x.dtype)
        return _xp(x).cumprod(x, axis=d)

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        if grad.dim() == 0:
            return grad
        d = self.dim
        if not bool((x == 0).any()):
            return (grad * result).flip(d).cumsum(d).flip(d) / x
        # general case (zeros present): O(n^2) along dim, done on arrays
        a, g = x._data, grad._data
        am = np.moveaxis(a, d, -1)
        gm = np.moveaxis(g, d, -1)
        n = am.shape[-1]
        out = np.zeros_like(am)
        for k in range(n):
            # d out_j / d x_k = prod_{i<=j, i!=k} x_i for j >= k
            others = am.copy()
            others[..., k] = 1
            cp = np.cumprod(others, axis=-1)
            out[..., k] = np.sum(gm[..., k:] * cp[..., k:], axis=-1)
        return _wrap(np.moveaxis(out, -1, d))


def cumprod(input, dim, *, dtype=None, out=None):
    r = Cumprod.apply(input, dim=dim, dtype=dtype)
    return r if out is None else _out(out, r)


def _cum_ext(fn_name, rt):
    def f(input, dim):
        x = input._data
        if x.dtype.kind == "c":
            _no_kernel(f"{rt.__name__}_cpu", x.dtype)
        d = wrap_dim(dim, x.ndim)
        if x.ndim == 0:
            return rt((input.clone(), _wrap(np.zeros((), np.int64))))
        acc = getattr(np, fn_name).accumulate(x, axis=d)
        n = x.shape[d]
        ar = np.arange(n).reshape([-1 if i == d else 1 for i in range(x.ndim)])
        hit = np.where(x == acc, ar, -1)
        idx = np.maximum.accumulate(hit, axis=d).astype(np.int64)
        values = input.gather(d, _wrap(idx)) if input._rg else _wrap(acc)
        return rt((values, _wrap(idx)))
    return f


cummax = _cum_ext("maximum", RT.cummax)
cummin = _cum_ext("minimum", RT.cummin)


# ---- sorting -----------------------------------------------------------------------------

def _sort_indices(x, d, descending, xp):
    if descending:
        rev = xp.flip(x, axis=d)
        if x.dtype.kind == "f":
            # NaN sorts as the largest value
            idx = xp.argsort(rev, axis=d, kind="stable")
        else:
            idx = xp.argsort(rev, axis=d, kind="stable")
        idx = xp.flip(idx, axis=d)
        return (x.shape[d] - 1) - idx
    return xp.argsort(x, axis=d, kind="stable")


class Sort(Op):
    nondiff_outputs = (1,)

    def forward(self, x, dim=-1, descending=False, stable=False):
        self.shape = x.shape
        if x.ndim == 0:
            self.dim = 0
            return x.copy(), _xp(x).zeros((), np.int64)
        d = self.dim = wrap_dim(dim, x.ndim)
        xp = _xp(x)
        idx = _sort_indices(x, d, descending, xp).astype(np.int64)
        if not stable and xp is np:
            idx = _unstable_ties(x, idx, d, descending)
        self.save_outputs(1)
        return xp.take_along_axis(x, idx, axis=d), idx

    def backward(self, grad, _gi=None):
        if len(self.shape) == 0:
            return grad    # a 0-d input saved no indices
        idx, = self.saved_outputs()
        return grad.new_zeros(self.shape).scatter(self.dim, idx, grad)


def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    """Sorted values and the permutation (see torch.sort); ties keep their order."""
    if isinstance(dim, builtins.bool):
        dim, descending = -1, dim
    if input._data.dtype.kind == "c":
        raise RuntimeError(" Sort does not support complex dtypes on CPU")
    return RT.sort(Sort.apply(input, dim=dim, descending=descending, stable=stable))


def argsort(input, dim=-1, descending=False, stable=False):
    x = input._data
    if x.dtype.kind == "c":
        raise RuntimeError(" Sort does not support complex dtypes on CPU")
    if x.ndim == 0:
        return _wrap(np.zeros((), np.int64))
    d = wrap_dim(dim, x.ndim)
    idx = _sort_indices(x, d, descending, _xp(x)).astype(np.int64)
    if not stable and _xp(x) is np:
        idx = _unstable_ties(x, idx, d, descending)
    return _wrap(idx)


_REPLAY_LIMIT = 1 << 17   # elements of tied slices replayed in Python per call


def _unstable_ties(x, idx, d, descending):
    """idx (a stable sort along d) in the order torch's default (unstable) sort gives: its CPU
    kernel runs std::sort on (value, index) pairs, which reorders equal values in slices longer
    than 16. Those slices are replayed with libstdc++'s introsort (up to _REPLAY_LIMIT elements
    per call; beyond that equal values keep the stable order)."""
    n = x.shape[d]
    if n <= 16:
        return idx   # insertion sort only: stable
    v = np.moveaxis(np.take_along_axis(x, idx, axis=d), d, -1).reshape(-1, n)
    eq = v[:, 1:] == v[:, :-1]
    if v.dtype.kind in "fc":
        nan = np.isnan(v)
        eq |= nan[:, 1:] & nan[:, :-1]
    rows = np.flatnonzero(eq.any(axis=1))
    if not rows.size or rows.size * n > _REPLAY_LIMIT:
        return idx
    from ._stl_sort import _less, std_sort
    xr = np.moveaxis(x, d, -1).reshape(-1, n)
    out = np.moveaxis(idx, d, -1).reshape(-1, n).copy()
    less = _less(descending)
    for r in rows:
        q = list(zip(xr[r].tolist(), range(n)))
        std_sort(q, 0, n, less)
        out[r] = [i for _, i in q]
    return np.moveaxis(out.reshape(np.moveaxis(idx, d, -1).shape), -1, d)


def msort(input):
    return sort(input, 0)[0]


class Topk(Op):
    nondiff_outputs = (1,)

    def forward(self, x, k=1, dim=-1, largest=True, sorted=True):
        self.shape = x.shape
        d = self.dim = wrap_dim(dim, x.ndim) if x.ndim else 0
        n = x.shape[d] if x.ndim else 1
        if k > n or k < 0:
            raise RuntimeError("selected index k out of range")
        xp = _xp(x)
        if x.ndim == 0:
            return x.copy(), xp.zeros((), np.int64)
        idx = _sort_indices(x, d, largest, xp)
        idx = xp.take(idx, xp.arange(k + 1 if k < n else n), axis=d).astype(np.int64)
        if xp is np and k:
            idx = _topk_ties(x, idx, k, n, d, largest, sorted)
        idx = idx[(slice(None),) * d + (slice(0, k),)]
        self.save_outputs(1)
        return xp.take_along_axis(x, idx, axis=d), idx

    def backward(self, grad, _gi=None):
        if len(self.shape) == 0:
            return grad    # a 0-d input saved no indices
        idx, = self.saved_outputs()
        return grad.new_zeros(self.shape).scatter(self.dim, idx, grad)


def _topk_ties(x, idx, k, n, d, largest, sorted):
    """idx (the first min(k + 1, n) of a stable sort along d) made torch's: slices where equal
    values meet within or at the edge of the top k, or (sorted=False) where torch's
    nth_element leaves the k unsorted, are replayed with libstdc++'s algorithms."""
    v = np.take_along_axis(x, idx, axis=d)
    v = np.moveaxis(v, d, -1).reshape(-1, v.shape[d])
    eq = v[:, 1:] == v[:, :-1]
    if v.dtype.kind in "fc":
        nan = np.isnan(v)
        eq |= nan[:, 1:] & nan[:, :-1]
    rows = eq.any(axis=1)
    if not sorted and k > 1 and k * 64 > n:
        rows[:] = True
    if not rows.any():
        return idx
    from ._stl_sort import topk_row
    xr = np.moveaxis(x, d, -1).reshape(-1, n)
    out = np.moveaxis(idx, d, -1).reshape(-1, idx.shape[d]).copy()
    for r in np.flatnonzero(rows):
        out[r, :k] = topk_row(xr[r].tolist(), k, largest, sorted)
    shape = tuple(np.moveaxis(idx, d, -1).shape)
    return np.moveaxis(out.reshape(shape), -1, d)


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """The k largest (or smallest) values and their indices (see torch.topk)."""
    if input._data.dtype.kind in "bc":
        if input._data.dtype.kind == "b":
            raise RuntimeError("topk does not support bool dtypes on CPU")
        raise RuntimeError(" topk does not support complex dtypes on CPU")
    return RT.topk(Topk.apply(input, k=k, dim=dim, largest=largest, sorted=sorted))


def _kth_ties(x, vals, idx, k, d):
    """Where the k-th value occurs more than once in a slice, the index torch's quickselect
    lands on (replayed with ATen's algorithm)."""
    n = x.shape[d]
    xr = np.moveaxis(x, d, -1).reshape(-1, n)
    v = np.moveaxis(vals, d, -1).reshape(-1, 1)
    eq = xr == v
    if x.dtype.kind in "fc":
        eq |= np.isnan(xr) & np.isnan(v)
    rows = np.flatnonzero(np.count_nonzero(eq, axis=1) > 1)
    if not rows.size:
        return idx
    from ._stl_sort import kth_index
    out = np.moveaxis(idx, d, -1).reshape(-1).copy()
    for r in rows:
        out[r] = kth_index(xr[r].tolist(), k - 1)
    return np.moveaxis(out.reshape(np.moveaxis(idx, d, -1).shape), -1, d)


class Kthvalue(Op):
    nondiff_outputs = (1,)

    def forward(self, x, k=1, dim=-1, keepdim=False):
        self.shape = x.shape
        d = self.dim = wrap_dim(dim, x.ndim) if x.ndim else 0
        self.keepdim = keepdim
        xp = _xp(x)
        if x.ndim == 0:
            return x.copy(), xp.zeros((), np.int64)
        n = x.shape[d]
        if not 1 <= k <= n:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
        idx = xp.take(xp.argsort(x, axis=d, kind="stable"), [k - 1], axis=d).astype(np.int64)
        vals = xp.take_along_axis(x, idx, axis=d)
        if xp is np:
            idx = _kth_ties(x, vals, idx, k, d)
        if not keepdim:
            idx, vals = idx.squeeze(d), vals.squeeze(d)
        self.save_outputs(1)
        return vals, idx

    def backward(self, grad, _gi=None):
        if len(self.shape) == 0:
            return grad    # a 0-d input saved no indices
        idx, = self.saved_outputs()
        return _index_backward(grad, idx, self.shape, self.dim, self.keepdim)


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    _kinds(input, "bc", "kthvalue_cpu")
    return RT.kthvalue(Kthvalue.apply(input, k=k, dim=dim, keepdim=keepdim))


class MedianAll(Op):
    """median of all elements: the lower of the two middle values (MedianBackward0)."""
    node_name = "MedianBackward0"

    def forward(self, x):
        self.save_inputs(0)
        self.save_outputs(0)
        f = x.reshape(-1)
        xp = _xp(x)
        if f.size == 0:
            return xp.asarray(np.nan, x.dtype)
        if x.dtype.kind == "f" and xp.isnan(f).any():
            i = int(xp.argmax(xp.isnan(f)))
        else:
            order = xp.argsort(f, kind="stable")
            i = int(order[(f.size - 1) // 2])
        return f[i].copy()

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        return _evenly_distribute(grad, x, result)


class MedianDim(Op):
    node_name = "MedianBackward1"
    nondiff_outputs = (1,)

    def forward(self, x, dim=-1, keepdim=False):
        self.shape = x.shape
        d = self.dim = wrap_dim(dim, x.ndim) if x.ndim else 0
        self.keepdim = keepdim
        xp = _xp(x)
        if x.ndim == 0:
            return x.copy(), xp.zeros((), np.int64)
        n = x.shape[d]
        order = xp.argsort(x, axis=d, kind="stable")
        idx = xp.take(order, [(n - 1) // 2], axis=d).astype(np.int64)
        if x.dtype.kind == "f":
            isn = xp.isnan(x)
            idx = xp.where(isn.any(axis=d, keepdims=True), xp.argmax(isn, axis=d, keepdims=True),
                           idx)
        vals = xp.take_along_axis(x, idx, axis=d)
        if not keepdim:
            idx, vals = idx.squeeze(d), vals.squeeze(d)
        self.save_outputs(1)
        return vals, idx

    def backward(self, grad, _gi=None):
        if len(self.shape) == 0:
            return grad    # a 0-d input saved no indices
        idx, = self.saved_outputs()
        return _index_backward(grad, idx, self.shape, self.dim, self.keepdim)


def median(input, dim=None, keepdim=False, *, out=None):
    """Lower median, overall or (values, indices) along dim (see torch.median)."""
    _kinds(input, "bc", "median_cpu" if dim is None else "median_out")
    if dim is None:
        return MedianAll.apply(input)
    return RT.median(MedianDim.apply(input, dim=dim, keepdim=keepdim))


class NanMedianAll(MedianAll):
    """The lower median of all non-NaN elements (NaN when there are none)."""
    node_name = "NanmedianBackward0"

    def forward(self, x):
        self.save_inputs(0)
        self.save_outputs(0)
        f = x.reshape(-1)
        xp = _xp(x)
        order = xp.argsort(f, kind="stable")             # NaN sorts last
        m = f.size - (int(xp.isnan(f).sum()) if x.dtype.kind == "f" else 0)
        if m == 0:
            return xp.asarray(np.nan, x.dtype)
        return f[int(order[(m - 1) // 2])].copy()

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        return _evenly_distribute(grad, x, result)


def nanmedian(input, dim=None, keepdim=False):
    """Lower median ignoring NaN, overall or (values, indices) along dim (see torch.nanmedian)."""
    _kinds(input, "bc", "median_cpu" if dim is None else "median_out")
    if dim is None:
        return NanMedianAll.apply(input)
    return RT.nanmedian(NanMedianDim.apply(input, dim=dim, keepdim=keepdim))


class NanMedianDim(MedianDim):
    """The lower median of each slice's non-NaN values (NaN where all are NaN)."""
    node_name = "NanmedianBackward1"

    def forward(self, x, dim=-1, keepdim=False):
        self.shape = x.shape
        d = self.dim = wrap_dim(dim, x.ndim) if x.ndim else 0
        self.keepdim = keepdim
        xp = _xp(x)
        if x.ndim == 0:
            return x.copy(), xp.zeros((), np.int64)
        order = xp.argsort(x, axis=d, kind="stable")   # NaN sorts last
        m = x.shape[d] - (xp.isnan(x).sum(axis=d, keepdims=True) if x.dtype.kind == "f"
                          else 0)
        n = x.shape[d]
        k = xp.maximum(m - 1, 0) // 2
        idx = xp.take_along_axis(order, xp.broadcast_to(k, order.shape[:d] + (1,) +
                                                       order.shape[d + 1:]), axis=d)
        idx = idx.astype(np.int64)
        vals = xp.take_along_axis(x, idx, axis=d)
        if xp is np and x.dtype.kind == "f" and (m == 0).any():
            # an all-NaN slice: torch's nth_element (k = 0; NaNs compare equivalent) lands on
            # the index libstdc++'s introselect leaves first
            from ._stl_sort import _introselect
            mr = np.moveaxis(np.broadcast_to(m, vals.shape), d, -1).reshape(-1)
            out = np.moveaxis(idx, d, -1).reshape(-1).copy()
            for r in np.flatnonzero(mr == 0):
                q = list(range(n))
                _introselect(q, 0, lambda p, r_: False)
                out[r] = q[0]
            idx = np.moveaxis(out.reshape(np.moveaxis(idx, d, -1).shape), -1, d)
            vals = np.take_along_axis(x, idx, axis=d)
        if not keepdim:
            idx, vals = idx.squeeze(d), vals.squeeze(d)
        self.save_outputs(1)
        return vals, idx


class Mode(Op):
    """Most frequent value of each slice and an index of it (ModeBackward0)."""
    nondiff_outputs = (1,)

    def forward(self, x, dim=-1, keepdim=False):
        self.shape = x.shape
        self.dim = wrap_dim(dim, x.ndim) if x.ndim else 0
        self.keepdim = keepdim
        vals, idx = _mode_arrays(x, self.dim, keepdim)
        self.save_outputs(1)
        return vals, idx

    def backward(self, grad, _gi=None):
        if len(self.shape) == 0:
            return grad    # a 0-d input saved no indices
        idx, = self.saved_outputs()
        return _index_backward(grad, idx, self.shape, self.dim, self.keepdim)


def mode(input, dim=-1, keepdim=False):
    """(values, indices) of the most frequent value along dim (see torch.mode)."""
    _kinds(input, "c", "mode_cpu")
    return RT.mode(Mode.apply(input, dim=dim, keepdim=keepdim))


def _mode_arrays(x, d, keepdim):
    if x.ndim == 0:
        return x.copy(), np.zeros((), np.int64)
    xm = np.moveaxis(x, d, -1)
    flat = xm.reshape(-1, xm.shape[-1]) if x.ndim else x.reshape(1, 1)
    vals = np.empty(flat.shape[0], x.dtype)
    idxs = np.empty(flat.shape[0], np.int64)
    from ._stl_sort import mode_row
    for r in range(flat.shape[0]):
        # torch sorts (value, index) pairs with std::sort and takes the longest run
        vals[r], idxs[r] = mode_row(flat[r].tolist())
    shp = xm.shape[:-1]
    vals, idxs = vals.reshape(shp), idxs.reshape(shp)
    if keepdim and x.ndim:
        vals, idxs = np.expand_dims(vals, d), np.expand_dims(idxs, d)
    return np.asarray(vals), np.asarray(idxs)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Sorted unique values, optionally with inverse indices and counts (see torch.unique)."""
    x = input._data
    if dim is None:
        res = np.unique(x.reshape(-1), return_inverse=return_inverse,
                        return_counts=return_counts)
    else:
        res = np.unique(x, return_inverse=return_inverse, return_counts=return_counts,
                        axis=wrap_dim(dim, x.ndim))
    if not (return_inverse or return_counts):
        return _wrap(res)
    res = list(res)
    out = [_wrap(res[0])]
    k = 1
    if return_inverse:
        inv = res[k].astype(np.int64)
        out.append(_wrap(inv.reshape(x.shape) if dim is None else inv.reshape(-1)))
        k += 1
    if return_counts:
        out.append(_wrap(res[k].astype(np.int64)))
    return tuple(out)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    x = input._data.reshape(-1) if dim is None else input._data
    if dim is not None:
        raise NotImplementedError("ember: unique_consecutive with dim is not implemented")
    if x.size == 0:
        keep = np.zeros(0, bool)
    else:
        keep = np.concatenate([[True], x[1:] != x[:-1]])
    vals = x[keep]
    out = [_wrap(vals)]
    if return_inverse:
        out.append(_wrap((np.cumsum(keep) - 1).astype(np.int64).reshape(input._data.shape)))
    if return_counts:
        starts = np.nonzero(keep)[0]
        out.append(_wrap(np.diff(np.append(starts, x.size)).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input, weights=None, minlength=0):
    """Counts of each non-negative integer, optionally weighted (see torch.bincount)."""
    x = input._data
    if x.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_legacy(x.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else weights._data
    if w is not None and (w.ndim != 1 or w.shape[0] != x.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    r = np.bincount(x, weights=w, minlength=minlength)
    if w is None:
        r = r.astype(np.int64)
    elif w.dtype == np.float32:
        r = r.astype(np.float32)
    return _wrap(r)


def histc(input, bins=100, min=0, max=0):
    """Histogram of equal-width bins over [min, max] (see torch.histc)."""
    x = input._data
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    h, _ = np.histogram(x, bins=bins, range=(lo, hi))
    return _wrap(h.astype(x.dtype))

