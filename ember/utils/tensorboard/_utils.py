"""Array helpers for the TensorBoard writer: tensors to NumPy, image layouts to HWC, image grids,
matplotlib figures to pixels, and video batches to frames (torch's _convert_np.py + _utils.py).

summary.py and _embedding.py build their protos and files from these arrays.
"""
from __future__ import annotations

import numpy as np


def make_np(x):
    """An ndarray from an ember Tensor, an ndarray (as is) or a scalar (as a 1-element array)."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    from ... import _tensor
    if isinstance(x, _tensor.Tensor):
        return _prepare_tensor(x)
    raise NotImplementedError(f"Got {type(x)}, but numpy array or torch tensor are expected.")


def _prepare_tensor(x):
    from ... import _dtype
    if x.dtype == _dtype.bfloat16:
        # NOTE: torch goes through float16 here (NumPy has no bfloat16), rounding as it does
        x = x.to(_dtype.float16)
    return x.detach().cpu().numpy()


def make_grid(images, ncols=8):
    """N1HW / N3HW -> one 3 x (rows*H) x (cols*W) canvas, images in row-major order."""
    if not isinstance(images, np.ndarray):
        raise AssertionError("plugin error, should pass numpy array here")
    if images.shape[1] == 1:
        images = np.concatenate([images, images, images], 1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    n, _, h, w = images.shape
    ncols = min(n, ncols)
    nrows = int(np.ceil(float(n) / ncols))
    cells = np.zeros((nrows * ncols, 3, h, w), dtype=images.dtype)
    cells[:n] = images
    # (rows, cols, C, H, W) -> (C, rows, H, cols, W): one reshape instead of a loop per image
    return cells.reshape(nrows, ncols, 3, h, w).transpose(2, 0, 3, 1, 4).reshape(
        3, nrows * h, ncols * w)


def convert_to_HWC(tensor, input_format):
    """Reorder an image array described by `input_format` (e.g. "CHW", "NHWC", "HW") to HWC with
    3 (or 4) channels; a batch becomes one grid image."""
    if len(set(input_format)) != len(input_format):
        raise AssertionError("You can not use the same dimension shorthand twice. "
                             f"            input_format: {input_format}")
    if len(tensor.shape) != len(input_format):
        raise AssertionError("size of input tensor and input format are different. "
                             f"        tensor shape: {tensor.shape}, input_format: {input_format}")
    input_format = input_format.upper()
    if len(input_format) == 4:
        nchw = tensor.transpose([input_format.find(c) for c in "NCHW"])
        return make_grid(nchw).transpose(1, 2, 0)
    if len(input_format) == 3:
        hwc = tensor.transpose([input_format.find(c) for c in "HWC"])
        if hwc.shape[2] == 1:
            hwc = np.concatenate([hwc, hwc, hwc], 2)
        return hwc
    if len(input_format) == 2:
        hw = tensor.transpose([input_format.find(c) for c in "HW"])
        return np.stack([hw, hw, hw], 2)
    raise ValueError(f"dataformats should have 2, 3 or 4 letters, got {input_format!r}")


def figure_to_image(figures, close=True):
    """Render matplotlib figure(s) with the Agg backend: CHW uint8 (or NCHW for a list)."""
    import matplotlib.pyplot as plt
    from matplotlib.backends import backend_agg

    def render(figure):
        canvas = backend_agg.FigureCanvasAgg(figure)
        canvas.draw()
        rgba = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8)
        w, h = figure.canvas.get_width_height()
        chw = np.moveaxis(rgba.reshape(h, w, 4)[:, :, :3], 2, 0)
        if close:
            plt.close(figure)
        return chw

    if isinstance(figures, list):
        return np.stack([render(f) for f in figures])
    return render(figures)


def prepare_video(v):
    """(B, T, C, H, W) -> (T, H', W', C): each frame is the batch laid out on a grid whose
    size is the batch rounded up to a power of two (rows = 2**floor(log2(B)/2))."""
    b, t, c, h, w = v.shape
    if v.dtype == np.uint8:
        v = np.float32(v) / 255.0
    if b & (b - 1):   # not a power of two: pad with black clips
        extra = (1 << b.bit_length()) - b
        v = np.concatenate((v, np.zeros((extra, t, c, h, w))), axis=0)
    nrows = 2 ** ((b.bit_length() - 1) // 2)
    ncols = v.shape[0] // nrows
    v = v.reshape(nrows, ncols, t, c, h, w).transpose(2, 0, 4, 1, 5, 3)
    return v.reshape(t, nrows * h, ncols * w, c)
