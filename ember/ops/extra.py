"""Less common top-level torch functions: isin, bucketize/searchsorted, histogram, tril/triu
indices, combinations, vander, trapezoid rules, complex/polar and the view_as_real/complex views,
typename and the float32 matmul precision setting.

Most are composites of ember ops (gradients for free); the complex views are ViewOps."""
from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap
from ..autograd.op import Op
from . import elementwise as E, reduction as R, shape as S
from ._broadcast import wrap_dim, sum_to
from .shape import ViewOp


def _tname(t):
    return D._LEGACY_NAMES[t.dtype.name]


def _common(a, b):
    """Both arrays cast to torch's result type of the two tensors."""
    dt = D.result_type(a, b).np
    return a._data.astype(dt, copy=False), b._data.astype(dt, copy=False)


def _as_tensor(x, like):
    return x if isinstance(x, Tensor) else E._tensor_of(x, like)


# ---- isin / bucketize / searchsorted -------------------------------------------------------

def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element is in test_elements (see torch.isin)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__}), but "
                        "expected one of:")
    e = _as_tensor(elements, test_elements)
    t = _as_tensor(test_elements, e)
    for x in (e, t):
        if x.dtype is D.bool_ or x.is_complex():
            raise RuntimeError(f"Unsupported input type encountered for isin(): {_tname(x)}")
    a, b = _common(e, t)
    r = np.isin(a, b, assume_unique=assume_unique, invert=invert)
    return _wrap(np.asarray(r))


_SORT_ERR = "torch.searchsorted(): "


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    """Indices where values would be inserted to keep order (see torch.searchsorted)."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{_SORT_ERR}side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(f"{_SORT_ERR}side and right can't be set to opposites, got side "
                               "of left while right was True")
        right = side == "right"
    seq = sorted_sequence
    vals = _as_tensor(values, seq)
    if sorter is not None:
        if sorter.dtype is not D.int64:
            raise RuntimeError(f"{_SORT_ERR}sorter must be a tensor of long dtype but got dtype "
                               f"{_tname(sorter)}")
        if tuple(sorter.shape) != tuple(seq.shape):
            raise RuntimeError(f"{_SORT_ERR}boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)}and got sorter tensor "
                               f"{list(sorter.shape)}")
    if vals.dim() == 0 and seq.dim() > 1:
        raise RuntimeError(f"{_SORT_ERR}input value can be a scalar only when boundaries tensor "
                           f"dimension is 1, but we got boundaries tensor dim({seq.dim()}) and "
                           f"input value's dim({vals.dim()}) numel({vals.numel()})")
    if seq.dim() == 0:
        raise RuntimeError(f"{_SORT_ERR}boundaries tensor should have positive dimension, but "
                           "got 0 dimension")
    if seq.dim() > 1 and (seq.dim() != vals.dim() or seq.shape[:-1] != vals.shape[:-1]):
        raise RuntimeError(f"{_SORT_ERR}boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, "
                           f"but we got boundaries tensor {list(seq.shape)} and input value "
                           f"tensor {list(vals.shape)}")
    s, v = _common(seq, vals)
    if s.dtype.kind == "c":
        raise NotImplementedError(f"\"searchsorted_out_cpu\" not implemented for "
                                  f"'{D._LEGACY_NAMES[D._FROM_NP[s.dtype].name]}'")
    if sorter is not None:
        s = np.take_along_axis(s, sorter._data, -1)
    side_ = "right" if right else "left"
    if s.ndim == 1:
        idx = np.searchsorted(s, v, side=side_)
    else:
        # batched rows: count the boundaries before each value (one broadcast comparison)
        cmp = np.less_equal if right else np.less
        idx = cmp(s[..., None, :], v[..., :, None]).sum(-1)
    r = _wrap(np.asarray(idx, dtype=np.int32 if out_int32 else np.int64))
    return r if out is None else E.write_out(out, r)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The bucket of each value given 1-D boundaries (see torch.bucketize)."""
    if boundaries.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.dim()})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


# ---- histogram ------------------------------------------------------------------------------

class _HistogramNoGrad(Op):
    """torch.histogram's outputs track their input but have no derivative."""
    node_name = "NotImplemented"

    def forward(self, x, hist=None, edges=None):
        return hist, edges

    def backward(self, *grads):
        raise RuntimeError("derivative for aten::histogram is not implemented")


# torch's C++ scalar type names (as its histogram messages print them)
_CNAME = {"float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float",
          "float64": "double"}


def _g(x):
    """A double as C++ streams print it (torch's error messages)."""
    return "%g" % x


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """Histogram of input's values: (hist, bin_edges) (see torch.histogram)."""
    from .. import return_types
    from .._creation import _linspace_array
    a = input._data
    if input.dtype.category != D.FLOAT:
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{_tname(input)}'")
    if weight is not None:
        if weight.dtype is not input.dtype:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and "
                               "weight tensor should have the same dtype, but got input("
                               f"{_CNAME.get(input.dtype.name)}), and weight("
                               f"{_CNAME.get(weight.dtype.name)})")
        if weight.numel() != input.numel():  # torch flattens both
            raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have "
                               "the same shape as the input tensor excluding its innermost "
                               f"dimension, but got input with shape [{input.numel()}, 1] and "
                               f"weight with shape [{weight.numel()}]")
    flat = a.reshape(-1)
    if isinstance(bins, Tensor):
        if bins.dim() != 1:
            raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, but got "
                               f"{bins.dim()} dimensions in the bins tensor for dimension 0")
        edges = bins._data.astype(a.dtype)
        lo, hi = float(edges[0]), float(edges[-1])
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                               "dimension 0")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif flat.size:
            lo, hi = float(flat.min()), float(flat.max())
        else:
            lo, hi = 0.0, 1.0
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                               f"{_g(lo)} max {_g(hi)} for dimension 0")
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{_g(lo)}, {_g(hi)}] is "
                               "not finite")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = _linspace_array(lo, hi, bins + 1, a.dtype).astype(a.dtype)
    nb = edges.shape[0] - 1
    # bin i holds [edge_i, edge_i+1); the last bin also holds its right edge; others are dropped
    pos = np.searchsorted(edges, flat, side="right") - 1
    pos[flat == edges[-1]] = nb - 1
    keep = (flat >= edges[0]) & (flat <= edges[-1])
    w = None if weight is None else weight._data.reshape(-1)[keep]
    hist = np.bincount(pos[keep], weights=w, minlength=nb)[:nb].astype(a.dtype)
    if density:
        hist = (hist / hist.sum() / np.diff(edges)).astype(a.dtype)
    if input._rg or (isinstance(bins, Tensor) and bins._rg):
        h, e = _HistogramNoGrad.apply(input, hist=hist, edges=edges)
    else:
        h, e = _wrap(hist), _wrap(edges)
    if out is not None:
        E.write_out(out[0], h)
        E.write_out(out[1], e)
        h, e = out
    return return_types.histogram(h, e)


# ---- index helpers --------------------------------------------------------------------------

def _tri_indices(name, row, col, offset, dtype, fn):
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    if dtype not in (D.int64, D.int32):
        raise NotImplementedError(f"\"{name}\" not implemented for "
                                  f"'{D._LEGACY_NAMES[dtype.name]}'")
    r, c = fn(row, offset, col)
    return _wrap(np.stack([r, c]).astype(dtype.np).reshape(2, -1))


def tril_indices(row, col, offset=0, *, dtype=D.int64, device=None, layout=None,
                 pin_memory=False):
    """Indices of the lower triangle of a row x col matrix, shape (2, N) (see torch)."""
    from .._creation import _pin
    _pin(pin_memory)
    return _tri_indices("tril_indices", row, col, offset, dtype, np.tril_indices)


def triu_indices(row, col, offset=0, *, dtype=D.int64, device=None, layout=None,
                 pin_memory=False):
    """Indices of the upper triangle of a row x col matrix, shape (2, N) (see torch)."""
    from .._creation import _pin
    _pin(pin_memory)
    return _tri_indices("triu_indices", row, col, offset, dtype, np.triu_indices)


def combinations(input, r=2, with_replacement=False):
    """r-length combinations of a 1-D tensor's elements, one per row (see torch)."""
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _wrap(np.empty((0,), input._data.dtype))
    n = input.shape[0]
    # lexicographic index tuples (i1 < i2 < ... or <= with replacement), as torch's mask gives
    grids = np.meshgrid(*([np.arange(n)] * r), indexing="ij")
    cmp = np.less_equal if with_replacement else np.less
    mask = np.ones(grids[0].shape, bool)
    for a, b in zip(grids, grids[1:]):
        mask &= cmp(a, b)
    cols = [input[_wrap(g[mask].astype(np.int64))] for g in grids]
    return S.stack(cols, 1)


def vander(x, N=None, increasing=False):
    """Vandermonde matrix of 1-D x: columns x**(N-1) ... x**0 (see torch.vander)."""
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0]
    if N is None:
        N = n
    if N < 0:
        raise RuntimeError("N must be non-negative.")
    dt = D.promote_types(x.dtype, D.int64)
    if N == 0:
        return _wrap(np.empty((n, 0), dt.np))
    from .._creation import ones
    first = ones((n, 1), dtype=dt)
    if N == 1:
        r = first
    else:
        r = R.cumprod(S.cat([first, x.to(dt).unsqueeze(1).expand(n, N - 1)], 1), 1)
    return r if increasing else S.flip(r, 1)


# ---- trapezoid rules ------------------------------------------------------------------------

class _MulScalar(Op):
    """tensor * number as torch's C++ composites call it (MulBackward1)."""
    node_name = "MulBackward1"
    promote = 1

    def forward(self, x, s):
        self.s = s
        return x * s

    def backward(self, grad):
        return grad * self.s, None


class _DivScalar(_MulScalar):
    node_name = "DivBackward1"

    def forward(self, x, s):
        self.s = 1. / s
        return x / s


def _no_dims(y, dim):
    if y.dim() == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return wrap_dim(dim, y.dim())


def _dx_of(y, x, d):
    """The spacing tensor along dim d for sample points x (1-D or broadcastable to y)."""
    if x.dim() == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        x = x.reshape([-1 if i == d else 1 for i in range(y.dim())])
    m = x.shape[d]
    return x.narrow(d, 1, m - 1) - x.narrow(d, 0, m - 1)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Trapezoid rule along dim with sample points x or spacing dx (see torch.trapezoid)."""
    d = _no_dims(y, dim)
    n = y.shape[d]
    if isinstance(x, Tensor):
        if n == 0:
            return E.mul(R.sum(y, d), 0).detach()
        ddx = _dx_of(y, x, d)
        return _DivScalar.apply(R.sum((y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)) * ddx, d),
                                2.)
    if n == 0:
        return E.mul(R.sum(y, d), 0).detach()
    step = 1 if dx is None and x is None else (dx if dx is not None else x)
    return _MulScalar.apply(R.sum(y, d) - _MulScalar.apply(
        S.select(y, d, 0) + S.select(y, d, -1), 0.5), step)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Running trapezoid rule along dim (see torch.cumulative_trapezoid)."""
    d = _no_dims(y, dim)
    n = y.shape[d]
    if n == 0:
        return R.cumsum(y, d) * 1.0 if not y.is_floating_point() else R.cumsum(y, d)
    pair = y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)
    if isinstance(x, Tensor):
        return _DivScalar.apply(R.cumsum(pair * _dx_of(y, x, d), d), 2.)
    step = 1 if dx is None and x is None else (dx if dx is not None else x)
    return R.cumsum(_MulScalar.apply(pair, step / 2.), d)


# ---- complex numbers and their real views ---------------------------------------------------

def _complex_check(a, b):
    ok = (D.float16, D.float32, D.float64)
    if a.dtype not in ok or b.dtype not in ok:
        raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_tname(a)} and {_tname(b)}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"Expected object of scalar type {_tname(a)} but got scalar type "
                           f"{_tname(b)} for second argument")
    if a.dtype is D.float16:
        raise NotImplementedError("ember has no complex32 (ComplexHalf) dtype")


def _cdt(dt):
    return np.complex64 if dt == np.float32 else np.complex128


def _re_im(grad):
    """Real and imaginary parts of a complex gradient, as differentiable ember ops."""
    ri = view_as_real(grad.contiguous())
    return S.select(ri, -1, 0), S.select(ri, -1, 1)


class Complex(Op):
    def forward(self, re, im):
        self.shapes = (re.shape, im.shape)
        out = np.empty(np.broadcast_shapes(re.shape, im.shape), _cdt(re.dtype))
        out.real = re
        out.imag = im
        return out

    def backward(self, grad):
        gr, gi = _re_im(grad)
        return sum_to(gr, self.shapes[0]), sum_to(gi, self.shapes[1])


class Polar(Op):
    def forward(self, r, theta):
        self.save_inputs(0, 1)
        out = np.empty(np.broadcast_shapes(r.shape, theta.shape), _cdt(r.dtype))
        out.real = r * np.cos(theta)
        out.imag = r * np.sin(theta)
        return out

    def backward(self, grad):
        r, th = self.saved_inputs()
        gr, gi = _re_im(grad)
        c, s = E.cos(th), E.sin(th)
        # torch's PolarBackward0: d/d abs is Re(conj(grad) * sgn(result)), so it flips sign
        # where abs < 0 and is 0 where abs == 0
        return (sum_to((gr * c + gi * s) * E.sign(r), r.shape),
                sum_to(r * (gi * c - gr * s), th.shape))


def complex(real, imag, *, out=None):
    """real + i*imag (see torch.complex)."""
    _complex_check(real, imag)
    res = Complex.apply(real, imag)
    return res if out is None else E.write_out(out, res)


def polar(abs, angle, *, out=None):
    """abs * (cos(angle) + i sin(angle)) (see torch.polar)."""
    _complex_check(abs, angle)
    res = Polar.apply(abs, angle)
    return res if out is None else E.write_out(out, res)


class _Iface:
    """Carries an __array_interface__ so NumPy makes a view of the same memory."""

    def __init__(self, iface, base):
        self.__array_interface__ = iface
        self.base = base


def _reinterpret(a, dtype, shape, strides):
    """A view of a's memory with another dtype, shape and strides (in bytes)."""
    iface = dict(a.__array_interface__)
    iface.update(typestr=np.dtype(dtype).str, descr=[("", np.dtype(dtype).str)], shape=shape,
                 strides=strides)
    iface.pop("mask", None)
    return np.asarray(_Iface(iface, a))


class ViewAsReal(ViewOp):
    def forward(self, z):
        half = z.itemsize // 2
        return _reinterpret(z, np.float32 if half == 4 else np.float64, z.shape + (2,),
                            z.strides + (half,))

    def backward(self, grad):
        return view_as_complex(grad.contiguous())


class ViewAsComplex(ViewOp):
    def forward(self, x):
        return _reinterpret(x, _cdt(x.dtype), x.shape[:-1], x.strides[:-1])

    def backward(self, grad):
        return view_as_real(grad)


def view_as_real(input):
    """A real view (..., 2) of a complex tensor's memory (see torch.view_as_real)."""
    if not input.is_complex():
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal.apply(input)


def view_as_complex(input):
    """A complex view of a real tensor whose last dim is (re, im) (see torch.view_as_complex)."""
    if input.dtype not in (D.float16, D.float32, D.float64):
        raise RuntimeError("view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: {_tname(input)}")
    if input.dim() == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    st = input.stride()
    if st[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in st[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    if input.dtype is D.float16:
        raise NotImplementedError("ember has no complex32 (ComplexHalf) dtype")
    return ViewAsComplex.apply(input)


# ---- misc -----------------------------------------------------------------------------------

def typename(obj, /):
    """The fully qualified type name: 'torch.FloatTensor' for tensors (see torch.typename)."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    if module in {"", "builtins"}:
        return qualname
    return f"{module}.{qualname}"


_MATMUL_PRECISION = ["highest"]


def get_float32_matmul_precision():
    """The recorded float32 matmul precision (see torch.get_float32_matmul_precision)."""
    return _MATMUL_PRECISION[0]


def set_float32_matmul_precision(precision):
    """Record 'highest', 'high' or 'medium' (see torch.set_float32_matmul_precision).

    ember's float32 matmuls are NumPy's float32 BLAS calls whatever the setting: the value is
    stored and reported back exactly as torch does, but it does not change any result."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got "
                           f"{type(precision).__name__}")
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _MATMUL_PRECISION[0] = precision


# ---- conjugation ---------------------------------------------------------------------------
# torch's conj() is a lazy view with a conj bit; ember conjugates eagerly (a copy), so
# is_conj() is always False and resolve_conj() has nothing to resolve. Values and gradients
# are torch's.

class Conj(Op):
    """conj(x); its gradient is the conjugate of the incoming one."""

    def forward(self, x):
        return x.conj()

    def backward(self, grad):
        return conj(grad)

    def vjp(self, grad):
        return grad.conj()


class ConjPhysical(Conj):
    pass


def conj(input):
    """The complex conjugate; real tensors come back as they are (see torch.conj)."""
    return Conj.apply(input) if input.is_complex() else input


def conj_physical(input, *, out=None):
    """The complex conjugate, materialised (see torch.conj_physical)."""
    r = ConjPhysical.apply(input) if input.is_complex() else input
    return r if out is None else out.copy_(r)


def resolve_conj(input):
    return input


def resolve_neg(input):
    return input


def is_conj(input):
    return False


def is_neg(input):
    return False
