"""torch.autograd.functional on ember vs torch: jacobian, hessian, vjp, jvp, hvp, vhp with
tuple inputs/outputs, create_graph, strict (torch's errors), vectorize, and the strategies."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from oracle import assert_same, check_raises

RNG = np.random.default_rng(7)
A = RNG.uniform(-1, 1, (3,))
B = RNG.uniform(-1, 1, (2, 2))
V3 = RNG.uniform(-1, 1, (3,))
V4 = RNG.uniform(-1, 1, (2, 2))


def t(T, a, rg=False):
    return T.tensor(a, dtype=T.float64, requires_grad=rg)


def f_scalar(x):
    return (x.exp() * x.sin()).sum() + (x[0] * x[1]) ** 2


def f_two(x, y):
    return (x.sin().sum() * y).tanh() + y.pow(3)


def f_multi(x, y):
    return x.exp() * 2, (y @ y).sum() + x.sum()


def compare(fn):
    """Run fn(T) on both and compare the (nested) results, including requires_grad flags."""
    r = {T: fn(T) for T in (torch, ember)}
    assert_same(r[ember], r[torch])
    flags = {T: [x.requires_grad for x in _flat(r[T])] for T in r}
    assert flags[ember] == flags[torch]
    return r


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [y for el in x for y in _flat(el)]
    return [x]


@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian_forms(create_graph):
    cg = create_graph
    compare(lambda T: T.autograd.functional.jacobian(lambda x: x.exp() * x.sum(), t(T, A),
                                                     create_graph=cg))
    compare(lambda T: T.autograd.functional.jacobian(f_two, (t(T, A), t(T, B)),
                                                     create_graph=cg))
    compare(lambda T: T.autograd.functional.jacobian(f_multi, (t(T, A), t(T, B)),
                                                     create_graph=cg))
    compare(lambda T: T.autograd.functional.jacobian(lambda x: (x * 2, x.sum()), t(T, A),
                                                     create_graph=cg))


def test_jacobian_vectorize_and_unused_input():
    compare(lambda T: T.autograd.functional.jacobian(f_two, (t(T, A), t(T, B)),
                                                     vectorize=True))
    compare(lambda T: T.autograd.functional.jacobian(lambda x, y: x * 2, (t(T, A), t(T, B))))


@pytest.mark.parametrize("create_graph", [False, True])
def test_hessian(create_graph):
    compare(lambda T: T.autograd.functional.hessian(f_scalar, t(T, A),
                                                    create_graph=create_graph))
    compare(lambda T: T.autograd.functional.hessian(lambda x, y: (x.sin() * y.sum()).sum(),
                                                    (t(T, A), t(T, B)),
                                                    create_graph=create_graph))


@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_jvp(create_graph):
    cg = create_graph
    compare(lambda T: T.autograd.functional.vjp(lambda x: x.exp() * 3, t(T, A), t(T, V3),
                                                create_graph=cg))
    compare(lambda T: T.autograd.functional.vjp(f_scalar, t(T, A), create_graph=cg))
    compare(lambda T: T.autograd.functional.vjp(f_multi, (t(T, A), t(T, B)),
                                                (t(T, V3), t(T, 0.5)), create_graph=cg))
    compare(lambda T: T.autograd.functional.jvp(lambda x: x.exp() * x.sum(), t(T, A),
                                                t(T, V3), create_graph=cg))
    compare(lambda T: T.autograd.functional.jvp(f_multi, (t(T, A), t(T, B)),
                                                (t(T, V3), t(T, V4)), create_graph=cg))
    compare(lambda T: T.autograd.functional.jvp(lambda x: x * x, t(T, [2.0]), create_graph=cg))


@pytest.mark.parametrize("create_graph", [False, True])
def test_hvp_vhp(create_graph):
    cg = create_graph
    for name in ("hvp", "vhp"):
        compare(lambda T: getattr(T.autograd.functional, name)(f_scalar, t(T, A), t(T, V3),
                                                               create_graph=cg))
        compare(lambda T: getattr(T.autograd.functional, name)(
            lambda x, y: (x.sin() * (y * y).sum()).sum(), (t(T, A), t(T, B)),
            (t(T, V3), t(T, V4)), create_graph=cg))


def test_inputs_requiring_grad_keep_their_graph_with_create_graph():
    r = {}
    for T in (torch, ember):
        x = t(T, A, rg=True)
        jac = T.autograd.functional.jacobian(lambda z: z.exp(), x, create_graph=True)
        jac.sum().backward()
        r[T] = (jac, x.grad)
    assert_same(r[ember], r[torch])


ERRORS = {
    "jac_strict_unused": lambda T: T.autograd.functional.jacobian(
        lambda x, y: x * 2, (t(T, A), t(T, B)), strict=True),
    "jac_strict_no_grad_output": lambda T: T.autograd.functional.jacobian(
        lambda x: x.detach(), t(T, A), strict=True),
    "jac_strict_vectorize": lambda T: T.autograd.functional.jacobian(
        lambda x: x * 2, t(T, A), strict=True, vectorize=True),
    "jac_strict_create_graph_linear": lambda T: T.autograd.functional.jacobian(
        lambda x: x * 2, t(T, A), strict=True, create_graph=True),
    "jac_bad_strategy": lambda T: T.autograd.functional.jacobian(
        lambda x: x * 2, t(T, A), strategy="sideways"),
    "jac_forward_create_graph": lambda T: T.autograd.functional.jacobian(
        lambda x: x * 2, t(T, A), strategy="forward-mode", create_graph=True),
    "jac_list_input": lambda T: T.autograd.functional.jacobian(lambda x: x * 2, [1.0]),
    "jac_tuple_bad_element": lambda T: T.autograd.functional.jacobian(
        lambda x, y: x * 2, (t(T, A), 3)),
    "jac_non_tensor_output": lambda T: T.autograd.functional.jacobian(
        lambda x: 3.0, t(T, A)),
    "vjp_v_none_nonscalar": lambda T: T.autograd.functional.vjp(lambda x: x * 2, t(T, A)),
    "vjp_v_bad_size": lambda T: T.autograd.functional.vjp(
        lambda x: x * 2, t(T, A), t(T, [1.0, 2.0])),
    "vjp_v_bad_length": lambda T: T.autograd.functional.vjp(
        f_multi, (t(T, A), t(T, B)), (t(T, V3),)),
    "vjp_strict_independent": lambda T: T.autograd.functional.vjp(
        lambda x, y: x * 2, (t(T, A), t(T, B)), t(T, V3), strict=True),
    "jvp_v_tuple_bad_size": lambda T: T.autograd.functional.jvp(
        lambda x: x * 2, (t(T, A),), (t(T, [1.0]),)),
    "jvp_v_none": lambda T: T.autograd.functional.jvp(lambda x: x * 2, t(T, A)),
    "jvp_strict_detached": lambda T: T.autograd.functional.jvp(
        lambda x: x.detach() * 2, t(T, A), t(T, V3), strict=True),
    "hessian_nonscalar": lambda T: T.autograd.functional.hessian(lambda x: x * 2, t(T, A)),
    "hessian_tuple_output": lambda T: T.autograd.functional.hessian(
        lambda x: (x.sum(), x.sum()), t(T, A)),
    "hessian_strict_linear": lambda T: T.autograd.functional.hessian(
        lambda x: x.sum() * 2, t(T, A), strict=True),
    "hessian_bad_strategy": lambda T: T.autograd.functional.hessian(
        f_scalar, t(T, A), outer_jacobian_strategy="nope"),
    "hvp_nonscalar": lambda T: T.autograd.functional.hvp(lambda x: x * 2, t(T, A), t(T, V3)),
    "hvp_strict_linear": lambda T: T.autograd.functional.hvp(
        lambda x: (x * 3).sum(), t(T, A), t(T, V3), strict=True),
    "vhp_strict_linear": lambda T: T.autograd.functional.vhp(
        lambda x: (x * 3).sum(), t(T, A), t(T, V3), strict=True),
    "vhp_tuple_output": lambda T: T.autograd.functional.vhp(
        lambda x: (x.sum(),), t(T, A), t(T, V3)),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_torch(case):
    check_raises(ERRORS[case])


def test_forward_mode_strategy_is_not_implemented():
    with pytest.raises(NotImplementedError, match="forward-mode"):
        ember.autograd.functional.jacobian(lambda x: x * 2, ember.ones(2),
                                           strategy="forward-mode")
