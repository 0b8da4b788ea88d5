"""TFRecord framing for event files, and the CRC32C (Castagnoli) checksum it needs.

A record is `len (u64 LE) | masked_crc32c(len) | data | masked_crc32c(data)`; TensorBoard's
reader checks both CRCs. CRC32C is not zlib's crc32 (different polynomial), so it lives here:
a 256-entry table for short inputs, and for long ones (images, graphs) a NumPy version that runs
many slices side by side and joins their CRCs with GF(2) "shift by n zero bytes" operators.
"""
from __future__ import annotations

import struct

import numpy as np

_POLY = 0x82F63B78  # CRC-32C, bit-reflected (zlib's crc32 uses 0xEDB88320)


def _make_table():
    c = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        c = np.where(c & 1, (c >> 1) ^ np.uint32(_POLY), c >> 1).astype(np.uint32)
    return c


_TABLE_NP = _make_table()
_TABLE = _TABLE_NP.tolist()
# slicing-by-4: _TK[k][b] is the register after byte b followed by k zero bytes, so one 32-bit
# word costs four lookups instead of four dependent byte steps
_TK = [_TABLE_NP]
for _k in range(3):
    _TK.append((_TK[-1] >> 8) ^ _TABLE_NP[_TK[-1] & 0xFF])
_T0, _T1, _T2, _T3 = (t.tolist() for t in _TK)
del _TK, _k

_NUMPY_MIN = 2048   # below this many bytes the table loop beats the NumPy lanes
_ONE = np.uint32(1) << np.arange(32, dtype=np.uint32)   # the 32 basis registers


def _crc_py(data, crc):
    """Register update over `data` (no pre/post inversion), a 32-bit word per step."""
    n4 = len(data) & ~3
    t0, t1, t2, t3 = _T0, _T1, _T2, _T3
    for w in struct.unpack_from("<%dI" % (n4 >> 2), data):
        crc ^= w
        crc = t3[crc & 0xFF] ^ t2[(crc >> 8) & 0xFF] ^ t1[(crc >> 16) & 0xFF] ^ t0[crc >> 24]
    t = _TABLE
    for b in data[n4:]:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


# A GF(2)-linear map on the 32-bit register is kept as four 256-entry byte tables, so applying
# it to an array of registers is four gathers and three xors.
def _apply(op, regs):
    return op[0][regs & 0xFF] ^ op[1][(regs >> 8) & 0xFF] ^ op[2][(regs >> 16) & 0xFF] \
        ^ op[3][regs >> 24]


def _tables(images):
    """The byte tables of the linear map that sends basis bit j to images[j]."""
    bits = (np.arange(256, dtype=np.uint32)[:, None] >> np.arange(8, dtype=np.uint32)) & 1
    return [np.bitwise_xor.reduce(bits * images[8 * k:8 * k + 8], axis=1).astype(np.uint32)
            for k in range(4)]


_POW2: dict = {}


def _shift_pow2(k):
    """The map "feed 2**k zero bytes", cached (at most ~40 of them): one byte step for k = 0,
    then squaring."""
    op = _POW2.get(k)
    if op is None:
        if k == 0:
            regs = (_ONE >> 8) ^ _TABLE_NP[_ONE & 0xFF]
        else:
            half = _shift_pow2(k - 1)
            regs = _apply(half, _apply(half, _ONE))
        op = _POW2[k] = _tables(regs)
    return op


def _shift(regs, n):
    """Registers after n more zero bytes: the powers of two in n's binary form, one by one
    (they commute - all are powers of the same map)."""
    k = 0
    while n:
        if n & 1:
            regs = _apply(_shift_pow2(k), regs)
        n >>= 1
        k += 1
    return regs


def _crc_np(data, crc):
    """Register update over a long buffer. The body is cut into lanes of `width` bytes, all
    CRC'd at once from a zero register (one NumPy step per byte position), then joined pairwise
    up a tree with reg(A||B) = shift_len(B)(reg(A)) ^ reg(B); the incoming register is shifted
    past the whole body and xored in (CRC registers are linear). The short tail runs in Python."""
    buf = np.frombuffer(data, dtype=np.uint8)
    width = 8 if len(buf) < (1 << 16) else 32   # measured: fewest steps that pay off
    nlanes = len(buf) // width
    body = nlanes * width
    regs = np.zeros(nlanes, dtype=np.uint32)
    tab = _TABLE_NP
    for col in buf[:body].reshape(nlanes, width).T:   # byte i of every lane
        regs = tab[(regs ^ col) & 0xFF] ^ (regs >> 8)
    while len(regs) > 1:
        if len(regs) & 1:   # a leading zero lane changes nothing (zero register, zero bytes)
            regs = np.concatenate((np.zeros(1, dtype=np.uint32), regs))
        regs = _shift(regs[0::2], width) ^ regs[1::2]
        width *= 2
    reg = int(regs[0]) ^ int(_shift(np.array([crc], dtype=np.uint32), body)[0])
    return _crc_py(data[body:], reg)


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli) of `data`, continuing from `crc`; crc32c(b"123456789") == 0xE3069283."""
    reg = crc ^ 0xFFFFFFFF
    if len(data) >= _NUMPY_MIN:
        reg = _crc_np(data, reg)
    else:
        reg = _crc_py(data, reg)
    return reg ^ 0xFFFFFFFF


def masked_crc32c(data):
    """TFRecord's masked CRC: rotate right by 15 and add 0xA282EAD8 (tensorflow's crc32c.h)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")


_HEADERS: dict = {}


def frame(data):
    """One TFRecord: header (length + its masked CRC), the payload, the payload's masked CRC."""
    n = len(data)
    head = _HEADERS.get(n)
    if head is None:
        # the header depends only on the length, and events repeat lengths: keep a few
        header = _U64.pack(n)
        head = header + _U32.pack(masked_crc32c(header))
        if len(_HEADERS) < 4096:
            _HEADERS[n] = head
    return b"".join((head, data, _U32.pack(masked_crc32c(data))))


def read_records(raw):
    """Split TFRecord bytes back into payloads, checking both CRCs of every record (ValueError
    on a corrupted or truncated one): a reader needing neither tensorboard nor protobuf."""
    out = []
    pos = 0
    n = len(raw)
    while pos < n:
        if pos + 12 > n:
            raise ValueError(f"truncated record header at byte {pos}")
        header = raw[pos:pos + 8]
        (length,) = _U64.unpack(header)
        (hcrc,) = _U32.unpack(raw[pos + 8:pos + 12])
        if hcrc != masked_crc32c(header):
            raise ValueError(f"corrupted record at byte {pos}: header CRC mismatch")
        start = pos + 12
        end = start + length
        if end + 4 > n:
            raise ValueError(f"truncated record at byte {pos}")
        data = raw[start:end]
        (dcrc,) = _U32.unpack(raw[end:end + 4])
        if dcrc != masked_crc32c(data):
            raise ValueError(f"corrupted record at byte {pos}: data CRC mismatch")
        out.append(bytes(data))
        pos = end + 4
    return out
