"""A small protobuf wire-format encoder for the messages TensorBoard event files hold.

Why our own: the messages are few and small (Event, Summary, HistogramProto, TensorProto,
GraphDef, the plugins' data), so ~300 lines of encoder keep ember's writer to numpy (+ Pillow
for images). Depending on `tensorboard` would pull in grpcio and friends at runtime, and
tensorboardX/protobuf have broken on new protobuf releases. Field numbers follow tensorboard's
.proto files (tensorboard/compat/proto, plugins/*/plugin_data.proto); fields are written in
field-number order with proto3 rules (zero scalars skipped, oneof members and set messages
always written), which is what protobuf's own serializer emits.
"""
from __future__ import annotations

import struct

import numpy as np

# wire types
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_D = struct.Struct("<d")
_F = struct.Struct("<f")
_INF32 = _F.pack(float("inf"))
_NINF32 = _F.pack(float("-inf"))


def varint(n):
    """Unsigned LEB128; negative int32/int64 values are sent as their 64-bit two's complement."""
    if n < 0:
        n += 1 << 64
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_KEYS: dict = {}


def key(field, wire):
    k = _KEYS.get((field, wire))
    if k is None:
        k = _KEYS[(field, wire)] = varint((field << 3) | wire)
    return k


def check_int64(v):
    v = int(v)
    if not -(1 << 63) <= v < (1 << 63):
        raise ValueError(f"Value out of range: {v}")
    return v


def pack_float(v):
    """float -> 4 little-endian bytes; out-of-range doubles become +-inf, as protobuf's cast."""
    try:
        return _F.pack(v)
    except OverflowError:
        return _INF32 if v > 0 else _NINF32


# ---- fields (the `always` flag writes a zero value: oneof members, explicit presence) ----
def f_varint(field, v, always=False):
    if not v and not always:
        return b""
    return key(field, _VARINT) + varint(int(v))


def f_bool(field, v, always=False):
    return key(field, _VARINT) + (b"\x01" if v else b"\x00") if (v or always) else b""


def f_double(field, v, always=False):
    v = float(v)
    b = _D.pack(v)
    # proto3 skips a field whose bits are all zero (-0.0 is written)
    if not always and b == b"\x00" * 8:
        return b""
    return key(field, _I64) + b


def f_float(field, v, always=False):
    b = pack_float(float(v))
    if not always and b == b"\x00" * 4:
        return b""
    return key(field, _I32) + b


def f_bytes(field, b, always=False):
    if not b and not always:
        return b""
    return key(field, _LEN) + varint(len(b)) + b


def f_str(field, s, always=False):
    return f_bytes(field, s.encode("utf-8") if isinstance(s, str) else bytes(s), always)


def f_msg(field, payload):
    """A set sub-message: always written, even when empty."""
    if payload is None:
        return b""
    return key(field, _LEN) + varint(len(payload)) + payload


def f_rep_str(field, items):
    return b"".join(f_str(field, s, True) for s in items)


def f_rep_msg(field, payloads):
    return b"".join(f_msg(field, p) for p in payloads)


def f_packed(field, raw):
    return key(field, _LEN) + varint(len(raw)) + raw if raw else b""


def f_packed_double(field, values):
    a = np.asarray(values, dtype=np.float64).reshape(-1)
    return f_packed(field, a.astype("<f8", copy=False).tobytes())


def f_packed_float(field, values):
    a = np.asarray(values, dtype=np.float64).reshape(-1)
    with np.errstate(over="ignore"):   # protobuf's float cast: out-of-range -> inf
        raw = a.astype("<f4").tobytes()
    return f_packed(field, raw)


def f_packed_varint(field, values):
    return f_packed(field, b"".join(varint(int(v)) for v in values))


def f_packed_bool(field, values):
    return f_packed(field, bytes(1 if v else 0 for v in values))


# ---- message objects the writer API hands around ----
class Message(bytes):
    """An encoded message (its wire bytes), answering protobuf's SerializeToString()."""
    __slots__ = ()

    def SerializeToString(self, deterministic=None):
        return bytes(self)

    def ByteSize(self):
        return len(self)

    def __repr__(self):
        return f"<{type(self).__name__}: {len(self)} bytes>"


class Summary(Message):
    """tensorboard.Summary (field 1: repeated Value)."""
    __slots__ = ()


class HistogramProto(Message):
    __slots__ = ()


class GraphDef(Message):
    __slots__ = ()


class RunMetadata(Message):
    __slots__ = ()


class SessionLog:
    """tensorboard.SessionLog (status, checkpoint_path, msg)."""
    STATUS_UNSPECIFIED, START, STOP, CHECKPOINT = 0, 1, 2, 3

    def __init__(self, status=0, checkpoint_path="", msg=""):
        self.status, self.checkpoint_path, self.msg = status, checkpoint_path, msg

    def SerializeToString(self):
        return (f_varint(1, self.status) + f_str(2, self.checkpoint_path)
                + f_str(3, self.msg))


def _wire(msg):
    # ember's encoded messages are bytes; a protobuf message (e.g. a tensorboard summary_pb2
    # Summary a user built) serializes itself
    return bytes(msg) if isinstance(msg, (bytes, bytearray)) else msg.SerializeToString()


class Event:
    """tensorboard.Event: wall_time, step, and one payload (the `what` oneof).

    FileWriter.add_event sets wall_time and step on it, as on torch's protobuf Event."""
    __slots__ = ("wall_time", "step", "file_version", "graph_def", "summary", "session_log",
                 "tagged_run_metadata", "source_metadata")

    def __init__(self, wall_time=0.0, step=0, file_version=None, graph_def=None, summary=None,
                 session_log=None, tagged_run_metadata=None, source_metadata=None):
        self.wall_time = wall_time
        self.step = step
        self.file_version = file_version
        self.graph_def = graph_def
        self.summary = summary
        self.session_log = session_log
        self.tagged_run_metadata = tagged_run_metadata
        self.source_metadata = source_metadata   # the writer's name (a str)

    def SerializeToString(self):
        step = self.step
        parts = [f_double(1, self.wall_time), f_varint(2, check_int64(step)) if step else b""]
        if self.file_version is not None:
            parts.append(f_str(3, self.file_version, True))
        if self.graph_def is not None:
            parts.append(f_bytes(4, _wire(self.graph_def), True))
        if self.summary is not None:
            parts.append(f_msg(5, _wire(self.summary)))
        if self.session_log is not None:
            parts.append(f_msg(7, self.session_log.SerializeToString()))
        if self.tagged_run_metadata is not None:
            tag, run_metadata = self.tagged_run_metadata
            parts.append(f_msg(8, f_str(1, tag) + f_bytes(2, bytes(run_metadata))))
        if self.source_metadata is not None:
            parts.append(f_msg(10, f_str(1, self.source_metadata)))
        return b"".join(parts)


# ---- message builders (bytes) ----
def summary(values):
    """Summary from encoded Summary.Value payloads."""
    return Summary(f_rep_msg(1, values))


def summary_value(tag, *, metadata=None, simple_value=None, image=None, histo=None,
                  audio=None, tensor=None):
    """Summary.Value: tag 1, simple_value 2, image 4, histo 5, audio 6, tensor 8, metadata 9."""
    parts = [f_str(1, tag)]
    if simple_value is not None:
        parts.append(f_float(2, simple_value, True))
    if image is not None:
        parts.append(f_msg(4, image))
    if histo is not None:
        parts.append(f_msg(5, histo))
    if audio is not None:
        parts.append(f_msg(6, audio))
    if tensor is not None:
        parts.append(f_msg(8, tensor))
    if metadata is not None:
        parts.append(f_msg(9, metadata))
    return b"".join(parts)


def summary_metadata(plugin_name, content=b"", display_name="", description=""):
    """SummaryMetadata{plugin_data{plugin_name, content}, display_name, summary_description}."""
    plugin = f_str(1, plugin_name) + f_bytes(2, content)
    return f_msg(1, plugin) + f_str(2, display_name or "") + f_str(3, description or "")


def histogram_proto(min, max, num, sum, sum_squares, bucket_limit, bucket):
    return HistogramProto(f_double(1, min) + f_double(2, max) + f_double(3, num)
                          + f_double(4, sum) + f_double(5, sum_squares)
                          + f_packed_double(6, bucket_limit) + f_packed_double(7, bucket))


def image_proto(height, width, colorspace, encoded):
    return (f_varint(1, height) + f_varint(2, width) + f_varint(3, colorspace)
            + f_bytes(4, encoded))


def audio_proto(sample_rate, num_channels, length_frames, encoded, content_type):
    return (f_float(1, sample_rate) + f_varint(2, num_channels) + f_varint(3, length_frames)
            + f_bytes(4, encoded) + f_str(5, content_type))


# tensorflow DataType enum values
DT = {"DT_FLOAT": 1, "DT_DOUBLE": 2, "DT_INT32": 3, "DT_UINT8": 4, "DT_INT16": 5, "DT_INT8": 6,
      "DT_STRING": 7, "DT_COMPLEX64": 8, "DT_INT64": 9, "DT_BOOL": 10, "DT_QINT8": 11,
      "DT_QUINT8": 12, "DT_QINT32": 13, "DT_BFLOAT16": 14, "DT_UINT16": 17,
      "DT_COMPLEX128": 18, "DT_HALF": 19, "DT_UINT32": 22, "DT_UINT64": 23,
      "DT_COMPLEX32": 29}   # tensorflow has no complex32; see summary._TENSOR_TYPES

# TensorProto value fields: name -> (field number, encoder of a flat list)
_TENSOR_FIELDS = {
    "float_val": (5, f_packed_float), "double_val": (6, f_packed_double),
    "int_val": (7, f_packed_varint), "scomplex_val": (9, f_packed_float),
    "int64_val": (10, f_packed_varint), "bool_val": (11, f_packed_bool),
    "dcomplex_val": (12, f_packed_double), "half_val": (13, f_packed_varint),
    "uint32_val": (16, f_packed_varint), "uint64_val": (17, f_packed_varint),
}


def tensor_shape(dims):
    """TensorShapeProto{dim{size}} (an empty shape is a scalar)."""
    return b"".join(f_msg(2, f_varint(1, int(d))) for d in dims)


def tensor_proto(dtype, shape=None, string_val=(), **values):
    """TensorProto: dtype 1, tensor_shape 2 (written when given, even empty), string_val 8 and
    one packed numeric field named as in the .proto (float_val=..., int_val=...)."""
    parts = [f_varint(1, DT[dtype])]
    if shape is not None:
        parts.append(f_msg(2, tensor_shape(shape)))
    numeric = []
    for name, vals in values.items():
        field, enc = _TENSOR_FIELDS[name]
        numeric.append((field, enc(field, vals)))
    if string_val:
        numeric.append((8, b"".join(f_bytes(8, s, True) for s in string_val)))
    parts.extend(raw for _, raw in sorted(numeric, key=lambda p: p[0]))
    return b"".join(parts)


# ---- graph messages (graph.proto, node_def.proto, attr_value.proto, step_stats.proto) ----
def attr_value_s(s):
    return f_bytes(2, s, True)


def attr_value_shapes(shapes):
    """AttrValue{list{shape...}}: the `_output_shapes` attribute TensorBoard reads."""
    return f_msg(1, b"".join(f_msg(7, tensor_shape(s)) for s in shapes))


def node_def(name, op, inputs=(), attrs=(), device=""):
    """NodeDef: name 1, op 2, input 3, device 4, attr 5 (map entries: key 1, AttrValue 2)."""
    parts = [f_str(1, name), f_str(2, op), f_rep_str(3, inputs), f_str(4, device)]
    for k, v in attrs:
        parts.append(f_msg(5, f_str(1, k) + f_msg(2, v)))
    return b"".join(parts)


def graph_def(nodes, producer=22):
    """GraphDef{node 1..., versions 4 {producer 1}}."""
    return GraphDef(f_rep_msg(1, nodes) + f_msg(4, f_varint(1, producer)))


def run_metadata(device="/device:CPU:0"):
    """RunMetadata{step_stats{dev_stats{device}}}, the 'step1' record add_graph writes."""
    return RunMetadata(f_msg(1, f_msg(1, f_str(1, device))))


# ---- google.protobuf.Value / ListValue (hparams) ----
def pb_number(v):
    """google.protobuf.Value{number_value (2, double)}."""
    return f_double(2, v, True)


def pb_string(v):
    return f_str(3, v, True)


def pb_bool(v):
    return f_bool(4, v, True)


def pb_list_value(encoded_values):
    """google.protobuf.ListValue{values 1...} from encoded Values."""
    return f_rep_msg(1, encoded_values)
