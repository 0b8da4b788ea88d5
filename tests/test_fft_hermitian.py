"""torch.fft's Hermitian family (hfft, ihfft and their 2-D/N-D forms) and conj's autograd,
against torch: values, dtypes, node names, first and second gradients."""
from __future__ import annotations

import numpy as np
import pytest

from tests.oracle import check, random_array as R


def _c(shape, seed=0):
    return (R(shape, "float64", seed=seed) + 1j * R(shape, "float64", seed=seed + 1))


@pytest.mark.parametrize("fn", [
    lambda T, x: T.fft.hfft(x),
    lambda T, x: T.fft.hfft(x, 7, 0, "ortho"),
    lambda T, x: T.fft.hfft(x, norm="forward"),
    lambda T, x: T.fft.hfft2(x),
    lambda T, x: T.fft.hfftn(x, s=(4, 6), norm="ortho"),
    lambda T, x: T.fft.hfftn(x, dim=(0,)),
])
def test_hfft_family(fn):
    e, t = check(fn, [_c((4, 5))], gradgrad=True)
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__


@pytest.mark.parametrize("fn", [
    lambda T, x: T.fft.ihfft(x),
    lambda T, x: T.fft.ihfft(x, 4, 0, "ortho"),
    lambda T, x: T.fft.ihfft2(x, norm="forward"),
    lambda T, x: T.fft.ihfftn(x),
    lambda T, x: T.fft.ihfftn(x, s=(3, 8), dim=(0, 1)),
])
def test_ihfft_family(fn):
    # a real view of the complex result, so the oracle's backward starts from real values
    check(lambda T, x: T.view_as_real(fn(T, x).resolve_conj()), [R((4, 6), "float64")],
          gradgrad=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hfft_roundtrip_dtypes(dtype):
    check(lambda T, x: T.fft.hfft(T.fft.ihfft(x), 6), [R((6,), dtype)])


@pytest.mark.parametrize("fn", [
    lambda T, x: x.conj(),
    lambda T, x: T.conj(x) * x,
    lambda T, x: T.conj_physical(x),
    lambda T, x: x.mH,
    lambda T, x: T.resolve_conj(x.conj()) + 1,
])
def test_conj_is_differentiable(fn):
    # a real view of the complex result, so the oracle's backward starts from real values
    # (first order only: the oracle's second-order step would differentiate a complex sum)
    check(lambda T, x: T.view_as_real(fn(T, x).resolve_conj()), [_c((3, 3), seed=4)])
