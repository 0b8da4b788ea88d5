"""Regression tests for the small core fixes the data/vision work needed (see the report):
randint with keyword bounds, basic indexing to 0-d views, set_num_threads."""
import pytest
import torch

import ember
from oracle import assert_same


def test_randint_keyword_bounds():
    for T in (torch, ember):
        T.manual_seed(0)
    got = [ember.randint(high=10, size=(5,)), ember.randint(low=3, high=10, size=(4,)),
           ember.randint(2, high=9, size=(3,))]
    ref = [torch.randint(high=10, size=(5,)), torch.randint(low=3, high=10, size=(4,)),
           torch.randint(2, high=9, size=(3,))]
    assert_same(got, ref)


def test_int_index_gives_a_0d_view():
    x = ember.tensor([1.0, 2.0])
    y = x[0]
    assert isinstance(y, ember.Tensor) and y.dim() == 0
    y.add_(5)
    assert x.tolist() == [6.0, 2.0]
    lr = ember.log(ember.tensor((3 / 4, 4 / 3)))
    tl = torch.log(torch.tensor((3 / 4, 4 / 3)))
    ember.manual_seed(1)
    torch.manual_seed(1)
    assert_same(ember.empty(3).uniform_(lr[0], lr[1]), torch.empty(3).uniform_(tl[0], tl[1]))


def test_set_num_threads():
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
    finally:
        ember.set_num_threads(before)
    for T in (torch, ember):
        with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
            T.set_num_threads(0)
