"""The Optimizer base class against torch: param_groups (keys, order, values), repr, errors,
zero_grad, state_dict/load_state_dict layout and round trips, hooks, closures, tensor lr."""
import copy
import importlib
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
from oracle import check_raises, check_repr
from .helpers import compare_params, compare_state_dicts, init_arrays, make_params, set_grads

ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
       "ASGD", "Rprop", "LBFGS"]


def _p(T, n=2):
    return [T.tensor(np.arange(3, dtype=np.float32) + i, requires_grad=True) for i in range(n)]


@pytest.mark.parametrize("name", ALL)
def test_defaults_groups_and_repr(name):
    """Constructor defaults: the same group keys in the same order, the same values, the same
    repr (keys sorted, values printed as torch prints them)."""
    groups = {}
    for T in (torch, ember):
        opt = getattr(T.optim, name)(_p(T, 1))
        groups[T] = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
        assert list(opt.defaults) == [k for k in groups[T][0]]
    assert list(groups[ember][0].items()) == list(groups[torch][0].items())
    check_repr(lambda T: getattr(T.optim, name)(_p(T, 1)))


def test_group_options_and_repr_of_two_groups():
    def make(T):
        a, b = _p(T)
        return T.optim.SGD([{"params": [a], "lr": 0.5, "nesterov": True, "momentum": 0.9},
                            {"params": b}], lr=0.01, momentum=0.1)
    check_repr(make)
    ge = [list(g.items())[1:] for g in make(ember).param_groups]
    gt = [list(g.items())[1:] for g in make(torch).param_groups]
    assert ge == gt


def test_beginner_call_forms():
    """optim.SGD(params, lr=0.001, momentum=0.9), zero_grad(), step() as the tutorial uses."""
    res = {}
    for T in (torch, ember):
        w = T.tensor([[0.5, -0.2], [0.1, 0.3]], requires_grad=True)
        b = T.tensor([0.0, 0.1], requires_grad=True)
        opt = T.optim.SGD([w, b], lr=0.001, momentum=0.9)
        x = T.tensor([[1.0, 2.0], [3.0, -1.0]])
        for _ in range(3):
            opt.zero_grad()
            loss = ((x @ w + b) ** 2).sum()
            loss.backward()
            opt.step()
        res[T] = (w.detach().numpy().copy(), b.detach().numpy().copy())
    for e, t in zip(res[ember], res[torch]):
        np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-7)


def test_generator_of_parameters_and_named_parameters():
    def named(T):
        a, b = _p(T)
        return T.optim.Adam([("w", a), ("b", b)], lr=0.1)
    for T in (torch, ember):
        opt = named(T)
        assert opt.param_groups[0]["param_names"] == ["w", "b"]
    se, st = named(ember).state_dict(), named(torch).state_dict()
    assert se["param_groups"] == st["param_groups"]
    # a generator (what module.parameters() returns) is consumed once, like torch
    for T in (torch, ember):
        ps = _p(T, 3)
        opt = T.optim.SGD((p for p in ps), lr=0.1)
        assert len(opt.param_groups[0]["params"]) == 3


@pytest.mark.parametrize("fn", [
    lambda T: T.optim.SGD(T.zeros(3, requires_grad=True), lr=0.1),
    lambda T: T.optim.SGD([], lr=0.1),
    lambda T: T.optim.SGD([1, 2], lr=0.1),
    lambda T: T.optim.SGD([{"params": {T.zeros(1, requires_grad=True)}}], lr=0.1),
    lambda T: T.optim.SGD([T.zeros(2, requires_grad=True) * 2], lr=0.1),
    lambda T: T.optim.SGD([{"params": [T.zeros(1, requires_grad=True)]}, 3], lr=0.1),
    lambda T: T.optim.Adam([("a", T.zeros(1, requires_grad=True)),
                            T.zeros(1, requires_grad=True)]),
    lambda T: T.optim.SGD([T.zeros(1, requires_grad=True)], lr=-0.1),
    lambda T: T.optim.SGD([T.zeros(1, requires_grad=True)], momentum=-0.5),
    lambda T: T.optim.SGD([T.zeros(1, requires_grad=True)], weight_decay=-1),
    lambda T: T.optim.SGD([T.zeros(1, requires_grad=True)], nesterov=True),
    lambda T: T.optim.SGD([T.zeros(1, requires_grad=True)], lr=T.tensor([0.1, 0.2])),
    lambda T: T.optim.SGD([T.zeros(1, requires_grad=True)], fused=True, foreach=True),
    lambda T: T.optim.Adam([T.zeros(1, requires_grad=True)], lr=-1e-3),
    lambda T: T.optim.Adam([T.zeros(1, requires_grad=True)], eps=-1.0),
    lambda T: T.optim.Adam([T.zeros(1, requires_grad=True)], betas=(1.0, 0.9)),
    lambda T: T.optim.Adam([T.zeros(1, requires_grad=True)], betas=(0.9, -0.1)),
    lambda T: T.optim.Adam([T.zeros(1, requires_grad=True)], weight_decay=-0.1),
    lambda T: T.optim.Adam([T.zeros(1, requires_grad=True)], betas=(0.9, T.tensor(0.99))),
    lambda T: T.optim.AdamW([T.zeros(1, requires_grad=True)], lr=-1.0),
    lambda T: T.optim.RMSprop([T.zeros(1, requires_grad=True)], alpha=-0.5),
    lambda T: T.optim.RMSprop([T.zeros(1, requires_grad=True)], momentum=-0.5),
    lambda T: T.optim.Adagrad([T.zeros(1, requires_grad=True)], lr_decay=-0.5),
    lambda T: T.optim.Adagrad([T.zeros(1, requires_grad=True)], initial_accumulator_value=-1),
    lambda T: T.optim.Adadelta([T.zeros(1, requires_grad=True)], rho=1.5),
    lambda T: T.optim.Adamax([T.zeros(1, requires_grad=True)], betas=(0.9, 1.0)),
    lambda T: T.optim.NAdam([T.zeros(1, requires_grad=True)], momentum_decay=-1.0),
    lambda T: T.optim.RAdam([T.zeros(1, requires_grad=True)], eps=-1.0),
    lambda T: T.optim.Rprop([T.zeros(1, requires_grad=True)], etas=(1.5, 0.5)),
    lambda T: T.optim.ASGD([T.zeros(1, requires_grad=True)], weight_decay=-1.0),
])
def test_constructor_errors(fn):
    check_raises(fn)


def test_add_param_group():
    def dup(T):
        a, b = _p(T)
        opt = T.optim.SGD([a], lr=0.1)
        opt.add_param_group({"params": [b, a]})
    check_raises(dup)
    check_raises(lambda T: T.optim.SGD(_p(T, 1), lr=0.1).add_param_group([1]))

    def names(T):
        a, b = _p(T)
        opt = T.optim.SGD([a], lr=0.1)
        opt.add_param_group({"params": [("b", b)]})
    check_raises(names)

    def ok(T):
        a, b = _p(T)
        opt = T.optim.SGD([a], lr=0.1, momentum=0.9)
        opt.add_param_group({"params": b, "lr": 0.5})
        return opt
    check_repr(ok)

    class Opt(ember.optim.Optimizer):
        pass

    class TOpt(torch.optim.Optimizer):
        pass
    from ember.optim.optimizer import required as e_req
    from torch.optim.optimizer import required as t_req
    check_raises(lambda T: (TOpt if T is torch else Opt)(
        _p(T, 1), {"lr": t_req if T is torch else e_req}))
    assert repr(e_req) == repr(t_req)


def test_duplicate_parameters_warn():
    for T in (torch, ember):
        a = _p(T, 1)[0]
        with pytest.warns(UserWarning, match="duplicate parameters"):
            T.optim.SGD([a, a], lr=0.1)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    res = {}
    for T in (torch, ember):
        a, b = _p(T)
        (a * b).sum().backward()
        a.grad.requires_grad_(False)
        g = a.grad
        opt = T.optim.SGD([a, b], lr=0.1)
        opt.zero_grad(set_to_none=set_to_none)
        res[T] = (None if a.grad is None else a.grad.numpy().copy(), a.grad is g,
                  None if b.grad is None else b.grad.requires_grad, g._version > 0)
    e, t = res[ember], res[torch]
    if set_to_none:
        assert e[0] is None and t[0] is None
    else:
        np.testing.assert_array_equal(e[0], t[0])
    assert e[1:] == t[1:]


def test_zero_grad_detaches_grad_with_history():
    for T in (torch, ember):
        a = T.ones(2, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about the grad <-> graph cycle
            (a ** 3).sum().backward(create_graph=True)
        assert a.grad.grad_fn is not None
        opt = T.optim.SGD([a], lr=0.1)
        opt.zero_grad(set_to_none=False)
        assert a.grad.grad_fn is None and not a.grad.requires_grad
        assert a.grad.tolist() == [0.0, 0.0]


def test_step_skips_params_without_grad_and_closure():
    out = {}
    for T in (torch, ember):
        a, b = _p(T)
        opt = T.optim.SGD([a, b], lr=0.1, momentum=0.9)

        def closure():
            opt.zero_grad()
            loss = (a ** 2).sum()
            loss.backward()
            return loss
        loss = opt.step(closure)
        out[T] = (float(loss.detach()), a.detach().tolist(), b.detach().tolist(),
                  sorted(len(v) for v in opt.state.values()), a._version, b._version)
    assert out[ember][:4] == out[torch][:4]
    assert out[ember][4] > 0 and out[ember][5] == 0  # only updated parameters change version


def test_step_runs_without_grad_mode_and_closure_with_it():
    seen = []
    for T in (torch, ember):
        a = _p(T, 1)[0]
        opt = T.optim.SGD([a], lr=0.1)

        def closure():
            seen.append(T.is_grad_enabled())
            opt.zero_grad()
            loss = (a * a).sum()
            loss.backward()
            return loss
        with T.no_grad():
            opt.step(closure)
        opt.register_step_pre_hook(lambda o, args, kw: seen.append(T.is_grad_enabled()))
        opt.step()
    assert seen == [True, True, True, True]


def test_hooks():
    logs = {}
    for T in (torch, ember):
        log = []
        a = _p(T, 1)[0]
        a.grad = T.ones(3)
        opt = T.optim.SGD([a], lr=0.1)
        h1 = opt.register_step_pre_hook(lambda o, args, kw: log.append(("pre", len(args))))
        opt.register_step_post_hook(lambda o, args, kw: log.append(("post", o is opt)))
        mod = importlib.import_module(T.__name__ + ".optim.optimizer")
        gh = mod.register_optimizer_step_pre_hook(lambda o, args, kw: log.append("global-pre"))
        gp = mod.register_optimizer_step_post_hook(lambda o, args, kw: log.append("global-post"))
        opt.step()
        h1.remove()
        gh.remove()
        gp.remove()
        opt.step()
        opt.register_state_dict_pre_hook(lambda o: log.append("sd-pre"))
        opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
        opt.register_load_state_dict_pre_hook(lambda o, sd: log.append("load-pre"))
        opt.register_load_state_dict_post_hook(lambda o: log.append("load-post"),
                                               prepend=True)
        sd = opt.state_dict()
        log.append(sorted(sd))
        opt.load_state_dict(sd)
        # a pre hook may replace the arguments
        opt.register_step_pre_hook(lambda o, args, kw: (args, {"closure": lambda: 7}))
        log.append(opt.step())
        logs[T] = log
    assert logs[ember] == logs[torch]


def test_bad_pre_hook_result():
    def f(T):
        a = _p(T, 1)[0]
        opt = T.optim.SGD([a], lr=0.1)
        opt.register_step_pre_hook(lambda o, args, kw: 5)
        opt.step()
    e, t = check_raises(f, match_message=False)
    assert "must return None or a tuple of (new_args, new_kwargs), but got 5." in str(e)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)),
                                     ("Adam", dict(lr=0.05, amsgrad=True)),
                                     ("AdamW", dict(lr=0.05)),
                                     ("RMSprop", dict(lr=0.01, centered=True, momentum=0.3)),
                                     ("Adagrad", dict(lr=0.1)),
                                     ("NAdam", dict(lr=0.05)), ("ASGD", dict(lr=0.05))])
def test_state_dict_round_trip(name, kw):
    """10 steps, state_dict -> a fresh optimizer (new parameters holding the same values) ->
    load_state_dict -> 10 more steps: the same parameters and state as torch."""
    res = {}
    for T in (torch, ember):
        ps = make_params(T, init_arrays())
        opt = getattr(T.optim, name)(ps, **kw)
        for k in range(10):
            set_grads(T, ps, k)
            opt.step()
        sd = copy.deepcopy(opt.state_dict())
        ps2 = [T.tensor(p.detach().numpy().copy(), requires_grad=True) for p in ps]
        opt2 = getattr(T.optim, name)(ps2, lr=1.0)   # lr comes back from the state dict
        opt2.load_state_dict(sd)
        for k in range(10, 20):
            set_grads(T, ps2, k)
            opt2.step()
        res[T] = (ps2, opt2.state_dict())
    compare_params(res[ember][0], res[torch][0], "float32")
    compare_state_dicts(res[ember][1], res[torch][1], "float32")


def test_state_dict_is_shallow_and_uses_indices():
    for T in (torch, ember):
        a, b = _p(T)
        a.grad = T.ones(3)
        opt = T.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
        opt.step()
        sd = opt.state_dict()
        assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
        assert list(sd["state"]) == [0]
        assert sd["state"][0]["momentum_buffer"] is opt.state[a]["momentum_buffer"]


def test_load_state_dict_casts_state_to_param_dtype():
    res = {}
    for T in (torch, ember):
        p = T.ones(3, requires_grad=True)
        p.grad = T.ones(3)
        opt = T.optim.Adam([p], lr=0.1)
        opt.step()
        sd = opt.state_dict()
        q = T.ones(3, dtype=T.float64, requires_grad=True)
        opt2 = T.optim.Adam([q], lr=0.1)
        opt2.load_state_dict(sd)
        st = opt2.state[q]
        res[T] = [(k, str(v.dtype).split(".")[-1]) for k, v in st.items()]
    assert res[ember] == res[torch]


def test_load_state_dict_errors():
    def groups(T):
        a, b = _p(T)
        sd = T.optim.SGD([a], lr=0.1).state_dict()
        T.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    check_raises(groups)

    def sizes(T):
        a, b = _p(T)
        sd = T.optim.SGD([a], lr=0.1).state_dict()
        T.optim.SGD([a, b], lr=0.1).load_state_dict(sd)
    check_raises(sizes)


def test_old_state_dict_with_python_step():
    """Checkpoints from torch < 1.12 store 'step' as a number: loading makes it a tensor."""
    res = {}
    for T in (torch, ember):
        p = T.ones(2, requires_grad=True)
        opt = T.optim.Adam([p], lr=0.1)
        sd = {"state": {0: {"step": 3, "exp_avg": T.zeros(2), "exp_avg_sq": T.zeros(2)}},
              "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
        opt.load_state_dict(sd)
        st = opt.state[p]["step"]
        res[T] = (type(st).__name__, float(st), str(st.dtype))
    assert res[ember] == res[torch]


def test_step_state_is_float32_tensor_and_float64_default():
    for T in (torch, ember):
        p = T.ones(2, requires_grad=True)
        p.grad = T.ones(2)
        opt = T.optim.Adam([p])
        opt.step()
        assert opt.state[p]["step"].dtype == T.float32
        assert opt.state[p]["step"].dim() == 0
        T.set_default_dtype(T.float64)
        q = T.ones(2, requires_grad=True)
        q.grad = T.ones(2)
        opt = T.optim.Adam([q])
        opt.step()
        assert opt.state[q]["step"].dtype == T.float64
        T.set_default_dtype(T.float32)
    check_repr(lambda T: _stepped(T).state_dict()["state"][0]["step"])


def _stepped(T):
    p = T.ones(2, requires_grad=True)
    p.grad = T.ones(2)
    opt = T.optim.Adam([p])
    opt.step()
    return opt


def test_tensor_lr():
    """A 1-element tensor lr (kept as a tensor in the group, updated in place by schedulers)."""
    res = {}
    for T in (torch, ember):
        ps = make_params(T, init_arrays())
        opt = T.optim.Adam(ps, lr=T.tensor(0.05), foreach=False)
        sched = T.optim.lr_scheduler.StepLR(opt, 3, gamma=0.5)
        lrs = []
        for k in range(8):
            set_grads(T, ps, k)
            opt.step()
            sched.step()
            lrs.append(float(opt.param_groups[0]["lr"]))
        res[T] = (ps, lrs, repr(opt))
    compare_params(res[ember][0], res[torch][0], "float32")
    np.testing.assert_allclose(res[ember][1], res[torch][1], rtol=1e-7)
    assert res[ember][2] == res[torch][2]


def test_pickle_and_deepcopy():
    for T in (torch, ember):
        ps = _p(T)
        for p in ps:
            p.grad = T.ones(3)
        opt = T.optim.SGD(ps, lr=0.1, momentum=0.9)
        opt.step()
        for clone in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
            assert repr(clone) == repr(opt)
            assert len(clone.state) == 2
            clone.step()   # step() still works (hooks re-created)


def test_differentiable_is_not_silently_ignored():
    p = ember.ones(2, requires_grad=True)
    p.grad = ember.ones(2)
    opt = ember.optim.SGD([p], lr=0.1, differentiable=True)
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        opt.step()


def test_nn_module_parameters():
    """With ember.nn: optim.SGD(net.parameters(), lr=0.001, momentum=0.9) trains like torch."""
    try:
        Linear = ember.nn.Linear
        ember.nn.functional.mse_loss
    except Exception:
        pytest.skip("ember.nn is not importable yet")
    res = {}
    for T in (torch, ember):
        T.manual_seed(0)
        net = T.nn.Linear(4, 3)
        if T is ember:
            assert type(net) is Linear
        opt = T.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        x = T.tensor(np.linspace(-1, 1, 20, dtype=np.float32).reshape(5, 4))
        y = T.tensor(np.linspace(0, 1, 15, dtype=np.float32).reshape(5, 3))
        for _ in range(5):
            opt.zero_grad()
            loss = T.nn.functional.mse_loss(net(x), y)
            loss.backward()
            opt.step()
        res[T] = [p.detach().numpy().copy() for p in net.parameters()]
    for e, t in zip(res[ember], res[torch]):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6)


def test_no_warnings_in_normal_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ps = _p(ember)
        opt = ember.optim.Adam(ps)
        sched = ember.optim.lr_scheduler.StepLR(opt, 2)
        for _ in range(3):
            opt.zero_grad()
            sum((p * p).sum() for p in ps).backward()
            opt.step()
            sched.step()


def test_custom_optimizer_subclass():
    """A user-written optimizer in the tutorial style (tensor ops under no_grad, self.state)."""
    def make(T):
        class PlainMomentum(T.optim.Optimizer):
            def __init__(self, params, lr=0.1, beta=0.5):
                super().__init__(params, {"lr": lr, "beta": beta})

            @T.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        st = self.state[p]
                        v = st.setdefault("v", T.zeros_like(p))
                        v.mul_(group["beta"]).add_(p.grad)
                        p.add_(v, alpha=-group["lr"])
        return PlainMomentum
    res = {}
    for T in (torch, ember):
        ps = make_params(T, init_arrays())
        opt = make(T)(ps, lr=0.05)
        for k in range(5):
            set_grads(T, ps, k)
            opt.step()
        res[T] = (ps, repr(opt), opt.state_dict())
    compare_params(res[ember][0], res[torch][0], "float32")
    assert res[ember][1] == res[torch][1]
    compare_state_dicts(res[ember][2], res[torch][2], "float32")


def test_profiler_labels_step_and_zero_grad():
    names = {}
    for T in (torch, ember):
        p = T.ones(3, requires_grad=True)
        opt = T.optim.Adam([p], lr=0.1)
        with T.autograd.profiler.profile() as prof:
            (p * p).sum().backward()
            opt.step()
            opt.zero_grad()
        names[T] = [e.key for e in prof.key_averages() if e.key.startswith("Optimizer.")]
    assert names[ember] == names[torch] == ["Optimizer.step#Adam.step",
                                            "Optimizer.zero_grad#Adam.zero_grad"]
