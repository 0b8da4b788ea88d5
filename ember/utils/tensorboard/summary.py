"""Summary builders: turn values, images, histograms, text, hparams, PR curves, meshes, audio and
video into encoded `Summary` messages (torch.utils.tensorboard.summary's functions and names).

Each returns a `_proto.Summary` (the wire bytes, with protobuf's SerializeToString()), which
FileWriter.add_summary wraps in an Event. Arrays come in through `_utils.make_np`.
"""
from __future__ import annotations

import io
import json
import logging
import struct

import numpy as np

from . import _proto as P
from ._utils import convert_to_HWC, make_np, prepare_video

__all__ = ["audio", "compute_curve", "custom_scalars", "draw_boxes", "half_to_int", "histogram",
           "histogram_raw", "hparams", "image", "image_boxes", "int_to_half", "make_histogram",
           "make_image", "make_video", "mesh", "pr_curve", "pr_curve_raw", "scalar",
           "tensor_proto", "text", "video"]

logger = logging.getLogger(__name__)


def _one_value(tag, **value):
    return P.summary([P.summary_value(tag, **value)])


# ---- scalars and tensors ------------------------------------------------------------------------

def scalar(name, tensor, collections=None, new_style=False, double_precision=False):
    """A one-number summary: simple_value (float32), or with new_style a scalars-plugin tensor
    (DT_FLOAT, or DT_DOUBLE with double_precision); see torch's summary.scalar."""
    if type(tensor) is float or type(tensor) is int:
        value = float(tensor)   # the common case (loss.item()), without a NumPy round trip
    else:
        tensor = make_np(tensor).squeeze()
        if tensor.ndim != 0:
            raise AssertionError("Tensor should contain one element (0 dimensions).          "
                                 f"   Was given size: {tensor.size} and {tensor.ndim} "
                                 "dimensions.")
        value = float(tensor)
    if not new_style:
        # Summary{value{tag, simple_value}} spelled out: this is the per-step hot path
        tag = name.encode("utf-8")
        v = b"\n" + P.varint(len(tag)) + tag + b"\x15" + P.pack_float(value)
        return P.Summary(b"\n" + P.varint(len(v)) + v)
    if double_precision:
        t = P.tensor_proto("DT_DOUBLE", double_val=[value])
    else:
        t = P.tensor_proto("DT_FLOAT", float_val=[value])
    return _one_value(name, tensor=t, metadata=P.summary_metadata("scalars"))


def half_to_int(f):
    """The int32 whose bits are float32(f) (what torch stores in half_val)."""
    return struct.unpack("i", struct.pack("f", f))[0]


def int_to_half(i):
    return struct.unpack("f", struct.pack("i", i))[0]


def _as_float32_bits(a):
    # NOTE: torch writes the float32 bit pattern (not the 16-bit one) into half_val
    return np.asarray(a, dtype=np.float32).reshape(-1).view(np.int32).tolist()


def _complex_parts(a):
    return np.stack([a.real, a.imag], -1).reshape(-1)


# ember dtype name -> (DataType, TensorProto field, flat values from the ndarray)
_TENSOR_TYPES = {
    "float16": ("DT_HALF", "half_val", _as_float32_bits),
    "bfloat16": ("DT_BFLOAT16", "half_val", _as_float32_bits),
    "float32": ("DT_FLOAT", "float_val", np.ravel),
    "float64": ("DT_DOUBLE", "double_val", np.ravel),
    "int8": ("DT_INT8", "int_val", np.ravel),
    "uint8": ("DT_UINT8", "uint32_val", np.ravel),
    "int16": ("DT_INT16", "int_val", np.ravel),
    "int32": ("DT_INT32", "int_val", np.ravel),
    "int64": ("DT_INT64", "int64_val", np.ravel),
    "complex64": ("DT_COMPLEX64", "scomplex_val", _complex_parts),
    "complex128": ("DT_COMPLEX128", "dcomplex_val", _complex_parts),
    "bool": ("DT_BOOL", "bool_val", np.ravel),
}


def tensor_proto(tag, tensor):
    """A whole tensor as a TensorProto under the "tensor" plugin (Tensor.add_tensor)."""
    if tensor.numel() * tensor.element_size() >= (1 << 31):
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    name = str(tensor.dtype).replace("torch.", "")
    if name not in _TENSOR_TYPES:
        raise ValueError(f"{tag} has unsupported tensor dtype {tensor.dtype}")
    dtype, field, flat = _TENSOR_TYPES[name]
    a = tensor.detach().cpu().numpy()
    if name == "bfloat16":
        a = a.astype(np.float32)
    t = P.tensor_proto(dtype, shape=tensor.shape, **{field: flat(a)})
    return _one_value(tag, tensor=t, metadata=P.summary_metadata("tensor"))


# ---- histograms ---------------------------------------------------------------------------------

_DEFAULT_BINS = None


def default_bins():
    """TensorFlow's histogram edges: +-1e-12 * 1.1**k up to 1e20, and 0 (built by repeated
    multiplication, as torch does, so the edges are bit-identical)."""
    global _DEFAULT_BINS
    if _DEFAULT_BINS is None:
        pos = []
        v = 1e-12
        while v < 1e20:
            pos.append(v)
            v *= 1.1
        _DEFAULT_BINS = [-v for v in reversed(pos)] + [0] + pos
    return _DEFAULT_BINS


def histogram_raw(name, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):
    """A histogram from precomputed statistics (bucket_limits are right edges)."""
    hist = P.histogram_proto(min, max, num, sum, sum_squares, _flat(bucket_limits),
                             _flat(bucket_counts))
    return _one_value(name, histo=hist)


def _flat(x):
    return make_np(x).reshape(-1) if not isinstance(x, (list, tuple)) else x


def histogram(name, values, bins, max_bins=None):
    """A histogram of `values` (any shape) with numpy bin spec `bins`."""
    values = make_np(values)
    return _one_value(name, histo=make_histogram(values.astype(float), bins, max_bins))


def make_histogram(values, bins, max_bins=None):
    """np.histogram, optionally merged down to max_bins, trimmed to the occupied range plus one
    empty bucket on the left (TensorBoard stores right edges only)."""
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    nbins = len(counts)
    if max_bins is not None and nbins > max_bins:
        group = nbins // max_bins
        short = nbins % group
        if short:
            counts = np.pad(counts, (0, group - short))
        counts = counts.reshape(-1, group).sum(axis=-1)
        merged = np.empty(counts.size + 1, limits.dtype)
        merged[:-1] = limits[:-1:group]
        merged[-1] = limits[-1]
        limits = merged
    # first and last occupied bucket
    occupied = np.cumsum(counts > 0)
    start, end = np.searchsorted(occupied, [0, occupied[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    if start > 0:
        counts = counts[start - 1:end]
    else:
        counts = np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return P.histogram_proto(values.min(), values.max(), len(values), values.sum(),
                             values.dot(values), limits, counts)


# ---- images, video, audio -----------------------------------------------------------------------

def _scale_factor(a):
    # uint8 images are already 0..255; anything else is taken to be 0..1
    return 1 if a.dtype == np.uint8 else 255


def _to_uint8(a):
    return (a.astype(np.float32) * _scale_factor(a)).clip(0, 255).astype(np.uint8)


def image(tag, tensor, rescale=1, dataformats="NCHW"):
    """One PNG image (a batch becomes a grid); float data in [0, 1], uint8 in [0, 255]."""
    tensor = convert_to_HWC(make_np(tensor), dataformats)
    return _one_value(tag, image=make_image(_to_uint8(tensor), rescale=rescale))


def image_boxes(tag, tensor_image, tensor_boxes, rescale=1, dataformats="CHW", labels=None):
    """An image with boxes (N x 4, xmin ymin xmax ymax) drawn in red, optionally labelled."""
    img = convert_to_HWC(make_np(tensor_image), dataformats)
    boxes = make_np(tensor_boxes)
    img = (img.astype(np.float32) * _scale_factor(img)).clip(0, 255).astype(np.uint8)
    return _one_value(tag, image=make_image(img, rescale=rescale, rois=boxes, labels=labels))


def _draw_box(image, xmin, ymin, xmax, ymax, text, color="black", color_text="black",
              thickness=2):
    from PIL import ImageDraw, ImageFont
    draw = ImageDraw.Draw(image)
    draw.line([(xmin, ymin), (xmin, ymax), (xmax, ymax), (xmax, ymin), (xmin, ymin)],
              width=thickness, fill=color)
    if text:
        font = ImageFont.load_default()
        left, top, right, bottom = font.getbbox(text)
        tw, th = right - left, bottom - top
        margin = np.ceil(0.05 * th)
        draw.rectangle([(xmin, ymax - th - 2 * margin), (xmin + tw, ymax)], fill=color)
        draw.text((xmin + margin, ymax - th - margin), text, fill=color_text, font=font)
    return image


def draw_boxes(disp_image, boxes, labels=None):
    for i in range(boxes.shape[0]):
        disp_image = _draw_box(disp_image, boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3],
                               None if labels is None else labels[i], color="Red")
    return disp_image


def make_image(tensor, rescale=1, rois=None, labels=None):
    """HWC uint8 -> Summary.Image (PNG via Pillow); height/width are the array's."""
    from PIL import Image
    height, width, channel = tensor.shape
    img = Image.fromarray(tensor)
    if rois is not None:
        img = draw_boxes(img, rois, labels=labels)
    img = img.resize((int(width * rescale), int(height * rescale)), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return P.image_proto(height, width, channel, buf.getvalue())


def video(tag, tensor, fps=4):
    """A (N, T, C, H, W) clip batch as one animated GIF (frames: the batch on a grid)."""
    frames = prepare_video(make_np(tensor))
    return _one_value(tag, image=make_video(_to_uint8(frames), fps))


def make_video(tensor, fps):
    """(T, H, W, C) uint8 -> Summary.Image holding a looping GIF.

    torch encodes with moviepy; ember uses Pillow's GIF writer (same container, TensorBoard
    shows either), so no extra dependency is needed."""
    from PIL import Image
    t, h, w, c = tensor.shape
    if c == 1:
        tensor = np.repeat(tensor, 3, axis=3)
    frames = [Image.fromarray(f) for f in tensor]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:],
                   duration=int(round(1000 / fps)), loop=0)
    return P.image_proto(h, w, c, buf.getvalue())


def audio(tag, tensor, sample_rate=44100):
    """Mono audio in [-1, 1] as a 16-bit PCM WAV (louder input is clipped, with torch's note)."""
    import wave
    array = make_np(tensor).squeeze()
    if abs(array).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        array = array.clip(-1, 1)
    if array.ndim != 1:
        raise AssertionError("input tensor should be 1 dimensional.")
    array = (array * np.iinfo(np.int16).max).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(array.data)
    a = P.audio_proto(sample_rate, 1, array.shape[-1], buf.getvalue(), "audio/wav")
    return _one_value(tag, audio=a)


# ---- text, layouts, PR curves -------------------------------------------------------------------

def text(tag, text):
    """A string for the Text dashboard (tag gets the "/text_summary" suffix, as torch's)."""
    t = P.tensor_proto("DT_STRING", shape=[1], string_val=[text.encode("utf_8")])
    # TextPluginData(version=0) serializes to no bytes
    return _one_value(tag + "/text_summary", tensor=t, metadata=P.summary_metadata("text"))


def custom_scalars(layout):
    """The Custom Scalars dashboard layout: {category: {chart: ["Multiline"|"Margin", tags]}}."""
    categories = []
    for cat_title, charts in layout.items():
        chart_msgs = []
        for chart_title, chart in charts.items():
            kind, tags = chart[0], chart[1]
            if kind == "Margin":
                if len(tags) != 3:
                    raise AssertionError("len(tags) != 3")
                series = P.f_str(1, tags[0]) + P.f_str(2, tags[1]) + P.f_str(3, tags[2])
                content = P.f_msg(3, P.f_msg(1, series))
            else:
                content = P.f_msg(2, P.f_rep_str(1, tags))
            chart_msgs.append(P.f_str(1, chart_title) + content)
        categories.append(P.f_str(1, cat_title) + P.f_rep_msg(2, chart_msgs))
    layout_msg = P.f_rep_msg(2, categories)
    t = P.tensor_proto("DT_STRING", shape=[], string_val=[layout_msg])
    return _one_value("custom_scalars__config__", tensor=t,
                      metadata=P.summary_metadata("custom_scalars"))


def _pr_summary(tag, data, num_thresholds):
    content = P.f_varint(2, num_thresholds)   # PrCurvePluginData{version 0, num_thresholds}
    t = P.tensor_proto("DT_FLOAT", shape=data.shape, float_val=data.reshape(-1))
    return _one_value(tag, tensor=t, metadata=P.summary_metadata("pr_curves", content))


def pr_curve_raw(tag, tp, fp, tn, fn, precision, recall, num_thresholds=127, weights=None):
    """A PR curve from precomputed counts (each a length-num_thresholds vector)."""
    num_thresholds = min(num_thresholds, 127)   # torch caps it (larger breaks the plugin)
    data = np.stack([make_np(x) if not isinstance(x, (list, tuple)) else np.asarray(x)
                     for x in (tp, fp, tn, fn, precision, recall)])
    return _pr_summary(tag, data, num_thresholds)


def pr_curve(tag, labels, predictions, num_thresholds=127, weights=None):
    """A PR curve of binary `labels` against `predictions` in [0, 1]."""
    num_thresholds = min(num_thresholds, 127)
    data = compute_curve(labels, predictions, num_thresholds=num_thresholds, weights=weights)
    return _pr_summary(tag, data, num_thresholds)


def compute_curve(labels, predictions, num_thresholds=None, weights=None):
    """(tp, fp, tn, fn, precision, recall) per threshold, as TensorBoard's pr_curve summary:
    predictions fall in floor(p * (n - 1)) buckets, counts are reverse cumulative sums."""
    min_count = 1e-7
    if weights is None:
        weights = 1.0
    elif not isinstance(weights, (int, float, np.ndarray)):
        weights = make_np(weights)
    buckets = np.int32(np.floor(predictions * (num_thresholds - 1)))
    flabels = labels.astype(np.float64)
    rng = (0, num_thresholds - 1)
    tp_b, _ = np.histogram(buckets, bins=num_thresholds, range=rng, weights=flabels * weights)
    fp_b, _ = np.histogram(buckets, bins=num_thresholds, range=rng,
                           weights=(1.0 - flabels) * weights)
    tp = np.cumsum(tp_b[::-1])[::-1]
    fp = np.cumsum(fp_b[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    precision = tp / np.maximum(min_count, tp + fp)
    recall = tp / np.maximum(min_count, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


# ---- hparams ------------------------------------------------------------------------------------

_HP_PLUGIN = "hparams"
_HP_EXPERIMENT_TAG = "_hparams_/experiment"
_HP_SESSION_START_TAG = "_hparams_/session_start_info"
_HP_SESSION_END_TAG = "_hparams_/session_end_info"
_DATA_TYPE_STRING, _DATA_TYPE_FLOAT64 = 1, 3
_STATUS_SUCCESS = 1


def _hp_summary(tag, field, payload):
    # HParamsPluginData{version 0 (not written), <field>: payload}
    content = P.f_msg(field, payload)
    return _one_value(tag, metadata=P.summary_metadata(_HP_PLUGIN, content))


def hparams(hparam_dict=None, metric_dict=None, hparam_domain_discrete=None):
    """The three summaries of the HParams dashboard: (experiment, session start, session end).

    Numbers (bools included, as in torch) are FLOAT64 hparams, strings STRING; a tensor gives
    its first element."""
    from ... import _tensor
    if not isinstance(hparam_dict, dict):
        logger.warning("parameter: hparam_dict should be a dictionary, nothing logged.")
        raise TypeError("parameter: hparam_dict should be a dictionary, nothing logged.")
    if not isinstance(metric_dict, dict):
        logger.warning("parameter: metric_dict should be a dictionary, nothing logged.")
        raise TypeError("parameter: metric_dict should be a dictionary, nothing logged.")
    hparam_domain_discrete = hparam_domain_discrete or {}
    if not isinstance(hparam_domain_discrete, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing "
                        "logged.")
    for k, v in hparam_domain_discrete.items():
        if (k not in hparam_dict or not isinstance(v, list)
                or not all(isinstance(d, type(hparam_dict[k])) for d in v)):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same "
                            f"type as hparam_dict[{k}].")
    infos = []
    values = []
    for k, v in hparam_dict.items():
        if v is None:
            continue
        domain = None
        if isinstance(v, (int, float)):
            value, kind = P.pb_number(v), _DATA_TYPE_FLOAT64
            if k in hparam_domain_discrete:
                domain = P.pb_list_value([P.pb_number(d) for d in hparam_domain_discrete[k]])
        elif isinstance(v, str):
            value, kind = P.pb_string(v), _DATA_TYPE_STRING
            if k in hparam_domain_discrete:
                domain = P.pb_list_value([P.pb_string(d) for d in hparam_domain_discrete[k]])
        elif isinstance(v, _tensor.Tensor):
            value, kind = P.pb_number(make_np(v)[0]), _DATA_TYPE_FLOAT64
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
        values.append(P.f_str(1, k) + P.f_msg(2, value))   # map<string, Value> entry
        info = P.f_str(1, k) + P.f_varint(4, kind)          # HParamInfo{name, type, domain}
        if domain is not None:
            info += P.f_msg(5, domain)
        infos.append(info)
    ssi = _hp_summary(_HP_SESSION_START_TAG, 3, P.f_rep_msg(1, values))
    metrics = [P.f_msg(1, P.f_str(2, k)) for k in metric_dict]   # MetricInfo{name{tag}}
    exp = _hp_summary(_HP_EXPERIMENT_TAG, 2, P.f_rep_msg(4, infos) + P.f_rep_msg(5, metrics))
    sei = _hp_summary(_HP_SESSION_END_TAG, 4, P.f_varint(1, _STATUS_SUCCESS))
    return exp, ssi, sei


# ---- meshes -------------------------------------------------------------------------------------

_MESH_TYPES = {1: "VERTEX", 2: "FACE", 3: "COLOR"}


def _mesh_value(name, display_name, description, tensor, content_type, components,
                json_config):
    a = np.asarray(make_np(tensor) if not isinstance(tensor, (list, tuple)) else tensor)
    if a.ndim != 3:
        raise ValueError(f"Tensor shape should be of shape BxNx3, but got torch.Size("
                         f"{list(a.shape)}).")
    plugin = (P.f_str(2, name) + P.f_varint(3, content_type) + P.f_str(5, json_config)
              + P.f_packed_varint(6, a.shape) + P.f_varint(7, components))
    meta = P.summary_metadata("mesh", plugin, display_name, description)
    t = P.tensor_proto("DT_FLOAT", shape=a.shape, float_val=a.reshape(-1))
    return P.summary_value(f"{name}_{_MESH_TYPES[content_type]}", tensor=t, metadata=meta)


def mesh(tag, vertices, colors, faces, config_dict, display_name=None, description=None):
    """Vertices (B, N, 3), optional faces and colors for the Mesh dashboard (three.js)."""
    json_config = "{}" if config_dict is None else json.dumps(config_dict, sort_keys=True)
    parts = [(t, ct) for t, ct in ((vertices, 1), (faces, 2), (colors, 3)) if t is not None]
    components = 0
    for _, ct in parts:
        components |= 1 << ct
    return P.summary([_mesh_value(tag, display_name, description, t, ct, components,
                                  json_config) for t, ct in parts])
