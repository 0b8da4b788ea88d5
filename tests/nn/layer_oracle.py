"""Run one nn layer on torch and on ember from the same seed and compare everything a user sees:
initial parameters (bit for bit), repr, state_dict keys, outputs, and the gradients of a random
weighting of the outputs w.r.t. the inputs and every parameter."""
import numpy as np
import torch

import ember
from oracle import assert_same, to_np


def _outs(r):
    if isinstance(r, (tuple, list)):
        out = []
        for x in r:
            out.extend(_outs(x))
        return out
    return [r]


def run_layer(make, inputs, *, train=True, grad=True, seed=0, rtol=None, atol=None,
              exact_init=True, call=None):
    """make(T) -> module; inputs: NumPy arrays (float ones require grad when grad=True)."""
    res = {}
    for T in (torch, ember):
        T.manual_seed(seed)
        m = make(T)
        m.train(train)
        xs = []
        for a in inputs:
            if isinstance(a, np.ndarray):
                t = T.tensor(a)
                if grad and a.dtype.kind == "f":
                    t.requires_grad_(True)
                xs.append(t)
            else:
                xs.append(a)
        out = call(m, *xs) if call is not None else m(*xs)
        res[T] = (m, xs, out)
    (mt, xt, ot), (me, xe, oe) = res[torch], res[ember]
    assert repr(me) == repr(mt), f"repr:\n{me!r}\n!=\n{mt!r}"
    sdt, sde = mt.state_dict(), me.state_dict()
    assert list(sde) == list(sdt)
    for k in sdt:
        if exact_init:
            np.testing.assert_array_equal(to_np(sde[k]), to_np(sdt[k]), err_msg=f"init {k}")
        else:
            assert_same(sde[k], sdt[k], what=f"init {k}")
    assert_same(oe, ot, rtol, atol)
    if not grad:
        return me, mt
    outs_t = [o for o in _outs(ot) if isinstance(o, torch.Tensor) and o.requires_grad]
    outs_e = [o for o in _outs(oe) if isinstance(o, ember.Tensor) and o.requires_grad]
    assert len(outs_t) == len(outs_e)
    if not outs_t:
        return me, mt
    rng = np.random.default_rng(1)
    ws = [rng.uniform(0.5, 1.5, tuple(o.shape)).astype(np.float64) for o in outs_t]
    for T, outs in ((torch, outs_t), (ember, outs_e)):
        loss = sum((o * T.tensor(w).to(o.dtype)).sum() for o, w in zip(outs, ws))
        loss.backward()
    for i, (a, b) in enumerate(zip(xe, xt)):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            if b.grad is None:
                assert a.grad is None or not np.any(to_np(a.grad))
            else:
                assert_same(a.grad, b.grad, rtol, atol, what=f"input grad {i}")
    for (n, pe), (_, pt) in zip(me.named_parameters(), mt.named_parameters()):
        if pt.grad is None:
            assert pe.grad is None, n
        else:
            assert_same(pe.grad, pt.grad, rtol, atol, what=f"grad {n}")
    return me, mt


def rand(*shape, seed=0, low=-2.0, high=2.0, dtype="float32"):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)
