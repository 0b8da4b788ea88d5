"""torch's legacy tensor types: torch.FloatTensor, torch.LongTensor, ... (torch.tensortype).

Each is a class whose call builds a cpu tensor of its dtype (from data, from sizes, or empty)
and whose isinstance check asks for a cpu tensor of that dtype; tensors themselves stay
ember.Tensor, as in torch. `Tensor.type(torch.LongTensor)` reads the class's dtype.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import _dtype as D
from ._size import Size
from ._tensor import Tensor

_NAMES = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
          "BFloat16Tensor": "bfloat16", "LongTensor": "int64", "IntTensor": "int32",
          "ShortTensor": "int16", "CharTensor": "int8", "ByteTensor": "uint8",
          "BoolTensor": "bool"}

_SIGS = (" * (*, torch.device device = None)\n"
         " * (torch.Storage storage)\n"
         " * (Tensor other)\n"
         " * (tuple of ints size, *, torch.device device = None)\n"
         " * (object data, *, torch.device device = None)\n")

_CPP_TYPE = {"float32": "float", "float64": "double", "float16": "c10::Half",
             "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
             "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
             "bool": "bool"}


def _options(dt):
    return (f"TensorOptions(dtype={_CPP_TYPE.get(dt.name, dt.name)}, device=cpu, "
            f"layout=Strided, requires_grad=false (default), pinned_memory=false (default), "
            f"memory_format=(nullopt))")


def _tname(v):
    mod = type(v).__module__
    return f"torch.{type(v).__name__}" if mod.startswith("ember") else type(v).__name__


class tensortype(type):
    """The metaclass of torch's legacy tensor types (see torch.FloatTensor)."""
    __module__ = "torch"

    def __instancecheck__(cls, obj):
        return (isinstance(obj, Tensor) and obj.is_cuda == cls.is_cuda
                and obj._data.dtype == cls.dtype.np)

    def __call__(cls, *args, device=None, **kwargs):
        from . import _creation
        dt = cls.dtype
        if cls.is_cuda:
            return cls._cuda_call(*args, device=device, **kwargs)
        if kwargs:
            got = ", ".join([type(a).__name__ for a in args]
                            + [f"{k}={_tname(v)}" for k, v in kwargs.items()])
            raise TypeError(
                f"new() received an invalid combination of arguments - got ({got}), but "
                f"expected one of:\n{_SIGS}")
        if device is not None and str(device) != "cpu":
            raise RuntimeError(f"legacy constructor expects device type: cpu but device type: "
                               f"{device} was passed")
        if not args:
            return _creation.empty(0, dtype=dt)
        first = args[0]
        if len(args) == 1 and isinstance(first, Tensor):
            if first._data.dtype != dt.np or not first.is_cpu:
                raise TypeError(f"expected {_options(dt)} (got {_options(first.dtype)})")
            return first.detach()
        if all(isinstance(a, (numbers.Integral, np.integer)) and not isinstance(a, bool)
               for a in args) or (len(args) == 1 and isinstance(first, Size)):
            return _creation.empty(_creation._shape_arg(args), dtype=dt)
        if len(args) == 1:
            if isinstance(first, str):
                raise TypeError("new(): invalid data type 'str'")
            if isinstance(first, numbers.Number):
                raise TypeError(f"new(): data must be a sequence (got {type(first).__name__})")
            return _creation.tensor(first, dtype=dt)
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"new() received an invalid combination of arguments - got ({got}), "
                        f"but expected one of:\n{_SIGS}")

    def _cuda_call(cls, *args, device=None, **kwargs):
        """torch.cuda.FloatTensor(...): the cpu type's construction, moved to the GPU."""
        from .backend import cuda_available
        if not cuda_available():
            raise TypeError(f"type {cls.__module__}.{cls.__name__} not available. Torch not "
                            f"compiled with CUDA enabled.")
        cpu_type = globals()[cls.__name__]
        if len(args) == 1 and isinstance(args[0], Tensor) and args[0].is_cuda:
            if args[0]._data.dtype != cls.dtype.np:
                raise TypeError(f"expected {_options(cls.dtype)} (got "
                                f"{_options(args[0].dtype)})")
            return args[0].detach()
        return cpu_type(*args, **kwargs).to(device if device is not None else "cuda")

    def __repr__(cls):
        return f"<class '{cls.__module__}.{cls.__name__}'>"


def _make(name, dtname, cuda=False):
    dt = D._BY_NAME[dtname]
    return tensortype(name, (), {"dtype": dt, "is_cuda": cuda, "is_sparse": False,
                                 "__module__": "torch.cuda" if cuda else "torch"})


for _name, _dt in _NAMES.items():
    globals()[_name] = _make(_name, _dt)
# torch.cuda.FloatTensor, ...: exposed by ember.cuda
CUDA_TYPES = {_name: _make(_name, _dt, cuda=True) for _name, _dt in _NAMES.items()}
del _name, _dt
__all__ = list(_NAMES)
