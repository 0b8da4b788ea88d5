"""Tensor: one array (numpy.ndarray on cpu, cupy.ndarray on cuda) plus autograd state.

The class holds little logic: its methods are one-line calls into ember.ops, installed at the
bottom of this file. Views share the array's memory exactly where torch's views do (NumPy views
are views), and share one version counter (`_ver`, a one-element list made on first need) so
that in-place writes are seen by autograd's saved-tensor checks.
"""
from __future__ import annotations

import numbers
import warnings
import weakref

import numpy as np

from . import _dtype as D
from ._device import cpu as _CPU, device as _device_cls, as_device
from ._size import Size
from .autograd import op as _op
from .autograd.grad_mode import GRAD
from .backend import device_of, to_numpy
from .backend._meta import MetaArray, meta_repr

_new = object.__new__
ndarray = np.ndarray
_FROM_NP = D._FROM_NP

_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
           "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
           "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
           "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64"}


def legacy_type_name(t):
    """'torch.FloatTensor' style name (torch.cuda.FloatTensor on the GPU)."""
    dt = _FROM_NP[t._data.dtype]
    mid = "" if type(t._data) is ndarray else "cuda."
    return f"torch.{mid}{_LEGACY[dt.name]}Tensor"


class Tensor:
    """torch.Tensor. `_data` is the array; `_rg` requires_grad; `grad_fn` the producing node."""
    __slots__ = ("_data", "_rg", "grad_fn", "_ver", "_grad", "_base", "_out_nr", "_hooks",
                 "_retains", "_acc", "__dict__", "__weakref__")

    # torch.Tensor(*sizes) / torch.Tensor(data): the legacy constructor (default dtype)
    def __new__(cls, *args, device=None):
        from . import _creation
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)) and not (
                isinstance(args[0], Size)):
            if isinstance(args[0], Tensor):
                src = args[0]
                t = _new(cls)
                t._data = src._data
                t._rg = False
                t.grad_fn = None
                t._ver = src._ver
                return t
            arr = _creation.tensor(args[0], dtype=D.get_default_dtype(), device=device)._data
        else:
            shape = _creation._shape_arg(args)
            arr = _creation.empty(shape, device=device)._data
        t = _new(cls)
        t._data = arr
        t._rg = False
        t.grad_fn = None
        t._ver = None
        return t

    def __init__(self, *args, **kwargs):
        pass

    # ---- metadata ----
    @property
    def dtype(self):
        return _FROM_NP[self._data.dtype]

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        if not self._data.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def __len__(self):
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def stride(self, dim=None):
        a = self._data
        st = tuple(s // a.itemsize for s in a.strides) if a.size or any(a.strides) else \
            _contig_strides(a.shape)   # NumPy zeroes the strides of most empty arrays
        if dim is None:
            return st
        return st[_wrap_dim(dim, a.ndim)]

    def storage_offset(self):
        base = getattr(self, "_base", None)
        if base is None:
            return 0
        a, b = self._data, base._data
        return (_addr(a) - _addr(b)) // a.itemsize

    def is_contiguous(self, memory_format=None):
        a = self._data
        if memory_format is not None:
            from ._memory_format import is_contiguous_as
            return is_contiguous_as(a, memory_format)
        return a.flags.c_contiguous

    @property
    def device(self):
        a = self._data
        if type(a) is ndarray:
            return _CPU
        return device_of(a)

    @property
    def is_cuda(self):
        a = self._data
        return type(a) is not ndarray and type(a) is not MetaArray

    @property
    def is_meta(self):
        return type(self._data) is MetaArray

    @property
    def is_cpu(self):
        return type(self._data) is ndarray

    is_sparse = False
    is_quantized = False
    is_mkldnn = False
    is_nested = False
    layout = None  # replaced by ember.strided at package import

    def get_device(self):
        a = self._data
        return -1 if type(a) is ndarray else int(a.device.id)

    def is_floating_point(self):
        return _FROM_NP[self._data.dtype].category == D.FLOAT

    def is_complex(self):
        return _FROM_NP[self._data.dtype].category == D.COMPLEX

    def is_signed(self):
        return _FROM_NP[self._data.dtype].is_signed

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def _version(self):
        v = self._ver
        return 0 if v is None else v[0]

    def _bump(self):
        v = self._ver
        if v is None:
            self._ver = [1]
        else:
            v[0] += 1

    # ---- autograd state ----
    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        requires_grad = bool(requires_grad)
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach().")
            return self
        if requires_grad and _FROM_NP[self._data.dtype].category < D.FLOAT:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._rg = requires_grad
        return self

    @property
    def grad(self):
        if self.grad_fn is not None and not getattr(self, "_retains", False):
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() "
                "on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
                "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
                "for more information.", UserWarning, stacklevel=2)
        return getattr(self, "_grad", None)

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError("attempting to assign a gradient with dtype '"
                                   f"{value.dtype.name}' to a tensor with dtype '"
                                   f"{self.dtype.name}'. Please ensure that the gradient and "
                                   "the tensor have the same dtype")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    def _accumulator(self):
        ref = getattr(self, "_acc", None)
        node = ref() if ref is not None else None
        if node is None:
            node = _op.AccumulateGrad(self)
            self._acc = weakref.ref(node)
        return node

    def retain_grad(self):
        if self.grad_fn is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if getattr(self, "_retains", False):
            return
        self._retains = True
        ref = weakref.ref(self)

        def _retain(grad):
            t = ref()
            if t is not None:
                old = getattr(t, "_grad", None)
                t._grad = grad.detach().clone() if old is None else old + grad.detach()
            return None
        self.register_hook(_retain)

    @property
    def retains_grad(self):
        return bool(getattr(self, "_retains", False))

    def register_hook(self, hook):
        """hook(grad) -> Tensor | None runs when the gradient w.r.t. this tensor is computed."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        fn = self.grad_fn
        if fn is None:
            hooks = getattr(self, "_hooks", None)
            if hooks is None:
                hooks = self._hooks = {}
            return _op._Handle(hooks, hook)
        th = getattr(fn, "_tensor_hooks", None)
        if th is None:
            th = fn._tensor_hooks = {}
            fn._hk = True
        return _op._Handle(th.setdefault(self._out_nr, {}), hook)

    def register_post_accumulate_grad_hook(self, hook):
        """hook(tensor) runs after a gradient is accumulated into this leaf's .grad; see
        torch.Tensor.register_post_accumulate_grad_hook."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        from .autograd.engine import PostAccumulateGradHook
        hooks = getattr(self, "_hooks", None)
        if hooks is None:
            hooks = self._hooks = {}
        return _op._Handle(hooks, PostAccumulateGradHook(hook))

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        _engine_backward(self, None if gradient is None else (gradient,), retain_graph,
                         create_graph, inputs=inputs)

    def detach(self):
        t = _new(Tensor)
        t._data = self._data
        t._rg = False
        t.grad_fn = None
        if self._ver is None:
            self._ver = [0]
        t._ver = self._ver
        t._base = self if getattr(self, "_base", None) is None else self._base
        return t

    def detach_(self):
        if getattr(self, "_base", None) is not None and self._base._rg:
            raise RuntimeError("Can't detach views in-place. Use detach() instead. If you are "
                               "using DistributedDataParallel (DDP) for training, and "
                               "gradient_as_bucket_view is set as True, gradients are views of "
                               "DDP buckets, and hence detach_() cannot be called on these "
                               "gradients. To fix this error, please refer to the Optimizer."
                               "zero_grad() function in torch/optim/optimizer.py as the "
                               "solution.")
        self.grad_fn = None
        self._rg = False
        return self

    @property
    def data(self):
        t = _new(Tensor)
        t._data = self._data
        t._rg = False
        t.grad_fn = None
        t._ver = None
        return t

    @data.setter
    def data(self, value):
        self._data = value._data

    @property
    def _base_(self):
        return getattr(self, "_base", None)

    # ---- conversion ----
    def numpy(self, *, force=False):
        if self._rg and not force and GRAD[0]:   # torch allows it under no_grad
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        a = self._data
        if type(a) is not ndarray:
            if not force:
                raise TypeError("can't convert cuda:0 device type tensor to numpy. Use "
                                "Tensor.cpu() to copy the tensor to host memory first.")
            a = to_numpy(a)
        if a.dtype.name == "bfloat16" and not force:
            raise TypeError("Got unsupported ScalarType BFloat16")
        return a

    def __array__(self, dtype=None, copy=None):
        a = to_numpy(self._data)
        if dtype is not None:
            a = a.astype(dtype)
        return a

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        if return_scalar:
            return arr[()]
        return Tensor._from_array(np.asarray(arr))

    @staticmethod
    def _from_array(a):
        return _wrap(a)

    def item(self):
        a = self._data
        if a.size != 1:
            raise RuntimeError(f"a Tensor with {a.size} elements cannot be converted to Scalar")
        return _py_scalar(a)

    def tolist(self):
        a = to_numpy(self._data)
        if a.dtype.name == "bfloat16" or a.dtype == np.float16:
            a = a.astype(np.float32)
        return a.tolist()

    def __float__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if self._rg and GRAD[0] and not _FLOAT_WARNED:   # torch is silent under no_grad
            _warn_float_once()
        return float(_py_scalar(self._data))

    def __int__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(_py_scalar(self._data))

    def __complex__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return complex(_py_scalar(self._data))

    def __bool__(self):
        a = self._data
        if a.size != 1:
            if a.size == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(_py_scalar(a))

    def __index__(self):
        a = self._data
        if a.size != 1 or a.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(_py_scalar(a))

    def __hash__(self):
        return id(self)

    def __iter__(self):
        a = self._data
        if not a.ndim:
            raise TypeError("iteration over a 0-d tensor")
        if not (self._rg and GRAD[0]):
            return iter([_wrap_view(a[i, ...], self) for i in range(a.shape[0])])
        return iter(self.unbind(0))

    def __reversed__(self):
        if not self._data.ndim:
            return self
        return iter(self.flip(0))

    def __contains__(self, element):
        if isinstance(element, (Tensor, numbers.Number)):
            return bool((self == element).any().item())
        raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed "
                           f"in a {type(element)}.")

    def __repr__(self, *, tensor_contents=None):
        from ._printing import tensor_repr
        a = self._data
        dev = None if type(a) is ndarray else str(self.device)
        if type(a) is MetaArray:
            return meta_repr(self)
        fn = self.grad_fn
        tangent = None
        if _op.DUAL[0]:
            from .autograd.forward_ad import _tangent_for_repr
            tangent = _tangent_for_repr(self)
        return tensor_repr(to_numpy(a), _FROM_NP[a.dtype], device=dev,
                           requires_grad=self._rg and fn is None,
                           grad_fn_name=None if fn is None else type(fn).__name__,
                           tangent=tangent)

    def __str__(self):
        return self.__repr__()

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        cls = type(self)
        new = _new(cls)
        new._data = self._data.copy()
        new._rg = self._rg
        new.grad_fn = None
        new._ver = None
        g = getattr(self, "_grad", None)
        if g is not None:
            new._grad = g.__deepcopy__(memo)
        d = getattr(self, "__dict__", None)
        if d:
            import copy
            new.__dict__.update(copy.deepcopy(d, memo))
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, proto):
        # plain pickling (multiprocessing, copy.copy): data + requires_grad
        return (_rebuild, (type(self), to_numpy(self._data), self._rg, self.device))

    def __setstate__(self, state):
        pass

    def type(self, dtype=None, non_blocking=False, **kwargs):
        if dtype is None:
            return legacy_type_name(self)
        if isinstance(dtype, str):
            name = dtype.split(".")[-1]
            for k, v in _LEGACY.items():
                if v + "Tensor" == name:
                    dtype = D._BY_NAME[k]
                    break
            else:
                raise ValueError(f"invalid type: '{dtype}'")
        elif isinstance(dtype, type):  # a legacy type class: torch.LongTensor
            if dtype.is_cuda:
                return self.to("cuda", dtype.dtype)
            return self.to("cpu", dtype.dtype)
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def cpu(self, memory_format=None):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        d = _device_cls("cuda", device) if isinstance(device, int) else (
            as_device(device) or _device_cls("cuda", 0))
        return self.to(d)

    def float(self, memory_format=None):
        return self.to(D.float32)

    def double(self, memory_format=None):
        return self.to(D.float64)

    def half(self, memory_format=None):
        return self.to(D.float16)

    def bfloat16(self, memory_format=None):
        return self.to(D.bfloat16)

    def int(self, memory_format=None):
        return self.to(D.int32)

    def long(self, memory_format=None):
        return self.to(D.int64)

    def short(self, memory_format=None):
        return self.to(D.int16)

    def char(self, memory_format=None):
        return self.to(D.int8)

    def byte(self, memory_format=None):
        return self.to(D.uint8)

    def bool(self, memory_format=None):
        return self.to(D.bool_)

    def cfloat(self, memory_format=None):
        return self.to(D.complex64)

    def cdouble(self, memory_format=None):
        return self.to(D.complex128)

    def to(self, *args, **kwargs):
        from .ops.convert import tensor_to
        return tensor_to(self, *args, **kwargs)

    @property
    def T(self):
        n = self._data.ndim
        return self.permute(*range(n - 1, -1, -1)) if n > 2 else self.t() if n == 2 else self

    @property
    def mT(self):
        if self._data.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self._data.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def H(self):
        return self.T.conj() if self.is_complex() else self.T

    @property
    def mH(self):
        return self.mT.conj() if self.is_complex() else self.mT

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from ._creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
        from ._creation import zeros
        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                     requires_grad=requires_grad, pin_memory=pin_memory)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        from ._creation import ones
        return ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad, pin_memory=pin_memory)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
        from ._creation import empty
        return empty(*size, dtype=dtype or self.dtype, device=device or self.device,
                     requires_grad=requires_grad, pin_memory=pin_memory)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False,
                 layout=None, pin_memory=False):
        from ._creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad, pin_memory=pin_memory)

    def data_ptr(self):
        return _addr(self._data)

    def untyped_storage(self):
        raise NotImplementedError("ember has no storage objects: Tensor.untyped_storage() is "
                                  "not implemented (use .numpy() for the underlying memory)")

    def pin_memory(self, device=None):
        """See Tensor.pin_memory: without an accelerator there is no page-locked memory (torch
        raises); with CUDA a copy, since NumPy memory cannot be page-locked after the fact."""
        from . import cuda
        if not cuda.is_available():
            raise RuntimeError("Cannot access accelerator device when none is available.")
        return self.clone()

    def is_pinned(self, device=None):
        return False

    def share_memory_(self):
        return self

    def is_shared(self):
        return False



_FLOAT_WARNED = False


def _warn_float_once():
    # torch's TORCH_WARN_ONCE: the first float() of a tensor that requires grad, per process
    global _FLOAT_WARNED
    _FLOAT_WARNED = True
    warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
                  "behavior.\nConsider using tensor.detach() first.", UserWarning, stacklevel=3)


def _rebuild(cls, arr, rg, device):
    t = _new(cls)
    t._data = arr if device.type == "cpu" else __import__(
        "ember.backend", fromlist=["to_device"]).to_device(arr, device)
    t._rg = rg
    t.grad_fn = None
    t._ver = None
    return t


def _addr(a):
    if type(a) is ndarray:
        return a.__array_interface__["data"][0]
    return int(a.data.ptr)


def _contig_strides(shape):
    st = []
    acc = 1
    for s in reversed(shape):
        st.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(st))


def _py_scalar(a):
    v = a.reshape(()) if a.ndim else a
    if type(v) is not ndarray:
        v = to_numpy(v)
    v = v[()]
    if v.dtype.name == "bfloat16":
        return float(v)
    return v.item()


def _wrap_dim(dim, ndim):
    if ndim == 0:
        ndim = 1
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {dim})")
    return dim + ndim if dim < 0 else dim


def _engine_backward(*args, **kw):
    """autograd.engine.backward, bound on first use (the engine imports this module)."""
    global _engine_backward
    from .autograd.engine import backward
    _engine_backward = backward
    return backward(*args, **kw)


def _wrap(a):
    """A new tensor around array `a` (no grad, no history)."""
    t = _new(Tensor)
    t._data = a
    t._rg = False
    t.grad_fn = None
    t._ver = None
    return t


def _wrap_view(a, base):
    """A tensor around `a`, a view of base's array: shares base's version counter."""
    t = _new(Tensor)
    t._data = a
    t._rg = False
    t.grad_fn = None
    v = base._ver
    if v is None:
        v = base._ver = [0]
    t._ver = v
    b = getattr(base, "_base", None)
    t._base = base if b is None else b
    if _op.DUAL[0]:
        # forward AD: the view's tangent is the same view of base's tangent
        from .autograd.forward_ad import _view_hook
        _view_hook(t, base)
    return t


Tensor.__module__ = "ember"
_op.Tensor = Tensor
_op._wrap = _wrap
