"""Tensor.normal_ on a contiguous float32 tensor fills the tensor's own array (no temporary):
the bits still equal torch's for every size path (scalar < 16, blocks of 16, ragged tail), the
stream continues identically, and a refused in-place fill draws nothing, as in torch."""
import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("shape", [(3,), (15,), (16,), (17,), (4, 5, 7), (1000, 33)])
@pytest.mark.parametrize("ms", [(0.0, 1.0), (0.5, 2.0), (0.0, 0.01)])
def test_normal_inplace_float32_bits(shape, ms):
    for seed in (0, 3):
        torch.manual_seed(seed)
        ember.manual_seed(seed)
        t, e = torch.empty(shape), ember.empty(shape)
        ptr = e._data.__array_interface__["data"][0]
        assert e.normal_(*ms) is e
        assert e._data.__array_interface__["data"][0] == ptr     # filled where it lies
        t.normal_(*ms)
        np.testing.assert_array_equal(e.numpy().view(np.uint32), t.numpy().view(np.uint32))
        np.testing.assert_array_equal(ember.rand(3).numpy(), torch.rand(3).numpy())


def test_normal_inplace_refused_on_leaf_draws_nothing():
    draws = []
    for T in (torch, ember):
        T.manual_seed(1)
        w = T.zeros(20, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            w.normal_()
        draws.append(T.rand(4).numpy())
    np.testing.assert_array_equal(draws[1], draws[0])


def test_normal_inplace_view_and_other_dtypes_unchanged():
    for T in (torch, ember):
        T.manual_seed(2)
    t, e = torch.zeros(40, 6), ember.zeros(40, 6)
    t[:, 1:4].normal_()
    e[:, 1:4].normal_()
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    t64, e64 = torch.empty(33, dtype=torch.float64), ember.empty(33, dtype=ember.float64)
    np.testing.assert_array_equal(e64.normal_().numpy(), t64.normal_().numpy())
