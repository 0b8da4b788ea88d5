"""The ops behind torch.nn.functional that are not convolution or pooling: activations,
softmax/log_softmax, the fused losses (nll, mse, smooth_l1, huber, bce, bce-with-logits, ...),
pixel/channel shuffle, padding and upsampling.

One Op per torch autograd node, so grad_fn names match (ReluBackward0, NllLossBackward0,
MseLossBackward0, ...). ember/nn/functional.py checks arguments and calls these; conv.py holds
convolution, pooling and im2col. Backward bodies use ember ops, so they differentiate again.
"""
from __future__ import annotations

import math

import numpy as np

from .._tensor import _wrap
from ..autograd.op import Op, run_forward
from ..backend import array_module, opmath, _special
from ._broadcast import sum_to

ndarray = np.ndarray


def _xp(a):
    return np if type(a) is ndarray else array_module(a)


def _erf(x):
    xp = _xp(x)
    if xp is np:
        return _special.erf(x)
    return xp.erf(x) if hasattr(xp, "erf") else array_module(x).asarray(_special.erf(x.get()))


# ---- gradient masks: the backward of the piecewise-linear activations --------------------------

def _zeros_of(t):
    """The (zero) gradient w.r.t. the forward input that torch's *_backward ops take: it keeps
    the first gradient attached to the graph under create_graph, as in torch."""
    return _wrap(_xp(t._data).zeros_like(t._data))


class _MaskedGrad(Op):
    """grad * where(mask, a, b) for a fixed mask: linear in grad, so its backward is itself.
    `src` is the tensor the mask came from (torch's threshold_backward(grad, self)); its
    gradient is zero."""

    def forward(self, g, src=None, mask=None, a=1.0, b=0.0):
        self.save_inputs(1)
        self.mask, self.a, self.b = mask, a, b
        if b == 0.0:
            # g * mask is ~10x faster than where(); where() only if g has inf/nan (masked
            # positions must give exactly 0, as torch's threshold_backward does)
            r = g * mask
            xp = _xp(g)
            if not xp.isfinite(r).all():
                r = xp.where(mask, g, g.dtype.type(0))
            return r if a == 1.0 else r * g.dtype.type(a)
        return _xp(g).where(mask, g if a == 1.0 else g * g.dtype.type(a), g * g.dtype.type(b))

    def backward(self, gg):
        src, = self.saved_inputs()
        return (type(self).apply(gg, src, mask=self.mask, a=self.a, b=self.b),
                _zeros_of(src) if self.needs_input_grad[1] else None)


class ThresholdBackward(_MaskedGrad):
    pass


class HardtanhBackward(_MaskedGrad):
    pass


class LeakyReluBackward(_MaskedGrad):
    pass


class HardshrinkBackward(_MaskedGrad):
    pass


class SoftshrinkBackward(_MaskedGrad):
    pass


class HardsigmoidBackward(_MaskedGrad):
    pass


def _relu_np(x):
    return np.maximum(x, x.dtype.type(0))


class Relu(Op):
    lean = (_relu_np, "out")   # see autograd.op.lean_unary

    def forward(self, x):
        if x.dtype.kind in "bc":   # torch's relu refuses bool and complex inputs
            if x.dtype.kind == "b":
                raise RuntimeError("Boolean inputs not supported for relu")
            raise NotImplementedError("clamp is not supported for complex types")
        self.save_outputs(0)
        return _xp(x).maximum(x, x.dtype.type(0))

    def backward(self, grad):
        result, = self.saved_outputs()
        return ThresholdBackward.apply(grad, result, mask=result._data > 0)

    def vjp(self, grad):
        r = self.saved_outputs()[0]._data
        return run_forward(ThresholdBackward, grad, r, mask=r > 0)


class Threshold(Op):
    def forward(self, x, threshold=0.0, value=0.0):
        self.save_inputs(0)
        self.threshold = threshold
        return _xp(x).where(x > threshold, x, x.dtype.type(value))

    def backward(self, grad):
        x, = self.saved_inputs()
        return ThresholdBackward.apply(grad, x, mask=x._data > self.threshold)


class Hardtanh(Op):
    def forward(self, x, min_val=-1.0, max_val=1.0):
        self.save_inputs(0)
        self.lo, self.hi = min_val, max_val
        return _xp(x).clip(x, x.dtype.type(min_val), x.dtype.type(max_val))

    def backward(self, grad):
        x, = self.saved_inputs()
        d = x._data
        return HardtanhBackward.apply(grad, x, mask=(d > self.lo) & (d < self.hi))


class LeakyRelu(Op):
    def forward(self, x, negative_slope=0.01):
        self.save_inputs(0)
        self.slope = negative_slope
        return _xp(x).where(x > 0, x, x * x.dtype.type(negative_slope))

    def backward(self, grad):
        x, = self.saved_inputs()
        return LeakyReluBackward.apply(grad, x, mask=x._data > 0, a=1.0, b=self.slope)


class Hardshrink(Op):
    def forward(self, x, lambd=0.5):
        self.save_inputs(0)
        self.lambd = lambd
        return _xp(x).where((x >= -lambd) & (x <= lambd), x.dtype.type(0), x)

    def backward(self, grad):
        x, = self.saved_inputs()
        d = x._data
        return HardshrinkBackward.apply(grad, x, mask=~((d >= -self.lambd) &
                                                        (d <= self.lambd)))


class Softshrink(Op):
    def forward(self, x, lambd=0.5):
        self.save_inputs(0)
        self.lambd = lambd
        xp = _xp(x)
        lam = x.dtype.type(lambd)
        return xp.where(x > lam, x - lam, xp.where(x < -lam, x + lam, x.dtype.type(0)))

    def backward(self, grad):
        x, = self.saved_inputs()
        d = x._data
        return SoftshrinkBackward.apply(grad, x, mask=(d > self.lambd) | (d < -self.lambd))


class Hardsigmoid(Op):
    def forward(self, x):
        self.save_inputs(0)
        xp = _xp(x)
        t = x.dtype.type
        return xp.clip(x + t(3), t(0), t(6)) / t(6)

    def backward(self, grad):
        x, = self.saved_inputs()
        d = x._data
        return HardsigmoidBackward.apply(grad, x, mask=(d > -3) & (d < 3), a=1 / 6)


# ---- smooth activations: backward = grad * f'(x), f' written with ember ops ---------------------

class Elu(Op):
    """elu/selu (alpha, scale, input_scale); Celu is the same op under its own name."""

    def forward(self, x, alpha=1.0, scale=1.0, input_scale=1.0):
        self.save_inputs(0)
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale
        xp = _xp(x)
        t = x.dtype.type
        neg = xp.expm1(x * t(input_scale)) * t(alpha * scale)
        return xp.where(x > 0, x * t(scale), neg)

    def backward(self, grad):
        x, = self.saved_inputs()
        pos = grad * self.scale
        neg = grad * ((x * self.input_scale).exp() * (self.alpha * self.scale * self.input_scale))
        return pos.where(x > 0, neg)


class Celu(Elu):
    pass


@opmath
class Gelu(Op):
    def forward(self, x, approximate="none"):
        self.save_inputs(0)
        self.approximate = approximate
        xp = _xp(x)
        t = x.dtype.type
        if approximate == "tanh":
            inner = t(math.sqrt(2 / math.pi)) * (x + t(0.044715) * x * x * x)
            return t(0.5) * x * (t(1) + xp.tanh(inner))
        return x * (t(0.5) * (t(1) + _erf(x * t(1 / math.sqrt(2))).astype(x.dtype)))

    def backward(self, grad):
        x, = self.saved_inputs()
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            x2 = x * x
            inner = (x + 0.044715 * x2 * x) * k
            th = inner.tanh()
            dinner = (1 + 0.134145 * x2) * k
            return grad * (0.5 * (1 + th) + 0.5 * x * (1 - th * th) * dinner)
        cdf = 0.5 * (1 + (x * (1 / math.sqrt(2))).erf())
        pdf = (x * x * -0.5).exp() * (1 / math.sqrt(2 * math.pi))
        return grad * (cdf + x * pdf)


class Silu(Op):
    def forward(self, x):
        self.save_inputs(0)
        xp = _xp(x)
        return x * xp.reciprocal(x.dtype.type(1) + xp.exp(-x))

    def backward(self, grad):
        x, = self.saved_inputs()
        s = x.sigmoid()
        return grad * (s * (1 + x * (1 - s)))


def _softplus_arr(x, beta=1.0, threshold=20.0):
    xp = _xp(x)
    t = x.dtype.type
    bx = x * t(beta) if beta != 1 else x
    # log1p(exp(bx)) computed without overflow: max(bx,0) + log1p(exp(-|bx|))
    sp = (xp.maximum(bx, t(0)) + xp.log1p(xp.exp(-xp.abs(bx))))
    if beta != 1:
        sp = sp / t(beta)
    return xp.where(bx > threshold, x, sp)


class Mish(Op):
    def forward(self, x):
        self.save_inputs(0)
        return x * _xp(x).tanh(_softplus_arr(x))

    def backward(self, grad):
        x, = self.saved_inputs()
        tsp = softplus(x).tanh()
        return grad * (tsp + x * x.sigmoid() * (1 - tsp * tsp))


class Hardswish(Op):
    def forward(self, x):
        self.save_inputs(0)
        xp = _xp(x)
        t = x.dtype.type
        return x * xp.clip(x + t(3), t(0), t(6)) / t(6)

    def backward(self, grad):
        x, = self.saved_inputs()
        d = x._data
        mid = grad * (x / 3 + 0.5)
        z = grad.new_zeros(())
        return grad.where(_wrap(d > 3), mid).where(_wrap(d >= -3), z)


class Softplus(Op):
    def forward(self, x, beta=1.0, threshold=20.0):
        self.save_inputs(0)
        self.beta, self.threshold = beta, threshold
        return _softplus_arr(x, beta, threshold)

    def backward(self, grad):
        x, = self.saved_inputs()
        bx = x * self.beta
        return grad.where(bx > self.threshold, grad * bx.sigmoid())


def softplus(x, beta=1.0, threshold=20.0):
    return Softplus.apply(x, beta=beta, threshold=threshold)


class LogSigmoid(Op):
    node_name = "LogSigmoidBackward0"

    def forward(self, x):
        self.save_inputs(0)
        xp = _xp(x)
        t = x.dtype.type
        return xp.minimum(x, t(0)) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * (-x).sigmoid()


class Glu(Op):
    def forward(self, x, dim=-1):
        self.save_inputs(0)
        self.dim = dim
        xp = _xp(x)
        a, b = xp.split(x, 2, axis=dim)
        return a * xp.reciprocal(x.dtype.type(1) + xp.exp(-b))

    def backward(self, grad):
        x, = self.saved_inputs()
        a, b = x.chunk(2, self.dim)
        s = b.sigmoid()
        from .shape import cat
        return cat([grad * s, grad * a * s * (1 - s)], self.dim)


class PreluKernel(Op):
    """prelu with the weight already broadcast to the input's layout (torch's _prelu_kernel)."""

    def forward(self, x, w):
        self.save_inputs(0, 1)
        return _xp(x).where(x > 0, x, w * x)

    def backward(self, grad):
        x, w = self.saved_inputs()
        pos = x > 0
        gx = grad.where(pos, grad * w) if self.needs_input_grad[0] else None
        gw = None
        if self.needs_input_grad[1]:
            gw = sum_to(grad.where(~pos, grad.new_zeros(())) * x, w.shape)
        return gx, gw


class RreluWithNoise(Op):
    """rrelu: negative inputs scaled by a per-element slope (random in training)."""

    def forward(self, x, noise=None):
        self.noise = noise
        return _xp(x).where(x >= 0, x, x * noise) if noise is not None else x

    def backward(self, grad):
        return grad * _wrap(self.noise)


# ---- softmax family ---------------------------------------------------------------------------

# Rows holding +-inf come out NaN, exactly as from torch's kernels (x - max is NaN there).

def _softmax_arr(x, dim):
    xp = _xp(x)
    e = xp.exp(x - x.max(axis=dim, keepdims=True))
    e /= e.sum(axis=dim, keepdims=True)
    return e


def _log_softmax_arr(x, dim):
    xp = _xp(x)
    s = x - x.max(axis=dim, keepdims=True)
    s -= xp.log(xp.exp(s).sum(axis=dim, keepdims=True))
    return s


@opmath
class Softmax(Op):
    def forward(self, x, dim=-1):
        self.save_outputs(0)
        self.dim = dim
        if x.ndim == 0:
            return _xp(x).ones_like(x)
        return _softmax_arr(x, dim)

    def backward(self, grad):
        result, = self.saved_outputs()
        if not result.ndim:
            return grad * 0
        return SoftmaxBackwardData.apply(grad, result, dim=self.dim)

    def vjp(self, grad):
        r = self.saved_outputs()[0]._data
        if not r.ndim:
            return grad * 0
        return run_forward(SoftmaxBackwardData, grad, r, dim=self.dim)


@opmath
class SoftmaxBackwardData(Op):
    """result * (grad - sum(grad * result, dim)): the softmax vjp as one node."""

    def forward(self, g, r, dim=-1):
        self.save_inputs(0, 1)
        self.dim = dim
        return r * (g - (g * r).sum(axis=dim, keepdims=True))

    def backward(self, gg):
        g, r = self.saved_inputs()
        d = self.dim
        ggr = gg * r
        s_ggr = ggr.sum(d, keepdim=True)
        gg_g = (ggr - r * s_ggr) if self.needs_input_grad[0] else None
        gg_r = None
        if self.needs_input_grad[1]:
            gg_r = gg * (g - (g * r).sum(d, keepdim=True)) - g * s_ggr
        return gg_g, gg_r


@opmath
class LogSoftmax(Op):
    def forward(self, x, dim=-1):
        self.save_outputs(0)
        self.dim = dim
        if x.ndim == 0:
            return _xp(x).zeros_like(x)
        return _log_softmax_arr(x, dim)

    def backward(self, grad):
        result, = self.saved_outputs()
        if not result.ndim:
            return grad * 0
        return LogSoftmaxBackwardData.apply(grad, result, dim=self.dim)

    def vjp(self, grad):
        r = self.saved_outputs()[0]._data
        if not r.ndim:
            return grad * 0
        return run_forward(LogSoftmaxBackwardData, grad, r, dim=self.dim)


@opmath
class LogSoftmaxBackwardData(Op):
    """grad - exp(result) * sum(grad, dim): the log_softmax vjp as one node."""

    def forward(self, g, r, dim=-1):
        self.save_inputs(0, 1)
        self.dim = dim
        return g - _xp(r).exp(r) * g.sum(axis=dim, keepdims=True)

    def backward(self, gg):
        g, r = self.saved_inputs()
        d = self.dim
        e = r.exp()
        gg_g = (gg - (gg * e).sum(d, keepdim=True)) if self.needs_input_grad[0] else None
        gg_r = (-gg * e * g.sum(d, keepdim=True)) if self.needs_input_grad[1] else None
        return gg_g, gg_r


# ---- losses -----------------------------------------------------------------------------------

_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _reduce_arr(loss, reduction):
    if reduction == "mean":
        return loss.mean(dtype=loss.dtype) if loss.size else _xp(loss).asarray(
            np.nan, loss.dtype)
    if reduction == "sum":
        return loss.sum(dtype=loss.dtype)
    return loss


def _reduce_grad(grad, shape, reduction, n=None):
    """The gradient of reduce(loss) w.r.t. loss, shaped like loss (differentiable in grad)."""
    if reduction == "none":
        return grad
    if reduction == "mean":
        count = n if n is not None else int(np.prod(shape))
        grad = grad / count
    return grad.expand(shape)


class NllLoss(Op):
    """-w[t] * x[t] per sample (class dim 1), reduced; ignore_index entries weigh 0."""
    edge_inputs = 1   # target and weight are not differentiable: torch gives them no edge

    def forward(self, x, target, weight=None, reduction="mean", ignore_index=-100):
        self.save_inputs(1, 2)
        xp = _xp(x)
        self.reduction = reduction
        self.ignore_index = ignore_index
        self.in_shape = x.shape
        t = target
        if x.ndim == 2 and weight is None and reduction != "none":
            # the common case: no class weights; ignored targets only if present
            valid = t != ignore_index
            nvalid = int(xp.count_nonzero(valid))
            if nvalid == t.size:
                picked = x[xp.arange(x.shape[0]), t]
            else:
                picked = x[xp.arange(x.shape[0]), xp.where(valid, t, 0)] * valid
            total = -picked.sum(dtype=x.dtype)
            if reduction == "sum":
                return total
            self.total_weight = x.dtype.type(nvalid)
            return (total / self.total_weight).astype(x.dtype)
        valid = t != ignore_index
        tc = xp.where(valid, t, 0) if ignore_index is not None else t
        if x.ndim == 1:
            picked = x[tc]
        elif x.ndim == 2:
            picked = x[xp.arange(x.shape[0]), tc]
        else:
            picked = xp.take_along_axis(x, xp.expand_dims(tc, 1), axis=1).squeeze(1)
        w = valid.astype(x.dtype)
        if weight is not None:
            w = w * weight[tc]
        loss = -picked * w
        if reduction == "none":
            return loss
        if reduction == "sum":
            return loss.sum(dtype=x.dtype)
        total = w.sum(dtype=x.dtype)
        self.total_weight = total
        return (loss.sum(dtype=x.dtype) / total).astype(x.dtype)

    def backward(self, grad):
        target, weight = self.saved_inputs()
        return NllLossBackwardData.apply(
            grad, target, weight, in_shape=self.in_shape, reduction=self.reduction,
            ignore_index=self.ignore_index,
            total_weight=getattr(self, "total_weight", None)), None, None

    def vjp(self, grad):
        target, weight = self.saved_inputs()
        return run_forward(
            NllLossBackwardData, grad, target._data, None if weight is None else weight._data,
            in_shape=self.in_shape, reduction=self.reduction, ignore_index=self.ignore_index,
            total_weight=getattr(self, "total_weight", None)), None, None


class NllLoss2d(NllLoss):
    node_name = "NllLoss2DBackward0"


class NllLossBackwardData(Op):
    """Scatter -w[t] * grad into the target class positions (linear in grad)."""
    node_name = "NllLossBackwardBackward0"

    def forward(self, g, target, weight=None, in_shape=(), reduction="mean", ignore_index=-100,
                total_weight=None):
        self.save_inputs(1, 2)
        self.params = (in_shape, reduction, ignore_index, total_weight)
        xp = _xp(g)
        t = target
        valid = t != ignore_index
        tc = xp.where(valid, t, 0)
        w = valid.astype(g.dtype)
        if weight is not None:
            w = w * weight[tc]
        if reduction == "mean":
            w = w / total_weight
        val = -(w * g)  # g is 0-dim for mean/sum, t-shaped for none
        out = xp.zeros(in_shape, g.dtype)
        if len(in_shape) == 1:
            out[tc] = val
        elif len(in_shape) == 2:
            out[xp.arange(in_shape[0]), tc] = val
        else:
            xp.put_along_axis(out, xp.expand_dims(tc, 1),
                              xp.expand_dims(xp.broadcast_to(val, tc.shape), 1), axis=1)
        return out

    def backward(self, gg):
        target, weight = self.saved_inputs()
        in_shape, reduction, ignore_index, total_weight = self.params
        # the output picks gg at the target positions, weighted like forward
        return NllLoss.apply(gg, target, weight, reduction=reduction,
                             ignore_index=ignore_index), None, None


@opmath
class MseLoss(Op):
    def forward(self, x, y, reduction="mean"):
        self.save_inputs(0, 1)
        self.reduction = reduction
        d = x - y
        return _reduce_arr(d * d, reduction)

    def backward(self, grad):
        x, y = self.saved_inputs()
        shape = np.broadcast_shapes(x.shape, y.shape)
        g = _reduce_grad(grad, shape, self.reduction) * (2 * (x - y))
        return (sum_to(g, x.shape) if self.needs_input_grad[0] else None,
                sum_to(-g, y.shape) if self.needs_input_grad[1] else None)


class SmoothL1Loss(Op):
    def forward(self, x, y, reduction="mean", beta=1.0):
        self.save_inputs(0, 1)
        self.reduction, self.beta = reduction, beta
        xp = _xp(x)
        d = xp.abs(x - y)
        t = d.dtype.type
        if beta == 0:
            loss = d
        else:
            loss = xp.where(d < beta, t(0.5) * d * d / t(beta), d - t(0.5 * beta))
        return _reduce_arr(loss, reduction)

    def backward(self, grad):
        x, y = self.saved_inputs()
        shape = np.broadcast_shapes(x.shape, y.shape)
        d = x - y
        if self.beta == 0:
            dl = d.sign()
        else:
            dl = (d / self.beta).where(d.abs() < self.beta, d.sign())
        g = _reduce_grad(grad, shape, self.reduction) * dl
        return (sum_to(g, x.shape) if self.needs_input_grad[0] else None,
                sum_to(-g, y.shape) if self.needs_input_grad[1] else None)


class HuberLoss(Op):
    def forward(self, x, y, reduction="mean", delta=1.0):
        self.save_inputs(0, 1)
        self.reduction, self.delta = reduction, delta
        xp = _xp(x)
        d = xp.abs(x - y)
        t = d.dtype.type
        loss = xp.where(d < delta, t(0.5) * d * d, t(delta) * (d - t(0.5 * delta)))
        return _reduce_arr(loss, reduction)

    def backward(self, grad):
        x, y = self.saved_inputs()
        shape = np.broadcast_shapes(x.shape, y.shape)
        d = x - y
        dl = d.where(d.abs() < self.delta, d.sign() * self.delta)
        g = _reduce_grad(grad, shape, self.reduction) * dl
        return (sum_to(g, x.shape) if self.needs_input_grad[0] else None,
                sum_to(-g, y.shape) if self.needs_input_grad[1] else None)


class BinaryCrossEntropy(Op):
    """-(y log p + (1-y) log(1-p)) * w with each log clamped at -100, as torch does."""

    def forward(self, p, y, weight=None, reduction="mean"):
        self.save_inputs(0, 1, 2)
        self.reduction = reduction
        xp = _xp(p)
        t = p.dtype.type
        lp = xp.maximum(xp.log(p), t(-100))
        l1p = xp.maximum(xp.log1p(-p), t(-100))
        loss = -(y * lp + (t(1) - y) * l1p)
        if weight is not None:
            loss = loss * weight
        return _reduce_arr(loss, reduction)

    def backward(self, grad):
        p, y, w = self.saved_inputs()
        g = _reduce_grad(grad, p.shape, self.reduction)
        eps = 1e-12
        # torch: grad * (p - y) / max((1 - p) * p, eps)
        dp = (p - y) / ((1 - p) * p).clamp_min(eps)
        if w is not None:
            dp = dp * w
        gy = None
        if self.needs_input_grad[1]:
            gy = g * ((1 - p).log().clamp_min(-100) - p.log().clamp_min(-100))
            if w is not None:
                gy = gy * w
        return g * dp, gy, None


class BinaryCrossEntropyWithLogits(Op):
    """(1-y) x + (1 + (pw-1) y) * log(1 + exp(-x)), computed stably, times weight."""

    def forward(self, x, y, weight=None, pos_weight=None, reduction="mean"):
        self.save_inputs(0, 1, 2, 3)
        self.reduction = reduction
        xp = _xp(x)
        t = x.dtype.type
        # log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|))
        lse = xp.maximum(-x, t(0)) + xp.log1p(xp.exp(-xp.abs(x)))
        if pos_weight is not None:
            lw = t(1) + (pos_weight - t(1)) * y
            loss = (t(1) - y) * x + lw * lse
        else:
            loss = (t(1) - y) * x + lse
        if weight is not None:
            loss = loss * weight
        self.shape = loss.shape
        return _reduce_arr(loss, reduction)

    def backward(self, grad):
        x, y, w, pw = self.saved_inputs()
        g = _reduce_grad(grad, self.shape, self.reduction)
        s = x.sigmoid()
        if pw is not None:
            # d/dx = (pw*y + 1 - y) * s - pw*y
            dx = ((pw * y + 1 - y) * s - pw * y)
        else:
            dx = s - y
        if w is not None:
            dx = dx * w
        gx = sum_to(g * dx, x.shape) if self.needs_input_grad[0] else None
        gy = None
        if self.needs_input_grad[1]:
            dy = -x
            if pw is not None:
                dy = dy - (pw - 1) * LogSigmoid.apply(x)
            if w is not None:
                dy = dy * w
            gy = sum_to(g * dy, y.shape)
        return gx, gy, None, None


class SoftMarginLoss(Op):
    def forward(self, x, y, reduction="mean"):
        self.save_inputs(0, 1)
        self.reduction = reduction
        xp = _xp(x)
        z = -y * x
        t = x.dtype.type
        loss = xp.maximum(z, t(0)) + xp.log1p(xp.exp(-xp.abs(z)))
        return _reduce_arr(loss, reduction)

    def backward(self, grad):
        x, y = self.saved_inputs()
        g = _reduce_grad(grad, x.shape, self.reduction)
        z = -y * x
        gx = g * (-y) * z.sigmoid() if self.needs_input_grad[0] else None
        gy = g * (-x) * z.sigmoid() if self.needs_input_grad[1] else None
        return gx, gy


class MultiMarginLoss(Op):
    """sum_{j != y} max(0, margin - x[y] + x[j])^p * w[y] / C per sample."""

    def forward(self, x, target, weight=None, p=1, margin=1.0, reduction="mean"):
        self.save_inputs(0, 1, 2)
        self.p, self.margin, self.reduction = p, margin, reduction
        xp = _xp(x)
        x2 = x.reshape(1, -1) if x.ndim == 1 else x
        t = target.reshape(-1)
        n, c = x2.shape
        xt = x2[xp.arange(n), t][:, None]
        m = x2.dtype.type(margin) - xt + x2
        m = xp.maximum(m, 0)
        if p == 2:
            m = m * m
        if weight is not None:
            m = m * weight[t][:, None]
        m[xp.arange(n), t] = 0
        loss = m.sum(axis=1) / x2.dtype.type(c)
        if x.ndim == 1:
            loss = loss.reshape(())
        return _reduce_arr(loss, reduction)

    def backward(self, grad):
        x, target, weight = self.saved_inputs()
        xd = x._data.reshape(1, -1) if x.ndim == 1 else x._data
        xp = _xp(xd)
        t = target._data.reshape(-1)
        n, c = xd.shape
        xt = xd[xp.arange(n), t][:, None]
        m = self.margin - xt + xd
        active = m > 0
        active[xp.arange(n), t] = False
        coef = active.astype(xd.dtype)
        if self.p == 2:
            coef = coef * 2 * m
        if weight is not None:
            coef = coef * weight._data[t][:, None]
        coef = coef / c
        gsum = coef.sum(axis=1)
        coef[xp.arange(n), t] = -gsum
        g = _reduce_grad(grad, (n,) if x.ndim > 1 else (), self.reduction)
        if x.ndim == 1:
            return g * _wrap(coef.reshape(-1)), None, None
        return g.reshape(-1, 1) * _wrap(coef), None, None


# ---- shuffles -----------------------------------------------------------------------------------

class PixelShuffle(Op):
    def forward(self, x, upscale_factor=1):
        r = upscale_factor
        self.r = r
        *lead, c, h, w = x.shape
        oc = c // (r * r)
        y = x.reshape(*lead, oc, r, r, h, w)
        n = len(lead)
        perm = tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2)
        return _xp(x).ascontiguousarray(y.transpose(perm)).reshape(*lead, oc, h * r, w * r)

    def backward(self, grad):
        return PixelUnshuffle.apply(grad, downscale_factor=self.r)


class PixelUnshuffle(Op):
    def forward(self, x, downscale_factor=1):
        r = downscale_factor
        self.r = r
        *lead, c, h, w = x.shape
        oh, ow = h // r, w // r
        y = x.reshape(*lead, c, oh, r, ow, r)
        n = len(lead)
        perm = tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3)
        return _xp(x).ascontiguousarray(y.transpose(perm)).reshape(*lead, c * r * r, oh, ow)

    def backward(self, grad):
        return PixelShuffle.apply(grad, upscale_factor=self.r)


class ChannelShuffle(Op):
    def forward(self, x, groups=1):
        self.groups = groups
        n, c = x.shape[:2]
        rest = x.shape[2:]
        y = x.reshape(n, groups, c // groups, *rest).swapaxes(1, 2)
        return _xp(x).ascontiguousarray(y).reshape(x.shape)

    def backward(self, grad):
        c = grad.shape[1]
        return ChannelShuffle.apply(grad, groups=c // self.groups)


# ---- padding ------------------------------------------------------------------------------------

def _pad_width(ndim, pad):
    """torch's pad list (last dim first, (left, right) pairs) -> numpy pad_width."""
    pw = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        pw[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return pw


class ConstantPadNd(Op):
    """Constant padding; negative pads crop (as torch allows)."""

    def forward(self, x, pad=(), value=0.0):
        self.pad = pad
        self.in_shape = x.shape
        xp = _xp(x)
        pw = _pad_width(x.ndim, pad)
        crop = tuple(slice(max(-a, 0), s - max(-b, 0)) for (a, b), s in zip(pw, x.shape))
        x = x[crop]
        pw = [(max(a, 0), max(b, 0)) for a, b in pw]
        if all(a == 0 and b == 0 for a, b in pw):
            return x.copy()
        out_shape = tuple(s + a + b for s, (a, b) in zip(x.shape, pw))
        out = xp.full(out_shape, value, dtype=x.dtype)
        out[tuple(slice(a, a + s) for s, (a, _) in zip(x.shape, pw))] = x
        return out

    def backward(self, grad):
        return ConstantPadNd.apply(grad, pad=tuple(-p for p in self.pad), value=0.0)


def _edge_index(n, left, right, mode):
    """Source index along one dim for reflect/replicate/circular padding of size n."""
    idx = np.arange(-left, n + right)
    if mode == "replicate":
        return np.clip(idx, 0, n - 1)
    if mode == "circular":
        return idx % n
    # reflect (no edge repeat): period 2(n-1)
    if n == 1:
        return np.zeros_like(idx)
    period = 2 * (n - 1)
    m = np.abs(idx) % period
    return np.where(m >= n, period - m, m)


class _IndexPad(Op):
    """reflect / replicate / circular padding of the last len(pad)//2 dims via gathered indices;
    backward adds the gradient back into the source positions (np.add.at per dim)."""
    mode = "reflect"

    def forward(self, x, pad=()):
        self.save_inputs(0)
        self.in_shape = x.shape
        self.pad = pad
        xp = _xp(x)
        k = len(pad) // 2
        self.idx = []
        out = x
        for i in range(k):
            ax = x.ndim - 1 - i
            left, right = pad[2 * i], pad[2 * i + 1]
            ix = _edge_index(out.shape[ax], left, right, self.mode)
            self.idx.append((ax, ix))
            out = xp.take(out, xp.asarray(ix), axis=ax)
        return out

    def backward(self, grad):
        x, = self.saved_inputs()
        return _IndexPadBackward.apply(grad, x, fwd=self)


class _IndexPadBackward(Op):
    node_name = "PadBackwardBackward0"

    def forward(self, g, src=None, fwd=None):
        self.save_inputs(1)
        self.fwd = fwd
        xp = _xp(g)
        # undo the per-dim gathers in reverse order, accumulating repeated sources
        for ax, ix in reversed(fwd.idx):
            n = int(ix.max()) + 1 if ix.size else 0
            # size of that dim before gathering
            n = fwd.in_shape[ax]
            moved = xp.moveaxis(g, ax, 0)
            acc = xp.zeros((n,) + moved.shape[1:], g.dtype)
            xp.add.at(acc, xp.asarray(ix), moved)
            g = xp.moveaxis(acc, 0, ax)
        return xp.ascontiguousarray(g)

    def backward(self, gg):
        src, = self.saved_inputs()
        return (type(self.fwd).apply(gg, pad=self.fwd.pad),
                _zeros_of(src) if self.needs_input_grad[1] else None)


class ReflectionPad1D(_IndexPad):
    mode = "reflect"


class ReflectionPad2D(_IndexPad):
    mode = "reflect"


class ReflectionPad3D(_IndexPad):
    mode = "reflect"


class ReplicationPad1D(_IndexPad):
    mode = "replicate"


class ReplicationPad2D(_IndexPad):
    mode = "replicate"


class ReplicationPad3D(_IndexPad):
    mode = "replicate"


class CircularPad(_IndexPad):
    # torch builds circular padding from slices and copies (grad_fn CopySlices)
    node_name = "CopySlices"
    mode = "circular"

    def name(self):
        return "CopySlices"


# ---- upsampling --------------------------------------------------------------------------------

def _nearest_src(out_size, in_size, scale, exact):
    """Source indices of nearest / nearest-exact interpolation along one dim."""
    # torch computes the scale and the source coordinate in float32
    s = np.float32(1.0 / scale) if scale else np.float32(in_size) / np.float32(out_size)
    d = np.arange(out_size, dtype=np.float32)
    src = np.floor((d + np.float32(0.5)) * s) if exact else np.floor(d * s)
    return np.minimum(src.astype(np.int64), in_size - 1)


def _area_scale(in_size, out_size, align_corners, scale):
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    return (1.0 / scale) if scale else in_size / out_size


def _linear_weights(out_size, in_size, align_corners, scale, dtype):
    """(i0, i1, w0, w1) for linear interpolation along one dim, torch's coordinate rules."""
    s = _area_scale(in_size, out_size, align_corners, scale)
    d = np.arange(out_size, dtype=np.float64)
    if align_corners:
        src = d * s
    else:
        src = np.maximum((d + 0.5) * s - 0.5, 0.0)
    src = src.astype(dtype)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    l1 = (src - i0).astype(dtype)
    l0 = (1 - l1).astype(dtype)
    return i0, i1, l0, l1


def _cubic_weights(out_size, in_size, align_corners, scale, dtype):
    s = _area_scale(in_size, out_size, align_corners, scale)
    d = np.arange(out_size, dtype=np.float64)
    src = d * s if align_corners else (d + 0.5) * s - 0.5
    src = src.astype(dtype)
    i = np.floor(src).astype(np.int64)
    t = (src - i).astype(dtype)
    A = dtype.type(-0.75)

    def c1(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def c2(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    ws = [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)]
    idx = [np.clip(i + k, 0, in_size - 1) for k in (-1, 0, 1, 2)]
    return idx, ws


class _Upsample(Op):
    """Separable resampling of the trailing spatial dims: out = (M_d ... M_1) x, where each M is
    a sparse (out, in) interpolation matrix applied along one dim; backward applies M^T."""

    def forward(self, x, mats=None):
        self.mats = mats
        self.in_shape = x.shape
        xp = _xp(x)
        out = x
        nsp = len(mats)
        for k, m in enumerate(mats):
            ax = x.ndim - nsp + k
            out = xp.moveaxis(xp.tensordot(xp.asarray(m), out, axes=([1], [ax])), 0, ax)
        return xp.ascontiguousarray(out)

    def backward(self, grad):
        return _UpsampleT.apply(grad, mats=self.mats, fwd_cls=type(self))


class _UpsampleT(Op):
    node_name = "UpsampleBackwardBackward0"

    def forward(self, g, mats=None, fwd_cls=None):
        self.mats, self.fwd_cls = mats, fwd_cls
        xp = _xp(g)
        nsp = len(mats)
        for k, m in enumerate(mats):
            ax = g.ndim - nsp + k
            g = xp.moveaxis(xp.tensordot(xp.asarray(m.T), g, axes=([1], [ax])), 0, ax)
        return xp.ascontiguousarray(g)

    def backward(self, gg):
        return self.fwd_cls.apply(gg, mats=self.mats)


class _UpsampleGather(Op):
    """Nearest-neighbour upsampling as gathers (exact; no multiplications)."""

    def forward(self, x, idx=None):
        self.idx = idx
        self.in_shape = x.shape
        xp = _xp(x)
        out = x
        nsp = len(idx)
        for k, ix in enumerate(idx):
            out = xp.take(out, xp.asarray(ix), axis=x.ndim - nsp + k)
        return out

    def backward(self, grad):
        return _UpsampleGatherT.apply(grad, fwd=self)


class _UpsampleGatherT(Op):
    node_name = "UpsampleNearestBackwardBackward0"

    def forward(self, g, fwd=None):
        self.fwd = fwd
        xp = _xp(g)
        nsp = len(fwd.idx)
        for k in reversed(range(nsp)):
            ix = fwd.idx[k]
            ax = g.ndim - nsp + k
            n = fwd.in_shape[ax]
            moved = xp.moveaxis(g, ax, 0)
            acc = xp.zeros((n,) + moved.shape[1:], g.dtype)
            xp.add.at(acc, xp.asarray(ix), moved)
            g = xp.moveaxis(acc, 0, ax)
        return xp.ascontiguousarray(g)

    def backward(self, gg):
        return type(self.fwd).apply(gg, idx=self.fwd.idx)


class UpsampleNearest1D(_UpsampleGather):
    pass


class UpsampleNearest2D(_UpsampleGather):
    pass


class UpsampleNearest3D(_UpsampleGather):
    pass


class UpsampleNearestExact1D(_UpsampleGather):
    pass


class UpsampleNearestExact2D(_UpsampleGather):
    pass


class UpsampleNearestExact3D(_UpsampleGather):
    pass


class UpsampleLinear1D(_Upsample):
    pass


class UpsampleBilinear2D(_Upsample):
    pass


class UpsampleTrilinear3D(_Upsample):
    pass


class UpsampleBicubic2D(_Upsample):
    pass


def linear_matrix(out_size, in_size, align_corners, scale, dtype):
    """The (out, in) matrix of 1-D linear interpolation."""
    i0, i1, l0, l1 = _linear_weights(out_size, in_size, align_corners, scale, dtype)
    m = np.zeros((out_size, in_size), dtype)
    r = np.arange(out_size)
    np.add.at(m, (r, i0), l0)
    np.add.at(m, (r, i1), l1)
    return m


def cubic_matrix(out_size, in_size, align_corners, scale, dtype):
    """The (out, in) matrix of 1-D bicubic (A=-0.75) interpolation, borders clamped."""
    idx, ws = _cubic_weights(out_size, in_size, align_corners, scale, dtype)
    m = np.zeros((out_size, in_size), dtype)
    r = np.arange(out_size)
    for i, w in zip(idx, ws):
        np.add.at(m, (r, i), w.astype(dtype))
    return m


def nearest_index(out_size, in_size, scale, exact):
    return _nearest_src(out_size, in_size, scale, exact)
