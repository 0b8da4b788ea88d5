"""torch.distributions.utils: broadcasting of parameters, probs <-> logits, lazy_property."""
from __future__ import annotations

import numbers

import ember as _e

euler_constant = 0.57721566490153286060   # Euler-Mascheroni constant


def _sum_rightmost(value, dim):
    """Sum out the rightmost `dim` dims of value."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1)


def _standard_normal(shape, dtype, device=None):
    """empty(shape).normal_(): the standard normals distributions draw."""
    return _e.empty(shape, dtype=dtype).normal_()


def broadcast_all(*values):
    """Tensors broadcast together; numbers become tensors of the first tensor's dtype (or the
    default dtype)."""
    if not all(isinstance(v, (_e.Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or "
                         "objects implementing __torch_function__.")
    if not all(isinstance(v, _e.Tensor) for v in values):
        dtype = _e.get_default_dtype()
        for v in values:
            if isinstance(v, _e.Tensor):
                dtype = v.dtype
                break
        values = [v if isinstance(v, _e.Tensor) else _e.tensor(v, dtype=dtype) for v in values]
    return _e.broadcast_tensors(*values)


def clamp_probs(probs):
    eps = _e.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    ps = clamp_probs(probs)
    if is_binary:
        return _e.log(ps) - _e.log1p(-ps)
    return _e.log(ps)


def logits_to_probs(logits, is_binary=False):
    if is_binary:
        return _e.sigmoid(logits)
    return _e.nn.functional.softmax(logits, dim=-1)


class lazy_property:
    """A property computed on first use and then kept in the instance's __dict__ (as torch's:
    a distribution's repr lists the parameters computed so far)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with _e.enable_grad():
            value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


def _tril_mask(n, diag):
    arange = _e.arange(n)
    return arange < arange.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat, diag=0):
    """The entries on and below diagonal `diag` of the last two dims, row by row."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag)]


def vec_to_tril_matrix(vec, diag=0):
    """The inverse of tril_matrix_to_vec: a square matrix, zero above diagonal `diag`."""
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1]
                            + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    eps = _e.finfo(vec.dtype).eps
    if round(n) - n > eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be "
                         "expressed as the lower triangular part of a square D x D matrix.")
    n = round(n)
    mat = vec.new_zeros(tuple(vec.shape[:-1]) + (n, n))
    mat[..., _tril_mask(n, diag)] = vec
    return mat
