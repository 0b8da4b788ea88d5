"""torch.autograd.Function on ember vs torch: ctx API, grad_fn naming, saved tensors and their
version checks, dirty/non-differentiable outputs, materialize_grads, double backward,
once_differentiable, setup_context style, and the errors torch raises."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import ember
from oracle import assert_same, check_raises

BOTH = (torch, ember)


def _x(T, rg=True, dtype=None, n=3):
    return T.tensor(np.linspace(-1.0, 1.5, n), dtype=dtype or T.float32, requires_grad=rg)


def make_scale(T):
    class Scale(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            ctx.seen_nig = ctx.needs_input_grad
            return x * k

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * ctx.k, None
    return Scale


def make_cube(T):
    class Cube(T.autograd.Function):
        """x**3 with a differentiable backward (double backward works)."""
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x ** 2 * g
    return Cube


def test_apply_values_names_and_graph():
    out = {}
    for T in BOTH:
        Scale = make_scale(T)
        x = _x(T)
        y = Scale.apply(x, 2.0)
        z = (y * y).sum()
        z.backward()
        out[T] = (y, x.grad, type(y.grad_fn).__name__, y.grad_fn.name(),
                  re.sub(r"0x[0-9a-f]+", "?", repr(y.grad_fn)), y.grad_fn.k,
                  y.grad_fn.seen_nig, len(y.grad_fn.next_functions),
                  type(y.grad_fn.next_functions[0][0]).__name__,
                  repr(y).split("grad_fn=")[1], y.requires_grad, y.is_leaf)
    assert_same(out[ember], out[torch])


def test_needs_input_grad_and_no_graph_cases():
    out = {}
    for T in BOTH:
        Scale = make_scale(T)
        x, c = _x(T), _x(T, rg=False)
        r1 = Scale.apply(c, 2.0)
        with T.no_grad():
            r2 = Scale.apply(x, 2.0)
        out[T] = (r1.requires_grad, r1.grad_fn, r2.requires_grad, r2.grad_fn)
    assert out[ember] == out[torch]


def test_double_backward_through_custom_function():
    res = {}
    for T in BOTH:
        Cube = make_cube(T)
        x = _x(T, dtype=T.float64)
        y = Cube.apply(x)
        g, = T.autograd.grad(y.sum(), x, create_graph=True)
        g2, = T.autograd.grad((g * g).sum(), x)
        res[T] = (y, g, g2, type(g.grad_fn).__name__)
    assert_same(res[ember], res[torch])


def test_multiple_outputs_non_tensor_outputs_and_materialized_grads():
    seen = {}
    for T in BOTH:
        log = []

        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, y, k):
                ctx.save_for_backward(x, None)
                return x * k, 7, y + 1

            @staticmethod
            def backward(ctx, g1, g2, g3):
                log.append((g1, g2, g3, ctx.saved_tensors))
                return g1 * 2, g3, None
        x, y = _x(T), _x(T, rg=False)
        a, b, c = F.apply(x, y, 2.0)
        a.sum().backward()
        seen[T] = (a, b, c, a.grad_fn is c.grad_fn, c.requires_grad, log[0], x.grad)
    assert_same(seen[ember], seen[torch])


def test_mark_non_differentiable_and_integer_outputs():
    seen = {}
    for T in BOTH:
        log = []

        class ND(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                i = x.argmax()
                v = x.max() * 1
                ctx.mark_non_differentiable(i)
                return v, i, x * 1, (x * 2).long()

            @staticmethod
            def backward(ctx, gv, gi, gx, gl):
                log.append((gv, gi, gx, gl))
                return gx + gv
        x = _x(T)
        v, i, w, l_ = ND.apply(x)
        v.backward()
        seen[T] = ([t.requires_grad for t in (v, i, w, l_)], l_.grad_fn, log[0], x.grad)
    assert_same(seen[ember], seen[torch])


def test_set_materialize_grads_false():
    seen = {}
    for T in BOTH:
        log = []

        class NM(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 1, x * 2

            @staticmethod
            def backward(ctx, g1, g2):
                log.append((g1, g2))
                return g1
        x = _x(T)
        p, q = NM.apply(x)
        p.sum().backward()
        seen[T] = (log[0], x.grad)
    assert_same(seen[ember], seen[torch])


def test_mark_dirty_inplace_function():
    seen = {}
    for T in BOTH:
        class Dirty(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 2
        x = _x(T)
        c = x.clone()
        d = Dirty.apply(c)
        (d * d).sum().backward()
        seen[T] = (d is c, type(c.grad_fn).__name__, c._version, d, x.grad)
    assert_same(seen[ember], seen[torch])

    def leaf(T):
        class Dirty(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g
        Dirty.apply(_x(T))
    check_raises(leaf)


def test_returned_input_is_an_alias():
    seen = {}
    for T in BOTH:
        class Ident(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 3
        x = _x(T)
        o = Ident.apply(x)
        o.sum().backward()
        seen[T] = (o is x, o._base is x, type(o.grad_fn).__name__, x.grad)
    assert_same(seen[ember], seen[torch])


def test_setup_context_style_and_kwargs():
    seen = {}
    for T in BOTH:
        log = []

        class G(T.autograd.Function):
            @staticmethod
            def forward(x, k=2.0):
                log.append(T.is_grad_enabled())
                return x * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                log.append((type(inputs).__name__, len(inputs)))
                ctx.k = inputs[1]

            @staticmethod
            def backward(ctx, g):
                return g * ctx.k, None
        x = _x(T)
        a = G.apply(x, 3.0)
        b = G.apply(x, k=4.0)
        c = G.apply(x)
        (a + b + c).sum().backward()
        seen[T] = (a, b, c, x.grad, log)
    assert_same(seen[ember], seen[torch])


def test_once_differentiable():
    seen = {}
    for T in BOTH:
        class H(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 2

            @staticmethod
            @T.autograd.function.once_differentiable
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return 2 * x * g
        x = _x(T, dtype=T.float64)
        g, = T.autograd.grad(H.apply(x).sum(), x, create_graph=True)
        # grad_output requires grad: the result carries the error-raising node
        y = H.apply(x)
        go = T.ones(3, dtype=T.float64, requires_grad=True)
        g2, = T.autograd.grad(y, x, go, create_graph=True)
        seen[T] = (g, g.grad_fn, g2.requires_grad, type(g2.grad_fn).__name__)
    assert_same(seen[ember], seen[torch])

    def twice(T):
        class H(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 2

            @staticmethod
            @T.autograd.function.once_differentiable
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return 2 * x * g
        x = _x(T, dtype=T.float64)
        go = T.ones(3, dtype=T.float64, requires_grad=True)
        g2, = T.autograd.grad(H.apply(x), x, go, create_graph=True)
        g2.sum().backward()
    check_raises(twice)


@pytest.mark.parametrize("case", ["too_few", "too_many_not_none", "bad_shape", "scalar_shape",
                                  "non_tensor_grad", "grad_for_number"])
def test_backward_return_errors(case):
    def run(T):
        back = {"too_few": lambda g: g,
                "too_many_not_none": lambda g: (g, g, g),
                "bad_shape": lambda g: (g, g[:2]),
                "scalar_shape": lambda g: (g.sum(), None),
                "non_tensor_grad": lambda g: (3, None),
                "grad_for_number": lambda g: (g, g)}[case]

        class MyFn(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * 1

            @staticmethod
            def backward(ctx, g):
                return back(g)
        x = _x(T)
        other = 3 if case == "grad_for_number" else _x(T)
        MyFn.apply(x, other).sum().backward()
    check_raises(run)


def test_backward_extra_none_grads_and_broadcast_grads_are_accepted():
    seen = {}
    for T in BOTH:
        class Extra(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.sum() * 2

            @staticmethod
            def backward(ctx, g):
                return g.expand(4, 3), None, None
        x = _x(T)
        Extra.apply(x).backward()
        seen[T] = x.grad
    assert_same(seen[ember], seen[torch])


def test_grad_dtype_is_cast_to_input_dtype():
    seen = {}
    for T in BOTH:
        class D(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.double()

            @staticmethod
            def backward(ctx, g):
                return g
        x = _x(T)
        D.apply(x).sum().backward()
        seen[T] = x.grad
    assert_same(seen[ember], seen[torch])


def test_saved_tensor_version_checks():
    def input_modified(T):
        class Ver(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return g * 2
        b = _x(T) * 1
        o = Ver.apply(b)
        b.add_(1)
        o.sum().backward()

    def output_modified(T):
        class Out(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                r = x.exp()
                ctx.save_for_backward(r)
                return r

            @staticmethod
            def backward(ctx, g):
                r, = ctx.saved_tensors
                return g * r
        o = Out.apply(_x(T) * 1)
        o.add_(1)
        o.sum().backward()

    def freed(T):
        Scale = make_scale(T)
        y = Scale.apply(_x(T), 2.0)
        y.sum().backward()
        y.grad_fn.saved_tensors

    for f in (input_modified, output_modified, freed):
        check_raises(f)


def test_saved_output_values_and_retain_graph():
    seen = {}
    for T in BOTH:
        class Exp(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                r = x.exp()
                ctx.save_for_backward(r)
                return r

            @staticmethod
            def backward(ctx, g):
                r, = ctx.saved_tensors
                return g * r
        x = _x(T)
        y = Exp.apply(x)
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        seen[T] = x.grad
    assert_same(seen[ember], seen[torch])


def test_save_for_backward_type_error_and_legacy_usage():
    def bad_save(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, 3)
                return x * 2
        F.apply(_x(T))
    check_raises(bad_save)

    def legacy_call(T):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = make_scale(T)()
        f(_x(T))
    check_raises(legacy_call)

    def no_backward(T):
        class NB(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1
        NB.apply(_x(T)).sum().backward()
    check_raises(no_backward)

    def kwargs_without_setup(T):
        make_cube(T).apply(_x(T), k=3)
    # (torch's C++ caller names the function "forward()", Python its qualified name)
    check_raises(kwargs_without_setup, match_message=False)


def test_instantiation_warns_deprecation():
    for T in BOTH:
        with pytest.warns(DeprecationWarning, match="should not be instantiated"):
            make_scale(T)()


def test_function_in_gradcheck_and_hooks():
    seen = {}
    for T in BOTH:
        Cube = make_cube(T)
        x = _x(T, dtype=T.float64)
        ok = T.autograd.gradcheck(Cube.apply, (x,)) and T.autograd.gradgradcheck(Cube.apply,
                                                                                (x,))
        calls = []
        y = Cube.apply(x)
        y.grad_fn.register_hook(lambda gi, go: calls.append((gi, go)))
        y.sum().backward()
        seen[T] = (ok, calls[0], x.grad)
    assert_same(seen[ember], seen[torch])


def test_variable_alias():
    seen = {}
    for T in BOTH:
        v = T.autograd.Variable(T.ones(2), requires_grad=True)
        seen[T] = (v, isinstance(T.ones(1), T.autograd.Variable), v.requires_grad, v.is_leaf)
    assert_same(seen[ember], seen[torch])
