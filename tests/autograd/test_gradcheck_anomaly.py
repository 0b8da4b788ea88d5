"""gradcheck/gradgradcheck (finite differences in float64) and anomaly detection, vs torch."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

import ember
from oracle import check_raises

BOTH = (torch, ember)
X = np.random.default_rng(3).uniform(0.2, 1.2, (2, 3))


def x64(T, a=X):
    return T.tensor(a, dtype=T.float64, requires_grad=True)


def make_wrong(T, factor=1.01):
    class WrongExp(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x.exp() * factor
    return WrongExp


FUNCS = {
    "mul_sin": lambda T: (lambda a, b: (a * b).sin(), (x64(T), x64(T, X[::-1].copy()))),
    "matmul_tanh": lambda T: (lambda a, b: (a @ b.t()).tanh(), (x64(T), x64(T))),
    "reductions": lambda T: (lambda a: (a.sum(0), a.mean(1, keepdim=True), a.prod()),
                             (x64(T),)),
    "pow_log": lambda T: (lambda a: a.pow(2.5).log() + a ** a, (x64(T),)),
    "broadcast": lambda T: (lambda a, b: a / b, (x64(T), x64(T, X[0].copy()))),
    "index_cat": lambda T: (lambda a: T.cat([a[0], a[:, 1], a[[1, 0, 1], [2, 0, 0]]]),
                            (x64(T),)),
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_gradcheck_and_gradgradcheck_pass(name):
    for T in BOTH:
        f, inputs = FUNCS[name](T)
        assert T.autograd.gradcheck(f, inputs) is True
        assert T.autograd.gradgradcheck(f, inputs) is True
        assert T.autograd.gradcheck(f, inputs, fast_mode=True) is True


def test_gradcheck_failure_message_and_raise_exception():
    msgs = {}
    for T in BOTH:
        W = make_wrong(T)
        with pytest.raises(Exception) as ei:
            T.autograd.gradcheck(W.apply, (x64(T),))
        assert type(ei.value).__name__ == "GradcheckError"
        assert isinstance(ei.value, RuntimeError)
        msgs[T] = str(ei.value)
        assert T.autograd.gradcheck(W.apply, (x64(T),), raise_exception=False) is False
        # a loose tolerance accepts the 1% error
        assert T.autograd.gradcheck(W.apply, (x64(T),), rtol=0.05, atol=0.0)
    # "Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor(...)..."
    assert msgs[ember] == msgs[torch]


def test_gradgradcheck_catches_wrong_double_backward():
    for T in BOTH:
        class BadSquare(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return g * x.detach() * 2   # right value, no second derivative w.r.t. x
        assert T.autograd.gradcheck(BadSquare.apply, (x64(T),))
        assert not T.autograd.gradgradcheck(BadSquare.apply, (x64(T),), raise_exception=False)


def test_gradcheck_warns_for_float32_and_errors():
    for T in BOTH:
        x = T.tensor(X, dtype=T.float32, requires_grad=True)
        with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double"):
            T.autograd.gradcheck(lambda a: a * 2, (x,), eps=1e-3, atol=1e-2, rtol=1e-2)
    check_raises(lambda T: T.autograd.gradcheck(lambda a: a * 2, (T.ones(2, dtype=T.float64),)))
    check_raises(lambda T: T.autograd.gradcheck(
        lambda a: a * 2, (T.ones(1, dtype=T.float64).expand(3).requires_grad_(),)))


def test_gradcheck_nondeterministic_backward():
    for T in BOTH:
        calls = [0]

        class Flaky(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                calls[0] += 1
                return g * (2 + 1e-4 * calls[0])
        with pytest.raises(Exception, match="Backward is not reentrant"):
            T.autograd.gradcheck(Flaky.apply, (x64(T),), atol=1e-2, rtol=1e-2)


# ---- anomaly mode -----------------------------------------------------------------------

def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        err = None
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            err = e
    return err, [(x.category, str(x.message).split(" (Triggered internally")[0]) for x in w]


def _strip_frames(msg):
    """Keep the first line and the user's source lines of a forward traceback."""
    return [ln for ln in msg.split("\n") if ln and not ln.startswith("  File")]


def test_detect_anomaly_error_in_backward_warns_with_forward_traceback():
    out = {}
    for T in BOTH:
        class Bad(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                raise ValueError("oops")

        def run():
            with T.autograd.detect_anomaly():
                x = T.ones(2, requires_grad=True)
                y = Bad.apply(x) * 3
                y.sum().backward()
        err, ws = _warnings_of(run)
        out[T] = (type(err).__name__, str(err), [c for c, _ in ws], ws[0][1],
                  ws[1][1].split("\n")[0], "y = Bad.apply(x) * 3" in ws[1][1])
    assert out[ember] == out[torch]
    assert out[ember][-1]


def test_anomaly_nan_check_and_check_nan_false():
    out = {}
    for T in BOTH:
        def run():
            with T.autograd.set_detect_anomaly(True):
                x = T.zeros(2, requires_grad=True)
                y = (x / x).sum()
                y.backward()
        err, ws = _warnings_of(run)
        flags = (T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled())
        with T.autograd.set_detect_anomaly(True, check_nan=False):
            inner = (T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled())
            x = T.zeros(2, requires_grad=True)
            (x / x).sum().backward()
            g = x.grad.isnan().tolist()
        out[T] = (type(err).__name__, str(err), [ws[0][1].split("\n")[0]],
                  _strip_frames(ws[0][1])[1:], flags, inner, g)
    assert out[ember] == out[torch]


def test_anomaly_traceback_metadata_only_while_enabled():
    out = {}
    for T in BOTH:
        x = T.ones(2, requires_grad=True)
        off = dict((x * 2).grad_fn.metadata)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with T.autograd.detect_anomaly(check_nan=False):
                y = (x * 2).sum()
        tb = y.grad_fn.metadata["traceback_"]
        out[T] = (off, list(y.grad_fn.metadata), type(tb).__name__,
                  tb[-1].strip().split("\n")[-1])
    assert out[ember] == out[torch]


def test_set_detect_anomaly_as_function_and_version_error_warning():
    out = {}
    for T in BOTH:
        T.autograd.set_detect_anomaly(True)
        try:
            def run():
                a = T.randn(2, 2, requires_grad=True)
                b = a.exp()
                b.add_(1)
                b.sum().backward()
            err, ws = _warnings_of(run)
        finally:
            T.autograd.set_detect_anomaly(False)
        out[T] = (type(err).__name__, str(err).split(" Hint:")[0], ws[0][1].split("\n")[0],
                  re.search(r"b = a\.exp\(\)", ws[0][1]) is not None, T.is_anomaly_enabled())
    assert out[ember] == out[torch]
