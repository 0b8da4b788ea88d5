"""dtypes, aliases and torch's type promotion (weak scalars and 0-dim tensors) vs torch."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import ember
from oracle import check_raises

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64", "complex64", "complex128", "uint16", "uint32", "uint64"]


def pair(name):
    return getattr(torch, name), getattr(ember, name)


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_promote_types(a, b):
    (ta, ea), (tb, eb) = pair(a), pair(b)
    check_raises_or_equal(lambda T: T.promote_types(getattr(T, a), getattr(T, b)))


def check_raises_or_equal(fn):
    try:
        want = str(fn(torch))
    except RuntimeError:
        check_raises(fn)
        return
    assert str(fn(ember)) == want


@pytest.mark.parametrize("name", NAMES)
def test_dtype_attributes(name):
    t, e = pair(name)
    assert repr(e) == repr(t) and str(e) == str(t)
    assert e.is_floating_point == t.is_floating_point
    assert e.is_complex == t.is_complex
    assert e.is_signed == t.is_signed
    assert e.itemsize == t.itemsize


def test_aliases_are_the_same_objects():
    assert ember.float is ember.float32 and ember.double is ember.float64
    assert ember.half is ember.float16 and ember.long is ember.int64
    assert ember.int is ember.int32 and ember.short is ember.int16
    assert ember.cfloat is ember.complex64


SCALARS = [True, 3, 2.5, 1 + 2j]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", SCALARS)
def test_weak_python_scalars(name, scalar):
    if name == "float16" and isinstance(scalar, complex):
        pytest.skip("torch promotes to complex32, which ember does not have")
    t, e = pair(name)
    assert str(ember.result_type(ember.ones(2, dtype=e), scalar)) == \
        str(torch.result_type(torch.ones(2, dtype=t), scalar))


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_zero_dim_tensors_are_weak(a, b):
    if a == "float16" and b.startswith("complex"):
        pytest.skip("torch promotes to complex32, which ember does not have")
    check_raises_or_equal(lambda T: T.result_type(T.ones(2, dtype=getattr(T, a)),
                                                  T.ones((), dtype=getattr(T, b))))


@pytest.mark.parametrize("a,b", [("int32", "int64"), ("uint8", "int8"), ("bool", "float32"),
                                 ("int64", "float16"), ("float16", "bfloat16"),
                                 ("int16", "float64"), ("uint8", "bool")])
@pytest.mark.parametrize("op", ["add", "mul", "div", "sub", "eq", "maximum", "where"])
def test_mixed_dtype_ops(a, b, op):
    results = {}
    for T in (torch, ember):
        x = T.tensor([[1, 0, 3]]).to(getattr(T, a))
        y = T.tensor([[2], [1]]).to(getattr(T, b))
        try:
            if op == "where":
                r = T.where(x > 0, x, y)
            elif op == "sub" and "bool" in (a, b):
                r = T.mul(x, y)
            else:
                r = getattr(T, op)(x, y)
            results[T] = (str(r.dtype).split(".")[-1], r.to(T.float64).tolist())
        except Exception as ex:  # noqa: BLE001
            results[T] = (type(ex).__name__, str(ex).split("\n")[0])
    assert results[ember] == results[torch]


@pytest.mark.parametrize("fn", [
    lambda T: T.tensor([1, 2]).div(T.tensor([2, 4])), lambda T: T.tensor([3]) / 2,
    lambda T: T.tensor([3]) // 2, lambda T: T.tensor([-7]) // 2, lambda T: T.tensor([7]) % -3,
    lambda T: T.tensor([True]) / 2, lambda T: T.tensor([5], dtype=T.int8) / T.tensor(2.0),
])
def test_int_division(fn):
    t, e = fn(torch), fn(ember)
    assert str(e.dtype) == str(t.dtype) and e.tolist() == t.tolist()


def test_default_dtype():
    ember.set_default_dtype(ember.float64)
    assert ember.tensor([1.0]).dtype is ember.float64
    assert (ember.tensor([1]) * 1.5).dtype is ember.float64
    assert ember.get_default_dtype() is ember.float64
    ember.set_default_dtype(ember.float32)
    assert ember.tensor([1.0]).dtype is ember.float32
    check_raises(lambda T: T.set_default_dtype(T.int32))


def test_finfo_iinfo():
    for name in ("float16", "bfloat16", "float32", "float64"):
        t, e = pair(name)
        assert repr(ember.finfo(e)) == repr(torch.finfo(t))
        assert ember.finfo(e).eps == torch.finfo(t).eps
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        t, e = pair(name)
        assert repr(ember.iinfo(e)) == repr(torch.iinfo(t))
    check_raises(lambda T: T.finfo(T.int32))
    check_raises(lambda T: T.iinfo(T.float32))


@given(st.sampled_from(NAMES), st.sampled_from(NAMES), st.booleans(), st.booleans())
def test_result_type_hypothesis(a, b, zero_a, zero_b):
    sa, sb = (() if zero_a else (2,)), (() if zero_b else (2,))
    if "float16" in (a, b) and (a.startswith("complex") or b.startswith("complex")):
        return  # complex32
    check_raises_or_equal(lambda T: T.result_type(T.ones(sa, dtype=getattr(T, a)),
                                                  T.ones(sb, dtype=getattr(T, b))))


def test_float_to_int_truncates():
    vals = [-2.7, -1.5, -0.2, 0.2, 1.5, 2.7, 11.6]
    for name in ("int8", "int16", "int32", "int64", "uint8"):
        t, e = pair(name)
        v = [abs(x) for x in vals] if name == "uint8" else vals
        assert ember.tensor(v).to(e).tolist() == torch.tensor(v).to(t).tolist()
    assert ember.tensor(vals).bool().tolist() == torch.tensor(vals).bool().tolist()


def test_numpy_dtypes_map_back():
    for name in NAMES:
        if name == "bfloat16":
            continue
        a = np.zeros(2, dtype=name)
        assert str(ember.from_numpy(a).dtype) == str(torch.from_numpy(a).dtype)
    check_raises(lambda T: T.from_numpy(np.zeros(2, dtype=np.float128)))
