"""torch.nn.grad: the gradients of conv1d/2d/3d with respect to their input and weight, as
functions (conv{1,2,3}d_input, conv{1,2,3}d_weight). They run the same ConvInputGrad /
ConvWeightGrad ops (ember/ops/conv.py) that Convolution's backward uses, so the results are
differentiable again (grad_fn ConvolutionBackwardBackward0, as torch's)."""
from __future__ import annotations

from ..ops import conv as C

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
           "conv3d_weight"]


def _tuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _cfg(n, stride, padding, dilation, groups):
    pads = tuple((p, p) for p in _tuple(padding, n))
    return (_tuple(stride, n), pads, _tuple(dilation, n), groups)


def _input(n, input_size, weight, grad_output, stride, padding, dilation, groups):
    cfg = _cfg(n, stride, padding, dilation, groups)
    return C.ConvInputGrad.apply(grad_output, weight, in_shape=tuple(input_size), cfg=cfg)


def _weight(n, input, weight_size, grad_output, stride, padding, dilation, groups):
    cfg = _cfg(n, stride, padding, dilation, groups)
    return C.ConvWeightGrad.apply(input, grad_output, w_shape=tuple(weight_size), cfg=cfg)


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of conv1d w.r.t. its input (of shape input_size); see torch.nn.grad."""
    return _input(1, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of conv1d w.r.t. its weight (of shape weight_size); see torch.nn.grad."""
    return _weight(1, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of conv2d w.r.t. its input (of shape input_size); see torch.nn.grad."""
    return _input(2, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of conv2d w.r.t. its weight (of shape weight_size); see torch.nn.grad."""
    return _weight(2, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of conv3d w.r.t. its input (of shape input_size); see torch.nn.grad."""
    return _input(3, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of conv3d w.r.t. its weight (of shape weight_size); see torch.nn.grad."""
    return _weight(3, input, weight_size, grad_output, stride, padding, dilation, groups)
