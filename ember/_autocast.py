"""Autocast state and the casts that ops make under it (torch.autocast's CPU op lists).

`ON[0]` is the one flag hot ops read: True while any autocast region is enabled. Ops in torch's
CPU "lower precision" list (matmul family, linear, convolutions, prelu, attention) call
`lower(...)` on their tensor inputs; ops in its "fp32" list (losses, prod, inverse, trace,
cdist, grid_sample) call `to_fp32(...)`, inline so no wrapper frame shifts warnings. Everything
else runs in whatever dtype it gets. The user-facing context manager is ember.amp.autocast.
"""
from __future__ import annotations

import numpy as np

from . import _dtype as D

ON = [False]
# per device type: [enabled, dtype]
STATE = {"cpu": [False, D.bfloat16], "cuda": [False, D.float16]}
CACHE_ENABLED = [True]
NESTING = [0]
_CACHE = {}   # id(leaf tensor) -> (tensor, cast copy): one cast per weight per region

_F32 = np.dtype(np.float32)
_LOW = frozenset((np.dtype(np.float16), D.bfloat16.np))


def _refresh():
    ON[0] = any(s[0] for s in STATE.values())


def _device_type(t):
    return "cpu" if t._data.__class__ is np.ndarray else "cuda"


def _cast(t, dt):
    from .autograd.grad_mode import GRAD
    cacheable = CACHE_ENABLED[0] and t._rg and t.grad_fn is None and GRAD[0]
    if cacheable:
        hit = _CACHE.get(id(t))
        if hit is not None and hit[0] is t and hit[1].dtype is dt:
            return hit[1]
    r = t.to(dt)
    if cacheable:
        _CACHE[id(t)] = (t, r)
    return r


def lower(*tensors):
    """The tensors cast for an op in the lower-precision list: float32 (and the other reduced
    type) to the autocast dtype of their device; float64 and non-floats are left alone."""
    from ._tensor import Tensor
    out = []
    for t in tensors:
        if isinstance(t, Tensor):
            st = STATE[_device_type(t)]
            if st[0]:
                k = t._data.dtype
                if (k is _F32 or k in _LOW) and k is not st[1].np:
                    t = _cast(t, st[1])
        out.append(t)
    return out


def to_fp32(*tensors):
    """The tensors cast for an op in the fp32 list: float16/bfloat16 to float32."""
    from ._tensor import Tensor
    out = []
    for t in tensors:
        if isinstance(t, Tensor) and t._data.dtype in _LOW and STATE[_device_type(t)][0]:
            t = _cast(t, D.float32)
        out.append(t)
    return out


def clear_cache():
    _CACHE.clear()
