"""torchvision.io's image functions for ember (see torchvision/io/image.py): read/write raw
bytes as 1-D uint8 tensors, decode JPEG / PNG / GIF / WebP to uint8 (C, H, W) tensors with
ImageReadMode conversions, encode JPEG / PNG. Decoding and encoding go through Pillow; the mode
conversions follow torchvision's libpng / libjpeg settings (e.g. PNG RGB -> GRAY is libpng's
truncating 0.2989/0.587/0.114 fixed-point sum, JPEG GRAY is the decoder's luma plane).
"""
from __future__ import annotations

import io as _bytesio
import warnings
from enum import Enum
from typing import Union

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap

try:
    from PIL import Image, ImageOps
except ImportError:  # Pillow is optional for ember, required here
    Image = ImageOps = None

__all__ = ["ImageReadMode", "decode_image", "decode_jpeg", "decode_png", "decode_avif",
           "decode_heic", "decode_webp", "decode_gif", "encode_jpeg", "encode_png", "read_file",
           "read_image", "write_file", "write_jpeg", "write_png"]

# torchvision 0.29 deprecates its image codecs in favour of TorchCodec, warning on every call
# (a DeprecationWarning: hidden unless warnings are enabled); ember says the same
_DEPRECATION_MSG = (
    "The image decoding and encoding capabilities of TorchVision are deprecated since "
    "torchvision 0.29 and will be removed in a future release. They are superseded by the more "
    "complete decoders and encoders of TorchCodec (from torchcodec 0.16). Please see "
    "https://meta-pytorch.org/torchcodec/0.16/generated_examples/migration/"
    "torchvision_migration.html on how to migrate your code.")


def _warn_deprecated():
    warnings.warn(_DEPRECATION_MSG, DeprecationWarning)


def _need_pil():
    if Image is None:
        raise ModuleNotFoundError("ember.vision.io needs Pillow: pip install pillow")


class ImageReadMode(Enum):
    """How decode_* convert the channels: keep them, or make gray / gray+alpha / RGB / RGBA."""
    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA  # alias


def _mode(mode):
    return ImageReadMode[mode.upper()] if isinstance(mode, str) else mode


# ---- raw bytes --------------------------------------------------------------------------------

def read_file(path: str) -> Tensor:
    """The bytes of a file as a 1-D uint8 tensor; see torchvision.io.read_file."""
    _warn_deprecated()
    path = str(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise RuntimeError(f"[Errno {err.errno}] {err.strerror}: '{path}'") from None
    return _wrap(np.frombuffer(bytearray(data), dtype=np.uint8))


def write_file(filename: str, data: Tensor) -> None:
    """Write a 1-D uint8 tensor's bytes to a file; see torchvision.io.write_file."""
    _warn_deprecated()
    _check_encoded(data)
    with open(str(filename), "wb") as f:
        f.write(np.ascontiguousarray(data._data).tobytes())


# c10's ScalarType names, as torchvision's C++ checks print them
_SCALAR_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half",
                      "bfloat16": "BFloat16", "int8": "Char", "int16": "Short", "int32": "Int",
                      "int64": "Long", "bool": "Bool", "uint16": "UInt16", "uint32": "UInt32",
                      "uint64": "UInt64", "complex64": "ComplexFloat",
                      "complex128": "ComplexDouble"}


def _check_encoded(data):
    if data.dtype != D.uint8:
        name = str(data.dtype).split(".")[-1]
        raise RuntimeError("Input tensor must have uint8 data type, got "
                           f"{_SCALAR_TYPE_NAMES.get(name, name)}")
    if data.dim() != 1 or data.numel() == 0:
        raise RuntimeError("Input tensor must be 1-dimensional and non-empty, got "
                           f"{data.dim()} dims  and {data.numel()} numels.")


def _bytes(data) -> bytes:
    _check_encoded(data)
    return np.ascontiguousarray(data._data).tobytes()


# ---- decoding ---------------------------------------------------------------------------------

def _to_chw(a) -> Tensor:
    a = np.asarray(a)
    a = a[:, :, None] if a.ndim == 2 else a
    return _wrap(np.ascontiguousarray(a.transpose(2, 0, 1)))


def _libpng_gray(rgb):
    """libpng's png_set_rgb_to_gray(0.2989, 0.587) on 8-bit samples: coefficients in 1/32768
    truncated, the weighted sum shifted down without rounding."""
    r, g, b = (rgb[..., i].astype(np.uint32) for i in range(3))
    return ((9794 * r + 19234 * g + 3740 * b) >> 15).astype(rgb.dtype)


def _from_channels(a, has_alpha, mode, gray_fn):
    """a: (H, W, C) uint8 with C in {1, 2, 3, 4}; convert it to `mode` as torchvision does."""
    if mode == ImageReadMode.UNCHANGED:
        return a
    c = a.shape[2]
    color = a[..., :3] if c >= 3 else np.repeat(a[..., :1], 3, axis=2)
    alpha = a[..., -1:] if has_alpha else np.full(a.shape[:2] + (1,), 255, a.dtype)
    gray = gray_fn(a[..., :3])[..., None] if c >= 3 else a[..., :1]
    if mode == ImageReadMode.GRAY:
        return gray
    if mode == ImageReadMode.GRAY_ALPHA:
        return np.concatenate([gray, alpha], axis=2)
    if mode == ImageReadMode.RGB:
        return color
    return np.concatenate([color, alpha], axis=2)


def _open(data: bytes):
    _need_pil()
    return Image.open(_bytesio.BytesIO(data))


def _orient(im, apply_exif_orientation):
    return ImageOps.exif_transpose(im) if apply_exif_orientation else im


def _png(data: bytes, mode, apply_exif_orientation) -> Tensor:
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise RuntimeError("Content is not png!")
    bit_depth, color_type = data[24], data[25]
    im = _orient(_open(data), apply_exif_orientation)
    if bit_depth == 16:
        if color_type != 0:
            raise NotImplementedError("ember.vision.io: 16-bit colour PNGs are not supported "
                                      "(Pillow decodes them to 8 bits only); 16-bit gray is.")
        a = np.asarray(im).astype(np.uint16)[:, :, None]
        if mode in (ImageReadMode.UNCHANGED, ImageReadMode.GRAY):
            return _to_chw(a)
        raise NotImplementedError(f"ember.vision.io: {mode} of a 16-bit PNG is not supported")
    if im.mode == "P":
        if mode == ImageReadMode.UNCHANGED:
            return _to_chw(np.asarray(im))  # torchvision keeps the palette indices
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif im.mode == "1":
        im = im.convert("L")  # 1-bit gray expands to 0 / 255
    elif im.mode in ("I;16", "I"):
        im = im.convert("L")
    elif im.mode == "RGB" and "transparency" in im.info and mode != ImageReadMode.UNCHANGED:
        im = im.convert("RGBA")
    a = np.asarray(im)
    a = a[:, :, None] if a.ndim == 2 else a
    return _to_chw(_from_channels(a, im.mode in ("LA", "RGBA", "PA"), mode, _libpng_gray))


def decode_png(input: Tensor, mode: ImageReadMode = ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> Tensor:
    """PNG bytes (1-D uint8) -> uint8 (C, H, W) (uint16 for 16-bit gray); see
    torchvision.io.decode_png."""
    _warn_deprecated()
    return _png(_bytes(input), _mode(mode), apply_exif_orientation)


def _jpeg(data: bytes, mode, apply_exif_orientation) -> Tensor:
    if not data.startswith(b"\xff\xd8"):
        raise RuntimeError(f"Not a JPEG file: starts with 0x{data[0]:02x} 0x{data[1]:02x}")
    if mode not in (ImageReadMode.UNCHANGED, ImageReadMode.GRAY, ImageReadMode.RGB):
        raise RuntimeError("The provided mode is not supported for JPEG files")
    im = _open(data)
    if mode == ImageReadMode.GRAY and im.mode != "L":
        im.draft("L", im.size)  # the decoder's own luma plane, as libjpeg's JCS_GRAYSCALE
    im = _orient(im, apply_exif_orientation)
    if mode == ImageReadMode.RGB and im.mode != "RGB":
        im = im.convert("RGB")
    elif mode == ImageReadMode.GRAY and im.mode != "L":
        im = im.convert("L")
    return _to_chw(np.asarray(im))


def decode_jpeg(input, mode: ImageReadMode = ImageReadMode.UNCHANGED, device="cpu",
                apply_exif_orientation: bool = False):
    """JPEG bytes (or a list of them) -> uint8 (C, H, W); modes UNCHANGED, GRAY, RGB; see
    torchvision.io.decode_jpeg."""
    _warn_deprecated()
    mode = _mode(mode)
    if str(device).startswith("cuda"):
        raise NotImplementedError("ember.vision.io.decode_jpeg: GPU decoding (nvjpeg) is not "
                                  "implemented; decode on the CPU and move the tensor.")
    if isinstance(input, list):
        if len(input) == 0:
            raise ValueError("Input list must contain at least one element")
        if not all(isinstance(t, Tensor) for t in input):
            raise ValueError("All elements of the input list must be tensors.")
        return [_jpeg(_bytes(t), mode, apply_exif_orientation) for t in input]
    return _jpeg(_bytes(input), mode, apply_exif_orientation)


def _gif(data: bytes) -> Tensor:
    from PIL import ImageSequence
    im = _open(data)
    frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]
    if len(frames) == 1:
        return _to_chw(frames[0])
    return _wrap(np.ascontiguousarray(np.stack(frames).transpose(0, 3, 1, 2)))


def decode_gif(input: Tensor) -> Tensor:
    """GIF bytes -> uint8 RGB (3, H, W), or (N, 3, H, W) for N > 1 frames; see
    torchvision.io.decode_gif."""
    _warn_deprecated()
    data = _bytes(input)
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise RuntimeError("DGifOpenFileName() failed - 103")
    return _gif(data)


def _webp(data: bytes, mode) -> Tensor:
    im = _open(data)
    if mode == ImageReadMode.UNCHANGED:
        im = im.convert("RGBA" if im.mode in ("RGBA", "LA", "PA") else "RGB")
        return _to_chw(np.asarray(im))
    if mode == ImageReadMode.RGB:
        return _to_chw(np.asarray(im.convert("RGB")))
    if mode == ImageReadMode.RGB_ALPHA:
        return _to_chw(np.asarray(im.convert("RGBA")))
    raise RuntimeError(f"Unsupported mode {mode.value} for WebP decoding")


def decode_webp(input: Tensor, mode: ImageReadMode = ImageReadMode.UNCHANGED) -> Tensor:
    """WebP bytes -> uint8 RGB or RGBA (C, H, W); see torchvision.io.decode_webp."""
    _warn_deprecated()
    return _webp(_bytes(input), _mode(mode))


def _extra(name):
    raise NotImplementedError(f"ember.vision.io.{name}: AVIF and HEIC decoding (torchvision's "
                              "torchvision-extra-decoders) is not implemented.")


def decode_avif(input: Tensor, mode: ImageReadMode = ImageReadMode.UNCHANGED) -> Tensor:
    """Not implemented (see torchvision.io.decode_avif)."""
    _extra("decode_avif")


def decode_heic(input: Tensor, mode: ImageReadMode = ImageReadMode.UNCHANGED) -> Tensor:
    """Not implemented (see torchvision.io.decode_heic)."""
    _extra("decode_heic")


def decode_image(input: Union[Tensor, str], mode: ImageReadMode = ImageReadMode.UNCHANGED,
                 apply_exif_orientation: bool = False) -> Tensor:
    """Decode JPEG, PNG, GIF or WebP bytes (or the file at a path) by their signature; see
    torchvision.io.decode_image."""
    _warn_deprecated()
    if not isinstance(input, Tensor):
        input = read_file(str(input))
    mode = _mode(mode)
    data = _bytes(input)
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg(data, mode, apply_exif_orientation)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data, mode, apply_exif_orientation)
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return _gif(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data, mode)
    raise RuntimeError("Unsupported image file. Only jpeg, png, webp and gif are currently "
                       "supported. For avif and heic format, please rely on `decode_avif` and "
                       "`decode_heic` directly.")


def read_image(path: str, mode: ImageReadMode = ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> Tensor:
    """read_file + decode_image; see torchvision.io.read_image."""
    _warn_deprecated()
    return decode_image(read_file(path), mode, apply_exif_orientation=apply_exif_orientation)


# ---- encoding ---------------------------------------------------------------------------------

def _image_array(input) -> np.ndarray:
    if input.dtype != D.uint8:
        raise RuntimeError("Input tensor dtype should be uint8")
    if input.dim() != 3:
        raise RuntimeError("Input data should be a 3-dimensional tensor")
    c = input.shape[0]
    if c not in (1, 3):
        raise RuntimeError(f"The number of channels should be 1 or 3, got: {c}")
    a = np.ascontiguousarray(np.asarray(input._data).transpose(1, 2, 0))
    return a[:, :, 0] if c == 1 else a


def _encode(a, fmt, **kw) -> Tensor:
    _need_pil()
    buf = _bytesio.BytesIO()
    Image.fromarray(a).save(buf, fmt, **kw)
    return _wrap(np.frombuffer(bytearray(buf.getvalue()), dtype=np.uint8))


def encode_png(input: Tensor, compression_level: int = 6) -> Tensor:
    """uint8 (C, H, W), C in {1, 3} -> PNG bytes; see torchvision.io.encode_png."""
    _warn_deprecated()
    if compression_level < 0 or compression_level > 9:
        raise RuntimeError("Compression level should be between 0 and 9")
    return _encode(_image_array(input), "PNG", compress_level=compression_level)


def write_png(input: Tensor, filename: str, compression_level: int = 6) -> None:
    """encode_png + write_file; see torchvision.io.write_png."""
    _warn_deprecated()
    write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input, quality: int = 75):
    """uint8 (C, H, W), C in {1, 3} (or a list) -> JPEG bytes; see torchvision.io.encode_jpeg."""
    _warn_deprecated()
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, list):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is "
                             "passed")
        return [_encode(_image_array(t), "JPEG", quality=quality) for t in input]
    return _encode(_image_array(input), "JPEG", quality=quality)


def write_jpeg(input: Tensor, filename: str, quality: int = 75) -> None:
    """encode_jpeg + write_file; see torchvision.io.write_jpeg."""
    _warn_deprecated()
    write_file(filename, encode_jpeg(input, quality))

