"""Projector (embedding) files for SummaryWriter.add_embedding, laid out as torch writes them:
<step>/<tag>/tensors.tsv, metadata.tsv, sprite.png, and <log_dir>/projector_config.pbtxt
(ProjectorConfig in protobuf text format, written here by hand).
"""
from __future__ import annotations

import io
import math
import os

import numpy as np

from ._utils import make_grid, make_np


def make_tsv(metadata, save_path, metadata_header=None):
    """metadata.tsv: one label per line, or a header row and tab-separated columns."""
    if not metadata_header:
        lines = [str(x) for x in metadata]
    else:
        if len(metadata_header) != len(metadata[0]):
            raise AssertionError("len of header must be equal to the number of columns in "
                                 "metadata")
        lines = ["\t".join(str(e) for e in row) for row in [metadata_header] + list(metadata)]
    with open(os.path.join(save_path, "metadata.tsv"), "wb") as f:
        f.write(("\n".join(lines) + "\n").encode("utf-8"))


def make_sprite(label_img, save_path):
    """sprite.png: the images on a square grid (ceil(sqrt(N)) per row), as 8-bit RGB."""
    from PIL import Image
    imgs = make_np(label_img)
    nrow = math.ceil(imgs.shape[0] ** 0.5)
    grid = make_grid(imgs, ncols=nrow)                 # CHW
    # the projector expects a square sprite: pad the bottom with black rows
    square = np.zeros((grid.shape[2], grid.shape[2], 3))
    square[:grid.shape[1]] = grid.transpose(1, 2, 0)
    im = Image.fromarray(np.uint8((square * 255).clip(0, 255)))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    with open(os.path.join(save_path, "sprite.png"), "wb") as f:
        f.write(buf.getvalue())


def make_mat(mat, save_path):
    """tensors.tsv: one row per point, values as Python prints them (float32 widened)."""
    rows = ["\t".join(map(str, row)) + "\n" for row in mat.tolist()]
    with open(os.path.join(save_path, "tensors.tsv"), "wb") as f:
        f.write("".join(rows).encode("utf-8"))


def get_embedding_info(metadata, label_img, subdir, global_step, tag):
    """One EmbeddingInfo as (field, value) pairs in field-number order (see config_pbtxt)."""
    step = str(global_step).zfill(5)
    info = [("tensor_name", f"{tag}:{step}")]
    if metadata is not None:
        info.append(("metadata_path", f"{subdir}/metadata.tsv"))
    if label_img is not None:
        shape = label_img.shape
        info.append(("sprite", [("image_path", f"{subdir}/sprite.png"),
                                ("single_image_dim", int(shape[3])),
                                ("single_image_dim", int(shape[2]))]))
    info.append(("tensor_path", f"{subdir}/tensors.tsv"))
    return info


# protobuf text format (as_utf8, its default): ASCII control characters as octal escapes,
# quotes and backslash escaped, everything else (non-ASCII included) as is
_ESCAPES = {i: "\\%03o" % i for i in list(range(32)) + [127]}
_ESCAPES.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord('"'): '\\"',
                 ord("'"): "\\'", ord("\\"): "\\\\"})


def _text_escape(s):
    return s.translate(_ESCAPES)


def _text_fields(fields, indent):
    pad = " " * indent
    lines = []
    for name, value in fields:
        if isinstance(value, list):
            lines.append(f"{pad}{name} {{\n")
            lines.extend(_text_fields(value, indent + 2))
            lines.append(f"{pad}}}\n")
        elif isinstance(value, str):
            lines.append(f'{pad}{name}: "{_text_escape(value)}"\n')
        else:
            lines.append(f"{pad}{name}: {value}\n")
    return lines


def config_pbtxt(infos):
    """ProjectorConfig{embeddings {...}...} in protobuf text format."""
    return "".join(_text_fields([("embeddings", info) for info in infos], 0))


def write_pbtxt(save_path, contents):
    with open(os.path.join(save_path, "projector_config.pbtxt"), "wb") as f:
        f.write(contents.encode("utf-8"))
