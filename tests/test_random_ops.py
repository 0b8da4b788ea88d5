"""In-place random fills on ember tensors draw exactly torch's numbers, in torch's order —
including on non-contiguous views (memory order; normal_ takes the scalar path there)."""
import numpy as np
import pytest
import torch

import ember

VIEWS = [
    lambda T: T.empty(3, 4), lambda T: T.empty(6, 5).t(), lambda T: T.empty(2, 3, 4).permute(2, 0, 1),
    lambda T: T.empty(5, 8)[:, :6], lambda T: T.empty(40, 2, dtype=T.float64).t(),
    lambda T: T.empty(20), lambda T: T.empty(4, 4, dtype=T.float64),
]
FILLS = [
    lambda x: x.uniform_(), lambda x: x.uniform_(-2, 5), lambda x: x.normal_(),
    lambda x: x.normal_(1.5, 0.5), lambda x: x.bernoulli_(0.3), lambda x: x.exponential_(),
    lambda x: x.random_(0, 10), lambda x: x.log_normal_(), lambda x: x.cauchy_(),
    lambda x: x.geometric_(0.4),
]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("fill", FILLS)
def test_inplace_fill_matches_torch(view, fill):
    got = []
    for T in (torch, ember):
        T.manual_seed(1234)
        x = view(T)
        fill(x)
        after = T.rand(3)  # the generator is left in the same state too
        got.append((np.asarray(x.tolist()), np.asarray(after.tolist())))
    np.testing.assert_array_equal(got[0][0], got[1][0])
    np.testing.assert_array_equal(got[0][1], got[1][1])


def test_generator_objects():
    for T in (torch, ember):
        g = T.Generator().manual_seed(7)
        a = T.rand(3, generator=g)
        assert g.initial_seed() == 7
        st = g.get_state()
        b = T.randn(5, generator=g)
        g.set_state(st)
        c = T.randn(5, generator=g)
        assert T.equal(b, c)
    e = ember.Generator().manual_seed(7)
    t = torch.Generator().manual_seed(7)
    assert ember.rand(4, generator=e).tolist() == torch.rand(4, generator=t).tolist()
    ember.set_rng_state(ember.tensor(torch.get_rng_state().numpy()))
    assert ember.rand(3).tolist() == torch.rand(3).tolist()


def test_seed_cells():
    torch.manual_seed(1729)
    ember.manual_seed(1729)
    assert ember.rand(2, 2).tolist() == torch.rand(2, 2).tolist()
    ember.manual_seed(1729)
    assert repr(ember.rand(2, 2)) == "tensor([[0.3126, 0.3791],\n        [0.3087, 0.0736]])"
