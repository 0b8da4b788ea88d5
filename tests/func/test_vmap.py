"""torch.func.vmap (ember: a loop over the batch) against torch: in_dims/out_dims forms,
pytrees, kwargs, nesting, autograd through vmap, randomness modes, and torch's error texts."""
import functools

import pytest

import ember

from ._util import arr, both, raises_same


def T_in(T, *shape, seed=0, rg=False):
    t = T.tensor(arr(*shape, seed=seed))
    return t.requires_grad_() if rg else t


def test_top_level_vmap_is_func_vmap():
    assert ember.vmap is ember.func.vmap
    assert "func" in dir(ember) or ember.func is not None


@pytest.mark.parametrize("in_dims,shapes", [
    (0, [(4, 3), (4, 3)]),
    (1, [(3, 4), (2, 4)]),
    (-1, [(3, 4), (2, 4)]),
    ((0, None), [(4, 3), (3,)]),
    ((None, 1), [(3,), (3, 5)]),
    ((2, 0), [(3, 2, 4), (4, 3)]),
])
def test_in_dims(in_dims, shapes):
    def f(x, y):
        return x.sum(0, keepdim=True) * y.mean() + y.sum()
    both(lambda T: T.func.vmap(f, in_dims=in_dims)(*[T_in(T, *s, seed=i)
                                                      for i, s in enumerate(shapes)]))


@pytest.mark.parametrize("out_dims", [0, 1, -1, (0, 1), (None, 0)])
def test_out_dims(out_dims):
    def f(x, c):
        return (c if out_dims == (None, 0) else x * 2), x.sin()
    both(lambda T: T.func.vmap(f, in_dims=(0, None), out_dims=out_dims)(T_in(T, 4, 3),
                                                                        T_in(T, 3, seed=1)))


def test_pytrees_kwargs_and_python_values():
    def f(d, lst, scale, *, shift):
        return {"s": d["a"] * lst[0] * scale + shift, "t": [d["b"].sum(), lst[1] ** 2]}

    def run(T):
        d = {"a": T_in(T, 5, 2), "b": T_in(T, 3, 5, seed=1)}
        lst = [T_in(T, 2, seed=2), T_in(T, 5, seed=3)]
        return T.func.vmap(f, in_dims=({"a": 0, "b": 1}, [None, 0], None))(
            d, lst, 3.0, shift=T_in(T, 2, seed=4))
    both(run)


def test_nested_vmap_and_unbatched_output():
    both(lambda T: T.func.vmap(T.func.vmap(lambda x, y: x * y, in_dims=(0, None)),
                               in_dims=(None, 0))(T_in(T, 3), T_in(T, 4, seed=1)))
    both(lambda T: T.func.vmap(lambda x: T.ones(2))(T_in(T, 3)))
    both(lambda T: T.func.vmap(lambda x: x.sum(), chunk_size=2)(T_in(T, 5, 2)))


def test_autograd_through_vmap():
    def run(T):
        x = T_in(T, 4, 3, rg=True)
        w = T_in(T, 3, seed=1, rg=True)
        y = T.func.vmap(lambda r: (r * w).sin().sum())(x)
        (y * T.arange(4.0)).sum().backward()
        return y.detach(), x.grad, w.grad
    both(run)


def test_inplace_on_slices_reaches_batched_input():
    def run(T):
        x = T_in(T, 3, 2)
        T.func.vmap(lambda r: r.mul_(2))(x)
        return x
    both(run)


def test_functorch_compositions():
    def f(x):
        return (x.sin() * x).sum()
    both(lambda T: T.func.vmap(T.func.grad(f))(T_in(T, 4, 3)))
    both(lambda T: T.func.grad(lambda x: T.func.vmap(f)(x).sum())(T_in(T, 4, 3)))
    both(lambda T: T.func.vmap(T.func.jacrev(T.func.jacrev(f)))(T_in(T, 2, 3)))
    both(lambda T: T.func.vmap(T.func.vmap(T.func.grad(f)))(T_in(T, 2, 3, 2)))
    r, _ = both(lambda T: T.func.vmap(T.func.vjp(lambda x: x.exp(), T_in(T, 3))[1])(
        T.eye(3)))
    assert r[0].grad_fn is None


def test_randomness_same_matches_torch_numbers():
    def run(T):
        T.manual_seed(3)
        y = T.func.vmap(lambda x: x + T.rand(3) + T.randn(2, 1), randomness="same")(
            T_in(T, 4, 3))
        return y, T.rand(2)  # the generator advanced by one unbatched draw
    both(run)


def test_randomness_different_draws_per_element():
    def run(T):
        T.manual_seed(3)
        return T.func.vmap(lambda x: x * 0 + T.rand(3), randomness="different")(T_in(T, 4, 3))
    e = run(ember)
    assert e.shape == (4, 3) and not bool((e[0] == e[1]).all())


def test_randomness_error_mode():
    raises_same(lambda T: T.func.vmap(lambda x: x + T.randn(()))(T_in(T, 2)))
    raises_same(lambda T: T.func.vmap(lambda x: T.rand_like(x))(T_in(T, 2)))
    raises_same(lambda T: T.func.vmap(lambda x: T.nn.functional.dropout(x))(T_in(T, 2, 3)))
    # and the generator works again afterwards
    ember.rand(2)


def test_vmap_errors():
    def f(x, y):
        return x + y
    x = lambda T, *s: T_in(T, *(s or (2,)))
    raises_same(lambda T: T.func.vmap(f, in_dims=[0, 0])(x(T), x(T)))
    raises_same(lambda T: T.func.vmap(f)())
    raises_same(lambda T: T.func.vmap(f, in_dims=(0,))(x(T), x(T)))
    raises_same(lambda T: T.func.vmap(f, in_dims=(0, (0, 1)))(x(T), x(T)))
    raises_same(lambda T: T.func.vmap(f, in_dims=((0, 0), 0))(x(T), {"a": x(T)}))
    raises_same(lambda T: T.func.vmap(f, in_dims=(0, 1.5))(x(T), x(T)))
    raises_same(lambda T: T.func.vmap(f, in_dims=(0, 0))(x(T), 2.0))
    raises_same(lambda T: T.func.vmap(f, in_dims=(0, 1))(x(T), x(T)))
    raises_same(lambda T: T.func.vmap(f, in_dims=(0, -2))(x(T), x(T)))
    raises_same(lambda T: T.func.vmap(f)(x(T), x(T, 3)))
    raises_same(lambda T: T.func.vmap(f, in_dims=None)(x(T), x(T)))
    raises_same(lambda T: T.func.vmap(f, in_dims=(None, None))(x(T), x(T)))
    raises_same(lambda T: T.func.vmap(lambda x: (x, x), out_dims=(0, 0, 0))(x(T)))
    raises_same(lambda T: T.func.vmap(lambda x: {"a": x}, out_dims=(0, 0))(x(T)))
    raises_same(lambda T: T.func.vmap(lambda x: x, out_dims="0")(x(T)))
    raises_same(lambda T: T.func.vmap(lambda x: (x, 1))(x(T)))
    raises_same(lambda T: T.func.vmap(lambda x: x * 2, out_dims=None)(x(T)))
    raises_same(lambda T: T.func.vmap(lambda x: x.sum(), out_dims=1)(x(T, 2, 3)))
    raises_same(lambda T: T.func.vmap(f, randomness="sometimes"))
    raises_same(lambda T: T.func.vmap(f, chunk_size=0))
    raises_same(lambda T: T.func.vmap(functools.partial(f, x(T)), in_dims=(0, 0))(x(T)))
    raises_same(lambda T: T.func.vmap(T.nn.Linear(2, 2), in_dims=(0, 0))(x(T)))
