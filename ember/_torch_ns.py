"""torch's top-level names that are other spellings of nn.functional ops (with torch's own
argument orders: `torch.batch_norm(input, weight, bias, ...)`, `torch.embedding(weight,
indices)`, losses taking the reduction as an int), window functions, and small math functions.
Loaded on first use through ember.__getattr__, so `import ember` does not pay for nn.
"""
from __future__ import annotations

import math
import os

import numpy as np

from . import _dtype as D
from ._creation import _pin
from ._tensor import Tensor, _wrap

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _F():
    from .nn import functional
    return functional


def _red(reduction):
    return _REDUCTIONS.get(reduction, reduction)


# ---- nn.functional under torch's top-level names ------------------------------------------------

def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _F().conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _F().conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _F().conv3d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _F().conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _F().conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _F().conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def dropout(input, p, train):
    return _F().dropout(input, p, train)


def dropout_(input, p, train):
    return _F().dropout(input, p, train, inplace=True)


def alpha_dropout(input, p, train):
    return _F().alpha_dropout(input, p, train)


def feature_alpha_dropout(input, p, train):
    return _F().feature_alpha_dropout(input, p, train)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    return _F().batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                           eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    return _F().layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    return _F().group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                  cudnn_enabled):
    return _F().instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                              momentum, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    return _F().embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                          scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool2d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _F().max_pool3d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    return _F().max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode,
                           return_indices=True)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    return _F().avg_pool1d(input, kernel_size, stride or None, padding, ceil_mode,
                           count_include_pad)


def adaptive_avg_pool1d(input, output_size):
    return _F().adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    return _F().adaptive_max_pool1d(input, output_size, return_indices=True)


def pixel_shuffle(input, upscale_factor):
    return _F().pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    return _F().pixel_unshuffle(input, downscale_factor)


def prelu(input, weight):
    return _F().prelu(input, weight)


def selu(input):
    return _F().selu(input)


def selu_(input):
    return _F().selu(input, inplace=True)


def celu(input, alpha=1.0):
    return _F().celu(input, alpha)


def celu_(input, alpha=1.0):
    return _F().celu(input, alpha, inplace=True)


def threshold(input, threshold, value):
    return _F().threshold(input, threshold, value)


def threshold_(input, threshold, value):
    return _F().threshold(input, threshold, value, inplace=True)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return _F().rrelu(input, lower, upper, training)


def hardshrink(input, lambd=0.5):
    return _F().hardshrink(input, lambd)


def bilinear(input1, input2, weight, bias=None):
    return _F().bilinear(input1, input2, weight, bias)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    return _F().cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return _F().pairwise_distance(x1, x2, p, eps, keepdim)


def pdist(input, p=2):
    return _F().pdist(input, p)


# the losses take the reduction as ATen's int (0 none, 1 mean, 2 sum); left out, torch's
# Python binding gives 0 (none), not the schema's Mean

def kl_div(input, target, reduction=0, log_target=False):
    return _F().kl_div(input, target, reduction=_red(reduction), log_target=log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    return _F().binary_cross_entropy_with_logits(input, target, weight, reduction=_red(reduction),
                                                 pos_weight=pos_weight)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    return _F().cosine_embedding_loss(input1, input2, target, margin,
                                      reduction=_red(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return _F().hinge_embedding_loss(input, target, margin, reduction=_red(reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return _F().margin_ranking_loss(input1, input2, target, margin, reduction=_red(reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return _F().poisson_nll_loss(input, target, log_input, full, eps=eps,
                                 reduction=_red(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        reduction=0):
    return _F().triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                    reduction=_red(reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
             zero_infinity=False):
    return _F().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                         _red(reduction), zero_infinity)


# ---- window functions (torch's arithmetic, in the requested dtype) -----------------------------

def _window(name, window_length, periodic, dtype, device, requires_grad, fill):
    from ._creation import _dev
    _dev(device)
    dt = D.get_default_dtype() if dtype is None else dtype
    if not dt.is_floating_point:
        cname = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
                 "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
                 "complex128": "c10::complex<double>"}.get(dt.np.name, dt.np.name)
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype="
                           f"{cname}, device=cpu, layout=Strided (default), requires_grad=false "
                           "(default), pinned_memory=false, memory_format=(nullopt))")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    n = window_length
    if n == 0:
        a = np.empty(0, dt.np)
    elif n == 1:
        a = np.ones(1, dt.np)
    else:
        m = n + 1 if periodic else n
        a = fill(m, dt.np)[:n]
    t = _wrap(np.ascontiguousarray(a, dtype=dt.np))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _cosine_sum(m, npdt, coeffs):
    # sum_k (-1)^k a_k cos(2 pi k i / (m - 1)), as torch builds it: arange * step, then cos
    base = np.arange(m, dtype=npdt) * npdt.type(2 * math.pi / (m - 1))
    out = np.full(m, npdt.type(coeffs[0]), dtype=npdt)
    for k, c in enumerate(coeffs[1:], start=1):
        out += npdt.type((-1) ** k * c) * np.cos(base * npdt.type(k)).astype(npdt)
    return out


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, pin_memory=False, requires_grad=False):
    """alpha - beta cos(2 pi n / (N - 1)) (see torch.hamming_window)."""
    _pin(pin_memory)
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda m, t: _cosine_sum(m, np.dtype(t), (alpha, beta)))


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                pin_memory=False, requires_grad=False):
    """0.5 - 0.5 cos(2 pi n / (N - 1)) (see torch.hann_window)."""
    _pin(pin_memory)
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda m, t: _cosine_sum(m, np.dtype(t), (0.5, 0.5)))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    """0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""
    _pin(pin_memory)
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   lambda m, t: _cosine_sum(m, np.dtype(t), (0.42, 0.5, 0.08)))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    """The triangular window 1 - |2n / (N - 1) - 1| (see torch.bartlett_window)."""
    def fill(m, t):
        t = np.dtype(t)
        w = np.arange(m, dtype=t) * t.type(2.0 / (m - 1))
        half = ((m - 1) >> 1) + 1
        w[half:] = t.type(2) - w[half:]
        return w
    _pin(pin_memory)
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   fill)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, pin_memory=False, requires_grad=False):
    """I0(beta sqrt(1 - ((n - a) / a)^2)) / I0(beta), a = (N - 1) / 2."""
    def fill(m, t):
        t = np.dtype(t)
        a = (m - 1) / 2.0
        r = (np.arange(m, dtype=np.float64) - a) / a
        return (np.i0(beta * np.sqrt(np.maximum(1 - r * r, 0))) / np.i0(beta)).astype(t)
    _pin(pin_memory)
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, fill)


# ---- small math --------------------------------------------------------------------------------

def _int_op(name, kernel, fn, input, other):
    from .ops import elementwise as E
    E._check_tensors(name, input, other)
    dt = E._promoted(input, other)    # torch's promotion names the dtype in its error
    if dt.kind not in "iu":
        E._no_kernel(kernel, dt)
    return _wrap(np.asarray(fn(input._data.astype(dt), other._data.astype(dt))).astype(dt))


def gcd(input, other, *, out=None):
    """Greatest common divisor, elementwise, integers only (see torch.gcd)."""
    r = _int_op("gcd", "gcd_cpu", np.gcd, input, other)
    return r if out is None else out.copy_(r)


def lcm(input, other, *, out=None):
    """Least common multiple, elementwise, integers only (see torch.lcm)."""
    r = _int_op("lcm", "lcm_cpu", np.lcm, input, other)
    return r if out is None else out.copy_(r)


def ldexp(input, other, *, out=None):
    """input * 2 ** other (see torch.ldexp), differentiable in input."""
    import ember
    from .ops import elementwise as E
    E._check_tensors("ldexp", input, other)
    x, e = input._data.dtype, other._data.dtype
    if e == np.bool_ and (x.kind == "f" or x.name == "bfloat16"):
        E._no_kernel("ldexp_cpu_exp", e)
    if x.kind == "c" and e == np.float16:
        raise NotImplementedError("\"pow\" not implemented for 'ComplexHalf'")
    # torch: the result has input and other's promoted (at least floating) dtype, and the
    # power 2 ** other is rounded in other's dtype first (float16 exponents give float16 powers)
    rt = D.result_type(input, other)
    if not (rt.is_floating_point or rt.is_complex):
        rt = D.get_default_dtype()
    if x.kind == "c" and e.kind != "c":   # (a complex input takes the power in its precision)
        other = other.to(D.float64 if rt == D.complex128 else D.float32)
    r = ember.mul(input, ember.pow(2.0, other))
    if r.dtype != rt:
        r = r.to(rt)
    return r if out is None else out.copy_(r)


def frexp(input, *, out=None):
    """(mantissa, exponent) with input = mantissa * 2 ** exponent (see torch.frexp)."""
    from . import return_types as RT
    a = input._data
    if a.dtype.kind != "f" and a.dtype not in (D.bfloat16.np,):
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = np.frexp(a.astype(np.float32) if a.dtype == D.bfloat16.np else a)
    return RT.frexp((_wrap(m.astype(a.dtype)), _wrap(e.astype(np.int32))))


def nextafter(input, other, *, out=None):
    """The next float after input towards other (see torch.nextafter)."""
    from .ops import elementwise as E
    E._check_tensors("nextafter", input, other)
    dt = E._promoted(input, other)
    if not (dt.kind == "f" or dt.name == "bfloat16"):
        E._no_kernel("nextafter_cpu", dt)
    r = _wrap(np.nextafter(input._data.astype(dt), other._data.astype(dt)))
    return r if out is None else out.copy_(r)


def real(input):
    return input.real


def imag(input):
    return input.imag


def angle(input, *, out=None):
    """The argument of each element: atan2(imag, real); for real inputs 0 or pi (NaN kept)."""
    import ember
    if input.is_complex():
        r = ember.atan2(input.imag, input.real)
    else:
        x = input if input.is_floating_point() else input.to(D.get_default_dtype())
        r = ember.where(x < 0, ember.full_like(x, math.pi), ember.zeros_like(x))
        r = ember.where(ember.isnan(x), x, r)
    return r if out is None else out.copy_(r)


def mvlgamma(input, p, *, out=None):
    """Multivariate log-gamma of dimension p (see torch.mvlgamma)."""
    import ember
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    offs = ember.arange(0, -p / 2, -0.5, dtype=input.dtype)[:p]
    r = ember.lgamma(input.unsqueeze(-1) + offs).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)
    return r if out is None else out.copy_(r)


def pinverse(input, rcond=1e-15):
    import ember
    return ember.linalg.pinv(input, rtol=rcond)


def nuclear_norm(input, dim=None, keepdim=False, *, out=None):
    import warnings
    import ember
    warnings.warn("at::nuclear_norm is deprecated and it is just left for JIT compatibility. It "
                  "will be removed in a future PyTorch release. Please use `linalg.matrix_norm(A, "
                  "'nuc', dim, keepdim)` instead", UserWarning, stacklevel=2)
    r = ember.linalg.matrix_norm(input, "nuc", dim=(-2, -1) if dim is None else dim,
                                 keepdim=keepdim)
    return r if out is None else out.copy_(r)


def cholesky_solve(B, L, upper=False, *, out=None):
    """Solve A X = B given A's Cholesky factor (see torch.cholesky_solve). Built as a solve
    with A = L L^H, so the gradient reaches the whole of L, as torch's does."""
    import ember
    A = L.mH @ L if upper else L @ L.mH
    r = ember.linalg.solve(A, B)
    return r if out is None else out.copy_(r)


def cholesky_inverse(L, upper=False, *, out=None):
    """A^-1 given A's Cholesky factor (see torch.cholesky_inverse)."""
    import ember
    eye = ember.eye(L.shape[-1], dtype=L.dtype).expand(L.shape)
    r = cholesky_solve(eye, L, upper)
    return r if out is None else out.copy_(r)


def detach(input):
    return input.detach()


def get_device(input):
    return input.get_device()


def is_signed(input):
    return input.is_signed()


# ---- process-wide switches ---------------------------------------------------------------------

_WARN_ALWAYS = [False]
_INTEROP = [os.cpu_count() or 1]


def set_warn_always(b):
    _WARN_ALWAYS[0] = bool(b)


def is_warn_always_enabled():
    return _WARN_ALWAYS[0]


def get_num_interop_threads():
    return _INTEROP[0]


def set_num_interop_threads(n):
    """Recorded only: ember runs ops on one thread (BLAS keeps its own pool)."""
    if not isinstance(n, int) or n <= 0:
        raise RuntimeError("Expected positive number of threads")
    _INTEROP[0] = n


def set_flush_denormal(mode):
    """ember cannot set the CPU's denormal mode from Python: returns False (unsupported), as
    torch does on CPUs without the flag."""
    return False


def spmm(input, mat2):
    """see torch.spmm: ember has no sparse layout, so both operands are strided and this is
    torch.mm (which is what torch.spmm computes for strided inputs)."""
    return input.mm(mat2)


def __getattr__(name):
    if name in ("matrix_exp", "geqrf", "orgqr"):
        from .ops import linalg
        return getattr(linalg, name)
    if name in ("conj", "conj_physical", "resolve_conj", "resolve_neg", "is_conj", "is_neg"):
        from .ops import extra
        return getattr(extra, name)
    raise AttributeError(f"module 'ember._torch_ns' has no attribute '{name}'")
