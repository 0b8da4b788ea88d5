"""torch's zip checkpoint container: the writer lays records out byte for byte as torch's
PyTorchStreamWriter (miniz) does -- 64-byte aligned payloads behind an "FB" padding field, data
descriptors, zip64 end records, the serialization id -- and the reader parses the central
directory itself, so a storage can be read straight into an array or memory-mapped in place.
ember.serialization.save/load (__init__.py) drive both.
"""
from __future__ import annotations

import os
import re
import struct
import zlib

ALIGNMENT = 64              # torch.utils.serialization.config.save.storage_alignment
_VERSION = b"3\n"           # kProducedFileFormatVersion
_MAX_VERSION, _MIN_VERSION = 10, 1
_U32 = 0xFFFFFFFF
_M64 = (1 << 64) - 1

# local header, central header, end records (APPNOTE.TXT field order)
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_EOCD = struct.Struct("<IHHHHIIH")
_EOCD64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")
_SIG_LOCAL, _SIG_CENTRAL, _SIG_DESC = 0x04034B50, 0x02014B50, 0x08074B50
_SIG_EOCD, _SIG_EOCD64, _SIG_LOC64 = 0x06054B50, 0x06064B50, 0x07064B50

_MINIZ_HINT = (". This is an internal miniz error. If you are seeing this error, there is a high "
               "likelihood that your checkpoint file is corrupted. This can happen if the "
               "checkpoint was not saved properly, was transferred incorrectly, or the file was "
               "modified after saving.")


def _enforce(line, msg):
    # torch's C++ CAFFE_THROW text, kept so messages match torch's word for word
    return RuntimeError(f"[enforce fail at inline_container.cc:{line}] . {msg}")


def archive_name(path):
    """The folder torch puts records in: the file's basename without its extension."""
    start = max(path.rfind("/"), path.rfind("\\")) + 1
    if start >= len(path):
        return ""
    dot = path.rfind(".", start)
    return path[start:dot if dot >= 0 else len(path)]


# ---- the serialization id ------------------------------------------------------------------
# torch writes `.data/serialization_id` = 20 digits of a hash over the record names (in the
# iteration order of a libstdc++ std::unordered_set<std::string>) + 20 digits combining the
# payload CRCs. Reproducing both makes ember's files identical to torch's, byte for byte.

_MUL = 0xC6A4A7935BD1E995


def _std_hash(data: bytes) -> int:
    """libstdc++'s std::hash<std::string> (_Hash_bytes, 64-bit, seed 0xc70f6907)."""
    n = len(data)
    h = (0xC70F6907 ^ (n * _MUL)) & _M64
    body = n & ~7
    for (w,) in struct.iter_unpack("<Q", data[:body]):
        w = (w * _MUL) & _M64
        h ^= ((w ^ (w >> 47)) * _MUL) & _M64
        h = (h * _MUL) & _M64
    if n & 7:
        h ^= int.from_bytes(data[body:], "little")
        h = (h * _MUL) & _M64
    h = ((h ^ (h >> 47)) * _MUL) & _M64
    return h ^ (h >> 47)


def _hash_combine(seed, value):
    """c10::hash_combine."""
    return (seed ^ ((value + 0x9E3779B9 + (seed << 6) + (seed >> 2)) & _M64)) & _M64


# libstdc++'s bucket counts (_Prime_rehash_policy): the small table, then its prime list
_FAST_BKT = (2, 2, 2, 3, 5, 5, 7, 7, 11, 11, 11, 11, 13, 13)
_PRIMES = (
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    103, 109, 113, 127, 137, 139, 149, 157, 167, 179, 193, 199, 211, 227, 241, 257, 277, 293, 313,
    337, 359, 383, 409, 439, 467, 503, 541, 577, 619, 661, 709, 761, 823, 887, 953, 1031, 1109,
    1193, 1289, 1381, 1493, 1613, 1741, 1879, 2029, 2179, 2357, 2549, 2753, 2971, 3209, 3469, 3739,
    4027, 4349, 4703, 5087, 5503, 5953, 6427, 6949, 7517, 8123, 8783, 9497, 10273, 11113, 12011,
    12983, 14033, 15173, 16411, 17749, 19183, 20753, 22447, 24281, 26267, 28411, 30727, 33223,
    35933, 38873, 42043, 45481, 49201, 53201, 57557, 62233, 67307, 72817, 78779, 85229, 92203,
    99733, 107897, 116731, 126271, 136607, 147793, 159871, 172933, 187091, 202409, 218971, 236897,
    256279, 277261, 299951, 324503, 351061, 379787, 410857, 444487, 480881, 520241, 562841,
    608903, 658753, 712697, 771049, 834181, 902483, 976369, 1056323, 1142821, 1236397, 1337629,
    1447153, 1565659, 1693859, 1832561, 1982627, 2144977, 2320627, 2510653, 2716249, 2938679,
    3179303, 3439651, 3721303, 4026031, 4355707, 4712381, 5098259, 5515729, 5967347, 6456007,
    6984629, 7556579, 8175383, 8844859, 9569143, 10352717, 11200489, 12117689, 13109983)


def _unordered_set_order(codes):
    """Indices of `codes` in the order a libstdc++ unordered_set iterates after inserting them.

    A singly linked list with buckets pointing at the node *before* their first node: a node
    goes to the front of its bucket's run, or to the list's front when its bucket is empty;
    a rehash re-threads the list the same way (std::_Hashtable::_M_rehash_aux)."""
    import bisect
    BB = -1                                   # the list head (_M_before_begin)
    nxt = [BB] * len(codes)
    head = [BB]                               # head[0]: the first node (BB = none)

    def get_next(node):
        return head[0] if node == BB else nxt[node]

    def set_next(node, value):
        if node == BB:
            head[0] = value
        else:
            nxt[node] = value

    n_bkt, next_resize = 1, 0
    buckets = [None]
    for i, code in enumerate(codes):
        if i + 1 > next_resize:               # _M_need_rehash
            min_bkts = max(i + 1, 0 if next_resize else 11)
            if min_bkts >= n_bkt:
                want = max(min_bkts + 1, n_bkt * 2)
                if want < len(_FAST_BKT):
                    n_new = _FAST_BKT[want]
                else:
                    n_new = _PRIMES[min(bisect.bisect_left(_PRIMES, want, 6), len(_PRIMES) - 1)]
                next_resize = n_new
                # rehash: walk the old list, re-inserting every node
                new = [None] * n_new
                p, head[0], bbegin = head[0], BB, 0
                while p != BB:
                    after = nxt[p]
                    b = codes[p] % n_new
                    if new[b] is None:
                        nxt[p] = head[0]
                        head[0] = p
                        new[b] = BB
                        if nxt[p] != BB:
                            new[bbegin] = p
                        bbegin = b
                    else:
                        nxt[p] = get_next(new[b])
                        set_next(new[b], p)
                    p = after
                buckets, n_bkt = new, n_new
            else:
                next_resize = n_bkt
        b = code % n_bkt
        if buckets[b] is not None:
            nxt[i] = get_next(buckets[b])
            set_next(buckets[b], i)
        else:
            nxt[i] = head[0]
            head[0] = i
            if nxt[i] != BB:
                buckets[codes[nxt[i]] % n_bkt] = i
            buckets[b] = BB
    order, p = [], head[0]
    while p != BB:
        order.append(p)
        p = nxt[p]
    return order


def serialization_id(names, crc_combined):
    codes = [_std_hash(n.encode()) for n in names]
    h = 0
    for i in _unordered_set_order(codes):
        h = _hash_combine(h, codes[i])
    return f"{h:020d}{crc_combined:020d}"


# ---- writer --------------------------------------------------------------------------------

class ZipWriter:
    """torch.serialization's PyTorchStreamWriter: records at 64-byte aligned offsets.

    `f` is a path (str; the archive folder is its basename) or a binary file object
    ("archive"). Call write_record for each record, then close()."""

    def __init__(self, f):
        if isinstance(f, str) and not f.isascii():
            # torch hands non-ASCII paths to Python's open and writes them as a buffer
            name, self._file, self._own = "archive", open(f, "wb"), True
        elif isinstance(f, str):
            name = archive_name(f)
            if not name:
                raise _enforce(720, f"invalid file name: {f}")
            parent = f[:max(f.rfind("/"), 0)] if "/" in f else ""
            if parent and not os.path.isdir(parent):
                raise RuntimeError(f"Parent directory {parent} does not exist.")
            try:
                self._file = open(f, "wb")
            except OSError as e:
                raise _enforce(747, f"open file failed with strerror: {os.strerror(e.errno)}") \
                    from None
            self._own = True
        else:
            write = getattr(f, "write", None)
            if not callable(write):
                msg = f"Buffer of {str(type(f)).strip('<>')} has no callable attribute 'write'"
                raise (TypeError if hasattr(f, "write") else AttributeError)(msg)
            name, self._file, self._own = "archive", f, False
        self._prefix = name + "/"
        self._pos = 0
        self._central = []
        self._names = []
        self._crc = 0
        self._closed = False

    def _write(self, data):
        self._file.write(data)
        self._pos += len(data) if isinstance(data, bytes) else memoryview(data).nbytes

    def write_record(self, name, data):
        """One stored (uncompressed) record; `data` is anything with the buffer protocol."""
        view = memoryview(data).cast("B")
        size = view.nbytes
        full = (self._prefix + name).encode()
        offset = self._pos
        big_size, big_ofs = size >= _U32, offset >= _U32
        z64 = b""
        if big_size or big_ofs:
            fields = ((size, 0) if big_size else ()) + ((offset,) if big_ofs else ())
            z64 = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields)
        start = offset + _LOCAL.size + len(full) + len(z64) + 4
        pad = -start % ALIGNMENT
        extra = z64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        flags = 0x0808 if size else 0x0800   # utf-8 names; a data descriptor follows payloads
        self._write(_LOCAL.pack(_SIG_LOCAL, 0, flags, 0, 0, 0, 0, 0, 0, len(full), len(extra))
                    + full + extra)
        crc = 0
        if size:
            crc = zlib.crc32(view)
            self._write(view)
            if z64:
                self._write(struct.pack("<IIQQ", _SIG_DESC, crc, size, size))
            else:
                self._write(struct.pack("<IIII", _SIG_DESC, crc, size, size))
            self._crc = _hash_combine(self._crc, crc)
        z64c = b""
        if big_size or big_ofs:
            fields = ((size, size) if big_size else ()) + ((offset,) if big_ofs else ())
            z64c = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields)
        self._central.append(
            _CENTRAL.pack(_SIG_CENTRAL, 0, 0, flags, 0, 0, 0, crc, min(size, _U32),
                          min(size, _U32), len(full), len(z64c), 0, 0, 0, 0, min(offset, _U32))
            + full + z64c)
        self._names.append(name)

    def close(self):
        """writeEndOfFile: version, byteorder, serialization id, then the central directory."""
        if self._closed:
            return
        self._closed = True
        try:
            if "version" not in self._names and ".data/version" not in self._names:
                self.write_record("version", _VERSION)
            if "byteorder" not in self._names:
                self.write_record("byteorder", b"little")
            sid = serialization_id(self._names, self._crc)
            self.write_record(".data/serialization_id", sid.encode())
            cd_ofs = self._pos
            central = b"".join(self._central)
            self._write(central)
            n = len(self._central)
            z64_ofs = self._pos
            self._write(_EOCD64.pack(_SIG_EOCD64, 44, 0x031E, 0x002D, 0, 0, n, n, len(central),
                                     cd_ofs))
            self._write(_LOCATOR64.pack(_SIG_LOC64, 0, z64_ofs, 1))
            self._write(_EOCD.pack(_SIG_EOCD, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                                   min(len(central), _U32), min(cd_ofs, _U32), 0))
            flush = getattr(self._file, "flush", None)
            if flush is not None:
                flush()
        finally:
            if self._own:
                self._file.close()

    def abort(self):
        """Close an owned file after a failure (torch leaves the partial file, as do we)."""
        if self._own and not self._closed:
            self._closed = True
            self._file.close()


# ---- reader --------------------------------------------------------------------------------

class _Entry:
    __slots__ = ("csize", "data_ofs", "flags", "header_ofs", "method", "usize")

    def __init__(self, header_ofs, csize, usize, method, flags):
        self.header_ofs, self.csize, self.usize, self.method = header_ofs, csize, usize, method
        self.flags = flags
        self.data_ofs = None


def _miniz_error(what, why):
    return RuntimeError(f"PytorchStreamReader failed {what}: {why}{_MINIZ_HINT}")


class ZipReader:
    """torch's PyTorchStreamReader over a seekable binary file: records by name, their offsets.

    Errors carry torch's texts ("PytorchStreamReader failed reading zip archive: failed finding
    central directory. ..."); nothing is decompressed or read until a record is asked for."""

    def __init__(self, f):
        self._f = f
        f.seek(0, os.SEEK_END)
        self.size = size = f.tell()
        if size < _EOCD.size:
            raise _miniz_error("reading zip archive", "not a ZIP archive")
        self._entries = self._read_central_directory()
        if not self._entries:
            raise _enforce(171, "archive does not contain any files")
        first = next(iter(self._entries))
        slash = first.find("/")
        if slash < 0:
            raise _enforce(180, f"file in archive is not in a subdirectory: {first}")
        self.prefix = first[:slash + 1]
        if self.has_record(".data/version"):
            text = self.get_record(".data/version")
        elif self.has_record("version"):
            text = self.get_record("version")
        else:
            raise RuntimeError('Expected hasRecord("version") to be true, but got false.  (Could '
                               'this error message be improved?  If so, please report an '
                               'enhancement request to PyTorch.)')
        m = re.match(rb"\s*([+-]?\d+)", text)
        if m is None or len(m.group(1).lstrip(b"+-")) > 20:
            raise _enforce(215, f"Couldn't parse the version {text.decode('latin1')} as Long Long.")
        self.version = version = int(m.group(1)) & _M64   # std::stoull wraps negatives
        if version < _MIN_VERSION:
            raise _enforce(219, f"Attempted to read a PyTorch file with version {version}, but "
                                f"the minimum supported version for reading is {_MIN_VERSION}. "
                                "Your PyTorch script module file is too old. Please regenerate "
                                "it with latest version of PyTorch to mitigate this issue.")
        if version > _MAX_VERSION:
            raise _enforce(230, f"Attempted to read a PyTorch file with version {version}, but "
                                f"the maximum supported version for reading is {_MAX_VERSION}. "
                                "The version of your PyTorch installation may be too old, please "
                                "upgrade PyTorch to latest version to mitigate this issue.")

    def _read_at(self, ofs, n):
        self._f.seek(ofs)
        data = self._f.read(n)
        if len(data) != n:
            raise _miniz_error("reading zip archive", "file read failed")
        return data

    def _read_central_directory(self):
        size = self.size
        # the end record is within the last 64 KiB + 22 bytes (its comment is at most 64 KiB)
        tail_len = min(size, 0xFFFF + _EOCD.size)
        tail = self._read_at(size - tail_len, tail_len)
        at = tail.rfind(b"PK\x05\x06")
        while at >= 0 and at + _EOCD.size > tail_len:
            at = tail.rfind(b"PK\x05\x06", 0, at)
        if at < 0:
            raise _miniz_error("reading zip archive", "failed finding central directory")
        eocd_pos = size - tail_len + at
        (_, disk, cd_disk, n_disk, n_total, cd_size, cd_ofs,
         _clen) = _EOCD.unpack_from(tail, at)
        corrupt = _miniz_error("reading zip archive", "invalid header or archive is corrupted")
        if eocd_pos >= _LOCATOR64.size:
            loc = self._read_at(eocd_pos - _LOCATOR64.size, _LOCATOR64.size)
            sig, _, z64_ofs, _ = _LOCATOR64.unpack(loc)
            # a zip64 end record that is not where its locator says is ignored (as miniz does)
            if sig == _SIG_LOC64 and z64_ofs + _EOCD64.size <= size:
                rec = _EOCD64.unpack(self._read_at(z64_ofs, _EOCD64.size))
                if rec[0] == _SIG_EOCD64:
                    _, _, _, _, disk, cd_disk, n_disk, n_total, cd_size, cd_ofs = rec
        if n_disk != n_total or disk not in (0, 1) or cd_disk not in (0, 1):
            raise _miniz_error("reading zip archive", "unsupported multidisk archive")
        if cd_size < n_total * _CENTRAL.size or cd_ofs + cd_size > size:
            raise corrupt
        cd = self._read_at(cd_ofs, cd_size)
        entries = {}
        pos = 0
        for _ in range(n_total):
            if pos + _CENTRAL.size > cd_size:
                raise corrupt
            (sig, _, _, flags, method, _, _, _, csize, usize, nlen, xlen, clen, _, _, _,
             hofs) = _CENTRAL.unpack_from(cd, pos)
            if sig != _SIG_CENTRAL:
                raise corrupt
            name_end = pos + _CENTRAL.size + nlen
            if name_end + xlen + clen > cd_size:
                raise corrupt
            name = cd[pos + _CENTRAL.size:name_end].decode("utf-8", "replace")
            if _U32 in (csize, usize, hofs):
                csize, usize, hofs = self._zip64_fields(cd[name_end:name_end + xlen], csize,
                                                        usize, hofs, corrupt)
            if (method == 0 and csize != usize) or hofs + _LOCAL.size + csize > size:
                raise corrupt
            entries.setdefault(name, _Entry(hofs, csize, usize, method, flags))
            pos = name_end + xlen + clen
        return entries

    @staticmethod
    def _zip64_fields(extra, csize, usize, hofs, corrupt):
        pos = 0
        while pos + 4 <= len(extra):
            tag, n = struct.unpack_from("<HH", extra, pos)
            if tag == 1:
                vals = list(struct.unpack_from(f"<{n // 8}Q", extra, pos + 4)) \
                    if pos + 4 + n <= len(extra) else None
                if vals is None:
                    raise corrupt
                if usize == _U32:
                    usize = vals.pop(0) if vals else usize
                if csize == _U32:
                    csize = vals.pop(0) if vals else csize
                if hofs == _U32:
                    hofs = vals.pop(0) if vals else hofs
                return csize, usize, hofs
            pos += 4 + n
        return csize, usize, hofs

    # ---- records ----
    def has_record(self, name):
        return self.prefix + name in self._entries

    def record_names(self):
        return [n[len(self.prefix):] for n in self._entries if n.startswith(self.prefix)]

    def _entry(self, name):
        e = self._entries.get(self.prefix + name)
        if e is None:
            raise _miniz_error(f"locating file {name}", "file not found")
        if e.flags & 1:
            raise _miniz_error(f"retrieving file meta-data for {name}", "unsupported encryption")
        if e.method not in (0, 8):
            raise _miniz_error(f"retrieving file meta-data for {name}", "unsupported method")
        return e

    def record_size(self, name):
        e = self._entry(name)
        # deflate expands at most ~1032:1; a larger claim is a lie we must not allocate for
        if e.method == 8 and e.usize > e.csize * 1032 + 1024:
            raise _miniz_error(f"reading file {name}", "unexpected decompressed size")
        return e.usize

    def record_offset(self, name):
        """Where the record's (stored) bytes start in the file."""
        e = self._entry(name)
        if e.data_ofs is None:
            head = self._read_at(e.header_ofs, _LOCAL.size)
            fields = _LOCAL.unpack(head)
            if fields[0] != _SIG_LOCAL:
                raise _miniz_error(f"reading file {name}", "invalid header or archive is corrupted")
            e.data_ofs = e.header_ofs + _LOCAL.size + fields[9] + fields[10]
            if e.data_ofs + e.csize > self.size:
                raise _miniz_error(f"reading file {name}", "invalid header or archive is corrupted")
        return e.data_ofs

    def is_stored(self, name):
        return self._entry(name).method == 0

    def get_record(self, name):
        self.record_size(name)
        e = self._entry(name)
        ofs = self.record_offset(name)
        data = self._read_at(ofs, e.csize)
        return self._inflate(name, e, data) if e.method == 8 else data

    @staticmethod
    def _inflate(name, e, data):
        try:
            out = zlib.decompressobj(-15).decompress(data, e.usize)
        except zlib.error:
            raise _miniz_error(f"reading file {name}", "decompression failed") from None
        if len(out) != e.usize:
            raise _miniz_error(f"reading file {name}", "unexpected decompressed size")
        return out

    def read_into(self, name, out):
        """Fill `out` (a writable byte buffer of the record's size) with the record."""
        e = self._entry(name)
        ofs = self.record_offset(name)
        view = memoryview(out).cast("B")
        if e.method == 8:
            view[:] = self._inflate(name, e, self._read_at(ofs, e.csize))
            return
        self._f.seek(ofs)
        done = 0
        readinto = getattr(self._f, "readinto", None)
        while done < e.usize:
            if readinto is not None:
                n = readinto(view[done:])
            else:
                chunk = self._f.read(e.usize - done)
                n = len(chunk)
                view[done:done + n] = chunk
            if not n:
                raise _miniz_error(f"reading file {name}", "file read failed")
            done += n
