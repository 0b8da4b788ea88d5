"""Fused normalization ops: batch norm, layer norm and group norm, one Op (one grad_fn) each.

Forward computes the statistics and the normalized output in a few NumPy passes (batch norm
rounding exactly as torch's CPU kernel does, so float32 outputs and running statistics are
bit-identical); backward is the closed-form gradient in NumPy. When a graph of the backward is
asked for (create_graph), backward instead differentiates a composite re-computation made of
ember ops, so higher-order gradients are exact too. ember.nn's F.batch_norm / layer_norm /
group_norm / instance_norm (ember/nn/_functional2.py) call these.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _memory_format as _mf
from .._tensor import _wrap
from ..autograd.grad_mode import GRAD
from ..autograd.op import Op
from ..backend import array_module, opmath
from ._broadcast import wrap_dim

_LEGACY = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
           "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _xp(a):
    return np if type(a) is np.ndarray else array_module(a)


def _check_float(x, kernel):
    if x.dtype.kind not in "f" and x.dtype.name != "bfloat16":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_LEGACY.get(x.dtype.name, x.dtype.name)}'")


def _check_mixed(x, *params):
    """torch's CPU rule: parameters share the input's dtype, or are float32 for a 16-bit input."""
    for p in params:
        if p is not None and p.dtype != x.dtype:
            if x.itemsize < 4 and p.dtype == np.float32:
                continue
            if x.dtype == np.float32:
                raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of "
                                   "Float")
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _compute_dtype(x):
    """float16/bfloat16 are normalized in float32 (torch's opmath type), then cast back."""
    return np.float32 if x.dtype.itemsize < 4 else x.dtype


def composite_vjp(fn, inputs, needs, grad):
    """Backward of an op through a re-computation of it from ember ops (used for create_graph):
    the gradients are then themselves differentiable functions of the inputs and `grad`."""
    from ..autograd.engine import grad as _grad
    wrt = [t for t, n in zip(inputs, needs) if n]
    if not wrt:
        return (None,) * len(inputs)
    out = fn(*inputs)
    gs = iter(_grad(out, wrt, grad, create_graph=True, allow_unused=True))
    return tuple(next(gs) if n else None for n in needs)


# ---- batch norm -----------------------------------------------------------------------------

@opmath
class NativeBatchNorm(Op):
    """Batch norm over all dims but dim 1 (training: batch statistics, updating the running
    ones in place with the unbiased variance; eval: the running statistics)."""

    def forward(self, x, weight, bias, running_mean=None, running_var=None, training=True,
                momentum=0.1, eps=1e-5):
        _check_float(x, "batch_norm")
        if x.ndim < 2:
            wrap_dim(1, x.ndim)  # torch's IndexError for dim 1 of a 1-D input
        C = x.shape[1]
        for name, t in (("weight", weight), ("bias", bias)):
            if t is not None and t.size != C:
                raise RuntimeError(f"{name} should contain {C} elements not {t.size}")
        for name, t in (("running_mean", running_mean), ("running_var", running_var)):
            if t is not None and t._data.size != C:
                raise RuntimeError(f"{name} should contain {C} elements not {t._data.size}")
        _check_mixed(x, weight, bias, None if running_mean is None else running_mean._data,
                     None if running_var is None else running_var._data)
        if not training and (running_mean is None or running_var is None):
            raise RuntimeError(("running_mean" if running_mean is None else "running_var")
                               + " must be defined in evaluation mode")
        if (running_mean is None) != (running_var is None):
            raise ValueError("running_mean and running_var must either both be None or neither "
                             "be None")
        xp = _xp(x)
        cdt = _compute_dtype(x)
        # every pass runs on an (N, C, D) view: reductions along the contiguous last axis
        x3 = x.astype(cdt, copy=False).reshape(x.shape[0], C, -1)
        self.axes = (0,) + tuple(range(2, x.ndim))
        self.cshape = (C,) + (1,) * (x.ndim - 2)
        self.training, self.eps = training, eps
        if training:
            n = x.size // C if C else 0
            nf = max(n, 1)
            # torch's CPU kernel, step for step (so float32 results match it bit for bit): the
            # mean and the sum of float squares accumulate in float64 and are stored as float;
            # var = var_sum / n in float; invstd = 1 / sqrt(var + eps) in float64
            if x3.shape[2] == 1 and xp is np:
                mean, var_sum = _row_stats(x3[:, :, 0], cdt)
            else:
                mean = (xp.einsum("ncd->c", x3, dtype=np.float64) / nf).astype(cdt)
                xc = x3 - mean[:, None]
                xc *= xc
                var_sum = xp.einsum("ncd->c", xc, dtype=np.float64).astype(cdt)
                del xc
            invstd = (1.0 / xp.sqrt((var_sum / cdt.type(nf)).astype(np.float64) + eps)
                      ).astype(cdt)
            lp = getattr(self, "_lowp", None)
            if lp is not None:
                # float16/bfloat16 input: torch keeps the statistics in the input's type
                mean = mean.astype(lp).astype(cdt)
                invstd = invstd.astype(lp).astype(cdt)
            if running_mean is not None:
                # torch: momentum cast to the parameter type, the update in that type
                rm = running_mean._data
                m = rm.dtype.type(momentum)
                rm[...] = m * mean.astype(rm.dtype) + (rm.dtype.type(1) - m) * rm
                running_mean._bump()
            if running_var is not None:
                # ... and for the variance, the unbiased estimate is added in float64
                rv = running_var._data
                m = rv.dtype.type(momentum)
                unbiased = (var_sum / cdt.type(n - 1)).astype(np.float64) if n > 1 else \
                    np.full(C, np.inf)
                rv[...] = np.float64(m) * unbiased + ((rv.dtype.type(1) - m) * rv).astype(
                    np.float64)
                running_var._bump()
        else:
            # eval: torch takes 1 / sqrt(running_var + eps) in the parameter type
            mean = running_mean._data.astype(cdt)
            rv = running_var._data.astype(cdt)
            invstd = cdt.type(1) / xp.sqrt(rv + cdt.type(eps))
        self.mean, self.invstd = mean, invstd
        self.save_inputs(0, 1, 2)
        # y = x * alpha + beta with alpha = invstd * w, beta = b - mean * alpha, both fused
        # multiply-adds in torch: float64 arithmetic rounds each once, like an FMA
        alpha = invstd if weight is None else invstd * weight.astype(cdt)
        b = np.zeros((), cdt) if bias is None else bias.astype(cdt)
        if cdt == np.float32:
            beta = (b - mean.astype(np.float64) * alpha).astype(cdt)
            y = _fma_channels(x3, alpha, beta)
        else:
            y = x3 * alpha[:, None]
            y += (b - mean * alpha)[:, None]
        return y.reshape(x.shape).astype(x.dtype, copy=False)

    def backward(self, grad):
        x, w, b = self.saved_inputs()
        needs = self.needs_input_grad
        if GRAD[0]:
            mean, invstd = _wrap(self.mean), _wrap(self.invstd)
            return composite_vjp(
                lambda x, w, b: _bn_composite(x, w, b, self.training, mean, invstd,
                                              self.eps, self.axes, self.cshape),
                (x, w, b), needs, grad)
        xa = x._data
        N, C = xa.shape[0], xa.shape[1]
        cdt = _compute_dtype(xa)
        x3 = xa.astype(cdt, copy=False).reshape(N, C, -1)
        g3 = grad._data.astype(cdt, copy=False).reshape(N, C, -1)
        mean, invstd = self.mean, self.invstd
        n = xa.size // C if C else 1
        xc = x3 - mean[:, None]
        gsum = g3.sum(axis=2).sum(axis=0)
        dot = np.einsum("ncd,ncd->c", g3, xc)       # sum(grad * (x - mean))
        k1 = invstd if w is None else invstd * w._data.astype(cdt)
        gx = None
        if needs[0]:
            if self.training:
                # dx = k1 * (g - mean(g) - xhat * mean(g * xhat)): scale xc, add k1*g, shift
                xc *= (-k1 * invstd * invstd * dot / n)[:, None]
                xc += g3 * k1[:, None]
                xc -= (k1 * gsum / n)[:, None]
                gx = xc
            else:
                gx = g3 * k1[:, None]
            gx = _wrap(gx.reshape(xa.shape).astype(xa.dtype, copy=False))
        gw = _wrap((dot * invstd).astype(w._data.dtype)) if needs[1] else None
        gb = _wrap(gsum.astype(b._data.dtype)) if needs[2] else None
        return gx, gw, gb


def _fma_channels(x3, alpha, beta):
    """x * alpha[c] + beta[c] over an (N, C, D) float32 array with one rounding, as an FMA
    rounds: in float64, a block of samples at a time so the wide temporary stays in cache."""
    N, C, D = x3.shape
    out = np.empty(x3.shape, np.float32)
    step = max(1, 65536 // max(C * D, 1))
    buf = np.empty((min(step, N), C, D), np.float64)
    a, b = alpha.astype(np.float64)[:, None], beta.astype(np.float64)[:, None]
    for n0 in range(0, N, step):
        n1 = min(n0 + step, N)
        t = buf[:n1 - n0]
        np.multiply(x3[n0:n1], a, out=t)
        t += b
        out[n0:n1] = t
    return out


def _row_stats(x2, cdt):
    """Mean and sum of squared deviations per column of an (N, C) input, rounded the way
    torch's CPU kernel for one value per channel and sample rounds them: N rows split into one
    chunk per intra-op thread, each summed row by row into a float buffer (squares with a fused
    multiply-add), the buffers added in float64; with N <= threads, float64 sums throughout."""
    from .. import get_num_threads
    N, C = x2.shape
    nt = get_num_threads()
    if N <= nt:
        mean = (x2.sum(axis=0, dtype=np.float64) / N).astype(cdt)
        d = x2 - mean
        d *= d
        return mean, d.sum(axis=0, dtype=np.float64).astype(cdt)
    chunk = -(-N // nt)
    starts = range(0, N, chunk)
    total = np.zeros(C, np.float64)
    for s0 in starts:
        total += x2[s0:s0 + chunk].cumsum(axis=0, dtype=cdt)[-1]
    mean = (total / N).astype(cdt)
    d = x2 - mean
    fused = cdt == np.float32 and N <= 4096   # beyond, float adds (last-bit differences only)
    if fused:
        sq = d.astype(np.float64)
        sq *= sq
    else:
        d *= d
    total[:] = 0
    for s0 in starts:
        if fused:
            buf = np.zeros(C, np.float64)
            for i in range(s0, min(N, s0 + chunk)):
                buf += sq[i]
                buf = buf.astype(np.float32).astype(np.float64)
        else:
            buf = d[s0:s0 + chunk].cumsum(axis=0)[-1]
        total += buf
    return mean, total.astype(cdt)


def _bn_composite(x, w, b, training, mean, invstd, eps, axes, cshape):
    """Batch norm from ember ops (for double backward); eval mode uses the saved statistics."""
    if training:
        m = x.mean(dim=axes, keepdim=True)
        v = x.var(dim=axes, correction=0, keepdim=True)
        y = (x - m) * (v + eps).rsqrt()
    else:
        y = (x - mean.reshape(cshape)) * invstd.reshape(cshape)
    if w is not None:
        y = y * w.reshape(cshape)
    if b is not None:
        y = y + b.reshape(cshape)
    return y


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """torch.batch_norm: NativeBatchNormBackward0."""
    y = NativeBatchNorm.apply(input, weight, bias, running_mean=running_mean,
                              running_var=running_var, training=training,
                              momentum=momentum, eps=eps)
    if not input._data.flags.c_contiguous:   # channels_last in, channels_last out
        _mf.restride_output(y, input)
    return y


# ---- layer norm -----------------------------------------------------------------------------

def _shape_list(s):
    return "[" + ", ".join(str(d) for d in s) + "]"


@opmath
class NativeLayerNorm(Op):
    """Layer norm over the trailing `normalized_shape` dims, with optional elementwise affine."""

    def forward(self, x, weight, bias, normalized_shape=(), eps=1e-5):
        ns = tuple(normalized_shape)
        k = len(ns)
        if weight is not None and weight.shape != ns:
            raise RuntimeError("Expected weight to be of same shape as normalized_shape, but got "
                               f"weight of shape {_shape_list(weight.shape)} and normalized_shape"
                               f" = {_shape_list(ns)}")
        if bias is not None and bias.shape != ns:
            raise RuntimeError("Expected bias to be of same shape as normalized_shape, but got "
                               f"bias of shape {_shape_list(bias.shape)} and normalized_shape = "
                               f"{_shape_list(ns)}")
        if x.ndim < k or x.shape[x.ndim - k:] != ns:
            raise RuntimeError(f"Given normalized_shape={_shape_list(ns)}, expected input with "
                               f"shape [*, {', '.join(str(d) for d in ns)}], but got input of "
                               f"size{_shape_list(x.shape)}")
        _check_float(x, "LayerNormKernelImpl")
        _check_mixed(x, weight, bias)
        xp = _xp(x)
        cdt = _compute_dtype(x)
        D = math.prod(ns)
        x2 = x.astype(cdt, copy=False).reshape(-1, D)
        mean = (x2 @ xp.ones(D, cdt))[:, None] / max(D, 1)   # BLAS: faster than .mean(1)
        xc = x2 - mean
        var = xp.einsum("ij,ij->i", xc, xc)[:, None] / max(D, 1)
        rstd = 1.0 / xp.sqrt(var + eps)
        xc *= rstd
        # xhat is kept for backward (it costs no extra pass here and saves two there)
        y = xc if weight is None else xc * weight.astype(cdt, copy=False).reshape(-1)
        if bias is not None:
            bb = bias.astype(cdt, copy=False).reshape(-1)
            if y is xc:
                y = xc + bb
            else:
                y += bb
        self.xhat = xc
        self.mean, self.rstd, self.D, self.eps, self.ns = mean, rstd, D, eps, ns
        self.save_inputs(0, 1, 2)
        return y.reshape(x.shape).astype(x.dtype, copy=False)

    def backward(self, grad):
        x, w, b = self.saved_inputs()
        needs = self.needs_input_grad
        if GRAD[0]:
            return composite_vjp(lambda x, w, b: _ln_composite(x, w, b, self.ns, self.eps),
                                 (x, w, b), needs, grad)
        return tuple(None if r is None else _wrap(r) for r in self.vjp(grad._data))

    def vjp(self, grad):
        x, w, b = self.saved_inputs()
        needs = self.needs_input_grad
        xa = x._data
        cdt = _compute_dtype(xa)
        D = self.D
        g = grad.astype(cdt, copy=False).reshape(-1, D)
        xhat = self.xhat
        xp = _xp(g)
        if g.shape[0] > 1 and g.strides[0] == 0:
            # every row the same (a broadcast grad: a sum or mean loss right after the norm)
            return self._vjp_rows(g[0], xhat, xa, w, b, needs, cdt)
        if not g.flags.c_contiguous:
            # any other broadcast or strided grad: one copy, then BLAS takes every pass below
            # (NumPy's matmul has no BLAS path for zero strides)
            g = xp.ascontiguousarray(g)
        # row and column sums as BLAS matrix-vector products: several times faster than
        # NumPy's axis reductions on these shapes
        gw = xp.einsum("ij,ij->j", g, xhat).reshape(self.ns).astype(
            w._data.dtype) if needs[1] else None
        gb = (xp.ones(g.shape[0], cdt) @ g).reshape(self.ns).astype(b._data.dtype) if \
            needs[2] else None
        gx = None
        if needs[0]:
            gh = g * w._data.astype(cdt, copy=False).reshape(-1) if w is not None else g
            a = (gh @ xp.ones(D, cdt))[:, None] / D
            c = xp.einsum("ij,ij->i", gh, xhat)[:, None] / D
            # dx = (gh - a - xhat * c) * rstd
            dx = xhat * -c
            dx += gh
            dx -= a
            dx *= self.rstd
            gx = dx.reshape(xa.shape).astype(xa.dtype, copy=False)
        return gx, gw, gb

    def _vjp_rows(self, grow, xhat, x, w, b, needs, cdt):
        """vjp for a grad whose N rows all equal grow: the column sums of grad and of
        grad * xhat become N * grow and grow * colsum(xhat) (a BLAS product), gh = grad * w is
        one row, and dx takes three passes over the data instead of five."""
        xp = _xp(xhat)
        N, D = xhat.shape
        grow = xp.ascontiguousarray(grow)
        gw = gb = gx = None
        if needs[1]:
            gw = (grow * (xp.ones(N, cdt) @ xhat)).reshape(self.ns).astype(w._data.dtype)
        if needs[2]:
            gb = (grow * grow.dtype.type(N)).reshape(self.ns).astype(b._data.dtype)
        if needs[0]:
            gh = grow * w._data.astype(cdt, copy=False).reshape(-1) if w is not None else grow
            a = float(gh.sum(dtype=np.float64)) / D
            c = xhat @ gh
            c *= -1.0 / D
            # dx = (gh - a - xhat * c) * rstd
            dx = xhat * c[:, None]
            dx += gh - a
            dx *= self.rstd
            gx = dx.reshape(x.shape).astype(x.dtype, copy=False)
        return gx, gw, gb

    def _release(self):
        super()._release()
        self.__dict__.pop("xhat", None)


def _ln_composite(x, w, b, ns, eps):
    dims = tuple(range(x.dim() - len(ns), x.dim()))
    m = x.mean(dim=dims, keepdim=True)
    v = x.var(dim=dims, correction=0, keepdim=True)
    y = (x - m) * (v + eps).rsqrt()
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """torch.layer_norm: NativeLayerNormBackward0."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return NativeLayerNorm.apply(input, weight, bias,
                                 normalized_shape=tuple(int(s) for s in normalized_shape),
                                 eps=eps)


# ---- group norm -----------------------------------------------------------------------------

class NativeGroupNorm(Op):
    """Group norm: statistics per (sample, group of C/G channels), affine per channel."""

    def forward(self, x, weight, bias, num_groups=1, eps=1e-5):
        N, C = x.shape[0], x.shape[1]
        G = num_groups
        if G <= 0 or C % G:
            raise RuntimeError("Expected number of channels in input to be divisible by "
                               f"num_groups, but got input of shape {_shape_list(x.shape)} and "
                               f"num_groups={G}")
        for name, t in (("weight", weight), ("bias", bias)):
            if t is not None and (t.ndim != 1 or t.size != C):
                # NOTE: torch's bias message shows the weight's shape ([0] without a weight)
                shown = t.shape if name == "weight" else (
                    weight.shape if weight is not None else (0,))
                raise RuntimeError(f"Expected {name} to be a vector of size equal to the number "
                                   f"of channels in input, but got {name} of shape "
                                   f"{_shape_list(shown)} and input of shape "
                                   f"{_shape_list(x.shape)}")
        _check_float(x, "GroupNormKernelImpl")
        _check_mixed(x, weight, bias)
        xp = _xp(x)
        cdt = _compute_dtype(x)
        xg = x.astype(cdt, copy=False).reshape(N, G, -1)
        D = xg.shape[2]
        mean = xg.mean(axis=2, keepdims=True)
        xc = xg - mean
        var = xp.einsum("ngd,ngd->ng", xc, xc)[:, :, None] / max(D, 1)
        rstd = 1.0 / xp.sqrt(var + eps)
        xc *= rstd
        y = xc.reshape(N, C, -1)
        if weight is not None:
            y *= weight.astype(cdt, copy=False)[:, None]
        if bias is not None:
            y += bias.astype(cdt, copy=False)[:, None]
        self.mean, self.rstd, self.G, self.eps = mean, rstd, G, eps
        self.save_inputs(0, 1, 2)
        return y.reshape(x.shape).astype(x.dtype, copy=False)

    def backward(self, grad):
        x, w, b = self.saved_inputs()
        needs = self.needs_input_grad
        if GRAD[0]:
            return composite_vjp(lambda x, w, b: _gn_composite(x, w, b, self.G, self.eps),
                                 (x, w, b), needs, grad)
        xa = x._data
        cdt = _compute_dtype(xa)
        N, C, G = xa.shape[0], xa.shape[1], self.G
        g = grad._data.astype(cdt, copy=False).reshape(N, C, -1)
        xhat = xa.astype(cdt, copy=False).reshape(N, G, -1) - self.mean
        xhat *= self.rstd
        xh3 = xhat.reshape(N, C, -1)
        gw = _wrap(np.einsum("ncd,ncd->c", g, xh3).astype(w._data.dtype)) if needs[1] else None
        gb = _wrap(g.sum(axis=(0, 2)).astype(b._data.dtype)) if needs[2] else None
        gx = None
        if needs[0]:
            gh = g * w._data.astype(cdt, copy=False)[:, None] if w is not None else g
            gh = gh.reshape(N, G, -1)
            D = gh.shape[2]
            a = gh.mean(axis=2, keepdims=True)
            c = np.einsum("ngd,ngd->ng", gh, xhat)[:, :, None] / max(D, 1)
            xhat *= -c
            xhat += gh
            xhat -= a
            xhat *= self.rstd
            gx = _wrap(xhat.reshape(xa.shape).astype(xa.dtype, copy=False))
        return gx, gw, gb


def _gn_composite(x, w, b, G, eps):
    shape = x.shape
    N, C = shape[0], shape[1]
    xg = x.reshape(N, G, -1)
    m = xg.mean(dim=2, keepdim=True)
    v = xg.var(dim=2, correction=0, keepdim=True)
    y = ((xg - m) * (v + eps).rsqrt()).reshape(N, C, -1)
    if w is not None:
        y = y * w.reshape(C, 1)
    if b is not None:
        y = y + b.reshape(C, 1)
    return y.reshape(shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """torch.group_norm: NativeGroupNormBackward0."""
    return NativeGroupNorm.apply(input, weight, bias, num_groups=int(num_groups), eps=eps)
