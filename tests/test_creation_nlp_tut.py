"""torch.tensor on the data NLP beginners pass it (lists of words, of losses, of None, numpy
scalars mixed with Python numbers): same dtype/shape, or the same error, as torch."""
import numpy as np
import pytest

from tests.oracle import check_raises, check


@pytest.mark.parametrize("make", [
    lambda T: T.tensor([T.tensor(1.5), 2]),                       # promoted: float32
    lambda T: T.tensor([T.tensor(1.0, dtype=T.float64), 2.0]),    # float64 wins
    lambda T: T.tensor([2.0, T.tensor(1.0, dtype=T.float64)]),    # ... also after a float
    lambda T: T.tensor([T.tensor(1, dtype=T.int32), 2.5]),        # int32 + float -> float32
    lambda T: T.tensor([T.tensor(1.0, dtype=T.float16), 2]),
    lambda T: T.tensor([[T.tensor(1.0)], [2.0]]),
    lambda T: T.tensor([T.tensor([1.0])]),                         # one-element: a scalar
    lambda T: T.tensor([True, T.tensor(3)]),
    lambda T: T.tensor([np.float64(1.5), 2.0]),
    lambda T: T.tensor([2.0, np.float64(1.5)]),
    lambda T: T.tensor([1, np.float32(1.5)]),
    lambda T: T.tensor([T.tensor(0.25), T.tensor(0.5)]),           # a list of losses
    lambda T: T.tensor([[1.0, 2.0], [3.0, 4.0]]),
])
def test_mixed_elements_dtype(make):
    check(lambda T: make(T), [], grad=False)


@pytest.mark.parametrize("make", [
    lambda T: T.tensor(["the", "dog"]),        # words instead of indices
    lambda T: T.tensor([["a"]]),
    lambda T: T.tensor([1, "ab"]),
    lambda T: T.tensor("a"),
    lambda T: T.tensor([""]),
    lambda T: T.tensor([b"a"]),
    lambda T: T.tensor([1, b"a"]),
    lambda T: T.tensor([1, None]),
    lambda T: T.tensor([None]),
    lambda T: T.tensor(None),
    lambda T: T.tensor([1.5, None]),
    lambda T: T.tensor([[1, None]]),
    lambda T: T.tensor([object()]),
    lambda T: T.tensor({}),
    lambda T: T.tensor({1: 2}),
    lambda T: T.tensor({1}),
    lambda T: T.tensor([1, 2 ** 70]),
    lambda T: T.tensor([T.ones(2), T.ones(2)]),  # a list of multi-element tensors
    lambda T: T.LongTensor(["a"]),
])
def test_bad_data_errors(make):
    check_raises(make)


def test_nll_loss_zero_dim_target_errors():
    check_raises(lambda T: T.nn.functional.nll_loss(T.randn(2, 3), T.tensor(1)))
    check_raises(lambda T: T.nn.functional.cross_entropy(T.randn(2, 3), T.tensor(1)))
    check_raises(lambda T: T.nn.NLLLoss()(T.randn(1, 3), T.tensor([0, 1])))
