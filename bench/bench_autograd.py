"""Autograd overhead per small op: ember vs torch (and a hand-written NumPy floor), in one
process, interleaved. `python bench/bench_autograd.py` prints a table; the cases also run from
bench/run.py (CASES).

The chain is 99 ops on 4x4 float32 (33 x: h = h + y; h = h * y; h = h.sin()) plus a sum, where
only the input x requires grad; times are reported per op. The NumPy floor does the same
forward and the matching hand-written backward (what a perfect engine would still pay).
"""
from __future__ import annotations

import os
import sys

import numpy as np

N_BLOCKS = 33
N_OPS = 3 * N_BLOCKS + 1


def _chain(h, y):
    for _ in range(N_BLOCKS):
        h = h + y
        h = h * y
        h = h.sin()
    return h.sum()


def _numpy_fwd_bwd(x, y):
    """The chain and its gradient w.r.t. x, by hand: the floor for any engine on NumPy."""
    saved = []
    h = x
    for _ in range(N_BLOCKS):
        h = h + y
        h = h * y
        saved.append(h)
        h = np.sin(h)
    s = h.sum()
    g = np.ones_like(h)
    for pre in reversed(saved):
        g = g * np.cos(pre)
        g = g * y
    return s, g


def _inputs(T):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (4, 4)).astype(np.float32)
    y = rng.uniform(0.5, 1, (4, 4)).astype(np.float32)
    return T.tensor(x, requires_grad=True), T.tensor(y), x, y


def case_chain_fwd_bwd():
    """forward + backward of 100 small ops, x.requires_grad (time per op)"""
    import torch
    import ember
    tx, ty, nx, ny = _inputs(torch)
    ex, ey, _, _ = _inputs(ember)

    def t():
        tx.grad = None
        _chain(tx, ty).backward()

    def e():
        ex.grad = None
        _chain(ex, ey).backward()
    return {"torch": t, "ember": e, "numpy": lambda: _numpy_fwd_bwd(nx, ny), "_per": N_OPS}


def case_chain_fwd_graph():
    """forward only, recording the graph (x.requires_grad; freed unused) (time per op)"""
    import torch
    import ember
    tx, ty, _, _ = _inputs(torch)
    ex, ey, _, _ = _inputs(ember)
    return {"torch": lambda: _chain(tx, ty), "ember": lambda: _chain(ex, ey), "_per": N_OPS}


def case_chain_fwd_nograd():
    """forward only, no tensor requires grad (time per op)"""
    import torch
    import ember
    tx, ty, nx, ny = _inputs(torch)
    ex, ey, _, _ = _inputs(ember)
    tx, ex = tx.detach(), ex.detach()

    def n():
        h = nx
        for _ in range(N_BLOCKS):
            h = np.sin((h + ny) * ny)
        return h.sum()
    return {"torch": lambda: _chain(tx, ty), "ember": lambda: _chain(ex, ey), "numpy": n,
            "_per": N_OPS}


def case_small_ops():
    """one 4x4 add, mul and sin each without grad (time per op)"""
    import torch
    import ember
    tx, ty, nx, ny = _inputs(torch)
    ex, ey, _, _ = _inputs(ember)
    tx, ex = tx.detach(), ex.detach()
    return {"torch": lambda: ((tx + ty) * ty).sin(), "ember": lambda: ((ex + ey) * ey).sin(),
            "numpy": lambda: np.sin((nx + ny) * ny), "_per": 3}


CASES = {
    "autograd_chain_fwd_bwd": case_chain_fwd_bwd,
    "autograd_chain_fwd_graph": case_chain_fwd_graph,
    "autograd_chain_fwd_nograd": case_chain_fwd_nograd,
    "autograd_small_ops": case_small_ops,
}


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--torch-threads", type=int, default=1)
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(args.torch_threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from run import compare, fmt
    print(f"{'case':<28} {'torch':>10} {'ember':>10} {'numpy':>10} {'ember/torch':>12}")
    for name, build in CASES.items():
        spec = build()
        per = spec.pop("_per", 1)
        res = compare(spec, repeats=5 if args.quick else 15, target=0.005 if args.quick else 0.02)
        res = {k: v / per for k, v in res.items()}
        n = fmt(res["numpy"]) if "numpy" in res else "-"
        print(f"{name:<28} {fmt(res['torch']):>10} {fmt(res['ember']):>10} {n:>10} "
              f"{res['ember'] / res['torch']:>12.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
