"""Regressions for the core fixes ember.attr needed (torch is the spec): float32 linspace
rounds like torch's (Captum's riemann alphas), autograd.grad applies a leaf's tensor hooks
before returning its gradient (Captum's guided backprop hooks the model input when a ReLU
reads it directly), and its unused-input error names the input."""
import numpy as np
import torch
from oracle import check_raises

import ember


def test_grad_runs_leaf_hooks():
    out = []
    for T in (torch, ember):
        x = T.ones(3, requires_grad=True)
        x.register_hook(lambda g: g * 10)
        (g,) = T.autograd.grad((x * 2).sum(), x)
        out.append(g.tolist())
        (x * 2).sum().backward()       # backward() runs them once, too
        out.append(x.grad.tolist())
    assert out[:2] == out[2:] == [[20.0] * 3] * 2


def test_grad_unused_input_message():
    def fn(T):
        a, b = T.ones(2, requires_grad=True), T.ones(2, requires_grad=True)
        T.autograd.grad((a * 2).sum(), (a, b))
    check_raises(fn)


def test_linspace_float32_rounds_like_torch():
    # regression for ember.linspace (core fix): torch computes float32 linspace with a
    # float32 step and one rounding per value; the float64 path was 1 ulp off
    rng = np.random.default_rng(0)
    for n in list(range(1, 130)) + [257, 1001]:
        a, b = rng.uniform(-10, 10, 2)
        for s, e in ((0, 1), (0, 1 - 1 / n), (1 / (2 * n), 1 - 1 / (2 * n)), (a, b)):
            assert ember.linspace(s, e, n).tolist() == torch.linspace(s, e, n).tolist(), (s, e, n)


def test_attr_is_a_lazy_subpackage():
    # `import ember` then `ember.attr....` without importing ember.attr first
    import subprocess
    import sys
    code = "import ember; print(ember.attr.IntegratedGradients.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "IntegratedGradients"
