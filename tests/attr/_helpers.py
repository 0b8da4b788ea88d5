"""Shared pieces of the ember.attr tests: the seed's CIFAR LeNet built on torch.nn and on
ember.nn with the same weights, and `run_both`, which runs one attribution call through
Captum (on torch) and through ember.attr and compares results and warnings."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember

captum_attr = pytest.importorskip("captum.attr")


def lenet(T, relu_modules=False, two_pools=False, seed=0):
    """The seed's CIFAR-10 `Net` (F.relu, one MaxPool2d used twice); relu_modules swaps in
    nn.ReLU modules (for the ReLU-hooking methods), two_pools gives each pooling its module."""
    nn, F = T.nn, T.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)
            if relu_modules:
                self.relu1, self.relu2 = nn.ReLU(), nn.ReLU()
                self.relu3, self.relu4 = nn.ReLU(), nn.ReLU()
            if two_pools:
                self.pool2 = nn.MaxPool2d(2, 2)

        def forward(self, x):
            r = (self.relu1, self.relu2, self.relu3, self.relu4) if relu_modules \
                else (F.relu,) * 4
            x = self.pool(r[0](self.conv1(x)))
            x = (self.pool2 if two_pools else self.pool)(r[1](self.conv2(x)))
            x = x.view(-1, 16 * 5 * 5)
            x = r[2](self.fc1(x))
            x = r[3](self.fc2(x))
            return self.fc3(x)

    T.manual_seed(seed)
    return Net()


def lenet_pair(**kw):
    """(torch model, ember model) with identical weights (ember's bit-exact default init,
    checked here)."""
    tm, em = lenet(torch, **kw), lenet(ember, **kw)
    for (k, a), (_, b) in zip(tm.state_dict().items(), em.state_dict().items()):
        np.testing.assert_array_equal(b.numpy(), a.numpy(), err_msg=k)
    return tm, em


def images(n=3, seed=1):
    return np.random.default_rng(seed).standard_normal((n, 3, 32, 32)).astype(np.float32)


def to_np(x):
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return x.detach().numpy().copy()
    return np.asarray(x)


def convert(T, v):
    """numpy arrays -> T tensors, recursively through tuples and lists of arrays."""
    if isinstance(v, np.ndarray):
        return T.tensor(v)
    if isinstance(v, tuple):
        return tuple(convert(T, x) for x in v)
    return v


def assert_close(e, t, rtol=2e-4, atol_rel=2e-5, what="attr"):
    """ember result e vs Captum result t: same structure, shapes, dtypes; values within
    float32 tolerance (atol relative to the largest |value|)."""
    if isinstance(t, (tuple, list)):
        assert type(e) is type(t) or isinstance(e, type(t)), f"{what}: {type(e)} vs {type(t)}"
        assert len(e) == len(t), f"{what}: {len(e)} vs {len(t)}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_close(a, b, rtol, atol_rel, f"{what}[{i}]")
        return
    assert isinstance(e, ember.Tensor), f"{what}: ember gave {type(e)}"
    assert tuple(e.shape) == tuple(t.shape), f"{what}: {tuple(e.shape)} vs {tuple(t.shape)}"
    assert str(e.dtype) == str(t.dtype), f"{what}: {e.dtype} vs {t.dtype}"
    a, b = to_np(e), to_np(t)
    scale = float(np.abs(b).max()) if b.size else 0.0
    np.testing.assert_allclose(a, b, rtol=rtol, atol=max(atol_rel * scale, 1e-7),
                               err_msg=what)


def _call(fn, T, seed):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        if seed is not None:
            T.manual_seed(seed)
        out = fn(T)
    return out, [(x.category.__name__, str(x.message)) for x in w]


def run_both(fn, seed=None, **tol):
    """fn(T, A) with (torch, captum.attr) and (ember, ember.attr); compare results and the
    warnings each raised. Returns (ember result, captum result)."""
    import ember.attr as ember_attr
    t, wt = _call(lambda T: fn(T, captum_attr), torch, seed)
    e, we = _call(lambda T: fn(T, ember_attr), ember, seed)
    assert we == wt, f"warnings differ:\n ember: {we}\n captum: {wt}"
    assert_close(e, t, **tol)
    return e, t
