"""Top-level names the pytorch/examples programs use (found running them under ember):
`import torch.onnx` (word_language_model imports it for an optional export) and `torch.spmm`
(gcn), which for strided operands is torch.mm, gradients included."""
from __future__ import annotations

import importlib

import pytest
import torch

import ember
from tests.oracle import check, check_raises


def test_onnx_module_imports_and_export_says_not_implemented():
    assert importlib.import_module("ember.onnx") is ember.onnx
    assert ember.onnx.is_in_onnx_export() is torch.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match="torch.onnx.export"):
        ember.onnx.export(ember.nn.Linear(2, 2), (ember.ones(1, 2),), "m.onnx")
    with pytest.raises(AttributeError, match="ember does not implement torch.onnx.no_such"):
        ember.onnx.no_such


def test_onnx_imports_under_the_torch_alias(tmp_path):
    import subprocess
    import sys
    prog = tmp_path / "p.py"
    prog.write_text("import torch.onnx\nimport torch\nprint(torch.onnx.is_in_onnx_export())\n")
    r = subprocess.run([sys.executable, "-m", "ember", "run", str(prog)], capture_output=True,
                       text=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "False\n"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_spmm_strided_is_mm(dtype):
    import numpy as np
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal((3, 5)).astype(dtype)
    check(lambda T, x, y: T.spmm(x, y), [a, b], grad=True, gradgrad=True)


def test_spmm_grad_fn_and_errors():
    for T in (torch, ember):
        y = T.spmm(T.ones(2, 3), T.ones(3, 2, requires_grad=True))
        assert type(y.grad_fn).__name__ == "MmBackward0"
    check_raises(lambda T: T.spmm(T.ones(2, 3), T.ones(2, 2)))
    check_raises(lambda T: T.spmm(T.ones(3), T.ones(3, 2)))
