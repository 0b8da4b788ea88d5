"""In-place random fills (uniform_, normal_, bernoulli_, random_, exponential_, ...) on
ember._random's torch-identical streams. They overwrite data, so they have no gradient; like
torch, they are allowed on leaves that require grad only under no_grad."""
from __future__ import annotations

import functools

import numpy as np

from .. import _random as R
from .._tensor import Tensor
from ..backend._meta import MetaArray
from .inplace import check_inplace


def _gen(generator):
    return R.default_generator if generator is None else getattr(generator, "_gen", generator)


def _fill(self, arr):
    check_inplace(self)
    d = self._data
    perm = _memory_order(d)
    if perm is not None:
        # torch's kernels draw in memory order: `arr` was drawn for the permuted shape
        arr = arr.reshape([d.shape[i] for i in perm]).transpose(np.argsort(perm))
    if type(d) is not np.ndarray:
        from ..backend import to_device
        arr = to_device(arr, self.device)
    d[...] = arr
    self._bump()
    return self


def _memory_order(d):
    """The dims of d from outermost to innermost in memory, or None if that is C order."""
    if d.ndim < 2 or d.flags.c_contiguous:
        return None
    perm = sorted(range(d.ndim), key=lambda i: (-abs(d.strides[i]) if d.shape[i] > 1 else 0, i))
    return None if perm == list(range(d.ndim)) else perm


def _fresh_shape(self):
    d = self._data
    perm = _memory_order(d)
    return d.shape if perm is None else tuple(d.shape[i] for i in perm)


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kw):
    if "from" in kw:
        from_ = kw.pop("from")
    return _fill(self, R.uniform(_gen(generator), _fresh_shape(self), self._data.dtype,
                                 float(from_), float(to)))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    d = self._data
    if type(d) is np.ndarray and d.dtype == np.float32 and d.flags.c_contiguous and \
            d.flags.writeable:
        # the float32 fill writes straight into the tensor's array (no temporary, no copy)
        check_inplace(self)
        r = R.normal(_gen(generator), d.shape, d.dtype, float(mean), float(std), True, out=d)
        if not np.may_share_memory(r, d):      # under 16 values: the scalar path's new array
            d[...] = r
        self._bump()
        return self
    return _fill(self, R.normal(_gen(generator), _fresh_shape(self), d.dtype,
                                float(mean), float(std), d.flags.c_contiguous))


def bernoulli_(self, p=0.5, *, generator=None):
    g = _gen(generator)
    if isinstance(p, Tensor):
        arr = R.bernoulli_tensor(g, np.broadcast_to(p._data, self._data.shape), self._data.dtype)
    else:
        arr = R.bernoulli_scalar(g, _fresh_shape(self), float(p), self._data.dtype)
    return _fill(self, arr)


def bernoulli(self, p=None, *, generator=None):
    from .._creation import bernoulli as b
    return b(self, p, generator=generator)


def random_(self, from_=None, to=None, *, generator=None, **kw):
    if "from" in kw:
        from_ = kw.pop("from")
    g = _gen(generator)
    if from_ is not None and to is None:
        from_, to = 0, from_
    if from_ is None:
        arr = R.random_(g, _fresh_shape(self), self._data.dtype)
    else:
        arr = R.random_(g, _fresh_shape(self), self._data.dtype, int(from_),
                        None if to is None else int(to))
    return _fill(self, arr)


def exponential_(self, lambd=1.0, *, generator=None):
    return _fill(self, R.exponential(_gen(generator), _fresh_shape(self), self._data.dtype,
                                     float(lambd)))


def geometric_(self, p, *, generator=None):
    return _fill(self, R.geometric(_gen(generator), _fresh_shape(self), self._data.dtype,
                                   float(p)))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    return _fill(self, R.cauchy(_gen(generator), _fresh_shape(self), self._data.dtype,
                                float(median), float(sigma)))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    return _fill(self, R.log_normal(_gen(generator), _fresh_shape(self), self._data.dtype,
                                    float(mean), float(std)))


def _skip_meta(fill):
    """torch's fills on a meta tensor store nothing and draw no numbers (the generator's
    state is unchanged, so later draws match a run without the meta tensors)."""
    @functools.wraps(fill)
    def wrapper(self, *args, **kwargs):
        if type(self._data) is MetaArray:
            return self
        return fill(self, *args, **kwargs)
    return wrapper


uniform_, normal_, bernoulli_, random_, exponential_, geometric_, cauchy_, log_normal_ = map(
    _skip_meta, (uniform_, normal_, bernoulli_, random_, exponential_, geometric_, cauchy_,
                 log_normal_))


def multinomial(self, num_samples, replacement=False, *, generator=None):
    from .._creation import multinomial as m
    return m(self, num_samples, replacement, generator=generator)
