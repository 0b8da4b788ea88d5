"""The transforms torch has beyond the elementwise ones (Reshape, StickBreaking, CorrCholesky,
LowerCholesky, PositiveDefinite, Cat, Stack, CumulativeDistribution), the constraints they map
onto, and biject_to / transform_to for every registered constraint, against torch: values,
inverses, log|det J|, shapes, domains, gradients and errors. Also the core fixes found on the
way (broadcast_tensors, linalg.solve's vector rule, float32 scans, index_put's saved mask)."""
import numpy as np
import pytest
import torch
from oracle import assert_same, check_raises

import ember

_RS = np.random.RandomState(0)


def _apply(T, make, x):
    """Everything a transform answers on x, exceptions kept as results."""
    out = {}
    tr = make(T)
    X = T.tensor(x, requires_grad=True)
    out["repr"] = repr(tr)
    for a in ("domain", "codomain"):
        c = getattr(tr, a)
        out[a] = (repr(c), c.event_dim, c.is_discrete)
    out["bijective"] = tr.bijective
    y = tr(X)
    out["y"] = y
    try:
        out["x"] = tr.inv(y)
    except Exception as ex:  # noqa: BLE001
        out["x"] = ex
    try:
        ladj = tr.log_abs_det_jacobian(X, y)
    except Exception as ex:  # noqa: BLE001
        ladj = None
        out["ladj"] = ex
    else:
        out["ladj"] = ladj
    out["shapes"] = (tr.forward_shape(X.shape), tr.inverse_shape(y.shape))
    out["check"] = tr.codomain.check(y)
    w = T.arange(y.numel(), dtype=y.dtype).reshape(y.shape)
    loss = (y * w).sum() + (ladj.sum() if ladj is not None else 0)
    out["grad"] = T.autograd.grad(loss, X)[0]
    return out


def _same_all(make, x, rtol=1e-10):
    t, e = _apply(torch, make, x), _apply(ember, make, x)
    for k, tv in t.items():
        ev = e[k]
        if isinstance(tv, Exception):
            assert type(ev).__name__ == type(tv).__name__ and str(ev) == str(tv), k
        elif isinstance(tv, torch.Tensor):
            assert_same(ev, tv, rtol=rtol, atol=1e-12, what=k)
        else:
            assert repr(ev) == repr(tv), f"{k}: {ev!r} vs {tv!r}"


def _tr(T):
    return T.distributions.transforms


TRANSFORMS = {
    "Reshape": (lambda T: _tr(T).ReshapeTransform((2, 3), (3, 2)), (4, 2, 3)),
    "StickBreaking": (lambda T: _tr(T).StickBreakingTransform(), (4, 3)),
    "CorrCholesky": (lambda T: _tr(T).CorrCholeskyTransform(), (2, 6)),
    "LowerCholesky": (lambda T: _tr(T).LowerCholeskyTransform(), (2, 3, 3)),
    "PositiveDefinite": (lambda T: _tr(T).PositiveDefiniteTransform(), (2, 3, 3)),
    "Cat": (lambda T: _tr(T).CatTransform(
        [_tr(T).ExpTransform(), _tr(T).identity_transform, _tr(T).AffineTransform(1., 2.)],
        dim=1, lengths=[1, 2, 1]), (3, 4)),
    "CatLastDim": (lambda T: _tr(T).CatTransform(
        [_tr(T).ExpTransform(), _tr(T).SigmoidTransform()], dim=-1, lengths=[2, 2]), (3, 4)),
    "Stack": (lambda T: _tr(T).StackTransform(
        [_tr(T).ExpTransform(), _tr(T).SigmoidTransform(), _tr(T).AffineTransform(1., 2.)],
        dim=1), (3, 3)),
    "CumulativeDistribution": (lambda T: _tr(T).CumulativeDistributionTransform(
        T.distributions.Normal(T.tensor(0.5, dtype=T.float64), 2.)), (3, 3)),
    "ComposeStickBreaking": (lambda T: _tr(T).ComposeTransform(
        [_tr(T).StickBreakingTransform(), _tr(T).ExpTransform().inv]), (3, 3)),
    "CachedStack": (lambda T: _tr(T).StackTransform(
        [_tr(T).ExpTransform(), _tr(T).TanhTransform()], dim=0, cache_size=1), (2, 3)),
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_transform_matches_torch(name):
    make, shape = TRANSFORMS[name]
    _same_all(make, _RS.randn(*shape))


def _c(T):
    return T.distributions.constraints


CONSTRAINTS = [
    lambda T: _c(T).real, lambda T: _c(T).positive, lambda T: _c(T).nonnegative,
    lambda T: _c(T).greater_than(2.), lambda T: _c(T).greater_than_eq(-1.),
    lambda T: _c(T).less_than(3.), lambda T: _c(T).interval(-1., 2.),
    lambda T: _c(T).unit_interval, lambda T: _c(T).half_open_interval(0., 1.),
    lambda T: _c(T).simplex, lambda T: _c(T).lower_cholesky, lambda T: _c(T).positive_definite,
    lambda T: _c(T).positive_semidefinite, lambda T: _c(T).corr_cholesky,
    lambda T: _c(T).real_vector, lambda T: _c(T).independent(_c(T).positive, 1),
    lambda T: _c(T).cat([_c(T).positive, _c(T).real], -1, [1, 2]),
    lambda T: _c(T).stack([_c(T).positive, _c(T).unit_interval, _c(T).real], -1),
]


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("i", range(len(CONSTRAINTS)))
def test_registry_matches_torch(registry, i):
    try:
        getattr(torch.distributions, registry)(CONSTRAINTS[i](torch))
    except NotImplementedError:
        check_raises(lambda T: getattr(T.distributions, registry)(CONSTRAINTS[i](T)))
        return
    _same_all(lambda T: getattr(T.distributions, registry)(CONSTRAINTS[i](T)),
              _RS.randn(3, 3, 3) * 0.5)


def test_constraint_checks_and_reprs():
    rs = np.random.RandomState(1)
    m = rs.randn(4, 3, 3)
    vals = [m, m @ m.transpose(0, 2, 1), np.tril(m), np.abs(m), -np.eye(3), np.eye(3)]
    for make in CONSTRAINTS + [lambda T: _c(T).lower_triangular,
                               lambda T: _c(T).MixtureSameFamilyConstraint(_c(T).positive)]:
        assert repr(make(ember)) == repr(make(torch))
        for v in vals:
            r = {}
            for T in (torch, ember):
                try:
                    r[T] = make(T).check(T.tensor(v))
                except Exception as ex:  # noqa: BLE001
                    r[T] = ex
            if isinstance(r[torch], Exception):
                assert type(r[ember]).__name__ == type(r[torch]).__name__
            else:
                assert_same(r[ember], r[torch])


RAISES = [
    lambda T: T.distributions.biject_to(_c(T).integer_interval(0, 3)),
    lambda T: T.distributions.biject_to(_c(T).lower_cholesky),
    lambda T: T.distributions.biject_to.register(3, lambda c: None),
    lambda T: _tr(T).ReshapeTransform((2, 3), (4,)),
    lambda T: _tr(T).ReshapeTransform((2, 3), (3, 2)).forward_shape((4, 3, 2)),
    lambda T: _tr(T).ReshapeTransform((2, 3), (3, 2)).forward_shape((3,)),
    lambda T: _tr(T).CorrCholeskyTransform().forward_shape((4,)),
    lambda T: _tr(T).CorrCholeskyTransform().inverse_shape((4, 3)),
    lambda T: _tr(T).StickBreakingTransform().forward_shape(()),
    lambda T: _tr(T).CatTransform([3]),
    lambda T: _tr(T).CatTransform([_tr(T).ExpTransform()], lengths=[1, 2]),
    lambda T: _tr(T).CatTransform([_tr(T).ExpTransform()], dim=2)(T.zeros(3, 3)),
    lambda T: _tr(T).CatTransform([_tr(T).ExpTransform()], dim=1)(T.zeros(3, 3)),
    lambda T: _tr(T).StackTransform([_tr(T).ExpTransform()], dim=1)(T.zeros(3, 3)),
    lambda T: _c(T).cat([_c(T).real], lengths=[1, 2]),
    lambda T: _c(T).independent(_c(T).real, -1),
    lambda T: _c(T).stack([3]),
]


@pytest.mark.parametrize("i", range(len(RAISES)))
def test_errors_match(i):
    check_raises(RAISES[i])


# ---- core fixes --------------------------------------------------------------------------------

def test_broadcast_tensors_returns_same_shaped_inputs():
    for T in (torch, ember):
        a = T.ones(2, requires_grad=True)
        x, _ = T.broadcast_tensors(a, T.ones(3, 2))
        assert x is not a and tuple(x.shape) == (3, 2)
        x, _ = T.broadcast_tensors(a, T.ones(2))
        assert x.grad_fn is None and x.requires_grad


def test_solve_reads_matrix_rhs_of_fewer_batch_dims():
    rs = np.random.RandomState(0)
    A = rs.randn(2, 3, 3) + 3 * np.eye(3)
    for b in (rs.randn(3, 3), rs.randn(2, 3), rs.randn(3), rs.randn(1, 3, 2)):
        assert_same(ember.linalg.solve(ember.tensor(A), ember.tensor(b)),
                    torch.linalg.solve(torch.tensor(A), torch.tensor(b)), rtol=1e-12)


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_float32_scans_accumulate_in_double(op):
    x = np.random.RandomState(0).rand(2000).astype("float32") * 1.0005
    e = getattr(ember.tensor(x), op)(0).numpy()
    t = getattr(torch.tensor(x), op)(0).numpy()
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("mask", [[True, False, True], [0, 2]])
def test_index_put_saved_index_modified(mask):
    def fn(T):
        x = T.zeros(3, requires_grad=True)
        y = x * 1
        m = T.tensor(mask)
        y[m] = T.ones(2, requires_grad=True) * 2
        m.mul_(1) if m.dtype != T.bool else m.logical_not_()
        y.sum().backward()
    check_raises(fn)
