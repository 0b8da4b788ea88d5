"""torch.testing: assert_close with torch's default tolerances per dtype and its messages,
and make_tensor for tests written against torch's testing API."""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D

# torch's default (rtol, atol) by dtype
_TOLS = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
         "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}

__all__ = ["assert_close", "make_tensor", "assert_allclose"]


def _as_tensor(x):
    from .._tensor import Tensor
    from .._creation import tensor
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        from .._creation import from_numpy
        return from_numpy(x)
    return tensor(x)


def _values(t):
    a = np.asarray(t.detach()._data if hasattr(t._data, "dtype") else t._data)
    if a.dtype.name == "bfloat16":
        a = a.astype(np.float32)
    return a


def _fmt_num(v):
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return repr(v.item() if hasattr(v, "item") else v)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Assert |actual - expected| <= atol + rtol * |expected| elementwise (see torch.testing)."""
    from .._tensor import Tensor
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != "
                                 f"{len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg)
        return
    if isinstance(actual, dict) and isinstance(expected, dict):
        if actual.keys() != expected.keys():
            raise AssertionError("The keys of the mappings do not match")
        for k in actual:
            assert_close(actual[k], expected[k], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg)
        return
    scalars = not isinstance(actual, Tensor) and not isinstance(expected, Tensor) and \
        isinstance(actual, (int, float, complex)) and isinstance(expected, (int, float, complex))
    if scalars:
        r, a = (rtol, atol) if rtol is not None else ((1e-7, 1e-7) if isinstance(
            expected, float) else (0, 0))
        bad = not (abs(actual - expected) <= a + r * abs(expected)) and not (
            equal_nan and actual != actual and expected != expected)
        if bad:
            kind = "close" if isinstance(expected, float) else "equal"
            diff = abs(actual - expected)
            rel = diff / abs(expected) if expected else math.inf
            text = (f"Scalars are not {kind}!\n\nExpected {expected} but got {actual}.\n"
                    f"Absolute difference: {diff} (up to {a} allowed)\nRelative difference: "
                    f"{rel} (up to {r} allowed)")
            raise AssertionError(msg if isinstance(msg, str) else text)
        return
    act, exp = _as_tensor(actual), _as_tensor(expected)
    if act.shape != exp.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: "
                                    f"{act.shape} != {exp.shape}.")
    if check_dtype and act.dtype is not exp.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: "
                                    f"{act.dtype} != {exp.dtype}.")
    if check_device and act.device != exp.device:
        raise AssertionError(msg or f"The values for attribute 'device' do not match: "
                                    f"{act.device} != {exp.device}.")
    dt = D.promote_types(act.dtype, exp.dtype) if act.dtype is not exp.dtype else act.dtype
    r, a = (rtol, atol) if rtol is not None else _TOLS.get(dt.name, (0.0, 0.0))
    x, y = _values(act), _values(exp)
    floating = dt.category >= D.FLOAT
    if floating:
        xf, yf = x.astype(np.complex128 if dt.is_complex else np.float64), \
            y.astype(np.complex128 if dt.is_complex else np.float64)
        with np.errstate(all="ignore"):
            diff = np.abs(xf - yf)
            ok = diff <= a + r * np.abs(yf)
            ok |= xf == yf  # equal infinities
            if equal_nan:
                ok |= np.isnan(xf) & np.isnan(yf)
    else:
        xf, yf = x.astype(np.float64), y.astype(np.float64)
        diff = np.abs(xf - yf)
        ok = diff <= a + r * np.abs(yf)
    if ok.all():
        return
    n_bad = int((~ok).sum())
    total = ok.size
    with np.errstate(all="ignore"):
        absd = np.where(np.isnan(diff), np.inf, diff)
        reld = absd / np.abs(yf)
    ia = np.unravel_index(int(np.argmax(np.where(ok, -1, absd))), ok.shape) if ok.ndim else ()
    ir = np.unravel_index(int(np.argmax(np.where(ok, -1, np.nan_to_num(reld, nan=np.inf)))),
                          ok.shape) if ok.ndim else ()
    kind = "close" if floating else "equal"
    cast = (lambda v: float(np.float32(v))) if dt is D.float32 else float
    amax = diff[ia] if ok.ndim else diff[()]
    rmax = reld[ir] if ok.ndim else reld[()]
    if not floating:
        amax_s = str(int(amax))
        rmax_s = repr(float(np.float32(rmax)))
    else:
        amax_s = repr(cast(amax))
        rmax_s = repr(cast(rmax))
    if not ok.ndim:
        text = (f"Scalars are not {kind}!\n\nExpected {_fmt_num(y[()])} but got "
                f"{_fmt_num(x[()])}.\nAbsolute difference: {amax_s} (up to {a} allowed)\n"
                f"Relative difference: {rmax_s} (up to {r} allowed)")
    else:
        tail_a = f" (up to {a} allowed)" if floating else ""
        tail_r = f" (up to {r} allowed)" if floating else ""
        text = (f"Tensor-likes are not {kind}!\n\nMismatched elements: {n_bad} / {total} "
                f"({100 * n_bad / total:.1f}%)\nGreatest absolute difference: {amax_s} at index "
                f"{tuple(int(i) for i in ia)}{tail_a}\nGreatest relative difference: {rmax_s} at "
                f"index {tuple(int(i) for i in ir)}{tail_r}")
    raise AssertionError(msg if isinstance(msg, str) else (msg(text) if callable(msg) else text))


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False,
                 msg=msg or None)


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of `shape` filled with values uniform in [low, high) (torch's defaults)."""
    from .. import _creation as C
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if dtype is D.bool_:
        t = C.randint(0, 2, shape).bool()
    elif dtype.category == D.INT:
        lo = -9 if low is None else int(low)
        hi = 10 if high is None else int(high)
        t = C.randint(lo, hi, shape, dtype=dtype)
    else:
        lo = -9.0 if low is None else low
        hi = 9.0 if high is None else high
        t = C.rand(shape, dtype=dtype) * (hi - lo) + lo
    if exclude_zero:
        t = t.masked_fill(t == 0, 1)
    if requires_grad:
        t.requires_grad_(True)
    return t
