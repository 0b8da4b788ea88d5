"""linalg.cholesky / cholesky_ex on matrices that are not positive-definite, vs torch: the info
codes, the partial factor LAPACK leaves, and the LinAlgError texts (batch element named)."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import check, check_raises

BAD = [[[1., 2.], [2., 1.]],
       [[4., 2., 1.], [2., -3., 1.], [1., 1., 5.]],
       [[-4., 2., 1.], [2., 3., 1.], [1., 1., 5.]],
       [[[1., 0.], [0., 1.]], [[1., 2.], [2., 1.]]]]


@pytest.mark.parametrize("a", BAD)
def test_cholesky_ex_info_and_partial_factor(a):
    for upper in (False, True):
        t = torch.linalg.cholesky_ex(torch.tensor(a), upper=upper)
        e = ember.linalg.cholesky_ex(ember.tensor(a), upper=upper)
        assert np.array_equal(e.info.numpy(), t.info.numpy())
        assert e.info.dtype == ember.int32
        np.testing.assert_allclose(e.L.numpy(), t.L.numpy(), rtol=1e-6)


@pytest.mark.parametrize("a", BAD)
def test_errors_name_the_minor(a):
    check_raises(lambda T: T.linalg.cholesky(T.tensor(a)))
    check_raises(lambda T: T.linalg.cholesky_ex(T.tensor(a), check_errors=True))
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.cholesky(ember.tensor(a))
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)


def test_positive_definite_still_differentiable():
    a = np.array([[4.0, 2.0], [2.0, 3.0]])
    check(lambda T, x: T.linalg.cholesky_ex(x @ x.mT).L, [a], gradgrad=True)


@pytest.mark.parametrize("a", [[[0., 0.], [0., 0.]], [[1., 2.], [2., 4.]],
                               [[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]],
                               [[[1., 0.], [0., 1.]], [[1., 2.], [2., 4.]]]])
def test_singular_inverse_names_the_zero_pivot(a):
    check_raises(lambda T: T.linalg.inv(T.tensor(a)))
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.inv(ember.tensor(a))


def test_singular_solve():
    check_raises(lambda T: T.linalg.solve(T.tensor([[1., 2.], [2., 4.]]), T.ones(2)))


def test_inv_ex_reports_info_instead_of_raising():
    a = [[[1., 0.], [0., 2.]], [[1., 2.], [2., 4.]]]
    t = torch.linalg.inv_ex(torch.tensor(a))
    e = ember.linalg.inv_ex(ember.tensor(a))
    assert np.array_equal(e.info.numpy(), t.info.numpy())
    np.testing.assert_allclose(e.inverse.numpy()[0], t.inverse.numpy()[0])
    assert np.isnan(e.inverse.numpy()[1]).all()    # undefined there (torch: LAPACK's garbage)
    check_raises(lambda T: T.linalg.inv_ex(T.tensor(a), check_errors=True))
    check(lambda T, x: T.linalg.inv_ex(x).inverse, [np.array([[2.0, 1.0], [1.0, 3.0]])])
