"""Tensor methods and errors found missing by sweeping dir(torch.Tensor): torch's top-level
functions as methods, device probes, bincount/bitwise_not/cholesky/histogram errors and
defaults, against torch."""
from __future__ import annotations

import numpy as np
import pytest

from tests.oracle import assert_same, check, check_raises, random_array as R


@pytest.mark.parametrize("fn", [
    lambda T, x: x.angle(),
    lambda T, x: x.hardshrink(0.5),
    lambda T, x: x.adjoint(),
    lambda T, x: x.narrow_copy(1, 1, 2),
    lambda T, x: x.ldexp(T.tensor([1, 2, 0])),
    lambda T, x: x.unsafe_chunk(3, 1)[1],
    lambda T, x: x.unsafe_split(2, 0)[0],
    lambda T, x: (x @ x.T + 3 * T.eye(3)).pinverse(),
])
def test_methods(fn):
    check(fn, [R((3, 3), "float64")])


def test_integer_methods_and_probes():
    import torch
    import ember
    for name in ("gcd", "lcm"):
        e = getattr(ember.tensor([4, 6, -9]), name)(ember.tensor([6, 9, 6]))
        t = getattr(torch.tensor([4, 6, -9]), name)(torch.tensor([6, 9, 6]))
        assert_same(e, t)
    for name in ("is_mps", "is_xpu", "is_ipu", "is_maia", "is_mtia", "is_vulkan", "is_xla"):
        assert getattr(ember.ones(1), name) is getattr(torch.ones(1), name)
    assert_same(ember.ones(3).histogram().hist, torch.ones(3).histogram().hist)


@pytest.mark.parametrize("fn", [
    lambda T: T.ones(3, 4).bincount(),
    lambda T: T.tensor([True, False]).bincount(),
    lambda T: T.tensor([1, -1]).bincount(),
    lambda T: T.tensor([1, 2]).bincount(T.ones(3)),
    lambda T: T.tensor([1, 2]).bincount(minlength=-1),
    lambda T: T.ones(3, 4).bitwise_not(),
    lambda T: T.linalg.cholesky(T.ones(3, 4)),
    lambda T: T.linalg.cholesky(T.ones(2, 3, 4)),
    lambda T: T.linalg.cholesky(T.ones(3)),
])
def test_errors(fn):
    check_raises(fn)


def test_bincount_weights_dtype():
    check(lambda T, w: T.tensor([0, 2, 2]).bincount(w), [np.array([0.5, 1.0, 2.0])],
          grad=False)
