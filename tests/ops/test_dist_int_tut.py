"""torch.dist as the intermediate tutorials use it (parametrizations: `torch.dist(X.T @ X, I)`):
one DistBackward0 node with both inputs as edges, every p, broadcasting, gradients of both
sides, double backward, dtype promotion and the integer error, compared with torch."""
import math

import numpy as np
import pytest
import torch
from oracle import check, check_raises

import ember

P = [1, 2, 3, 0.5, math.inf, -math.inf]
_rng = np.random.default_rng(0)


def _r(*shape, dtype=np.float32):
    return _rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("p", P)
def test_dist_values_and_grads(p):
    check(lambda T, a, b: T.dist(a, b, p), [_r(3, 4), _r(3, 4)])


@pytest.mark.parametrize("p", [1, 2, 3])
def test_dist_broadcast(p):
    check(lambda T, a, b: T.dist(a, b, p), [_r(4), _r(2, 3, 4)])
    check(lambda T, a, b: a.dist(b, p), [_r(2, 1), _r(1, 5)])


def test_dist_gradgrad():
    check(lambda T, a, b: T.dist(a, b), [_r(3, 3, dtype=np.float64), _r(3, 3, dtype=np.float64)],
          gradgrad=True)


def test_dist_p0_value():
    check(lambda T, a, b: T.dist(a, b, 0), [_r(3, 4), _r(3, 4)], grad=False)


def test_dist_node_and_edges():
    for T in (torch, ember):
        a = T.ones(3, requires_grad=True)
        b = T.zeros(2, 3, requires_grad=True)
        d = T.dist(a, b)
        assert type(d.grad_fn).__name__ == "DistBackward0"
        assert [type(f).__name__ for f, _ in d.grad_fn.next_functions] == [
            "AccumulateGrad", "AccumulateGrad"]
        assert d.grad_fn.name() == "DistBackward0"


def test_dist_repr_and_promotion():
    for p in (2, 1):
        t = torch.dist(torch.ones(3, dtype=torch.float64), torch.zeros(3), p)
        e = ember.dist(ember.ones(3, dtype=ember.float64), ember.zeros(3), p)
        assert repr(e) == repr(t)
    # equal inputs: an exact zero, and a zero (not NaN) gradient
    for T in (torch, ember):
        x = T.ones(3, requires_grad=True)
        T.dist(x, T.ones(3)).backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_dist_int_error():
    check_raises(lambda T: T.dist(T.arange(3), T.arange(3)))


def test_dist_half_accumulates_in_float32():
    # sum of squares of 1000 values ~100 overflows float16; torch accumulates in float32
    a = (_rng.standard_normal(1000) * 100).astype(np.float32)
    for dt in ("float16", "bfloat16"):
        t = torch.dist(torch.tensor(a).to(getattr(torch, dt)), torch.zeros(1000,
                       dtype=getattr(torch, dt)))
        e = ember.dist(ember.tensor(a).to(getattr(ember, dt)), ember.zeros(1000,
                       dtype=getattr(ember, dt)))
        assert repr(e) == repr(t)
