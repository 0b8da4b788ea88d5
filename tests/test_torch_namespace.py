"""torch's top-level spellings of functional ops (torch's own argument orders), window
functions, small math functions, constants, torch.random / torch.version, complex randn."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_same, check, check_raises, random_array as R

X4 = R((2, 3, 6, 6))
W4 = R((4, 3, 3, 3), seed=1)

CALLS = [
    ("conv2d", lambda T, x, w: T.conv2d(x, w, None, 1, 1), [X4, W4]),
    ("conv1d", lambda T, x, w: T.conv1d(x[:, :, 0], w[:, :, 0], None, 2), [X4, W4]),
    ("conv_transpose2d", lambda T, x, w: T.conv_transpose2d(x, w.transpose(0, 1)), [X4, W4]),
    ("batch_norm", lambda T, x, w: T.batch_norm(x, w[0, :, 0, 0], None, None, None, True, 0.1,
                                                1e-5, False), [X4, W4]),
    ("layer_norm", lambda T, x, w: T.layer_norm(x, (6,)), [X4, W4]),
    ("group_norm", lambda T, x, w: T.group_norm(x, 3), [X4, W4]),
    ("instance_norm", lambda T, x, w: T.instance_norm(x, None, None, None, None, True, 0.1,
                                                      1e-5, False), [X4, W4]),
    ("embedding", lambda T, x, w: T.embedding(x[0, 0], T.tensor([1, 5, 0])), [X4, W4]),
    ("max_pool2d", lambda T, x, w: T.max_pool2d(x, 2), [X4, W4]),
    ("max_pool1d", lambda T, x, w: T.max_pool1d(x[0], 3, 2), [X4, W4]),
    ("max_pool1d_with_indices", lambda T, x, w: T.max_pool1d_with_indices(x[0], 2)[1],
     [X4, W4]),
    ("avg_pool1d", lambda T, x, w: T.avg_pool1d(x[0], 2), [X4, W4]),
    ("adaptive_avg_pool1d", lambda T, x, w: T.adaptive_avg_pool1d(x[0], 4), [X4, W4]),
    ("adaptive_max_pool1d", lambda T, x, w: T.adaptive_max_pool1d(x[0], 4)[0], [X4, W4]),
    ("pixel_shuffle", lambda T, x, w: T.pixel_shuffle(w, 1), [X4, W4]),
    ("selu", lambda T, x, w: T.selu(x), [X4, W4]),
    ("celu", lambda T, x, w: T.celu(x, 0.5), [X4, W4]),
    ("threshold", lambda T, x, w: T.threshold(x, 0.1, -1.0), [X4, W4]),
    ("hardshrink", lambda T, x, w: T.hardshrink(x, 0.7), [X4, W4]),
    ("cosine_similarity", lambda T, x, w: T.cosine_similarity(x, x.flip(0)), [X4, W4]),
    ("pairwise_distance", lambda T, x, w: T.pairwise_distance(x[0, 0], x[1, 0]), [X4, W4]),
    ("pdist", lambda T, x, w: T.pdist(x[0, 0]), [X4, W4]),
    ("kl_div", lambda T, x, w: T.kl_div(x[0, 0].log_softmax(1), x[1, 0].softmax(1), 2),
     [X4, W4]),
    ("bce_logits", lambda T, x, w: T.binary_cross_entropy_with_logits(
        x[0, 0], x[1, 0].sigmoid(), None, None, 0), [X4, W4]),
    ("margin_ranking", lambda T, x, w: T.margin_ranking_loss(x[0, 0, 0], x[1, 0, 0],
                                                             T.ones(6), 0.1, 1), [X4, W4]),
    ("triplet", lambda T, x, w: T.triplet_margin_loss(x[0, 0], x[0, 1], x[1, 0]), [X4, W4]),
    ("triplet_mean", lambda T, x, w: T.triplet_margin_loss(x[0, 0], x[0, 1], x[1, 0],
                                                           reduction=1), [X4, W4]),
    ("kl_default", lambda T, x, w: T.kl_div(x[0, 0], x[1, 0]), [X4, W4]),
    ("poisson_nll", lambda T, x, w: T.poisson_nll_loss(x[0, 0], x[1, 0].abs(), True, False,
                                                       1e-8, 2), [X4, W4]),
]


@pytest.mark.parametrize("name,fn,arrays", CALLS, ids=[c[0] for c in CALLS])
def test_functional_spellings(name, fn, arrays):
    e, t = check(fn, arrays)
    if name != "pdist":   # ember's pdist is a composite (torch: PdistBackward0)
        assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__ or not t.requires_grad


@pytest.mark.parametrize("fn", ["hann_window", "hamming_window", "bartlett_window",
                                "blackman_window", "kaiser_window"])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 16])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_windows(fn, n, periodic, dtype):
    t = getattr(torch, fn)(n, periodic, dtype=getattr(torch, dtype))
    e = getattr(ember, fn)(n, periodic, dtype=getattr(ember, dtype))
    assert_same(e, t, rtol=1e-6 if dtype == "float32" else 1e-12, atol=1e-6)


def test_window_errors():
    check_raises(lambda T: T.hann_window(4, dtype=T.int64))


@pytest.mark.parametrize("fn", [
    lambda T: T.gcd(T.tensor([4, 6, -9, 0]), T.tensor([6, 9, 6, 0])),
    lambda T: T.lcm(T.tensor([4, 6, -9, 0]), T.tensor([6, 9, 6, 0])),
    lambda T: T.gcd(T.tensor([4.0]), T.tensor([6.0])),
    lambda T: T.frexp(T.tensor([1.5, 0.0, -3.0, 1e-30])),
    lambda T: T.nextafter(T.tensor([1.0, 2.0]), T.tensor([2.0, 1.0])),
    lambda T: T.angle(T.tensor([-1.0, 2.0, 0.0, float("nan")])),
    lambda T: T.angle(T.tensor([1 + 1j, -2j])),
    lambda T: T.mvlgamma(T.tensor([2.5, 3.0, 7.0]), 3),
    lambda T: T.mvlgamma(T.tensor([0.5]), 2),
    lambda T: T.real(T.tensor([1 + 2j])),
    lambda T: T.imag(T.tensor([1 + 2j])),
])
def test_small_math(fn):
    try:
        t = fn(torch)
    except Exception:  # noqa: BLE001
        check_raises(fn)
        return
    e = fn(ember)
    if isinstance(t, tuple):
        for a, b in zip(e, t):
            assert_same(a, b)
    else:
        assert_same(e, t)


def test_ldexp_and_cholesky_helpers():
    # values only: torch's ldexp grad takes 2 ** other in integers (0 for negative other)
    check(lambda T, x: T.ldexp(x, T.tensor([1, 2, -1])), [R((3,))], grad=False)
    a = R((3, 3), "float64", seed=2)
    spd = a @ a.T + 3 * np.eye(3)
    L = np.linalg.cholesky(spd)
    b = R((3, 2), "float64", seed=3)
    check(lambda T, b, L: T.cholesky_solve(b, L), [b, L])
    check(lambda T, b, L: T.cholesky_solve(b, L.mT, upper=True), [b, L])
    check(lambda T, L: T.cholesky_inverse(L), [L])
    check(lambda T, a: T.pinverse(a), [R((4, 3), "float64")])
    with pytest.warns(UserWarning, match="at::nuclear_norm is deprecated"):
        e = ember.nuclear_norm(ember.tensor(R((4, 3), "float64")))
    np.testing.assert_allclose(float(e), np.linalg.norm(R((4, 3), "float64"), "nuc"))


def test_constants_and_modules():
    for n in ("pi", "e", "inf", "nan"):
        v = getattr(ember, n)
        assert (math.isnan(v) and math.isnan(getattr(torch, n))) or v == getattr(torch, n)
    assert ember.newaxis is None and ember.version.cuda is None
    assert ember.get_num_interop_threads() >= 1
    for T in (torch, ember):
        T.random.manual_seed(3)
        with T.random.fork_rng():
            inner = T.rand(3).tolist()
        after = T.rand(3).tolist()
        if T is torch:
            want = (inner, after)
    assert (inner, after) == want and inner == after


def test_complex_randn_matches_torch():
    for dt in ("complex64", "complex128"):
        out = []
        for T in (torch, ember):
            T.manual_seed(5)
            a = T.randn(3, dtype=getattr(T, dt))
            b = T.randn(20, dtype=getattr(T, dt))
            c = T.zeros(9, dtype=getattr(T, dt)).normal_(1.0, 2.0)
            out.append((a, b, c))
        for e, t in zip(out[1], out[0]):
            assert_same(e, t, rtol=0, atol=0)
