"""torch.amp against torch: autocast's CPU op lists (dtypes, node names, the weight cache,
values), GradScaler's scaling/skip/backoff/growth arithmetic and errors, the deprecated
spellings and the CUDA-less warnings, custom_fwd/custom_bwd."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from tests.oracle import random_array as R

EXPRS = [
    "F.linear(x, w)", "F.linear(x, w, b)", "x @ x.T", "T.mm(x, x.T)", "T.matmul(x, x.T)",
    "T.bmm(x[None], x.T[None])", "T.addmm(b[:3, None], x, x.T)",
    "T.baddbmm(x[None, :, :3], x[None], x.T[None, :, :3])",
    "F.conv2d(img, k)", "F.conv_transpose2d(img, k.transpose(0, 1))",
    "F.relu(F.linear(x, w))", "T.softmax(F.linear(x, w), 1)",
    "F.cross_entropy(F.linear(x, w), tgt)", "F.mse_loss(F.linear(x, w), y)",
    "F.nll_loss(F.log_softmax(F.linear(x, w), 1), tgt)", "T.prod(F.linear(x, w))",
    "F.linear(x, w) + x[:, :1]", "T.cat([F.linear(x, w), y])", "T.sum(F.linear(x, w))",
    "F.layer_norm(F.linear(x, w), (5,))", "F.gelu(F.linear(x, w))",
    "T.mm(x.double(), x.double().T)", "F.linear(x.half(), w.half())",
    "F.scaled_dot_product_attention(x[None, None], x[None, None], x[None, None])",
    "F.binary_cross_entropy_with_logits(F.linear(x, w), y)", "T.inverse(T.mm(x, x.T) + T.eye(3))",
]


def _env(T):
    T.manual_seed(0)
    return {"T": T, "F": T.nn.functional, "x": T.randn(3, 4), "w": T.randn(5, 4),
            "b": T.randn(5), "y": T.randn(3, 5), "tgt": T.tensor([0, 1, 2]),
            "img": T.randn(1, 2, 5, 5), "k": T.randn(3, 2, 3, 3)}


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("expr", EXPRS)
def test_autocast_cpu_dtypes_nodes_values(expr, dtype):
    out = {}
    for T in (torch, ember):
        env = _env(T)
        env["w"].requires_grad_()
        with T.autocast("cpu", dtype=getattr(T, dtype)):
            r = eval(expr, env)
        out[T] = r
    e, t = out[ember], out[torch]
    assert str(e.dtype) == str(t.dtype), expr
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__
    tol = 2e-2 if dtype == "bfloat16" else 2e-3
    np.testing.assert_allclose(np.asarray(e.detach().double()._data),
                               t.detach().double().numpy(), rtol=tol, atol=tol)


def test_autocast_state_and_nesting():
    for T in (torch, ember):
        seen = []
        seen.append((T.is_autocast_enabled(), T.is_autocast_enabled("cpu")))
        with T.autocast("cpu"):
            seen.append((T.is_autocast_enabled("cpu"), str(T.get_autocast_dtype("cpu"))))
            with T.autocast("cpu", enabled=False):
                seen.append((T.is_autocast_enabled("cpu"),
                             str(T.mm(T.ones(2, 2), T.ones(2, 2)).dtype)))
            seen.append(str(T.mm(T.ones(2, 2), T.ones(2, 2)).dtype))
        seen.append(T.is_autocast_enabled("cpu"))
        if T is torch:
            want = seen
    assert seen == want


def test_autocast_as_decorator_and_grads_reach_float32_weights():
    res = {}
    for T in (torch, ember):
        T.manual_seed(0)
        lin = T.nn.Linear(4, 3)

        @T.autocast("cpu")
        def fwd(x):
            return lin(x)
        out = fwd(T.randn(2, 4))
        out.float().sum().backward()
        res[T] = (str(out.dtype), str(lin.weight.grad.dtype), lin.weight.grad)
    assert res[ember][:2] == res[torch][:2]
    np.testing.assert_allclose(np.asarray(res[ember][2]._data), res[torch][2].numpy(),
                               rtol=1e-2, atol=1e-2)


def test_weight_cast_is_cached_within_a_region():
    same = {}
    for T in (torch, ember):
        w = T.randn(5, 4, requires_grad=True)
        x = T.randn(3, 4)
        with T.autocast("cpu"):
            a = T.nn.functional.linear(x, w)
            b = T.nn.functional.linear(x, w)
        # the ToCopyBackward0 node under each TBackward0
        ca = a.grad_fn.next_functions[1][0].next_functions[0][0]
        cb = b.grad_fn.next_functions[1][0].next_functions[0][0]
        same[T] = (type(ca).__name__, ca is cb)
    assert same[ember] == same[torch]


def test_autocast_errors_and_warnings():
    for T in (torch, ember):
        with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
            T.autocast(3)
        with pytest.warns(UserWarning, match="CPU Autocast only supports dtypes of "
                                             "torch.bfloat16, torch.float16 currently."):
            T.autocast("cpu", dtype=T.float32)
        with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. "
                                             "Disabling autocast."):
            T.autocast("cuda")
        with pytest.warns(FutureWarning, match=r"`torch.cpu.amp.autocast\(args...\)` is "
                                               "deprecated"):
            T.cpu.amp.autocast()
        with pytest.warns(FutureWarning, match=r"`torch.cuda.amp.GradScaler\(args...\)` is "
                                               "deprecated"):
            with pytest.warns(UserWarning, match="torch.cuda.amp.GradScaler is enabled, but "
                                                 "CUDA is not available.  Disabling."):
                s = T.cuda.amp.GradScaler()
        assert not s.is_enabled() and s.get_scale() == 1.0 and s.state_dict() == {}


def _scaler_run(T, poison_step):
    T.manual_seed(0)
    net = T.nn.Linear(4, 2)
    opt = T.optim.SGD(net.parameters(), lr=0.1)
    scaler = T.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=3)
    log = []
    for i in range(8):
        opt.zero_grad()
        loss = net(T.ones(2, 4) * (i + 1)).pow(2).mean()
        scaler.scale(loss).backward()
        if i == poison_step:
            net.weight.grad[0, 0] = float("inf")
        r = scaler.step(opt)
        scaler.update()
        log.append((r, scaler.get_scale(), scaler._get_growth_tracker()))
    return log, net.weight.detach().clone(), scaler.state_dict()


def test_grad_scaler_skips_backs_off_and_grows():
    (lt, wt, st), (le, we, se) = _scaler_run(torch, 4), _scaler_run(ember, 4)
    assert le == lt and se == st
    np.testing.assert_allclose(np.asarray(we._data), wt.numpy(), rtol=1e-6, atol=1e-7)


def test_grad_scaler_stage_errors():
    for T in (torch, ember):
        net = T.nn.Linear(2, 1)
        opt = T.optim.SGD(net.parameters(), lr=0.1)
        scaler = T.amp.GradScaler("cpu")
        with pytest.raises(AssertionError, match="Attempted step but _scale is None."):
            scaler.step(opt)
        scaler.scale(net(T.ones(1, 2)).sum()).backward()
        scaler.unscale_(opt)
        with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this "
                                               r"optimizer since the last update\(\)."):
            scaler.unscale_(opt)
        scaler.step(opt)
        with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the "
                                               r"last update\(\)."):
            scaler.step(opt)
        with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
            scaler.step(opt, closure=lambda: None)
        scaler.update(new_scale=8.0)
        assert scaler.get_scale() == 8.0
        with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable"):
            scaler.scale([1.0])


def test_custom_fwd_bwd_cast_inputs():
    res = {}
    for T in (torch, ember):
        class MyMM(T.autograd.Function):
            @staticmethod
            @T.amp.custom_fwd(device_type="cpu", cast_inputs=T.float32)
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                ctx.dt = str(a.dtype)
                return a.mm(b)

            @staticmethod
            @T.amp.custom_bwd(device_type="cpu")
            def backward(ctx, grad):
                a, b = ctx.saved_tensors
                return grad.mm(b.t()), a.t().mm(grad)
        a = T.ones(2, 3, dtype=T.bfloat16, requires_grad=True)
        b = T.ones(3, 2, requires_grad=True)
        with T.autocast("cpu"):
            out = MyMM.apply(a, b)
        out.sum().backward()
        res[T] = (str(out.dtype), str(a.grad.dtype), str(b.grad.dtype), a.grad.tolist())
    assert res[ember] == res[torch]
