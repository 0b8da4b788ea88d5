"""torch.nn.parameter: Parameter (a Tensor a Module registers as learnable), Buffer (module
state that is not learned) and the lazy UninitializedParameter/UninitializedBuffer.

Module.__setattr__ (modules/module.py) recognises these classes; everything else in ember sees a
Parameter as an ordinary Tensor (ops on it return plain Tensors, as torch's do).
"""
from __future__ import annotations

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


class UninitializedTensorMixin:
    """Shared behaviour of the lazy placeholders: no shape until `materialize(shape)`."""

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
        return _alias(cls, empty(0, device=device, dtype=dtype), requires_grad)

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
        t = _alias(cls, empty(0, device=device, dtype=dtype), requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
