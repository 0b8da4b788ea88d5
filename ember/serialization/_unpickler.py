"""Reading torch's pickles into ember objects: storages, torch's rebuild functions, and the two
unpicklers -- the `weights_only` one, which runs no code from the file (it interprets a small
set of pickle opcodes itself and resolves names only through an allow-list), and the full one,
which maps torch's module paths onto ember's. Used by load() for zip and legacy files alike.
"""
from __future__ import annotations

import _compat_pickle
import codecs
import pickle
import struct
import sys
import warnings
from collections import Counter, OrderedDict
from pickle import UnpicklingError

import numpy as np

from .. import _dtype as D
from .._device import device as _device
from .._size import Size
from .._tensor import Tensor, _wrap
from ..backend._meta import MetaArray
from ._pickler import STORAGE_NAMES

# ---- storages ------------------------------------------------------------------------------


class UntypedStorage:
    """The bytes of one saved storage (a flat uint8 NumPy or CuPy array); see torch.UntypedStorage.

    This is what a `map_location` callable receives; `storage.cuda(i)` / `.cpu()` move it."""
    __slots__ = ("_array",)

    def __init__(self, array):
        self._array = array

    @property
    def device(self):
        from ..backend import device_of
        return device_of(self._array)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def nbytes(self):
        return int(self._array.size)

    size = nbytes
    __len__ = nbytes

    def element_size(self):
        return 1

    def data_ptr(self):
        a = self._array
        return a.__array_interface__["data"][0] if type(a) is np.ndarray else int(a.data.ptr)

    def to(self, device=None, non_blocking=False):
        from ..backend import to_device
        return type(self)(to_device(self._array, _device(device)))

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        if isinstance(device, _device):
            return self.to(device)
        return self.to(_device("cuda", 0 if device is None else int(device)))

    def tolist(self):
        from ..backend import to_numpy
        return to_numpy(self._array).tolist()

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(self._array[idx])
        return int(self._array[idx])

    def __repr__(self):
        body = "".join(f" {v}\n" for v in self.tolist())
        return f"{body}[torch.storage.UntypedStorage(device={self.device}) of size {len(self)}]"


class TypedStorage:
    """An UntypedStorage read as one dtype: what torch's rebuild functions receive."""
    __slots__ = ("_untyped_storage", "dtype")

    def __init__(self, untyped, dtype):
        self._untyped_storage = untyped
        self.dtype = dtype

    @property
    def device(self):
        return self._untyped_storage.device

    @property
    def is_cuda(self):
        return self._untyped_storage.is_cuda

    def untyped(self):
        return self._untyped_storage

    def element_size(self):
        return self.dtype.itemsize

    def nbytes(self):
        return self._untyped_storage.nbytes()

    def size(self):
        return self.nbytes() // self.dtype.itemsize

    __len__ = size

    def data_ptr(self):
        return self._untyped_storage.data_ptr()

    def _array(self):
        """The storage as a 1-D array of its dtype (shares memory)."""
        a = self._untyped_storage._array
        n = a.size - a.size % self.dtype.itemsize
        return a[:n].view(self.dtype.np)

    def to(self, device=None, non_blocking=False):
        return TypedStorage(self._untyped_storage.to(device), self.dtype)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return TypedStorage(self._untyped_storage.cuda(device), self.dtype)

    def tolist(self):
        from ..backend import to_numpy
        a = to_numpy(self._array())
        if a.dtype.name == "bfloat16":
            a = a.astype(np.float32)
        return a.tolist()

    def __getitem__(self, idx):
        return self.tolist()[idx]

    def __repr__(self):
        body = "".join(f" {v}\n" for v in self.tolist())
        return (f"{body}[torch.storage.TypedStorage(dtype={self.dtype}, device={self.device}) of "
                f"size {len(self)}]")


class StorageType:
    """torch's legacy storage classes in a pickle (`torch.FloatStorage`): only dtype counts."""
    __slots__ = ("_dtype", "name")

    def __init__(self, name):
        self.name = name
        self._dtype = _STORAGE_DTYPES[name]

    @property
    def dtype(self):
        d = self._dtype
        if isinstance(d, _Unsupported):
            d.fail()
        return d

    def __repr__(self):
        return f"StorageType(dtype={self._dtype})"


class _Unsupported:
    """A torch object ember has no counterpart for (torch.uint16, quantized storages, ...).

    It can be named in a file; using it raises NotImplementedError saying what is missing."""
    __slots__ = ("what",)

    def __init__(self, what):
        self.what = what

    def fail(self, *args, **kwargs):
        raise NotImplementedError(f"ember does not support {self.what}, which this checkpoint "
                                  "uses")

    __call__ = fail

    def __repr__(self):
        return f"<unsupported {self.what}>"


_STORAGE_DTYPES = {v: D._BY_NAME[k] for k, v in STORAGE_NAMES.items()}
for _q in ("QUInt8Storage", "QInt8Storage", "QInt32Storage", "QUInt4x2Storage",
           "QUInt2x4Storage"):
    _STORAGE_DTYPES[_q] = _Unsupported(f"quantized storages (torch.{_q})")

# dtypes torch has and ember has not
_MISSING_DTYPES = ("uint16", "uint32", "uint64", "complex32", "bits1x8", "bits2x4", "bits4x2",
                   "bits8", "bits16", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
                   "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "qint8", "quint8",
                   "qint32", "quint4x2", "quint2x4") + tuple(f"int{i}" for i in range(1, 8)) \
    + tuple(f"uint{i}" for i in range(1, 8))


# ---- rebuilding tensors (torch._utils' functions, on ember) ---------------------------------

def _check_dtype(dtype):
    if isinstance(dtype, _Unsupported):
        dtype.fail()
    if not isinstance(dtype, D.dtype):
        raise TypeError(f"expected a dtype, got {type(dtype).__name__}")
    return dtype


_U64 = 1 << 64


def _u64(x):
    return x % _U64          # C++ reads int64 sizes as uint64: a negative one is huge


def _geometry(storage_offset, size, stride, item):
    """Validate set_(storage, offset, size, stride) as torch does; the bytes it needs."""
    ok = lambda v: isinstance(v, int) and not isinstance(v, bool)
    if not (ok(storage_offset) and isinstance(size, (tuple, list)) and
            isinstance(stride, (tuple, list)) and all(map(ok, size)) and all(map(ok, stride))):
        names = ", ".join(type(v).__name__ for v in (storage_offset, size, stride))
        raise TypeError("set_() received an invalid combination of arguments - got "
                        f"(torch.storage.UntypedStorage, {names}), but expected one of:\n"
                        " * (torch.Storage source, int storage_offset, tuple of ints size, "
                        "tuple of ints stride)")
    if len(size) != len(stride):
        raise RuntimeError(f"unequal size length ({len(size)}) and stride length "
                           f"({len(stride)})")
    if storage_offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {storage_offset}")
    numel = 1
    for n in size:
        numel *= _u64(n)
        if numel >= _U64:
            break
    if numel > (1 << 63) - 1:
        raise RuntimeError("numel: integer multiplication overflow")
    if any(n == 0 for n in size):
        return 0
    need = 1
    for n, st in zip(size, stride):
        need += _u64(st) * _u64(n - 1)
    need = (need + storage_offset) * item
    if need >= _U64:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    for n in size:
        if n < 0:      # torch would even build such a tensor; NumPy cannot
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                           f"{list(size)}")
    return need


def _strided(storage, storage_offset, size, stride, dtype):
    """An array viewing `storage` (TypedStorage or UntypedStorage) like torch's Tensor.set_."""
    if not isinstance(storage, (TypedStorage, UntypedStorage)):
        raise TypeError(f"expected a storage, got {type(storage).__name__}")
    untyped = storage._untyped_storage if isinstance(storage, TypedStorage) else storage
    buf = untyped._array
    item = dtype.itemsize
    need = _geometry(storage_offset, size, stride, item)
    size, stride = tuple(size), tuple(stride)
    if need > buf.size:
        raise RuntimeError("Trying to resize storage that is not resizable")
    if type(buf) is MetaArray:  # map_location='meta': the tensor keeps shape and dtype only
        return MetaArray(size, dtype.np)
    if not need:
        for n in size:
            if n < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                                   f"{list(size)}")
        return (np if type(buf) is np.ndarray else _cupy()).empty(size, dtype.np)
    byte_ofs = storage_offset * item
    # a size-1 dimension's stride is never used; keep NumPy away from negative ones
    byte_strides = tuple(st * item if n != 1 else abs(st) * item for n, st in zip(size, stride))
    if type(buf) is np.ndarray:
        return np.ndarray(size, dtype.np, buffer=buf, offset=byte_ofs, strides=byte_strides)
    cp = _cupy()
    return cp.ndarray(size, dtype.np, memptr=buf.data + byte_ofs, strides=byte_strides)


def _cupy():
    from ..backend import cupy
    return cupy()


def _set_requires_grad(t, requires_grad):
    if not isinstance(requires_grad, bool):
        raise RuntimeError("requires_grad must be a bool")
    if requires_grad:
        t.requires_grad_(True)
    return t


def _apply_metadata(t, metadata):
    # torch's conj / neg bits: ember has neither, so such a view is materialized
    if metadata:
        if metadata.get("conj"):
            t._data = t._data.conj()
        if metadata.get("neg"):
            t._data = -t._data
    return t


def _rebuild_tensor(storage, storage_offset, size, stride):
    """torch._utils._rebuild_tensor: a tensor viewing a typed storage."""
    dtype = _check_dtype(storage.dtype) if isinstance(storage, TypedStorage) else D.uint8
    return _wrap(_strided(storage, storage_offset, size, stride, dtype))


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    """torch._utils._rebuild_tensor_v2 (hooks are never serialized: the empty dict is ignored)."""
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    return _apply_metadata(_set_requires_grad(t, requires_grad), metadata)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    """torch._utils._rebuild_tensor_v3: an UntypedStorage read as `dtype`."""
    t = _wrap(_strided(storage, storage_offset, size, stride, _check_dtype(dtype)))
    return _apply_metadata(_set_requires_grad(t, requires_grad), metadata)


def _parameter_class():
    try:
        from ..nn.parameter import Parameter
    except ImportError as e:  # pragma: no cover - ember.nn ships with ember
        raise NotImplementedError(f"loading an nn.Parameter needs ember.nn ({e})") from None
    return Parameter


def _rebuild_parameter(data, requires_grad, backward_hooks):
    """torch._utils._rebuild_parameter."""
    return _parameter_class()(data, requires_grad)


def _set_obj_state(obj, state):
    if isinstance(state, tuple):
        if len(state) != 2:
            raise RuntimeError(f"Invalid serialized state: {state}")
        dict_state, slots_state = state
    else:
        dict_state, slots_state = state, None
    if dict_state:
        for k, v in dict_state.items():
            setattr(obj, k, v)
    if slots_state:
        for k, v in slots_state.items():
            setattr(obj, k, v)
    return obj


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """torch._utils._rebuild_parameter_with_state: a Parameter plus its Python attributes."""
    return _set_obj_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    """torch._tensor._rebuild_from_type_v2: a Tensor subclass (or a Tensor with attributes)."""
    ret = func(*args)
    if type(ret) is not new_type:
        if not (isinstance(new_type, type) and issubclass(new_type, Tensor)):
            raise TypeError(f"cannot rebuild a tensor as {new_type!r}")
        sub = object.__new__(new_type)
        sub._data, sub._rg, sub.grad_fn, sub._ver = ret._data, ret._rg, None, None
        ret = sub
    setstate = getattr(type(ret), "__setstate__", None)
    if setstate is not None and setstate is not Tensor.__setstate__:
        ret.__setstate__(state)
    else:
        ret = _set_obj_state(ret, state)
    return ret


def _rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad):
    """torch._utils._rebuild_device_tensor_from_cpu_tensor."""
    t = data.to(dtype=_check_dtype(dtype), device=_restore_device(device))
    t.requires_grad = requires_grad
    return t


def _rebuild_meta_tensor_no_storage(dtype, size, stride, requires_grad):
    """torch._utils._rebuild_meta_tensor_no_storage: a meta tensor (no bytes were saved)."""
    return _set_requires_grad(_wrap(MetaArray(tuple(size), _check_dtype(dtype).np)),
                              requires_grad)


def _rebuild_device_tensor_from_numpy(data, dtype, device, requires_grad):
    """torch._utils._rebuild_device_tensor_from_numpy."""
    from .._creation import from_numpy
    t = from_numpy(data).to(dtype=_check_dtype(dtype), device=_restore_device(device))
    t.requires_grad = requires_grad
    return t


def _restore_device(device):
    loc = _STATE.map_location
    if isinstance(loc, dict):
        device = loc.get(device, device)
    elif isinstance(loc, (str, _device)):
        device = loc
    return _device(device) if isinstance(device, str) else device


def _get_layout(name):
    """torch.serialization._get_layout: ember knows only the strided layout."""
    if name == "torch.strided":
        import ember
        return ember.strided
    raise NotImplementedError(f"ember does not support the layout {name}")


class _State:
    map_location = None


_STATE = _State()


# ---- torch's allow-list, resolved to ember objects ------------------------------------------

_ALLOWED = None


def _parameter_or_unsupported():
    try:
        return _parameter_class()
    except NotImplementedError:
        return _Unsupported("torch.nn.Parameter (ember.nn is missing)")


def allowed_globals():
    """torch's default weights_only allow-list: torch path -> the ember object it means."""
    global _ALLOWED
    if _ALLOWED is not None:
        return _ALLOWED
    import ember
    rc = {
        "collections.OrderedDict": OrderedDict,
        "collections.Counter": Counter,
        "torch.nn.parameter.Parameter": _parameter_or_unsupported(),
        "torch.serialization._get_layout": _get_layout,
        "torch.Size": Size,
        "torch.Tensor": Tensor,
        "torch.device": _device,
        "_codecs.encode": codecs.encode,
        "builtins.bytearray": bytearray,
        "builtins.set": set,
        "builtins.complex": complex,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.storage.TypedStorage": TypedStorage,
        "torch.storage.UntypedStorage": UntypedStorage,
    }
    for d in D.ALL:
        rc[f"torch.{d.name}"] = d
    for name in _MISSING_DTYPES:
        rc[f"torch.{name}"] = _Unsupported(f"the dtype torch.{name}")
    for name in STORAGE_NAMES.values():
        rc[f"torch.{name}"] = StorageType(name)
        if name not in ("ComplexDoubleStorage", "ComplexFloatStorage"):
            rc[f"torch.cuda.{name}"] = StorageType(name)
    for name in ("QUInt8Storage", "QInt8Storage", "QInt32Storage", "QUInt4x2Storage",
                 "QUInt2x4Storage"):
        rc[f"torch.{name}"] = StorageType(name)
    # the legacy tensor classes (torch.FloatTensor, ...): their dtype comes from the storage
    for base in ("BFloat16", "Bool", "Byte", "Char", "Double", "Float", "Half", "Int", "Long",
                 "Short"):
        rc[f"torch.{base}Tensor"] = Tensor
        rc[f"torch.cuda.{base}Tensor"] = Tensor
        if base != "Bool":
            for mod in ("torch.sparse", "torch.cuda.sparse"):
                rc[f"{mod}.{base}Tensor"] = _Unsupported(f"sparse tensors ({mod}.{base}Tensor)")
    for q in ("per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
              "per_channel_symmetric", "per_channel_affine_float_qparams"):
        rc[f"torch.{q}"] = _Unsupported(f"quantized tensors (torch.{q})")
    fns = {"_rebuild_tensor": _rebuild_tensor, "_rebuild_tensor_v2": _rebuild_tensor_v2,
           "_rebuild_tensor_v3": _rebuild_tensor_v3, "_rebuild_parameter": _rebuild_parameter,
           "_rebuild_parameter_with_state": _rebuild_parameter_with_state,
           "_rebuild_device_tensor_from_cpu_tensor": _rebuild_device_tensor_from_cpu_tensor,
           "_rebuild_device_tensor_from_numpy": _rebuild_device_tensor_from_numpy,
           "_rebuild_qtensor": _Unsupported("quantized tensors (_rebuild_qtensor)"),
           "_rebuild_sparse_tensor": _Unsupported("sparse tensors (_rebuild_sparse_tensor)"),
           "_rebuild_nested_tensor": _Unsupported("nested tensors (_rebuild_nested_tensor)"),
           "_rebuild_wrapper_subclass": _Unsupported("tensor wrapper subclasses "
                                                     "(_rebuild_wrapper_subclass)"),
           "_rebuild_meta_tensor_no_storage": _rebuild_meta_tensor_no_storage}
    for k, v in fns.items():
        rc[f"torch._utils.{k}"] = v
    del ember
    _ALLOWED = rc
    return rc


# ---- user allow-list (torch.serialization.add_safe_globals) ---------------------------------

_safe_globals: set = set()


def add_safe_globals(safe_globals):
    global _safe_globals
    _safe_globals = _safe_globals.union(set(safe_globals))


def get_safe_globals():
    return list(_safe_globals)


def clear_safe_globals():
    global _safe_globals
    _safe_globals = set()


def remove_safe_globals(globals_to_remove):
    global _safe_globals
    _safe_globals = _safe_globals - set(globals_to_remove)


def user_allowed_globals():
    """{full path: object} for the user's safe globals; an ember class also answers to its
    torch path (`ember.nn.modules.linear.Linear` as `torch.nn.modules.linear.Linear`)."""
    rc = {}
    for f in _safe_globals:
        if isinstance(f, tuple):
            if len(f) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got tuple of length: {len(f)}")
            if type(f[1]) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full "
                                f"path, but got: {type(f[1])}")
            rc[f[1]] = f[0]
        else:
            path = f"{f.__module__}.{f.__qualname__}"
            rc[path] = f
            if path.startswith("ember."):
                rc.setdefault("torch." + path[6:], f)
    return rc


# ---- the weights_only unpickler -------------------------------------------------------------

_BLOCKED = ("sys", "os", "posix", "nt")
_NJT = ("torch.nested._internal.nested_tensor.NestedTensor",
        "torch.nested._internal.nested_tensor._rebuild_njt", "torch._dynamo.decorators._DimRange")
_DTENSOR = ("torch.distributed.device_mesh.DeviceMesh",
            "torch.distributed.tensor._dtensor_spec.DTensorSpec",
            "torch.distributed.tensor._dtensor_spec.TensorMeta", "torch.distributed.tensor.DTensor",
            "torch.distributed.tensor.placement_types.Partial",
            "torch.distributed.tensor.placement_types.Replicate",
            "torch.distributed.tensor.placement_types.Shard")


def _maybe_decode_ascii(s):
    return s.decode("ascii") if isinstance(s, bytes) else s


def _map_py2_name(module, name):
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


class WeightsUnpickler:
    """Interprets the pickle opcodes torch's weights_only loader accepts, and no others.

    GLOBAL resolves only through the allow-lists, REDUCE/NEWOBJ call only allow-listed
    objects, BUILD/APPEND/SETITEM touch only tensors, lists and dicts: a file cannot make it
    import a module or call anything else. Errors follow torch's texts."""

    def __init__(self, file, *, encoding="bytes"):
        self.encoding = encoding
        self.read = file.read
        self.readline = file.readline
        self.memo = {}
        self.proto = -1
        self._allowed = allowed_globals()
        self._user = user_allowed_globals()
        ids = {id(v) for v in self._allowed.values()}
        ids.update(id(v) for v in self._user.values())
        self._allowed_ids = ids

    def persistent_load(self, pid):
        raise UnpicklingError("unsupported persistent id encountered")

    # -- helpers --
    def _read_exact(self, n):
        """n bytes of operand; a short read means the stream ended, which torch's loader
        reports as EOFError when it next reads an opcode -- we report it at once."""
        if n > 1 << 20:      # a corrupt length must not make us allocate it up front
            parts, left = [], n
            while left:
                part = self.read(min(left, 1 << 20))
                if not part:
                    break
                parts.append(part)
                left -= len(part)
            data = b"".join(parts)
        else:
            data = self.read(n)
        if len(data) != n:
            raise EOFError
        return data

    def _unpack(self, fmt, n):
        # a short fixed-size operand fails in struct.unpack, as in torch's loader
        return struct.unpack(fmt, self.read(n))[0]

    def _pop(self):
        if not self.stack:
            raise UnpicklingError("unpickling stack underflow")
        return self.stack.pop()

    def _top(self):
        if not self.stack:
            raise UnpicklingError("unpickling stack underflow")
        return self.stack[-1]

    def _pop_mark(self):
        if not self.metastack:
            raise UnpicklingError("could not find MARK")
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def _global(self):
        try:
            module = self.readline()[:-1].decode("utf-8")
            name = self.readline()[:-1].decode("utf-8")
        except UnicodeDecodeError:
            raise UnpicklingError("GLOBAL names must be UTF-8") from None
        module, name = _map_py2_name(module, name)
        full = f"{module}.{name}"
        if module in _BLOCKED:
            raise UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose module "
                                  f"{module} is blocked.")
        if full in self._allowed:
            return self._allowed[full]
        if full in self._user:
            return self._user[full]
        if full in _NJT:
            raise UnpicklingError("``torch.nested`` and ``torch._dynamo`` must be imported to "
                                  "load nested jagged tensors (NJTs)")
        if full in _DTENSOR:
            raise UnpicklingError("``torch.distributed.tensor`` must be imported to load DTensors")
        if full.startswith("builtins"):
            rest = full[len("builtins"):]
            full = rest[1:] if rest.startswith(".") else "builtins" + rest
        raise UnpicklingError(
            f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
            f"`torch.serialization.add_safe_globals([{full}])` or the "
            f"`torch.serialization.safe_globals([{full}])` context manager to allowlist this "
            "global if you trust this class/function.")

    def _is_allowed(self, obj):
        return id(obj) in self._allowed_ids

    def load(self):
        self.metastack = []
        self.stack = []
        read = self.read
        while True:
            key = read(1)
            if not key:
                raise EOFError
            op = key[0]
            handler = _OPS.get(op)
            if handler is None:
                raise UnpicklingError(f"Unsupported operand {op}")
            if handler is _stop:
                return self._pop()
            handler(self)


def _op_global(u):
    u.stack.append(u._global())


def _op_newobj(u):
    args = u._pop()
    cls = u._pop()
    param = u._allowed["torch.nn.parameter.Parameter"]
    if cls is param and not isinstance(cls, _Unsupported):
        u.stack.append(cls(*args))
    elif u._is_allowed(cls) and isinstance(cls, type):
        u.stack.append(cls.__new__(cls, *args))
    elif isinstance(cls, _Unsupported):
        cls.fail()
    else:
        raise UnpicklingError("Can only create new object for nn.Parameter or classes "
                              f"allowlisted via `add_safe_globals` but got {cls}")


def _op_reduce(u):
    args = u._pop()
    func = u._top()
    if not u._is_allowed(func):
        msg = f"Trying to call reduce for unrecognized function {func}"
        if hasattr(func, "__self__"):
            msg += f" which belongs to {func.__self__}"
        raise UnpicklingError(msg)
    if not isinstance(args, tuple):
        raise UnpicklingError(f"REDUCE arguments must be a tuple, got {type(args).__name__}")
    u.stack[-1] = func(*args)


def _tensor_setstate(inst, state):
    # torch's Tensor.__setstate__: legacy (storage, offset, size, stride) or the flags tuple
    if not isinstance(state, tuple):
        raise UnpicklingError(f"invalid Tensor state {type(state).__name__}")
    if len(state) == 4:
        storage, offset, size, stride = state
        dtype = storage.dtype if isinstance(storage, TypedStorage) else D.uint8
        inst._data = _strided(storage, offset, size, stride, _check_dtype(dtype))
        return
    if len(state) == 5:
        inst._data = state[0]._data
        state = (state[3], state[4], state[2])
    if len(state) != 3:
        raise UnpicklingError(f"invalid Tensor state of length {len(state)}")
    inst.requires_grad = state[0]


def _op_build(u):
    state = u._pop()
    inst = u._top()
    t = type(inst)
    param = u._allowed["torch.nn.parameter.Parameter"]
    if t is Tensor or t is param:
        _tensor_setstate(inst, state)
    elif t is OrderedDict:
        if not isinstance(state, dict):
            raise UnpicklingError("OrderedDict state must be a dict")
        inst.__dict__.update(state)
    elif u._is_allowed(t):
        if getattr(t, "__setstate__", None) is not None:
            inst.__setstate__(state)
        else:
            slotstate = None
            if isinstance(state, tuple) and len(state) == 2:
                state, slotstate = state
            if state:
                inst.__dict__.update(state)
            if slotstate:
                for k, v in slotstate.items():
                    setattr(inst, k, v)
    else:
        raise UnpicklingError("Can only build Tensor, Parameter, OrderedDict or types allowlisted "
                              f"via `add_safe_globals`, but got {t}")


def _op_append(u):
    item = u._pop()
    lst = u._top()
    if type(lst) is not list:
        raise UnpicklingError(f"Can only append to lists, but got {type(lst)}")
    lst.append(item)


def _op_appends(u):
    items = u._pop_mark()
    lst = u._top()
    if type(lst) is not list:
        raise UnpicklingError(f"Can only extend lists, but got {type(lst)}")
    lst.extend(items)


def _check_dict_target(u, opcode):
    target = u._top()
    if type(target) not in (dict, OrderedDict, Counter):
        raise UnpicklingError(f"Can only {opcode} for dict, collections.OrderedDict, "
                              f"collections.Counter, but got {type(target)}")
    return target


def _op_setitem(u):
    v = u._pop()
    k = u._pop()
    _check_dict_target(u, "SETITEM")[k] = v


def _op_setitems(u):
    items = u._pop_mark()
    target = _check_dict_target(u, "SETITEMS")
    if len(items) % 2:
        raise UnpicklingError("odd number of items for SETITEMS")
    for i in range(0, len(items), 2):
        target[items[i]] = items[i + 1]


def _op_mark(u):
    u.metastack.append(u.stack)
    u.stack = []


def _op_tuple(u):
    items = tuple(u._pop_mark())     # before touching u.stack: popping the mark replaces it
    u.stack.append(items)


def _op_tuple_n(n):
    def op(u):
        if len(u.stack) < n:
            raise UnpicklingError("unpickling stack underflow")
        items = tuple(u.stack[-n:])
        del u.stack[-n:]
        u.stack.append(items)
    return op


def _push(value_fn):
    def op(u):
        u.stack.append(value_fn())
    return op


def _op_binint(u):
    u.stack.append(u._unpack("<i", 4))


def _op_binint1(u):
    u.stack.append(u.read(1)[0])


def _op_binint2(u):
    u.stack.append(u._unpack("<H", 2))


def _op_binfloat(u):
    u.stack.append(u._unpack(">d", 8))


def _op_binunicode(u):
    n = u._unpack("<I", 4)
    if n > sys.maxsize:
        raise UnpicklingError("String is too long")
    u.stack.append(str(u._read_exact(n), "utf-8", "surrogatepass"))


def _op_short_binstring(u):
    data = u._read_exact(u.read(1)[0])
    if u.encoding != "bytes":
        data = data.decode(u.encoding, "strict")
    u.stack.append(data)


def _op_binpersid(u):
    pid = u._pop()
    if type(pid) is not tuple and type(pid) is not int:
        raise UnpicklingError(f"persistent_load id must be tuple or int, but got {type(pid)}")
    if type(pid) is tuple and len(pid) > 0 and _maybe_decode_ascii(pid[0]) != "storage":
        raise UnpicklingError(f"Only persistent_load of storage is allowed, but got "
                              f"{type(pid[0])}")
    u.stack.append(u.persistent_load(pid))


def _get(u, idx):
    try:
        u.stack.append(u.memo[idx])
    except KeyError:
        raise UnpicklingError(f"Memo value not found at index {idx}") from None


def _op_binget(u):
    _get(u, u.read(1)[0])


def _op_long_binget(u):
    _get(u, u._unpack("<I", 4))


def _op_binput(u):
    u.memo[u.read(1)[0]] = u._top()


def _op_long_binput(u):
    u.memo[u._unpack("<I", 4)] = u._top()


def _op_long1(u):
    n = u.read(1)[0]
    u.stack.append(pickle.decode_long(u._read_exact(n)))


def _op_proto(u):
    u.proto = u.read(1)[0]
    if u.proto != 2:
        warnings.warn(f"Detected pickle protocol {u.proto} in the checkpoint, which was not the "
                      "default pickle protocol used by `torch.load` (2). The weights_only "
                      "Unpickler might not support all instructions implemented by this "
                      "protocol, please file an issue for adding support if you encounter this.",
                      stacklevel=4)


def _stop(u):  # marker: load() returns the top of the stack
    pass


_OPS = {
    pickle.GLOBAL[0]: _op_global, pickle.NEWOBJ[0]: _op_newobj, pickle.REDUCE[0]: _op_reduce,
    pickle.BUILD[0]: _op_build, pickle.APPEND[0]: _op_append, pickle.APPENDS[0]: _op_appends,
    pickle.SETITEM[0]: _op_setitem, pickle.SETITEMS[0]: _op_setitems, pickle.MARK[0]: _op_mark,
    pickle.TUPLE[0]: _op_tuple, pickle.TUPLE1[0]: _op_tuple_n(1), pickle.TUPLE2[0]: _op_tuple_n(2),
    pickle.TUPLE3[0]: _op_tuple_n(3), pickle.NONE[0]: _push(lambda: None),
    pickle.NEWFALSE[0]: _push(lambda: False), pickle.NEWTRUE[0]: _push(lambda: True),
    pickle.EMPTY_TUPLE[0]: _push(tuple), pickle.EMPTY_LIST[0]: _push(list),
    pickle.EMPTY_DICT[0]: _push(dict), pickle.EMPTY_SET[0]: _push(set),
    pickle.BININT[0]: _op_binint, pickle.BININT1[0]: _op_binint1,
    pickle.BININT2[0]: _op_binint2, pickle.BINFLOAT[0]: _op_binfloat,
    pickle.BINUNICODE[0]: _op_binunicode, pickle.SHORT_BINSTRING[0]: _op_short_binstring,
    pickle.BINPERSID[0]: _op_binpersid, pickle.BINGET[0]: _op_binget,
    pickle.LONG_BINGET[0]: _op_long_binget, pickle.BINPUT[0]: _op_binput,
    pickle.LONG_BINPUT[0]: _op_long_binput, pickle.LONG1[0]: _op_long1,
    pickle.PROTO[0]: _op_proto, pickle.STOP[0]: _stop,
}


def weights_only_load(file, **kwargs):
    """One weights_only unpickle from `file` (no persistent ids allowed)."""
    return WeightsUnpickler(file, **kwargs).load()


# ---- torch's paths on ember, for full (weights_only=False) unpickling ------------------------

_MODULE_MAP = {"torch.tensor": "torch._tensor"}


def resolve_torch_global(module, name):
    """The ember object for torch's `module.name`, or NotImplementedError naming it."""
    full = f"{module}.{name}"
    rc = allowed_globals()
    if full in rc:
        return rc[full]
    if type(name) is str and "Storage" in name and name in _STORAGE_DTYPES:
        return StorageType(name)
    import importlib
    candidates = ["ember" + module[len("torch"):]]
    if module.startswith("torch.nn.modules."):
        candidates.append("ember.nn")
    for mod_name in candidates:
        try:
            obj = importlib.import_module(mod_name)
            for part in name.split("."):
                obj = getattr(obj, part)
            return obj
        except (ImportError, AttributeError):
            continue
    raise NotImplementedError(
        f"ember cannot load {full}: ember has no counterpart for it. Load tensors and "
        "state_dicts with weights_only=True, or re-save the object's state_dict() with torch.")


def full_unpickler_class(pickle_module):
    """pickle_module.Unpickler that maps torch names to ember and loads storages."""

    class TorchUnpickler(pickle_module.Unpickler):
        def find_class(self, mod_name, name):
            if type(name) is str and "Storage" in name and name in _STORAGE_DTYPES:
                return StorageType(name)
            mod_name = _MODULE_MAP.get(mod_name, mod_name)
            if mod_name == "torch" or mod_name.startswith("torch."):
                return resolve_torch_global(mod_name, name)
            return super().find_class(mod_name, name)

    return TorchUnpickler
