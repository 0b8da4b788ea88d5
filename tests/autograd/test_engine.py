"""The backward engine against torch: first and second gradients of the core ops (broadcasting,
views, indexing, in-place writes into views), retain_graph/create_graph, autograd.grad options,
backward(inputs=), retain_grad, hooks, in-place errors, grad modes and detach."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import ember
from oracle import assert_same, check, check_raises, random_array

BOTH = (torch, ember)


def R(shape, seed=0, **kw):
    return random_array(shape, "float64", seed=seed, **kw)


def P(shape, seed=0):
    return random_array(shape, "float64", seed=seed, positive=True)


# ---- gradients of the core ops, first and second order ----------------------------------

OPS = {
    # elementwise arithmetic with broadcasting
    "add_bcast": (lambda T, a, b: a + b, [R((3, 1, 4)), R((2, 1), 1)]),
    "sub_alpha": (lambda T, a, b: T.sub(a, b, alpha=2.5), [R((2, 3)), R((3,), 1)]),
    "mul_bcast": (lambda T, a, b: a * b, [R((4, 1)), R((1, 5), 1)]),
    "div_bcast": (lambda T, a, b: a / b, [R((2, 3)), P((3,), 1)]),
    "scalar_ops": (lambda T, a: (2 - a) * 3 / (a * a + 1) + 1.5 ** a, [R((3, 2))]),
    "rsub_rdiv": (lambda T, a: 1 / (1 + a.abs()) - 2, [R((5,))]),
    "neg_abs_sign": (lambda T, a: -a.abs() * a.sign() + a, [R((4,))]),
    # pow variants
    "pow_scalar": (lambda T, a: a ** 3 + a.pow(2) + a.abs().pow(0.5), [R((2, 3))]),
    "pow_tensor": (lambda T, a, b: a.pow(b), [P((3, 2)), R((3, 2), 1)]),
    "rpow": (lambda T, a: 2.0 ** a + T.pow(3.0, a), [R((4,))]),
    "pow_bcast": (lambda T, a, b: a ** b, [P((2, 1)), R((3,), 1)]),
    # exp/log/trig
    "exp_log": (lambda T, a: a.exp().log1p() + a.abs().log() + T.log2(a * a + 1), [R((3, 3))]),
    "trig": (lambda T, a: a.sin() * a.cos() + a.tan() - T.atan(a) + T.tanh(a), [R((6,))]),
    "hyper": (lambda T, a: T.sinh(a) + T.cosh(a) + T.asinh(a) + T.sigmoid(a), [R((2, 2))]),
    "sqrt_rsqrt": (lambda T, a: a.sqrt() + a.rsqrt() + a.reciprocal(), [P((2, 3))]),
    "clamp": (lambda T, a: a.clamp(-0.5, 0.7) + a.clamp(min=0.1), [R((7,))]),
    # reductions with dim/keepdim
    "sum_dims": (lambda T, a: (a.sum(), a.sum(1), a.sum((0, 2), keepdim=True)),
                 [R((2, 3, 4))]),
    "mean_var_std": (lambda T, a: (a.mean(0), a.var(1), a.std(), a.mean((1, 2), True)),
                     [R((3, 4, 2))]),
    "prod": (lambda T, a: (a.prod(), a.prod(1, keepdim=True)), [R((3, 4))]),
    "logsumexp_norm": (lambda T, a: (a.logsumexp(1), a.norm(), a.norm(dim=0)),
                       [R((3, 4))]),
    "cumsum_cumprod": (lambda T, a: (a.cumsum(0), a.cumprod(1)), [R((3, 4))]),
    # index-based gradients
    "max_min": (lambda T, a: (a.max(), a.min(1).values, a.max(0, keepdim=True)[0],
                              a.amax((0, 1))), [R((3, 5))]),
    "sort_topk": (lambda T, a: (a.sort(1)[0], a.topk(2, 0).values, a.argsort(1).float()),
                  [R((4, 5))]),
    "maximum_minimum": (lambda T, a, b: T.maximum(a, b) + T.minimum(a, b) * 2,
                        [R((3, 4)), R((4,), 1)]),
    # where / masked
    "where": (lambda T, a, b: T.where(a > 0, a * 2, b), [R((3, 4)), R((4,), 1)]),
    "masked_fill": (lambda T, a: a.masked_fill(a < 0, 0.5) * a, [R((3, 4))]),
    "masked_select": (lambda T, a: a.masked_select(a > 0.2) ** 2, [R((4, 3))]),
    # views and indexing
    "views": (lambda T, a: (a.view(6, 2).t() @ a.reshape(2, 6).t()).transpose(0, 1)
              .permute(1, 0).unsqueeze(0).squeeze(0).flatten(), [R((3, 4))]),
    "expand": (lambda T, a: a.expand(3, 4, 2) * 1.5, [R((4, 1))]),
    "slice_select": (lambda T, a: (a[1:, ::2] * a[0, 1:3].sum(), a[:, 1], a[..., -1]),
                     [R((3, 4))]),
    "adv_index": (lambda T, a: (a[[0, 2, 2]], a[[1, 0], [3, 3]], a[a[:, 0] > 0]),
                  [R((3, 4))]),
    "gather_scatter": (lambda T, a: a.gather(1, T.tensor([[0, 0], [2, 1], [1, 1]]))
                       + T.zeros(3, 2, dtype=T.float64).scatter_add(
                           1, T.tensor([[0, 1], [1, 1], [0, 0]]), a[:, :2]),
                       [R((3, 4))]),
    "index_select_take": (lambda T, a: (a.index_select(1, T.tensor([3, 0, 3])),
                                        a.take(T.tensor([0, 5, 5, 11]))), [R((3, 4))]),
    # matmul family
    "matmul_family": (lambda T, a, b: (a @ b, a.mm(b), T.matmul(a[0], b),
                                       T.addmm(b[0], a, b), a.t().mv(a[:, 0])),
                      [R((3, 3)), R((3, 3), 1)]),
    "bmm_einsum": (lambda T, a, b: (T.bmm(a, b), T.einsum("bij,bjk->bik", a, b),
                                    (a @ b[0]).sum(-1)), [R((2, 3, 4)), R((2, 4, 2), 1)]),
    "outer_dot": (lambda T, a, b: (T.outer(a, b), T.dot(a, b), a @ b), [R((4,)), R((4,), 1)]),
    # cat / stack / split
    "cat_stack": (lambda T, a, b: (T.cat([a, b, a], 0), T.stack([a, b], 1)),
                  [R((2, 3)), R((2, 3), 1)]),
    "split_chunk": (lambda T, a: tuple(x * (i + 1) for i, x in enumerate(
        a.split([1, 3], 1) + a.chunk(2, 0) + a.unbind(0))), [R((2, 4))]),
    # dtype casts
    "casts": (lambda T, a: (a.float().double() * 2, a.to(T.float32) + 1, a.half().double()),
              [R((3,))]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_first_and_second_gradients(name):
    fn, arrays = OPS[name]
    check(fn, arrays, grad=True, gradgrad=True, rtol=1e-6, atol=1e-8)


@given(st.lists(st.integers(1, 4), min_size=0, max_size=3),
       st.lists(st.booleans(), min_size=3, max_size=3))
def test_broadcasting_binary_ops_over_shapes(shape, ones):
    # b's shape: a suffix of a's with some dims set to 1 (always broadcastable)
    bshape = [1 if o else s for s, o in zip(shape[::-1], ones)][::-1]
    a, b = R(tuple(shape), 1), P(tuple(bshape), 2)
    check(lambda T, x, y: (x * y + x / y - y ** 2).sin(), [a, b], gradgrad=True,
          rtol=1e-6, atol=1e-8)


@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_reductions_over_shapes(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keep = data.draw(st.booleans())
    check(lambda T, x: (x.sum(dim, keepdim=keep), x.mean(dim, keepdim=keep),
                        x.max(dim, keepdim=keep).values, x.logsumexp(dim, keepdim=keep)),
          [R(tuple(shape), 3)], gradgrad=True, rtol=1e-6, atol=1e-8)


# ---- in-place writes into views of non-leaf tensors (CopySlices) ---------------------------

def test_copyslices_setitem_and_inplace_view():
    def fn(T, a):
        b = a * 2
        b[0] = 5
        b[1].mul_(3)
        b[:, 1:3] += a[:, :2] ** 2
        return b, b.grad_fn.name()
    check(lambda T, a: fn(T, a)[0], [R((3, 4))], gradgrad=True)
    r = {T: fn(T, T.tensor(R((3, 4)), requires_grad=True)) for T in BOTH}
    assert r[ember][1] == r[torch][1] == "torch::autograd::CopySlices"


def test_inplace_on_non_leaf_and_version_counter():
    def fn(T, a):
        b = a.exp()
        c = b * 1
        c.add_(1).mul_(a)
        v = c[1:]
        v.sin_()
        return c, b._version, c._version
    check(lambda T, a: fn(T, a)[0], [R((3, 2))])
    r = {T: fn(T, T.tensor(R((3, 2)), requires_grad=True))[1:] for T in BOTH}
    assert r[ember] == r[torch]


# ---- retain_graph, create_graph, higher order ----------------------------------------------

def test_retain_graph_and_second_backward_error():
    out = {}
    for T in BOTH:
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        out[T] = x.grad
    assert_same(out[ember], out[torch])

    def twice(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        y.backward()
    check_raises(twice)


def test_higher_order_gradients():
    out = {}
    for T in BOTH:
        x = T.tensor([0.3, -1.2, 2.0], dtype=T.float64, requires_grad=True)
        y = (x.sin() * x.exp()).sum()
        g1, = T.autograd.grad(y, x, create_graph=True)
        g2, = T.autograd.grad(g1.sum(), x, create_graph=True)
        g3, = T.autograd.grad(g2.sum(), x)
        z = (x ** 4).sum()
        with warnings.catch_warnings():   # the once-per-process reference-cycle warning
            warnings.simplefilter("ignore")
            z.backward(create_graph=True)
        gx = x.grad
        x.grad = None
        gx.sum().backward()
        out[T] = (g1, g2, g3, gx, x.grad, g1.requires_grad, g3.requires_grad)
    assert_same(out[ember], out[torch])


def test_non_scalar_backward_needs_gradient():
    check_raises(lambda T: (T.ones(3, requires_grad=True) * 2).backward())
    check_raises(lambda T: (T.ones(3, requires_grad=True) * 2).backward(T.ones(2)))
    check_raises(lambda T: T.ones(3).sum().backward())
    out = {}
    for T in BOTH:
        x = T.ones(3, requires_grad=True)
        (x * x * 3).backward(T.tensor([1.0, 0.5, 2.0]))
        out[T] = x.grad
    assert_same(out[ember], out[torch])


# ---- autograd.grad / backward options ------------------------------------------------------

def test_grad_allow_unused_and_materialize():
    out = {}
    for T in BOTH:
        x = T.tensor([1.0, 2.0], requires_grad=True)
        z = T.tensor([3.0], requires_grad=True)
        y = (x * x).sum()
        a = T.autograd.grad(y, (x, z), retain_graph=True, allow_unused=True)
        b = T.autograd.grad(y, (x, z), retain_graph=True, materialize_grads=True)
        c = T.autograd.grad([y, (x * 3).sum()], [x], grad_outputs=[T.tensor(2.0), None])
        out[T] = (a, b, c, x.grad)
    assert_same(out[ember], out[torch])

    def unused(T):
        x = T.tensor([1.0], requires_grad=True)
        z = T.tensor([1.0], requires_grad=True)
        T.autograd.grad((x * 2).sum(), (x, z))
    check_raises(unused)
    check_raises(lambda T: T.autograd.grad(
        (T.ones(1, requires_grad=True) * 2).sum(), T.ones(1), allow_unused=True))
    check_raises(lambda T: T.autograd.grad(
        (T.ones(1, requires_grad=True) * 2).sum(), T.ones(1, requires_grad=True),
        materialize_grads=True, allow_unused=False))


def test_backward_inputs_and_autograd_backward():
    out = {}
    for T in BOTH:
        x = T.tensor([1.0, 2.0], requires_grad=True)
        w = T.tensor([3.0, -1.0], requires_grad=True)
        h = x * w
        y = (h * h).sum()
        y.backward(inputs=[w], retain_graph=True)
        y.backward(inputs=[h])
        T.autograd.backward([(x * 2).sum(), (w * x).sum()], [T.tensor(1.0), T.tensor(2.0)])
        out[T] = (x.grad, w.grad)
    assert_same(out[ember], out[torch])
    check_raises(lambda T: (T.ones(1, requires_grad=True) * 2).sum().backward(inputs=[]))


def test_grad_accumulation_and_zero():
    out = {}
    for T in BOTH:
        x = T.tensor([1.0, -2.0], requires_grad=True)
        for _ in range(3):
            (x * x).sum().backward()
        g1 = x.grad.clone()
        x.grad.zero_()
        (x * 5).sum().backward()
        out[T] = (g1, x.grad)
    assert_same(out[ember], out[torch])


def test_retain_grad_and_non_leaf_grad_warning():
    out = {}
    for T in BOTH:
        x = T.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        h.retain_grad()
        k = h * h
        (k.sum() + h.sum()).backward()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            kg = k.grad
        msg = [str(m.message).split(" (Triggered")[0] for m in w]
        out[T] = (h.grad, h.retains_grad, x.retains_grad, kg, msg)
    assert_same(out[ember], out[torch])
    check_raises(lambda T: T.ones(2).retain_grad())


# ---- hooks ---------------------------------------------------------------------------------

def test_tensor_hooks_leaf_and_non_leaf():
    out = {}
    for T in BOTH:
        seen = []
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x.register_hook(lambda g: seen.append(("x", g.clone())))
        h = x * 2
        hd = h.register_hook(lambda g: g * 10)          # modifies the gradient
        h.register_hook(lambda g: seen.append(("h", g.clone())))
        y = (h ** 2).sum()
        y.backward(retain_graph=True)
        g1 = x.grad.clone()
        hd.remove()
        x.grad = None
        y.backward()
        out[T] = (seen, g1, x.grad)
    assert_same(out[ember], out[torch])
    check_raises(lambda T: T.ones(2).register_hook(lambda g: g))


def test_node_hooks_and_prehooks():
    out = {}
    for T in BOTH:
        seen = []
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        z = (y * 3).sum()
        y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
        h = y.grad_fn.register_hook(lambda gi, go: seen.append((gi, go)))
        z.backward(retain_graph=True)
        g1 = x.grad.clone()
        h.remove()
        z.backward()
        out[T] = (seen, g1, x.grad, y.grad_fn.next_functions[0][0].name())
    assert_same(out[ember], out[torch])


# ---- in-place errors -----------------------------------------------------------------------

def _leaf(T):
    return T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)


INPLACE_ERRORS = {
    "leaf": lambda T: _leaf(T).add_(1),
    "leaf_setitem": lambda T: _leaf(T).__setitem__(0, 2.0),
    "leaf_view": lambda T: _leaf(T)[1:].mul_(2),
    "sin_leaf": lambda T: T.sin_(_leaf(T)),
    "saved_output_exp": lambda T: _saved(T, lambda a: a.exp(), lambda b: b.add_(1)),
    "saved_output_tanh_setitem": lambda T: _saved(T, lambda a: a.tanh(),
                                                  lambda b: b.__setitem__(0, 1.0)),
    "saved_input_mul": lambda T: _saved(T, lambda a: a * 1, lambda b: b.add_(1),
                                        use=lambda b: b * b),
    "saved_input_changed_node": lambda T: _saved(T, lambda a: a.sin(), lambda b: b.mul_(2),
                                                 use=lambda b: b.sin()),
    "saved_constant_input": lambda T: _saved_const(T),
    "saved_view_of_output": lambda T: _saved(T, lambda a: a.sigmoid(),
                                             lambda b: b[0].mul_(2)),
}


def _saved(T, make, modify, use=None):
    a = T.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    b = make(a)
    c = use(b) if use else b
    modify(b)
    c.sum().backward()


def _saved_const(T):
    w = T.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    a = T.ones(2, 2)
    c = a * w
    a.add_(1)
    c.sum().backward()


@pytest.mark.parametrize("case", sorted(INPLACE_ERRORS))
def test_inplace_errors_match_torch(case):
    ee, et = check_raises(INPLACE_ERRORS[case])
    assert str(ee) == str(et)   # the whole message, hint included


# ---- grad modes and detach -----------------------------------------------------------------

def test_grad_mode_context_managers_and_decorators():
    out = {}
    for T in BOTH:
        x = T.ones(2, requires_grad=True)
        r = []
        with T.no_grad():
            r.append((x * 2).requires_grad)
            with T.enable_grad():
                r.append((x * 2).requires_grad)
            r.append(T.is_grad_enabled())
        with T.set_grad_enabled(False):
            r.append((x * 2).requires_grad)
        T.set_grad_enabled(False)
        r.append(T.is_grad_enabled())
        T.set_grad_enabled(True)
        with T.inference_mode():
            r.append(((x * 2).requires_grad, T.is_inference_mode_enabled()))
        with T.inference_mode(False):
            r.append((x * 2).requires_grad)

        @T.no_grad()
        def f(a):
            return a * 2

        @T.enable_grad()
        def g(a):
            return a * 2

        @T.inference_mode()
        def h(a):
            return a * 2

        @T.set_grad_enabled(False)
        def k(a):
            return a * 2
        r.append((f(x).requires_grad, h(x).requires_grad, k(x).requires_grad,
                  T.is_grad_enabled()))
        with T.no_grad():
            r.append(g(x).requires_grad)

        @T.no_grad()
        def gen(a):
            for i in range(3):
                yield (a * i).requires_grad, T.is_grad_enabled()
        r.append(list(gen(x)))
        r.append(T.is_grad_enabled())
        out[T] = r
    assert out[ember] == out[torch]


def test_detach_and_detach_():
    out = {}
    for T in BOTH:
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        d = y.detach()
        d2 = x.detach()
        d2.mul_(3)    # in place on a detached alias: allowed, visible in x
        z = y * 1
        z.detach_()
        out[T] = (d.requires_grad, d.is_leaf, d.grad_fn, x, z.requires_grad, z.grad_fn,
                  z.is_leaf, d._version, y._version)
    assert_same(out[ember], out[torch])
    check_raises(lambda T: (T.ones(2, requires_grad=True) * 2).requires_grad_(False))
    check_raises(lambda T: T.ones(2, dtype=T.long).requires_grad_())


def test_requires_grad_propagation_and_leaf_flags():
    out = {}
    for T in BOTH:
        a = T.ones(2, requires_grad=True)
        b = T.ones(2)
        c = a + b
        d = b * 2
        e = T.zeros(2).requires_grad_()
        out[T] = [(t.requires_grad, t.is_leaf, t.grad_fn is None) for t in (a, b, c, d, e)]
    assert out[ember] == out[torch]


def test_grad_fn_names_along_common_ops():
    def names(T):
        x = T.ones(2, 3, requires_grad=True)
        w = T.ones(3, 4, requires_grad=True)
        outs = [x + 1, x * x, x.sin(), x.sum(), x.clone(), x.mean(), x.pow(2), x.view(6),
                T.addmm(T.ones(4), x, w), x[0:1], x[0], x[:, [0, 2]], x.t(), x.exp(),
                x.reshape(3, 2), x.unsqueeze(0), x.expand(2, 2, 3), x.sum(0), x / 2, x - 1,
                x.relu(), x.sigmoid(), x.tanh(), x.max(), x.abs(), x.float().double()]
        return [re.sub(r"0x[0-9a-f]+", "?", repr(o.grad_fn)) for o in outs]
    assert names(ember) == names(torch)


def test_backward_create_graph_warns_once():
    from ember.autograd import engine
    engine._WARNED_CREATE_GRAPH[0] = False
    x = ember.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        (x * x).sum().backward(create_graph=True)
        (x * x).sum().backward(create_graph=True)
    assert [str(m.message) for m in w] == [engine._CREATE_GRAPH_MSG]
    assert engine._CREATE_GRAPH_MSG.startswith("Using backward() with create_graph=True will "
                                               "create a reference cycle")
