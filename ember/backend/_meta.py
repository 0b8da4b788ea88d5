"""The 'meta' device, only as far as torch.func's model-ensembling recipe needs it: a tensor
moved to 'meta' keeps its shape and dtype but no data (`MetaArray`), so a module moved there
can serve as the structure for functional_call. Computing on meta tensors (which torch does by
shape propagation) raises NotImplementedError."""
from __future__ import annotations

import numpy as np

_NO_OPS = ("ember's 'meta' tensors carry only a shape and a dtype: they can be moved, printed "
           "and swapped out (torch.func.functional_call), but ember cannot compute with them")


class MetaComputeError(NotImplementedError, AttributeError):
    """Raised for any computation on meta data (an AttributeError too, so hasattr() probes
    of array attributes answer False)."""


class _MetaFlags:
    __slots__ = ("c_contiguous", "f_contiguous")
    writeable = True

    def __init__(self, c, f):
        self.c_contiguous, self.f_contiguous = c, f


class MetaArray:
    """Stands where a tensor's ndarray would: shape and dtype, no storage."""
    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))
    itemsize = property(lambda self: self.dtype.itemsize)
    nbytes = property(lambda self: self.size * self.dtype.itemsize)

    @property
    def strides(self):
        out, step = [], self.dtype.itemsize
        for n in reversed(self.shape):
            out.append(step)
            step *= max(n, 1)
        return tuple(reversed(out))

    @property
    def flags(self):
        # layout checks (memory format, empty_like) see a C-contiguous tensor, as torch's
        # meta tensors made by factories are
        return _MetaFlags(True, self.ndim < 2 or self.size <= 1)

    def astype(self, dtype, copy=True):
        return MetaArray(self.shape, dtype)

    def copy(self, order="C"):
        return MetaArray(self.shape, self.dtype)

    def __deepcopy__(self, memo):
        return self.copy()

    def get(self):
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")

    def __array__(self, *args, **kwargs):
        raise NotImplementedError(_NO_OPS)

    def __array_ufunc__(self, *args, **kwargs):
        raise NotImplementedError(_NO_OPS)

    def __array_function__(self, *args, **kwargs):
        raise NotImplementedError(_NO_OPS)

    def __getattr__(self, name):
        raise MetaComputeError(f"{_NO_OPS} (asked for ndarray.{name})")

    def __getitem__(self, index):
        raise NotImplementedError(_NO_OPS)


def _refuse(self, *args, **kwargs):
    raise NotImplementedError(_NO_OPS)


# Python operators are looked up on the class, past __getattr__: refuse them explicitly
for _op in ("add sub mul truediv floordiv mod pow matmul and or xor lshift rshift").split():
    for _name in (f"__{_op}__", f"__r{_op}__", f"__i{_op}__"):
        setattr(MetaArray, _name, _refuse)
for _name in ("__neg__", "__pos__", "__abs__", "__invert__", "__lt__", "__le__", "__gt__",
              "__ge__", "__bool__", "__float__", "__int__", "__iter__", "__len__",
              "__setitem__"):
    setattr(MetaArray, _name, _refuse)
del _op, _name


def meta_repr(t):
    """torch's repr of a meta tensor: no values, the size and (unlike CPU tensors) any dtype
    other than the default float one."""
    from .. import _dtype as D
    from .._printing import _add_suffixes
    a = t._data
    dtype = D._FROM_NP[a.dtype]
    suffixes = ["device='meta'", f"size={a.shape}"]
    if dtype is not D.get_default_dtype():
        suffixes.append(f"dtype={dtype}")
    fn = t.grad_fn
    if fn is not None:
        suffixes.append(f"grad_fn=<{type(fn).__name__}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    return _add_suffixes("tensor(...", suffixes, len("tensor("))
