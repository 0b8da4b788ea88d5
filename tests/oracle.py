"""The differential-testing fixture: run one lambda on torch and on ember, compare everything.

`check(fn, shapes)` builds seeded inputs, runs `fn(T, *inputs)` with T=torch and T=ember, and
compares values (exact for ints/bools, tight tolerance for floats), dtype, shape, and — when asked
— repr, first gradients (w.r.t. every float input) and second gradients along a random
direction. `check_raises(fn)` asserts both raise the same exception type with the same message.
"""
from __future__ import annotations

import numpy as np
import torch

import ember

TOL = {"float16": (1e-3, 1e-2), "bfloat16": (1e-2, 5e-2), "float32": (1e-5, 1e-4),
       "float64": (1e-10, 1e-10), "complex64": (1e-5, 1e-4), "complex128": (1e-10, 1e-10)}


def to_np(x):
    """A NumPy copy of a torch or ember tensor's values (bfloat16 widened to float32)."""
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.cpu().numpy(force=True).copy()
    if isinstance(x, ember.Tensor):
        a = np.asarray(x._data)
        if a.dtype.name == "bfloat16":
            a = a.astype(np.float32)
        return a.copy()
    return np.asarray(x)


def dtype_name(x):
    return str(x.dtype).replace("torch.", "")


def assert_same(e, t, rtol=None, atol=None, check_dtype=True, what="value", equal_nan=True):
    """Compare an ember result with a torch result (tensors, tuples, numbers, None)."""
    if isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)), f"{what}: ember gave {type(e)}, torch a sequence"
        assert len(e) == len(t), f"{what}: lengths {len(e)} vs {len(t)}"
        if hasattr(t, "_fields") or type(t).__module__ == "torch.return_types":
            assert type(e).__name__ == type(t).__name__, f"{what}: {type(e)} vs {type(t)}"
        for i, (a, b) in enumerate(zip(e, t)):
            assert_same(a, b, rtol, atol, check_dtype, f"{what}[{i}]")
        return
    if t is None:
        assert e is None, f"{what}: torch gave None, ember {e!r}"
        return
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{what}: ember returned {type(e)}"
        assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} vs " \
                                                 f"{tuple(t.shape)}"
        if check_dtype:
            assert dtype_name(e) == dtype_name(t), f"{what}: dtype {e.dtype} vs {t.dtype}"
        a, b = to_np(e), to_np(t)
        if b.dtype.kind in "biu":
            np.testing.assert_array_equal(a, b, err_msg=what)
        else:
            r, at = TOL.get(dtype_name(t), (1e-5, 1e-5))
            np.testing.assert_allclose(a, b, rtol=rtol or r, atol=atol or at, err_msg=what,
                                       equal_nan=equal_nan)
        return
    if isinstance(t, (bool, int)):
        assert e == t and type(e) is type(t), f"{what}: {e!r} vs {t!r}"
        return
    if isinstance(t, float):
        assert isinstance(e, float), f"{what}: {type(e)}"
        np.testing.assert_allclose(e, t, rtol=rtol or 1e-6, atol=atol or 1e-6, err_msg=what)
        return
    assert e == t, f"{what}: {e!r} vs {t!r}"


def make_input(T, arr, requires_grad=False):
    t = T.tensor(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def random_array(shape, dtype="float32", low=-2.0, high=2.0, seed=0, positive=False):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype in ("uint8", "int8", "int16", "int32", "int64"):
        lo = 1 if positive else 0 if dtype == "uint8" else -5
        return rng.integers(lo, 6, size=shape).astype(dtype)
    a = rng.uniform(low, high, size=shape)
    if positive:
        a = np.abs(a) + 0.1
    if dtype == "bfloat16":
        return a.astype(np.float32)
    return a.astype(dtype)


def _cast(T, t, dtype):
    if dtype == "bfloat16":
        return t.to(T.bfloat16)
    return t


def check(fn, arrays, *, grad=True, gradgrad=False, rtol=None, atol=None, repr=False,
          dtypes=None, check_dtype=True):
    """Run fn(T, *tensors) on torch and ember with the same input arrays and compare.

    arrays: NumPy arrays (or Python values passed through as-is). Float inputs require grad
    when grad=True; then gradients of sum(out * w) for a fixed random w are compared too.
    """
    results = {}
    inputs = {}
    for T in (torch, ember):
        ins = []
        for i, a in enumerate(arrays):
            if isinstance(a, np.ndarray):
                t = T.tensor(a)
                if dtypes and dtypes[i] == "bfloat16":
                    t = t.to(T.bfloat16)
                if grad and a.dtype.kind in "fc":
                    t.requires_grad_(True)
                ins.append(t)
            else:
                ins.append(a)
        inputs[T] = ins
        try:
            results[T] = fn(T, *ins)
        except Exception as ex:  # noqa: BLE001
            if T is ember:
                raise
            # torch refuses this input: ember must refuse it the same way
            try:
                fn(ember, *[ember.tensor(a) if isinstance(a, np.ndarray) else a
                            for a in arrays])
            except Exception as ee:  # noqa: BLE001
                assert type(ee).__name__ == type(ex).__name__, f"{ee!r} vs {ex!r}"
                assert first_line(ee) == first_line(ex), f"{ee} vs {ex}"
                return None, None
            raise AssertionError(f"torch raised {ex!r}, ember did not")
    e, t = results[ember], results[torch]
    assert_same(e, t, rtol, atol, check_dtype)
    if repr:
        assert builtins_repr(e) == builtins_repr(t), f"repr:\n{e!r}\n!=\n{t!r}"
    if grad:
        _check_grads(inputs, results, rtol, atol, gradgrad)
    return e, t


builtins_repr = repr


def _outputs(r):
    if isinstance(r, (tuple, list)):
        out = []
        for x in r:
            out.extend(_outputs(x))
        return out
    return [r] if hasattr(r, "requires_grad") and r.requires_grad else []


def _check_grads(inputs, results, rtol, atol, gradgrad):
    outs = {T: _outputs(results[T]) for T in (torch, ember)}
    if not outs[torch]:
        assert not outs[ember], "ember output requires grad, torch's does not"
        return
    assert len(outs[ember]) == len(outs[torch])
    diff = {T: [x for x in inputs[T] if hasattr(x, "requires_grad") and x.requires_grad]
            for T in (torch, ember)}
    if not diff[torch]:
        return
    rng = np.random.default_rng(1)
    ws = [rng.uniform(0.5, 1.5, size=tuple(o.shape)).astype(np.float64) for o in outs[torch]]
    grads = {}
    for T in (torch, ember):
        loss = None
        for o, w in zip(outs[T], ws):
            term = (o * T.tensor(w).to(o.dtype)).sum()
            loss = term if loss is None else loss + term
        g = T.autograd.grad(loss, diff[T], create_graph=gradgrad, allow_unused=True)
        grads[T] = g
    for i, (ge, gt) in enumerate(zip(grads[ember], grads[torch])):
        if gt is None:
            assert ge is None or np.all(to_np(ge) == 0), f"grad[{i}]: torch None"
            continue
        if ge is None and np.all(to_np(gt) == 0):
            continue  # torch materialises a zero gradient where ember leaves None
        assert ge is not None, f"grad[{i}]: ember None, torch not"
        assert_same(ge, gt, rtol, atol, True, f"grad[{i}]")
    if gradgrad:
        gg = {}
        for T in (torch, ember):
            gs = [g for g in grads[T] if g is not None and g.requires_grad]
            if not gs:
                gg[T] = None
                continue
            vs = [T.tensor(rng_v).to(g.dtype) for g, rng_v in zip(
                gs, [np.random.default_rng(2 + k).uniform(0.5, 1.5, tuple(g.shape))
                     for k, g in enumerate(gs)])]
            s = sum((g * v).sum() for g, v in zip(gs, vs))
            gg[T] = T.autograd.grad(s, diff[T], allow_unused=True)
        if gg[torch] is None:
            return
        for i, (ge, gt) in enumerate(zip(gg[ember], gg[torch])):
            if gt is None:
                assert ge is None or np.all(to_np(ge) == 0), f"gradgrad[{i}]: torch None"
                continue
            if ge is None and np.all(to_np(gt) == 0):
                continue
            assert ge is not None, f"gradgrad[{i}]: ember None"
            assert_same(ge, gt, rtol, atol, True, f"gradgrad[{i}]")


def first_line(ex):
    """An exception's first line, without torch's "(Triggered internally at ...)" suffix."""
    import re
    return re.sub(r"\s*\(Triggered internally at .*\)$", "", str(ex).split("\n")[0])


def check_raises(fn, match_message=True):
    """fn(T) must raise on both, with the same exception type (and message)."""
    errs = {}
    for T in (torch, ember):
        try:
            fn(T)
        except Exception as ex:  # noqa: BLE001
            errs[T] = ex
        else:
            errs[T] = None
    et, ee = errs[torch], errs[ember]
    assert et is not None, "torch did not raise"
    assert ee is not None, f"ember did not raise (torch raised {type(et).__name__}: {et})"
    assert type(ee).__name__ == type(et).__name__, \
        f"ember raised {type(ee).__name__}: {ee}; torch {type(et).__name__}: {et}"
    if match_message:
        mt = first_line(et)
        me = first_line(ee)
        assert me == mt, f"messages differ:\n ember: {me}\n torch: {mt}"
    return ee, et


def check_repr(fn):
    """fn(T) -> object; repr identical (object addresses masked)."""
    import re
    rt = re.sub(r"0x[0-9a-f]+", "0x?", builtins_repr(fn(torch)))
    re_ = re.sub(r"0x[0-9a-f]+", "0x?", builtins_repr(fn(ember)))
    assert re_ == rt, f"repr differs:\nember:\n{re_}\ntorch:\n{rt}"
