"""torch.func.grad / grad_and_value / vjp / jvp / linearize against torch: values, pytrees,
argnums, has_aux, nesting, what carries a graph out of the transform, and misuse errors."""
import pytest
import torch

import ember

from ._util import arr, both, raises_same

# torch's forward-mode AD scripts its decompositions on first use (a DeprecationWarning)
# (and torch's linearize traces with make_fx, which warns about get_attr nodes)
pytestmark = [pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated"),
              pytest.mark.filterwarnings("ignore:Attempted to insert a get_attr Node")]


def T_in(T, *shape, seed=0, rg=False):
    t = T.tensor(arr(*shape, seed=seed))
    return t.requires_grad_() if rg else t


def f_scalar(x):
    return (x.sin() * x).sum()


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_grad_basic(shape):
    out, _ = both(lambda T: T.func.grad(f_scalar)(T_in(T, *shape)))
    assert out.grad_fn is None and not out.requires_grad


def test_grad_argnums_and_pytree_inputs():
    def f(a, b, c):
        return (a["w"] * b[0]).sum() + (b[1] ** 2).sum() * c.sum()

    def run(T, argnums):
        a = {"w": T_in(T, 3, seed=1)}
        b = (T_in(T, 3, seed=2), T_in(T, 2, seed=3))
        c = T_in(T, 4, seed=4)
        return T.func.grad(f, argnums=argnums)(a, b, c)
    for argnums in (0, 1, 2, (0, 2), (2, 0), -1, (-3, 1)):
        both(lambda T, a=argnums: run(T, a))


def test_grad_kwargs_and_non_tensor_args():
    def f(x, scale, *, shift):
        return ((x * scale + shift) ** 2).sum()
    both(lambda T: T.func.grad(f)(T_in(T, 3), 2.5, shift=T_in(T, 3, seed=1)))


def test_grad_has_aux_and_value():
    def f(x):
        y = x.exp()
        return y.sum(), {"y": y, "n": (y * 2,)}
    both(lambda T: T.func.grad(f, has_aux=True)(T_in(T, 4)))
    r, _ = both(lambda T: T.func.grad_and_value(f, has_aux=True)(T_in(T, 4)))
    assert r[1][0].grad_fn is None and r[1][1]["y"].grad_fn is None
    both(lambda T: T.func.grad_and_value(f_scalar)(T_in(T, 2, 2)))


def test_nested_grad():
    x = lambda T: T_in(T, seed=5)
    both(lambda T: T.func.grad(T.func.grad(lambda x: x.sin() * x ** 3))(x(T)))
    both(lambda T: T.func.grad(T.func.grad(T.func.grad(lambda x: x.exp() * x.cos())))(x(T)))
    # inner function closes over the outer variable
    both(lambda T: T.func.grad(lambda x: T.func.grad(lambda y: (x * y).sin())(x.cos()))(x(T)))


def test_grad_of_unused_input_and_constant_output():
    both(lambda T: T.func.grad(lambda x, y: (y ** 2).sum(), argnums=(0, 1))(T_in(T, 3),
                                                                            T_in(T, 2)))
    both(lambda T: T.func.grad(lambda x: T.tensor(3.0))(T_in(T, 3)))
    both(lambda T: T.func.grad(lambda x: (x ** 2).sum().detach())(T_in(T, 3)))


def test_grad_respects_no_grad_inside_and_ignores_it_outside():
    def f(x):
        with torch.no_grad() if isinstance(x, torch.Tensor) else ember.no_grad():
            c = x ** 2
        return (x - c).sum()

    def run(T):
        with T.no_grad():
            return T.func.grad(f)(T_in(T, 3))
    both(run)
    both(lambda T: T.func.grad(f)(T_in(T, 3)))


def test_grad_input_requiring_grad_outside_keeps_graph():
    def run(T):
        x = T_in(T, 3, rg=True)
        g = T.func.grad(lambda x: (x ** 3).sum())(x)
        assert g.requires_grad and g.grad_fn is not None
        g.sum().backward()
        return g, x.grad
    both(run)


def test_grad_closure_requiring_grad_keeps_graph():
    def run(T):
        w = T_in(T, 3, seed=7, rg=True)
        g = T.func.grad(lambda x: (x * w).sin().sum())(T_in(T, 3))
        assert g.requires_grad
        (g ** 2).sum().backward()
        return g, w.grad
    both(run)


def test_grad_errors():
    x = lambda T: T_in(T, 3)
    raises_same(lambda T: T.func.grad(lambda x: x * 2)(x(T)))
    raises_same(lambda T: T.func.grad(lambda x: (x * 2)[:1])(x(T)))
    raises_same(lambda T: T.func.grad(lambda x: 3.0)(x(T)))
    raises_same(lambda T: T.func.grad(f_scalar)(1.0))
    raises_same(lambda T: T.func.grad(f_scalar)(T.ones(2, dtype=T.long)))
    raises_same(lambda T: T.func.grad(f_scalar, argnums=1)(x(T)))
    raises_same(lambda T: T.func.grad(f_scalar, argnums=-2)(x(T)))
    raises_same(lambda T: T.func.grad(f_scalar, argnums=(0, 0))(x(T)))
    raises_same(lambda T: T.func.grad(f_scalar, argnums=())(x(T)))
    raises_same(lambda T: T.func.grad(f_scalar, argnums=[0])(x(T)))
    raises_same(lambda T: T.func.grad(f_scalar, argnums=(0, 1.0))(x(T)))
    raises_same(lambda T: T.func.grad(f_scalar, has_aux=True)(x(T)))
    raises_same(lambda T: T.func.grad_and_value(lambda x: (x.sum(), 1, 2), has_aux=True)(x(T)))


# ---- vjp ----

def test_vjp_pytree_output_and_repeated_calls():
    def f(x, y):
        return {"a": x * y, "b": (x.sin(), y.sum())}

    def run(T):
        out, fn = T.func.vjp(f, T_in(T, 3), T_in(T, 3, seed=1))
        ct = {"a": T_in(T, 3, seed=2), "b": (T_in(T, 3, seed=3), T.tensor(2.0))}
        g1 = fn(ct)
        g2 = fn(ct)
        assert all(g.grad_fn is None for g in g1)
        return out, g1, g2
    both(run)


def test_vjp_has_aux_and_errors():
    both(lambda T: T.func.vjp(lambda x: (x.exp(), x.sum()), T_in(T, 3), has_aux=True)[::2])
    raises_same(lambda T: T.func.vjp(lambda x: x.exp(), T_in(T, 3), has_aux=True))
    raises_same(lambda T: T.func.vjp(lambda x: 3, T_in(T, 3)))
    raises_same(lambda T: T.func.vjp(lambda x: None, T_in(T, 3)))
    raises_same(lambda T: T.func.vjp(lambda x: x > 0, T_in(T, 3)))
    raises_same(lambda T: T.func.vjp(lambda x: x, 2.0))
    raises_same(lambda T: T.func.vjp(lambda x: (x, {"a": x * 2}), T_in(T, 3))[1](T_in(T, 3)))
    raises_same(lambda T: T.func.vjp(lambda x: [x], T_in(T, 3))[1]((T_in(T, 3),)))


def test_vjp_of_grad_is_hvp():
    def run(T):
        _, fn = T.func.vjp(T.func.grad(f_scalar), T_in(T, 5))
        return fn(T_in(T, 5, seed=9))
    both(run)


# ---- jvp / linearize ----

def test_jvp():
    both(lambda T: T.func.jvp(lambda x: x.sin() * x, (T_in(T, 4),), (T_in(T, 4, seed=1),)))
    both(lambda T: T.func.jvp(lambda x, y: {"s": (x * y).sum(), "p": [x.exp(), y]},
                              (T_in(T, 3), T_in(T, 3, seed=2)),
                              (T_in(T, 3, seed=3), T_in(T, 3, seed=4))))
    both(lambda T: T.func.jvp(lambda x: (x * 2, x.sum()), (T_in(T, 3),), (T.ones(3),),
                              has_aux=True))
    # an output independent of the input gets a zero tangent (an error with strict=True)
    both(lambda T: T.func.jvp(lambda x: (x * 2, T.ones(2)), (T_in(T, 3),), (T.ones(3),)))


def test_jvp_of_grad_hvp_and_nesting():
    both(lambda T: T.func.jvp(T.func.grad(f_scalar), (T_in(T, 6),), (T_in(T, 6, seed=1),)))
    both(lambda T: T.func.grad(lambda x: T.func.jvp(lambda y: y.sin() * x, (x,),
                                                    (T.ones(3),))[1].sum())(T_in(T, 3)))


def test_jvp_errors():
    x = lambda T: T_in(T, 3)
    raises_same(lambda T: T.func.jvp(lambda x: x, x(T), x(T)))
    raises_same(lambda T: T.func.jvp(lambda x: x, (x(T),), [x(T)]))
    raises_same(lambda T: T.func.jvp(lambda x: x, (), ()))
    raises_same(lambda T: T.func.jvp(lambda x: x, (1.0,), (1.0,)))
    raises_same(lambda T: T.func.jvp(lambda x: 3, (x(T),), (x(T),)))
    raises_same(lambda T: T.func.jvp(lambda x: x, (x(T),), (x(T),), has_aux=True))
    raises_same(lambda T: T.func.jvp(lambda x: T.ones(2), (x(T),), (x(T),), strict=True))


def test_linearize():
    def run(T):
        out, fn = T.func.linearize(lambda x: x.sin().exp(), T_in(T, 4))
        return out, fn(T_in(T, 4, seed=1)), fn(T.ones(4))
    both(run)


def test_aux_must_hold_tensors():
    raises_same(lambda T: T.func.grad(lambda x: (x.sum(), 3), has_aux=True)(T_in(T, 3)))
    raises_same(lambda T: T.func.vjp(lambda x: (x, {"a": None}), T_in(T, 3), has_aux=True))
    raises_same(lambda T: T.func.jacrev(lambda x: (x, [1]), has_aux=True)(T_in(T, 3)))
