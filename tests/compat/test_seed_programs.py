"""The seed tutorial's code cells, as programs, print the same under ember as under torch.

Each program in programs/ runs twice in a subprocess: with real torch, and through ember's
import alias (`python -m ember run`). stdout must be identical (object addresses masked)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = sorted(f for f in os.listdir(os.path.join(HERE, "programs")) if f.endswith(".py"))


def _run(args):
    env = dict(os.environ, PYTHONHASHSEED="0")
    p = subprocess.run([sys.executable] + args, capture_output=True, text=True, timeout=300,
                       env=env, cwd=HERE)
    return p


def _mask(s):
    return re.sub(r"0x[0-9a-f]+", "0x?", s)


@pytest.mark.parametrize("program", PROGRAMS)
def test_program_matches_torch(program):
    path = os.path.join(HERE, "programs", program)
    t = _run([path])
    assert t.returncode == 0, t.stderr
    e = _run(["-m", "ember", "run", path])
    assert e.returncode == 0, e.stderr
    want, got = _mask(t.stdout).splitlines(), _mask(e.stdout).splitlines()
    for i, (a, b) in enumerate(zip(want, got)):
        assert a == b, f"line {i + 1} differs:\n torch: {a}\n ember: {b}"
    assert len(want) == len(got)
