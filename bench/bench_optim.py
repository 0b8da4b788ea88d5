"""Optimizer step cost on LeNet-sized parameters: ember vs torch (single-tensor foreach=False,
and torch's default), in one process. `python bench/bench_optim.py` prints a table; the cases
also run from bench/run.py (CASES).

The parameter shapes are LeNet's (conv 6x3x5x5, conv 16x6x5x5, fc 120x400, 84x120, 10x84
and their biases, 62k floats); gradients are set once, so only step() is timed.
"""
from __future__ import annotations

import os
import sys

import numpy as np

LENET = [(6, 3, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,),
         (10, 84), (10,)]


def _params(T, seed=0):
    rng = np.random.default_rng(seed)
    ps = []
    for s in LENET:
        p = T.tensor(rng.standard_normal(s).astype(np.float32) * 0.1, requires_grad=True)
        p.grad = T.tensor(rng.standard_normal(s).astype(np.float32) * 0.01)
        ps.append(p)
    return ps


def _case(name, **kw):
    def build():
        import torch
        import ember
        cls_t, cls_e = getattr(torch.optim, name), getattr(ember.optim, name)
        t_loop = cls_t(_params(torch), foreach=False, **kw)
        t_default = cls_t(_params(torch), **kw)
        e = cls_e(_params(ember), **kw)
        return {"torch": t_loop.step, "ember": e.step, "torch_default": t_default.step,
                "numpy": _numpy_floor(name, **kw)}
    build.__doc__ = f"{name}({kw}).step() on LeNet's 10 parameters"
    return build


def _numpy_floor(name, lr, momentum=0.0, betas=(0.9, 0.999), eps=1e-8):
    """The same update as bare NumPy in-place calls on preallocated arrays (no tensors, no
    state dicts): the floor the ember step is measured against."""
    rng = np.random.default_rng(0)
    ps = [rng.standard_normal(s).astype(np.float32) for s in LENET]
    gs = [rng.standard_normal(s).astype(np.float32) for s in LENET]
    bufs = [g.copy() for g in gs]
    vs = [np.zeros_like(p) for p in ps]
    tmp = [np.empty_like(p) for p in ps]
    c = [np.array(v, np.float32) for v in (lr, momentum, 1 - betas[0], betas[1],
                                           1 - betas[1], eps)]

    def sgd():
        for p, g, b, t in zip(ps, gs, bufs, tmp):
            b *= c[1]
            b += g
            np.multiply(b, c[0], out=t)
            p -= t

    def adam():
        for p, g, m, v, t in zip(ps, gs, bufs, vs, tmp):
            np.subtract(g, m, out=t)
            t *= c[2]
            m += t
            v *= c[3]
            np.multiply(g, c[4], out=t)
            t *= g
            v += t
            d = np.sqrt(v)
            d += c[5]
            np.multiply(m, c[0], out=t)
            t /= d
            p -= t
    return sgd if name == "SGD" else adam


def _zero_grad_case():
    import torch
    import ember
    t, e = _params(torch), _params(ember)
    ot = torch.optim.SGD(t, lr=0.01)
    oe = ember.optim.SGD(e, lr=0.01)
    return {"torch": lambda: ot.zero_grad(set_to_none=False),
            "ember": lambda: oe.zero_grad(set_to_none=False)}


CASES = {
    "optim_sgd_momentum_lenet": _case("SGD", lr=0.01, momentum=0.9),
    "optim_adam_lenet": _case("Adam", lr=1e-3),
    "optim_zero_grad_lenet": _zero_grad_case,
}


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="torch intra-op threads (default 1: ember's NumPy updates are "
                         "single-threaded, and OpenMP spinning distorts timings on busy hosts)")
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(args.torch_threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from run import compare, fmt
    print(f"{'case':<26} {'torch foreach=False':>20} {'torch default':>14} {'ember':>10} "
          f"{'numpy floor':>12} {'ember/torch(loop)':>18}")
    for name, build in CASES.items():
        fns = build()
        res = compare(fns, repeats=15, target=0.02)
        td = fmt(res["torch_default"]) if "torch_default" in res else "-"
        nf = fmt(res["numpy"]) if "numpy" in res else "-"
        print(f"{name:<26} {fmt(res['torch']):>20} {td:>14} {fmt(res['ember']):>10} "
              f"{nf:>12} {res['ember'] / res['torch']:>18.2f}", flush=True)


if __name__ == "__main__":
    main()
