"""Ops built from other ember ops (so their gradients come for free): addcmul/addcdiv, hypot,
logaddexp, xlogy, diff, quantile, cov/corrcoef, softmax/log_softmax methods, relu, sinc, ...

Each is a few lines of torch's documented math on differentiable ops; none has its own Op."""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap
from . import elementwise as E, reduction as R, shape as S
from ._broadcast import sum_to, wrap_dim
from ..autograd.op import Op


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2."""
    x = input._data.dtype
    if not (x is tensor1._data.dtype is tensor2._data.dtype and x.kind == "f" and
            (value.__class__ is int or value.__class__ is float)):
        input, tensor1, tensor2, value = _addc_args("addcmul", input, tensor1, tensor2, value)
    r = input + (tensor1 * tensor2 if value == 1 else value * tensor1 * tensor2)
    return r if out is None else E.write_out(out, r)


_VALUE_TYPE = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
               "int64": "int64_t", "float32": "float", "bfloat16": "float", "float16": "float",
               "float64": "double"}


def _addc_args(fn, input, tensor1, tensor2, value):
    """The three tensors in their promoted dtype (torch computes there, not pairwise) and the
    value as that dtype holds it, with torch's errors for what it refuses."""
    dt = E.promote_arrays((input, tensor1, tensor2),
                          [input._data, tensor1._data, tensor2._data], False)[1]
    if dt.kind == "b" and fn == "addcmul":
        E._no_kernel("addcmul_cpu_out", dt)
    if type(value) is complex and dt.kind != "c":
        raise RuntimeError(f"value cannot be converted to type {_VALUE_TYPE.get(dt.name)} "
                           "without overflow")
    if dt.kind in "iu" and type(value) is float:
        value = int(value)   # torch converts the value to the integer result type
    t = D._FROM_NP[dt]
    return tuple(a if a._data.dtype == dt else a.to(t) for a in (input, tensor1, tensor2)) + \
        (value,)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2."""
    if tensor1._data.dtype.kind in "iub" and tensor2._data.dtype.kind in "iub":
        # (torch's message has the double space after "future")
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future "
                           " release addcdiv will perform a true division of tensor1 and tensor2. "
                           "The historic addcdiv behavior can be implemented as (input + value * "
                           "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs "
                           "and as (input + value * tensor1 / tensor2) for float inputs. The "
                           "future addcdiv behavior is just the latter implementation: (input + "
                           "value * tensor1 / tensor2), for all dtypes.")
    x = input._data.dtype
    if not (x is tensor1._data.dtype is tensor2._data.dtype and x.kind == "f" and
            (value.__class__ is int or value.__class__ is float)):
        input, tensor1, tensor2, value = _addc_args("addcdiv", input, tensor1, tensor2, value)
    r = input + (tensor1 / tensor2 if value == 1 else value * tensor1 / tensor2)
    return r if out is None else E.write_out(out, r)


def _float_pair(fn, kernel, input, other, cplx=False):
    """Both Tensors, cast to their promoted dtype, which must be floating (or complex where
    cplx): torch's checks for binary ops with only floating kernels."""
    if input.__class__ is Tensor and other.__class__ is Tensor:
        dt = input._data.dtype
        if dt is other._data.dtype and dt.kind == "f":
            return input, other   # the common case: nothing to check or cast
    E._check_tensors(fn, input, other)
    dt = E._promoted(input, other)
    if not (dt.kind == "f" or dt.name == "bfloat16" or cplx and dt.kind == "c"):
        E._no_kernel(kernel, dt)
    if input._data.dtype != dt:
        input = input.to(D._FROM_NP[dt])
    if other._data.dtype != dt:
        other = other.to(D._FROM_NP[dt])
    return input, other


def hypot(input, other, *, out=None):
    """sqrt(input**2 + other**2) in the promoted floating dtype (see torch.hypot)."""
    input, other = _float_pair("hypot", "hypot_cpu", input, other)
    r = E.sqrt(input * input + other * other)
    return r if out is None else E.write_out(out, r)


def logaddexp(input, other):
    """log(exp(input) + exp(other)), computed stably (see torch.logaddexp)."""
    input, other = _float_pair("logaddexp", "logaddexp_cpu", input, other, cplx=True)
    return _logaddexp(input, other)


def _logaddexp(input, other):
    m = E.maximum(input, other).detach() if not input.is_complex() else \
        E.where(input.real >= other.real, input, other).detach()
    m = E.where(E.isinf(m), m * 0, m)
    return m + E.log(E.exp(input - m) + E.exp(other - m))


def logaddexp2(input, other):
    """log2(2**input + 2**other) (see torch.logaddexp2)."""
    input, other = _float_pair("logaddexp2", "logaddexp2_cpu", input, other)
    return _logaddexp(input * math.log(2), other * math.log(2)) / math.log(2)


class Xlogy(Op):
    """input * log(other), 0 where input == 0 and other is not NaN (XlogyBackward0)."""
    promote = 2

    def forward(self, x, y):
        if x.dtype.kind == "c":
            E._no_kernel("xlogy_cpu", x.dtype)
        self.save_inputs(0, 1)
        self.sx, self.sy = np.shape(x), np.shape(y)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = x * np.log(y)
        # 0 * log(0) is 0, not 0 * -inf
        return np.where((x == 0) & ~np.isnan(y), r.dtype.type(0), r)

    def backward(self, grad):
        x, y = self.saved_inputs()
        nx, ny = self.needs_input_grad
        gx = gy = None
        if nx:
            gx = E.where((x == 0) & (y <= 0), grad.new_zeros(()), grad * E.log(y))
            gx = sum_to(gx, self.sx)
        if ny:
            gy = sum_to(grad * x / y, self.sy)
        return gx, gy


def xlogy(input, other, *, out=None):
    """input * log(other), 0 where input == 0 (see torch.xlogy)."""
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
        # a Python number computes in the result dtype (log(2) for a double input is double)
        rt = D.result_type(input, other)
        if not (rt.is_floating_point or rt.is_complex):
            rt = D.get_default_dtype()
        if not isinstance(input, Tensor):
            input = E._tensor_of(input, other).to(rt)
        if not isinstance(other, Tensor):
            other = E._tensor_of(other, input).to(rt)
    r = Xlogy.apply(input, other)
    return r if out is None else E.write_out(out, r)


class Sinc(Op):
    """sin(pi x) / (pi x), 1 at 0; d/dx = (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at 0."""
    promote = 2

    def forward(self, x):
        self.save_inputs(0)
        px = x * x.dtype.type(math.pi)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.sin(px) / px
        return np.where(x == 0, x.dtype.type(1), r)

    def backward(self, grad):
        x, = self.saved_inputs()
        px = x * math.pi
        d = (px * px.cos() - px.sin()) / (px * x)
        return grad * E.where(x == 0, d.new_zeros(()), d)


def sinc(input, *, out=None):
    """sin(pi x) / (pi x) (see torch.sinc)."""
    r = Sinc.apply(input)
    return r if out is None else E.write_out(out, r)


def deg2rad(input):
    if input.is_complex():
        raise RuntimeError("deg2rad is not supported for complex tensors.")
    return input * (math.pi / 180)


def rad2deg(input):
    if input.is_complex():
        raise RuntimeError("rad2deg is not supported for complex tensors.")
    return input * (180 / math.pi)


def copysign(input, other):
    """|input| with other's sign, in the promoted floating dtype (see torch.copysign)."""
    rt = D.result_type(input, other)
    if rt.is_complex:
        E._no_kernel("copysign_cpu", rt.np)
    if not rt.is_floating_point:
        rt = D.get_default_dtype()
    mag = E.abs(input if input.dtype is rt else input.to(rt))
    neg = E.signbit(other) if isinstance(other, Tensor) else math.copysign(1, other) < 0
    return E.where(neg, -mag, mag) if isinstance(neg, Tensor) else (-mag if neg else mag)


def heaviside(input, values):
    """0 where input < 0, values where input == 0, 1 where input > 0 (see torch.heaviside)."""
    E._check_tensors("heaviside", input, values, "values")
    if input.is_complex() or values.is_complex():
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return E.where(input == 0, values, (input > 0).to(input.dtype))   # (broadcasts both)


def positive(input):
    if input._data.dtype == bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def diff(input, n=1, dim=-1, prepend=None, append=None):
    x = input
    d = wrap_dim(dim, x.dim())
    if prepend is not None:
        x = S.cat([prepend, x], d)
    if append is not None:
        x = S.cat([x, append], d)
    for _ in range(n):
        m = x.shape[d]
        a = x.narrow(d, 1, m - 1)
        b = x.narrow(d, 0, m - 1)
        x = (a != b) if x.dtype is D.bool_ else a - b
    return x


def ravel(input):
    return S.reshape(input, -1)


class Dist(Op):
    """p-norm of (a - b) over all elements, one node with both inputs as edges (torch's
    DistBackward0); backward is the vector-norm gradient of the difference, split by sum_to."""
    promote = 1

    def forward(self, a, b, p=2):
        if a.dtype.kind in "biu":
            raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                               f"Got {R._legacy(a.dtype)} instead.")
        self.save_inputs(0, 1)
        self.save_outputs(0)
        self.p = p
        x = a - b
        xp = R._xp(x)
        ab = xp.abs(x)
        out_dt = ab.dtype
        if R._is_low_float(out_dt):   # accumulate half precision in float32, as torch does
            ab = ab.astype(np.float32)
        if p == 2:
            r = xp.sqrt(xp.sum(ab * ab))
        elif p == float("inf"):
            r = xp.max(ab)
        elif p == float("-inf"):
            r = xp.min(ab)
        elif p == 0:
            r = xp.sum(ab != 0)
        elif p == 1:
            r = xp.sum(ab)
        else:
            r = xp.sum(ab ** p) ** (1.0 / p)
        return xp.asarray(r).astype(out_dt)

    def backward(self, grad):
        a, b = self.saved_inputs()
        result, = self.saved_outputs()
        p = self.p
        x = a - b
        if p == 2:
            gx = (grad * x / result).masked_fill(result == 0, 0)
        elif p == 1:
            gx = grad * x.sgn()
        elif p == 0:
            gx = x * 0
        elif p in (float("inf"), float("-inf")):
            mask = x.abs() == result
            gx = grad * x.sgn() * mask / mask.sum()
        else:
            gx = (grad * x.sgn() * x.abs().pow(p - 1) / result.pow(p - 1)).masked_fill(
                result == 0, 0)
        return (sum_to(gx, a.shape) if self.needs_input_grad[0] else None,
                sum_to(-gx, b.shape) if self.needs_input_grad[1] else None)


def dist(input, other, p=2):
    """p-norm of input - other (see torch.dist)."""
    return Dist.apply(input, other, p=p)


def renorm(input, p, dim, maxnorm):
    d = wrap_dim(dim, input.dim())
    dims = [i for i in range(input.dim()) if i != d]
    norms = R.norm(input, p, dim=dims, keepdim=True)
    factor = E.where(norms > maxnorm, maxnorm / (norms + 1e-7), norms * 0 + 1)
    return input * factor


def diagflat(input, offset=0):
    return S.diag(input.reshape(-1), offset)


def split_with_sizes(input, split_sizes, dim=0):
    return S.split(input, list(split_sizes), dim)


def vsplit(input, sections):
    return S.tensor_split(input, sections, 0)


def hsplit(input, sections):
    return S.tensor_split(input, sections, 1 if input.dim() > 1 else 0)


def dsplit(input, sections):
    return S.tensor_split(input, sections, 2)


def logcumsumexp(input, dim):
    d = wrap_dim(dim, input.dim())
    m = R.amax(input, d, keepdim=True).detach()
    m = E.where(E.isinf(m), m * 0, m)
    return E.log(R.cumsum(E.exp(input - m), d)) + m


_QUANTILE_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    """torch's quantile algorithm: sort (NaN last), rank = q * (count - 1), gather, lerp."""
    scalar_q = not isinstance(q, Tensor)
    if scalar_q and not 0 <= q <= 1:
        raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
    if interpolation not in _QUANTILE_MODES:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if not scalar_q and q.dim() > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if not scalar_q and q.dtype is not input.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    from .._creation import scalar_tensor
    qs = scalar_tensor(float(q), input, dtype=input.dtype).reshape(1) if scalar_q \
        else q.reshape(-1)
    if not scalar_q and not bool(((qs >= 0) & (qs <= 1)).all()):
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    if dim is None:
        x = input.reshape(-1)
        out_shape = (1,) * input.dim() if keepdim else ()
    else:
        d = wrap_dim(dim, input.dim())
        x = input.movedim(d, -1) if input.dim() else input.reshape(1)
        out_shape = tuple(1 if i == d else n for i, n in enumerate(input.shape)
                          if keepdim or i != d)
    srt = R.sort(x, -1)[0]                     # NaN sorts last
    isnan = E.isnan(srt)
    qv = qs.reshape((-1,) + (1,) * srt.dim())          # (Q, 1, ..., 1)
    if ignore_nan:
        last = (~isnan).sum(-1, keepdim=True) - 1
        last = E.where(last < 0, last.new_zeros(()), last)   # all NaN: rank 0 picks a NaN
        ranks = qv * last.to(srt.dtype)                 # (Q, ..., 1)
    else:
        last = srt.shape[-1] - 1
        # a slice holding NaN ranks its last element, a NaN
        ranks = E.where(isnan.any(-1, keepdim=True), qv.new_full((), float(last)), qv * last)
    if interpolation == "lower":
        ranks = E.floor(ranks)
    elif interpolation == "higher":
        ranks = E.ceil(ranks)
    elif interpolation == "nearest":
        ranks = E.round(ranks)
    srt_q = srt.unsqueeze(0).expand((qv.shape[0],) + tuple(srt.shape))
    below = ranks.long()
    r = srt_q.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        w = ranks - below.to(ranks.dtype) if interpolation == "linear" else \
            ranks.new_full((), 0.5)
        b = srt_q.gather(-1, E.ceil(ranks).long())
        # torch's lerp: exact at both ends
        r = E.where(w < 0.5, r + w * (b - r), b - (b - r) * (1 - w))
    r = r.reshape((qv.shape[0],) + out_shape)
    return r.squeeze(0) if scalar_q else r


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """q-th quantiles along dim (NaN if a slice has NaN), see torch.quantile."""
    r = _quantile(input, q, dim, keepdim, interpolation, False)
    return r if out is None else E.write_out(out, r)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """q-th quantiles ignoring NaN (NaN for an all-NaN slice), see torch.nanquantile."""
    r = _quantile(input, q, dim, keepdim, interpolation, True)
    return r if out is None else E.write_out(out, r)


def cov(input, *, correction=1, fweights=None, aweights=None):
    if fweights is not None or aweights is not None:
        from .sweep2 import cov_weighted
        return cov_weighted(input, correction, fweights, aweights)
    x = input if input.dim() == 2 else input.reshape(1, -1)
    n = x.shape[1]
    xc = x - R.mean(x, 1, keepdim=True)
    c = xc.matmul(xc.t().conj() if xc.is_complex() else xc.t()) / max(n - correction, 0)
    return c.squeeze() if input.dim() < 2 else c


def corrcoef(input):
    c = cov(input)
    if c.dim() == 0:
        return c / c
    d = E.sqrt(c.diagonal())
    return E.clamp(c / d.unsqueeze(1) / d.unsqueeze(0), -1, 1)


def relu(input):
    from ..nn.functional import relu as f
    return f(input)


def relu_(input):
    from .. import nn
    return nn.functional.relu_(input)


def softmax(input, dim, dtype=None):
    from .. import nn
    return nn.functional.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):
    from .. import nn
    return nn.functional.log_softmax(input, dim, dtype=dtype)


def is_same_size(input, other):
    return input.shape == other.shape


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


def fill_diagonal_(input, fill_value, wrap=False):
    a = input._data
    if a.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    from .inplace import check_inplace
    check_inplace(input)
    if a.ndim == 2:
        np.fill_diagonal(a, fill_value, wrap=wrap)
    else:
        if len(set(a.shape)) != 1:
            raise RuntimeError("all dimensions of input must be of equal length")
        idx = (np.arange(a.shape[0]),) * a.ndim
        a[idx] = fill_value
    input._bump()
    return input


def put_(input, index, source, accumulate=False):
    from .inplace import inplace_apply
    if not accumulate:  # which of several writes to one index lands is unspecified in torch
        from .._deterministic import alert_not_deterministic
        alert_not_deterministic("put_")
    from .indexing import index_put

    def f(t, src):
        flat = t.reshape(-1)
        return index_put(flat, (index.reshape(-1),), src.reshape(-1), accumulate).reshape(t.shape)
    return inplace_apply(input, f, source)


def put(input, index, source, accumulate=False):
    flat = input.reshape(-1)
    from .indexing import index_put
    return index_put(flat, (index.reshape(-1),), source.reshape(-1), accumulate).reshape(
        input.shape)


# ---- torch.functional's grid helpers: meshgrid, cartesian_prod, block_diag, unravel_index ----

_MESHGRID_WARNED = [False]


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors: views expanded to the full grid (see torch.meshgrid).
    'ij' puts tensor i along dim i; 'xy' swaps the first two dims, as NumPy's default."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        if not _MESHGRID_WARNED[0]:
            _MESHGRID_WARNED[0] = True   # torch warns once per process (TORCH_WARN_ONCE)
            import warnings
            warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass "
                          "the indexing argument. (Triggered internally at /__w/pytorch/pytorch/"
                          "aten/src/ATen/native/TensorShape.cpp:4215.)", UserWarning,
                          stacklevel=2)
        indexing = "ij"
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    dt = tensors[0]._data.dtype
    for t in tensors[1:]:
        if t._data.dtype != dt:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               "got: " + _cpp_print(t))
    if indexing not in ("xy", "ij"):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           + str(indexing))
    swap = indexing == "xy" and len(tensors) >= 2
    ts = list(tensors)
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    n = len(ts)
    sizes = [t._data.size for t in ts]
    out = []
    for i, t in enumerate(ts):
        shape = [1] * n
        shape[i] = -1
        out.append(S.expand(S.view(t, *shape), *sizes))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def _cpp_print(t):
    """A tensor as ATen's C++ printer writes it inside error messages (matrices of integers or
    4-decimal numbers, 3-D and more as (i,.,.) slices, then the legacy type and size)."""
    from .._tensor import legacy_type_name
    a = t._data
    integral = a.dtype.kind in "iub" or bool(np.all(np.mod(a, 1) == 0))
    vals = a.reshape(-1).tolist()
    cells = [str(int(v)) if integral else f"{v:.4f}" for v in vals]
    # one column width for all: the widest magnitude plus a sign slot
    w = max((len(str(abs(int(v))) if integral else f"{abs(v):.4f}") for v in vals),
            default=0) + 1

    def matrix(flat, rows, cols):
        return "\n".join(" ".join(c.rjust(w) for c in flat[r * cols:(r + 1) * cols])
                         for r in range(rows))
    if a.ndim == 2:
        body = matrix(cells, *a.shape)
    else:
        rows, cols = a.shape[-2:]
        per = rows * cols
        parts = []
        for k, idx in enumerate(np.ndindex(*a.shape[:-2])):
            head = "(" + ",".join(str(i + 1) for i in idx) + ",.,.) = \n"
            parts.append(head + matrix(cells[k * per:(k + 1) * per], rows, cols).replace(
                "\n", "\n "))
        body = "\n\n".join(parts)
    size = ",".join(str(s) for s in a.shape)
    return f"{body}\n[ {legacy_type_name(t)}{{{size}}} ]"


def cartesian_prod(*tensors):
    """Every combination of the 1-D tensors' elements, one per row (see torch.cartesian_prod)."""
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return S.stack([S.flatten(g) for g in grids], dim=1)


class BlockDiag(Op):
    """Tensors (0-D, 1-D as a row, 2-D) placed along the diagonal of a zero matrix."""
    promote = 1

    def forward(self, *xs):
        mats = [x.reshape(1, -1) if x.ndim < 2 else x for x in xs]
        self.spans = spans = []
        r = c = 0
        for m in mats:
            spans.append((r, c, m.shape[0], m.shape[1]))
            r += m.shape[0]
            c += m.shape[1]
        dt = mats[0].dtype if mats else np.dtype(np.float32)
        out = np.zeros((r, c), dt)
        for (r0, c0, h, w), m in zip(spans, mats):
            out[r0:r0 + h, c0:c0 + w] = m
        self.shapes = [x.shape for x in xs]
        return out

    def backward(self, grad):
        return tuple(grad[r0:r0 + h, c0:c0 + w].reshape(shape) if need else None
                     for (r0, c0, h, w), shape, need in
                     zip(self.spans, self.shapes, self.needs_input_grad))

    def vjp(self, grad):
        return tuple(grad[r0:r0 + h, c0:c0 + w].reshape(shape) if need else None
                     for (r0, c0, h, w), shape, need in
                     zip(self.spans, self.shapes, self.needs_input_grad))


def block_diag(*tensors):
    """A block-diagonal matrix from the given tensors (see torch.block_diag)."""
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t._data.ndim} dimensions")
    if not tensors:
        return _wrap(np.zeros((1, 0), D.get_default_dtype().np))
    return BlockDiag.apply(*tensors)


def unravel_index(indices, shape):
    """Flat indices -> a tuple of coordinate tensors for an array of `shape`, wrapping like
    Python's modulo (see torch.unravel_index)."""
    if not isinstance(indices, Tensor):
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")
    if indices.dtype.category >= D.FLOAT or indices.dtype is D.bool_:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(shape)
    for s in shape:
        if not isinstance(s, int) or isinstance(s, bool):
            raise TypeError("expected 'shape' sequence to only contain ints, but got "
                            f"{type(s)}")
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    idx = indices._data.astype(np.int64)
    out = []
    for s in reversed(shape):
        out.append(_wrap(np.asarray(np.mod(idx, s) if s else np.zeros_like(idx))))
        idx = np.floor_divide(idx, s) if s else idx
    return tuple(reversed(out))
