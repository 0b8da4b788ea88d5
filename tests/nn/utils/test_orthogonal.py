"""parametrizations.orthogonal against torch: every map (matrix_exp, cayley, householder) on
square, tall and wide weights, with and without trivialization; weights, the original's
grad, reprs, and right_inverse's errors; geqrf and householder_product underneath."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from tests.oracle import check, check_raises, random_array as R


def _run(T, omap, shape, triv):
    T.manual_seed(0)
    lin = T.nn.Linear(shape[1], shape[0])
    T.nn.utils.parametrizations.orthogonal(lin, orthogonal_map=omap, use_trivialization=triv)
    W = lin.weight.detach().numpy().copy()
    lin(T.ones(2, shape[1])).sum().backward()
    g = lin.parametrizations.weight.original.grad.numpy().copy()
    return W, g, repr(lin)


@pytest.mark.parametrize("omap", [None, "matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_orthogonal_maps(omap, shape):
    (wt, gt, rt), (we, ge, re_) = _run(torch, omap, shape, True), _run(ember, omap, shape, True)
    np.testing.assert_allclose(we, wt, atol=1e-5)
    np.testing.assert_allclose(ge, gt, atol=1e-4)
    assert re_ == rt
    np.testing.assert_allclose(we @ we.T if shape[0] <= shape[1] else we.T @ we,
                               np.eye(min(shape)), atol=1e-5)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3)])
def test_householder_without_trivialization(shape):
    (wt, gt, _), (we, ge, _) = _run(torch, "householder", shape, False), \
        _run(ember, "householder", shape, False)
    np.testing.assert_allclose(we, wt, atol=1e-5)
    np.testing.assert_allclose(ge, gt, atol=1e-4)


@pytest.mark.parametrize("fn", [
    lambda T: T.nn.utils.parametrizations.orthogonal(T.nn.Linear(3, 3), orthogonal_map="x"),
    lambda T: T.nn.utils.parametrizations.orthogonal(T.nn.Linear(3, 3), "bias"),
])
def test_errors(fn):
    check_raises(fn)


def test_geqrf_and_householder_product():
    a = R((2, 5, 3), "float64")
    e, t = check(lambda T, x: T.geqrf(x).a, [a], grad=False)
    check(lambda T, x: T.linalg.householder_product(*T.geqrf(x.detach())), [a], grad=False)
    check(lambda T, x, tau: T.linalg.householder_product(x, tau),
          [R((5, 3), "float64"), R((2,), "float64", seed=1)])
