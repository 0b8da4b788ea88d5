"""torch.special in ember vs torch: values, grads, grad_fn names, missing names."""
import numpy as np
import pytest

import ember
from tests.oracle import check, random_array

X = np.array([-1.0, 0.0, 0.5, 2.0, 1e-3], np.float32)
P = random_array((5,), positive=True, seed=7) + 0.1


@pytest.mark.parametrize("name", ["expit", "gammaln", "psi", "digamma", "erf", "erfc", "exp2",
                                  "expm1", "sinc", "ndtr"])
def test_unary(name):
    check(lambda T, x: getattr(T.special, name)(x), [random_array((3, 4), seed=3)],
          gradgrad=name in ("expit", "ndtr"), repr=True)


def test_domain_functions():
    check(lambda T, x: T.special.entr(x), [P], gradgrad=True, repr=True)
    check(lambda T, x: T.special.entr(x), [X], grad=False)
    check(lambda T, x: T.special.log1p(x), [P])
    check(lambda T, x: T.special.erfinv(x), [np.array([-0.5, 0.0, 0.9], np.float32)])
    check(lambda T, x: T.special.logit(x, eps=1e-6), [P / 2])
    check(lambda T, x: T.special.round(x), [X * 3.3], grad=False)


def test_binary_and_reductions():
    x = np.array([0.0, 1.0, 2.0, 0.0], np.float32)
    y = np.array([-1.0, 1.0, 2.0, np.nan], np.float32)
    check(lambda T, a, b: T.special.xlog1py(a, b), [x, y], grad=False)
    check(lambda T, a, b: T.special.xlog1py(a, b), [P, P], repr=True)
    check(lambda T, a, b: T.special.xlogy(a, b), [P, P])
    check(lambda T, a: T.special.softmax(a, 0), [X], repr=True)
    check(lambda T, a: T.special.log_softmax(a, 0, dtype=T.float64), [X])
    check(lambda T, a: T.special.logsumexp(a, 0), [X])


def test_missing_names_say_so():
    with pytest.raises(NotImplementedError, match="torch.special.bessel_j0"):
        ember.special.bessel_j0
    with pytest.raises(AttributeError, match="torch.special.nonsense"):
        ember.special.nonsense


def test_polygamma_and_digamma_grad():
    x = np.array([0.001, 0.5, 1.0, 3.0, 10.0, 100.0, -0.5, -2.5, 7.25], np.float32)
    check(lambda T, a: T.polygamma(1, a), [x], grad=False, repr=True)
    check(lambda T, a: T.polygamma(0, a), [x], grad=False)
    check(lambda T, a: a.digamma(), [P], repr=True)
    check(lambda T, a: a.polygamma(1), [np.abs(x) + 0.5], grad=False)
    check(lambda T, a: T.special.psi(a), [x.astype(np.float64)])


def test_sinc_node_and_grads():
    check(lambda T, a: T.sinc(a), [np.array([0.0, 0.5, -1.5, 2.0, 1e-3], np.float32)],
          repr=True)
    check(lambda T, a: a.sinc(), [np.array([0.25, 0.5, -1.5, 2.0], np.float64)], gradgrad=True)


def test_node_names_follow_torch_overloads():
    names = {}
    for T in (__import__("torch"), ember):
        x = T.tensor([0.5, 2.0], requires_grad=True)
        y = T.tensor([1.0, 3.0], requires_grad=True)
        outs = [T.special.xlog1py(x, y), T.special.xlog1py(x, 3.0), T.special.xlog1py(2, y),
                T.special.ndtr(x), T.special.entr(x)]
        chain = []
        for o in outs:
            fn = o.grad_fn
            chain.append(type(fn).__name__)
            chain.append(tuple(type(f).__name__ for f, _ in fn.next_functions))
        g = T.autograd.grad(outs[1].sum() + outs[2].sum(), (x, y))
        names[T] = (chain, [t.tolist() for t in g], [o.tolist() for o in outs])
    assert names[ember][0] == names[list(names)[0]][0]
    np.testing.assert_allclose(np.array(names[ember][1]), np.array(names[list(names)[0]][1]),
                               rtol=1e-6)
    np.testing.assert_allclose(np.array(names[ember][2]), np.array(names[list(names)[0]][2]),
                               rtol=1e-6)
