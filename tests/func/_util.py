"""Helpers for the torch.func tests: run one lambda on torch and on ember (with the same
seeded inputs) and compare whole pytrees of results, or the exceptions raised (full text)."""
from __future__ import annotations

import numpy as np
import torch
from oracle import assert_same

import ember

PAIR = (torch, ember)


def arr(*shape, seed=0, dtype="float32"):
    return np.random.default_rng(seed).uniform(-2, 2, size=shape).astype(dtype)


def same(e, t, what="result", **tol):
    """Compare pytrees (dicts too); tensors by value, dtype and shape."""
    if isinstance(t, dict):
        assert isinstance(e, dict) and list(e) == list(t), f"{what}: keys {list(e)} vs {list(t)}"
        for k in t:
            same(e[k], t[k], f"{what}[{k!r}]", **tol)
    elif isinstance(t, (tuple, list)):
        assert type(e).__name__ == type(t).__name__, f"{what}: {type(e)} vs {type(t)}"
        assert len(e) == len(t), f"{what}: lengths {len(e)} vs {len(t)}"
        for i, (a, b) in enumerate(zip(e, t)):
            same(a, b, f"{what}[{i}]", **tol)
    else:
        assert_same(e, t, what=what, **tol)


def both(fn, **tol):
    """fn(T) on torch and ember; results compared; returns (ember result, torch result)."""
    rt = fn(torch)
    re_ = fn(ember)
    same(re_, rt, **tol)
    return re_, rt


def raises_same(fn, full=True):
    """fn(T) raises the same exception type with the same message (the whole text)."""
    errs = []
    for T in PAIR:
        try:
            fn(T)
        except Exception as ex:  # noqa: BLE001
            errs.append(ex)
        else:
            errs.append(None)
    et, ee = errs
    assert et is not None, "torch did not raise"
    assert ee is not None, f"ember did not raise (torch: {type(et).__name__}: {et})"
    assert type(ee).__name__ == type(et).__name__, f"ember {type(ee).__name__}: {ee}; " \
                                                   f"torch {type(et).__name__}: {et}"
    me, mt = str(ee), str(et)
    if not full:
        me, mt = me.splitlines()[0], mt.splitlines()[0]
    assert me == mt, f"messages differ:\n ember: {me}\n torch: {mt}"
    return ee
