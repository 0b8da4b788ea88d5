"""Memory stays flat over many forward/backward steps: the graph is freed by reference counting
as soon as backward has run (no cycles: gc stays disabled), and nothing accumulates."""
from __future__ import annotations

import gc
import sys
import tracemalloc
import weakref

import numpy as np

import ember


def _model():
    rng = np.random.default_rng(0)
    w1 = ember.tensor(rng.standard_normal((32, 32)).astype(np.float32) * 0.1,
                      requires_grad=True)
    w2 = ember.tensor(rng.standard_normal((32, 32)).astype(np.float32) * 0.1,
                      requires_grad=True)
    x = ember.tensor(rng.standard_normal((8, 32)).astype(np.float32))
    return w1, w2, x


def _step(w1, w2, x):
    h = (x @ w1).tanh()
    loss = (h @ w2).sum()
    loss.backward()
    with ember.no_grad():
        w1 -= 1e-4 * w1.grad
        w2 -= 1e-4 * w2.grad
    w1.grad = None
    w2.grad = None
    return loss


def test_graph_is_freed_by_refcounting_after_backward():
    w1, w2, x = _model()
    was = gc.isenabled()
    gc.disable()
    try:
        h = (x @ w1).tanh()
        loss = (h @ w2).sum()
        nodes = [weakref.ref(loss.grad_fn), weakref.ref(h.grad_fn)]
        loss.backward()
        del h, loss
        assert all(r() is None for r in nodes)   # gone without a gc pass
    finally:
        if was:
            gc.enable()


def test_ten_thousand_steps_keep_memory_flat():
    w1, w2, x = _model()
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        # warm-up: allocator and NumPy caches fill (a bounded plateau of ~1.5k blocks in the
        # first few thousand steps); a leak would keep growing after that
        for _ in range(4000):
            _step(w1, w2, x)
        blocks0 = sys.getallocatedblocks()
        objs0 = len(gc.get_objects())
        for _ in range(6000):
            _step(w1, w2, x)
        blocks1 = sys.getallocatedblocks()
        objs1 = len(gc.get_objects())
    finally:
        if was:
            gc.enable()
    # a leak of one object per step would show as thousands of blocks/objects
    assert blocks1 - blocks0 < 500, (blocks0, blocks1)
    assert objs1 - objs0 < 100, (objs0, objs1)


def test_traced_memory_flat_with_create_graph_and_hooks():
    w1, w2, x = _model()
    calls = []
    w1.register_hook(lambda g: calls.append(1) and None)

    def step():
        h = (x @ w1).tanh()
        h.retain_grad()
        loss = (h @ w2).sum()
        g1, = ember.autograd.grad(loss, w1, create_graph=True)
        (g1 * g1).sum().backward()
        w1.grad = w2.grad = None
        del calls[:]

    was = gc.isenabled()
    gc.disable()
    tracemalloc.start()
    try:
        for _ in range(50):
            step()
        m0 = tracemalloc.get_traced_memory()[0]
        for _ in range(400):
            step()
        m1 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        if was:
            gc.enable()
    assert m1 - m0 < 32 * 1024, (m0, m1)   # a leaked 32x32 float32 grad per step: 1.6 MB
