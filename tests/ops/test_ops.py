"""Differential tests generated from opinfo.OPS: each op, shape set and dtype against torch."""
from __future__ import annotations

import numpy as np
import pytest

from oracle import check, random_array
from ops.opinfo import OPS


def _cases():
    for op in OPS:
        for dt in op.dtypes:
            for k, shapes in enumerate(op.shapes):
                if len(shapes) != op.arity:
                    continue
                yield pytest.param(op, dt, shapes, id=f"{op.name}-{dt}-{k}")


def _inputs(op, dt, shapes):
    arrs = []
    for i, s in enumerate(shapes):
        lo, hi = op.domain
        a = random_array(s, "float64" if dt in ("float16", "bfloat16") else dt, lo, hi,
                         seed=i, positive=op.positive)
        if dt == "float16":
            a = a.astype(np.float16)
        arrs.append(np.asarray(a))
    return arrs


@pytest.mark.parametrize("op,dt,shapes", list(_cases()))
def test_op(op, dt, shapes):
    arrs = _inputs(op, dt, shapes)
    floaty = dt in ("float32", "float64")
    check(op.fn, arrs, grad=op.grad and floaty, gradgrad=op.gradgrad and dt == "float64",
          rtol=op.rtol, atol=op.atol, dtypes=[dt] * len(arrs) if dt == "bfloat16" else None)
