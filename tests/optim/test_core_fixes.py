"""Regression tests for core fixes made while writing ember.optim."""
import numpy as np
import pytest

from oracle import check


@pytest.mark.parametrize("value", [np.float64(1.5), np.float32(2.5), np.complex128(1 + 2j),
                                   np.int16(3), np.bool_(True), 1.5, 7])
def test_tensor_from_numpy_scalar_keeps_its_dtype(value):
    """torch.tensor(np.float64(x)) is float64: np.float64 subclasses float, and ember used to
    take it for a Python float (default dtype)."""
    check(lambda T: T.tensor(value), [], grad=False)
