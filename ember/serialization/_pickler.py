"""Pickling ember objects exactly as torch pickles torch's, so real torch can read the file.

A tensor becomes `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
OrderedDict())` whose storage is a persistent id `('storage', torch.FloatStorage, key, location,
numel)`; dtypes, devices, Size and Parameters are named by their torch paths. The storage of a
tensor is the whole NumPy buffer it views (its `.base` root), so views are saved once and share
memory again after loading, as torch's do. Used by save() for both formats (_zip / _legacy).
"""
from __future__ import annotations

import pickle
from collections import OrderedDict
from pickle import GLOBAL, STACK_GLOBAL

import numpy as np

from .. import _dtype as D
from .._device import device as _device
from .._size import Size
from .._tensor import Tensor
from ..backend._meta import MetaArray

# torch's legacy storage class per dtype (torch.storage._dtype_to_storage_type_map)
STORAGE_NAMES = {
    "float64": "DoubleStorage", "float32": "FloatStorage", "float16": "HalfStorage",
    "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
    "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
    "complex128": "ComplexDoubleStorage", "complex64": "ComplexFloatStorage",
}


class TorchGlobal:
    """A function or class named by its torch path (`torch._utils._rebuild_tensor_v2`).

    It pickles as a plain GLOBAL opcode so real torch finds its own object; ember never imports
    torch. Calling one is a mistake (they exist only to be written)."""
    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args, **kwargs):
        raise TypeError(f"{self.module}.{self.name} is a pickling placeholder, not callable")

    def __repr__(self):
        # as torch's classes print: protocol 0 writes persistent ids with repr()
        return f"<class '{self.module}.{self.name}'>"


_GLOBALS: dict = {}


def torch_global(module, name):
    """The (memoizable: one object per name) placeholder for torch's `module.name`."""
    g = _GLOBALS.get((module, name))
    if g is None:
        g = _GLOBALS[module, name] = TorchGlobal(module, name)
    return g


REBUILD_V2 = torch_global("torch._utils", "_rebuild_tensor_v2")
REBUILD_PARAM = torch_global("torch._utils", "_rebuild_parameter")
REBUILD_PARAM_STATE = torch_global("torch._utils", "_rebuild_parameter_with_state")
REBUILD_FROM_TYPE = torch_global("torch._tensor", "_rebuild_from_type_v2")
REBUILD_META = torch_global("torch._utils", "_rebuild_meta_tensor_no_storage")
TORCH_TENSOR = torch_global("torch", "Tensor")
TORCH_SIZE = torch_global("torch", "Size")
TORCH_DEVICE = torch_global("torch", "device")
_STORAGE = "storage"   # one string object, so the pickle memoizes it as torch's does
_CPU = "cpu"


class StorageRef:
    """Stands for one storage inside the pickle; its persistent id is written instead."""
    __slots__ = ("pid",)

    def __init__(self, pid):
        self.pid = pid


def _addr(a):
    if type(a) is np.ndarray:
        return a.ctypes.data
    return int(a.data.ptr)


def _root(a):
    """The array that owns the memory `a` views (NumPy and CuPy both keep `.base` chains)."""
    cls = type(a)
    r = a
    while isinstance(r.base, cls):
        r = r.base
    return r


def _flat_bytes(a):
    """A C-ordered uint8 view of a C- or F-contiguous array's memory."""
    if not a.flags.c_contiguous:
        a = a.T
    return a.reshape(-1).view(np.uint8)


class StorageTable:
    """Storages met while pickling: one per root buffer, keyed as torch keys them.

    `records` lists (key, bytes_view) in first-use order -- the order torch writes them."""

    def __init__(self, legacy=False):
        self.legacy = legacy
        self._by_root = {}     # id(root) -> (StorageRef, dtype, root)
        self._keys = set()
        self.records = []

    def _location(self, a):
        if type(a) is np.ndarray:
            return _CPU
        return f"cuda:{int(a.device.id)}"

    def _new(self, root, dtype, nbytes, a):
        key = str(_addr(root)) if self.legacy else str(len(self.records))
        numel = nbytes // dtype.itemsize
        pid = (_STORAGE, torch_global("torch", STORAGE_NAMES[dtype.name]), key,
               self._location(a), numel)
        if self.legacy:
            if key in self._keys:          # (two empty arrays may share an address)
                key = f"{key}_{len(self.records)}"
                pid = pid[:2] + (key,) + pid[3:]
            pid = pid + (None,)
        self._keys.add(key)
        data = _flat_bytes(root)
        if type(data) is not np.ndarray:
            data = data.get()                              # CuPy -> host bytes
        self.records.append((key, data, numel))
        return StorageRef(pid)

    def register(self, a):
        """(StorageRef, offset, strides), in elements, that rebuild array `a` from a storage."""
        dtype = D._FROM_NP[a.dtype]
        item = a.itemsize
        root = _root(a)
        st = a.strides
        if (root.flags.c_contiguous or root.flags.f_contiguous) and all(s >= 0 for s in st) \
                and all(s % item == 0 for s in st):
            nbytes = root.nbytes
            off = _addr(a) - _addr(root)
            if a.size == 0 and not 0 <= off <= nbytes:
                off = 0
            if off % item == 0 and nbytes % item == 0 and 0 <= off <= nbytes:
                hit = self._by_root.get(id(root))
                if hit is not None:
                    if hit[1] is not dtype:
                        raise RuntimeError("Cannot save multiple tensors or storages that view "
                                           "the same data as different types")
                    return hit[0], off // item, _elem_strides(a)
                ref = self._new(root, dtype, nbytes, a)
                self._by_root[id(root)] = (ref, dtype, root)
                return ref, off // item, _elem_strides(a)
        # a view NumPy can express but torch cannot (negative or odd strides): save a copy
        c = a.copy()
        return self._new(c, dtype, c.nbytes, a), 0, _elem_strides(c)


def _elem_strides(a):
    if a.size == 0:     # NumPy's strides of empty arrays are arbitrary; torch's are contiguous
        st, acc = [], 1
        for n in reversed(a.shape):
            st.append(acc)
            acc *= max(n, 1)
        return tuple(reversed(st))
    item = a.itemsize
    return tuple(s // item for s in a.strides)


def _param_classes():
    """(Parameter, UninitializedTensorMixin) from ember.nn, or (None, None) if unavailable."""
    try:
        from ..nn.parameter import Parameter, UninitializedTensorMixin
    except Exception:  # ember.nn is optional for serialization
        return None, None
    return Parameter, UninitializedTensorMixin


def _state_of(t):
    d = getattr(t, "__dict__", None)
    return dict(d) if d else None


class TorchPickler(pickle._Pickler):
    """pickle's Python Pickler plus torch's conventions (see the module docstring).

    The pure-Python pickler is used because only it lets a subclass write an arbitrary GLOBAL
    (`torch FloatStorage`) without importing that module; data.pkl holds metadata only, so
    its speed does not matter next to writing the storages."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol, storages: StorageTable):
        super().__init__(file, protocol)
        self.storages = storages
        self._param, self._lazy = _param_classes()

    def persistent_id(self, obj):
        if type(obj) is StorageRef:
            pid = obj.pid
            loc = pid[3]
            if loc is not _CPU:        # torch makes a new 'cuda:N' string per call
                loc = (loc + ".")[:-1]
            # a new tuple each time, as torch's persistent_id makes (so it is not memoized)
            return pid[:3] + (loc,) + pid[4:]
        return None

    def save_torch_global(self, obj):
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(STACK_GLOBAL)
        else:
            self.write(GLOBAL + obj.module.encode() + b"\n" + obj.name.encode() + b"\n")
        self.memoize(obj)

    dispatch[TorchGlobal] = save_torch_global

    def save_dtype(self, obj):
        self.save(torch_global("torch", obj.name))

    dispatch[D.dtype] = save_dtype

    def reducer_override(self, obj):
        cls = type(obj)
        if cls in _PLAIN:
            return NotImplemented
        if cls is Tensor or isinstance(obj, Tensor):
            return self._reduce_tensor(obj, cls)
        if cls is Size:
            return (TORCH_SIZE, (tuple(obj),))
        if cls is _device:
            kind = (obj.type + ".")[:-1]     # a fresh string, as torch's device.__reduce__ gives
            return (TORCH_DEVICE, (kind,) if obj.index is None else (kind, obj.index))
        return NotImplemented

    def _tensor_args(self, t):
        a = t._data
        ref, offset, strides = self.storages.register(a)
        return (ref, offset, tuple(a.shape), strides, bool(t._rg), OrderedDict())

    def _reduce_tensor(self, t, cls):
        param, lazy = self._param, self._lazy
        if param is not None and issubclass(cls, param):
            if issubclass(cls, lazy):
                return NotImplemented          # torch pickles those by class, as ember does
            state = _state_of(t)
            data = t.data
            if state:
                return (REBUILD_PARAM_STATE, (data, bool(t._rg), OrderedDict(), state))
            return (REBUILD_PARAM, (data, bool(t._rg), OrderedDict()))
        if lazy is not None and issubclass(cls, lazy):
            return NotImplemented
        if type(t._data) is MetaArray:
            # a meta tensor has no bytes: torch records only dtype, size, stride, requires_grad
            rebuild = REBUILD_META
            args = (t.dtype, tuple(t._data.shape), tuple(t.stride()), bool(t._rg))
        else:
            rebuild, args = REBUILD_V2, self._tensor_args(t)
        state = _state_of(t)
        if cls is Tensor and not state:
            return (rebuild, args)
        return (REBUILD_FROM_TYPE, (rebuild, TORCH_TENSOR if cls is Tensor else cls, args,
                                    state))


_PLAIN = frozenset((str, tuple, list, dict, OrderedDict, bytes, int, float, bool, type(None)))


def dumps(obj, protocol, storages):
    """data.pkl's bytes for `obj`; storages met are added to `storages`."""
    import io
    buf = io.BytesIO()
    TorchPickler(buf, protocol, storages).dump(obj)
    return buf.getvalue()
