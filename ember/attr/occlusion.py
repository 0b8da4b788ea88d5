"""Occlusion (Zeiler & Fergus): slide a window over each input, set it to the baseline and
attribute the output change to every element under it, averaged over the windows that
covered the element. Captum's semantics: ceil((size - window) / stride) + 1 positions per
dim (the last window may hang over the edge and is clipped), the first dim varies fastest.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import _creation as C
from .feature_ablation import FeatureAblation


def _format_and_verify_strides(strides, inputs):
    if strides is None:
        strides = tuple(1 for _ in inputs)
    if len(inputs) == 1 and not (isinstance(strides, tuple) and len(strides) == 1):
        strides = (strides,)
    assert isinstance(strides, tuple) and len(strides) == len(inputs), \
        "Strides must be provided for each input tensor."
    for i in range(len(inputs)):
        assert isinstance(strides[i], int) or (
            isinstance(strides[i], tuple) and len(strides[i]) == len(inputs[i].shape) - 1), (
            "Stride for input index {} is {}, which is invalid for input with "
            "shape {}. It must be either an int or a tuple with length equal to "
            "len(input_shape) - 1.").format(i, strides[i], inputs[i].shape)
    return strides


def _format_and_verify_sliding_window_shapes(sliding_window_shapes, inputs):
    if isinstance(sliding_window_shapes[0], int):
        sliding_window_shapes = (sliding_window_shapes,)
    assert len(sliding_window_shapes) == len(inputs), \
        "Must provide sliding window dimensions for each input tensor."
    for i in range(len(inputs)):
        assert (isinstance(sliding_window_shapes[i], tuple)
                and len(sliding_window_shapes[i]) == len(inputs[i].shape) - 1), (
            "Occlusion shape for input index {} is {} but should be a tuple with "
            "{} dimensions.").format(i, sliding_window_shapes[i], len(inputs[i].shape) - 1)
    return sliding_window_shapes


class Occlusion(FeatureAblation):
    """Sliding-window occlusion; see captum.attr.Occlusion."""

    def __init__(self, forward_func: Callable) -> None:
        FeatureAblation.__init__(self, forward_func)
        self.use_weights = True

    def attribute(self, inputs, sliding_window_shapes, strides=None, baselines=None,
                  target=None, additional_forward_args: object | None = None,
                  perturbations_per_eval: int = 1, show_progress: bool = False):
        """Attributions like the inputs: the mean output drop over the windows covering
        each element."""
        formatted_inputs = inputs if isinstance(inputs, tuple) else (inputs,)
        strides = _format_and_verify_strides(strides, formatted_inputs)
        sliding_window_shapes = _format_and_verify_sliding_window_shapes(
            sliding_window_shapes, formatted_inputs)
        shift_counts = []
        for i, inp in enumerate(formatted_inputs):
            current_shape = np.subtract(tuple(inp.shape[1:]), sliding_window_shapes[i])
            assert (np.array(current_shape) >= 0).all(), (
                "Sliding window dimensions {} cannot exceed input dimensions" "{}."
            ).format(sliding_window_shapes[i], tuple(inp.shape[1:]))
            assert np.logical_or(np.array(current_shape) == 0,
                                 np.array(strides[i]) <= sliding_window_shapes[i]).all(), (
                "Stride dimension {} cannot be larger than sliding window "
                "shape dimension {}.").format(strides[i], sliding_window_shapes[i])
            shift_counts.append(tuple(
                int(c) for c in np.add(np.ceil(np.divide(current_shape, strides[i]))
                                       .astype(int), 1)))
        return FeatureAblation.attribute(
            self, inputs, baselines=baselines, target=target,
            additional_forward_args=additional_forward_args,
            perturbations_per_eval=perturbations_per_eval,
            sliding_window_shapes=tuple(tuple(s) for s in sliding_window_shapes),
            shift_counts=tuple(shift_counts), strides=strides, show_progress=show_progress)

    def _get_feature_idx_to_tensor_idx(self, formatted_mask, **kwargs) -> dict[int, list[int]]:
        table: dict[int, list[int]] = {}
        f = 0
        for i, counts in enumerate(kwargs["shift_counts"]):
            for _ in range(int(np.prod(counts))):
                table[f] = [i]
                f += 1
        return table

    def _chunk_masks(self, inputs, formatted_mask, chunk, feature_to_tensors, **kwargs):
        """Per input: (k, 1, *input.shape[1:]) 0/1 masks of the chunk's windows, or None."""
        shift_counts = kwargs["shift_counts"]
        offsets = np.cumsum([0] + [int(np.prod(c)) for c in shift_counts])
        ids = np.asarray(chunk, dtype=np.int64)
        out = []
        for i, inp in enumerate(inputs):
            local = ids - offsets[i]
            here = (local >= 0) & (local < offsets[i + 1] - offsets[i])
            if not here.any():
                out.append(None)
                continue
            window = kwargs["sliding_window_shapes"][i]
            stride = kwargs["strides"][i]
            mask = here.reshape((-1,) + (1,) * len(window))
            rem = np.where(here, local, 0)
            for d, (count, w, size) in enumerate(zip(shift_counts[i], window, inp.shape[1:])):
                s = stride[d] if isinstance(stride, tuple) else stride
                lo = (rem % count) * s
                rem = rem // count
                pos = np.arange(size)
                inside = (pos >= lo[:, None]) & (pos < lo[:, None] + w)  # (k, size)
                shape = [len(chunk)] + [1] * len(window)
                shape[d + 1] = size
                mask = mask & inside.reshape(shape)
            mask = mask.reshape((len(chunk), 1) + tuple(inp.shape[1:]))
            out.append(C.tensor(mask.astype(np.int64), device=inp.device))
        return out
