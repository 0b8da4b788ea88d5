"""Image functions behind the transforms (see torchvision.transforms.functional): each takes a
PIL image or an ember tensor image (..., C, H, W) and returns the same kind.

PIL images go through Pillow exactly as torchvision sends them (resize, rotate, enhance, expand);
tensor images are computed with NumPy on the tensor's array following torchvision's tensor
algorithms (float32 arithmetic in the same order, round-half-even back to integers), and the
results are wrapped as new tensors.
"""
from __future__ import annotations

import math
import numbers
import sys
import warnings
from enum import Enum

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, _wrap

try:
    from PIL import Image, ImageEnhance, ImageOps
except ImportError:  # Pillow is optional: tensor images still work
    Image = ImageEnhance = ImageOps = None


class InterpolationMode(Enum):
    """Interpolation methods (values are the names torch's interpolate uses)."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _interpolation_modes_from_int(i):
    return {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
            3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING,
            1: InterpolationMode.LANCZOS}[i]


pil_modes_mapping = {InterpolationMode.NEAREST: 0, InterpolationMode.BILINEAR: 2,
                     InterpolationMode.BICUBIC: 3, InterpolationMode.NEAREST_EXACT: 0,
                     InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
                     InterpolationMode.LANCZOS: 1}


# ---- helpers ----------------------------------------------------------------------------------

def _is_pil_image(img):
    return Image is not None and isinstance(img, Image.Image)


def _need_pil():
    if Image is None:
        raise ModuleNotFoundError("ember.vision needs Pillow for PIL images: pip install pillow")


def _pil_check(img):
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def _assert_image_tensor(img):
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def _max_value(np_dtype):
    """Largest value of an integer image dtype, 1 for float images."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind in "iu":
        return int(np.iinfo(np_dtype).max)
    return 1


def _assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found "
                        f"{c}")


def _fromarray(arr, mode):
    """Image.fromarray with an explicit mode: the raw bytes are read in that mode (what
    torchvision relies on; Pillow >= 11.3 no longer takes `mode` in fromarray)."""
    arr = np.ascontiguousarray(arr)
    size = (arr.shape[1], arr.shape[0])
    return Image.frombuffer(mode, size, arr.tobytes(), "raw", mode, 0, 1)


def _float_dtype_of(a):
    return a.dtype if a.dtype.kind == "f" else np.dtype(np.float32)


def _round_cast(a, dtype):
    """Float result back to the image dtype: integers are rounded half-to-even first."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        a = np.round(a)
    return a.astype(dtype)


# ---- dimensions -------------------------------------------------------------------------------

def get_dimensions(img):
    """[channels, height, width]."""
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
        s = img._data.shape
        return [1 if len(s) == 2 else s[-3], s[-2], s[-1]]
    if _is_pil_image(img):
        return [len(img.getbands()), img.size[1], img.size[0]]
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img):
    """[width, height]."""
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
        return [img._data.shape[-1], img._data.shape[-2]]
    if _is_pil_image(img):
        return list(img.size)
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_num_channels(img):
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
        return 1 if img._data.ndim == 2 else img._data.shape[-3]
    if _is_pil_image(img):
        return len(img.getbands())
    raise TypeError(f"Unexpected type {type(img)}")


# ---- conversions ------------------------------------------------------------------------------

def to_tensor(pic):
    """PIL image or H x W (x C) ndarray -> C x H x W tensor; uint8 is scaled to [0, 1] in the
    default float dtype (see torchvision's to_tensor)."""
    if not (_is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray) and pic.ndim not in (2, 3):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    fdt = D.get_default_dtype().np
    if isinstance(pic, np.ndarray):
        a = pic[:, :, None] if pic.ndim == 2 else pic
        a = np.ascontiguousarray(a.transpose((2, 0, 1)))
        if a.dtype == np.uint8:
            return _wrap(np.divide(a, fdt.type(255), dtype=fdt))
        return _wrap(a)
    mode_to_nptype = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16,
                      "F": np.float32}
    a = np.array(pic, mode_to_nptype.get(pic.mode, np.uint8), copy=True)
    if pic.mode == "1":
        a = a * np.uint8(255)
    a = a.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    if a.dtype == np.uint8:
        # one pass: transpose to C x H x W while converting and dividing
        out = np.empty((a.shape[2], a.shape[0], a.shape[1]), fdt)
        np.divide(a.transpose((2, 0, 1)), fdt.type(255), out=out, dtype=fdt)
        return _wrap(out)
    return _wrap(np.ascontiguousarray(a.transpose((2, 0, 1))))


def pil_to_tensor(pic):
    """PIL image -> C x H x W tensor of its own dtype, values unchanged."""
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    a = np.array(pic, copy=True)
    a = a.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    # torchvision returns the permuted (non-contiguous) view
    from ...ops.shape import permute
    return permute(_wrap(a), (2, 0, 1))


def convert_image_dtype(image, dtype=D.float32):
    """Convert an image tensor's dtype, rescaling values to the new dtype's range."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype == dtype:
        return image
    a = image._data
    out = dtype.np
    if a.dtype.kind == "f":
        if out.kind == "f":
            return image.to(dtype)
        if (a.dtype == np.float32 and out in (np.int32, np.int64)) or (
                a.dtype == np.float64 and out == np.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed "
                               "safely.")
        eps = 1e-3
        max_val = float(_max_value(out))
        return _wrap(np.multiply(a, a.dtype.type(max_val + 1.0 - eps)).astype(out))
    input_max = float(_max_value(a.dtype))
    if out.kind == "f":
        return _wrap(np.divide(a.astype(out), out.type(input_max)))
    output_max = float(_max_value(out))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return _wrap(np.floor_divide(a, factor).astype(out))
    factor = int((output_max + 1) // (input_max + 1))
    return _wrap(a.astype(out) * out.type(factor))


def to_pil_image(pic, mode=None):
    """C x H x W tensor or H x W x C ndarray -> PIL image (floats are scaled by 255)."""
    _need_pil()
    if isinstance(pic, Tensor):
        a = np.asarray(pic.detach()._data) if pic._rg else pic.numpy(force=True)
        if a.ndim == 3:
            a = a.transpose((1, 2, 0))
        pic = a
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = np.expand_dims(pic, 2)
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)
    if npimg.shape[2] == 1:
        expected_mode = None
        npimg = npimg[:, :, 0]
        if npimg.dtype == np.uint8:
            expected_mode = "L"
        elif npimg.dtype == np.int16:
            expected_mode = "I;16" if sys.byteorder == "little" else "I;16B"
        elif npimg.dtype == np.int32:
            expected_mode = "I"
        elif npimg.dtype == np.float32:
            expected_mode = "F"
        if mode is not None and mode != expected_mode:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. "
                             f"Should be {expected_mode}")
        mode = expected_mode
    elif npimg.shape[2] == 2:
        permitted = ["LA"]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for 2D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = "LA"
    elif npimg.shape[2] == 4:
        permitted = ["RGBA", "CMYK", "RGBX"]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for 4D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = "RGBA"
    else:
        permitted = ["RGB", "YCbCr", "HSV"]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for 3D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = "RGB"
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    return _fromarray(npimg, mode)


def normalize(tensor, mean, std, inplace=False):
    """(tensor - mean[c]) / std[c] per channel (see torchvision's normalize)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    a = tensor._data
    m = np.asarray(mean.numpy() if isinstance(mean, Tensor) else mean, dtype=a.dtype)
    s = np.asarray(std.numpy() if isinstance(std, Tensor) else std, dtype=a.dtype)
    if (s == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                         "division by zero.")
    if m.ndim == 1:
        m = m.reshape(-1, 1, 1)
    if s.ndim == 1:
        s = s.reshape(-1, 1, 1)
    if tensor._rg or type(a) is not np.ndarray:
        # keep autograd (and other devices): the same two ops with ember
        from ..._creation import as_tensor
        mt, st = as_tensor(m), as_tensor(s)
        if inplace:
            return tensor.sub_(mt).div_(st)
        return (tensor - mt) / st
    if inplace:
        np.subtract(a, m, out=a)
        np.divide(a, s, out=a)
        tensor._bump()
        return tensor
    out = np.subtract(a, m)
    np.divide(out, s, out=out)
    return _wrap(out)


# ---- geometry ---------------------------------------------------------------------------------

def _compute_resized_output_size(image_size, size, max_size=None):
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:
        requested = size if isinstance(size, int) else size[0]
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to `size` (h, w) or make the smaller edge `size` (see torchvision's resize):
    Pillow's resampling for PIL images, torch's interpolate algorithm for tensors."""
    if isinstance(interpolation, int):
        interpolation = _interpolation_modes_from_int(interpolation)
    elif not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding "
                        "Pillow integer constant")
    if isinstance(size, (list, tuple)):
        if len(size) not in [1, 2]:
            raise ValueError("Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the "
                             "smaller edge, i.e. size should be an int or a sequence of length 1 "
                             "in torchscript mode.")
    _, h, w = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    output_size = _compute_resized_output_size((h, w), size, max_size)
    if [h, w] == output_size:
        return img
    if not isinstance(img, Tensor):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument "
                          "antialias is ignored.")
        _pil_check(img)
        return img.resize(tuple(output_size[::-1]), pil_modes_mapping[interpolation])
    return _resize_tensor(img, output_size, interpolation.value, antialias)


def _aa_filter(mode):
    """torch's antialias filters; evaluated in double from float arguments, as its C++ does."""
    if mode == "bilinear":
        def tri(x):
            x = np.abs(x.astype(np.float64))
            return np.where(x < 1.0, 1.0 - x, 0.0)
        return tri, 2

    def cubic(x, a=-0.5):
        x = np.abs(x.astype(np.float64))
        r1 = ((a + 2.0) * x - (a + 3.0)) * x * x + 1
        r2 = (((x - 5) * x + 8) * x - 4) * a
        return np.where(x < 1.0, r1, np.where(x < 2.0, r2, 0.0))
    return cubic, 4


def _taps(in_size, out_size, mode, antialias, ft):
    """(indices, weights), each out_size x taps, for one axis, with the float/double mix of
    torch's CPU kernels (scale and weights in the image's float type)."""
    scale = ft(in_size) / ft(out_size)
    i = np.arange(out_size)
    fi = i.astype(ft)
    if mode == "nearest":
        idx = np.minimum(np.floor(fi * scale).astype(np.int64), in_size - 1)
        return idx[:, None], np.ones((out_size, 1), ft)
    if mode == "nearest-exact":
        idx = np.minimum(np.floor((fi + ft(0.5)) * scale).astype(np.int64), in_size - 1)
        return idx[:, None], np.ones((out_size, 1), ft)
    if antialias:
        filt, interp = _aa_filter(mode)
        s64 = float(scale)
        support = ft(interp * 0.5 * s64) if s64 >= 1.0 else ft(interp * 0.5)
        invscale = float(ft(1.0 / s64)) if s64 >= 1.0 else 1.0
        center = (s64 * (i + 0.5)).astype(ft)
        xmin = np.maximum(((center - support).astype(np.float64) + 0.5).astype(np.int64), 0)
        xmax = np.minimum(((center + support).astype(np.float64) + 0.5).astype(np.int64),
                          in_size)
        ntap = int((xmax - xmin).max())
        idx = xmin[:, None] + np.arange(ntap)[None, :]
        arg = ((idx.astype(ft) - center[:, None]).astype(np.float64) + 0.5) * invscale
        w = filt(arg.astype(ft)).astype(ft)
        w[idx >= xmax[:, None]] = 0
        total = np.zeros(out_size, ft)
        for k in range(ntap):        # sequential float sum, as torch accumulates
            total += w[:, k]
        nz = total != 0
        w[nz] /= total[nz, None]
        return np.minimum(idx, in_size - 1), w
    src = scale * (fi + ft(0.5)) - ft(0.5)
    if mode == "bilinear":
        if out_size == in_size:
            return i[:, None], np.ones((out_size, 1), ft)
        src = np.maximum(src, ft(0))
        i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
        lam1 = np.clip(src - i0.astype(ft), ft(0), ft(1))
        i1 = i0 + (i0 < in_size - 1)
        return np.stack([i0, i1], 1), np.stack([ft(1) - lam1, lam1], 1)
    # bicubic (A = -0.75), indices clamped at the borders
    i0 = np.floor(src).astype(np.int64)
    t = src - i0.astype(ft)
    a = ft(-0.75)

    def c1(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def c2(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    w = np.stack([c2(t + ft(1)), c1(t), c1(ft(1) - t), c2((ft(1) - t) + ft(1))], 1).astype(ft)
    idx = np.clip(i0[:, None] + np.arange(-1, 3)[None, :], 0, in_size - 1)
    return idx, w


def _apply_taps(a, axis, idx, w):
    """sum_k w[:, k] * a.take(idx[:, k], axis), accumulated tap by tap (torch's order)."""
    shape = [1] * a.ndim
    shape[axis] = idx.shape[0]
    out = np.take(a, idx[:, 0], axis=axis) * w[:, 0].reshape(shape)
    for k in range(1, idx.shape[1]):
        out += np.take(a, idx[:, k], axis=axis) * w[:, k].reshape(shape)
    return out


def _resize_tensor(img, size, mode, antialias):
    if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise NotImplementedError(f"ember.vision: resizing tensor images with mode '{mode}' is "
                                  "not implemented (use a PIL image, or nearest/bilinear/bicubic)")
    if antialias is None:
        antialias = False
    if antialias and mode not in ("bilinear", "bicubic"):
        antialias = False
    a = img._data
    out_dtype = a.dtype
    x = a if a.dtype in (np.float32, np.float64) else a.astype(np.float32)
    ft = x.dtype.type
    oh, ow = size
    # width first, then height (torch's separable order)
    if ow != x.shape[-1] or mode.startswith("nearest"):
        iw, ww = _taps(x.shape[-1], ow, mode, antialias, ft)
        x = _apply_taps(x, x.ndim - 1, iw, ww)
    if oh != x.shape[-2] or mode.startswith("nearest"):
        ih, wh = _taps(x.shape[-2], oh, mode, antialias, ft)
        x = _apply_taps(x, x.ndim - 2, ih, wh)
    if mode == "bicubic" and out_dtype == np.uint8:
        x = np.clip(x, 0, 255)
    if x.dtype != out_dtype:
        x = _round_cast(x, out_dtype)
    return _wrap(np.ascontiguousarray(x))


def _parse_fill(fill, img, name="fillcolor"):
    num_channels = get_image_num_channels(img)
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and num_channels > 1:
        fill = tuple([fill] * num_channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * num_channels
        elif len(fill) != num_channels:
            raise ValueError("The number of elements in 'fill' does not match the number of "
                             f"channels of the image ({len(fill)} != {num_channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, (list, tuple)) else int(fill)
    return {name: fill}


def _pad_ltrb(padding):
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    return list(padding)


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the borders by `padding` (int, (lr, tb) or (l, t, r, b)); modes constant, edge,
    reflect, symmetric; negative padding crops."""
    if not isinstance(img, Tensor):
        _pil_check(img)
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if not isinstance(padding_mode, str):
            raise TypeError("Got inappropriate padding_mode arg")
        if isinstance(padding, list):
            padding = tuple(padding)
        if isinstance(padding, tuple) and len(padding) not in [1, 2, 4]:
            raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                             f"{len(padding)} element tuple")
        if isinstance(padding, tuple) and len(padding) == 1:
            padding = padding[0]
        if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if padding_mode == "constant":
            opts = _parse_fill(fill, img, name="fill")
            if img.mode == "P":
                palette = img.getpalette()
                image = ImageOps.expand(img, border=padding, **opts)
                image.putpalette(palette)
                return image
            return ImageOps.expand(img, border=padding, **opts)
        p = _pad_ltrb(padding)
        crop_l, crop_t, crop_r, crop_b = [max(-x, 0) for x in p]
        if crop_l or crop_t or crop_r or crop_b:
            img = img.crop((crop_l, crop_t, img.width - crop_r, img.height - crop_b))
        pl, pt, pr, pb = [max(x, 0) for x in p]
        palette = img.getpalette() if img.mode == "P" else None
        a = np.asarray(img)
        widths = ((pt, pb), (pl, pr)) + (((0, 0),) if a.ndim == 3 else ())
        out = Image.fromarray(np.pad(a, widths, padding_mode))
        if palette is not None:
            out.putpalette(palette)
        return out
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (list, tuple)) and len(padding) not in [1, 2, 4]:
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    pl, pt, pr, pb = _pad_ltrb(padding)
    a = img._data
    h, w = a.shape[-2:]
    # negative padding crops first
    a = a[..., max(-pt, 0):h - max(-pb, 0), max(-pl, 0):w - max(-pr, 0)]
    pl, pt, pr, pb = max(pl, 0), max(pt, 0), max(pr, 0), max(pb, 0)
    widths = [(0, 0)] * (a.ndim - 2) + [(pt, pb), (pl, pr)]
    if padding_mode == "constant":
        out = np.pad(a, widths, "constant", constant_values=np.asarray(fill).astype(a.dtype)
                     if a.dtype.kind != "f" else fill)
    else:
        out = np.pad(a, widths, padding_mode)
    return _wrap(out)


def crop(img, top, left, height, width):
    """The region [top, top + height) x [left, left + width); tensors are zero-padded where it
    leaves the image."""
    if not isinstance(img, Tensor):
        _pil_check(img)
        return img.crop((left, top, left + width, top + height))
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], ltrb, fill=0)
    return img[..., top:bottom, left:right]


def center_crop(img, output_size):
    """Crop the centre (padding with zeros first if the image is smaller)."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, ih, iw = get_dimensions(img)
    ch, cw = output_size
    if cw > iw or ch > ih:
        ltrb = [(cw - iw) // 2 if cw > iw else 0, (ch - ih) // 2 if ch > ih else 0,
                (cw - iw + 1) // 2 if cw > iw else 0, (ch - ih + 1) // 2 if ch > ih else 0]
        img = pad(img, ltrb, fill=0)
        _, ih, iw = get_dimensions(img)
        if cw == iw and ch == ih:
            return img
    return crop(img, int(round((ih - ch) / 2.0)), int(round((iw - cw) / 2.0)), ch, cw)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
    """crop then resize."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img):
    """Mirror left-right."""
    if not isinstance(img, Tensor):
        _pil_check(img)
        return img.transpose(Image.FLIP_LEFT_RIGHT)
    _assert_image_tensor(img)
    return _wrap(np.ascontiguousarray(img._data[..., ::-1]))


def vflip(img):
    """Mirror top-bottom."""
    if not isinstance(img, Tensor):
        _pil_check(img)
        return img.transpose(Image.FLIP_TOP_BOTTOM)
    _assert_image_tensor(img)
    return _wrap(np.ascontiguousarray(img._data[..., ::-1, :]))


def five_crop(img, size):
    """The four corner crops and the centre crop."""
    if isinstance(size, numbers.Number):
        size = (int(size), int(size))
    elif isinstance(size, (tuple, list)) and len(size) == 1:
        size = (size[0], size[0])
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    _, ih, iw = get_dimensions(img)
    ch, cw = size
    if cw > iw or ch > ih:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(ih, iw)}")
    return (crop(img, 0, 0, ch, cw), crop(img, 0, iw - cw, ch, cw), crop(img, ih - ch, 0, ch, cw),
            crop(img, ih - ch, iw - cw, ch, cw), center_crop(img, [ch, cw]))


def ten_crop(img, size, vertical_flip=False):
    """five_crop of the image and of its (horizontal or vertical) mirror."""
    if isinstance(size, numbers.Number):
        size = (int(size), int(size))
    elif isinstance(size, (tuple, list)) and len(size) == 1:
        size = (size[0], size[0])
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    first = five_crop(img, size)
    return first + five_crop(vflip(img) if vertical_flip else hflip(img), size)


def _get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=True):
    # rotation about `center`, then scale, shear and translation: torchvision's parametrisation
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        m = [x / scale for x in [d, -b, 0.0, -c, a, 0.0]]
        m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
        m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
        m[2] += cx
        m[5] += cy
    else:
        m = [x * scale for x in [a, b, 0.0, c, d, 0.0]]
        m[2] += m[0] * (-cx) + m[1] * (-cy)
        m[5] += m[3] * (-cx) + m[4] * (-cy)
        m[2] += cx + tx
        m[5] += cy + ty
    return m


def _check_interp(interpolation):
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding "
                        "Pillow integer constant")
    return interpolation


def _affine_grid(theta, w, h, ow, oh):
    """torchvision's _gen_affine_grid: output pixel centres mapped to [-1, 1] input coords."""
    ft = theta.dtype.type
    base = np.empty((oh, ow, 3), theta.dtype)
    base[..., 0] = np.linspace(-ow * 0.5 + 0.5, ow * 0.5 + 0.5 - 1, ow, dtype=theta.dtype)
    base[..., 1] = np.linspace(-oh * 0.5 + 0.5, oh * 0.5 + 0.5 - 1, oh,
                               dtype=theta.dtype)[:, None]
    base[..., 2] = 1
    rescaled = theta.T / np.array([0.5 * w, 0.5 * h], theta.dtype).astype(ft)
    return (base.reshape(-1, 3) @ rescaled).reshape(oh, ow, 2)


def _grid_sample(x, grid, mode):
    """grid_sample(align_corners=False, padding zeros) of N x C x H x W with an oh x ow x 2 grid."""
    n, c, h, w = x.shape
    ft = x.dtype.type
    ix = ((grid[..., 0] + ft(1)) * ft(w) - ft(1)) / ft(2)
    iy = ((grid[..., 1] + ft(1)) * ft(h) - ft(1)) / ft(2)
    if mode == "nearest":
        xi = np.rint(ix).astype(np.int64)
        yi = np.rint(iy).astype(np.int64)
        ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        out = x[:, :, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
        return out * ok.astype(x.dtype)
    x0, y0 = np.floor(ix).astype(np.int64), np.floor(iy).astype(np.int64)
    x1, y1 = x0 + 1, y0 + 1
    wx1, wy1 = (ix - x0).astype(x.dtype), (iy - y0).astype(x.dtype)
    wx0, wy0 = ft(1) - wx1, ft(1) - wy1
    out = np.zeros((n, c) + ix.shape, x.dtype)
    for yy, wy in ((y0, wy0), (y1, wy1)):
        for xx, wx in ((x0, wx0), (x1, wx1)):
            ok = ((xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)).astype(x.dtype)
            out += x[:, :, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)] * (wx * wy * ok)
    return out


def _apply_grid_transform(a, grid, mode, fill):
    squeeze = a.ndim < 4
    x = a[None] if squeeze else a
    out_dtype = x.dtype
    if x.dtype != grid.dtype:
        x = x.astype(grid.dtype)
    if fill is not None:
        x = np.concatenate([x, np.ones((x.shape[0], 1) + x.shape[2:], x.dtype)], axis=1)
    x = _grid_sample(x, grid, mode)
    if fill is not None:
        mask, x = x[:, -1:], x[:, :-1]
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = np.broadcast_to(np.array(fill_list, x.dtype).reshape(1, -1, 1, 1), x.shape)
        mask = np.broadcast_to(mask, x.shape)
        if mode == "nearest":
            x = np.where(mask < 0.5, fill_img, x)
        else:
            x = x * mask + (x.dtype.type(1.0) - mask) * fill_img
    if squeeze:
        x = x[0]
    if x.dtype != out_dtype:
        x = _round_cast(x, out_dtype)
    return _wrap(np.ascontiguousarray(x))


def _check_grid_inputs(img, fill, interpolation):
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")
    c = get_dimensions(img)[0]
    if fill is not None and isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != c:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number "
                         f"of channels of the image ({len(fill)} != {c})")


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Rotate counter-clockwise by `angle` degrees about the centre (or `center`)."""
    interpolation = _check_interp(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not isinstance(img, Tensor):
        _pil_check(img)
        return img.rotate(angle, pil_modes_mapping[interpolation], expand, center,
                          **_parse_fill(fill, img))
    center_f = [0.0, 0.0]
    _, h, w = get_dimensions(img)
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [w, h])]
    matrix = _get_inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    _check_grid_inputs(img, fill, interpolation.value)
    a = img._data
    ow, oh = _affine_output_size(matrix, w, h) if expand else (w, h)
    theta = np.array(matrix, _float_dtype_of(a)).reshape(2, 3)
    return _apply_grid_transform(a, _affine_grid(theta, w, h, ow, oh), interpolation.value, fill)


def _affine_output_size(matrix, w, h):
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, -0.5 * h, 1.0]], np.float32)
    theta = np.array(matrix, np.float32).reshape(2, 3)
    new = pts @ theta.T
    mn = new.min(axis=0) + np.array((w * 0.5, h * 0.5), np.float32)
    mx = new.max(axis=0) + np.array((w * 0.5, h * 0.5), np.float32)
    tol = np.float32(1e-4)
    cmax = np.ceil(np.trunc(mx / tol) * tol)
    cmin = np.floor(np.trunc(mn / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Rotation + translation + scale + shear about the centre, the image size kept."""
    interpolation = _check_interp(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, (list, tuple))):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    angle = float(angle)
    translate = list(translate)
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _, h, w = get_dimensions(img)
    if not isinstance(img, Tensor):
        if center is None:
            center = [w * 0.5, h * 0.5]
        matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
        return img.transform(img.size, Image.AFFINE, matrix, pil_modes_mapping[interpolation],
                             **_parse_fill(fill, img))
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [w, h])]
    matrix = _get_inverse_affine_matrix(center_f, angle, [1.0 * t for t in translate], scale,
                                        shear)
    _check_grid_inputs(img, fill, interpolation.value)
    a = img._data
    theta = np.array(matrix, _float_dtype_of(a)).reshape(2, 3)
    return _apply_grid_transform(a, _affine_grid(theta, w, h, w, h), interpolation.value, fill)


# ---- colour -----------------------------------------------------------------------------------

def _blend(a, b, ratio):
    """ratio * a + (1 - ratio) * b, clamped to the dtype's range, cast back to a's dtype."""
    ft = _float_dtype_of(a).type
    r = ft(float(ratio))
    out = r * (a if a.dtype.kind == "f" else a.astype(ft)) + (ft(1.0) - r) * (
        b if b.dtype.kind == "f" else b.astype(ft))
    np.clip(out, 0, _max_value(a.dtype), out=out)
    return out.astype(a.dtype)


def _gray(a):
    """ITU-R 601-2 luma of a ... x 3 x H x W array (same float rounding as torchvision)."""
    ft = _float_dtype_of(a).type
    r, g, b = (a[..., k, :, :] for k in range(3))
    if a.dtype.kind != "f":
        r, g, b = r.astype(ft), g.astype(ft), b.astype(ft)
    return ((ft(0.2989) * r + ft(0.587) * g) + ft(0.114) * b)


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma (0.2989 R + 0.587 G + 0.114 B) as 1 or 3 channels."""
    if not isinstance(img, Tensor):
        return to_grayscale(img, num_output_channels)
    a = img._data
    if a.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{a.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if a.shape[-3] == 3:
        lum = _gray(a).astype(a.dtype)[..., None, :, :]
    else:
        lum = a.copy()
    if num_output_channels == 3:
        return _wrap(np.broadcast_to(lum, a.shape))
    return _wrap(lum)


def to_grayscale(img, num_output_channels=1):
    """PIL image -> 'L' (or 'RGB' with three equal channels)."""
    _pil_check(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        g = np.array(img.convert("L"), dtype=np.uint8)
        return _fromarray(np.dstack([g, g, g]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def adjust_brightness(img, brightness_factor):
    """Blend with black: factor 0 is black, 1 the original."""
    if not isinstance(img, Tensor):
        _pil_check(img)
        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    a = img._data
    return _wrap(_blend(a, np.zeros_like(a), brightness_factor))


def adjust_contrast(img, contrast_factor):
    """Blend with the mean grey level: factor 0 is flat grey, 1 the original."""
    if not isinstance(img, Tensor):
        _pil_check(img)
        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    a = img._data
    ft = _float_dtype_of(a)
    g = _gray(a).astype(a.dtype).astype(ft)[..., None, :, :] if a.shape[-3] == 3 else \
        a.astype(ft)
    mean = g.mean(axis=(-3, -2, -1), keepdims=True, dtype=ft)
    return _wrap(_blend(a, mean, contrast_factor))


def adjust_saturation(img, saturation_factor):
    """Blend with the grey image: factor 0 is grey, 1 the original."""
    if not isinstance(img, Tensor):
        _pil_check(img)
        return ImageEnhance.Color(img).enhance(saturation_factor)
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    a = img._data
    return _wrap(_blend(a, _gray(a).astype(a.dtype)[..., None, :, :], saturation_factor))


def _rgb2hsv(x):
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc, minc = x.max(axis=-3), x.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    one = np.ones_like(maxc)
    s = cr / np.where(eqc, one, maxc)
    crd = np.where(eqc, one, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    ft = x.dtype.type
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (ft(2.0) + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (ft(4.0) + gc - rc)
    h = np.fmod(((hr + hg) + hb) / ft(6.0) + ft(1.0), ft(1.0))
    return np.stack((h, s, maxc), axis=-3)


def _hsv2rgb(x):
    ft = x.dtype.type
    h, s, v = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    i = np.floor(h * ft(6.0))
    f = h * ft(6.0) - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (ft(1.0) - s), 0.0, 1.0)
    q = np.clip(v * (ft(1.0) - s * f), 0.0, 1.0)
    t = np.clip(v * (ft(1.0) - s * (ft(1.0) - f)), 0.0, 1.0)
    r = np.choose(i, (v, q, p, p, t, v))
    g = np.choose(i, (t, v, v, q, p, p))
    b = np.choose(i, (p, p, t, v, v, q))
    return np.stack((r, g, b), axis=-3).astype(x.dtype)


def adjust_hue(img, hue_factor):
    """Rotate the hue by hue_factor (a fraction of the colour wheel, in [-0.5, 0.5])."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        _pil_check(img)
        input_mode = img.mode
        if input_mode in {"L", "1", "I", "F"}:
            return img
        h, s, v = img.convert("HSV").split()
        np_h = np.array(h, dtype=np.uint8)
        # uint8 arithmetic wraps around, which is the rotation wanted
        np_h += np.uint8(int(hue_factor * 255) % 256)
        h = _fromarray(np_h, "L")
        return Image.merge("HSV", (h, s, v)).convert(input_mode)
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    orig = img.dtype
    x = convert_image_dtype(img, D.float32)._data
    hsv = _rgb2hsv(x)
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + np.float32(hue_factor), np.float32(1.0))
    return convert_image_dtype(_wrap(_hsv2rgb(hsv)), orig)


def adjust_gamma(img, gamma, gain=1):
    """gain * img ** gamma on [0, 1] values."""
    if not isinstance(img, Tensor):
        _pil_check(img)
        if gamma < 0:
            raise ValueError("Gamma should be a non-negative real number")
        mode = img.mode
        lut = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
        return img.convert("RGB").point(lut).convert(mode)
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    x = img if img.is_floating_point() else convert_image_dtype(img, D.float32)
    a = x._data
    out = np.clip(a.dtype.type(gain) * np.power(a, a.dtype.type(gamma)), 0, 1)
    return convert_image_dtype(_wrap(out.astype(a.dtype)), img.dtype)


def invert(img):
    """max - img."""
    if not isinstance(img, Tensor):
        _pil_check(img)
        return ImageOps.invert(img)
    a = img._data
    if a.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{a.ndim}")
    _assert_channels(img, [1, 3])
    return _wrap((a.dtype.type(_max_value(a.dtype)) - a).astype(a.dtype))


def posterize(img, bits):
    """Keep the top `bits` bits of each uint8 channel."""
    if not (0 <= bits <= 8):
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    if not isinstance(img, Tensor):
        _pil_check(img)
        return ImageOps.posterize(img, bits)
    a = img._data
    if a.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{a.ndim}")
    if a.dtype != np.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    return _wrap(a & np.uint8((-int(2 ** (8 - bits))) & 0xFF))


def solarize(img, threshold):
    """Invert the pixels at or above `threshold`."""
    if not isinstance(img, Tensor):
        _pil_check(img)
        return ImageOps.solarize(img, threshold)
    a = img._data
    if a.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{a.ndim}")
    _assert_channels(img, [1, 3])
    if threshold > _max_value(a.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return _wrap(np.where(a >= threshold, invert(img)._data, a))


def adjust_sharpness(img, sharpness_factor):
    """Blend with a 3x3-smoothed copy: 0 blurred, 1 original, 2 sharpened."""
    if not isinstance(img, Tensor):
        _pil_check(img)
        return ImageEnhance.Sharpness(img).enhance(sharpness_factor)
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    a = img._data
    if a.shape[-1] <= 2 or a.shape[-2] <= 2:
        return img
    ft = _float_dtype_of(a)
    k = np.ones((3, 3), ft)
    k[1, 1] = 5.0
    k /= k.sum()
    x = a.astype(ft)
    acc = np.zeros(x.shape[:-2] + (x.shape[-2] - 2, x.shape[-1] - 2), ft)
    for dy in range(3):
        for dx in range(3):
            acc += x[..., dy:dy + x.shape[-2] - 2, dx:dx + x.shape[-1] - 2] * k[dy, dx]
    blurred = a.copy()
    blurred[..., 1:-1, 1:-1] = _round_cast(acc, a.dtype)
    return _wrap(_blend(a, blurred, sharpness_factor))


def autocontrast(img):
    """Stretch each channel to the full range."""
    if not isinstance(img, Tensor):
        _pil_check(img)
        return ImageOps.autocontrast(img)
    a = img._data
    if a.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{a.ndim}")
    _assert_channels(img, [1, 3])
    bound = _max_value(a.dtype)
    ft = _float_dtype_of(a)
    mn = a.min(axis=(-2, -1), keepdims=True).astype(ft)
    mx = a.max(axis=(-2, -1), keepdims=True).astype(ft)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = ft.type(bound) / (mx - mn)
    bad = ~np.isfinite(scale)
    mn[bad] = 0
    scale[bad] = 1
    return _wrap(np.clip((a - mn) * scale, 0, bound).astype(a.dtype))


def equalize(img):
    """Histogram-equalise each uint8 channel."""
    if not isinstance(img, Tensor):
        _pil_check(img)
        return ImageOps.equalize(img)
    a = img._data
    if not 3 <= a.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {a.ndim}")
    if a.dtype != np.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    out = np.empty_like(a)
    for index in np.ndindex(a.shape[:-2]):
        chan = a[index]
        hist = np.bincount(chan.reshape(-1), minlength=256)
        nz = hist[hist != 0]
        step = nz[:-1].sum() // 255
        if step == 0:
            out[index] = chan
            continue
        lut = (np.cumsum(hist) + step // 2) // step
        lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
        out[index] = lut[chan.astype(np.int64)].astype(np.uint8)
    return _wrap(out)


# ---- erase and blur ---------------------------------------------------------------------------

def erase(img, i, j, h, w, v, inplace=False):
    """img[..., i:i+h, j:j+w] = v."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img


def _gaussian_kernel1d(ksize, sigma, dt):
    half = (ksize - 1) * 0.5
    x = np.linspace(-half, half, ksize, dtype=dt)
    pdf = np.exp(dt.type(-0.5) * (x / dt.type(sigma)) ** 2)
    return pdf / pdf.sum(dtype=dt)


def gaussian_blur(img, kernel_size, sigma=None):
    """Gaussian blur with reflect padding (see torchvision's gaussian_blur)."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError("kernel_size should be int or a sequence of integers. Got "
                        f"{type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got "
                         f"{len(kernel_size)}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    t_img = img
    if not isinstance(img, Tensor):
        if not _is_pil_image(img):
            raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
        t_img = pil_to_tensor(img)
    _assert_image_tensor(t_img)
    a = t_img._data
    ft = _float_dtype_of(a)
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0], ft)
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1], ft)
    k2 = ky[:, None] * kx[None, :]
    x = a.astype(ft)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(py, py), (px, px)], mode="reflect")
    oh, ow = a.shape[-2], a.shape[-1]
    acc = np.zeros(a.shape, ft)
    for dy in range(kernel_size[1]):
        for dx in range(kernel_size[0]):
            acc += x[..., dy:dy + oh, dx:dx + ow] * k2[dy, dx]
    out = _wrap(_round_cast(acc, a.dtype) if a.dtype != ft else acc)
    if not isinstance(img, Tensor):
        return to_pil_image(out, mode=img.mode)
    return out
