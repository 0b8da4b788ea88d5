"""visualize_image_attr / visualize_image_attr_multiple render on a matplotlib Agg figure,
return (figure, axis) as Captum does, and draw the same pixels as Captum's."""
import sys
import warnings

import numpy as np
import pytest

import ember
from ember.attr import visualization as viz

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")

RNG = np.random.default_rng(0)
ATTR = RNG.standard_normal((8, 9, 3))
IMG = RNG.random((8, 9, 3))

CASES = [("heat_map", "all"), ("heat_map", "negative"), ("blended_heat_map", "positive"),
         ("masked_image", "positive"), ("alpha_scaling", "absolute_value"),
         ("original_image", "all")]


def _pixels(ax):
    return [np.asarray(im.get_array()) for im in ax.get_images()]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


@pytest.mark.parametrize("method,sign", CASES)
def test_visualize_image_attr_matches_captum(method, sign):
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    fig, ax = viz.visualize_image_attr(ATTR, IMG, method, sign, use_pyplot=False,
                                       show_colorbar=True, title="t")
    assert isinstance(fig, Figure) and isinstance(ax, Axes)
    assert ax.get_title() == "t" and len(fig.axes) == 2
    cviz = pytest.importorskip("captum.attr._utils.visualization")
    cfig, cax = cviz.visualize_image_attr(ATTR, IMG, method, sign, use_pyplot=False,
                                          show_colorbar=True, title="t")
    mine, theirs = _pixels(ax), _pixels(cax)
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs):
        np.testing.assert_array_equal(a, b)


def test_multiple_like_the_tutorial():
    # IG attributions of an ember model, channels last, next to the image (pyplot figure)
    f = lambda x: (x * ember.tensor(IMG.transpose(2, 0, 1)[None])).sum((1, 2, 3))
    x = ember.tensor(IMG.transpose(2, 0, 1)[None].astype(np.float32))
    attr = ember.attr.IntegratedGradients(f).attribute(x, n_steps=5)
    fig, axes = viz.visualize_image_attr_multiple(
        np.transpose(attr.squeeze().detach().numpy(), (1, 2, 0)),
        np.transpose(x.squeeze().numpy(), (1, 2, 0)), ["original_image", "heat_map",
                                                       "blended_heat_map", "masked_image"],
        ["all", "positive", "positive", "positive"], show_colorbar=True,
        titles=["Original", "Positive", "Blended", "Masked"], fig_size=(12, 4))
    assert isinstance(axes, list) and len(axes) == 4
    assert [a.get_title() for a in axes] == ["Original", "Positive", "Blended", "Masked"]
    fig.canvas.draw()  # renders
    one_fig, one_ax = viz.visualize_image_attr_multiple(ATTR, IMG, ["heat_map"], ["all"],
                                                        use_pyplot=False)
    assert not isinstance(one_ax, list) and one_ax in one_fig.axes


def test_tensor_inputs_and_heat_map_without_image():
    _, ax = viz.visualize_image_attr(ember.tensor(ATTR[..., 0]), sign="all",
                                     use_pyplot=False)
    assert len(_pixels(ax)) == 1


def test_errors():
    with pytest.raises(ValueError, match="Original Image must be provided"):
        viz.visualize_image_attr(ATTR, None, "blended_heat_map", use_pyplot=False)
    with pytest.raises(AssertionError, match="Cannot display masked image"):
        viz.visualize_image_attr(ATTR, IMG, "masked_image", "all", use_pyplot=False)
    with pytest.raises(AssertionError, match="Methods and signs array lengths must match"):
        viz.visualize_image_attr_multiple(ATTR, IMG, ["heat_map"], [], use_pyplot=False)
    with pytest.raises(KeyError):
        viz.visualize_image_attr(ATTR, IMG, "heat_map", "both", use_pyplot=False)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        viz.visualize_image_attr(ATTR * 1e-9, IMG, "heat_map", "all", use_pyplot=False)
    assert any("approximately 0" in str(x.message) for x in w)


def test_missing_matplotlib_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="needs matplotlib"):
        viz.visualize_image_attr(ATTR, IMG, "heat_map", use_pyplot=False)
