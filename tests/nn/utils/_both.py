"""Run one program on torch and on ember and compare what it returns, item by item."""
from __future__ import annotations

import importlib
import re

import torch

import ember
from tests.oracle import assert_same


def norm(s):
    """A printed line with object addresses and the package name masked."""
    return re.sub(r"0x[0-9a-f]+", "0x?", str(s)).replace("ember.", "torch.")


def both(fn, rtol=None, atol=None):
    """fn(T, sub) -> list; sub(name) imports T's submodule `name` (e.g. 'nn.utils.prune')."""
    res = {}
    for T in (torch, ember):
        def sub(name, T=T):
            return importlib.import_module(f"{T.__name__}.{name}")
        res[T] = fn(T, sub)
    rt, re_ = res[torch], res[ember]
    assert len(rt) == len(re_)
    for i, (a, b) in enumerate(zip(re_, rt)):
        if isinstance(b, torch.Tensor):
            assert_same(a, b, rtol=rtol, atol=atol, what=f"item {i}")
        elif isinstance(b, float):
            assert_same(a, b, rtol=rtol or 1e-5, atol=atol or 1e-5, what=f"item {i}")
        else:
            assert norm(a) == norm(b), f"item {i}:\nember: {norm(a)}\ntorch: {norm(b)}"
