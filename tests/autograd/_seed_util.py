"""Run one tutorial cell with T=torch and T=ember and compare what each prints.

Object addresses are masked; numbers are compared with a small tolerance (float32 results may
differ in the last bits, e.g. 1 + sin(x) near zero); everything else must match exactly.
"""
from __future__ import annotations

import contextlib
import io
import re
import warnings

import torch

import ember

_NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:e[-+]?\d+)?")


def capture(cell, T):
    """stdout of cell(T), plus the text of the warnings it raised."""
    buf = io.StringIO()
    with warnings.catch_warnings(record=True) as w, contextlib.redirect_stdout(buf):
        warnings.simplefilter("always")
        cell(T)
    return buf.getvalue(), [str(x.message).split(" (Triggered internally")[0] for x in w]


def mask(s):
    return re.sub(r"0x[0-9a-f]+", "0x?", s)


def same_text(want, got, rtol=1e-4, atol=1e-6):
    """Lines equal after masking, numbers equal within tolerance."""
    wl, gl = mask(want).splitlines(), mask(got).splitlines()
    assert len(wl) == len(gl), f"{len(gl)} lines printed, torch printed {len(wl)}:\n{got}"
    for i, (a, b) in enumerate(zip(wl, gl)):
        assert _NUM.sub("#", a) == _NUM.sub("#", b), f"line {i + 1}:\n torch: {a}\n ember: {b}"
        for x, y in zip(_NUM.findall(a), _NUM.findall(b)):
            fx, fy = float(x), float(y)
            assert abs(fx - fy) <= atol + rtol * abs(fx), f"line {i + 1}: {x} vs {y}\n{a}\n{b}"


def check_cell(cell, **kw):
    """The cell prints the same under ember as under torch (and warns the same)."""
    tout, twarn = capture(cell, torch)
    eout, ewarn = capture(cell, ember)
    same_text(tout, eout, **kw)
    assert ewarn == twarn
    return tout, eout
