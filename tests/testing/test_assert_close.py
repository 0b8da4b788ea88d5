"""torch.testing.assert_close: same pass/fail and the same message as torch."""
import pytest
import torch

import ember
from oracle import check_raises

CASES = [
    lambda T: T.testing.assert_close(T.tensor([1., 2., 3.]), T.tensor([1., 2.5, 3.])),
    lambda T: T.testing.assert_close(T.tensor([1, 2, 3]), T.tensor([1, 5, 3])),
    lambda T: T.testing.assert_close(T.tensor([1., 2.]), T.tensor([1., 2., 3.])),
    lambda T: T.testing.assert_close(T.tensor([1., 2.]), T.tensor([1., 2.], dtype=T.float64)),
    lambda T: T.testing.assert_close(T.tensor(1.), T.tensor(2.)),
    lambda T: T.testing.assert_close(1.0, 1.5),
    lambda T: T.testing.assert_close(T.tensor([1., float("nan")]), T.tensor([1., float("nan")])),
    lambda T: T.testing.assert_close(T.tensor([[1., 2.], [3., 4.]]),
                                     T.tensor([[1., 2.], [3.1, 4.]]), rtol=0, atol=0.01),
]


@pytest.mark.parametrize("fn", CASES)
def test_failures_match(fn):
    check_raises(lambda T: fn(T), match_message=True)


def test_passes():
    for T in (torch, ember):
        T.testing.assert_close(T.tensor([1., float("nan")]), T.tensor([1., float("nan")]),
                               equal_nan=True)
        T.testing.assert_close(T.tensor([1., 2.]), T.tensor([1., 2. + 1e-7]))
        T.testing.assert_close([T.tensor(1.)], [T.tensor(1.)])


def test_full_message():
    msgs = []
    for T in (torch, ember):
        try:
            T.testing.assert_close(T.tensor([1., 2., 3.]), T.tensor([1., 2.5, 3.]))
        except AssertionError as e:
            msgs.append(str(e))
    assert msgs[0] == msgs[1]
