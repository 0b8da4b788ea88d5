"""Ops built from other ember ops (so their gradients come for free): addcmul/addcdiv, hypot,
logaddexp, xlogy, diff, quantile, cov/corrcoef, softmax/log_softmax methods, relu, sinc, ...

Each is a few lines of torch's documented math on differentiable ops; none has its own Op."""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap
from . import elementwise as E, reduction as R, shape as S
from ._broadcast import wrap_dim


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2."""
    r = input + (tensor1 * tensor2 if value == 1 else value * tensor1 * tensor2)
    return r if out is None else E.write_out(out, r)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2."""
    if not tensor1.is_floating_point() and not tensor2.is_floating_point():
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future "
                           "release addcdiv will perform a true division of tensor1 and tensor2. "
                           "The historic addcdiv behavior can be implemented as (input + value * "
                           "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs "
                           "and as (input + value * tensor1 / tensor2) for float inputs. The "
                           "future addcdiv behavior is just the latter implementation: (input + "
                           "value * tensor1 / tensor2), for all dtypes.")
    r = input + (tensor1 / tensor2 if value == 1 else value * tensor1 / tensor2)
    return r if out is None else E.write_out(out, r)


def hypot(input, other, *, out=None):
    r = E.sqrt(input * input + other * other)
    return r if out is None else E.write_out(out, r)


def logaddexp(input, other):
    m = E.maximum(input, other).detach()
    m = E.where(E.isinf(m), m * 0, m)
    return m + E.log(E.exp(input - m) + E.exp(other - m))


def logaddexp2(input, other):
    return logaddexp(input * math.log(2), other * math.log(2)) / math.log(2)


def xlogy(input, other):
    """input * log(other), 0 where input == 0 (and other is not nan)."""
    if not isinstance(input, Tensor):
        input = E._tensor_of(input, other)
    if not isinstance(other, Tensor):
        other = E._tensor_of(other, input)
    r = input * E.log(other)
    return E.where((input == 0) & ~E.isnan(other), r * 0, r)


def sinc(input):
    x = input * math.pi
    s = E.sin(x) / x
    return E.where(input == 0, s * 0 + 1, s)


def deg2rad(input):
    return input * (math.pi / 180)


def rad2deg(input):
    return input * (180 / math.pi)


def copysign(input, other):
    mag = E.abs(input)
    neg = E.signbit(other) if isinstance(other, Tensor) else math.copysign(1, other) < 0
    return E.where(neg, -mag, mag) if isinstance(neg, Tensor) else (-mag if neg else mag)


def heaviside(input, values):
    return E.where(input == 0, values.expand(input.shape).to(input.dtype),
                   (input > 0).to(input.dtype))


def positive(input):
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


def dist(input, other, p=2):
    return R.norm(input - other, p)


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


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """Quantiles by sorting, with torch's five interpolation modes."""
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else wrap_dim(dim, input.dim())
    scalar_q = not isinstance(q, Tensor)
    from .._creation import scalar_tensor
    qs = scalar_tensor(float(q), x, dtype=x.dtype).reshape(1) if scalar_q else q.reshape(-1)
    if bool(((qs < 0) | (qs > 1)).any()):
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    srt = R.sort(x, d)[0]
    n = srt.shape[d]
    pos = qs * (n - 1)
    lo = E.floor(pos)
    hi = E.ceil(pos)
    if interpolation == "lower":
        idx = lo
    elif interpolation == "higher":
        idx = hi
    elif interpolation == "nearest":
        idx = E.round(pos)
    else:
        idx = None
    moved = srt.movedim(d, -1)
    if idx is not None:
        r = moved[..., idx.long()]
    else:
        a = moved[..., lo.long()]
        b = moved[..., hi.long()]
        if interpolation == "midpoint":
            r = a + (b - a) * 0.5
        elif interpolation == "linear":
            r = a + (b - a) * (pos - lo)
        else:
            raise RuntimeError(f"quantile() interpolation must be one of linear, lower, higher, "
                               f"midpoint or nearest. Got {interpolation}")
    r = r.movedim(-1, 0)
    if keepdim:
        if dim is None:
            r = r.reshape((r.shape[0],) + (1,) * input.dim())
        else:
            r = r.unsqueeze(d + 1)
    if scalar_q:
        r = r.squeeze(0)
    return r


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    if dim is None and not bool(E.isnan(input).any()):
        return quantile(input, q, dim, keepdim, interpolation=interpolation)
    if dim is None:
        return quantile(input[~E.isnan(input)], q, None, keepdim, interpolation=interpolation)
    raise NotImplementedError("ember: nanquantile with dim and NaN values is not implemented")


def cov(input, *, correction=1, fweights=None, aweights=None):
    if fweights is not None or aweights is not None:
        raise NotImplementedError("ember: cov with fweights/aweights is not implemented")
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
