"""CRC32C and TFRecord framing: known test vectors, agreement with tensorboard's own
implementation on every code path (table loop, NumPy lanes, tails), and corruption detection by
tensorboard's record reader."""
import os
import zlib

import numpy as np
import pytest

from ember.utils.tensorboard import SummaryWriter
from ember.utils.tensorboard._record import crc32c, frame, masked_crc32c, read_records

# RFC 3720 (iSCSI) appendix B.4 and the usual check value
VECTORS = [(b"123456789", 0xE3069283), (b"", 0x00000000), (bytes(32), 0x8A9136AA),
           (b"\xff" * 32, 0x62A8AB43), (bytes(range(32)), 0x46DD794E),
           (bytes(range(31, -1, -1)), 0x113FDB5C), (b"a", 0xC1D04330)]


@pytest.mark.parametrize("data,expected", VECTORS)
def test_crc32c_vectors(data, expected):
    assert crc32c(data) == expected


def test_not_zlib_crc32():
    assert crc32c(b"123456789") != zlib.crc32(b"123456789")


@pytest.mark.parametrize("n", [1, 3, 4, 7, 8, 100, 2047, 2048, 2049, 4100, 65535, 65536,
                               65536 + 37, 300_001])
def test_crc32c_matches_tensorboard(n):
    pytest.importorskip("tensorboard")
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import crc32c as tb_crc32c
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import (
        masked_crc32c as tb_masked,
    )
    data = np.random.default_rng(n).integers(0, 256, n, dtype=np.uint8).tobytes()
    assert crc32c(data) == tb_crc32c(data)
    assert masked_crc32c(data) == tb_masked(data)


def test_crc32c_continues():
    data = os.urandom(10_000)
    for cut in (0, 1, 5, 2048, 4999, 9999):
        assert crc32c(data[cut:], crc32c(data[:cut])) == crc32c(data)
    assert crc32c(bytearray(data)) == crc32c(memoryview(data)) == crc32c(data)


def test_masked_crc_definition():
    c = crc32c(b"abc")
    assert masked_crc32c(b"abc") == ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) \
        % (1 << 32)


def test_frame_round_trip():
    payloads = [b"", b"x", os.urandom(300), os.urandom(70_000)]
    raw = b"".join(frame(p) for p in payloads)
    assert read_records(raw) == payloads
    assert len(frame(b"abc")) == 8 + 4 + 3 + 4


@pytest.mark.parametrize("where", ["length", "header_crc", "data", "data_crc"])
def test_corruption_is_detected(tmp_path, where):
    pytest.importorskip("tensorboard")
    from tensorboard.compat.tensorflow_stub import errors
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalar("loss", 0.25, 1)
    path, = [str(p) for p in tmp_path.glob("events.out.tfevents.*")]
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    first = 8 + 4 + int.from_bytes(raw[:8], "little") + 4      # the second record starts here
    n = int.from_bytes(raw[first:first + 8], "little")
    pos = {"length": first, "header_crc": first + 9, "data": first + 12 + n // 2,
           "data_crc": first + 12 + n + 1}[where]
    bad = tmp_path / "bad" / os.path.basename(path)
    bad.parent.mkdir()
    raw[pos] ^= 0x40
    bad.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupted|truncated"):
        read_records(bytes(raw))
    reader = PyRecordReader_New(str(bad))
    reader.GetNext()                      # the intact file_version record
    with pytest.raises(errors.DataLossError, match="crc32 check"):
        reader.GetNext()
    assert read_records(bytes(raw[:first]))   # everything before the damage still reads
