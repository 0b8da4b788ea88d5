"""torch.func.functional_call / stack_module_state against torch (swap-in and restore, tied
weights, strict keys, errors), model ensembling with vmap, and the minimal 'meta' device."""
import copy

import pytest
import torch

import ember

from ._util import arr, both, raises_same


def make(T, seed=0):
    T.manual_seed(seed)
    return T.nn.Sequential(T.nn.Linear(4, 3), T.nn.BatchNorm1d(3), T.nn.Tanh(),
                           T.nn.Linear(3, 2))


def x_in(T, *shape, seed=5):
    return T.tensor(arr(*(shape or (6, 4)), seed=seed))


def test_functional_call_dict_and_tuple_of_dicts_restores_state():
    def run(T):
        m = make(T)
        params = {k: v * 2 for k, v in m.named_parameters()}
        bufs = {k: v + 1 for k, v in m.named_buffers()}
        a = T.func.functional_call(m, params, (x_in(T),))
        b = T.func.functional_call(m, (params, bufs), x_in(T))
        ids = [type(p).__name__ for p in m.parameters()]
        return a, b, m(x_in(T)), ids, bufs["1.running_mean"], m[1].running_mean
    both(run)


def test_functional_call_grad_wrt_params():
    def run(T):
        m = make(T)
        m.eval()
        params = {k: v.detach() for k, v in m.named_parameters()}

        def loss(p, x):
            return T.func.functional_call(m, p, (x,)).pow(2).mean()
        g = T.func.grad(loss)(params, x_in(T))
        assert all(t.grad_fn is None for t in g.values())
        return g
    both(run)


def test_functional_call_kwargs_strict_and_tied_weights():
    class Tied:
        def __new__(cls, T):
            m = T.nn.Module()
            m.a = T.nn.Linear(2, 2, bias=False)
            m.b = T.nn.Linear(2, 2, bias=False)
            m.b.weight = m.a.weight
            m.forward = lambda x, scale=1.0: (m.a(x) + m.b(x)) * scale
            return m

    def run(T):
        m = Tied(T)
        w = T.ones(2, 2)
        x = x_in(T, 3, 2)
        return (T.func.functional_call(m, {"a.weight": w}, (x,), {"scale": 2.0}),
                T.func.functional_call(m, {"a.weight": w}, (x,), tie_weights=False))
    both(run)
    raises_same(lambda T: T.func.functional_call(
        Tied(T), {"a.weight": T.ones(2, 2), "b.weight": T.zeros(2, 2)}, (x_in(T, 3, 2),)))
    raises_same(lambda T: T.func.functional_call(make(T), {"0.weight": T.ones(3, 4)},
                                                 (x_in(T),), strict=True))
    raises_same(lambda T: T.func.functional_call(make(T), ({"x": T.ones(1)}, {"x": T.ones(1)}),
                                                 (x_in(T),)))
    raises_same(lambda T: T.func.functional_call(make(T), [{"x": T.ones(1)}, 3], (x_in(T),)))
    raises_same(lambda T: T.func.functional_call(make(T), 3, (x_in(T),)))


def test_functional_call_restores_after_error():
    def run(T):
        m = make(T)
        w = m[0].weight
        try:
            T.func.functional_call(m, {"0.weight": T.ones(3, 5)}, (x_in(T),))
        except RuntimeError:
            pass
        return m[0].weight is w
    both(run)


def test_stack_module_state_and_ensemble():
    def run(T):
        models = [make(T, s) for s in range(3)]
        params, buffers = T.func.stack_module_state(models)
        assert all(p.is_leaf and p.requires_grad for p in params.values())
        base = copy.deepcopy(models[0]).to("meta")

        def fmodel(p, b, x):
            return T.func.functional_call(base, (p, b), (x,))
        data = x_in(T, 3, 6, 4)
        same_batch = T.func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, data[0])
        diff_batch = T.func.vmap(fmodel)(params, buffers, data)
        diff_batch.sum().backward()
        return (list(params), list(buffers), same_batch.detach(), diff_batch.detach(),
                params["3.weight"].grad, buffers["1.running_mean"])
    both(run)


def test_stack_module_state_errors():
    raises_same(lambda T: T.func.stack_module_state([]))
    raises_same(lambda T: T.func.stack_module_state([make(T), make(T).eval()]))
    raises_same(lambda T: T.func.stack_module_state([make(T), T.nn.Linear(2, 2)]))

    def mixed(T):
        a, b = T.nn.Linear(2, 2), T.nn.Linear(2, 2)
        b.weight.requires_grad_(False)
        return T.func.stack_module_state([a, b])
    raises_same(mixed)


def test_meta_module_is_structure_only():
    def run(T):
        m = copy.deepcopy(T.nn.Linear(3, 2)).to("meta")
        w = m.weight
        return repr(w), str(w.device), w.is_meta, w.is_cuda, tuple(w.shape), repr(m), \
            repr(T.ones(2, dtype=T.float64).to("meta")), repr(T.ones(2, 3).to("meta") * 1
                                                              if T is torch else "skip")
    e, t = run(ember), run(torch)
    assert e[:7] == t[:7]
    m = copy.deepcopy(ember.nn.Linear(3, 2)).to("meta")
    with pytest.raises(NotImplementedError):
        m(ember.ones(3).to("meta"))
    with pytest.raises(NotImplementedError):
        m.weight + 1
    raises_same(lambda T: T.ones(2).to("meta").cpu())
