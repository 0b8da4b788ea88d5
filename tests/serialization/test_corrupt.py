"""Bad checkpoints: truncated, corrupted, wrong magic, a missing storage, impossible tensor
geometry. Each raises torch's exception with torch's text; fuzzed files raise only clean
exceptions and never run code (the weights_only unpickler cannot call anything else)."""
import io
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.serialization._pickler import StorageRef, TorchPickler, torch_global
from ember.serialization._zip_format import ZipWriter

from ._util import assert_tree, load_bytes, same_error, save_bytes
from .test_weights_only import CALLED, Payload


def both(data, **kw):
    return (lambda: load_bytes(torch, data, **kw)), (lambda: load_bytes(ember, data, **kw))


GOOD = save_bytes(torch, {"w": torch.arange(10.0), "b": torch.ones(3, dtype=torch.int64)})
LEGACY = save_bytes(torch, {"w": torch.arange(4.0)}, _use_new_zipfile_serialization=False)


def rezip(data, drop=(), replace=None, compression=zipfile.ZIP_STORED):
    """The same records in a zip written by Python's zipfile (minus `drop`, with `replace`)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as z:
        for name in src.namelist():
            short = name.split("/", 1)[1]
            if short in drop:
                continue
            z.writestr(name, (replace or {}).get(short, src.read(name)))
    return out.getvalue()


@pytest.mark.parametrize("n", [0, 1, 3, 10, 21, 22, 100, 500, -200, -23, -22, -1])
def test_truncated_zip(n):
    same_error(*both(GOOD[:n]))


@pytest.mark.parametrize("n", [0, 5, 40, 120, -17, -3])
def test_truncated_legacy(n):
    same_error(*both(LEGACY[:n]))
    same_error(*both(LEGACY[:n], weights_only=False))


@pytest.mark.parametrize("data", [b"garbage" * 10, b"\x80\x02K\x05.", b"PK\x03\x04" + b"\0" * 50,
                                  b"PYTORCH1" + b"\0" * 30])
def test_garbage(data):
    same_error(*both(data))


def test_wrong_magic_and_protocol():
    for header in ([12345, 1001], [0x1950A86A20F9469CFC6C, 1002]):
        buf = io.BytesIO()
        for h in header:
            pickle.dump(h, buf, protocol=2)
        for wo in (True, False):
            same_error(*both(buf.getvalue(), weights_only=wo))


def test_legacy_wrong_storage_size():
    i = len(LEGACY) - 16 - 8
    bad = LEGACY[:i] + struct.pack("<q", 5) + LEGACY[i + 8:]
    same_error(*both(bad))


@pytest.mark.parametrize("record", ["data/0", "data.pkl", "version", "byteorder"])
def test_missing_record(record):
    data = rezip(GOOD, drop=(record,))
    if record == "byteorder":              # optional: little-endian is assumed
        assert_tree(load_bytes(ember, data), load_bytes(torch, data))
    else:
        same_error(*both(data))


@pytest.mark.parametrize("version", [b"99\n", b"0\n", b"x\n", b"10", b" 4 \n"])
def test_versions(version):
    data = rezip(GOOD, replace={"version": version})
    if version in (b"10", b" 4 \n"):
        assert_tree(load_bytes(ember, data), load_bytes(torch, data))
    else:
        same_error(*both(data))


def patch(data, off, new):
    return data[:off] + new + data[off + len(new):]


def _cd(d):
    return d.find(b"PK\x01\x02")


def _eocd(d):
    return d.rfind(b"PK\x05\x06")


def _z64(d):
    return d.rfind(b"PK\x06\x06")


def _name(d, n="archive/data/0"):
    return d.find(n.encode())


ZIP_DAMAGE = {
    "central header signature": lambda d: patch(d, _cd(d), b"PX"),
    "local header signature": lambda d: patch(d, _name(d) - 30, b"PX"),
    "local name length": lambda d: patch(d, _name(d) - 4, struct.pack("<H", 60000)),
    "entry count": lambda d: patch(d, _eocd(d) + 8, struct.pack("<HH", 3, 3)),
    "directory size": lambda d: patch(d, _eocd(d) + 12, struct.pack("<I", 5)),
    "directory offset": lambda d: patch(d, _eocd(d) + 16, struct.pack("<I", 10 ** 8)),
    "zip64 signature (ignored)": lambda d: patch(d, _z64(d), b"PX"),
    "zip64 directory offset": lambda d: patch(d, _z64(d) + 48, struct.pack("<Q", 10 ** 9)),
    "zip64 entry count": lambda d: patch(d, _z64(d) + 24, struct.pack("<QQ", 2, 2)),
    "zip64 locator": lambda d: patch(d, d.rfind(b"PK\x06\x07") + 8, struct.pack("<Q", 5)),
    "compression method": lambda d: patch(d, _cd(d) + 10, struct.pack("<H", 99)),
    "encryption flag": lambda d: patch(d, _cd(d) + 8, struct.pack("<H", 0x0809)),
    "compressed size": lambda d: patch(d, _cd(d) + 20, struct.pack("<I", 10 ** 7)),
    "local header offset": lambda d: patch(d, _cd(d) + 42, struct.pack("<I", 10 ** 7)),
    "name length": lambda d: patch(d, _cd(d) + 28, struct.pack("<H", 500)),
    "no archive folder": lambda d: d.replace(b"archive/data.pkl", b"archive_data.pkl"),
    "no files": lambda d: b"PK\x03\x04" + bytes(26) + b"PK\x05\x06" +
    struct.pack("<HHHHIIH", 0, 0, 0, 0, 0, 30, 0),
}


@pytest.mark.parametrize("damage", sorted(ZIP_DAMAGE))
def test_damaged_zip_structure(damage):
    data = ZIP_DAMAGE[damage](GOOD)
    try:
        expected = load_bytes(torch, data)
    except Exception:
        same_error(*both(data))
        return
    assert_tree(load_bytes(ember, data), expected)


def test_bad_byteorder_record():
    same_error(*both(rezip(GOOD, replace={"byteorder": b"middle"})))


def test_deflated_entries_load():
    data = rezip(GOOD, compression=zipfile.ZIP_DEFLATED)
    assert_tree(load_bytes(ember, data), load_bytes(torch, data))


def test_big_endian_file():
    src = {"f": torch.randn(5), "c": torch.randn(3, dtype=torch.complex128),
           "h": torch.arange(4, dtype=torch.int16), "b": torch.tensor([1.5, -2.0]).bfloat16()}
    data = save_bytes(torch, src)
    z = zipfile.ZipFile(io.BytesIO(data))
    pkl = z.read("archive/data.pkl")
    swapped = {"byteorder": b"big"}
    for key, t in zip(("0", "1", "2", "3"), src.values()):
        raw = z.read(f"archive/data/{key}")
        width = 8 if t.dtype == torch.complex128 else t.element_size()
        swapped[f"data/{key}"] = np.frombuffer(raw, f"u{width}").byteswap().tobytes()
    data = rezip(data, replace=swapped)
    e, t = load_bytes(ember, data), load_bytes(torch, data)
    assert_tree(e, t)
    assert_tree(e, src)
    assert pkl == zipfile.ZipFile(io.BytesIO(data)).read("archive/data.pkl")


def crafted(reduce_args, numel=6, key="0", data_len=None):
    """A zip checkpoint whose data.pkl rebuilds one tensor with the given arguments."""
    pid = ("storage", torch_global("torch", "FloatStorage"), key, "cpu", numel)
    args = tuple(StorageRef(pid) if a == "S" else a for a in reduce_args)
    buf = io.BytesIO()

    class P(TorchPickler):
        def reducer_override(self, obj):
            if obj == "TENSOR":
                return (torch_global("torch._utils", "_rebuild_tensor_v2"), args)
            return NotImplemented
    P(buf, 2, None).dump(["TENSOR"])
    out = io.BytesIO()
    w = ZipWriter(out)
    w.write_record("data.pkl", buf.getvalue())
    w.write_record("data/0", np.arange(data_len if data_len is not None else 6,
                                       dtype=np.float32))
    w.close()
    return out.getvalue()


OD = OrderedDict()


@pytest.mark.parametrize("args,numel", [
    (("S", 0, (2, 3), (3, 1), False, OD), 6),        # fine
    (("S", 0, (2, 3), (3, 1), False, OD), 20),       # record smaller than the storage
    (("S", 0, (2, 3), (3, 1), False, OD), 4),        # record bigger than the storage
    (("S", 1, (2, 3), (3, 1), False, OD), 6),        # out of bounds
    (("S", 0, (2, 3), (30, 1), False, OD), 6),
    (("S", 0, (-2, 3), (3, 1), False, OD), 6),       # negative size
    (("S", 0, (2, 3), (-3, 1), False, OD), 6),       # negative stride
    (("S", -1, (2, 3), (3, 1), False, OD), 6),       # negative offset
    (("S", 0, (0, 3), (3, 1), False, OD), 6),        # empty: no bounds to check
    (("S", 0, (2, 3), (3, 1), True, OD), 6),         # requires_grad
])
def test_tensor_geometry(args, numel):
    data = crafted(args, numel)
    try:
        expected = torch.load(io.BytesIO(data))
    except Exception:
        same_error(*both(data))
        return
    assert_tree(load_bytes(ember, data), expected)


def test_missing_storage_in_pickle_key():
    same_error(*both(crafted(("S", 0, (2, 3), (3, 1), False, OD), key="7")))


def test_other_persistent_ids_refused():
    buf = io.BytesIO()

    class P(TorchPickler):
        def persistent_id(self, obj):
            return ("module", 1, 2, 3) if obj == "X" else None
    P(buf, 2, None).dump(["X"])
    out = io.BytesIO()
    w = ZipWriter(out)
    w.write_record("data.pkl", buf.getvalue())
    w.close()
    same_error(*both(out.getvalue()))


# ---- fuzzing -------------------------------------------------------------------------------

# what a damaged file may raise: clean Python exceptions, never a crash or a foreign one
# (struct.error: a pickle cut inside a fixed-size operand, which torch reports the same way)
CLEAN = (RuntimeError, ValueError, TypeError, KeyError, IndexError, AttributeError, EOFError,
         pickle.UnpicklingError, AssertionError, NotImplementedError, OverflowError,
         struct.error)

TARGETS = {
    "zip": save_bytes(torch, {"w": torch.arange(12.0).reshape(3, 4), "v": torch.arange(3),
                              "p": torch.nn.Parameter(torch.ones(2)), "s": torch.Size([1]),
                              "o": OrderedDict(a=[1, 2.5, "x"]), "d": torch.float16}),
    "ember_zip": save_bytes(ember, {"w": ember.arange(12.0).reshape(3, 4)[1:],
                                    "b": ember.ones(2, dtype=ember.bfloat16)}),
    "legacy": save_bytes(torch, {"w": torch.arange(6.0), "x": [torch.ones(2), 3]},
                         _use_new_zipfile_serialization=False),
    "payload": save_bytes(torch, {"w": torch.ones(2), "x": Payload()}),
}


def mutate(data, edits, cut):
    b = bytearray(data)
    for pos, val in edits:
        b[pos % len(b)] = val
    return bytes(b[:len(b) - cut % 64]) if cut else bytes(b)


def load_clean(data, **kw):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # e.g. "Detected pickle protocol 6": not an error
        try:
            load_bytes(ember, data, **kw)
        except CLEAN:
            pass
    assert CALLED == []


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(TARGETS)), st.lists(st.tuples(st.integers(0, 1 << 20),
                                                            st.integers(0, 255)),
                                                  min_size=1, max_size=6),
       st.integers(0, 63))
def test_fuzz_mutated_files(target, edits, cut):
    load_clean(mutate(TARGETS[target], edits, cut))


def test_fuzz_every_region():
    # a sweep that flips bytes at every offset of each file: headers, pickles, payloads
    rng = np.random.default_rng(0)
    for data in TARGETS.values():
        for pos in range(0, len(data), 3):
            load_clean(mutate(data, [(pos, int(rng.integers(256)))], 0))
        for pos in range(0, len(data), 7):
            load_clean(mutate(data, [(pos, 0xFF), (pos + 1, 0xFF), (pos + 2, 0x7F)], 0))


def test_fuzz_pickle_opcodes():
    # data.pkl replaced by random opcode soup: the restricted unpickler must stay clean
    rng = np.random.default_rng(1)
    ops = list(b"c\x81Rbaesu(t\x85\x86\x87N\x89\x88)]}\x8fJKMGXUQhjqr\x8a\x80.")
    for _ in range(400):
        n = int(rng.integers(1, 40))
        soup = bytes(rng.choice(ops, n).tolist()) + bytes(rng.integers(0, 256, 8).tolist())
        load_clean(rezip(GOOD, replace={"data.pkl": soup}))
