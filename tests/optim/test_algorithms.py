"""Every optimizer against torch's single-tensor implementation: the same parameters and the
same gradient sequence for 20 steps must give the same parameters and the same state_dict
(float32 and float64, several hyperparameter settings, two param groups, skipped grads)."""
import numpy as np
import pytest
import torch

import ember
from .helpers import compare_params, compare_state_dicts, make_params, init_arrays, run, \
    set_grads

CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.05, maximize=True, decoupled_weight_decay=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, foreach=False, capturable=False, fused=None)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.5, amsgrad=True, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.8, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.8, centered=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2,
                     eps=1e-6, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, betas=(0.7, 0.9), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict(lr=0.05, t0=5)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1, maximize=True)),
    ("Rprop", dict(lr=0.05)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 1.0), maximize=True)),
]


def _id(case):
    return case[0] + "-" + ",".join(f"{k}={v}" for k, v in case[1].items())


def _torch_kw(name, kw):
    # torch on CPU already runs the single-tensor loop; foreach=False makes it explicit
    kw = dict(kw)
    if name not in ("LBFGS",):
        kw.setdefault("foreach", False)
    return kw


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_torch(case, dtype):
    name, kw = case
    # ember accepts foreach (and capturable, fused) and runs its one loop either way
    pt, ot = run(torch, name, _torch_kw(name, kw), dtype=dtype)
    pe, oe = run(ember, name, _torch_kw(name, kw), dtype=dtype)
    compare_params(pe, pt, dtype)
    compare_state_dicts(oe.state_dict(), ot.state_dict(), dtype)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)),
                                     ("Adam", dict(lr=0.1, amsgrad=True)),
                                     ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
                                     ("NAdam", dict(lr=0.1)), ("Adagrad", dict(lr=0.1))])
def test_groups_and_missing_grads(name, kw):
    """Two groups with their own lr; some parameters without a gradient at some steps (their
    state is not touched, or not created)."""
    skip = {0: (1, 3), 1: (1,), 5: (0, 2), 6: (3,)}
    groups = {"lr": 0.02}
    pt, ot = run(torch, name, _torch_kw(name, kw), groups=groups, skip_at=skip)
    pe, oe = run(ember, name, _torch_kw(name, kw), groups=groups, skip_at=skip)
    compare_params(pe, pt, "float32")
    compare_state_dicts(oe.state_dict(), ot.state_dict(), "float32")


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "SGD", "RAdam",
                                  "NAdam", "Adamax", "Adadelta"])
def test_complex_params(name):
    """Complex parameters are updated per real/imaginary component (torch.view_as_real)."""
    rng = np.random.default_rng(3)
    a = (rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))).astype(np.complex64)
    g = (rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))).astype(np.complex64)
    out = {}
    for T in (torch, ember):
        p = T.tensor(a.copy(), requires_grad=True)
        opt = getattr(T.optim, name)([p], lr=0.05)
        for k in range(5):
            p.grad = T.tensor(g * (k + 1) + p.detach().numpy() * 0.1)
            opt.step()
        out[T] = p.detach().numpy().copy()
    np.testing.assert_allclose(out[ember], out[torch], rtol=1e-5, atol=1e-6)


# LBFGS calls float() on the closure's loss: torch and ember both warn once per process
@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True")
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lbfgs(line_search_fn, dtype):
    """LBFGS on a Rosenbrock-like problem; the closure is called as many times as torch's."""
    res = {}
    for T in (torch, ember):
        p = T.tensor(np.array([-1.2, 1.0, 0.5], dtype=dtype), requires_grad=True)
        opt = T.optim.LBFGS([p], lr=1, max_iter=15, history_size=5,
                            line_search_fn=line_search_fn)
        calls = [0]

        def closure():
            calls[0] += 1
            opt.zero_grad()
            loss = (1 - p[0]) ** 2 + 10 * (p[1] - p[0] ** 2) ** 2 + (p[2] - p[1]) ** 2
            loss.backward()
            return loss
        losses = [opt.step(closure).item() for _ in range(3)]
        st = opt.state[p]
        res[T] = (p.detach().numpy().copy(), losses, calls[0], st["func_evals"], st["n_iter"])
    e, t = res[ember], res[torch]
    rtol = 1e-4 if dtype == "float32" else 1e-9
    np.testing.assert_allclose(e[0], t[0], rtol=rtol, atol=rtol)
    np.testing.assert_allclose(e[1], t[1], rtol=rtol, atol=rtol)
    assert e[2:] == t[2:]


def test_lbfgs_state_layout():
    out = {}
    for T in (torch, ember):
        p = T.tensor([1.0, -2.0], requires_grad=True)
        opt = T.optim.LBFGS([p], max_iter=4)

        def closure():
            opt.zero_grad()
            loss = (p ** 2).sum() + p.prod()
            loss.backward()
            return loss
        opt.step(closure)
        sd = opt.state_dict()
        out[T] = sd
    e, t = out[ember], out[torch]
    assert list(e["state"][0].keys()) == list(t["state"][0].keys())
    for k, v in t["state"][0].items():
        w = e["state"][0][k]
        if isinstance(v, torch.Tensor):
            assert isinstance(w, ember.Tensor), k
            np.testing.assert_allclose(w.numpy(), v.numpy(), rtol=1e-5, atol=1e-6)
            assert tuple(w.shape) == tuple(v.shape), k
        elif isinstance(v, list):
            assert len(w) == len(v), k
        else:
            assert type(w) is type(v) and np.isclose(w, v), k
    assert e["param_groups"] == t["param_groups"]


def test_lbfgs_errors():
    from oracle import check_raises
    check_raises(lambda T: T.optim.LBFGS([{"params": [T.zeros(1, requires_grad=True)]},
                                          {"params": [T.zeros(1, requires_grad=True)]}]))
    check_raises(lambda T: T.optim.LBFGS([T.zeros(1, requires_grad=True)], lr=-1))


def test_functional_forms():
    """torch.optim._functional-style calls (sgd, adam) on tensor lists."""
    from ember.optim.adam import adam as e_adam
    from ember.optim.sgd import sgd as e_sgd
    from torch.optim.adam import adam as t_adam
    from torch.optim.sgd import sgd as t_sgd
    res = {}
    for T, sgd, adam in ((torch, t_sgd, t_adam), (ember, e_sgd, e_adam)):
        ps = make_params(T, init_arrays())
        bufs = [None] * len(ps)
        ea = [T.zeros_like(p) for p in ps]
        es = [T.zeros_like(p) for p in ps]
        steps = [T.tensor(0.0) for _ in ps]
        for k in range(5):
            set_grads(T, ps, k)
            grads = [p.grad for p in ps]
            with T.no_grad():
                sgd(ps, grads, bufs, weight_decay=0.01, momentum=0.9, lr=0.01, dampening=0.0,
                    nesterov=True, maximize=False, foreach=False)
                adam(ps, grads, ea, es, [], steps, amsgrad=False, beta1=0.9, beta2=0.99,
                     lr=0.01, weight_decay=0.0, eps=1e-8, maximize=False, foreach=False)
        res[T] = ([p.detach().numpy().copy() for p in ps], [b.numpy().copy() for b in bufs],
                  [float(s) for s in steps])
    for a, b in zip(res[ember][0] + res[ember][1], res[torch][0] + res[torch][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert res[ember][2] == res[torch][2]
