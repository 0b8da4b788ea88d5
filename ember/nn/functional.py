"""torch.nn.functional for ember: stateless layers, activations and losses.

Each function checks its arguments the way torch does (same exception types and messages) and
dispatches to one Op in ember/ops/nn_ops.py (activations, softmax, losses, padding, upsampling)
or ember/ops/conv.py (convolution, pooling, im2col). Composite functions are written with ember
ops exactly as torch composes them, so their grad_fn chains match. The norm/embedding/attention/
rnn functions live in _functional2.py and are re-exported at the bottom.
"""
from __future__ import annotations

import functools
import math
import numbers
import warnings

import numpy as np

from .. import _autocast as _ac
from .. import _memory_format as _mf
from .. import _random as R
from .._autocast import ON as _AC_ON
from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import GRAD as _GRAD
from ..autograd.op import lean_unary
from ..ops import conv as C
from ..ops import nn_ops as N
from ..ops import elementwise as E
from ..ops import linalg as L
from ..ops import reduction as Rd
from ..ops import shape as S
from ..ops.inplace import inplace_apply
from ..ops._broadcast import wrap_dim

__all__ = []  # filled at the bottom with every public name


# ---- argument helpers --------------------------------------------------------------------------

def _ntuple(x, n):
    if isinstance(x, (list, tuple)):
        if len(x) == 1 and n > 1:
            return tuple(x) * n
        return tuple(x)
    return (x,) * n


def _single(x):
    return _ntuple(x, 1)


def _pair(x):
    return _ntuple(x, 2)


def _triple(x):
    return _ntuple(x, 3)


def _get_enum_check(reduction):
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=3)
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _legacy_reduction(size_average, reduce, emit_warning=True):
    """torch.nn._reduction.legacy_get_string."""
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction == "mean" or reduction == "sum" or reduction == "none":
        return reduction
    return _get_enum_check(reduction)


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _int_list(x, n, name):
    t = _ntuple(x, n)
    if len(t) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values "
                           f"to match the convolution dimensions, but got {name}={list(t)}")
    return tuple(int(v) for v in t)


# ---- linear -------------------------------------------------------------------------------------

def linear(input, weight, bias=None):
    """y = x W^T + b; see torch.nn.functional.linear (AddmmBackward0 for 2-D input)."""
    if _AC_ON[0]:
        input, weight, bias = _ac.lower(input, weight, bias)
    x, w = input._data, weight._data
    if x.dtype != w.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_ctype(x.dtype)} != {_ctype(w.dtype)}")
    nd = x.ndim
    if nd == 2 and w.ndim == 2 and x.shape[1] == w.shape[1]:
        r = L.linear2d(input, weight, bias)
        if r is not None:
            return r
    wt = S.t(weight)
    if nd == 2:
        if x.shape[1] != w.shape[-1]:
            _mm_error(x.shape, w.shape)
        if bias is None:
            return L.Mm.apply(input, wt)
        return _addmm(bias, input, wt, (x.shape[0], w.shape[0]))
    if nd == 0 or w.ndim != 2:
        return _linear_general(input, weight, wt, bias)
    k = x.shape[-1]
    if k != w.shape[-1]:
        rows = int(np.prod(x.shape[:-1]))
        _mm_error((rows, k), w.shape)
    lead = x.shape[:-1]
    x2 = S.reshape(input, (-1, k))
    if bias is None:
        return S.UnsafeView.apply(L.Mm.apply(x2, wt), shape=lead + (w.shape[0],))
    r = _addmm(bias, x2, wt, (x2._data.shape[0], w.shape[0]))
    return S.view(r, *(lead + (w.shape[0],)))


def _linear_general(input, weight, wt, bias):
    r = L.matmul(input, wt)
    return r if bias is None else r + bias


def _addmm(bias, x, wt, out_shape):
    bs = bias._data.shape
    if bs != out_shape[1:]:
        try:
            np.broadcast_shapes(bs, out_shape)
        except ValueError:
            _expand_error(out_shape, bs)
    return L.Addmm.apply(bias, x, wt)


def _expand_error(target, shape):
    for i in range(1, len(shape) + 1):
        if shape[-i] != 1 and shape[-i] != target[-i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({target[-i]}) must match the existing size "
                f"({shape[-i]}) at non-singleton dimension {len(target) - i}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {list(shape)}")
    raise RuntimeError("expand failed")


def _mm_error(xs, ws):
    raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({xs[0]}x{xs[1]} and "
                       f"{ws[1] if len(ws) > 1 else ws[0]}x{ws[0]})")


_CTYPE = {"float32": "float", "float64": "double", "float16": "c10::Half",
          "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int"}


def _ctype(dt):
    return _CTYPE.get(np.dtype(dt).name, np.dtype(dt).name)


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T W_k x2 + b_k; see torch.nn.functional.bilinear."""
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and "
                           f"{input2.dim()}")
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: "
                               f"got {input1.shape[i]} and {input2.shape[i]}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}")
    lead = tuple(input1.shape[:-1])
    a = S.reshape(input1, (-1, input1.shape[-1]))
    b = S.reshape(input2, (-1, input2.shape[-1]))
    o, i, j = weight.shape
    # (B, i) @ (i, o*j) -> (B, o, j), times x2 summed over j
    t = L.matmul(a, S.reshape(S.permute(weight, (1, 0, 2)), (i, o * j)))
    y = Rd.sum(S.reshape(t, (-1, o, j)) * S.unsqueeze(b, 1), -1)
    y = S.reshape(y, lead + (o,))
    return y if bias is None else y + bias


def identity(input):
    return input


# ---- activations ---------------------------------------------------------------------------------

def _act(op, input, inplace, **kw):
    if inplace:
        return inplace_apply(input, lambda t: op.apply(t, **kw))
    return op.apply(input, **kw)


def relu(input, inplace=False):
    """max(x, 0); see torch.nn.functional.relu."""
    if inplace:
        return inplace_apply(input, N.Relu.apply)
    if input.__class__ is Tensor:
        r = lean_unary(N.Relu, input)
        if r is not None:
            return r
    return N.Relu.apply(input)


def relu_(input):
    return inplace_apply(input, N.Relu.apply)


def relu6(input, inplace=False):
    """min(max(x, 0), 6) (HardtanhBackward0, as in torch)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def threshold(input, threshold, value, inplace=False):
    """x if x > threshold else value; see torch.nn.functional.threshold."""
    return _act(N.Threshold, input, inplace, threshold=threshold, value=value)


def threshold_(input, threshold, value):
    return _act(N.Threshold, input, True, threshold=threshold, value=value)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val); see torch.nn.functional.hardtanh."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _act(N.Hardtanh, input, inplace, min_val=min_val, max_val=max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    return _act(N.LeakyRelu, input, inplace, negative_slope=negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return _act(N.Elu, input, inplace, alpha=alpha)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants (EluBackward0)."""
    return _act(N.Elu, input, inplace, alpha=_SELU_ALPHA, scale=_SELU_SCALE)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _act(N.Celu, input, inplace, alpha=alpha, input_scale=1.0 / alpha)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def gelu(input, approximate="none"):
    """x * Phi(x) (or its tanh approximation); see torch.nn.functional.gelu."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return N.Gelu.apply(input, approximate=approximate)


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    return _act(N.Silu, input, inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _act(N.Mish, input, inplace)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    return _act(N.Hardsigmoid, input, inplace)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    return _act(N.Hardswish, input, inplace)


def sigmoid(input):
    return E.sigmoid(input)


def tanh(input):
    return E.tanh(input)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, linear above threshold."""
    return N.Softplus.apply(input, beta=beta, threshold=threshold)


def softsign(input):
    """x / (1 + |x|) (composed as torch does: DivBackward0)."""
    return input / (E.abs(input) + 1)


def tanhshrink(input):
    """x - tanh(x)."""
    return input - E.tanh(input)


def hardshrink(input, lambd=0.5):
    return N.Hardshrink.apply(input, lambd=lambd)


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return N.Softshrink.apply(input, lambd=lambd)


def logsigmoid(input):
    """log(sigmoid(x)), computed stably."""
    return N.LogSigmoid.apply(input)


def glu(input, dim=-1):
    """a * sigmoid(b) for the two halves of input along dim."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, input.dim())
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    return N.Glu.apply(input, dim=d)


def prelu(input, weight):
    """x if x > 0 else weight * x, weight per channel (dim 1) or shared."""
    if _AC_ON[0]:
        input, weight = _ac.lower(input, weight)
    w = weight
    if weight.numel() != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        c = input.shape[1] if input.dim() >= 2 else 1
        if weight.numel() != c:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers "
                f"= {weight.numel()} and channel size = {c}.")
    if input.dim() >= 2:
        shape = (1, w.numel()) + (1,) * (input.dim() - 2)
        w = S.view(w, *shape) if w.numel() != 1 or w.dim() else S.view(w, *shape)
    else:
        w = S.view(w, *((w.numel(),) if input.dim() else ()))
    return N.PreluKernel.apply(input, w)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky relu: slope ~ U(lower, upper) in training, (lower+upper)/2 in eval."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    noise = R.uniform(R.default_generator, input.shape, input._data.dtype, lower, upper)
    noise = np.where(input._data >= 0, np.ones((), input._data.dtype), noise)
    if inplace:
        return inplace_apply(input, lambda t: N.RreluWithNoise.apply(t, noise=noise))
    return N.RreluWithNoise.apply(input, noise=noise)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_common(op, input, dim, dtype):
    if dtype is not None:
        input = input.to(dtype)
    d = wrap_dim(dim, input._data.ndim)
    if input._data.dtype.kind != "f" and not input.is_floating_point():
        kernel = ("softmax" if op is N.Softmax else "log_softmax") + (
            "_lastdim" if d == input._data.ndim - 1 else "")
        from ..ops.elementwise import _no_kernel
        _no_kernel(f"{kernel}_kernel_impl", input._data.dtype)
    return op.apply(input, dim=d)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along dim (stable); see torch.nn.functional.softmax."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return _softmax_common(N.Softmax, input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along dim; see torch.nn.functional.log_softmax."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _softmax_common(N.LogSoftmax, input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x)."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    return _softmax_common(N.Softmax, -input, dim, dtype)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Samples from the Gumbel-softmax distribution; see torch.nn.functional.gumbel_softmax."""
    from .._creation import empty_like
    gumbels = -empty_like(logits).exponential_().log()
    gumbels = (logits + gumbels) / tau
    y_soft = softmax(gumbels, dim)
    if hard:
        index = y_soft.max(dim, keepdim=True)[1]
        from .._creation import zeros_like
        y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
        return y_hard - y_soft.detach() + y_soft
    return y_soft


# ---- dropout ----------------------------------------------------------------------------------

def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _bernoulli_like(x, p):
    """torch draws the mask into empty_like(x): a dense permuted layout (a transposed view) is
    kept, and the stream fills it in memory order. Draw in that order, then permute back."""
    gen = R.default_generator
    if x.ndim < 2 or x.flags.c_contiguous:
        return R.bernoulli_scalar(gen, x.shape, p, x.dtype)
    order = sorted(range(x.ndim), key=lambda d: -x.strides[d])
    shape = tuple(x.shape[d] for d in order)
    expect = x.itemsize
    for d in reversed(order):   # dense: strides are those of a contiguous permuted array
        if x.shape[d] != 1 and x.strides[d] != expect:
            return R.bernoulli_scalar(gen, x.shape, p, x.dtype)
        expect *= x.shape[d]
    return R.bernoulli_scalar(gen, shape, p, x.dtype).transpose(np.argsort(order))


def _dropout_impl(input, p, train, inplace, feature, alpha):
    if p == 0 or not train or input.numel() == 0:
        return input
    x = input._data
    if p == 1 and not alpha:
        zero = _wrap(np.zeros((), x.dtype))
        return inplace_apply(input, lambda t: t * zero) if inplace else input * zero
    shape = x.shape
    if feature:
        shape = shape[:2] + (1,) * (x.ndim - 2)
    noise = (_bernoulli_like(x, 1 - p) if not feature else R.bernoulli_scalar(
        R.default_generator, shape, 1 - p, x.dtype)) if p < 1 else np.zeros(shape, x.dtype)
    if alpha:
        a_const = 1.7580993408473766
        a = 1.0 / math.sqrt((a_const * a_const * p + 1) * (1 - p))
        b = (noise - 1) * x.dtype.type(a_const * a) + x.dtype.type(a_const * a * p)
        noise = noise * x.dtype.type(a)
        nt, bt = _wrap(noise), _wrap(b.astype(x.dtype))
        if inplace:
            return inplace_apply(input, lambda t: t * nt + bt)
        return input * nt + bt
    noise /= x.dtype.type(1 - p)
    nt = _wrap(noise)
    if inplace:
        return inplace_apply(input, lambda t: t * nt)
    return input * nt


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero elements with probability p and scale by 1/(1-p); torch's CPU mask bit for bit."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, False, False)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps SELU's self-normalising mean and variance."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, False, True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, True, True)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) / (C, L) inputs."""
    _check_p(p)
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
            "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if nd == 2:
        r = _dropout_impl(S.unsqueeze(input, 0), p, training, False, True, False)
        r = S.squeeze(r, 0)
        return _inplace_copy(input, r) if inplace else r
    return _dropout_impl(input, p, training, inplace, True, False)


def _inplace_copy(input, r):
    if r is input:
        return input
    return inplace_apply(input, lambda t: r)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) inputs."""
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _dropout_impl(input, p, training, inplace, True, False)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) inputs."""
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    if nd != 5:
        r = _dropout_impl(S.unsqueeze(input, 0), p, training, False, True, False)
        r = S.squeeze(r, 0)
        return _inplace_copy(input, r) if inplace else r
    return _dropout_impl(input, p, training, inplace, True, False)


# ---- convolution ------------------------------------------------------------------------------

def _conv_checks(name, input, weight, bias, nsp, stride, padding, dilation, groups,
                 transposed=False, output_padding=0):
    nd = input._data.ndim
    if nd not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input._data.shape)}")
    try:
        return _conv_params(nsp, stride, dilation, weight._data.ndim, groups)
    except TypeError:   # a list argument: not hashable, so not cached
        return _conv_params.__wrapped__(nsp, stride, dilation, weight._data.ndim, groups)


@functools.lru_cache(maxsize=256)
def _conv_params(nsp, stride, dilation, wdim, groups):
    """stride and dilation as tuples, with torch's checks (cached: a model calls its layers
    with the same arguments every step)."""
    stride = _int_list(stride, nsp, "stride")
    dilation = _int_list(dilation, nsp, "dilation")
    if wdim != nsp + 2:
        raise RuntimeError(f"expected stride to be a single integer value or a list of "
                           f"{wdim - 2} values to match the convolution dimensions, but got "
                           f"stride={list(stride)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    return stride, dilation


_WARNED_SAME = [False]


def _conv_pads(nsp, padding, stride, dilation, ksize):
    try:
        return _conv_pads_cached(nsp, padding, stride, dilation, ksize)
    except TypeError:   # a list: not hashable
        return _conv_pads_cached.__wrapped__(nsp, padding, stride, dilation, ksize)


@functools.lru_cache(maxsize=256)
def _conv_pads_cached(nsp, padding, stride, dilation, ksize):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nsp
        if padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for d, k in zip(dilation, ksize):
                total = d * (k - 1)
                lo = total // 2
                pads.append((lo, total - lo))
            pads = tuple(pads)
            if any(lo != hi for lo, hi in pads) and not _WARNED_SAME[0]:
                _WARNED_SAME[0] = True  # torch warns once per process (TORCH_WARN_ONCE)
                warnings.warn("Using padding='same' with even kernel lengths and odd dilation "
                              "may require a zero-padded copy of the input be created",
                              UserWarning, stacklevel=5)
            return pads
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    if type(padding) is int and padding >= 0:
        return ((padding, padding),) * nsp
    pl = _int_list(padding, nsp, "padding")
    if any(p < 0 for p in pl):
        raise RuntimeError("negative padding is not supported")
    return tuple((p, p) for p in pl)


def _conv_nd(name, nsp, input, weight, bias, stride, padding, dilation, groups):
    if _AC_ON[0]:
        input, weight, bias = _ac.lower(input, weight, bias)
    stride, dilation = _conv_checks(name, input, weight, bias, nsp, stride, padding, dilation,
                                    groups)
    unbatched = input._data.ndim == nsp + 1
    x = S.unsqueeze(input, 0) if unbatched else input
    xs, ws = x._data.shape, weight._data.shape
    ksize = ws[2:]
    pads = _conv_pads(nsp, padding, stride, dilation, ksize)
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(ws)}] instead")
    if xs[1] != ws[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(ws)}, expected "
                           f"input{list(xs)} to have {ws[1] * groups} channels, but got "
                           f"{xs[1]} channels instead")
    if bias is not None:
        bs = bias._data.shape
        if len(bs) != 1 or bs[0] != ws[0]:
            raise RuntimeError(f"Given weight of size {list(ws)}, expected bias to be "
                               f"1-dimensional with {ws[0]} elements, but got bias of size "
                               f"{list(bs)} instead")
    for i in range(nsp):
        lo, hi = pads[i]
        if xs[2 + i] + lo + hi < dilation[i] * (ksize[i] - 1) + 1:
            padded = [s + lo + hi for s, (lo, hi) in zip(xs[2:], pads)]
            eff = [d * (k - 1) + 1 for d, k in zip(dilation, ksize)]
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater "
                "than actual input size")
    _check_conv_dtypes(x, weight, bias)
    y = C.Convolution.apply(x, weight, bias, stride=stride, pads=pads, dilation=dilation,
                            groups=groups)
    if _mf.layouts_differ(x, weight):   # channels_last input or weight: output follows
        _mf.restride_output(y, x, weight)
    return S.squeeze(y, 0) if unbatched else y


def _check_conv_dtypes(x, w, b):
    xd = x._data.dtype
    if b is not None and b._data.dtype != xd:
        raise RuntimeError(f"Input type ({_ctype(xd)}) and bias type ({_ctype(b._data.dtype)}) "
                           "should be the same")
    if xd != w._data.dtype:
        raise RuntimeError(f"expected scalar type {_scal(xd)} but found "
                           f"{_scal(w._data.dtype)}")


_SCAL = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
         "int64": "Long", "int32": "Int", "complex64": "ComplexFloat",
         "complex128": "ComplexDouble"}


def _scal(dt):
    return _SCAL.get(np.dtype(dt).name, np.dtype(dt).name)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L); see torch.nn.functional.conv1d."""
    return _conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W); see torch.nn.functional.conv2d."""
    return _conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W); see torch.nn.functional.conv3d."""
    return _conv_nd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose_nd(name, nsp, input, weight, bias, stride, padding, output_padding, groups,
                       dilation):
    if _AC_ON[0]:
        input, weight, bias = _ac.lower(input, weight, bias)
    stride, dilation = _conv_checks(name, input, weight, bias, nsp, stride, padding, dilation,
                                    groups)
    unbatched = input.dim() == nsp + 1
    x = S.unsqueeze(input, 0) if unbatched else input
    pl = _int_list(padding, nsp, "padding")
    if any(p < 0 for p in pl):
        raise RuntimeError("negative padding is not supported")
    op = _int_list(output_padding, nsp, "output_padding")
    if any(o < 0 for o in op):
        raise RuntimeError("negative output_padding is not supported")
    for o, s, d in zip(op, stride, dilation):
        if o >= s and o >= d:
            raise RuntimeError(
                f"output padding must be smaller than either stride or dilation, but got "
                f"output_padding_height: {op[0]} output_padding_width: {op[-1]} stride_height: "
                f"{stride[0]} stride_width: {stride[-1]} dilation_height: {dilation[0]} "
                f"dilation_width: {dilation[-1]}")
    xs, ws = x.shape, weight.shape
    if xs[1] != ws[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(ws)}, expected "
                           f"input{list(xs)} to have {ws[0]} channels, but got {xs[1]} "
                           "channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != ws[1] * groups):
        raise RuntimeError(f"Given transposed=1, weight of size {list(ws)}, expected bias to be "
                           f"1-dimensional with {ws[1] * groups} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    _check_conv_dtypes(x, weight, bias)
    pads = tuple((p, p) for p in pl)
    y = C.Convolution.apply(x, weight, bias, stride=stride, pads=pads, dilation=dilation,
                            transposed=True, output_padding=op, groups=groups)
    if _mf.layouts_differ(x, weight):
        _mf.restride_output(y, x, weight)
    return S.squeeze(y, 0) if unbatched else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 1-D convolution; see torch.nn.functional.conv_transpose1d."""
    return _conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 2-D convolution; see torch.nn.functional.conv_transpose2d."""
    return _conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 3-D convolution; see torch.nn.functional.conv_transpose3d."""
    return _conv_transpose_nd("conv_transpose3d", 3, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L); see torch.nn.functional.unfold."""
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    nd = input.dim()
    if nd < 3:
        wrap_dim(nd, nd)  # torch reads input.size(-2) of a too-small tensor: IndexError
    if nd not in (3, 4):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    x = S.unsqueeze(input, 0) if nd == 3 else input
    out_sp = [(sz + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for sz, kk, ss, pp, dd in
              zip(x.shape[2:], k, s, p, d)]
    if any(o < 1 for o in out_sp):
        raise RuntimeError(
            f"Given input with spatial size ({x.shape[2]}, {x.shape[3]}), kernel_size=({k[0]}, "
            f"{k[1]}), dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of "
            f"the array of sliding blocks as ({out_sp[0]}, {out_sp[1]}), but its components "
            "must be at least one.")
    y = C.Im2Col.apply(x, ksize=k, dilation=d, padding=p, stride=s)
    return S.squeeze(y, 0) if nd == 3 else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: (N, C*kh*kw, L) -> (N, C, H, W), summing overlaps; see torch."""
    o, k, d, p, s = (_pair(output_size), _pair(kernel_size), _pair(dilation), _pair(padding),
                     _pair(stride))
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor with possibly 0 batch size "
                           f"and non-zero dimensions for input, but got: {list(input.shape)}")
    x = S.unsqueeze(input, 0) if nd == 2 else input
    kk = k[0] * k[1]
    if x.shape[1] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={x.shape[1]} and "
                           f"kernel_size=({k[0]}, {k[1]}).")
    blocks = [(sz + 2 * pp - dd * (kq - 1) - 1) // ss + 1 for sz, kq, ss, pp, dd in
              zip(o, k, s, p, d)]
    if x.shape[2] != blocks[0] * blocks[1]:
        raise RuntimeError(
            f"Given output_size=({o[0]}, {o[1]}), kernel_size=({k[0]}, {k[1]}), dilation=("
            f"{d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected "
            f"size of input's dimension 2 to match the calculated number of sliding blocks "
            f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)="
            f"{x.shape[2]}.")
    y = C.Col2Im.apply(x, output_size=o, ksize=k, dilation=d, padding=p, stride=s)
    return S.squeeze(y, 0) if nd == 2 else y


# ---- pooling ------------------------------------------------------------------------------------

def _pool_args(nsp, kernel_size, stride, padding, dilation):
    k = _ntuple(kernel_size, nsp)
    s = _ntuple(stride, nsp) if (stride is not None and not (
        isinstance(stride, (list, tuple)) and len(stride) == 0)) else k
    p = _ntuple(padding, nsp)
    d = _ntuple(dilation, nsp)
    return (tuple(int(v) for v in k), tuple(int(v) for v in s), tuple(int(v) for v in p),
            tuple(int(v) for v in d))


def _check_pool(name, x, nsp, k, s, p, d, ceil_mode, avg=False):
    for kk, pp, dd in zip(k, p, d):
        if pp > ((kk - 1) * dd + 1) // 2 if not avg else pp > kk // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dd}")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{name}: kernel_size must be greater than zero, but got kH: {k[0]} "
                           f"kW: {k[-1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"{name}: stride must be greater than zero, but got dH: {s[0]} dW: "
                           f"{s[-1]}")
    sizes = x.shape[2:]
    out = [C.pool_out_size(sz, kk, ss, pp, dd, ceil_mode) for sz, kk, ss, pp, dd in
           zip(sizes, k, s, p, d)]
    if any(o < 1 for o in out):
        raise RuntimeError(
            f"Given input size: ({'x'.join(str(v) for v in (x.shape[1],) + tuple(sizes))}). "
            f"Calculated output size: ({'x'.join(str(v) for v in [x.shape[1]] + out)}). "
            "Output size is too small")
    return out


def _max_pool_nd(nsp, op, input, kernel_size, stride, padding, dilation, ceil_mode,
                 return_indices):
    k, s, p, d = _pool_args(nsp, kernel_size, stride, padding, dilation)
    nd = input.dim()
    if nd not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"non-empty {nsp + 1}D or {nsp + 2}D (batch mode) tensor expected "
                           "for input")
    unbatched = nd == nsp + 1
    x = S.unsqueeze(input, 0) if unbatched else input
    _check_pool("max_pool2d" if nsp == 2 else f"max_pool{nsp}d", x, nsp, k, s, p, d, ceil_mode)
    r = op.apply(x, ksize=k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode,
                 indices=return_indices)
    if _mf.layouts_differ(x):   # a channels_last input gives channels_last results
        _mf.restride_output(r, x)
    if not return_indices:
        return S.squeeze(r, 0) if unbatched else r
    vals, idx = r
    if unbatched:
        vals, idx = S.squeeze(vals, 0), S.squeeze(idx, 0)
    return vals, idx


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling (computed as 2-D with a unit height, as torch does)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(input.shape)}")
    k, s, p, d = _pool_args(1, kernel_size, stride, padding, dilation)
    x = S.unsqueeze(input, -2)
    r = _max_pool_nd(2, C.MaxPool2DWithIndices, x, (1, k[0]), (1, s[0]), (0, p[0]),
                     (1, d[0]), ceil_mode, return_indices)
    if not return_indices:
        return S.squeeze(r, -2)
    return S.squeeze(r[0], -2), S.squeeze(r[1], -2)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling; see torch.nn.functional.max_pool2d."""
    return _max_pool_nd(2, C.MaxPool2DWithIndices, input, kernel_size, stride, padding,
                        dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling; see torch.nn.functional.max_pool3d."""
    return _max_pool_nd(3, C.MaxPool3DWithIndices, input, kernel_size, stride, padding,
                        dilation, ceil_mode, return_indices)


max_pool1d_with_indices = max_pool1d
max_pool2d_with_indices = max_pool2d
max_pool3d_with_indices = max_pool3d


def _avg_pool_nd(nsp, op, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                 divisor_override):
    k, s, p, d = _pool_args(nsp, kernel_size, stride, padding, 1)
    unbatched = input.dim() == nsp + 1
    x = S.unsqueeze(input, 0) if unbatched else input
    if x.dim() != nsp + 2:
        raise RuntimeError(f"non-empty {nsp + 1}D or {nsp + 2}D (batch mode) tensor expected "
                           "for input")
    _check_pool(f"avg_pool{nsp}d", x, nsp, k, s, p, d, ceil_mode, avg=True)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    y = op.apply(x, ksize=k, stride=s, padding=p, ceil_mode=ceil_mode,
                 count_include_pad=count_include_pad, divisor_override=divisor_override)
    if _mf.layouts_differ(x):
        _mf.restride_output(y, x)
    return S.squeeze(y, 0) if unbatched else y


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling (as 2-D with unit height)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"avg_pool1d() Expected 2D or 3D input tensor, but got "
                           f"{list(input.shape)}")
    k, s, p, _ = _pool_args(1, kernel_size, stride, padding, 1)
    x = S.unsqueeze(input, -2)
    y = _avg_pool_nd(2, C.AvgPool2D, x, (1, k[0]), (1, s[0]), (0, p[0]), ceil_mode,
                     count_include_pad, None)
    return S.squeeze(y, -2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling; see torch.nn.functional.avg_pool2d."""
    if input.dim() < 3:
        wrap_dim(-3, input.dim())
    return _avg_pool_nd(2, C.AvgPool2D, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling; see torch.nn.functional.avg_pool3d."""
    return _avg_pool_nd(3, C.AvgPool3D, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override)


def _adaptive_size(output_size, sizes):
    n = len(sizes)
    out = _ntuple(output_size, n)
    return tuple(sizes[i] if o is None else int(o) for i, o in enumerate(out))


def _adaptive_check(name, input, nsp):
    nd = input.dim()
    if nd not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"{name}(): Expected {nsp + 1}D or {nsp + 2}D tensor, but got "
                           f"{list(input.shape)}")
    for i in range(1, nd):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")


def _adaptive_avg(nsp, op, name, input, output_size):
    _adaptive_check(name, input, nsp)
    unbatched = input.dim() == nsp + 1
    x = S.unsqueeze(input, 0) if unbatched else input
    out = _adaptive_size(output_size, x.shape[2:])
    if all(o == 1 for o in out):
        y = Rd.mean(x, tuple(range(2, 2 + nsp)), keepdim=True)
    else:
        y = op.apply(x, output_size=out)
    if _mf.layouts_differ(x):
        _mf.restride_output(y, x)
    return S.squeeze(y, 0) if unbatched else y


def adaptive_avg_pool1d(input, output_size):
    """Average over adaptive windows so the output length is output_size."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got "
                           f"{list(input.shape)}")
    out = _single(output_size)
    y = adaptive_avg_pool2d(S.unsqueeze(input, -2), (1, out[0]))
    return S.squeeze(y, -2)


def adaptive_avg_pool2d(input, output_size):
    """Adaptive 2-D average pooling; see torch.nn.functional.adaptive_avg_pool2d."""
    return _adaptive_avg(2, C.AdaptiveAvgPool2D, "adaptive_avg_pool2d", input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Adaptive 3-D average pooling."""
    return _adaptive_avg(3, C.AdaptiveAvgPool3D, "adaptive_avg_pool3d", input, output_size)


def _adaptive_max(nsp, op, name, input, output_size, return_indices):
    _adaptive_check(name, input, nsp)
    unbatched = input.dim() == nsp + 1
    x = S.unsqueeze(input, 0) if unbatched else input
    out = _adaptive_size(output_size, x.shape[2:])
    vals, idx = op.apply(x, output_size=out)
    if _mf.layouts_differ(x):
        _mf.restride_output((vals, idx), x)
    if unbatched:
        vals, idx = S.squeeze(vals, 0), S.squeeze(idx, 0)
    return (vals, idx) if return_indices else vals


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Adaptive 1-D max pooling (as 2-D with unit height)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got "
                           f"{list(input.shape)}")
    out = _single(output_size)
    v, i = adaptive_max_pool2d(S.unsqueeze(input, -2), (1, out[0]), True)
    v, i = S.squeeze(v, -2), S.squeeze(i, -2)
    return (v, i) if return_indices else v


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Adaptive 2-D max pooling; see torch.nn.functional.adaptive_max_pool2d."""
    return _adaptive_max(2, C.AdaptiveMaxPool2D, "adaptive_max_pool2d", input, output_size,
                         return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    return _adaptive_max(3, C.AdaptiveMaxPool3D, "adaptive_max_pool3d", input, output_size,
                         return_indices)


adaptive_max_pool1d_with_indices = adaptive_max_pool1d
adaptive_max_pool2d_with_indices = adaptive_max_pool2d
adaptive_max_pool3d_with_indices = adaptive_max_pool3d


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over window of x^p)^(1/p), via avg_pool1d as torch composes it."""
    if stride is not None:
        out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool1d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (E.sign(out) * relu(E.abs(out))).mul(kernel_size).pow(1.0 / norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over window of x^p)^(1/p), via avg_pool2d as torch composes it."""
    kw, kh = _pair(kernel_size)
    if norm_type == float("inf"):
        return max_pool2d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool2d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool2d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (E.sign(out) * relu(E.abs(out))).mul(kw * kh).pow(1.0 / norm_type)


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    sizes = input.shape
    default = []
    for d in range(len(kernel_size)):
        default.append((sizes[d + 2 - (4 - input.dim()) if input.dim() < 4 else d + 2] - 1) *
                       stride[d] + kernel_size[d] - 2 * padding[d])
    if output_size is None:
        return default
    output_size = list(output_size)
    if len(output_size) == len(kernel_size) + 2:
        output_size = output_size[2:]
    if len(output_size) != len(kernel_size):
        raise ValueError(f"output_size should be a sequence containing {len(kernel_size)} or "
                         f"{len(kernel_size) + 2} elements, but it has a length of "
                         f"'{len(output_size)}'")
    return output_size


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Inverse of max_pool2d: values placed at their indices, zeros elsewhere."""
    k, s, p, _ = _pool_args(2, kernel_size, stride, padding, 1)
    unbatched = input.dim() == 3
    x = S.unsqueeze(input, 0) if unbatched else input
    idx = S.unsqueeze(indices, 0) if unbatched else indices
    sizes = x.shape[2:]
    if output_size is None:
        out = [(sz - 1) * ss + kk - 2 * pp for sz, kk, ss, pp in zip(sizes, k, s, p)]
    else:
        out = list(output_size)[-2:]
    plane = out[0] * out[1]
    bad = (idx._data < 0) | (idx._data >= plane)
    if bad.any():
        # torch's kernel scans every plane and reports the last invalid index it saw
        raise RuntimeError(f"Found an invalid max index: {int(idx._data[bad].ravel()[-1])} "
                           f"(output volumes are of size {out[0]}x{out[1]})")
    y = C.MaxUnpool2D.apply(x, idx, output_size=tuple(out))
    return S.squeeze(y, 0) if unbatched else y


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    k, s, p, _ = _pool_args(1, kernel_size, stride, padding, 1)
    if output_size is None:
        out = (input.shape[-1] - 1) * s[0] + k[0] - 2 * p[0]
    else:
        out = list(output_size)[-1]
    y = max_unpool2d(S.unsqueeze(input, -1), S.unsqueeze(indices, -1), (k[0], 1), (s[0], 1),
                     (p[0], 0), (out, 1))
    return S.squeeze(y, -1)


# ---- losses ------------------------------------------------------------------------------------

def _check_target_dtype(target):
    dt = target._data.dtype
    if dt != np.int64 and dt != np.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_scal(dt) if dt.name in _SCAL else dt.name.capitalize()}")


def _check_weight_dtype(input, weight):
    if weight is not None and weight._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected scalar type {_scal(input._data.dtype)} but found "
                           f"{_scal(weight._data.dtype)}")


def _weight_no_grad(weight, fn):
    # torch's autograd wrapper refuses a class weight that requires grad (no formula for it)
    if weight is not None and weight._rg and _GRAD[0]:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'weight'. This input cannot have requires_grad True.")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """-input[target] (weighted, ignore_index skipped), reduced; see torch."""
    if _AC_ON[0]:
        input, target, weight = _ac.to_fp32(input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    xs, ts = input._data.shape, target._data.shape
    nd = len(xs)
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd != 1 and (not ts or xs[0] != ts[0]):
        # torch reads a 0-d target's batch size as 0
        raise ValueError(f"Expected input batch_size ({xs[0]}) to match target "
                         f"batch_size ({ts[0] if ts else 0}).")
    # the checks below run in torch's order (nll_loss / nll_loss2d kernels): shape, target
    # dtype, weight size, weight dtype, then bounds
    if nd <= 2:
        _weight_no_grad(weight, "nll_loss_forward")
        c = xs[-1]
        if len(ts) > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        _check_target_dtype(target)
        if nd == 1 and len(ts) == 1 and ts[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                             f"{ts[0]}")
        if weight is not None and (weight.dim() != 1 or weight.numel() != c):
            raise RuntimeError(f"weight tensor should be defined either for all {c} classes or "
                               f"no classes but got weight tensor of shape: {list(weight.shape)}")
        _check_weight_dtype(input, weight)
        _check_bounds(target, c, ignore_index)
        return N.NllLoss.apply(input, target, weight, reduction=reduction,
                               ignore_index=ignore_index)
    c = xs[1]
    if nd == 4:
        _weight_no_grad(weight, "nll_loss2d_forward")
        if len(ts) != 3:
            raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {len(ts)}")
    elif tuple(ts[1:]) != tuple(xs[2:]):
        expected = (xs[0],) + tuple(xs[2:])
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(ts)}")
    else:
        _weight_no_grad(weight, "nll_loss2d_forward")
    _check_target_dtype(target)
    if weight is not None and weight.numel() != c:
        raise RuntimeError("weight tensor should be defined either for all or no classes")
    if nd == 4 and tuple(ts[1:]) != tuple(xs[2:]):
        raise RuntimeError(f"size mismatch (got input: {list(xs)} , target: {list(ts)}")
    _check_weight_dtype(input, weight)
    _check_bounds(target, c, ignore_index)
    if weight is not None and weight.dim() != 1:
        weight = S.reshape(weight, -1)  # the 2-D kernel reads any weight of C elements flat
    if nd == 4:
        return N.NllLoss2d.apply(input, target, weight, reduction=reduction,
                                 ignore_index=ignore_index)
    # torch folds other ranks into the 4-D kernel through views
    n = input.shape[0]
    x4 = S.view(input, n, c, 1, -1)
    t3 = S.view(target, n, 1, -1)
    r = N.NllLoss2d.apply(x4, t3, weight, reduction=reduction, ignore_index=ignore_index)
    if reduction == "none":
        r = S.view(r, *target.shape)
    return r


_U64 = np.dtype(np.uint64)


def _check_bounds(target, c, ignore_index):
    t = target._data
    if t.size == 0:
        return
    if t.dtype == np.int64 and t.__class__ is np.ndarray:
        if t.view(_U64).max() < c:   # one pass: negatives read as huge unsigned numbers
            return
    elif t.min() >= 0 and t.max() < c:
        return
    bad = (t != ignore_index) & ((t < 0) | (t >= c))
    if bad.any():
        v = int(t[bad].ravel()[0])
        raise IndexError(f"Target {v} is out of bounds.")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """nll_loss(log_softmax(input, 1), target) with class indices or class probabilities."""
    if _AC_ON[0]:
        input, target, weight = _ac.to_fp32(input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    nd = input._data.ndim
    class_dim = 0 if nd == 1 else 1
    # torch: same shapes mean class probabilities; otherwise class indices through nll_loss
    # (a negative label_smoothing is accepted and means none)
    if target._data.shape == input._data.shape:
        if not target.is_floating_point():
            raise RuntimeError(f"Expected floating point type for target with class "
                               f"probabilities, got {_scal(target._data.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if nd == 0:
            raise IndexError("Dimension specified as 1 but tensor has no dimensions")
        c = input.shape[class_dim]
        if weight is not None and (weight.dim() != 1 or weight.numel() != c):
            raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                               f"{c} classes or no classes but got weight tensor of shape: "
                               f"{list(weight.shape)}")
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                               f"{label_smoothing}")
        return _cross_entropy_probs(input, target, weight, reduction,
                                    max(label_smoothing, 0.0), class_dim)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    logp = log_softmax(input, class_dim)
    if label_smoothing <= 0.0:
        return nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    # label smoothing: (1 - eps) * nll + eps * smooth_loss (torch's composite)
    c = input.shape[class_dim]
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    ignore = target == ignore_index
    if weight is not None:
        wshape = [1] * nd
        wshape[class_dim] = c
        smooth = -Rd.sum(logp * S.view(weight, *wshape), class_dim)
    else:
        smooth = -Rd.sum(logp, class_dim)
    smooth = smooth.masked_fill(ignore, 0.0)
    if reduction == "mean":
        if weight is not None:
            tgt = target.masked_fill(ignore, 0)
            wsum = Rd.sum(weight.gather(0, tgt.flatten()).masked_fill(ignore.flatten(), 0.0))
            smooth = smooth.sum() / wsum
        else:
            smooth = smooth.sum() / (~ignore).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    eps = label_smoothing
    return nll * (1 - eps) + smooth * (eps / c)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim):
    nd = input.dim()
    c = input.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / c
    logp = log_softmax(input, class_dim)
    prod = logp * target
    if weight is not None:
        wshape = [1] * nd
        wshape[class_dim] = c
        prod = prod * S.view(weight, *wshape)
    # the same graph as torch's composite: -(x * t).sum() / (numel // C) -> DivBackward1
    if reduction == "mean":
        from ..ops.extra import _DivScalar
        return _DivScalar.apply(-Rd.sum(prod), input.numel() // c if nd > 1 else 1)
    if reduction == "sum":
        return -Rd.sum(prod)
    return -Rd.sum(prod, class_dim)


def _same_size_warning(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


def _broadcast_check(a, b):
    try:
        return np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        from ..ops._broadcast import broadcast_error
        broadcast_error(tuple(a.shape), tuple(b.shape))


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """mean((input - target)^2); see torch.nn.functional.mse_loss."""
    if _AC_ON[0]:
        input, target = _ac.to_fp32(input, target)
    _same_size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _broadcast_check(input, target)
    if weight is not None:
        loss = (input - target) ** 2 * weight
        return _reduce(loss, reduction)
    return N.MseLoss.apply(input, target, reduction=reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """mean(|input - target|) (composed: AbsBackward0 -> MeanBackward0)."""
    if _AC_ON[0]:
        input, target = _ac.to_fp32(input, target)
    _same_size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _broadcast_check(input, target)
    loss = E.abs(input - target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta."""
    if _AC_ON[0]:
        input, target = _ac.to_fp32(input, target)
    _same_size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _broadcast_check(input, target)
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    return N.SmoothL1Loss.apply(input, target, reduction=reduction, beta=beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta)."""
    if _AC_ON[0]:
        input, target = _ac.to_fp32(input, target)
    _same_size_warning(input, target)
    reduction = _get_enum_check(reduction)
    _broadcast_check(input, target)
    if weight is not None:
        d = E.abs(input - target)
        loss = (0.5 * d * d).where(d < delta, delta * (d - 0.5 * delta)) * weight
        return _reduce(loss, reduction)
    return N.HuberLoss.apply(input, target, reduction=reduction, delta=delta)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-(y log p + (1 - y) log(1 - p)), logs clamped at -100 as in torch."""
    if _AC_ON[0]:
        input, target, weight = _ac.to_fp32(input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(f"Found dtype {_scal(target._data.dtype)} but expected "
                           f"{_scal(input._data.dtype)}")
    p = input._data
    if p.size and ((p < 0) | (p > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if weight is not None:
        from .._creation import zeros
        wb = weight if tuple(weight.shape) == tuple(input.shape) else weight.expand(input.shape)
        del zeros
        weight = wb
    return N.BinaryCrossEntropy.apply(input, target, weight, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """BCE on sigmoid(input), computed stably in one op; see torch."""
    if _AC_ON[0]:
        input, target, weight = _ac.to_fp32(input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    return N.BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight,
                                                reduction=reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """target * (log target - input), pointwise, reduced; see torch.nn.functional.kl_div."""
    if _AC_ON[0]:
        input, target = _ac.to_fp32(input, target)
    if size_average is not None or reduce is not None:
        red = _legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support "
                "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
                "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
                "major release.", stacklevel=2)
        red = "sum" if reduction == "batchmean" else _get_enum_check(reduction)
    if log_target:
        loss = E.exp(target) * (target - input)
    else:
        loss = E.xlogy(target, target) - target * input if hasattr(E, "xlogy") else \
            _xlogy(target, target) - target * input
    reduced = _reduce(loss, red)
    if reduction == "batchmean" and input.dim() != 0:
        reduced = reduced / input.shape[0]
    return reduced


def _xlogy(x, y):
    """x * log(y) with 0 where x == 0 (torch.xlogy)."""
    z = x * E.log(y)
    return z.masked_fill(x == 0, 0.0)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """exp(input) - target * input (log_input) or input - target log(input + eps)."""
    if _AC_ON[0]:
        input, target = _ac.to_fp32(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = E.exp(input) - target * input
    else:
        loss = input - target * E.log(input + eps)
    if full:
        t = target
        stirling = t * E.log(t) - t + 0.5 * E.log(2 * math.pi * t)
        loss = loss + stirling.masked_fill(t <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log var + (input - target)^2 / var); see torch.nn.functional.gaussian_nll_loss."""
    from ..autograd.grad_mode import no_grad
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        from .._creation import ones_like
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = S.unsqueeze(var, -1)
        elif input.dim() == var.dim() and sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (E.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) for y = 1, max(0, cos(x1, x2) - margin) for y = -1."""
    if _AC_ON[0]:
        input1, input2 = _ac.to_fp32(input1, input2)
    reduction = _reduction(size_average, reduce, reduction)
    nd = input1.dim()
    if input1.shape != input2.shape:
        raise RuntimeError(f"cosine_embedding_loss: Input1 and Input2 must have the same shape, "
                           f"but got {list(input1.shape)} and {list(input2.shape)}")
    if nd != target.dim() + 1 and not (nd == 1 and target.dim() == 0):
        raise RuntimeError(f"cosine_embedding_loss(): expected {nd - 1}D target tensor, but got "
                           f"{target.dim()}D target tensor")
    eps = 1e-12
    d = nd - 1
    prod_sum = Rd.sum(input1 * input2, d)
    mag1 = Rd.sum(input1 * input1, d) + eps
    mag2 = Rd.sum(input2 * input2, d) + eps
    denom = E.sqrt(mag1 * mag2)
    cos = prod_sum / denom
    zeros = cos.new_zeros(())
    pos = 1 - cos
    neg = E.clamp_min(cos - margin, 0)
    out_pos = E.where(target == 1, pos, zeros)
    out_neg = E.where(target == -1, neg, zeros)
    return _reduce(out_pos + out_neg, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin)."""
    if _AC_ON[0]:
        input1, input2 = _ac.to_fp32(input1, input2)
    reduction = _reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    loss = E.clamp_min(-target * (input1 - input2) + margin, 0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x for y = 1, max(0, margin - x) for y = -1."""
    if _AC_ON[0]:
        input, target = _ac.to_fp32(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    zeros = input.new_zeros(())
    margin_clamp = E.clamp_min(margin - input, 0)
    output_margin = E.where(target != 1, margin_clamp, zeros)
    output_self = E.where(target != -1, input, zeros)
    return _reduce(output_margin + output_self, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)), reduced."""
    if _AC_ON[0]:
        input, target = _ac.to_fp32(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    return N.SoftMarginLoss.apply(input, target, reduction=reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """-(y logsigmoid(x) + (1 - y) logsigmoid(-x)) averaged over classes."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    c = input.shape[class_dim]
    loss = Rd.sum(loss, class_dim) / c
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """sum_j max(0, margin - x[y] + x[j])^p / C; see torch.nn.functional.multi_margin_loss."""
    if _AC_ON[0]:
        input, weight = _ac.to_fp32(input, weight)
    reduction = _reduction(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    _check_target_dtype(target)
    return N.MultiMarginLoss.apply(input, target, weight, p=p, margin=margin,
                                   reduction=reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """sum over targets j and non-targets i of max(0, 1 - (x[y_j] - x[i])) / C."""
    if _AC_ON[0]:
        input, target = _ac.to_fp32(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    x = input if input.dim() == 2 else S.unsqueeze(input, 0)
    t = target if target.dim() == 2 else S.unsqueeze(target, 0)
    td = t._data
    n, c = x.shape
    # targets are the prefix before the first -1
    valid = np.cumprod(td >= 0, axis=1).astype(bool)
    is_target = np.zeros((n, c), bool)
    rows = np.repeat(np.arange(n), c).reshape(n, c)
    is_target[rows[valid], td[valid]] = True
    tgt_idx = np.where(valid, td, 0)
    xt = x.gather(1, _wrap(tgt_idx))  # (n, c): x[y_j]
    margins = E.clamp_min(1 - (S.unsqueeze(xt, 2) - S.unsqueeze(x, 1)), 0)  # (n, j, i)
    mask = valid[:, :, None] & ~is_target[:, None, :]
    loss = Rd.sum(margins * _wrap(mask.astype(x._data.dtype)), (1, 2)) / c
    if input.dim() == 1:
        loss = S.squeeze(loss, 0)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) with pairwise_distance."""
    if _AC_ON[0]:
        anchor, positive, negative = _ac.to_fp32(anchor, positive, negative)
    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D "
            "inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = pairwise_distance(positive, negative, p, eps)
        d_neg = E.minimum(d_neg, d_swap)
    loss = E.clamp_min(margin + d_pos - d_neg, 0)
    return _reduce(loss, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """triplet loss with a custom distance (default pairwise_distance)."""
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: expected margin to be greater than "
                         f"0, got {margin} instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = E.minimum(d_neg, dist(positive, negative))
    loss = E.clamp_min(margin + d_pos - d_neg, 0.0)
    return _reduce(loss, _get_enum_check(reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    if _AC_ON[0]:
        log_probs, = _ac.to_fp32(log_probs)
    raise NotImplementedError("ember does not implement torch.nn.functional.ctc_loss yet")


# ---- distances and normalisation -----------------------------------------------------------------

def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim (torch's composite: NormBackward1)."""
    nd = max(x1.dim(), x2.dim())
    if nd == 0:
        raise RuntimeError("pairwise_distance: expected at least 1D inputs")
    return Rd.NormP.apply(x1 - x2 + eps, ord=p, dim=(-1,), keepdim=keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """x1 . x2 / max(||x1|| ||x2||, eps), as torch computes it (normalising each first)."""
    shape = _broadcast_check(x1, x2)
    d = wrap_dim(dim, len(shape))
    # torch: x / max(||x||, eps) for each, then the sum of products
    n1 = Rd.norm(x1, 2, d, True) if x1.dim() else E.abs(x1)
    n2 = Rd.norm(x2, 2, d, True) if x2.dim() else E.abs(x2)
    a = x1 / E.clamp_min(n1, eps)
    b = x2 / E.clamp_min(n2, eps)
    return Rd.sum(a * b, d)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along dim."""
    denom = E.clamp_min(Rd.norm(input, p, dim, True), eps).expand_as(input)
    if out is None:
        return input / denom
    return E.div(input, denom, out=out)


def pdist(input, p=2):
    """Pairwise distances between rows (upper triangle, row-major)."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    return Rd.norm(input[_wrap(i)] - input[_wrap(j)], p, -1)


def one_hot(tensor, num_classes=-1):
    """(..., ) int64 -> (..., num_classes) int64 with a 1 at each index."""
    t = tensor._data
    if t.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if t.size and t.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if t.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(t.max()) + 1
    elif t.size and t.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(t.shape + (num_classes,), np.int64)
    np.put_along_axis(out, t[..., None], 1, axis=-1)
    return _wrap(out)


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.dim()} dimension(s)")
    r = int(upscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    return N.PixelShuffle.apply(input, upscale_factor=r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.dim()} dimension(s)")
    r = int(downscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    h, w = input.shape[-2:]
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={w} is not divisible by {r}")
    return N.PixelUnshuffle.apply(input, downscale_factor=r)


def channel_shuffle(input, groups):
    """Interleave the channels of `groups` groups; see torch.nn.functional.channel_shuffle."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    c = input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    return N.ChannelShuffle.apply(input, groups=groups)


native_channel_shuffle = channel_shuffle


# ---- padding -----------------------------------------------------------------------------------

_PAD_OPS = {("reflect", 1): N.ReflectionPad1D, ("reflect", 2): N.ReflectionPad2D,
            ("reflect", 3): N.ReflectionPad3D, ("replicate", 1): N.ReplicationPad1D,
            ("replicate", 2): N.ReplicationPad2D, ("replicate", 3): N.ReplicationPad3D}


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad)//2 dims; modes constant, reflect, replicate, circular."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = input.dim()
    if len(pad) // 2 > nd:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of "
                           f"dimension {nd}")
    if mode == "constant":
        v = 0.0 if value is None else value
        for i in range(len(pad) // 2):
            size = input.shape[nd - 1 - i]
            lo, hi = pad[2 * i], pad[2 * i + 1]
            # torch crops negative pads with narrow(), which rejects a negative length
            if size + min(lo, 0) + min(hi, 0) < 0 or size + lo + hi < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        return N.ConstantPadNd.apply(input, pad=pad, value=v)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    k = len(pad) // 2
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    ok = {1: (2, 3), 2: (3, 4), 3: (4, 5)}
    if k not in ok or nd not in ok[k]:
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {nd}D input tensor.\nSupported "
            "combinations for non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads "
            "last dimension)\n  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n  "
            "- 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode == "reflect":
        for i in range(k):
            d = nd - 1 - i
            size = input.shape[d]
            lo, hi = pad[2 * i], pad[2 * i + 1]
            if lo >= size or hi >= size:
                raise RuntimeError(
                    f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding "
                    f"input dimension, but got: padding ({lo}, {hi}) at dimension {d} of input "
                    f"{list(input.shape)}")
    op = N.CircularPad if mode == "circular" else _PAD_OPS[(mode, k)]
    if mode == "circular":
        for i in range(k):
            size = input.shape[nd - 1 - i]
            if pad[2 * i] > size or pad[2 * i + 1] > size:
                raise RuntimeError("Padding value causes wrapping around more than once.")
    if any(p < 0 for p in pad):
        # negative padding crops: narrow first, then pad by the positive amounts
        return _crop_then_pad(op, input, pad)
    return op.apply(input, pad=pad)


def _crop_then_pad(op, input, pad):
    x = input
    nd = x.dim()
    crop = []
    for i in range(len(pad) // 2):
        d = nd - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        x = S.narrow(x, d, max(-lo, 0), x.shape[d] - max(-lo, 0) - max(-hi, 0))
        crop.append((max(lo, 0), max(hi, 0)))
    flat = []
    for lo, hi in crop:
        flat += [lo, hi]
    return op.apply(x, pad=tuple(flat))


# ---- upsampling ---------------------------------------------------------------------------------

_UP = {("nearest", 1): N.UpsampleNearest1D, ("nearest", 2): N.UpsampleNearest2D,
       ("nearest", 3): N.UpsampleNearest3D, ("nearest-exact", 1): N.UpsampleNearestExact1D,
       ("nearest-exact", 2): N.UpsampleNearestExact2D,
       ("nearest-exact", 3): N.UpsampleNearestExact3D, ("linear", 1): N.UpsampleLinear1D,
       ("bilinear", 2): N.UpsampleBilinear2D, ("trilinear", 3): N.UpsampleTrilinear3D,
       ("bicubic", 2): N.UpsampleBicubic2D}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims; see torch.nn.functional.interpolate."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    elif size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size of "
                    f"{size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "output size in (o1, o2, ...,oK) format.")
            if not all(isinstance(v, numbers.Integral) for v in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    f"Tuple[int, int, int], but got size with types {[type(v) for v in size]}")
            output_size = [int(v) for v in size]
        else:
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in (N, C, "
                    "d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [int(math.floor(input.shape[i + 2] * scale_factors[i]))
                       for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    if antialias:
        raise NotImplementedError("ember: interpolate(antialias=True) is not implemented")
    if mode == "area" and 1 <= dim <= 3:
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dim - 1](
            input, output_size)
    op = _UP.get((mode, dim))
    if op is None:
        need = {"linear": 3, "bilinear": 4, "trilinear": 5}
        if mode in need and input.dim() in (3, 4, 5):
            raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                      f"{need[mode]}D input")
        raise NotImplementedError(
            "Input Error: Only 3D, 4D and 5D input Tensors supported"
            f" (got {input.dim()}D) for the modes: nearest | linear | bilinear | bicubic | "
            f"trilinear | lanczos | area | nearest-exact (got {mode})")
    in_sp = input.shape[2:]
    if output_size is None:
        output_size = [int(math.floor(s * f)) for s, f in zip(in_sp, scale_factors)]
    scales = scale_factors if scale_factors is not None else [None] * dim
    for i, o in zip(in_sp, output_size):
        if i <= 0 or o <= 0:
            raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                               f"({', '.join(map(str, in_sp))}) and output "
                               f"({', '.join(map(str, output_size))})")
    dt = input._data.dtype
    if mode in ("nearest", "nearest-exact"):
        idx = [N.nearest_index(o, i, s, mode == "nearest-exact")
               for o, i, s in zip(output_size, in_sp, scales)]
        return op.apply(input, idx=idx)
    if not input.is_floating_point():
        raise RuntimeError(f'"upsample_{mode}" not implemented for '
                           f"'{_scal(dt)}'")
    mk = N.cubic_matrix if mode == "bicubic" else N.linear_matrix
    # torch computes interpolation coordinates in the input's (accumulation) precision
    acc = np.dtype(np.float64) if dt == np.float64 else np.dtype(np.float32)
    mats = [mk(o, i, align_corners, None if align_corners else s, acc).astype(dt)
            for o, i, s in zip(output_size, in_sp, scales)]
    return op.apply(input, mats=mats)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalise over neighbouring channels; composed as torch does (avg_pool over x^2)."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = S.unsqueeze(div, 1)
        div = pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = S.squeeze(avg_pool2d(div, (size, 1), stride=1), 1)
    else:
        sizes = input.shape
        div = S.view(div, sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = S.squeeze(avg_pool3d(div, (size, 1, 1), stride=1), 1)
        div = S.view(div, *sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


_ALIGN_MSG = ("Default grid_sample and affine_grid behavior has changed to align_corners=False "
              "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
              "See the documentation of grid_sample for details.")


def affine_grid(theta, size, align_corners=None):
    """Sampling grid (N, *size[2:], d) of a batch of affine maps (see torch.nn.functional)."""
    from ..ops import grid_sampler as G
    if align_corners is None:
        warnings.warn(_ALIGN_MSG, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:  # torch's bmm of the base grid with theta^T says so
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {len(spatial) + 1}] but got: "
                           f"[{theta.shape[0]}, {theta.shape[-1]}].")
    return G.AffineGridGenerator.apply(theta, size=tuple(int(s) for s in size),
                                       align=bool(align_corners))


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample input at grid's normalised locations (see torch.nn.functional.grid_sample)."""
    if _AC_ON[0]:
        input, grid = _ac.to_fp32(input, grid)
    from ..ops import grid_sampler as G
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' "
                         f"or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_MSG, stacklevel=2)
        align_corners = False
    mode_enum = ("bilinear", "nearest", "bicubic").index(mode)
    pad_enum = ("zeros", "border", "reflection").index(padding_mode)
    xs, gs = list(input.shape), list(grid.shape)
    if input.device != grid.device:
        raise RuntimeError(f"grid_sampler(): expected input and grid to be on same device, but "
                           f"input is on {input.device} and grid is on {grid.device}")
    if xs[0] != gs[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {xs} and grid with sizes {gs}")
    if gs[-1] != len(xs) - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {len(xs) - 2} in last "
                           f"dimension, but got grid with sizes {gs}")
    for i in range(2, len(xs)):
        if xs[i] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {xs} with dimension {i} being "
                               f"empty")
    two_d = len(xs) == 4
    if not (len(xs) == len(gs) == (4 if two_d else 5)):
        raise RuntimeError(f"grid_sampler(): expected {4 if two_d else 5}D input and grid with "
                           f"same number of dimensions, but got input with sizes {xs} and grid "
                           f"with sizes {gs}")
    if not two_d and mode_enum == 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.is_floating_point() or input.is_complex():
        kernel = "grid_sampler_2d_cpu_kernel_impl" if two_d else "grid_sampler3d_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_dtype_name(input.dtype)}'")
    if grid.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_name(input.dtype)} but found "
                           f"{_dtype_name(grid.dtype)}")
    op = G.GridSampler2D if two_d else G.GridSampler3D
    return op.apply(input, grid, mode=mode_enum, padding=pad_enum, align=bool(align_corners))


def _dtype_name(dt):
    """torch's C++ scalar type name (Float, Double, Long, ...)."""
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "complex64": "ComplexFloat",
            "complex128": "ComplexDouble"}.get(str(dt).replace("torch.", ""), str(dt))


__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "annotations", "math", "numbers", "warnings", "np", "R", "C", "N", "E", "L", "Rd", "S",
    "inplace_apply", "wrap_dim")]

try:
    from ._functional2 import *  # noqa: F401,F403,E501  (norms, embedding, attention, rnn: see _functional2.py)
except ImportError as _e:  # only while _functional2.py does not exist yet
    if getattr(_e, "name", None) != "ember.nn._functional2":
        raise


from .._missing import module_getattr as _module_getattr  # noqa: E402

_missing_getattr = _module_getattr("ember.nn.functional", "torch.nn.functional")


def __getattr__(name):
    if name == "grad":   # torch.nn.functional.grad is the torch.nn.grad module
        from . import grad
        return grad
    return _missing_getattr(name)
