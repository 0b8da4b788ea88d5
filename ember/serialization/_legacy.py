"""torch's pre-1.6 checkpoint format (`_use_new_zipfile_serialization=False`), both ways.

One stream of pickles: a magic number, the protocol version, a sys_info dict, the object (its
storages as persistent ids `('storage', type, key, location, numel, view)`), the sorted storage
keys, then per key an int64 element count and the raw bytes. The older tar format (torch < 0.4)
is recognised and refused. Called from save()/load() in __init__.py.
"""
from __future__ import annotations

import pickle
import struct
import sys
import tarfile

import numpy as np

from ._pickler import StorageTable, TorchPickler
from ._unpickler import (
    StorageType,
    TypedStorage,
    UntypedStorage,
    WeightsUnpickler,
    _maybe_decode_ascii,
    full_unpickler_class,
)

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


# ---- save ----------------------------------------------------------------------------------

class _LegacyPickler(TorchPickler):
    """Also writes a module class as ('module', cls, source_file, source), as torch does."""

    def __init__(self, file, protocol, storages):
        super().__init__(file, protocol, storages)
        self._containers = set()
        try:
            from ..nn import Module
        except Exception:  # ember.nn is optional here
            Module = None
        self._module_cls = Module

    def persistent_id(self, obj):
        if type(obj) is not type or self._module_cls is None:
            return super().persistent_id(obj)
        if not issubclass(obj, self._module_cls) or obj in self._containers:
            return None
        self._containers.add(obj)
        import inspect
        try:
            source_file, source = inspect.getsourcefile(obj), inspect.getsource(obj)
        except Exception:  # saving the source is optional
            import warnings
            warnings.warn(f"Couldn't retrieve source code for container of type {obj.__name__}. "
                          "It won't be checked for correctness upon loading.", stacklevel=2)
            source_file = source = None
        return ("module", obj, source_file, source)


def save(obj, f, protocol):
    """torch.serialization._legacy_save."""
    sys_info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
                "type_sizes": {"short": 2, "int": 4, "long": struct.calcsize("=l")}}
    pickle.dump(MAGIC_NUMBER, f, protocol=protocol)
    pickle.dump(PROTOCOL_VERSION, f, protocol=protocol)
    pickle.dump(sys_info, f, protocol=protocol)
    storages = StorageTable(legacy=True)
    _LegacyPickler(f, protocol, storages).dump(obj)
    records = {key: (data, numel) for key, data, numel in storages.records}
    keys = sorted(records)
    pickle.dump(keys, f, protocol=protocol)
    f.flush()
    for key in keys:
        data, numel = records[key]
        f.write(struct.pack("<q", numel))
        f.write(memoryview(data))


# ---- load ----------------------------------------------------------------------------------

def _should_read_directly(f):
    if getattr(f, "__module__", None) == "gzip":
        return False
    try:
        return f.fileno() >= 0
    except Exception:
        return False


def _remaining(f):
    try:
        here = f.tell()
        end = f.seek(0, 2)
        f.seek(here)
        return end - here
    except Exception:
        return None


def _read_exact(f, n):
    buf = np.empty(n, np.uint8)
    view = memoryview(buf)
    done = 0
    readinto = getattr(f, "readinto", None)
    while done < n:
        if readinto is not None:
            got = readinto(view[done:])
        else:
            chunk = f.read(n - done)
            got = len(chunk)
            view[done:done + got] = chunk
        if not got:
            raise RuntimeError(f"unexpected EOF, expected {n - done} more bytes. The file might "
                               "be corrupted.")
        done += got
    return buf


def load(f, restore_location, weights_only, pickle_module, pickle_load_args, unsafe_message):
    """torch.serialization._legacy_load; `restore_location(storage, tag)` places storages."""
    if _should_read_directly(f) and f.tell() == 0:
        try:
            tar = tarfile.open(fileobj=f, mode="r:", format=tarfile.PAX_FORMAT)
        except tarfile.TarError:
            f.seek(0)
        else:
            tar.close()
            if weights_only:
                raise RuntimeError("Cannot use ``weights_only=True`` with files saved in the "
                                   "legacy .tar format. " + unsafe_message)
            raise NotImplementedError("ember cannot read the tar checkpoint format of "
                                      "PyTorch < 0.4; re-save the file with a newer torch")

    if weights_only:
        def load_one():
            return WeightsUnpickler(f, **pickle_load_args).load()
    else:
        def load_one():
            return pickle_module.load(f, **pickle_load_args)

    magic = load_one()
    if magic != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = load_one()
    if version != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {version}")
    load_one()  # sys_info: ember reads the little-endian files every torch writes

    storages = {}
    left = _remaining(f)

    def persistent_load(saved_id):
        if not isinstance(saved_id, tuple):
            raise AssertionError(f"saved_id must be a tuple, got {type(saved_id).__name__}")
        typename = _maybe_decode_ascii(saved_id[0])
        data = saved_id[1:]
        if typename == "module":
            return data[0]          # the class itself; ember does not diff its source
        if typename != "storage":
            raise RuntimeError(f"Unknown saved id type: {saved_id[0]}")
        storage_type, root_key, location, numel, view = data
        if not isinstance(storage_type, StorageType):
            raise RuntimeError(f"expected a storage type in a storage record, got "
                               f"{type(storage_type).__name__}")
        if isinstance(numel, bool) or not isinstance(numel, int) or numel < 0:
            raise RuntimeError(f"invalid storage size {numel!r} in a storage record")
        dtype = storage_type.dtype
        typed = storages.get(root_key)
        if typed is None:
            nbytes = numel * dtype.itemsize
            if left is not None and nbytes > left:
                raise RuntimeError(f"unexpected EOF, expected {nbytes - left} more bytes. The "
                                   "file might be corrupted.")
            untyped = restore_location(UntypedStorage(np.empty(nbytes, np.uint8)),
                                       _maybe_decode_ascii(location))
            typed = storages[root_key] = TypedStorage(untyped, dtype)
        if view is None:
            return typed
        view_key, offset, view_size = view
        if view_key not in storages:
            item = dtype.itemsize
            sub = typed._untyped_storage._array[offset * item:(offset + view_size) * item]
            storages[view_key] = TypedStorage(UntypedStorage(sub), dtype)
        return storages[view_key]

    if weights_only:
        unpickler = WeightsUnpickler(f, **pickle_load_args)
    else:
        unpickler = full_unpickler_class(pickle_module)(f, **pickle_load_args)
    unpickler.persistent_load = persistent_load
    result = unpickler.load()
    keys = load_one()
    for key in keys:
        if key not in storages:
            raise AssertionError(f"storage key {key!r} not found in deserialized_objects")
        typed = storages[key]
        head = _read_exact(f, 8).tobytes()
        size = struct.unpack("<q", head)[0] * typed.dtype.itemsize
        nbytes = typed.nbytes()
        if size != nbytes:
            # torch's message, format placeholders and all
            raise RuntimeError(f"storage has wrong byte size: expected %ld got %ld{size}{nbytes}")
        data = _read_exact(f, nbytes)
        target = typed._untyped_storage._array
        if type(target) is np.ndarray:
            target[...] = data
        else:
            target.set(data)
    return result
