"""nn.Fold / nn.Unfold modules against torch: extra_repr with the arguments as given, outputs and
gradients (via layer_oracle.run_layer), a fold(unfold(x)) round trip and the shape errors."""
import numpy as np
import pytest
import torch
from oracle import assert_same, check_raises, check_repr

import ember

from .layer_oracle import rand, run_layer

X4 = rand(2, 3, 6, 7)
X3 = rand(3, 5, 7)

CASES = [
    ("unfold", lambda T: T.nn.Unfold(kernel_size=2), [X4]),
    ("unfold_args", lambda T: T.nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     [X4]),
    ("unfold_unbatched", lambda T: T.nn.Unfold(3, padding=1), [X4[0]]),
    ("fold", lambda T: T.nn.Fold(output_size=(4, 5), kernel_size=2), [rand(2, 12, 12)]),
    ("fold_args", lambda T: T.nn.Fold((5, 6), (2, 3), dilation=1, padding=(1, 0), stride=2),
     [rand(2, 12, 6)]),
    ("fold_unbatched", lambda T: T.nn.Fold(4, 2, stride=2), [rand(8, 4)]),
]


@pytest.mark.parametrize("name,make,inputs", CASES, ids=[c[0] for c in CASES])
def test_fold_modules(name, make, inputs):
    check_repr(make)
    run_layer(make, inputs)


def test_reprs_and_constants():
    check_repr(lambda T: T.nn.Sequential(T.nn.Unfold(kernel_size=(2, 3), dilation=1, padding=1,
                                                     stride=2),
                                         T.nn.Fold(output_size=[4, 5], kernel_size=2)))
    for name in ("Fold", "Unfold"):
        assert getattr(ember.nn, name).__constants__ == getattr(torch.nn, name).__constants__


def test_round_trip_counts_overlaps():
    x = X4
    res = {}
    for T in (torch, ember):
        t = T.tensor(x, requires_grad=True)
        cols = T.nn.Unfold(3, padding=1)(t)
        y = T.nn.Fold((6, 7), 3, padding=1)(cols)
        y.sum().backward()
        res[T] = (y, t.grad)
    assert_same(res[ember][0], res[torch][0])
    assert_same(res[ember][1], res[torch][1])
    np.testing.assert_array_equal(res[ember][1].numpy(), res[torch][1].numpy())


def test_errors():
    check_raises(lambda T: T.nn.Fold((4, 5), 2)(T.ones(2, 11, 12)))
    check_raises(lambda T: T.nn.Fold((4, 5), 2)(T.ones(2, 12, 13)))
    check_raises(lambda T: T.nn.Unfold(2)(T.ones(2, 3)))
