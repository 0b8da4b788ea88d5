"""Fused add-product ops (addmv, baddbmm, addbmm, addr: torch's node names, values, first and
second gradients, errors) and float16/bfloat16 contractions and fused ops, which torch computes
in float32 and rounds once: dtype and values against torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from tests.oracle import check, check_raises, random_array as R

CASES = {
    "addmv": (lambda T, c, a, b, **k: T.addmv(c, a, b, **k), ((3,), (3, 4), (4,))),
    "addmv_bcast": (lambda T, c, a, b, **k: T.addmv(c, a, b, **k), ((1,), (3, 4), (4,))),
    "baddbmm": (lambda T, c, a, b, **k: T.baddbmm(c, a, b, **k), ((2, 3, 4), (2, 3, 5),
                                                                  (2, 5, 4))),
    "baddbmm_bcast": (lambda T, c, a, b, **k: T.baddbmm(c, a, b, **k), ((3, 1), (2, 3, 5),
                                                                        (2, 5, 4))),
    "addbmm": (lambda T, c, a, b, **k: T.addbmm(c, a, b, **k), ((3, 4), (2, 3, 5), (2, 5, 4))),
    "addr": (lambda T, c, a, b, **k: T.addr(c, a, b, **k), ((3, 4), (3,), (4,))),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("coef", [{}, {"beta": 0.5, "alpha": -2.0}, {"beta": 0}])
def test_add_product_values_and_grads(name, coef):
    fn, shapes = CASES[name]
    arrays = [R(s, "float64", seed=i) for i, s in enumerate(shapes)]
    e, t = check(lambda T, c, a, b: fn(T, c, a, b, **coef), arrays, gradgrad=True)
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__


@pytest.mark.parametrize("name", sorted(CASES))
def test_add_product_node_names(name):
    fn, shapes = CASES[name]
    names = []
    for T in (torch, ember):
        ins = [T.tensor(R(s, seed=i), requires_grad=True) for i, s in enumerate(shapes)]
        names.append(repr(fn(T, *ins).grad_fn).split(" object")[0])
    assert names[0] == names[1] and names[0] != "<AddBackward0"


def test_beta_zero_ignores_nan_input():
    c = np.full((3,), np.nan, dtype=np.float32)
    check(lambda T, c, a, b: T.addmv(c, a, b, beta=0), [c, R((3, 4)), R((4,))], grad=False)


@pytest.mark.parametrize("fn", [
    lambda T: T.addmv(T.ones(3, dtype=T.float64), T.ones(3, 4), T.ones(4)),
    lambda T: T.addmv(T.ones(3), T.ones(3, 4), T.ones(4, dtype=T.float64)),
    lambda T: T.addmv(T.ones(4), T.ones(3, 4), T.ones(4)),
    lambda T: T.addmv(T.ones(3), T.ones(3, 4), T.ones(5)),
    lambda T: T.baddbmm(T.ones(2, 3, 4, dtype=T.float64), T.ones(2, 3, 5), T.ones(2, 5, 4)),
    lambda T: T.baddbmm(T.ones(2, 3, 4), T.ones(2, 3, 5), T.ones(2, 5, 4, dtype=T.float64)),
    lambda T: T.baddbmm(T.ones(2, 3, 5), T.ones(2, 3, 5), T.ones(2, 5, 4)),
    lambda T: T.baddbmm(T.ones(2, 3, 4), T.ones(2, 3, 5), T.ones(3, 5, 4)),
    lambda T: T.addbmm(T.ones(3, 4, dtype=T.float64), T.ones(2, 3, 5), T.ones(2, 5, 4)),
    lambda T: T.addbmm(T.ones(3, 5), T.ones(2, 3, 5), T.ones(2, 5, 4)),
    lambda T: T.addr(T.ones(3, 5), T.ones(3), T.ones(4)),
    lambda T: T.addr(T.ones(3, 4), T.ones(3, 1), T.ones(4)),
])
def test_add_product_errors(fn):
    check_raises(fn)


def test_addr_mixed_dtypes_promote():
    # values only: torch's own addr backward fails for mixed dtypes (its addmv dtype check)
    check(lambda T, c, a, b: T.addr(c, a, b), [R((3, 4), "float64"), R((3,)), R((4,))],
          grad=False)


# ---- float16 / bfloat16: torch computes in float32 and rounds once -----------------------------

LOWP_OPS = {
    "mm": (lambda T, a, b: a @ b, ((4, 5), (5, 3))),
    "matmul_3d": (lambda T, a, b: T.matmul(a, b), ((2, 4, 5), (5, 3))),
    "bmm": (lambda T, a, b: T.bmm(a, b), ((2, 4, 5), (2, 5, 3))),
    "mv": (lambda T, a, b: T.mv(a, b), ((4, 5), (5,))),
    "dot": (lambda T, a, b: T.dot(a, b), ((50,), (50,))),
    "linear": (lambda T, a, b: T.nn.functional.linear(a, b), ((4, 5), (3, 5))),
    "addmm": (lambda T, a, b: T.addmm(a[0, :3], a, b), ((4, 5), (5, 3))),
    "baddbmm": (lambda T, a, b: T.baddbmm(a[:, :, :1], a, b), ((2, 4, 5), (2, 5, 3))),
    "conv2d": (lambda T, a, b: T.nn.functional.conv2d(a, b), ((2, 3, 6, 6), (4, 3, 3, 3))),
    "conv_transpose2d": (lambda T, a, b: T.nn.functional.conv_transpose2d(a, b),
                         ((2, 3, 4, 4), (3, 4, 3, 3))),
    "einsum": (lambda T, a, b: T.einsum("ij,jk->ik", a, b), ((4, 5), (5, 3))),
    "softmax": (lambda T, a, b: T.softmax(a * b, 1), ((4, 50), (4, 50))),
    "log_softmax": (lambda T, a, b: T.log_softmax(a * b, 1), ((4, 50), (4, 50))),
    "gelu": (lambda T, a, b: T.nn.functional.gelu(a * b), ((4, 50), (4, 50))),
    "layer_norm": (lambda T, a, b: T.nn.functional.layer_norm(a * b, (50,)), ((4, 50), (4, 50))),
    "mse": (lambda T, a, b: T.nn.functional.mse_loss(a, b), ((4, 50), (4, 50))),
    "sdpa": (lambda T, a, b: T.nn.functional.scaled_dot_product_attention(a, b, b),
             ((1, 2, 4, 8), (1, 2, 4, 8))),
}


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", sorted(LOWP_OPS))
def test_low_precision_dtype_and_values(name, dtype):
    fn, shapes = LOWP_OPS[name]
    outs = {}
    for T in (torch, ember):
        ins = [T.tensor(R(s, seed=i)).to(getattr(T, dtype)) for i, s in enumerate(shapes)]
        outs[T] = fn(T, *ins)
    e, t = outs[ember], outs[torch]
    assert str(e.dtype) == str(t.dtype)
    got = np.asarray(e.float()._data, dtype=np.float64)
    want = t.float().numpy().astype(np.float64)
    # one rounding to a 8-bit (bf16) or 11-bit (f16) mantissa: at most 1 ulp apart, where
    # rounding after each step would be several
    ulp = 2.0 ** -7 if dtype == "bfloat16" else 2.0 ** -10
    # torch rounds its transposed-convolution columns and its attention weights to the low
    # dtype before the last step; ember keeps them in float32
    ulp *= {"conv_transpose2d": 4, "sdpa": 3}.get(name, 1)
    # the transposed convolution's rounded columns cancel: its error scales with the output
    atol = ulp * (np.abs(want).max() if name == "conv_transpose2d" else 0.05)
    np.testing.assert_allclose(got, want, rtol=ulp, atol=atol)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_low_precision_linear_grads_keep_dtype(dtype):
    res = {}
    for T in (torch, ember):
        T.manual_seed(0)
        lin = T.nn.Linear(5, 3).to(getattr(T, dtype))
        x = T.tensor(R((4, 5))).to(getattr(T, dtype))
        lin(x).sum().backward()
        res[T] = lin.weight.grad
    assert str(res[ember].dtype) == str(res[torch].dtype)
    np.testing.assert_allclose(np.asarray(res[ember].float()._data),
                               res[torch].float().numpy(), rtol=1e-2, atol=1e-2)


SCALAR_EXPRS = ["x*0.1", "x+0.1", "0.1-x", "1/x", "x**2", "2**x", "x/3.3", "x-0.2", "x*x",
                "x+x*0.3", "x.add(3.3)", "x.sub(3.3, alpha=2)", "T.fmod(x, 0.3)",
                "T.remainder(x, 0.3)", "x.pow(3.3)", "T.rsub(x, 3.3)", "x % 0.3", "x // 0.3",
                "T.clamp(x, 0.1, 0.7)", "T.atan2(x, x+1)", "x.mul(3)", "x + 3",
                "T.true_divide(x, 3)"]


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("expr", SCALAR_EXPRS)
def test_low_precision_with_numbers_bit_exact(expr, dtype):
    # torch rounds the number to the tensor's dtype for add/sub/pow/fmod/remainder, keeps it in
    # float32 for mul/div, computes in float32 and rounds once
    x = np.abs(R((2000,), seed=3)) + 0.01
    outs = {}
    for T in (torch, ember):
        t = T.tensor(x).to(getattr(T, dtype))
        outs[T] = eval(expr, {"x": t, "T": T})
    e, t = outs[ember], outs[torch]
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_array_equal(np.asarray(e.float()._data), t.float().numpy())
