"""ember vs torch, in one process, interleaved: `python bench/run.py [--case NAME] [--quick]`.

Each case builds the same work for torch, for ember and (where a hand-written floor makes sense)
for plain NumPy, then times them in alternation (so machine noise hits all alike) and reports
medians and the ember/torch ratio. Cases from other modules (bench_*.py with a CASES dict)
are collected too. Results print as a table; `--markdown` prints BENCHMARKS.md rows.
"""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def timeit(fn, number):
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def calibrate(fn, target=0.02):
    n = 1
    while True:
        t = timeit(fn, n)
        if t * n >= target or n >= 1_000_000:
            return max(1, int(n * target / max(t * n, 1e-9)))
        n *= 4


def compare(fns, repeats=15, target=0.02):
    """fns: {label: callable}. Interleaved timing; returns {label: median seconds per call}."""
    for f in fns.values():
        f()  # warm up
    numbers = {k: calibrate(f, target) for k, f in fns.items()}
    samples = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            samples[k].append(timeit(f, numbers[k]))
    return {k: statistics.median(v) for k, v in samples.items()}


# ---- cases ------------------------------------------------------------------------------------

def case_small_op():
    """4x4 float32 add, no grad: per-op overhead."""
    import numpy as np
    import torch
    import ember
    a, b = torch.rand(4, 4), torch.rand(4, 4)
    ea, eb = ember.rand(4, 4), ember.rand(4, 4)
    na, nb = np.random.rand(4, 4).astype(np.float32), np.random.rand(4, 4).astype(np.float32)
    return {"torch": lambda: a + b, "ember": lambda: ea + eb, "numpy": lambda: na + nb}


def case_small_op_mixed():
    """4x4 sin, mul by scalar, sum: a few different small ops without grad."""
    import torch
    import ember
    a = torch.rand(4, 4)
    ea = ember.rand(4, 4)
    return {"torch": lambda: (a.sin() * 2.0).sum(), "ember": lambda: (ea.sin() * 2.0).sum()}


def _chain(T, x):
    y = x
    for _ in range(33):
        y = (y + x) * x
        y = y.sin()
    return y.sum()


def case_chain_fwd_bwd():
    """Forward+backward of a chain of 100 small ops (4x4 add/mul/sin): time per op."""
    import torch
    import ember
    tx = torch.rand(4, 4, requires_grad=True)
    ex = ember.rand(4, 4, requires_grad=True)

    def t():
        _chain(torch, tx).backward()

    def e():
        _chain(ember, ex).backward()
    return {"torch": t, "ember": e, "_per": 100}


def case_chain_fwd():
    """Forward only (no grad) chain of 100 small ops: time per op."""
    import torch
    import ember
    tx = torch.rand(4, 4)
    ex = ember.rand(4, 4)
    return {"torch": lambda: _chain(torch, tx), "ember": lambda: _chain(ember, ex), "_per": 100}


def case_matmul_1024():
    """1024x1024 float32 matmul (BLAS)."""
    import numpy as np
    import torch
    import ember
    a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
    ea, eb = ember.rand(1024, 1024), ember.rand(1024, 1024)
    na, nb = ea.numpy(), eb.numpy()
    return {"torch": lambda: a @ b, "ember": lambda: ea @ eb, "numpy": lambda: na @ nb,
            "_repeats": 7, "_target": 0.05}


def _mlp_case(batch):
    def case():
        import numpy as np
        import torch
        import ember
        x = np.random.default_rng(0).standard_normal((batch, 784)).astype(np.float32)
        y = np.random.default_rng(1).integers(0, 10, batch)

        def build(T):
            T.manual_seed(0)
            net = T.nn.Sequential(T.nn.Linear(784, 256), T.nn.ReLU(), T.nn.Linear(256, 128),
                                  T.nn.ReLU(), T.nn.Linear(128, 10))
            opt = T.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
            loss_fn = T.nn.CrossEntropyLoss()
            xt, yt = T.tensor(x), T.tensor(y)

            def step():
                opt.zero_grad()
                loss_fn(net(xt), yt).backward()
                opt.step()
            return step
        return {"torch": build(torch), "ember": build(ember)}
    case.__doc__ = f"MLP 784-256-128-10 training step (SGD momentum), batch {batch}"
    return case


def case_import():
    """Wall time of `import ember` / `import torch` / `import numpy` in a fresh interpreter."""
    # bytecode caching on, as in any normal install (the first, warm-up run writes the .pyc)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def imp(mod):
        def f():
            subprocess.run([sys.executable, "-c", f"import {mod}"], check=True, env=env)
        return f
    return {"torch": imp("torch"), "ember": imp("ember"), "numpy": imp("numpy"),
            "_repeats": 5, "_target": 0.0}


CASES = {
    "small_op": case_small_op,
    "small_op_mixed": case_small_op_mixed,
    "chain_fwd": case_chain_fwd,
    "chain_fwd_bwd": case_chain_fwd_bwd,
    "matmul_1024": case_matmul_1024,
    "mlp_train_b64": _mlp_case(64),
    "mlp_train_b512": _mlp_case(512),
    "import": case_import,
}


def collect_cases():
    cases = dict(CASES)
    for fn in sorted(os.listdir(HERE)):
        if fn.startswith("bench_") and fn.endswith(".py"):
            try:
                mod = importlib.import_module(fn[:-3])
            except Exception as e:  # a broken extra module must not hide the others
                print(f"(skipping {fn}: {type(e).__name__}: {e})", file=sys.stderr)
                continue
            for k, v in getattr(mod, "CASES", {}).items():
                cases[k] = v
    return cases


def install_size():
    """(bytes on disk, bytes deflated as in a wheel) of the ember package, caches excluded."""
    import io
    import zipfile
    import ember
    root = os.path.dirname(ember.__file__)
    total = 0
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for dp, _, files in os.walk(root):
            if "__pycache__" in dp:
                continue
            for f in files:
                path = os.path.join(dp, f)
                total += os.path.getsize(path)
                z.write(path, os.path.relpath(path, root))
    return total, buf.tell()


def fmt(t):
    if t < 1e-3:
        return f"{t * 1e6:.2f} us"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", action="append")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--threads", type=int, default=None,
                    help="intra-op threads for torch and BLAS threads for ember (default: "
                         "each library's default)")
    args = ap.parse_args(argv)
    if args.threads:
        import torch
        import ember
        torch.set_num_threads(args.threads)
        ember.set_num_threads(args.threads)
    cases = collect_cases()
    names = args.case or list(cases)
    rows = []
    for name in names:
        spec = cases[name]()
        per = spec.pop("_per", 1)
        reps = spec.pop("_repeats", 5 if args.quick else 15)
        target = spec.pop("_target", 0.005 if args.quick else 0.02)
        res = compare(spec, repeats=reps, target=target)
        res = {k: v / per for k, v in res.items()}
        ratio = res["ember"] / res["torch"]
        extra = f"  numpy {fmt(res['numpy'])}" if "numpy" in res else ""
        print(f"{name:<22} torch {fmt(res['torch']):>10}  ember {fmt(res['ember']):>10}  "
              f"ratio {ratio:5.2f}{extra}" + ("  (per op)" if per > 1 else ""), flush=True)
        rows.append((name, res, ratio, per))
    size, packed = install_size()
    print(f"{'install size':<22} ember package {size / 1024:.0f} KiB on disk, "
          f"{packed / 1024:.0f} KiB compressed (the wheel)")
    if args.markdown:
        print("\n| case | torch | ember | ember/torch | numpy |\n|---|---|---|---|---|")
        for name, res, ratio, per in rows:
            n = fmt(res["numpy"]) if "numpy" in res else ""
            print(f"| {name}{' (per op)' if per > 1 else ''} | {fmt(res['torch'])} | "
                  f"{fmt(res['ember'])} | {ratio:.2f} | {n} |")
        import numpy
        import torch
        print(f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}, NumPy {numpy.__version__}, torch {torch.__version__}"
              f", threads {args.threads or 'default'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
