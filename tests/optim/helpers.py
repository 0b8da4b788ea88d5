"""Shared pieces of the optim tests: run the same optimizer on torch and on ember with the same
initial parameters and the same gradient sequence, and compare parameters and state."""
from __future__ import annotations

import numpy as np
import torch

import ember
from oracle import assert_same

SHAPES = [(4, 3), (5,), (2, 3, 2), ()]


def init_arrays(dtype="float32", seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def grad_of(a, k):
    """A fixed function of the current parameter values (computed in NumPy, so both libraries
    get bit-identical gradients from bit-identical parameters) that changes with step k."""
    return ((a - 0.5 * np.sin(k + np.arange(a.size).reshape(a.shape))) * (np.abs(a) + 1)
            ).astype(a.dtype)


def make_params(T, arrays):
    return [T.tensor(a.copy(), requires_grad=True) for a in arrays]


def set_grads(T, params, k, skip=()):
    for i, p in enumerate(params):
        if i in skip:
            p.grad = None
        else:
            p.grad = T.tensor(grad_of(p.detach().numpy(), k))


def run(T, cls_name, kw, steps=20, dtype="float32", groups=None, skip_at=None):
    """Build params (optionally in two groups), then `steps` steps; returns (params, opt).
    skip_at: {step: indices of params whose grad is None at that step}."""
    params = make_params(T, init_arrays(dtype))
    if groups is None:
        spec = params
    else:
        spec = [{"params": params[:2], **groups}, {"params": params[2:]}]
    opt = getattr(T.optim, cls_name)(spec, **kw)
    for k in range(steps):
        set_grads(T, params, k, skip=(skip_at or {}).get(k, ()))
        opt.step()
    return params, opt


def tol(dtype):
    return (1e-5, 1e-6) if dtype == "float32" else (1e-12, 1e-13)


def compare_params(pe, pt, dtype):
    rtol, atol = tol(dtype)
    for i, (a, b) in enumerate(zip(pe, pt)):
        assert_same(a.detach(), b.detach(), rtol=rtol, atol=atol, what=f"param[{i}]")


def compare_state_dicts(se, st, dtype):
    """Same layout (keys in the same order, ints for params) and the same values."""
    rtol, atol = tol(dtype)
    assert list(se.keys()) == list(st.keys())
    assert list(se["state"].keys()) == list(st["state"].keys())
    for k in st["state"]:
        a, b = se["state"][k], st["state"][k]
        assert list(a.keys()) == list(b.keys()), (k, list(a.keys()), list(b.keys()))
        for name in b:
            compare_values(a[name], b[name], rtol, atol, f"state[{k}][{name}]")
    assert len(se["param_groups"]) == len(st["param_groups"])
    for ge, gt in zip(se["param_groups"], st["param_groups"]):
        assert list(ge.keys()) == list(gt.keys())
        for name in gt:
            compare_values(ge[name], gt[name], rtol, atol, f"group[{name}]")


def compare_values(a, b, rtol, atol, what):
    if isinstance(b, torch.Tensor):
        assert isinstance(a, ember.Tensor), what
        assert_same(a, b, rtol=rtol, atol=atol, what=what)
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b)):
            compare_values(x, y, rtol, atol, f"{what}[{i}]")
    elif isinstance(b, float):
        assert isinstance(a, float), what
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)
    else:
        assert a == b and type(a) is type(b), f"{what}: {a!r} vs {b!r}"
