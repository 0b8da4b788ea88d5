"""Convolution (1/2/3-d, grouped, dilated, transposed), pooling (max, avg, adaptive), im2col
(unfold/fold) and max_unpool, on strided views of NumPy/CuPy arrays.

Convolution is im2col + one GEMM: a strided window view of the padded input, laid out as
(C, *K, N, *O) so that one copy gives the column matrix (C*K, N*P) and one matmul per group gives
the output; grad_weight is one GEMM with the same columns, grad_input one GEMM followed by col2im
(a loop over kernel offsets adding strided slices). The three array routines below close under
differentiation (conv's input-grad is a transposed conv and so on), so every Op's backward is
again made of these Ops. ember/nn/functional.py does the argument checking.
"""
from __future__ import annotations

import functools
import math
from itertools import product

import numpy as np

from .._tensor import _wrap
from ..autograd.op import Op, run_forward
from .nn_ops import _zeros_of
from ..backend import LOWP, array_module, opmath

ndarray = np.ndarray
_as_strided = np.lib.stride_tricks.as_strided


def _xp(a):
    return np if type(a) is ndarray else array_module(a)


def _strided(xp, a, shape, strides):
    """A strided view of `a` (read only by callers). For a contiguous NumPy array this builds
    the view directly (~1 us; as_strided costs tens of us per call)."""
    if xp is np:
        if a.flags.c_contiguous:
            return np.ndarray(shape, a.dtype, a, 0, strides)
        return _as_strided(a, shape, strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


def _pad_input(x, pads, value=0):
    """x with its spatial dims padded by pads = ((lo, hi), ...); no copy when all are zero."""
    if not any(lo or hi for lo, hi in pads):
        return x
    xp = _xp(x)
    shape = x.shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads))
    out = xp.full(shape, value, dtype=x.dtype) if value else xp.zeros(shape, dtype=x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(lo, lo + s) for s, (lo, _)
                                           in zip(x.shape[2:], pads))] = x
    return out


def _out_size(size, k, s, lo, hi, d):
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def _columns(xpad, ksize, stride, dilation, out_sp):
    """The im2col matrix of a padded input, shape (C, *K, N, *O) (a contiguous copy)."""
    xp = _xp(xpad)
    st = xpad.strides
    nsp = len(ksize)
    shape = (xpad.shape[1],) + tuple(ksize) + (xpad.shape[0],) + tuple(out_sp)
    strides = (st[1],) + tuple(st[2 + i] * dilation[i] for i in range(nsp)) + (st[0],) + \
        tuple(st[2 + i] * stride[i] for i in range(nsp))
    return xp.ascontiguousarray(_strided(xp, xpad, shape, strides))


# ---- 2-D fast path: columns unfolded along W only, one GEMM per kernel row ----------------------
#
# Full im2col copies every input element KH*KW times. For 2-D convolutions with a unit row
# stride (most of them) it is enough to unfold the width: rows[c, kw, h, n, ow] =
# x[n, c, h, ow*sw + kw*dw] (KW copies, laid out so that the rows used by kernel row kh,
# h = kh*dh .. kh*dh + OH - 1, form one strided (C*KW, OH*N*OW) matrix that BLAS reads in
# place). The convolution is then KH GEMMs summed; the gradients are KH GEMMs as well.

_SMALL_COLS = 1 << 19  # full im2col elements under which one big GEMM wins for grad_weight
_ONE_GEMM_IGRAD = 1 << 20  # elements of all kernel rows' input-grad products kept at once


def _fast2d(x_shape, w_shape, stride, groups):
    return len(w_shape) == 4 and stride[0] == 1 and groups == 1 and x_shape[0] > 0


def _rows2d(xpad, kw, sw, dw, ow):
    """rows[c, kw, h, n, ow] (C, KW, Hp, N, OW) of a padded (N, C, Hp, Wp) array."""
    xp = _xp(xpad)
    n, c, hp, _ = xpad.shape
    s0, s1, s2, s3 = xpad.strides
    v = _strided(xp, xpad, (c, kw, hp, n, ow), (s1, s3 * dw, s2, s0, s3 * sw))
    return xp.ascontiguousarray(v)


# With a unit row dilation there is a better layout: rows h-major, hrows[h, c, kw, n, ow] =
# x[n, c, h, ow*sw + kw*dw]. The (KH*C*KW, N*OW) column block that output row oh needs is then
# one contiguous slab starting at row oh*sh, so all output rows are a single batched GEMM with
# K = KH*C*KW (BLAS-friendly), and nothing is accumulated across kernel rows.

def _hrows(xpad, kw, sw, dw, ow):
    """hrows[h, c, kw, n, ow] (Hp, C, KW, N, OW) of a padded (N, C, Hp, Wp) array."""
    xp = _xp(xpad)
    n, c, hp, _ = xpad.shape
    s0, s1, s2, s3 = xpad.strides
    v = _strided(xp, xpad, (hp, c, kw, n, ow), (s2, s1, s3 * dw, s0, s3 * sw))
    return xp.ascontiguousarray(v)


def _hwindows(hrows, kh, oh, sh):
    """The overlapping view win[oh, (kh, c, kw), (n, ow)] = hrows[oh*sh + kh, c, kw, n, ow]."""
    hp, c, kw, n, ow = hrows.shape
    nw, it = n * ow, hrows.itemsize
    return _strided(_xp(hrows), hrows, (oh, kh * c * kw, nw), (sh * c * kw * nw * it, nw * it, it))


def _conv2d_h(x, w, stride, pads, dilation, out_sp):
    xp = _xp(x)
    n = x.shape[0]
    o, c, kh, kw = w.shape
    oh, ow = out_sp
    hrows = _hrows(_pad_input(x, pads), kw, stride[1], dilation[1], ow)
    w2 = xp.ascontiguousarray(w.transpose(0, 2, 1, 3)).reshape(o, kh * c * kw)
    y = xp.matmul(w2, _hwindows(hrows, kh, oh, stride[0]))   # (OH, O, N*OW)
    return xp.ascontiguousarray(y.reshape(oh, o, n, ow).transpose(2, 1, 0, 3)), hrows


def _conv2d_h_wgrad(hrows, gy, w_shape, stride):
    xp = _xp(gy)
    o, c, kh, kw = w_shape
    n, _, oh, ow = gy.shape
    g = xp.ascontiguousarray(gy.transpose(2, 1, 0, 3)).reshape(oh, o, n * ow)
    gw = xp.matmul(g, _hwindows(hrows, kh, oh, stride[0]).transpose(0, 2, 1)).sum(0)
    return xp.ascontiguousarray(gw.reshape(o, kh, c, kw).transpose(0, 2, 1, 3))


def _conv2d_fast(x, w, stride, pads, dilation, out_sp):
    xp = _xp(x)
    n, c = x.shape[:2]
    o, _, kh, kw = w.shape
    oh, ow = out_sp
    dh, dw = dilation
    rows = _rows2d(_pad_input(x, pads), kw, stride[1], dw, ow)
    hp = rows.shape[2]
    flat = rows.reshape(c * kw, hp * n * ow)
    seg = oh * n * ow
    wk = xp.ascontiguousarray(w.transpose(2, 0, 1, 3)).reshape(kh, o, c * kw)
    y = None
    for i in range(kh):
        wi = wk[i]
        off = i * dh * n * ow
        r = xp.matmul(wi, flat[:, off:off + seg])
        if y is None:
            y = r
        else:
            y += r
    y = y.reshape(o, oh, n, ow)
    return xp.ascontiguousarray(y.transpose(2, 0, 1, 3)), rows


def _conv2d_fast_wgrad(rows, gy, w_shape, dilation):
    xp = _xp(gy)
    o, c, kh, kw = w_shape
    n, _, oh, ow = gy.shape
    dh = dilation[0]
    hp = rows.shape[2]
    flat = rows.reshape(c * kw, hp * n * ow)
    g2 = xp.ascontiguousarray(gy.transpose(1, 2, 0, 3)).reshape(o, oh * n * ow)
    seg = oh * n * ow
    gw = xp.empty((o, c, kh, kw), dtype=gy.dtype)
    for i in range(kh):
        off = i * dh * n * ow
        gw[:, :, i, :] = xp.matmul(g2, flat[:, off:off + seg].T).reshape(o, c, kw)
    return gw


def _conv2d_fast_igrad(gy, w, in_shape, stride, pads, dilation):
    xp = _xp(gy)
    o, c, kh, kw = w.shape
    n, _, oh, ow = gy.shape
    dh, dw = dilation
    sw = stride[1]
    hp = in_shape[2] + pads[0][0] + pads[0][1]
    wp = in_shape[3] + pads[1][0] + pads[1][1]
    g2 = xp.ascontiguousarray(gy.transpose(1, 2, 0, 3)).reshape(o, oh * n * ow)
    # gradient of the unfolded rows, accumulated over kernel rows (contiguous row blocks)
    grows = xp.zeros((c * kw, hp, n, ow), dtype=gy.dtype)
    if kh * c * kw * oh * n * ow <= _ONE_GEMM_IGRAD:
        # small enough to keep all kernel rows' products at once: one GEMM (M = KH*C*KW)
        z = xp.matmul(xp.ascontiguousarray(w.transpose(2, 1, 3, 0)).reshape(kh * c * kw, o),
                      g2).reshape(kh, c * kw, oh, n, ow)
        for i in range(kh):
            grows[:, i * dh:i * dh + oh] += z[i]
    else:
        wk = xp.ascontiguousarray(w.transpose(2, 0, 1, 3)).reshape(kh, o, c * kw)
        for i in range(kh):
            grows[:, i * dh:i * dh + oh] += xp.matmul(wk[i].T, g2).reshape(c * kw, oh, n, ow)
    grows = grows.reshape(c, kw, hp, n, ow)
    # fold the width back: (C, Hp, N, Wp) accumulates each kw's strided columns
    gxt = xp.zeros((c, hp, n, wp), dtype=gy.dtype)
    for j in range(kw):
        gxt[:, :, :, j * dw:j * dw + sw * (ow - 1) + 1:sw] += grows[:, j]
    (t, b), (lft, r) = pads
    return xp.ascontiguousarray(gxt[:, t:hp - b, :, lft:wp - r].transpose(2, 0, 1, 3))


def conv_forward(x, w, stride, pads, dilation, groups, want_cols=False):
    """y = conv(x, w) (no bias): x (N, C, *S), w (O, C/g, *K) -> (N, O, *O_sp)."""
    xp = _xp(x)
    if _fast2d(x.shape, w.shape, stride, groups):
        out_sp = tuple(_out_size(s, k, st, lo, hi, d) for s, k, st, (lo, hi), d in
                       zip(x.shape[2:], w.shape[2:], stride, pads, dilation))
        conv = _conv2d_h if dilation[0] == 1 else _conv2d_fast
        y, rows = conv(x, w, stride, pads, dilation, out_sp)
        return (y, rows) if want_cols else y
    n, c = x.shape[:2]
    o = w.shape[0]
    ksize = w.shape[2:]
    out_sp = tuple(_out_size(s, k, st, lo, hi, d) for s, k, st, (lo, hi), d in
                   zip(x.shape[2:], ksize, stride, pads, dilation))
    cols = _columns(_pad_input(x, pads), ksize, stride, dilation, out_sp)
    p = n * math.prod(out_sp)
    ck = (c // groups) * math.prod(ksize)
    cols = cols.reshape(groups, ck, p)
    y = xp.matmul(w.reshape(groups, o // groups, ck), cols)  # (g, O/g, N*P)
    y = y.reshape((o, n) + out_sp)
    y = xp.ascontiguousarray(xp.moveaxis(y, 0, 1))
    return (y, cols) if want_cols else y


def conv_input_grad(gy, w, in_shape, stride, pads, dilation, groups):
    """d conv(x, w) / dx applied to gy (col2im of w^T gy); also the transposed convolution."""
    xp = _xp(gy)
    if _fast2d(in_shape, w.shape, stride, groups):
        return _conv2d_fast_igrad(gy, w, in_shape, stride, pads, dilation)
    n, o = gy.shape[:2]
    out_sp = gy.shape[2:]
    c = in_shape[1]
    ksize = w.shape[2:]
    nsp = len(ksize)
    p = n * math.prod(out_sp)
    ck = (c // groups) * math.prod(ksize)
    g2 = xp.moveaxis(gy, 1, 0).reshape(groups, o // groups, p)
    wg = w.reshape(groups, o // groups, ck)
    cols = xp.matmul(wg.transpose(0, 2, 1), g2)  # (g, CK/g, N*P)
    cols = cols.reshape((c,) + tuple(ksize) + (n,) + tuple(out_sp))
    padded = (n, c) + tuple(s + lo + hi for s, (lo, hi) in zip(in_shape[2:], pads))
    gx = xp.zeros(padded, dtype=gy.dtype)
    gxt = xp.moveaxis(gx, 0, 1)  # (C, N, *S) view: matches the cols layout
    for koff in product(*(range(k) for k in ksize)):
        sl = tuple(slice(koff[i] * dilation[i], koff[i] * dilation[i] +
                         stride[i] * (out_sp[i] - 1) + 1, stride[i]) for i in range(nsp))
        gxt[(slice(None), slice(None)) + sl] += cols[(slice(None),) + koff]
    if any(lo or hi for lo, hi in pads):
        gx = gx[(slice(None), slice(None)) + tuple(
            slice(lo, lo + s) for s, (lo, _) in zip(in_shape[2:], pads))]
        gx = xp.ascontiguousarray(gx)
    return gx


def conv_weight_grad(x, gy, w_shape, stride, pads, dilation, groups, cols=None):
    """d conv(x, w) / dw applied to gy: one GEMM of gy with the im2col columns of x."""
    xp = _xp(gy)
    n, o = gy.shape[:2]
    out_sp = gy.shape[2:]
    ksize = w_shape[2:]
    c = x.shape[1]
    p = n * math.prod(out_sp)
    ck = (c // groups) * math.prod(ksize)
    if _fast2d(x.shape, w_shape, stride, groups) and dilation[0] == 1:
        if cols is None:
            cols = _hrows(_pad_input(x, pads), w_shape[3], stride[1], dilation[1], out_sp[1])
        return _conv2d_h_wgrad(cols, gy, w_shape, stride)
    if _fast2d(x.shape, w_shape, stride, groups):
        if ck * p > _SMALL_COLS:
            if cols is None:
                cols = _rows2d(_pad_input(x, pads), w_shape[3], stride[1], dilation[1],
                               out_sp[1])
            return _conv2d_fast_wgrad(cols, gy, w_shape, dilation)
        # small problems: one GEMM with the full columns beats KH GEMMs (built here, cheaply)
        cols = None
    if cols is None:
        cols = _columns(_pad_input(x, pads), ksize, stride, dilation, out_sp).reshape(
            groups, ck, p)
    g2 = xp.moveaxis(gy, 1, 0).reshape(groups, o // groups, p)
    gw = xp.matmul(g2, cols.transpose(0, 2, 1))  # (g, O/g, CK/g)
    return gw.reshape(w_shape)


def transposed_out_shape(x_shape, w_shape, stride, pads, dilation, groups, output_padding):
    sp = tuple((s - 1) * st - lo - hi + d * (k - 1) + op + 1 for s, st, (lo, hi), d, k, op in
               zip(x_shape[2:], stride, pads, dilation, w_shape[2:], output_padding))
    return (x_shape[0], w_shape[1] * groups) + sp


@opmath
class Convolution(Op):
    """torch's convolution node: conv or transposed conv, plus bias."""

    def forward(self, x, w, b=None, stride=(1,), pads=((0, 0),), dilation=(1,),
                transposed=False, output_padding=(0,), groups=1):
        self.save_inputs(0, 1)
        self.cfg = (stride, pads, dilation, groups)
        self.transposed = transposed
        self.x_shape, self.w_shape = x.shape, w.shape
        self.cols = None
        if not transposed:
            if self._args is not None and self._args[1]._rg:
                y, self.cols = conv_forward(x, w, stride, pads, dilation, groups, True)
            else:
                y = conv_forward(x, w, stride, pads, dilation, groups)
        else:
            shape = transposed_out_shape(x.shape, w.shape, stride, pads, dilation, groups,
                                         output_padding)
            y = conv_input_grad(x, w, shape, stride, pads, dilation, groups)
        if b is not None:
            y += b.reshape((1, -1) + (1,) * (y.ndim - 2))
        return y

    def backward(self, grad):
        x, w = self.saved_inputs()
        stride, pads, dilation, groups = self.cfg
        nx, nw, nb = self.needs_input_grad
        gx = gw = gb = None
        if not self.transposed:
            if nx:
                gx = ConvInputGrad.apply(grad, w, in_shape=self.x_shape, cfg=self.cfg)
            if nw:
                gw = ConvWeightGrad.apply(x, grad, w_shape=self.w_shape, cfg=self.cfg,
                                          cols=self.cols)
        else:
            if nx:
                gx = Convolution.apply(grad, w, None, stride=stride, pads=pads,
                                       dilation=dilation, groups=groups)
            if nw:
                gw = ConvWeightGrad.apply(grad, x, w_shape=self.w_shape, cfg=self.cfg)
        if nb:
            gb = grad.sum([0] + list(range(2, grad.dim())))
        return gx, gw, gb

    def vjp(self, grad):
        x, w = self.saved_inputs()
        x, w = x._data, w._data
        stride, pads, dilation, groups = self.cfg
        nx, nw, nb = self.needs_input_grad
        gx = gw = gb = None
        if not self.transposed:
            if nx:
                gx = conv_input_grad(grad, w, self.x_shape, stride, pads, dilation, groups)
            if nw:
                gw = conv_weight_grad(x, grad, self.w_shape, stride, pads, dilation, groups,
                                      self.cols)
        else:
            if nx:
                gx = conv_forward(grad, w, stride, pads, dilation, groups)
            if nw:
                gw = conv_weight_grad(grad, x, self.w_shape, stride, pads, dilation, groups)
        if nb:
            gb = grad.sum(axis=(0,) + tuple(range(2, grad.ndim)))
        return gx, gw, gb

    def _release(self):
        self.cols = None
        Op._release(self)


class ConvInputGrad(Op):
    """conv's grad w.r.t. its input (a transposed conv of gy by w); linear in gy and in w."""
    node_name = "ConvolutionBackwardBackward0"

    def forward(self, gy, w, in_shape=(), cfg=None):
        self.save_inputs(0, 1)
        self.in_shape, self.cfg = in_shape, cfg
        stride, pads, dilation, groups = cfg
        return conv_input_grad(gy, w, in_shape, stride, pads, dilation, groups)

    def backward(self, gg):
        gy, w = self.saved_inputs()
        stride, pads, dilation, groups = self.cfg
        ggy = Convolution.apply(gg, w, None, stride=stride, pads=pads, dilation=dilation,
                                groups=groups) if self.needs_input_grad[0] else None
        gw = ConvWeightGrad.apply(gg, gy, w_shape=w.shape, cfg=self.cfg) \
            if self.needs_input_grad[1] else None
        return ggy, gw


class ConvWeightGrad(Op):
    """conv's grad w.r.t. its weight: GEMM of gy with the columns of x; linear in x and in gy."""
    node_name = "ConvolutionBackwardBackward0"

    def forward(self, x, gy, w_shape=(), cfg=None, cols=None):
        self.save_inputs(0, 1)
        self.w_shape, self.cfg = w_shape, cfg
        stride, pads, dilation, groups = cfg
        return conv_weight_grad(x, gy, w_shape, stride, pads, dilation, groups, cols)

    def backward(self, gg):
        x, gy = self.saved_inputs()
        stride, pads, dilation, groups = self.cfg
        gx = ConvInputGrad.apply(gy, gg, in_shape=x.shape, cfg=self.cfg) \
            if self.needs_input_grad[0] else None
        ggy = Convolution.apply(x, gg, None, stride=stride, pads=pads, dilation=dilation,
                                groups=groups) if self.needs_input_grad[1] else None
        return gx, ggy


# ---- pooling -----------------------------------------------------------------------------------

def pool_out_size(size, k, s, p, d, ceil_mode):
    """torch's pooling_output_shape (a window may not start in the right padding)."""
    num = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _windows(xpad, ksize, stride, dilation, out_sp):
    """Read-only window view (N, C, *O, *K) of a padded (N, C, *S) array."""
    xp = _xp(xpad)
    st = xpad.strides
    nsp = len(ksize)
    shape = xpad.shape[:2] + tuple(out_sp) + tuple(ksize)
    strides = st[:2] + tuple(st[2 + i] * stride[i] for i in range(nsp)) + \
        tuple(st[2 + i] * dilation[i] for i in range(nsp))
    return _strided(xp, xpad, shape, strides)


def _pool_pads(sizes, ksize, stride, padding, dilation, out_sp):
    """Left pad = padding; right pad enough for the last window (ceil_mode may need extra)."""
    pads = []
    for s, k, st, p, d, o in zip(sizes, ksize, stride, padding, dilation, out_sp):
        need = (o - 1) * st + d * (k - 1) + 1
        pads.append((p, max(need - s - p, 0)))
    return pads


@functools.lru_cache(maxsize=256)
def _offset_keys(ksize, stride, dilation, out_sp):
    """(kernel offset, index key) for every kernel offset in row-major order: a[key] is the
    strided view of a (N, C, *S) array lining up with the output, view[..., o] =
    a[..., o * stride + offset * dilation]. Cached: pooling calls this several times a step."""
    nsp = len(ksize)
    lead = (slice(None), slice(None))
    return tuple((koff, lead + tuple(slice(koff[i] * dilation[i], koff[i] * dilation[i] +
                                           stride[i] * (out_sp[i] - 1) + 1, stride[i])
                                     for i in range(nsp)))
                 for koff in product(*(range(k) for k in ksize)))


def _offset_views(a, ksize, stride, dilation, out_sp):
    """[(offset, view)] for the kernel offsets (see _offset_keys)."""
    return [(koff, a[key]) for koff, key in _offset_keys(tuple(ksize), tuple(stride),
                                                        tuple(dilation), tuple(out_sp))]


class _MaxPoolNd(Op):
    """Max over each window, as a running maximum over the kernel offsets (no window copy).
    The argmax (torch's first maximum in scan order) is found only when needed: for the
    indices output, or lazily in backward from the saved input and output."""
    nondiff_outputs = (1,)

    def forward(self, x, ksize=(), stride=(), padding=(), dilation=(), ceil_mode=False,
                indices=False):
        sizes = x.shape[2:]
        out_sp = tuple(pool_out_size(s, k, st, p, d, ceil_mode) for s, k, st, p, d in
                       zip(sizes, ksize, stride, padding, dilation))
        pads = _pool_pads(sizes, ksize, stride, padding, dilation, out_sp)
        xp = _xp(x)
        fill = -np.inf if x.dtype.kind == "f" or x.dtype in LOWP else np.iinfo(x.dtype).min
        xpad = _pad_input(x, pads, fill)
        # a running maximum over the kernel offsets' strided views (KH*KW cheap passes; a
        # reduction over a 6-D window view is ~20x slower in NumPy)
        out = None
        for _, v in _offset_views(xpad, ksize, stride, dilation, out_sp):
            if out is None:
                out = v.copy()
            else:
                xp.maximum(out, v, out=out)
        self.cfg = (ksize, stride, dilation, out_sp, pads, x.shape)
        self.save_inputs(0)
        if self._args is not None or indices:
            self.xpad, self.out = xpad, out
        if indices:
            return out, self.indices()
        return out

    def masks(self):
        """The first-maximum mask of every kernel offset (cached); NaN windows take their last
        NaN, as torch's `val > max || isnan(val)` scan does."""
        m = getattr(self, "_masks", None)
        if m is not None:
            return m
        ksize, stride, dilation, out_sp, pads, _ = self.cfg
        xp = _xp(self.out)
        out = self.out
        # common case: every window's maximum is unique (no ties, no NaN), so the equality
        # masks are already the first-maximum masks
        masks = [v == out for _, v in _offset_views(self.xpad, ksize, stride, dilation, out_sp)]
        if sum(int(xp.count_nonzero(m)) for m in masks) == out.size:
            self._masks = masks
            return masks
        taken = xp.zeros(out.shape, dtype=bool)
        for mk in masks:
            mk &= ~taken
            taken |= mk
        if out.dtype.kind == "f":
            nanwin = xp.isnan(out)
            if nanwin.any():
                views = [v for _, v in _offset_views(self.xpad, ksize, stride, dilation,
                                                     out_sp)]
                seen = xp.zeros(out.shape, dtype=bool)
                for k in reversed(range(len(views))):
                    mk = nanwin & xp.isnan(views[k]) & ~seen
                    seen |= mk
                    masks[k] = (masks[k] & ~nanwin) | mk
        self._masks = masks
        return masks

    def indices(self):
        """Flat index (into each unpadded input plane) of every window's maximum."""
        ksize, stride, dilation, out_sp, pads, in_shape = self.cfg
        xp = _xp(self.out)
        nsp = len(ksize)
        sizes = in_shape[2:]
        idx = xp.zeros(self.out.shape, dtype=np.int64)
        for (koff, _), mk in zip(_offset_views(self.xpad, ksize, stride, dilation, out_sp),
                                 self.masks()):
            pos = 0
            for i in range(nsp):
                o = xp.arange(out_sp[i]).reshape((-1,) + (1,) * (nsp - 1 - i))
                pos = pos * sizes[i] + (o * stride[i] - pads[i][0] + koff[i] * dilation[i])
            xp.copyto(idx, xp.broadcast_to(pos, idx.shape), where=mk)
        return idx

    def backward(self, grad, _gidx=None):
        x, = self.saved_inputs()
        return MaxPoolBackward.apply(grad, x, fwd=self)

    def vjp(self, grad, _gidx=None):
        x, = self.saved_inputs()
        return run_forward(MaxPoolBackward, grad, x._data, fwd=self)

    def _release(self):
        self.xpad = self.out = self._masks = None
        Op._release(self)


class MaxPool1DWithIndices(_MaxPoolNd):
    node_name = "MaxPool2DWithIndicesBackward0"


class MaxPool2DWithIndices(_MaxPoolNd):
    pass


class MaxPool3DWithIndices(_MaxPoolNd):
    pass


class MaxPoolBackward(Op):
    """Route each pooled gradient to its window's maximum (adding where windows overlap)."""
    node_name = "MaxPool2DWithIndicesBackwardBackward0"

    def forward(self, g, src=None, fwd=None):
        self.save_inputs(1)
        self.fwd = fwd
        ksize, stride, dilation, out_sp, pads, in_shape = fwd.cfg
        xp = _xp(g)
        masks = fwd.masks()
        self.masks = masks
        padded = in_shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(in_shape[2:], pads))
        gx = xp.zeros(padded, dtype=g.dtype)
        overlap = any(st < d * (k - 1) + 1 for st, d, k in zip(stride, dilation, ksize))
        finite = bool(xp.isfinite(g).all())  # g * mask puts NaN where torch puts 0 otherwise
        for (_, v), mk in zip(_offset_views(gx, ksize, stride, dilation, out_sp), masks):
            if not finite:
                v += xp.where(mk, g, g.dtype.type(0))
            elif overlap:
                v += g * mk
            else:
                xp.multiply(g, mk, out=v)  # each input position is in one window only
        if any(lo or hi for lo, hi in pads):
            gx = xp.ascontiguousarray(gx[(slice(None), slice(None)) + tuple(
                slice(lo, lo + s) for s, (lo, _) in zip(in_shape[2:], pads))])
        return gx

    def backward(self, gg):
        # gather gg at each window's maximum: the pooled-shape tensor sum_k mask_k * view_k(gg)
        ksize, stride, dilation, out_sp, pads, in_shape = self.fwd.cfg
        from .nn_ops import ConstantPadNd
        flat_pad = []
        for lo, hi in reversed(pads):
            flat_pad += [lo, hi]
        ggp = ConstantPadNd.apply(gg, pad=tuple(flat_pad), value=0.0)
        total = None
        lead = (slice(None), slice(None))
        for koff, mk in zip(product(*(range(k) for k in ksize)), self.masks):
            key = lead + tuple(slice(koff[i] * dilation[i], koff[i] * dilation[i] +
                                     stride[i] * (out_sp[i] - 1) + 1, stride[i])
                               for i in range(len(ksize)))
            term = ggp[key] * _wrap(mk)
            total = term if total is None else total + term
        src, = self.saved_inputs()
        return total, (_zeros_of(src) if self.needs_input_grad[1] else None)


class MaxPoolScatter(Op):
    """Scatter (adding duplicates) a pooled gradient back to flat argmax positions."""
    node_name = "AdaptiveMaxPool2DBackwardBackward0"

    def forward(self, g, src=None, idx=None, in_shape=(), overlap=True):
        self.save_inputs(1)
        self.idx = idx
        return _scatter_flat(g, idx, in_shape, overlap)

    def backward(self, gg):
        n, c = gg.shape[:2]
        flat = gg.reshape(n, c, -1)
        src, = self.saved_inputs()
        return (flat.gather(2, _wrap(self.idx.reshape(n, c, -1))).reshape(self.idx.shape),
                _zeros_of(src) if self.needs_input_grad[1] else None)


def _scatter_flat(g, idx, in_shape, overlap):
    xp = _xp(g)
    n, c = in_shape[:2]
    plane = math.prod(in_shape[2:])
    out = xp.zeros((n * c, plane), dtype=g.dtype)
    gi = idx.reshape(n * c, -1)
    gv = g.reshape(n * c, -1)
    if not overlap:
        xp.put_along_axis(out, gi, gv, axis=1)
    else:
        # duplicates accumulate: bincount over (row, index) pairs
        rows = xp.arange(n * c).reshape(-1, 1) * plane
        acc = xp.bincount((gi + rows).ravel(), weights=gv.ravel().astype(np.float64),
                          minlength=n * c * plane)
        out = acc.astype(g.dtype).reshape(n * c, plane)
    return out.reshape(in_shape)


def _avg_divisors(sizes, ksize, stride, padding, out_sp, count_include_pad):
    """Per-output divisor, separable in the spatial dims: the window's extent inside the
    (padded, if count_include_pad) input."""
    div = None
    for s, k, st, p, o in zip(sizes, ksize, stride, padding, out_sp):
        start = np.arange(o) * st - p
        end = np.minimum(start + k, s + p)
        size_pad = end - start
        start_c = np.maximum(start, 0)
        end_c = np.minimum(end, s)
        d1 = size_pad if count_include_pad else (end_c - start_c)
        div = d1 if div is None else np.multiply.outer(div, d1)
    return div


@opmath
class _AvgPoolNd(Op):
    def forward(self, x, ksize=(), stride=(), padding=(), ceil_mode=False,
                count_include_pad=True, divisor_override=None):
        nsp = len(ksize)
        sizes = x.shape[2:]
        ones = (1,) * nsp
        out_sp = tuple(pool_out_size(s, k, st, p, 1, ceil_mode) for s, k, st, p in
                       zip(sizes, ksize, stride, padding))
        pads = _pool_pads(sizes, ksize, stride, padding, ones, out_sp)
        if divisor_override:
            div = divisor_override
        else:
            div = _avg_divisors(sizes, ksize, stride, padding, out_sp, count_include_pad)
        self.cfg = (ksize, stride, pads, out_sp, div)
        self.in_shape = x.shape
        self.save_inputs(0)
        return _window_mean(x, self.cfg)

    def backward(self, grad):
        x, = self.saved_inputs()
        return AvgPoolSpread.apply(grad, x, fwd=self)

    def vjp(self, grad):
        x, = self.saved_inputs()
        return run_forward(AvgPoolSpread, grad, x._data, fwd=self)


def _window_mean(x, cfg):
    """Sum over each window (a running sum of offset views), divided by the divisors."""
    ksize, stride, pads, out_sp, div = cfg
    xp = _xp(x)
    s = None
    for _, v in _offset_views(_pad_input(x, pads), ksize, stride, (1,) * len(ksize), out_sp):
        if s is None:
            s = v.copy()
        else:
            s += v
    if np.isscalar(div):
        s /= x.dtype.type(div)
    else:
        s /= xp.asarray(div.astype(x.dtype))
    return s


class AvgPool2D(_AvgPoolNd):
    pass


class AvgPool3D(_AvgPoolNd):
    pass


class AvgPoolSpread(Op):
    """The avg-pool vjp: each window gets grad / divisor at every position (linear in grad)."""
    node_name = "AvgPool2DBackwardBackward0"

    def forward(self, g, src=None, fwd=None):
        self.save_inputs(1)
        self.fwd = fwd
        xp = _xp(g)
        ksize, stride, pads, out_sp, div = fwd.cfg
        in_shape = fwd.in_shape
        g = g / (g.dtype.type(div) if np.isscalar(div) else xp.asarray(div.astype(g.dtype)))
        padded = in_shape[:2] + tuple(s + lo + hi for s, (lo, hi) in zip(in_shape[2:], pads))
        gx = xp.zeros(padded, dtype=g.dtype)
        for _, v in _offset_views(gx, ksize, stride, (1,) * len(ksize), out_sp):
            v += g
        if any(lo or hi for lo, hi in pads):
            gx = xp.ascontiguousarray(gx[(slice(None), slice(None)) + tuple(
                slice(lo, lo + s) for s, (lo, _) in zip(in_shape[2:], pads))])
        return gx

    def backward(self, gg):
        src, = self.saved_inputs()
        return (_AvgPoolAgain.apply(gg, fwd=self.fwd),
                _zeros_of(src) if self.needs_input_grad[1] else None)


class _AvgPoolAgain(Op):
    """Re-apply a recorded avg pool (same windows and divisors) to a new input."""
    node_name = "AvgPool2DBackwardBackwardBackward0"

    def forward(self, x, fwd=None):
        self.fwd = fwd
        return _window_mean(x, fwd.cfg)

    def backward(self, grad):
        return AvgPoolSpread.apply(grad, None, fwd=self.fwd)


# ---- adaptive pooling --------------------------------------------------------------------------

def adaptive_bounds(in_size, out_size):
    i = np.arange(out_size)
    start = (i * in_size) // out_size
    end = -((-(i + 1) * in_size) // out_size)
    return start, end


def adaptive_avg_matrix(in_size, out_size, dtype):
    start, end = adaptive_bounds(in_size, out_size)
    j = np.arange(in_size)
    m = ((j >= start[:, None]) & (j < end[:, None])).astype(dtype)
    return m / (end - start)[:, None].astype(dtype)


class _AdaptiveMaxPoolNd(Op):
    nondiff_outputs = (1,)

    def forward(self, x, output_size=()):
        xp = _xp(x)
        nsp = len(output_size)
        sizes = x.shape[2:]
        gathered = x
        kshape = []
        idx_parts = []
        for i, (s, o) in enumerate(zip(sizes, output_size)):
            start, end = adaptive_bounds(s, o)
            kmax = int((end - start).max())
            ix = np.minimum(start[:, None] + np.arange(kmax), (end - 1)[:, None])  # (o, kmax)
            idx_parts.append(ix)
            kshape.append(kmax)
            gathered = xp.take(gathered, xp.asarray(ix.ravel()), axis=2 + 2 * i)
            gathered = gathered.reshape(gathered.shape[:2 + 2 * i] + (o, kmax) +
                                        gathered.shape[3 + 2 * i:])
        # (N, C, o1, k1, o2, k2, ...) -> (N, C, o1, o2, ..., k1*k2...)
        perm = (0, 1) + tuple(2 + 2 * i for i in range(nsp)) + tuple(3 + 2 * i for i in
                                                                    range(nsp))
        flat = gathered.transpose(perm).reshape(x.shape[:2] + tuple(output_size) + (-1,))
        arg = flat.argmax(axis=-1)
        vals = xp.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
        idx = xp.zeros(arg.shape, dtype=np.int64)
        rem = arg
        for i in range(nsp):
            kstride = math.prod(kshape[i + 1:])
            ki = rem // kstride
            rem = rem % kstride
            o = xp.arange(output_size[i]).reshape((-1,) + (1,) * (nsp - 1 - i))
            coord = xp.asarray(idx_parts[i])[o, ki]
            idx = idx * sizes[i] + coord
        self.idx, self.in_shape = idx, x.shape
        self.save_inputs(0)
        return vals, idx

    def backward(self, grad, _gidx=None):
        x, = self.saved_inputs()
        return MaxPoolScatter.apply(grad, x, idx=self.idx, in_shape=self.in_shape,
                                    overlap=True)


class AdaptiveMaxPool2D(_AdaptiveMaxPoolNd):
    pass


class AdaptiveMaxPool3D(_AdaptiveMaxPoolNd):
    pass


class _AdaptiveAvgPoolNd(Op):
    """Separable: out = A_1 x A_2^T ... with A the (out, in) window-averaging matrices."""

    def forward(self, x, output_size=()):
        xp = _xp(x)
        nsp = len(output_size)
        self.save_inputs(0)
        self.mats = [adaptive_avg_matrix(s, o, x.dtype) for s, o in
                     zip(x.shape[2:], output_size)]
        out = x
        for k, m in enumerate(self.mats):
            ax = 2 + k
            out = xp.moveaxis(xp.tensordot(xp.asarray(m), out, axes=([1], [ax])), 0, ax)
        del nsp
        return xp.ascontiguousarray(out)

    def backward(self, grad):
        x, = self.saved_inputs()
        return _AdaptiveAvgBackward.apply(grad, x, mats=self.mats)


class _AdaptiveAvgBackward(Op):
    """The adaptive-avg vjp (A^T along each dim); torch's backward also takes the input."""
    node_name = "AdaptiveAvgPool2DBackwardBackward0"

    def forward(self, g, src=None, mats=None):
        self.save_inputs(1)
        self.mats = mats
        xp = _xp(g)
        nsp = len(mats)
        for k, m in enumerate(mats):
            ax = g.ndim - nsp + k
            g = xp.moveaxis(xp.tensordot(xp.asarray(m.T), g, axes=([1], [ax])), 0, ax)
        return xp.ascontiguousarray(g)

    def backward(self, gg):
        src, = self.saved_inputs()
        return (_MatPool.apply(gg, mats=self.mats),
                _zeros_of(src) if self.needs_input_grad[1] else None)


class _MatPool(Op):
    node_name = "AdaptiveAvgPool2DBackwardBackward0"

    def forward(self, x, mats=None):
        self.mats = mats
        xp = _xp(x)
        out = x
        nsp = len(mats)
        for k, m in enumerate(mats):
            ax = x.ndim - nsp + k
            out = xp.moveaxis(xp.tensordot(xp.asarray(m), out, axes=([1], [ax])), 0, ax)
        return xp.ascontiguousarray(out)

    def backward(self, grad):
        return _AdaptiveAvgBackward.apply(grad, None, mats=self.mats)


class AdaptiveAvgPool2D(_AdaptiveAvgPoolNd):
    pass


class AdaptiveAvgPool3D(_AdaptiveAvgPoolNd):
    pass


# ---- im2col / col2im / unpool -----------------------------------------------------------------

class Im2Col(Op):
    """F.unfold: (N, C, H, W) -> (N, C*kh*kw, L)."""

    def forward(self, x, ksize=(), dilation=(), padding=(), stride=()):
        xp = _xp(x)
        self.cfg = (ksize, dilation, padding, stride)
        self.in_size = x.shape[2:]
        pads = tuple((p, p) for p in padding)
        out_sp = tuple(_out_size(s, k, st, p, p, d) for s, k, st, p, d in
                       zip(x.shape[2:], ksize, stride, padding, dilation))
        xpad = _pad_input(x, pads)
        st = xpad.strides
        n, c = x.shape[:2]
        shape = (n, c) + tuple(ksize) + tuple(out_sp)
        strides = st[:2] + tuple(st[2 + i] * dilation[i] for i in range(2)) + \
            tuple(st[2 + i] * stride[i] for i in range(2))
        win = _strided(xp, xpad, shape, strides)
        return xp.ascontiguousarray(win).reshape(n, c * math.prod(ksize), math.prod(out_sp))

    def backward(self, grad):
        ksize, dilation, padding, stride = self.cfg
        return Col2Im.apply(grad, output_size=self.in_size, ksize=ksize, dilation=dilation,
                            padding=padding, stride=stride)


class Col2Im(Op):
    """F.fold: (N, C*kh*kw, L) -> (N, C, H, W), summing overlapping positions."""

    def forward(self, cols, output_size=(), ksize=(), dilation=(), padding=(), stride=()):
        xp = _xp(cols)
        self.cfg = (ksize, dilation, padding, stride)
        n = cols.shape[0]
        kk = math.prod(ksize)
        c = cols.shape[1] // kk
        out_sp = tuple(_out_size(s, k, st, p, p, d) for s, k, st, p, d in
                       zip(output_size, ksize, stride, padding, dilation))
        cv = cols.reshape((n, c) + tuple(ksize) + out_sp)
        padded = (n, c) + tuple(s + 2 * p for s, p in zip(output_size, padding))
        out = xp.zeros(padded, dtype=cols.dtype)
        for koff in product(*(range(k) for k in ksize)):
            sl = tuple(slice(koff[i] * dilation[i], koff[i] * dilation[i] +
                             stride[i] * (out_sp[i] - 1) + 1, stride[i]) for i in range(2))
            out[(slice(None), slice(None)) + sl] += cv[(slice(None), slice(None)) + koff]
        out = out[(slice(None), slice(None)) + tuple(slice(p, p + s) for s, p in
                                                     zip(output_size, padding))]
        return xp.ascontiguousarray(out)

    def backward(self, grad):
        ksize, dilation, padding, stride = self.cfg
        return Im2Col.apply(grad, ksize=ksize, dilation=dilation, padding=padding,
                            stride=stride)


class MaxUnpool2D(Op):
    """Place each value at its flat index in a zero plane of output_size."""

    def forward(self, x, idx=None, output_size=()):
        xp = _xp(x)
        n, c = x.shape[:2]
        plane = math.prod(output_size)
        out = xp.zeros((n * c, plane), dtype=x.dtype)
        xp.put_along_axis(out, idx.reshape(n * c, -1), x.reshape(n * c, -1), axis=1)
        self.idx = idx
        return out.reshape((n, c) + tuple(output_size))

    def backward(self, grad, *_):
        n, c = grad.shape[:2]
        flat = grad.reshape(n, c, -1)
        return flat.gather(2, _wrap(self.idx.reshape(n, c, -1))).reshape(self.idx.shape), None


class MaxUnpool3D(MaxUnpool2D):
    pass
