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
