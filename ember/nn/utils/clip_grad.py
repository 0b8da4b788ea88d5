"""torch.nn.utils.clip_grad: clip_grad_norm_ / clip_grad_value_ (and their helpers
get_total_norm / clip_grads_with_norm_). Work happens on the gradient arrays in place, under
no_grad, with torch's order of operations (per-tensor norms, then the norm of the norms)."""
from __future__ import annotations

import types
import warnings

import numpy as np

from ..._tensor import Tensor, _wrap
from ...autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def _vector_norm(a, p):
    """||a||_p of a flat array, as a 0-d array of a's dtype."""
    a = a.ravel()
    if p == 2.0:
        r = np.sqrt(np.dot(a, a)) if a.dtype.kind == "f" and a.dtype.itemsize >= 4 else \
            np.sqrt((a.astype(np.float32) ** 2).sum())
    elif p == float("inf"):
        r = np.abs(a).max() if a.size else 0.0
    elif p == -float("inf"):
        r = np.abs(a).min() if a.size else float("inf")
    elif p == 0:
        r = np.count_nonzero(a)
    elif p == 1:
        r = np.abs(a).sum()
    else:
        r = (np.abs(a) ** p).sum() ** (1.0 / p)
    return np.asarray(r, dtype=a.dtype)


def _check_foreach(tensors, foreach):
    if foreach:
        for t in tensors:
            if t.device.type not in ("cpu", "cuda"):
                raise RuntimeError(f"foreach=True was passed, but can't use the foreach API on "
                                   f"{t.device.type} tensors")


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The p-norm of the per-tensor p-norms of `tensors`; see torch.nn.utils.get_total_norm."""
    with no_grad():
        tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
        norm_type = float(norm_type)
        if len(tensors) == 0:
            from ..._creation import tensor
            return tensor(0.0)
        _check_foreach(tensors, foreach)
        dt = tensors[0]._data.dtype
        norms = np.stack([_vector_norm(t._data, norm_type).astype(dt) for t in tensors])
        total = _vector_norm(norms, norm_type)
        if error_if_nonfinite and not np.isfinite(total):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is "
                "non-finite, so it cannot be clipped. To disable this error and scale the "
                "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
        return _wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale each .grad by min(max_norm / (total_norm + 1e-6), 1) in place."""
    with no_grad():
        if isinstance(parameters, Tensor):
            parameters = [parameters]
        grads = [p.grad for p in parameters if p.grad is not None]
        max_norm = float(max_norm)
        if not grads:
            return
        _check_foreach(grads, foreach)
        tn = total_norm._data
        coef = np.minimum(np.asarray(max_norm, tn.dtype) / (tn + np.asarray(1e-6, tn.dtype)),
                          np.asarray(1.0, tn.dtype))
        for g in grads:
            d = g._data
            d *= coef.astype(d.dtype)
            g._bump()


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Rescale gradients so their total p-norm is at most max_norm; returns the total norm."""
    with no_grad():
        if isinstance(parameters, Tensor):
            parameters = [parameters]
        else:
            is_gen = isinstance(parameters, types.GeneratorType)
            parameters = list(parameters)
            if is_gen and len(parameters) == 0:
                warnings.warn("`parameters` is an empty generator, no gradient clipping will "
                              "occur.", stacklevel=3)
        grads = [p.grad for p in parameters if p.grad is not None]
        total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
        clip_grads_with_norm_(parameters, max_norm, total, foreach)
        return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every .grad to [-clip_value, clip_value] in place."""
    with no_grad():
        if isinstance(parameters, Tensor):
            parameters = [parameters]
        clip_value = float(clip_value)
        grads = [p.grad for p in parameters if p.grad is not None]
        _check_foreach(grads, foreach)
        for g in grads:
            d = g._data
            np.clip(d, -clip_value, clip_value, out=d)
            g._bump()
