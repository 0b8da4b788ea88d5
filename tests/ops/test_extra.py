"""ember/ops/extra.py against torch: isin, bucketize/searchsorted, histogram, tril/triu_indices,
combinations, vander, trapezoid rules, complex/polar, the view_as_real/complex views, typename
and the float32 matmul precision setting."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import check, check_raises, check_repr, assert_same, random_array

F = random_array((5,), seed=3)
M = random_array((3, 4), seed=4)


@pytest.mark.parametrize("fn", [
    lambda T, a: T.isin(a, T.tensor([1., 2, 3])),
    lambda T, a: T.isin(a, T.tensor([1, 2]), invert=True),
    lambda T, a: T.isin(a, 2),
    lambda T, a: T.isin(3, a),
    lambda T, a: T.isin(a, T.tensor([1.5, 2.]), assume_unique=True),
    lambda T, a: T.isin(T.tensor([1., float("nan")]), T.tensor([float("nan")])),
])
def test_isin(fn):
    check(fn, [np.array([[1, 2, 3], [4, 1, 5]], np.int64)], grad=False)
    check(fn, [np.array([1., 2.5, 3, 2], np.float32)], grad=False)


@pytest.mark.parametrize("fn", [
    lambda T: T.isin(T.tensor([True]), T.tensor([1.])),
    lambda T: T.isin(T.tensor([1.]), T.tensor([1j])),
    lambda T: T.isin(2, 3),
])
def test_isin_errors(fn):
    check_raises(fn)


SEQ = np.array([1., 3, 5, 7, 9], np.float32)
VALS = np.array([[0., 3, 6], [9, 10, 5]], np.float32)


@pytest.mark.parametrize("fn", [
    lambda T, s, v: T.searchsorted(s, v),
    lambda T, s, v: T.searchsorted(s, v, right=True),
    lambda T, s, v: T.searchsorted(s, v, side="right", out_int32=True),
    lambda T, s, v: T.searchsorted(s, 3),
    lambda T, s, v: T.searchsorted(s.int(), v),
    lambda T, s, v: T.searchsorted(s.flip(0), v, sorter=T.tensor([4, 3, 2, 1, 0])),
    lambda T, s, v: T.searchsorted(T.stack([s, s * 2]), v, right=True),
    lambda T, s, v: T.searchsorted(T.stack([s, s * 2]), v),
    lambda T, s, v: T.bucketize(v, s),
    lambda T, s, v: T.bucketize(v, s, right=True, out_int32=True),
    lambda T, s, v: T.bucketize(3, s),
    lambda T, s, v: T.bucketize(v.long(), s),
])
def test_searchsorted(fn):
    check(fn, [SEQ, VALS], grad=False)


@pytest.mark.parametrize("fn", [
    lambda T: T.searchsorted(T.tensor([1., 3]), 3, side="rght"),
    lambda T: T.searchsorted(T.tensor([1., 3]), 3, side="left", right=True),
    lambda T: T.searchsorted(T.tensor([1., 3]), T.tensor([1.]), sorter=T.tensor([1])),
    lambda T: T.searchsorted(T.tensor([1., 3]), T.tensor([1.]), sorter=T.tensor([1., 0])),
    lambda T: T.searchsorted(T.tensor(1.), T.tensor([1.])),
    lambda T: T.searchsorted(T.ones(2, 3), T.tensor([1.])),
    lambda T: T.searchsorted(T.ones(2, 3), T.tensor(1.)),
    lambda T: T.searchsorted(T.tensor([1j]), T.tensor([1j])),
    lambda T: T.bucketize(T.tensor([1.]), T.ones(2, 3)),
    lambda T: T.bucketize(T.tensor([1.]), T.tensor(1.)),
])
def test_searchsorted_errors(fn):
    check_raises(fn)


@pytest.mark.parametrize("fn", [
    lambda T, x: T.histogram(x, 4),
    lambda T, x: x.histogram(3, range=(-1., 1.)),
    lambda T, x: T.histogram(x, T.tensor([-2., -0.5, 0, 1, 2])),
    lambda T, x: T.histogram(x, 5, weight=x.detach().abs(), density=True),
    lambda T, x: T.histogram(x.double(), 7, density=True),
    lambda T, x: T.histogram(x[:0], 3),
    lambda T, x: T.histogram(T.tensor([2., 2]), 3),
    lambda T, x: T.histogram(T.tensor([1., 2, 3, 3]), 3, range=(1., 1.)),
])
def test_histogram(fn):
    check(fn, [random_array((4, 6), seed=5)], grad=False)
    check_repr(lambda T: fn(T, T.tensor(random_array((10,), seed=6))))


def test_histogram_requires_grad():
    check_repr(lambda T: T.histogram(T.tensor([1., 2, 3], requires_grad=True), 2))
    check_raises(lambda T: T.histogram(T.tensor([1., 2, 3], requires_grad=True), 2)
                 .hist.sum().backward())


@pytest.mark.parametrize("fn", [
    lambda T: T.histogram(T.tensor([1, 2]), 3),
    lambda T: T.histogram(T.ones(3).double(), 3, weight=T.ones(3)),
    lambda T: T.histogram(T.ones(3), 3, weight=T.ones(4)),
    lambda T: T.histogram(T.ones(3), 0),
    lambda T: T.histogram(T.ones(3), 3, range=(10., 0.)),
    lambda T: T.histogram(T.tensor([1., float("nan")]), 3),
    lambda T: T.histogram(T.tensor([1., float("inf")]), 3),
    lambda T: T.histogram(T.ones(3), T.ones(2, 2)),
])
def test_histogram_errors(fn):
    check_raises(fn)


@pytest.mark.parametrize("args", [(3, 4), (4, 3, -1), (3, 4, 2), (5, 5, 10), (0, 4), (4, 4, -9)])
@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_tri_indices(name, args):
    check(lambda T: getattr(T, name)(*args), [], grad=False)
    check(lambda T: getattr(T, name)(*args, dtype=T.int32), [], grad=False)


@pytest.mark.parametrize("fn", [
    lambda T: T.tril_indices(-1, 4), lambda T: T.triu_indices(3, -4),
    lambda T: T.tril_indices(3, 4, dtype=T.float32),
    lambda T: T.triu_indices(3, 4, dtype=T.int16),
])
def test_tri_indices_errors(fn):
    check_raises(fn)


@pytest.mark.parametrize("r,rep", [(2, False), (3, True), (1, False), (0, False), (6, False),
                                   (2, True)])
def test_combinations(r, rep):
    check(lambda T, x: T.combinations(x, r, rep), [F], repr=True)
    check(lambda T, x: T.combinations(x, r, with_replacement=rep),
          [np.array([3, 1, 4], np.int64)], grad=False)


@pytest.mark.parametrize("fn", [
    lambda T: T.combinations(T.ones(3, 1)), lambda T: T.combinations(T.ones(3), -1)])
def test_combinations_errors(fn):
    check_raises(fn)


@pytest.mark.parametrize("fn", [
    lambda T, x: T.vander(x), lambda T, x: T.vander(x, 3, True), lambda T, x: T.vander(x, N=1),
    lambda T, x: T.vander(x, 0), lambda T, x: T.vander(x.int(), 4),
    lambda T, x: T.vander(x > 0), lambda T, x: T.vander(x.to(T.int8), 2, increasing=True),
])
def test_vander(fn):
    # torch's own vander backward fails (it saves an input it then writes in place): values only
    check(fn, [F], grad=False)


@pytest.mark.parametrize("fn", [
    lambda T: T.vander(T.ones(3, 1)), lambda T: T.vander(T.ones(3), -1)])
def test_vander_errors(fn):
    check_raises(fn)


@pytest.mark.parametrize("fn", [
    lambda T, y, x: T.trapezoid(y), lambda T, y, x: T.trapezoid(y, dx=0.5),
    lambda T, y, x: T.trapezoid(y, dim=0), lambda T, y, x: T.trapezoid(y, x),
    lambda T, y, x: T.trapezoid(y, x[:3], dim=0), lambda T, y, x: T.trapezoid(y, x.expand(3, 4)),
    lambda T, y, x: T.trapezoid(y[:, :0]), lambda T, y, x: T.trapezoid(y.long()),
    lambda T, y, x: T.trapezoid(y[:, :1]),
    lambda T, y, x: T.cumulative_trapezoid(y), lambda T, y, x: T.cumulative_trapezoid(y, x),
    lambda T, y, x: T.cumulative_trapezoid(y, dx=2, dim=0),
    lambda T, y, x: T.cumulative_trapezoid(y[:, :1]),
    lambda T, y, x: T.cumulative_trapezoid(y.long()),
])
def test_trapezoid(fn):
    check(fn, [M, np.array([0., 0.5, 2, 3.5], np.float32)], gradgrad=True, repr=True)


@pytest.mark.parametrize("fn", [
    lambda T: T.trapezoid(T.ones(3), T.tensor([1., 2])),
    lambda T: T.trapezoid(T.ones(3), dim=1), lambda T: T.trapezoid(T.tensor(1.)),
    lambda T: T.trapezoid(T.ones(2, 3), T.ones(1, 2), dim=0),
])
def test_trapezoid_errors(fn):
    check_raises(fn)


def _real(T, z):
    return T.view_as_real(z * T.complex(T.tensor(0.5), T.tensor(-2.)).to(z.dtype))


@pytest.mark.parametrize("fn", [
    lambda T, a, b: _real(T, T.complex(a, b)),
    lambda T, a, b: _real(T, T.complex(a, b[:1])),
    lambda T, a, b: _real(T, T.view_as_complex(T.stack([a, b], -1))),
    lambda T, a, b: T.view_as_real(T.view_as_complex(T.stack([a, b], -1))) * 2,
])
def test_complex_views(fn):
    check(fn, [random_array((3, 4), seed=7), random_array((3, 4), seed=8)], gradgrad=True)


@pytest.mark.parametrize("fn", [
    lambda T, a, b: _real(T, T.polar(a, b)),
    lambda T, a, b: _real(T, T.polar(a.double(), b.double())),
    # ember's complex abs has no double backward (core Sgn backward is zero): first order only
    lambda T, a, b: T.view_as_complex(T.stack([a, b], -1)).abs(),
])
def test_polar_and_complex_abs(fn):
    # first order only: torch's double backward goes through sgn(result) (see report)
    check(fn, [random_array((3, 4), seed=7), random_array((3, 4), seed=8)])


def test_complex_repr():
    a, b = random_array((3,), seed=1), random_array((3,), seed=2)
    check_repr(lambda T: T.complex(T.tensor(a, requires_grad=True), T.tensor(b)))
    check_repr(lambda T: T.polar(T.tensor(a, requires_grad=True), T.tensor(b)))
    check_repr(lambda T: T.view_as_real(T.complex(T.tensor(a), T.tensor(b)).requires_grad_()))
    check_repr(lambda T: T.view_as_complex(T.tensor(M[:, :2], requires_grad=True)))
    check_repr(lambda T: T.view_as_real(T.tensor(1 + 2j)))
    check_repr(lambda T: T.view_as_complex(T.ones(0, 2)))


def test_views_share_memory():
    for T in (torch, ember):
        z = T.complex(T.tensor([1., 2, 3, 4]), T.tensor([5., 6, 7, 8]))[::2]
        r = T.view_as_real(z)
        assert r.stride() == (4, 1) and r._base is z._base
        r[1, 1] = 100.
        assert z[1].item() == 3 + 100j
        z[0] = 9 - 1j
        assert r[0].tolist() == [9., -1.]
        x = T.arange(12.).reshape(3, 4)[:, 2:]
        c = T.view_as_complex(x)
        assert c.stride() == (2,) and c.storage_offset() == 1 and c._base is x._base
        c[2] = 0
        assert x[2].tolist() == [0., 0.]
        x.mul_(2)
        assert c.tolist() == [4 + 6j, 12 + 14j, 0j]
        assert x._version == c._version
    assert_same(ember.view_as_real(ember.tensor([[1 + 2j]], dtype=ember.complex128)),
                torch.view_as_real(torch.tensor([[1 + 2j]], dtype=torch.complex128)))


@pytest.mark.parametrize("fn", [
    lambda T: T.complex(T.ones(2), T.ones(2).double()),
    lambda T: T.complex(T.ones(2).long(), T.ones(2).long()),
    lambda T: T.polar(T.ones(2), T.ones(2).int()),
    lambda T: T.complex(T.ones(2), T.ones(3)),
    lambda T: T.view_as_real(T.ones(2)),
    lambda T: T.view_as_complex(T.ones(3, 2).int()),
    lambda T: T.view_as_complex(T.ones(())),
    lambda T: T.view_as_complex(T.ones(3)),
    lambda T: T.view_as_complex(T.ones(2, 3)[:, :2]),
    lambda T: T.view_as_complex(T.ones(2, 3)[:, ::2]),
    lambda T: T.view_as_complex(T.ones(2, 3)[:, 1:]),
    lambda T: T.view_as_complex(T.ones(2, 3)[:, :2].t().contiguous().t()),
    lambda T: T.view_as_complex(T.ones(5)[1:].reshape(2, 2)),
])
def test_complex_errors(fn):
    check_raises(fn)


def test_typename():
    for f in (lambda T: T.ones(2), lambda T: T.ones(2).double(), lambda T: T.ones(2).long(),
              lambda T: T.ones(2).bool(), lambda T: T.ones(1, dtype=T.complex64),
              lambda T: 3, lambda T: "s", lambda T: [1], lambda T: int):
        assert ember.typename(f(ember)) == torch.typename(f(torch))


def test_matmul_precision():
    for T in (torch, ember):
        assert T.get_float32_matmul_precision() == "highest"
    try:
        for p in ("medium", "high", "highest"):
            torch.set_float32_matmul_precision(p)
            ember.set_float32_matmul_precision(p)
            assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
        check_raises(lambda T: T.set_float32_matmul_precision(3))
        with pytest.warns(UserWarning, match="foo is not one of 'highest', 'high', or 'medium'"):
            ember.set_float32_matmul_precision("foo")
        assert ember.get_float32_matmul_precision() == "highest"
    finally:
        torch.set_float32_matmul_precision("highest")
        ember.set_float32_matmul_precision("highest")
