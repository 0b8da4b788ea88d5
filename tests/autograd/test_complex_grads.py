"""Complex autograd vs torch: conjugate-Wirtinger grads through * and /, real inputs mixed with
complex numbers (the real part of the grad reaches them), and .real / .imag as differentiable
views (select of view_as_real, as torch)."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import check, check_raises, check_repr

X = np.random.default_rng(0).standard_normal((3, 4))
C = (X + 1j * X[::-1]).astype(np.complex128)
D = C[::-1].copy() + 1


@pytest.mark.parametrize("fn", [
    lambda T, x, y: (x * y).abs(),
    lambda T, x, y: (x / y).abs(),
    lambda T, x, y: (x * y).real,
    lambda T, x, y: (x / y).imag,
    lambda T, x, y: (x * 2j + y).abs(),
])
def test_complex_binary_grads(fn):
    check(fn, [C, D])


@pytest.mark.parametrize("fn", [
    lambda T, x: (x * (1 + 2j)).abs(),
    lambda T, x: (x * (1 + 2j)).real,
    lambda T, x: (x / (2 - 1j)).imag,
])
def test_real_input_complex_scalar(fn):
    check(fn, [X], gradgrad=True)


def test_real_imag_are_views():
    check_repr(lambda T: T.tensor([1 + 1j, 2 - 1j], requires_grad=True).real)
    check_repr(lambda T: T.tensor([1 + 1j, 2 - 1j], requires_grad=True).imag)
    check_raises(lambda T: T.tensor([1.0, 2.0]).imag)
    for T in (torch, ember):
        d = T.tensor([1 + 1j, 3 - 2j])
        d.real.mul_(5)
        d.imag.add_(1)
        assert d.tolist() == [5 + 2j, 15 - 1j]
        x = T.tensor([1.0])
        assert x.real is x


def test_sgn_and_abs_second_order():
    z0 = np.array([1 + 2j, -0.5 + 0.3j, 2 - 1j, 0j])
    g0 = np.array([0.3 - 0.7j, 1 + 1j, -2 + 0.5j, 1j])
    out = {}
    for T in (torch, ember):
        z = T.tensor(z0, requires_grad=True)
        (g1,) = T.autograd.grad(T.sgn(z), z, T.tensor(g0))
        w = T.tensor(z0[::-1].copy(), requires_grad=True)
        (ga,) = T.autograd.grad((w * 2).abs().sum(), w, create_graph=True)
        (gg,) = T.autograd.grad(ga.abs().sum() + (ga * ga.conj()).real.sum(), w)
        out[T] = (g1.detach().numpy(), gg.numpy(), type(T.sgn(z).grad_fn).__name__)
    np.testing.assert_allclose(out[ember][0], out[torch][0], rtol=1e-12)
    np.testing.assert_allclose(out[ember][1], out[torch][1], rtol=1e-10, atol=1e-12)
    assert out[ember][2] == out[torch][2]
