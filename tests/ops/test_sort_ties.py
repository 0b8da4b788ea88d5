"""Equal values and NaN in sort/topk/kthvalue/median/nanmedian/mode: the indices torch's CPU
kernels pick (libstdc++'s std::sort / partial_sort / nth_element and ATen's quickselect,
replayed where ties decide), against torch on seeded tie-heavy inputs."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from tests.oracle import check

OPS = {
    "topk": lambda T, v, k, lg, st: T.topk(v, k, largest=lg, sorted=st).indices,
    "sort": lambda T, v, k, lg, st: T.sort(v, descending=lg).indices,
    "sort_stable": lambda T, v, k, lg, st: T.sort(v, descending=lg, stable=True).indices,
    "argsort": lambda T, v, k, lg, st: T.argsort(v, descending=lg),
    "kthvalue": lambda T, v, k, lg, st: T.kthvalue(v, max(k, 1)).indices,
    "median": lambda T, v, k, lg, st: T.median(v, -1).indices,
    "nanmedian": lambda T, v, k, lg, st: T.nanmedian(v, -1).indices,
    "mode": lambda T, v, k, lg, st: T.mode(v).indices,
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_tie_breaking_matches_torch(name):
    rng = np.random.default_rng(hash(name) % 1000)
    fn = OPS[name]
    for _ in range(150):
        n = int(rng.integers(1, 150))
        vals = rng.integers(0, int(rng.integers(1, 6)), (2, n)).astype(np.float32)
        if rng.random() < 0.3:
            vals[rng.random((2, n)) < rng.random()] = np.nan
        k = int(rng.integers(0, n + 1))
        lg, st = bool(rng.random() < 0.7), bool(rng.random() < 0.8)
        t = fn(torch, torch.tensor(vals), k, lg, st).numpy()
        e = fn(ember, ember.tensor(vals), k, lg, st).numpy()
        np.testing.assert_array_equal(e, t, err_msg=f"{name} n={n} k={k} {vals.tolist()}")


def test_topk_ties_along_other_dims_and_ints():
    x = np.random.default_rng(0).integers(0, 3, (5, 40, 9))
    for d in (0, 1, 2):
        for k in (1, 3):
            t = torch.topk(torch.tensor(x), k, dim=d)
            e = ember.topk(ember.tensor(x), k, dim=d)
            np.testing.assert_array_equal(e.indices.numpy(), t.indices.numpy())
        np.testing.assert_array_equal(ember.sort(ember.tensor(x), dim=d).indices.numpy(),
                                      torch.sort(torch.tensor(x), dim=d).indices.numpy())


def test_nanmedian_dim_values_and_grad():
    a = np.random.default_rng(1).standard_normal((3, 5)).astype(np.float32)
    a[0, 1] = a[1, :] = a[2, 3] = np.nan
    e, t = check(lambda T, x: T.nanmedian(x, 1).values, [a])
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__
