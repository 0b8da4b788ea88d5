"""torch.nn.parameter: Parameter (a Tensor a Module registers as learnable), Buffer (module
state that is not learned) and the lazy UninitializedParameter/UninitializedBuffer.

Module.__setattr__ (modules/module.py) recognises these classes; everything else in ember sees a
Parameter as an ordinary Tensor (ops on it return plain Tensors, as torch's do).
"""
from __future__ import annotations

import os
import sys
from collections import OrderedDict

from .._tensor import Tensor

__all__ = ["Parameter", "UninitializedParameter", "is_lazy", "Buffer", "UninitializedBuffer",
           "UninitializedTensorMixin"]

_new = object.__new__


class _ParameterMeta(type):
    # torch: isinstance(t, Parameter) also holds for tensors flagged `_is_param`
    def __instancecheck__(cls, instance):
        if cls is Parameter and isinstance(instance, Tensor) and \
                getattr(instance, "_is_param", False):
            return True
        return super().__instancecheck__(instance)


def _alias(cls, data, requires_grad):
    """A `cls` tensor sharing `data`'s array (torch's Tensor._make_subclass)."""
    t = _new(cls)
    t._data = data._data
    t._rg = False
    t.grad_fn = None
    t._ver = None
    if requires_grad:
        t.requires_grad_(True)
    return t


class Parameter(Tensor, metaclass=_ParameterMeta):
    """A Tensor that is a module parameter; see torch.nn.Parameter."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        return _alias(cls, data, requires_grad)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        state = {k: v for k, v in getattr(self, "__dict__", {}).items()}
        return (_rebuild_parameter, (self.data, self.requires_grad, OrderedDict(), state))


def _rebuild_parameter(data, requires_grad, hooks, state=None):
    p = Parameter(data, requires_grad)
    if state:
        p.__dict__.update(state)
    return p


_SLOT = Tensor.__dict__["_data"]  # the array slot, read past the mixin's guard
_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_MODULES_DIR = os.path.join(_EMBER_DIR, "nn", "modules")
_OP_FILE = os.path.join(_EMBER_DIR, "autograd", "op.py")
# torch's UninitializedTensorMixin._allowed_methods (plus the internals ember needs to move or
# materialize a placeholder); every Tensor property is allowed as well, as torch lets
# descriptors through
_ALLOWED = frozenset(("__hash__", "size", "copy_", "is_complex", "is_floating_point", "half",
                      "float", "double", "char", "short", "int", "long", "cuda", "cpu", "to",
                      "get_device", "materialize"))
# the method torch names in the error for an operator (p + 1 reports Tensor.add)
_DUNDER_OPS = {"__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub",
               "__mul__": "mul", "__rmul__": "mul", "__truediv__": "div", "__matmul__": "matmul",
               "__neg__": "neg", "__pow__": "pow", "__abs__": "abs", "_eq": "__eq__",
               "_ne": "__ne__"}
_SLOTS = {"__getitem__": "__getitem__", "__setitem__": "__setitem__",
          "getitem": "__getitem__", "setitem": "__setitem__"}
# C functions of torch.nn.functional (the others are Python functions, printed with an address)
_BUILTIN_F = frozenset(("linear", "bilinear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                        "conv_transpose2d", "conv_transpose3d", "avg_pool1d", "pixel_shuffle",
                        "pixel_unshuffle", "hardtanh_", "elu_", "leaky_relu_", "logsigmoid",
                        "softplus", "softshrink", "prelu", "rrelu_", "hardswish", "silu", "gelu",
                        "mish", "one_hot", "pdist", "cosine_similarity"))


def _is_property(name):
    return isinstance(getattr(Tensor, name, None), property)


def _in_ember(code):
    return code.co_filename.startswith(_EMBER_DIR)


def _access_allowed(obj):
    """True when the array is read on behalf of an allowed method/property called on `obj`."""
    f = sys._getframe(2)
    while f is not None and _in_ember(f.f_code):
        name = f.f_code.co_name
        if (name in _ALLOWED or _is_property(name)) and f.f_locals.get("self") is obj:
            return True
        f = f.f_back
    return False


def _func_repr():
    """torch's repr of the function that touched the placeholder (its __torch_function__ `func`),
    found as the outermost ember frame below user code, past module and dispatch machinery."""
    f = sys._getframe(2)
    found = None
    while f is not None and _in_ember(f.f_code):
        fn = f.f_code.co_filename
        if not fn.startswith(_MODULES_DIR) and fn != _OP_FILE and fn != __file__:
            found = f
        f = f.f_back
    if found is None:
        return "<unknown>"
    name = found.f_code.co_name
    fn = found.f_code.co_filename
    if name in _DUNDER_OPS:
        return f"<method '{_DUNDER_OPS[name]}' of 'torch._C.TensorBase' objects>"
    if name in _SLOTS:
        return f"<slot wrapper '{_SLOTS[name]}' of 'torch._C.TensorBase' objects>"
    if fn.endswith(os.path.join("nn", "functional.py")) and name in _BUILTIN_F:
        return f"<built-in function {name}>"
    if fn.endswith((os.path.join("nn", "functional.py"), os.path.join("nn", "init.py"))):
        return f"<function {name} at {id(found.f_globals.get(name, found)):#x}>"
    if name.startswith("__"):
        return f"<function Tensor.{name} at {id(getattr(Tensor, name, found)):#x}>"
    return f"<method '{name}' of 'torch._C.TensorBase' objects>"


class UninitializedTensorMixin:
    """Shared behaviour of the lazy placeholders: no shape until `materialize(shape)`.

    torch blocks every op on a placeholder in __torch_function__; ember guards the array
    instead: reading `_data` raises torch's ValueError unless an allowed method or a property
    of this very tensor asked for it (frames are only inspected on this rare path)."""

    @property
    def _data(self):
        if _access_allowed(self):
            return _SLOT.__get__(self)
        raise ValueError(
            f"Attempted to use an uninitialized parameter in {_func_repr()}. This error happens "
            "when you are using a `LazyModule` or explicitly manipulating "
            f"`torch.nn.parameter.{type(self).__name__}` objects. When using LazyModules Call "
            "`forward` with a dummy batch to initialize the parameters before calling torch "
            "functions")

    @_data.setter
    def _data(self, value):
        _SLOT.__set__(self, value)

    def requires_grad_(self, requires_grad=True):
        # a TensorBase method torch does not allow on a placeholder
        raise ValueError(
            "Attempted to use an uninitialized parameter in <method 'requires_grad_' of "
            "'torch._C.TensorBase' objects>. This error happens when you are using a "
            "`LazyModule` or explicitly manipulating "
            f"`torch.nn.parameter.{type(self).__name__}` objects. When using LazyModules Call "
            "`forward` with a dummy batch to initialize the parameters before calling torch "
            "functions")

    def materialize(self, shape, device=None, dtype=None):
        """Give the placeholder real (uninitialised) storage and turn it into cls_to_become."""
        from .._creation import empty
        if device is None:
            device = self.data.device
        if dtype is None:
            dtype = self.data.dtype
        self.data = empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes.")

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call "
                           "`forward` to initialize the parameters before calling "
                           "`module.share_memory()`.")

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, proto):
        return (self.__class__, (self.requires_grad,))


def is_lazy(param):
    """True for UninitializedParameter / UninitializedBuffer; see torch.nn.parameter.is_lazy."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet; see torch.nn.parameter.UninitializedParameter."""
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from .._creation import empty
        t = _alias(cls, empty(0, device=device, dtype=dtype), False)
        t._rg = bool(requires_grad)  # requires_grad_ is blocked on placeholders
        return t

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, self.data.device, self.data.dtype)
        memo[id(self)] = result
        return result


class _BufferMeta(type):
    def __instancecheck__(cls, instance):
        if cls is Buffer and isinstance(instance, Tensor) and \
                getattr(instance, "_is_buffer", False):
            return True
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a Tensor as module state when assigned as an attribute; see torch.nn.Buffer.

    Like torch, the result is a plain Tensor flagged `_is_buffer` (with `.persistent`)."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet; see torch.nn.parameter.UninitializedBuffer."""
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from .._creation import empty
        t = _alias(cls, empty(0, device=device, dtype=dtype), False)
        t._rg = bool(requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
