"""linalg.matrix_exp against torch: values over a range of norms (every Pade degree and the
scaling-and-squaring branch), batches, complex, first and second gradients, node name, errors,
and the parametrizations tutorial's use through a module."""
from __future__ import annotations

import numpy as np
import pytest

from tests.oracle import check, check_raises, random_array as R


@pytest.mark.parametrize("scale", [0.005, 0.2, 0.8, 1.8, 4.0, 30.0])
def test_values_and_grads(scale):
    a = R((2, 4, 4), "float64", seed=3) * scale
    e, t = check(lambda T, x: T.matrix_exp(x), [a], gradgrad=scale < 5)
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__


def test_float32_complex_and_spellings():
    check(lambda T, x: T.linalg.matrix_exp(x), [R((3, 3), "float32")])
    c = R((3, 3), "float64", seed=1) + 1j * R((3, 3), "float64", seed=2)
    check(lambda T, x: T.view_as_real(T.matrix_exp(x)), [c])
    check(lambda T, x: x.matrix_exp(), [R((1, 1), "float64")])


@pytest.mark.parametrize("fn", [
    lambda T: T.matrix_exp(T.ones(2, 3)),
    lambda T: T.matrix_exp(T.ones(3)),
    lambda T: T.matrix_exp(T.ones(2, 2, dtype=T.int64)),
])
def test_errors(fn):
    check_raises(fn)


def test_orthogonal_through_skew_parametrization():
    import torch
    import ember
    out = {}
    for T in (torch, ember):
        nn = T.nn

        class Skew(nn.Module):
            def forward(self, X):
                A = X.triu(1)
                return A - A.transpose(-1, -2)

        class MatrixExponential(nn.Module):
            def forward(self, X):
                return T.matrix_exp(X)
        T.manual_seed(0)
        layer = nn.Linear(3, 3)
        T.nn.utils.parametrize.register_parametrization(layer, "weight", Skew())
        T.nn.utils.parametrize.register_parametrization(layer, "weight", MatrixExponential())
        Q = layer.weight
        out[T] = (Q @ Q.T).detach().numpy()
    np.testing.assert_allclose(out[ember], out[torch], atol=1e-6)
    np.testing.assert_allclose(out[ember], np.eye(3), atol=1e-5)
