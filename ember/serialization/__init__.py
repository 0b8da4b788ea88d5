"""torch.serialization for ember: `save` / `load` in PyTorch's own file formats.

Files ember writes are torch's (zip by default, the pre-1.6 stream with
`_use_new_zipfile_serialization=False`) and load in real torch with `weights_only=True`; files
torch writes load here as ember tensors. `weights_only=True` (the default) never runs code from
the file. The container lives in _zip_format.py, pickling in _pickler.py, unpickling and the
allow-list in _unpickler.py, the old format in _legacy.py, safetensors helpers in safetensors.py.
"""
from __future__ import annotations

import io
import mmap as _mmap
import os
import pickle
import re
import sys
import warnings

from . import _legacy
from ._pickler import StorageTable, dumps
from ._unpickler import (
    _STATE,
    StorageType,
    TypedStorage,
    UntypedStorage,
    WeightsUnpickler,
    _maybe_decode_ascii,
    full_unpickler_class,
)
from ._unpickler import add_safe_globals as _add
from ._unpickler import clear_safe_globals as _clear
from ._unpickler import get_safe_globals as _get
from ._unpickler import remove_safe_globals as _remove
from ._zip_format import ZipReader, ZipWriter

__all__ = [
    "DEFAULT_PROTOCOL",
    "TypedStorage",
    "UntypedStorage",
    "add_safe_globals",
    "clear_safe_globals",
    "default_restore_location",
    "get_default_mmap_options",
    "get_safe_globals",
    "get_unsafe_globals_in_checkpoint",
    "load",
    "location_tag",
    "register_package",
    "safe_globals",
    "save",
    "set_default_mmap_options",
]

DEFAULT_PROTOCOL = 2
MAGIC_NUMBER = _legacy.MAGIC_NUMBER
PROTOCOL_VERSION = _legacy.PROTOCOL_VERSION

UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will "
    "likely succeed, but it can result in arbitrary code execution. Do it only if you got the "
    "file from a trusted source.")
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default "
    "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


# ---- safe globals (torch.serialization.add_safe_globals & co) -------------------------------

def add_safe_globals(safe_globals):
    """Allow these classes/functions in weights_only loads; see torch.serialization."""
    _add(safe_globals)


def get_safe_globals():
    """The user-added weights_only globals; see torch.serialization.get_safe_globals."""
    return _get()


def clear_safe_globals():
    """Forget every user-added weights_only global."""
    _clear()


class safe_globals:
    """Context manager allowing `safe_globals` for weights_only loads inside it."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        _add(self.safe_globals)

    def __exit__(self, type, value, tb):
        _remove(self.safe_globals)


def get_unsafe_globals_in_checkpoint(f):
    """GLOBALs in a checkpoint's data.pkl that weights_only would refuse (read, never run)."""
    import pickletools

    from ._unpickler import _map_py2_name, allowed_globals, user_allowed_globals
    safe = set(allowed_globals()) | set(user_allowed_globals())
    with _open_file_like(f, "rb") as opened:
        if not _is_zipfile(opened):
            raise ValueError("Expected input to be a checkpoint returned by torch.save")
        reader = ZipReader(opened)
        if reader.has_record("constants.pkl"):
            raise ValueError("Expected input to be a checkpoint returned by torch.save but got a "
                             "torchscript checkpoint")
        found = set()
        for op, arg, _ in pickletools.genops(reader.get_record("data.pkl")):
            if op.name == "GLOBAL":
                module, _, name = arg.partition(" ")
                module, name = _map_py2_name(module, name)
                found.add(f"{module}.{name}")
        return list(found - safe)


# ---- storage locations (torch.serialization.register_package & co) --------------------------

def _cpu_tag(storage):
    if storage.device.type == "cpu":
        return "cpu"


def _cuda_tag(storage):
    d = storage.device
    if d.type == "cuda":
        return "cuda" if d.index is None else f"cuda:{d.index}"


def _cpu_deserialize(obj, location):
    if location == "cpu":
        return obj


def _cuda_deserialize(obj, location):
    if location == "cuda" or re.match("cuda(:|[0-9]+)", location):
        from .. import cuda
        from .._device import device
        dev = device(location)
        index = dev.index or 0
        if not cuda.is_available():
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU.")
        count = cuda.device_count()
        if index >= count:
            raise RuntimeError(
                f"Attempting to deserialize object on CUDA device {index} but "
                f"torch.cuda.device_count() is {count}. Please use torch.load with map_location "
                "to map your storages to an existing device.")
        return obj.cuda(index)


def _other_deserialize(obj, location):
    if location == "meta":
        return obj.to("meta")  # shapes and dtypes only: the bytes read are dropped
    for name in ("mps", "xpu", "hpu", "mtia"):
        if location.startswith(name):
            raise NotImplementedError(f"ember has no '{name}' device: load this checkpoint with "
                                      "map_location='cpu'")


_package_registry = [(10, _cpu_tag, _cpu_deserialize), (20, _cuda_tag, _cuda_deserialize),
                     (21, lambda s: None, _other_deserialize)]


def register_package(priority, tagger, deserializer):
    """Add a (tagger, deserializer) pair for storage locations; see torch.serialization."""
    _package_registry.append((priority, tagger, deserializer))
    _package_registry.sort(key=lambda t: t[0])


def location_tag(storage):
    """The location string saved for a storage ('cpu', 'cuda:0', ...)."""
    for _, tagger, _ in _package_registry:
        location = tagger(storage)
        if location:
            return location
    raise RuntimeError(f"don't know how to determine data location of {type(storage).__name__}")


def default_restore_location(storage, location):
    """Move a loaded storage to where `location` says, through the registered deserializers."""
    for _, _, fn in _package_registry:
        result = fn(storage, location)
        if result is not None:
            return result
    raise RuntimeError("don't know how to restore data location of "
                       f"torch.storage.UntypedStorage (tagged with {location})")


def _get_restore_location(map_location):
    from .._device import device
    if map_location is None:
        return default_restore_location
    if isinstance(map_location, dict):
        def restore_location(storage, location):
            location = map_location.get(location, location)
            return default_restore_location(storage, str(location))
    elif isinstance(map_location, (str, bytes)):
        def restore_location(storage, location):
            return default_restore_location(storage, _maybe_decode_ascii(map_location))
    elif isinstance(map_location, device):
        def restore_location(storage, location):
            return default_restore_location(storage, str(map_location))
    else:
        def restore_location(storage, location):
            result = map_location(storage, location)
            if result is None:
                result = default_restore_location(storage, location)
            if isinstance(result, TypedStorage):
                result = result._untyped_storage
            if not isinstance(result, UntypedStorage):
                raise TypeError(f"map_location must return a storage or None, not "
                                f"{type(result).__name__}")
            return result
    return restore_location


_MMAP_SHARED = [False]


class set_default_mmap_options:
    """Context manager / function choosing mmap.MAP_PRIVATE (default) or MAP_SHARED for
    `load(..., mmap=True)`; see torch.serialization.set_default_mmap_options."""

    def __init__(self, flags):
        if flags not in (_mmap.MAP_PRIVATE, _mmap.MAP_SHARED):
            raise ValueError("Invalid argument in function set_default_mmap_options, expected "
                             f"mmap.MAP_PRIVATE or mmap.MAP_SHARED, but got {flags}")
        self.prev = _MMAP_SHARED[0]
        _MMAP_SHARED[0] = flags == _mmap.MAP_SHARED

    def __enter__(self):
        pass

    def __exit__(self, exc_type, exc_value, traceback):
        _MMAP_SHARED[0] = self.prev


def get_default_mmap_options():
    return _mmap.MAP_SHARED if _MMAP_SHARED[0] else _mmap.MAP_PRIVATE


# ---- files ---------------------------------------------------------------------------------

def _is_path(f):
    return isinstance(f, (str, os.PathLike))


class _open_file_like:
    """A path is opened (and closed); a buffer is checked (seekable to read, write to write)."""

    def __init__(self, f, mode):
        self._own = _is_path(f)
        self._writing = "w" in mode
        if self._own:
            self.file = open(f, mode)  # noqa: SIM115 - closed in __exit__
        else:
            self.file = f
            if not self._writing:
                _check_seekable(f)

    def __enter__(self):
        return self.file

    def __exit__(self, *exc):
        if self._own:
            self.file.close()
        elif self._writing:
            self.file.flush()


def _check_seekable(f):
    try:
        f.seek(f.tell())
    except (io.UnsupportedOperation, AttributeError) as e:
        if "seek" in str(e) or "tell" in str(e):
            raise type(e)(str(e) + ". You can only torch.load from a file that is seekable. "
                          "Please pre-load the data into a buffer like io.BytesIO and try to load "
                          "from it instead.") from None
        raise


def _is_zipfile(f):
    start = f.tell()
    head = f.read(4)
    f.seek(start)
    return head == b"PK\x03\x04"


# ---- save ----------------------------------------------------------------------------------

def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    """Save `obj` to a path or binary file in torch's format; see torch.save.

    Tensors keep their storage sharing (a view is saved with its base's buffer, once)."""
    if not _is_path(f) and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a "
                             "'write' attribute")
    if pickle_module is not pickle:
        raise NotImplementedError("ember.save supports only the standard pickle module (torch's "
                                  "tensor records need pickle's Python Pickler)")
    if _is_path(f):
        f = os.fspath(f)
    if not _use_new_zipfile_serialization:
        with _open_file_like(f, "wb") as opened:
            _legacy.save(obj, opened, pickle_protocol)
        return
    writer = ZipWriter(f)
    try:
        storages = StorageTable()
        data = dumps(obj, pickle_protocol, storages)
        writer.write_record("data.pkl", data)
        # .format_version 1: storages are numbered in the order they are written
        writer.write_record(".format_version", b"1")
        writer.write_record(".storage_alignment", b"64")
        if not _disable_byteorder_record:
            writer.write_record("byteorder", sys.byteorder.encode())
        for key, payload, _ in storages.records:
            writer.write_record(f"data/{key}", payload)
        writer.close()
    except BaseException:
        writer.abort()
        raise


# ---- load ----------------------------------------------------------------------------------

def _weights_only_message(message):
    """torch.load's wrapping of a weights_only unpickler error."""
    if re.search(r"GLOBAL (\S+) was not an allowed global by default.", message):
        return ("Weights only load failed. This file can still be loaded, to do so you have two "
                "options, \033[1mdo those steps only if you trust the source of the "
                f"checkpoint\033[0m. \n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with "
                "`weights_only=True` please check the recommended steps in the following error "
                "message.\n\tWeightsUnpickler error: " + message + _DOCS_MESSAGE)
    if re.search(r"(\S+) must be (\S+) to load", message):
        return f"Weights only load failed. {message}\n {UNSAFE_MESSAGE}\n"
    out = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
    if not re.search(r"whose module (\S+) is blocked", message):
        out += ("Please file an issue with the following so that we can make `weights_only=True` "
                "compatible with your use case: WeightsUnpickler error: ")
    return out + "\n\n" + message + _DOCS_MESSAGE


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved by torch.save or ember.save; see torch.load.

    weights_only=True (the default) accepts only tensors, containers, primitive types and the
    allow-listed torch names, and runs no code from the file. weights_only=False unpickles
    anything -- only for files you trust. mmap=True maps storages from the file instead of
    reading them (f must be a path)."""
    weights_only_not_set = weights_only is None
    if weights_only_not_set:
        weights_only = pickle_module is None
    true_values = ("1", "y", "yes", "true")
    force = os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in true_values
    force_no = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in true_values
    if force and force_no:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or "
                           "`TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` should be set, but both were set.")
    if force:
        weights_only = True
    elif force_no and weights_only_not_set:
        warnings.warn("Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since "
                      "the`weights_only` argument was not explicitly passed to `torch.load`, "
                      "forcing weights_only=False.", UserWarning, stacklevel=2)
        weights_only = False
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                               "specified")
    elif pickle_module is None:
        pickle_module = pickle
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.")
    mmap = bool(mmap)
    pickle_load_args.setdefault("encoding", "utf-8")

    if _is_path(f) and os.fspath(f).endswith(".safetensors"):
        return _load_safetensors(os.fspath(f), map_location)

    with _open_file_like(f, "rb") as opened:
        if _is_zipfile(opened):
            reader = ZipReader(opened)
            if reader.has_record("constants.pkl"):
                warnings.warn("'torch.load' received a zip file that looks like a TorchScript "
                              "archive dispatching to 'torch.jit.load' (call 'torch.jit.load' "
                              "directly to silence this warning)", UserWarning, stacklevel=2)
                if weights_only:
                    raise RuntimeError("Cannot use ``weights_only=True`` with TorchScript "
                                       "archives passed to ``torch.load``. " + UNSAFE_MESSAGE)
                raise NotImplementedError("ember cannot load TorchScript archives "
                                          "(torch.jit.load)")
            mapped = None
            if mmap:
                if not _is_path(f):
                    raise ValueError("f must be a file path in order to use the mmap argument")
                if _MMAP_SHARED[0]:      # MAP_SHARED: writes reach the file, which needs O_RDWR
                    fd = os.open(os.fspath(f), os.O_RDWR)
                    try:
                        mapped = _mmap.mmap(fd, 0, access=_mmap.ACCESS_WRITE)
                    finally:
                        os.close(fd)
                else:                    # MAP_PRIVATE: copy-on-write pages, the file is intact
                    mapped = _mmap.mmap(opened.fileno(), 0, access=_mmap.ACCESS_COPY)
            try:
                return _load_zip(reader, map_location, None if weights_only else pickle_module,
                                 mapped, pickle_load_args)
            except pickle.UnpicklingError as e:
                if weights_only:
                    raise pickle.UnpicklingError(_weights_only_message(str(e))) from None
                raise
        if mmap:
            f_name = f"{f}, " if isinstance(f, str) else ""
            raise RuntimeError("mmap can only be used with files saved with "
                               f"`torch.save({f_name}_use_new_zipfile_serialization=True), please "
                               "torch.save your checkpoint with this option in order to use mmap.")
        try:
            return _legacy.load(opened, _get_restore_location(map_location), weights_only,
                                pickle_module, pickle_load_args, UNSAFE_MESSAGE)
        except pickle.UnpicklingError as e:
            if weights_only:
                raise pickle.UnpicklingError(_weights_only_message(str(e))) from None
            raise


def _load_zip(reader, map_location, pickle_module, mapped, pickle_load_args):
    """torch.serialization._load: data.pkl's objects, storages read from data/<key>."""
    import numpy as np
    restore_location = _get_restore_location(map_location)
    swap = False
    if reader.has_record("byteorder"):
        order = reader.get_record("byteorder")
        if order not in (b"little", b"big"):
            raise ValueError("Unknown endianness type: " + order.decode())
        swap = order.decode() != sys.byteorder
    else:
        swap = sys.byteorder != "little"
    loaded = {}

    def load_storage(dtype, nbytes, key, location):
        name = f"data/{key}"
        size = reader.record_size(name)
        if size != nbytes:
            raise RuntimeError(f"record size ({size} bytes) does not match expected size "
                               f"({nbytes} bytes = {nbytes} elements * 1 bytes/element) for "
                               "dtype Byte")
        if mapped is not None and reader.is_stored(name):
            arr = np.frombuffer(mapped, np.uint8, nbytes, reader.record_offset(name)) \
                if nbytes else np.empty(0, np.uint8)
        else:
            arr = np.empty(nbytes, np.uint8)
            reader.read_into(name, arr)
        if swap and dtype.itemsize > 1:
            if mapped is not None:
                arr = arr.copy()          # never write the swap back into a shared mapping
            width = dtype.itemsize // 2 if dtype.is_complex else dtype.itemsize
            arr.view(f"u{width}").byteswap(inplace=True)
        storage = restore_location(UntypedStorage(arr), location)
        typed = TypedStorage(storage, dtype)
        loaded[key] = typed
        return typed

    def persistent_load(saved_id):
        if not isinstance(saved_id, tuple):
            raise AssertionError(f"saved_id must be a tuple, got {type(saved_id).__name__}")
        typename = _maybe_decode_ascii(saved_id[0])
        if typename != "storage":
            raise AssertionError("Unknown typename for persistent_load, expected 'storage' but "
                                 f"got '{typename}'")
        storage_type, key, location, numel = saved_id[1:]
        if storage_type is UntypedStorage:
            from .. import _dtype as D
            dtype = D.uint8
        elif isinstance(storage_type, StorageType):
            dtype = storage_type.dtype
        else:
            raise RuntimeError(f"expected a storage type in a storage record, got "
                               f"{type(storage_type).__name__}")
        if key in loaded:
            return loaded[key]
        if isinstance(numel, bool) or not isinstance(numel, int) or numel < 0:
            raise RuntimeError(f"invalid storage size {numel!r} in a storage record")
        return load_storage(dtype, numel * dtype.itemsize, key, _maybe_decode_ascii(location))

    data = io.BytesIO(reader.get_record("data.pkl"))
    if pickle_module is None:
        unpickler = WeightsUnpickler(data, **pickle_load_args)
    else:
        unpickler = full_unpickler_class(pickle_module)(data, **pickle_load_args)
    unpickler.persistent_load = persistent_load
    _STATE.map_location = map_location
    try:
        return unpickler.load()
    finally:
        _STATE.map_location = None


def _load_safetensors(path, map_location):
    """torch.load on a *.safetensors path reads it with the safetensors package."""
    device = "cpu"
    if map_location is not None:
        if isinstance(map_location, dict):
            raise RuntimeError("Loading safetensors file with dict map_location is not "
                               "supported. Use a device string or torch.device instead.")
        if callable(map_location) and not isinstance(map_location, str):
            raise RuntimeError("Loading safetensors file with callable map_location is not "
                               "supported. Use a device string or torch.device instead.")
        device = str(map_location)
    try:
        import safetensors  # noqa: F401
    except ImportError as e:
        raise RuntimeError("Attempting to load a safetensors file but safetensors is not "
                           "installed. Please install safetensors with: pip install "
                           "safetensors") from e
    from .safetensors import load_file
    return load_file(path, device=device)
