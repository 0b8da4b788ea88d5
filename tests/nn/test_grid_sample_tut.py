"""F.grid_sample / F.affine_grid against torch (found by the Spatial Transformer tutorial):
every mode x padding x align_corners in 2-D, bilinear/nearest in 3-D, first and second
gradients, grad_fn names, warnings and the argument errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from tests.oracle import check, check_raises, random_array

MODES = ["bilinear", "nearest", "bicubic"]
PADS = ["zeros", "border", "reflection"]


def _grid(shape, seed, spread=1.3):
    # coordinates a little past [-1, 1] so every padding rule is exercised; float64 keeps the
    # gradient comparison away from floor() ties
    return random_array(shape, "float64", -spread, spread, seed=seed)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("pad", PADS)
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_2d(mode, pad, align):
    x = random_array((2, 3, 5, 6), "float64", seed=1)
    g = _grid((2, 4, 3, 2), seed=2)
    check(lambda T, a, b: T.nn.functional.grid_sample(a, b, mode=mode, padding_mode=pad,
                                                      align_corners=align), [x, g],
          gradgrad=mode != "nearest")


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("pad", PADS)
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_3d(mode, pad, align):
    x = random_array((2, 2, 3, 4, 5), "float64", seed=3)
    g = _grid((2, 2, 3, 2, 3), seed=4)
    check(lambda T, a, b: T.nn.functional.grid_sample(a, b, mode=mode, padding_mode=pad,
                                                      align_corners=align), [x, g],
          gradgrad=mode == "bilinear")


@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_float32(mode):
    x = random_array((2, 3, 7, 8), "float32", seed=5)
    g = random_array((2, 5, 4, 2), "float32", -1.1, 1.1, seed=6)
    check(lambda T, a, b: T.nn.functional.grid_sample(a, b, mode=mode, padding_mode="border",
                                                      align_corners=False), [x, g],
          grad=mode != "nearest")


def test_grid_sample_half():
    x = random_array((1, 2, 4, 4), "float16", seed=7)
    g = random_array((1, 3, 3, 2), "float16", -1, 1, seed=8)
    check(lambda T, a, b: T.nn.functional.grid_sample(a, b, align_corners=True), [x, g],
          grad=False)


def test_stn_pipeline_grads_and_names():
    # the tutorial's stn(): theta -> affine_grid -> grid_sample, gradient flowing to theta only
    x = random_array((3, 1, 12, 12), "float32", seed=9)
    th = (np.array([[1, 0, 0], [0, 1, 0]], np.float32) +
          random_array((3, 2, 3), "float32", -0.2, 0.2, seed=10))

    def f(T, x, th):
        grid = T.nn.functional.affine_grid(th, x.detach().size(), align_corners=False)
        out = T.nn.functional.grid_sample(x.detach(), grid, align_corners=False)
        return out, grid

    check(f, [x, th], gradgrad=True)
    for T in (torch, ember):
        th_t = T.tensor(th, requires_grad=True)
        grid = T.nn.functional.affine_grid(th_t, [3, 1, 12, 12], align_corners=False)
        out = T.nn.functional.grid_sample(T.tensor(x), grid, align_corners=False)
        assert type(grid.grad_fn).__name__ == "AffineGridGeneratorBackward0"
        assert type(out.grad_fn).__name__ == "GridSampler2DBackward0"
    x5 = ember.rand(1, 1, 2, 2, 2)
    g5 = ember.zeros(1, 1, 1, 1, 3, requires_grad=True)
    assert type(ember.nn.functional.grid_sample(x5, g5, align_corners=True).grad_fn).__name__ \
        == "GridSampler3DBackward0"


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (1, 2, 3, 4, 5), (2, 1, 1, 1, 2)])
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid(size, align):
    d = len(size) - 2
    th = random_array((size[0], d, d + 1), "float64", seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unit-size grids with align_corners=True warn
        check(lambda T, t: T.nn.functional.affine_grid(t, size, align_corners=align), [th],
              gradgrad=True)


def test_affine_grid_float32_values():
    th = random_array((2, 2, 3), "float32", seed=12)
    check(lambda T, t: T.nn.functional.affine_grid(t, T.Size([2, 3, 7, 9]),
                                                   align_corners=False), [th])


def test_default_align_corners_warns():
    for fn in (lambda: ember.nn.functional.affine_grid(ember.eye(2, 3)[None], (1, 1, 2, 2)),
               lambda: ember.nn.functional.grid_sample(ember.rand(1, 1, 2, 2),
                                                       ember.zeros(1, 1, 1, 2))):
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
            fn()


@pytest.mark.parametrize("fn", [
    lambda T: T.nn.functional.grid_sample(T.rand(1, 1, 3, 3), T.rand(1, 2, 2, 2).double(),
                                          align_corners=False),
    lambda T: T.nn.functional.grid_sample(T.rand(2, 1, 3, 3), T.rand(1, 2, 2, 2),
                                          align_corners=False),
    lambda T: T.nn.functional.grid_sample(T.rand(1, 1, 0, 3), T.rand(1, 2, 2, 2),
                                          align_corners=False),
    lambda T: T.nn.functional.grid_sample(T.rand(1, 1, 3, 3, 3), T.rand(1, 2, 2, 2, 3),
                                          mode="bicubic", align_corners=False),
    lambda T: T.nn.functional.grid_sample(T.rand(1, 1, 3, 3), T.rand(1, 2, 2, 2), mode="area"),
    lambda T: T.nn.functional.grid_sample(T.rand(1, 1, 3, 3), T.rand(1, 2, 2, 2),
                                          padding_mode="circular"),
    lambda T: T.nn.functional.grid_sample(T.zeros(1, 1, 3, 3, dtype=T.long),
                                          T.zeros(1, 2, 2, 2, dtype=T.long), align_corners=True),
    lambda T: T.nn.functional.grid_sample(T.rand(1, 3, 3), T.rand(1, 2, 1), align_corners=True),
    lambda T: T.nn.functional.grid_sample(T.rand(1, 1, 3, 3), T.rand(1, 2, 2, 3),
                                          align_corners=True),
    lambda T: T.nn.functional.affine_grid(T.zeros(1, 2, 3, dtype=T.long), (1, 1, 2, 2)),
    lambda T: T.nn.functional.affine_grid(T.rand(1, 3, 3), (1, 1, 2, 2)),
    lambda T: T.nn.functional.affine_grid(T.rand(1, 3, 3), (1, 1, 2)),
    lambda T: T.nn.functional.affine_grid(T.rand(1, 2, 3), (1, 1, 0, 2)),
    lambda T: T.nn.functional.affine_grid(T.rand(1, 2, 3), (2, 1, 3, 2), align_corners=False),
])
def test_errors(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_raises(fn)
