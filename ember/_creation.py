"""Tensor creation: tensor/as_tensor/from_numpy, zeros/ones/empty/full (+_like), arange,
linspace, logspace, eye, and the random constructors (rand, randn, randint, randperm, normal),
which draw from ember._random exactly as torch's CPU generator does.
"""
from __future__ import annotations

import math
import numbers
import operator
import warnings

import numpy as np

from . import _dtype as D
from . import _memory_format as _mf
from . import _random as R
from ._device import device as _device_cls, as_device, cpu as _CPU
from ._size import Size
from ._tensor import Tensor, _wrap
from .backend import module_for, to_device
from .backend._meta import MetaArray
from ._deterministic import fill_uninitialized

_default_device = [None]


def set_default_device(device):
    _default_device[0] = None if device is None else as_device(device)


def get_default_device():
    return _default_device[0] or _CPU


def _dev(device):
    d = as_device(device) if device is not None else _default_device[0]
    if d is not None and d.type == "cuda" and d.index is None:
        d = _device_cls("cuda", 0)
    if d is not None and d.type not in ("cpu", "cuda", "meta"):
        module_for(d)  # raises the right error
    return d


def _is_meta(device):
    """True when a factory call lands on 'meta' (explicitly or by the default device): the
    result then has a shape and dtype but no data, and random factories draw nothing."""
    d = _dev(device)
    return d is not None and d.type == "meta"


def _meta_result(shape, npdt, requires_grad):
    t = _wrap(MetaArray(shape, npdt))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _pin(pin_memory):
    """pin_memory=True: page-locked host memory exists only with an accelerator (as in torch).
    With CUDA present the tensor is allocated normally: CuPy copies from pageable memory."""
    if pin_memory:
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError("pin_memory=True requires a CUDA or other accelerator backend; "
                               "no pinned memory allocator is available on this system.")


def _finish(arr, device, requires_grad, dtype=None):
    d = _dev(device)
    if d is not None and d.type != "cpu":
        arr = to_device(arr, d)
    t = _wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _shape_arg(size):
    """zeros(2, 3) / zeros((2, 3)) / zeros([2, 3]) / zeros(torch.Size) -> tuple of ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = size[0]
    try:
        out = tuple(operator.index(s) for s in size)
    except TypeError:
        bad = next(s for s in size if not hasattr(s, "__index__"))
        raise TypeError(f"empty(): argument 'size' (position 1) must be tuple of ints, but found "
                        f"element of type {type(bad).__name__} at pos 0") from None
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(out)}")
    return out


def _size_kw(size, kw):
    if not size and "size" in kw:
        size = (kw.pop("size"),)
    return _shape_arg(size)


def _dt(dtype):
    if dtype is None:
        return D.get_default_dtype()
    if not isinstance(dtype, D.dtype):
        raise TypeError(f"dtype must be torch.dtype, not {type(dtype).__name__}")
    return dtype


# ---- from data ---------------------------------------------------------------------------

def _first_leaf(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _ragged_error(data, dim=0):
    if isinstance(data, (list, tuple)) and data:
        lens = [len(x) if isinstance(x, (list, tuple)) else None for x in data]
        ref = lens[0]
        for n in lens[1:]:
            if n != ref:
                raise ValueError(f"expected sequence of length {ref} at dim {dim + 1} (got {n})")
        for x in data:
            _ragged_error(x, dim + 1)


_PY_NUMS = (float, int, bool)


def _elem_types(data, ndim):
    """The set of leaf types of a nested list/tuple of depth ndim (C-level iteration)."""
    import itertools
    items = data
    for _ in range(ndim - 1):
        items = itertools.chain.from_iterable(items)
    return set(map(type, items))


def _infer_mixed(data):
    """A nested list holding tensors or NumPy scalars: torch reads each one-element tensor as a
    scalar of its dtype and promotes over all elements (Python float -> default dtype)."""
    dts = []

    def conv(x):
        if isinstance(x, (list, tuple)):
            return [conv(y) for y in x]
        if isinstance(x, Tensor):
            if x._data.size != 1:
                raise ValueError("only one element tensors can be converted to Python scalars")
            dts.append(x.dtype)
            a = x._data
            if type(a) is not np.ndarray:
                from .backend import to_numpy
                a = to_numpy(a)
            return a.reshape(())
        if isinstance(x, (np.generic, np.ndarray)):
            dts.append(D.from_numpy_dtype(x.dtype))
            return x
        if isinstance(x, bool):
            dts.append(D.bool_)
        elif isinstance(x, int):
            dts.append(D.int64)
        elif isinstance(x, float):
            dts.append(D.get_default_dtype())
        elif isinstance(x, complex):
            dts.append(D.default_complex())
        elif isinstance(x, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
        return x

    conv_data = conv(data)
    try:
        arr = np.array(conv_data)
    except ValueError:
        _ragged_error(data)
        raise
    dt = dts[0] if dts else D.get_default_dtype()
    for d in dts[1:]:
        if d is not dt:
            dt = D.promote_types(dt, d)
    if arr.dtype.kind == "O":  # out-of-range Python ints among the elements
        raise ValueError("Overflow when unpacking long long")
    return arr.astype(dt.np, copy=False)


def _infer_array(data):
    """Python data -> ndarray with torch's dtype inference (floats -> default dtype)."""
    if isinstance(data, np.ndarray):
        # a subclass (np.matrix, np.memmap) would survive astype: keep a plain view
        return data if type(data) is np.ndarray else data.view(np.ndarray)
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if isinstance(data, (list, tuple)):
        leaf = _first_leaf(data)
        if isinstance(leaf, str) and leaf:
            # torch sizes nested data along first elements, and a str is a sequence to it
            raise ValueError("too many dimensions 'str'")
        if isinstance(leaf, (Tensor, np.generic)):
            return _infer_mixed(data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", np.exceptions.VisibleDeprecationWarning)
                arr = np.array(data)
        except ValueError:
            _ragged_error(data)
            raise
        if arr.dtype == object:
            # torch infers the dtype element by element: the first non-number decides the
            # error; only then do out-of-range ints fail
            for x in np.ravel(arr):
                if isinstance(x, (str, bytes)):
                    raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
                if not isinstance(x, (numbers.Number, np.generic, Tensor)):
                    raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
            big = next((x for x in np.ravel(arr) if isinstance(x, int)), None)
            raise ValueError("Overflow when unpacking long long") if big is not None else \
                TypeError("new(): invalid data type")
        if arr.dtype.kind in "US":
            raise TypeError(f"new(): invalid data type "
                            f"'{'str' if arr.dtype.kind == 'U' else 'bytes'}'")
        # np.float64 subclasses float: only true Python numbers take the default dtype
        py = type(leaf) in (float, int, complex, bool) or (
            isinstance(leaf, (list, tuple)) and not leaf)
        if arr.size == 0 and arr.dtype == np.float64:
            return arr.astype(D.get_default_dtype().np)
        if py or arr.dtype == np.float64 and not isinstance(leaf, (np.generic, np.ndarray,
                                                                   Tensor)):
            if arr.dtype.kind in "fc" and py and arr.ndim and \
                    not _elem_types(data, arr.ndim) <= {float, int, bool, complex}:
                return _infer_mixed(data)  # a tensor or NumPy scalar after Python numbers
            if arr.dtype.kind == "f":
                return arr.astype(D.get_default_dtype().np)
            if arr.dtype.kind == "c":
                return arr.astype(D.default_complex().np)
        return arr
    if isinstance(data, np.generic):  # before float/complex: np.float64 subclasses float
        return np.array(data)
    if isinstance(data, bool):
        return np.array(data)
    if isinstance(data, int):
        if not -2 ** 63 <= data < 2 ** 63:
            raise ValueError("Overflow when unpacking long long")
        return np.array(data, np.int64)
    if isinstance(data, float):
        return np.array(data, D.get_default_dtype().np)
    if isinstance(data, complex):
        return np.array(data, D.default_complex().np)
    if hasattr(data, "__array__"):
        return np.asarray(data)
    if hasattr(data, "__len__") and hasattr(data, "__getitem__") and not isinstance(data, dict):
        return _infer_array(list(data))
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of data, dtype inferred as torch does (see torch.tensor)."""
    _pin(pin_memory)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
            "clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
        arr = data._data
        if type(arr) is not np.ndarray:
            from .backend import to_numpy
            arr = to_numpy(arr)
    elif dtype is not None and isinstance(data, (list, tuple, float, int)) and \
            _dt(dtype).category >= D.FLOAT:
        arr = _infer_array(data)
        if arr.dtype.kind == "f":  # Python floats go straight to the requested precision
            arr = np.array(data, dtype=np.float64 if _dt(dtype) is not D.float16 else
                           np.float64)
    else:
        arr = _infer_array(data)
    if dtype is not None:
        _check_fits(arr, _dt(dtype))
        arr = _cast(arr, _dt(dtype).np)
    else:
        D.from_numpy_dtype(arr.dtype)
        arr = np.array(arr, copy=True)
    if requires_grad and D._FROM_NP[arr.dtype].category < D.FLOAT:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    return _finish(arr, device, requires_grad)


def _check_fits(arr, dt):
    """torch refuses Python values that overflow an integer dtype."""
    if dt.category == D.INT and arr.dtype.kind in "iuf" and arr.size:
        info = np.iinfo(dt.np)
        lo, hi = arr.min(), arr.max()
        if lo < info.min or hi > info.max:
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")


def _cast(arr, npdt):
    if arr.dtype.kind == "c" and npdt.kind != "c":
        arr = arr.real
    return np.array(arr, dtype=npdt, copy=True)


def as_tensor(data, dtype=None, device=None):
    """Share memory with data when possible (ndarray of the right dtype, same-device tensor)."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (dtype or device) else data
    if isinstance(data, np.ndarray) and (dtype is None or dtype.np == data.dtype) and (
            _dev(device) in (None, _CPU)):
        return from_numpy(data)
    arr = _infer_array(data)
    if dtype is not None:
        arr = arr.astype(dtype.np, copy=False)
    else:
        D.from_numpy_dtype(arr.dtype)
    return _finish(arr, device, False)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor sharing ndarray's memory (see torch.from_numpy)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")
    if not ndarray.flags.writeable:
        warnings.warn(
            "The given NumPy array is not writable, and PyTorch does not support non-writable "
            "tensors. This means writing to this tensor will result in undefined behavior. You "
            "may want to copy the array to protect its data or make it writable before "
            "converting it to a tensor. This type of warning will be suppressed for the rest of "
            "this program.", UserWarning, stacklevel=2)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    if type(ndarray) is not np.ndarray:
        # np.matrix, np.memmap, ...: a tensor holds a plain ndarray view of the same memory
        ndarray = ndarray.view(np.ndarray)
    return _wrap(ndarray)


def scalar_tensor(value, like=None, dtype=None):
    """A 0-dim tensor of a Python number on like's device (weak dtype from the number)."""
    if dtype is None:
        dtype = D._scalar_dtype(value)
    arr = np.asarray(value, dtype=dtype.np)
    if like is not None and type(like._data) is not np.ndarray:
        arr = to_device(arr, like.device)
    return _wrap(arr)


# ---- filled -------------------------------------------------------------------------------

def _filled(fill, size, kw, name):
    dtype = kw.pop("dtype", None)
    device = kw.pop("device", None)
    rg = kw.pop("requires_grad", False)
    out = kw.pop("out", None)
    kw.pop("layout", None)
    _pin(kw.pop("pin_memory", False))
    kw.pop("memory_format", None)
    if kw:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kw))}'")
    shape = _shape_arg(size)
    dt = _dt(dtype)
    d = _dev(device)
    if d is not None and d.type == "meta" and out is None:
        return _meta_result(shape, dt.np, rg)
    xp = np if d is None or d.type == "cpu" else module_for(d)
    if fill is None:
        arr = fill_uninitialized(xp.empty(shape, dt.np))
    elif fill == 0:
        arr = xp.zeros(shape, dt.np)
    else:
        arr = xp.full(shape, fill, dt.np)
    if out is not None:
        from .ops.inplace import copy_into_out
        return copy_into_out(out, _wrap(arr))
    t = _wrap(arr)
    if rg:
        t.requires_grad_(True)
    return t


def zeros(*size, **kw):
    """A tensor of zeros (see torch.zeros)."""
    for v in (size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size):
        if isinstance(v, int) and v < 0:
            raise RuntimeError("zeros: Dimension size must be non-negative.")
    return _filled(0, _size_kw(size, kw), kw, "zeros")


def ones(*size, **kw):
    """A tensor of ones (see torch.ones)."""
    return _filled(1, _size_kw(size, kw), kw, "ones")


def empty(*size, **kw):
    """Uninitialised memory of the given shape (see torch.empty)."""
    fmt = kw.pop("memory_format", None)
    t = _filled(None, _size_kw(size, kw), kw, "empty")
    if fmt is not None:
        _mf.check_format(fmt, "empty()")
        if fmt is _mf.preserve_format:
            raise RuntimeError("unsupported memory format Preserve")
        if fmt is not _mf.contiguous_format:
            d = t._data
            t._data = _mf.empty_strided(_mf._xp(d), d.shape, _mf.format_strides(d.shape, fmt),
                                        d.dtype)
    return t


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None,
         layout=None, pin_memory=False):
    """A tensor filled with fill_value; dtype inferred from it (see torch.full)."""
    if dtype is None:
        if isinstance(fill_value, Tensor):
            fill_value = fill_value.item()
        dtype = D._scalar_dtype(fill_value)
    return _filled(fill_value, _shape_arg((size,) if isinstance(size, int) else size),
                   {"dtype": dtype, "device": device, "requires_grad": requires_grad,
                    "out": out, "pin_memory": pin_memory}, "full")


def _like(input, dtype, device):
    return (dtype or input.dtype), (device if device is not None else input.device)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None, pin_memory=False):
    _pin(pin_memory)
    dt, dev = _like(input, dtype, device)
    return _mf.layout_like(zeros(input._data.shape, dtype=dt, device=dev,
                                 requires_grad=requires_grad), input._data, memory_format)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None, pin_memory=False):
    _pin(pin_memory)
    dt, dev = _like(input, dtype, device)
    return _mf.layout_like(ones(input._data.shape, dtype=dt, device=dev,
                                requires_grad=requires_grad), input._data, memory_format)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None, pin_memory=False):
    _pin(pin_memory)
    dt, dev = _like(input, dtype, device)
    t = empty(input._data.shape, dtype=dt, device=dev, requires_grad=requires_grad)
    if _mf.needs_layout(input._data, memory_format):
        d = t._data
        t._data = fill_uninitialized(_mf.empty_strided(
            _mf._xp(d), d.shape, _mf.like_strides(input._data, memory_format), d.dtype))
    return t


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None, pin_memory=False):
    _pin(pin_memory)
    dt, dev = _like(input, dtype, device)
    return _mf.layout_like(full(input._data.shape, fill_value, dtype=dt, device=dev,
                                requires_grad=requires_grad), input._data, memory_format)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
    _pin(pin_memory)
    dt = _dt(dtype)
    size, stride = tuple(size), tuple(stride)
    n = 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    buf = fill_uninitialized(np.empty(max(n, 0), dt.np))
    arr = np.lib.stride_tricks.as_strided(buf, size, tuple(s * dt.itemsize for s in stride))
    return _finish(arr, device, requires_grad)


# ---- ranges ----------------------------------------------------------------------------------

def _num(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, device=None, requires_grad=False,
           layout=None, pin_memory=False):
    """Values from start to end (exclusive) by step (see torch.arange)."""
    _pin(pin_memory)
    if end is None:
        start, end = 0, start
    start, end, step = _num(start), _num(end), _num(step)
    if dtype is None:
        isf = any(isinstance(v, float) or isinstance(v, np.floating) for v in (start, end, step))
        dtype = D.get_default_dtype() if isf else D.int64
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0 and end != start:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype.category == D.FLOAT or dtype.category == D.COMPLEX:
        n = math.ceil((end - start) / step)
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(dtype.np)
    else:
        n = math.ceil((end - start) / step)
        if all(isinstance(v, (int, np.integer)) for v in (start, end, step)):
            arr = int(start) + np.arange(n, dtype=np.int64) * int(step)
        else:
            arr = (start + np.arange(n, dtype=np.float64) * step).astype(np.int64)
        arr = arr.astype(dtype.np)
    t = _finish(arr, device, requires_grad)
    if out is not None:
        from .ops.inplace import copy_into_out
        return copy_into_out(out, t)
    return t


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """torch.range (deprecated upstream): like arange but includes end."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    n = int(math.floor((end - start) / step)) + 1
    arr = (start + np.arange(n, dtype=np.float64) * step).astype(_dt(dtype).np)
    return _finish(arr, device, requires_grad)


def _linspace_array(start, end, steps, npdt):
    if steps == 1:
        return np.array([start], dtype=np.float64)
    if npdt == np.float32:
        # torch computes the step in float32 and each value as one fused multiply-add
        # (start + step*i rounded once); float64 arithmetic on the float32 step reproduces it
        start, end = float(np.float32(start)), float(np.float32(end))
        step = float(np.float32(np.float32(end - start) / np.float32(steps - 1)))
    else:
        step = (end - start) / (steps - 1)
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    return np.where(i < half, start + step * i, end - step * (steps - 1 - i))


def linspace(start, end, steps, *, out=None, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    """`steps` evenly spaced values from start to end inclusive (see torch.linspace)."""
    _pin(pin_memory)
    start, end, steps = _num(start), _num(end), _num(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dt(dtype)
    arr = _linspace_array(start, end, steps, dt.np)
    if dt.category < D.FLOAT:
        arr = np.trunc(arr)
    t = _finish(arr.astype(dt.np), device, requires_grad)
    if out is not None:
        from .ops.inplace import copy_into_out
        return copy_into_out(out, t)
    return t


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, device=None,
             requires_grad=False, layout=None, pin_memory=False):
    _pin(pin_memory)
    dt = _dt(dtype)
    arr = np.power(base, _linspace_array(_num(start), _num(end), _num(steps), np.float64))
    return _finish(arr.astype(dt.np), device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, device=None, requires_grad=False, layout=None,
        pin_memory=False):
    """Identity matrix n x m (see torch.eye)."""
    _pin(pin_memory)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    arr = np.eye(n, n if m is None else m, dtype=_dt(dtype).np)
    t = _finish(arr, device, requires_grad)
    if out is not None:
        from .ops.inplace import copy_into_out
        return copy_into_out(out, t)
    return t


# ---- random ----------------------------------------------------------------------------------

def _gen(generator):
    return R.default_generator if generator is None else generator._gen \
        if hasattr(generator, "_gen") else generator


def _random_out(arr, out, device, requires_grad):
    if out is not None:
        from .ops.inplace import copy_into_out
        return copy_into_out(out, _wrap(arr))
    return _finish(arr, device, requires_grad)


def _float_dt(dtype, name):
    dt = _dt(dtype)
    if dt.category < D.FLOAT:
        raise NotImplementedError(f"\"{name}\" not implemented for '{_legacy(dt)}'")
    return dt


def _legacy(dt):
    from .ops.elementwise import _dtname
    return _dtname(dt.np)


def rand(*size, generator=None, out=None, dtype=None, device=None, requires_grad=False,
         layout=None, pin_memory=False, **kw):
    """Uniform [0, 1) samples, identical to torch's CPU generator (see torch.rand)."""
    _pin(pin_memory)
    meta = _is_meta(device)  # a bad device fails before any number is drawn, as in torch
    shape = _size_kw(size, kw)
    if out is not None and dtype is None:
        dtype = out.dtype
    dt = _float_dt(dtype, "check_uniform_bounds")
    if meta and out is None:
        return _meta_result(shape, dt.np, requires_grad)
    arr = R.uniform(_gen(generator), shape, dt.np)
    return _random_out(arr, out, device, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, device=None, requires_grad=False,
          layout=None, pin_memory=False, **kw):
    """Standard normal samples, identical to torch's CPU generator (see torch.randn)."""
    _pin(pin_memory)
    meta = _is_meta(device)  # a bad device fails before any number is drawn, as in torch
    shape = _size_kw(size, kw)
    if out is not None and dtype is None:
        dtype = out.dtype
    dt = _float_dt(dtype, "normal_kernel_cpu")
    if meta and out is None:
        return _meta_result(shape, dt.np, requires_grad)
    arr = R.normal(_gen(generator), shape, dt.np)
    return _random_out(arr, out, device, requires_grad)


def randint(*args, size=None, generator=None, out=None, dtype=None, device=None,
            requires_grad=False, layout=None, pin_memory=False, low=None, high=None):
    """Integers in [low, high) (see torch.randint): randint(high, size) or (low, high, size)."""
    _pin(pin_memory)
    meta = _is_meta(device)  # a bad device fails before any number is drawn, as in torch
    args = list(args)
    if size is None:
        if args and isinstance(args[-1], (tuple, list, Size)):
            size = args.pop()
        else:
            raise TypeError("randint() missing required argument 'size'")
    if high is not None:  # randint(high=n, size=s) / randint(low=a, high=b, size=s)
        args = ([low] if low is not None else args) + [high]
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint() received an invalid combination of arguments")
    low, high = int(_num(low)), int(_num(high))
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    dt = dtype or D.int64
    if meta and out is None:
        return _meta_result(_shape_arg((size,)), dt.np, requires_grad)
    arr = R.randint(_gen(generator), low, high, _shape_arg((size,)), dt.np)
    return _random_out(arr, out, device, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    """A random permutation of 0..n-1, identical to torch's CPU generator."""
    _pin(pin_memory)
    meta = _is_meta(device)  # a bad device fails before any number is drawn, as in torch
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dt = dtype or D.int64
    if meta and out is None:
        return _meta_result((int(n),), dt.np, requires_grad)
    arr = R.randperm(_gen(generator), int(n), dt.np)
    return _random_out(arr, out, device, requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None, pin_memory=False):
    _pin(pin_memory)
    dt, dev = _like(input, dtype, device)
    if _mf.needs_layout(input._data, memory_format):
        # torch fills the strided result in memory order
        t = empty_like(input, dtype=dt, device=dev, memory_format=memory_format).uniform_()
        return t.requires_grad_(True) if requires_grad else t
    return rand(input._data.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None, pin_memory=False):
    _pin(pin_memory)
    dt, dev = _like(input, dtype, device)
    if _mf.needs_layout(input._data, memory_format):
        t = empty_like(input, dtype=dt, device=dev, memory_format=memory_format).normal_()
        return t.requires_grad_(True) if requires_grad else t
    return randn(input._data.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 layout=None, memory_format=None, pin_memory=False):
    _pin(pin_memory)
    if high is None:
        low, high = 0, low
    dt, dev = _like(input, dtype, device)
    if _mf.needs_layout(input._data, memory_format):
        return empty_like(input, dtype=dt, device=dev, memory_format=memory_format).random_(
            low, high)
    return randint(low, high, input._data.shape, dtype=dt, device=dev)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad=False, layout=None, pin_memory=False):
    """Normal samples with tensor or number mean/std (see torch.normal)."""
    _pin(pin_memory)
    if device is None:
        device = _CPU  # torch.normal is not among the factories that follow the default device
    meta = _is_meta(device)  # a bad device fails before any number is drawn, as in torch
    g = _gen(generator)
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            "(float, float), but expected (..., tuple of ints size, ...)")
        dt = _float_dt(dtype, "normal_kernel_cpu")
        if meta and out is None:
            return _meta_result(_shape_arg((size,)), dt.np, requires_grad)
        arr = R.normal(g, _shape_arg((size,)), dt.np, float(mean), float(std))
        return _random_out(arr, out, device, requires_grad)
    m = mean._data if mt else float(mean)
    s = std._data if st else float(std)
    if st and (np.asarray(s) < 0).any():
        raise RuntimeError(f"normal expects all elements of std >= 0.0")
    npdt = (mean if mt else std)._data.dtype
    arr = R.normal_tensor(g, m, s, npdt)
    return _random_out(arr, out, None, requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None):
    g = _gen(generator)
    x = input._data
    if p is None:
        arr = R.bernoulli_tensor(g, x, x.dtype)
    else:
        arr = R.bernoulli_scalar(g, x.shape, float(p), x.dtype)
    return _random_out(arr, out, None, False)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    x = input._data
    if x.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not replacement and num_samples > x.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    arr = R.multinomial(_gen(generator), x, int(num_samples), bool(replacement))
    return _random_out(arr, out, None, False)


def poisson(input, generator=None):
    return _wrap(R.poisson(_gen(generator), input._data))
