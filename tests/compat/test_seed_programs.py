"""Programs written for PyTorch print the same under ember as under torch.

Each program in programs/ runs twice in a subprocess: with real torch, and through ember's
import alias (`python -m ember run`). stdout must match line by line (object addresses
masked). Text must be identical; numbers in a line may differ only by float round-off
(BLAS sums in another order), which the long decimals of `loss.item()` expose."""
from __future__ import annotations

import math
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = sorted(f for f in os.listdir(os.path.join(HERE, "programs")) if f.endswith(".py"))
_NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _start(args, cwd):
    # one BLAS/OpenMP thread: the programs are small, and spinning pools on a shared 2-core
    # machine make small matrix products many times slower (for torch and ember alike)
    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    os.makedirs(cwd, exist_ok=True)
    return subprocess.Popen([sys.executable] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)


def _finish(proc):
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += "\n(timed out after 300 s)"
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _run(args, cwd):
    return _finish(_start(args, cwd))


def _mask(s):
    return re.sub(r"0x[0-9a-f]+", "0x?", s)


def _close(a, b):
    """Two printed numbers agree up to round-off: relative 1e-4, or one unit in the last
    printed decimal place (a 4-decimal tensor entry near a rounding boundary)."""
    if a == b:
        return True
    if ("." in a) != ("." in b) or ("e" in a.lower()) != ("e" in b.lower()):
        return False  # 1 against 1., or 1e-05 against 0.00001: a different print rule
    if "." not in a and "e" not in a.lower():
        return False  # integers are exact
    x, y = float(a), float(b)
    if math.isclose(x, y, rel_tol=1e-4, abs_tol=1e-6):
        return True
    places = max(len(s.split(".")[1].split("e")[0].split("E")[0]) if "." in s else 0
                 for s in (a, b))
    return "e" not in a.lower() and abs(x - y) <= 1.01 * 10.0 ** -places


def lines_match(want, got):
    if want == got:
        return True
    if _NUM.sub("#", want).replace(" ", "") != _NUM.sub("#", got).replace(" ", ""):
        return False
    wn, gn = _NUM.findall(want), _NUM.findall(got)
    return len(wn) == len(gn) and all(_close(a, b) for a, b in zip(wn, gn))


def test_lines_match_can_fail():
    assert lines_match("loss: 0.123456789", "loss: 0.123456790")
    assert lines_match("tensor([0.1235, 2.0000])", "tensor([0.1234, 2.0000])")
    assert not lines_match("tensor([0.1235, 2.0000])", "tensor([0.1233, 2.0000])")
    assert not lines_match("loss: 0.1235", "loss: 0.1237")
    assert not lines_match("a b", "ab c")
    assert not lines_match("epoch 1", "epoch 2")
    assert not lines_match("tensor([1., 2.])", "tensor([1, 2])")


@pytest.mark.parametrize("program", PROGRAMS)
def test_program_matches_torch(program, tmp_path):
    path = os.path.join(HERE, "programs", program)
    # torch and ember run side by side (one core each), each in its own working directory
    tp = _start([path], tmp_path / "torch")
    ep = _start(["-m", "ember", "run", path], tmp_path / "ember")
    t, e = _finish(tp), _finish(ep)
    assert t.returncode == 0, t.stderr
    assert e.returncode == 0, e.stderr
    want, got = _mask(t.stdout).splitlines(), _mask(e.stdout).splitlines()
    for i, (a, b) in enumerate(zip(want, got)):
        assert lines_match(a, b), f"{program} line {i + 1} differs:\n torch: {a}\n ember: {b}"
    assert len(want) == len(got)
