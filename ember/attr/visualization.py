"""Image attribution plots with Captum's API: visualize_image_attr (heat map, blended heat map
over the greyscale image, masked image, alpha scaling, original image) and
visualize_image_attr_multiple (a 1 x k row of them).

matplotlib is not an ember dependency: it is imported on the first call, and a clear
ImportError says how to get it. Attributions and images are (H, W, C) or (H, W) arrays
(ember tensors are accepted and converted).
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from enum import Enum
from typing import Any

import numpy as np


class ImageVisualizationMethod(Enum):
    heat_map = 1
    blended_heat_map = 2
    original_image = 3
    masked_image = 4
    alpha_scaling = 5


class VisualizeSign(Enum):
    positive = 1
    absolute_value = 2
    negative = 3
    all = 4


def _mpl():
    """matplotlib's pieces, imported on first use."""
    try:
        import matplotlib  # noqa: F401
        from matplotlib import pyplot as plt
        from matplotlib.colors import LinearSegmentedColormap
        from matplotlib.figure import Figure
        from mpl_toolkits.axes_grid1 import make_axes_locatable
    except ImportError as e:
        raise ImportError("ember.attr.visualization needs matplotlib, which is not installed "
                          "(it is not an ember dependency): pip install matplotlib") from e
    return plt, Figure, LinearSegmentedColormap, make_axes_locatable


def _as_array(x):
    if x is None or isinstance(x, np.ndarray):
        return x
    from .._tensor import Tensor
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _prepare_image(attr_visual: np.ndarray) -> np.ndarray:
    return np.clip(attr_visual.astype(int), 0, 255)


def _normalize_scale(attr: np.ndarray, scale_factor: float) -> np.ndarray:
    assert scale_factor != 0, "Cannot normalize by scale factor = 0"
    if abs(scale_factor) < 1e-5:
        warnings.warn("Attempting to normalize by value approximately 0, visualized results"
                      "may be misleading. This likely means that attribution values are all"
                      "close to 0.", stacklevel=2)
    return np.clip(attr / scale_factor, -1, 1)


def _cumulative_sum_threshold(values: np.ndarray, percentile: float) -> float:
    """The smallest value v such that the values <= v hold `percentile`% of the total."""
    assert 0 <= percentile <= 100, \
        "Percentile for thresholding must be " "between 0 and 100 inclusive."
    sorted_vals = np.sort(values.flatten())
    cum_sums = np.cumsum(sorted_vals)
    threshold_id = np.where(cum_sums >= cum_sums[-1] * 0.01 * percentile)[0][0]
    return sorted_vals[threshold_id]


def _normalize_attr(attr: np.ndarray, sign: str, outlier_perc: float = 2
                    ) -> np.ndarray:
    """Keep the chosen sign, scale so the top outlier_perc % of |attr| mass maps to +-1."""
    sign_type = VisualizeSign[sign]
    if sign_type == VisualizeSign.positive:
        attr = np.maximum(attr, 0)
    elif sign_type == VisualizeSign.negative:
        attr = np.minimum(attr, 0)
    elif sign_type == VisualizeSign.absolute_value:
        attr = np.abs(attr)
    threshold = _cumulative_sum_threshold(np.abs(attr), 100.0 - outlier_perc)
    if sign_type == VisualizeSign.negative:
        threshold = -threshold
    return _normalize_scale(attr, threshold)


def _initialize_cmap_and_vmin_vmax(sign: str):
    _, _, LinearSegmentedColormap, _ = _mpl()
    kind = VisualizeSign[sign]
    if kind == VisualizeSign.all:
        return LinearSegmentedColormap.from_list("RdWhGn", ["red", "white", "green"]), -1, 1
    if kind == VisualizeSign.positive:
        return "Greens", 0, 1
    if kind == VisualizeSign.negative:
        return "Reds", 0, 1
    if kind == VisualizeSign.absolute_value:
        return "Blues", 0, 1
    raise AssertionError("Visualize Sign type is not valid.")


def _create_default_plot(plt_fig_axis, use_pyplot: bool, fig_size, **kwargs):
    if plt_fig_axis is not None:
        return plt_fig_axis
    plt, Figure, _, _ = _mpl()
    if use_pyplot:
        return plt.subplots(figsize=fig_size, **kwargs)
    fig = Figure(figsize=fig_size)
    return fig, fig.subplots(**kwargs)


def _visualize_original_image(plt_axis, original_image, **kwargs) -> None:
    assert original_image is not None, "Original image expected for original_image method."
    if len(original_image.shape) > 2 and original_image.shape[2] == 1:
        original_image = np.squeeze(original_image, axis=2)
    plt_axis.imshow(original_image)


def _visualize_heat_map(plt_axis, norm_attr, cmap, vmin, vmax, **kwargs):
    return plt_axis.imshow(norm_attr, cmap=cmap, vmin=vmin, vmax=vmax)


def _visualize_blended_heat_map(plt_axis, original_image, norm_attr, cmap, vmin, vmax,
                                alpha_overlay, **kwargs):
    assert original_image is not None, "Original Image expected for blended_heat_map method."
    plt_axis.imshow(np.mean(original_image, axis=2), cmap="gray")
    return plt_axis.imshow(norm_attr, cmap=cmap, vmin=vmin, vmax=vmax, alpha=alpha_overlay)


def _visualize_masked_image(plt_axis, sign, original_image, norm_attr, **kwargs) -> None:
    assert VisualizeSign[sign] != VisualizeSign.all, (
        "Cannot display masked image with both positive and negative "
        "attributions, choose a different sign option.")
    plt_axis.imshow(_prepare_image(original_image * np.expand_dims(norm_attr, 2)))


def _visualize_alpha_scaling(plt_axis, sign, original_image, norm_attr, **kwargs) -> None:
    assert VisualizeSign[sign] != VisualizeSign.all, (
        "Cannot display alpha scaling with both positive and negative "
        "attributions, choose a different sign option.")
    plt_axis.imshow(np.concatenate(
        [original_image, _prepare_image(np.expand_dims(norm_attr, 2) * 255)], axis=2))


_METHODS: dict[str, Callable[..., Any]] = {
    "heat_map": _visualize_heat_map,
    "blended_heat_map": _visualize_blended_heat_map,
    "masked_image": _visualize_masked_image,
    "alpha_scaling": _visualize_alpha_scaling,
    "original_image": _visualize_original_image,
}


def visualize_image_attr(attr, original_image=None, method: str = "heat_map",
                         sign: str = "absolute_value", plt_fig_axis=None,
                         outlier_perc: float = 2, cmap=None,
                         alpha_overlay: float = 0.5, show_colorbar: bool = False,
                         title: str | None = None, fig_size: tuple[int, int] = (6, 6),
                         use_pyplot: bool = True):
    """Draw one attribution map (channels summed) and return (figure, axis); see
    captum.attr.visualization.visualize_image_attr."""
    attr = _as_array(attr)
    original_image = _as_array(original_image)
    plt_fig, plt_axis = _create_default_plot(plt_fig_axis, use_pyplot, fig_size)
    if isinstance(plt_axis, list):
        plt_axis = plt_axis[0]
    if original_image is not None:
        if np.max(original_image) <= 1.0:
            original_image = _prepare_image(original_image * 255)
    elif ImageVisualizationMethod[method] != ImageVisualizationMethod.heat_map:
        raise ValueError("Original Image must be provided for "
                         "any visualization other than heatmap.")
    if plt_axis.xaxis is not None:
        plt_axis.xaxis.set_ticks_position("none")
    if plt_axis.yaxis is not None:
        plt_axis.yaxis.set_ticks_position("none")
    plt_axis.set_yticklabels([])
    plt_axis.set_xticklabels([])
    plt_axis.grid(visible=False)
    if len(attr.shape) == 3:
        attr = np.sum(attr, axis=2)
    norm_attr = _normalize_attr(attr, sign, outlier_perc)
    default_cmap, vmin, vmax = _initialize_cmap_and_vmin_vmax(sign)
    cmap = cmap if cmap is not None else default_cmap
    if method not in _METHODS:
        raise AssertionError("Visualize Method type is not valid.")
    heat_map = _METHODS[method](plt_axis=plt_axis, original_image=original_image, sign=sign,
                                cmap=cmap, alpha_overlay=alpha_overlay, vmin=vmin, vmax=vmax,
                                norm_attr=norm_attr)
    if show_colorbar:
        # a hidden colorbar axis keeps plots with and without heat maps aligned
        _, _, _, make_axes_locatable = _mpl()
        colorbar_axis = make_axes_locatable(plt_axis).append_axes("bottom", size="5%",
                                                                  pad=0.1)
        if heat_map:
            plt_fig.colorbar(heat_map, orientation="horizontal", cax=colorbar_axis)
        else:
            colorbar_axis.axis("off")
    if title:
        plt_axis.set_title(title)
    if use_pyplot:
        _mpl()[0].show()
    return plt_fig, plt_axis


def visualize_image_attr_multiple(attr, original_image, methods: list[str], signs: list[str],
                                  titles: list[str] | None = None,
                                  fig_size: tuple[int, int] = (8, 6), use_pyplot: bool = True,
                                  **kwargs: Any):
    """Several visualize_image_attr views side by side; returns (figure, axis or axes);
    see captum.attr.visualization.visualize_image_attr_multiple."""
    assert len(methods) == len(signs), "Methods and signs array lengths must match."
    if titles is not None:
        assert len(methods) == len(titles), (
            "If titles list is given, length must " "match that of methods list.")
    plt, Figure, _, _ = _mpl()
    plt_fig = plt.figure(figsize=fig_size) if use_pyplot else Figure(figsize=fig_size)
    axes = plt_fig.subplots(1, len(methods), squeeze=True)
    if len(methods) == 1:
        plt_axis = axes
        axis_list = [axes]
    else:
        plt_axis = axes.tolist()
        axis_list = plt_axis
    for i in range(len(methods)):
        visualize_image_attr(attr, original_image=original_image, method=methods[i],
                             sign=signs[i], plt_fig_axis=(plt_fig, axis_list[i]),
                             use_pyplot=False, title=titles[i] if titles else None, **kwargs)
    plt_fig.tight_layout()
    if use_pyplot:
        plt.show()
    return plt_fig, plt_axis
