"""Differential tests: ember._printing.tensor_repr against real torch's repr(tensor).

Each case builds a NumPy array, the equivalent torch tensor, and compares the two strings
exactly, under default and modified print options.
"""
import math

import ml_dtypes
import numpy as np
import pytest
import torch
from hypothesis import given, settings, HealthCheck, strategies as st

from ember import _dtype as D
from ember import _printing as P

DTYPES = {d.name: d for d in D.ALL}
TORCH_DT = {d.name: getattr(torch, d.name) for d in D.ALL}


@pytest.fixture(autouse=True)
def _restore_options():
    yield
    torch.set_printoptions(profile="default")
    P.set_printoptions(profile="default")


def set_both(**kw):
    torch.set_printoptions(**kw)
    P.set_printoptions(**kw)
    assert P.get_printoptions() == torch._tensor_str.get_printoptions()


def make(arr, dt="float32", requires_grad=False, grad_fn=False):
    """(ember repr, torch repr) for the values of `arr` stored as dtype `dt`."""
    arr = np.asarray(arr)
    with np.errstate(over="ignore", invalid="ignore"):
        if dt == "bfloat16":
            mine = arr.astype(ml_dtypes.bfloat16)
            t = torch.from_numpy(mine.astype(np.float32)).to(torch.bfloat16)
        else:
            mine = arr.astype(DTYPES[dt].np)
            t = torch.from_numpy(mine.copy())
    name = None
    if requires_grad or grad_fn:
        t.requires_grad_(True)
        if grad_fn:
            t = t.clone()                   # same values, grad_fn=<CloneBackward0>
            name = type(t.grad_fn).__name__
    ours = P.tensor_repr(mine, DTYPES[dt], requires_grad=requires_grad and not grad_fn,
                         grad_fn_name=name)
    return ours, repr(t)


def check(arr, dt="float32", **kw):
    ours, theirs = make(arr, dt, **kw)
    assert ours == theirs, f"\nours:\n{ours}\ntorch:\n{theirs}"
    return ours


rng = np.random.default_rng(1234)

CASES = {
    "scalar": (2.5, "float32"),
    "scalar_int": (7, "int64"),
    "scalar_neg_zero": (-0.0, "float32"),
    "scalar_nan": (math.nan, "float64"),
    "scalar_sci": (1.5e-9, "float32"),
    "scalar_bool": (True, "bool"),
    "scalar_complex": (1 - 2j, "complex64"),
    "vec": ([1.5, -2.25, 3.0], "float32"),
    "int_valued": ([1.0, 2.0], "float32"),
    "int_valued_neg": ([-1.0, 20.0, 300.0], "float64"),
    "zeros": (np.zeros(4), "float32"),
    "neg_zero": ([-0.0, 0.0, 1.0], "float32"),
    "neg_zero_frac": ([-0.0, 0.5], "float32"),
    "nan_inf": ([math.nan, math.inf, -math.inf, 1.0], "float32"),
    "nan_inf_frac": ([math.nan, math.inf, -math.inf, 1.25], "float64"),
    "nan_inf_sci": ([math.nan, math.inf, 1e-6, 1.0], "float32"),
    "only_nan": ([math.nan, math.nan], "float32"),
    "only_inf": ([math.inf, -math.inf], "float32"),
    "sci_ratio": ([1e-5, 1e5], "float32"),
    "sci_tiny": ([1e-5, 2e-5], "float32"),
    "sci_huge": ([1e9, 2e9], "float64"),
    "sci_huge_int": ([1e10, 1.0, -3.0], "float64"),
    "sci_3digit_exp": ([1e-200, 1e150, -2.5], "float64"),
    "subnormal32": ([1e-40, 1.0], "float32"),
    "subnormal64": ([5e-324, -1e-310], "float64"),
    "tiny_edge": ([1e-4, 0.05], "float64"),
    "tiny_edge32": ([1e-4, 0.05], "float32"),
    "ratio_edge": ([1.0, 1000.0], "float32"),
    "ratio_edge2": ([1.0, 1000.5], "float32"),
    "big_fixed": ([99999999.0, 0.5], "float64"),
    "rounding": ([0.99995, 9.99995, -0.00005], "float64"),
    "large_ints": ([2**63 - 1, -2**63, 0], "int64"),
    "uint8": ([0, 255, 7], "uint8"),
    "int8": ([-128, 127, 0], "int8"),
    "int16": ([[1, -300], [22, 4]], "int16"),
    "int32": ([[1, -300000], [22, 4]], "int32"),
    "bool": ([True, False, True], "bool"),
    "bool_all_true": ([[True, True], [True, True]], "bool"),
    "float16": ([0.1, 1000.0, -2.0], "float16"),
    "float16_int": ([1.0, 65504.0], "float16"),
    "bfloat16": ([0.1, 3.0e30, -2.0], "bfloat16"),
    "bfloat16_small": ([0.5, 0.25, -0.125], "bfloat16"),
    "complex64": ([1 + 2j, -3.5 - 0.25j, 0j], "complex64"),
    "complex128_int": ([1 + 2j, -3 - 4j], "complex128"),
    "complex_neg_zero": ([complex(-0.0, -0.0), complex(1, 0.0), complex(0.0, -0.0)], "complex64"),
    "complex_specials": ([complex(math.nan, 1), complex(1, math.inf), complex(2, -math.inf)],
                         "complex128"),
    "complex_sci": ([1e-7 + 1e7j, 3 - 2j], "complex128"),
    "complex_2d": (rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4)), "complex64"),
    "empty": (np.zeros(0), "float32"),
    "empty_int": (np.zeros(0), "int64"),
    "empty_bool": (np.zeros(0), "bool"),
    "empty_f64": (np.zeros(0), "float64"),
    "empty_0x3": (np.zeros((0, 3)), "float32"),
    "empty_2x0x4": (np.zeros((2, 0, 4)), "int32"),
    "empty_complex": (np.zeros((3, 0)), "complex64"),
    "2d": (rng.standard_normal((3, 4)), "float32"),
    "3d": (rng.standard_normal((2, 3, 4)), "float32"),
    "4d": (rng.standard_normal((2, 2, 3, 2)), "float64"),
    "4d_int": (rng.integers(-50, 50, (2, 3, 2, 2)), "int64"),
    "5d": (rng.standard_normal((2, 1, 2, 1, 3)), "float32"),
    "size1_dims": (np.ones((1, 1, 1)), "float32"),
    "below_threshold": (np.arange(1000, dtype=np.float64) / 7, "float32"),
    "above_threshold": (np.arange(1001, dtype=np.float64) / 7, "float32"),
    "above_threshold_int": (np.arange(1001), "int64"),
    "summ_2d": (rng.standard_normal((40, 40)), "float32"),
    "summ_2d_narrow": (rng.standard_normal((500, 3)), "float32"),
    "summ_3d": (rng.standard_normal((12, 12, 12)), "float64"),
    "summ_4d": (rng.standard_normal((7, 2, 9, 10)), "float32"),
    "summ_edge_sci": (np.concatenate([[1e-6], np.ones(2000), [1e6]]), "float32"),
    "summ_hidden_sci": (np.concatenate([np.ones(10), [1e-9], np.ones(2000)]), "float32"),
    "summ_complex": (np.arange(2000) * (1 + 0.5j), "complex128"),
    "summ_bool": (np.arange(3000) % 3 == 0, "bool"),
    "long_row_wrap": (rng.standard_normal(50) * 100, "float32"),
    "long_row_int": (np.arange(100) * 12345, "int64"),
    "long_row_complex": (rng.standard_normal(20) + 1j, "complex64"),
    "wrap_2d_rows": (rng.standard_normal((3, 25)), "float64"),
    "wrap_3d_rows": (rng.standard_normal((2, 2, 30)) * 1e-6, "float32"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_cases(name):
    arr, dt = CASES[name]
    check(arr, dt)


def test_noncontiguous_and_strided():
    a = rng.standard_normal((6, 8))
    check(a.T, "float64")
    check(a[::2, 1::3], "float64")
    check(np.broadcast_to(np.arange(3.0), (4, 3)), "float32")


@pytest.mark.parametrize("dt", ["float16", "bfloat16", "float32", "float64", "complex64",
                                "complex128"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (40,)])
def test_suffix_requires_grad(dt, shape):
    a = rng.standard_normal(shape) * 10
    check(a, dt, requires_grad=True)
    check(a, dt, grad_fn=True)


def test_suffix_wrapping():
    # rows that nearly fill the line push dtype= / grad_fn= onto their own line
    for n in range(5, 12):
        for dt in ("float32", "float64", "float16"):
            a = np.arange(n) + 0.5
            check(a, dt)
            check(a, dt, requires_grad=True)
            check(a, dt, grad_fn=True)
    check(rng.standard_normal((3, 8)), "float64", grad_fn=True)
    check(np.arange(30) * 1000, "int32")
    for lw in range(20, 64):       # walk the boundary where a suffix no longer fits
        set_both(linewidth=lw)
        check(np.arange(4) + 0.5, "float64", grad_fn=True)
        check([[1, 2], [3, 4]], "int16")
        check(np.zeros((0, 2)), "int32", requires_grad=False)


def test_device_suffix(monkeypatch):
    # torch shows device= when it differs from the default device; pretend the default is cuda
    monkeypatch.setattr(torch._C, "_get_default_device", lambda: "cuda")
    for arr, dt, kw in [([1.5, 2.0], "float32", {}), ([1, 2], "int32", {}),
                        (np.arange(9.0) + 0.5, "float64", {"requires_grad": True}),
                        (np.zeros((0, 2)), "int64", {}), (np.arange(2000.0), "float32", {})]:
        t = torch.tensor(np.asarray(arr, dtype=DTYPES[dt].np), **kw)
        ours = P.tensor_repr(np.asarray(arr), DTYPES[dt], device="cpu",
                             requires_grad=kw.get("requires_grad", False))
        assert ours == repr(t)
    assert P.tensor_repr(np.ones(2), D.float32, device="cuda:0") == \
        "tensor([1., 1.], device='cuda:0')"


def test_default_dtype_float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    D.set_default_dtype(D.float64)
    try:
        for arr, dt in [([1.5, 2.0], "float32"), ([1.5, 2.0], "float64"), ([1j], "complex64"),
                        ([1j], "complex128"), (np.zeros(0), "float64"),
                        (np.zeros(0), "float32")]:
            check(arr, dt)
    finally:
        torch.set_default_dtype(old)
        D.set_default_dtype(D.float32)


OPTION_SETS = [
    {"precision": 2}, {"precision": 0}, {"precision": 10}, {"sci_mode": True},
    {"sci_mode": False}, {"linewidth": 40}, {"linewidth": 200}, {"threshold": 5},
    {"threshold": 5, "edgeitems": 1}, {"edgeitems": 1}, {"threshold": 5, "edgeitems": 0},
    {"profile": "full"}, {"profile": "short"}, {"profile": "full", "precision": 6},
    {"profile": "nonsense"}, {"threshold": 0},
]
OPTION_ARRAYS = [
    (np.arange(10), "int64"), (np.arange(10) / 3, "float32"), (np.array(3.25), "float32"),
    (rng.standard_normal((4, 5, 6)), "float64"), (np.array([1e-5, 1e5, -1.0]), "float32"),
    (np.array([1.0, 2.0, math.nan]), "float32"), (np.zeros(3), "float32"),
    (np.arange(12).reshape(3, 4) * (1 - 1j), "complex64"), (np.arange(1500.0), "float32"),
    (rng.standard_normal((30, 40)), "float32"), (np.zeros((0, 4)), "float32"),
]


@pytest.mark.parametrize("opts", OPTION_SETS, ids=[str(o) for o in OPTION_SETS])
def test_printoptions(opts):
    set_both(**opts)
    for arr, dt in OPTION_ARRAYS:
        check(arr, dt)
        if dt.startswith(("float", "complex")):
            check(arr, dt, grad_fn=True)


def test_printoptions_semantics():
    assert P.get_printoptions() == torch._tensor_str.get_printoptions()
    set_both(precision=2, sci_mode=True)
    set_both(linewidth=50)               # an omitted sci_mode resets to None, as in torch
    assert P.get_printoptions()["sci_mode"] is None
    set_both(profile="full")
    assert P.get_printoptions()["threshold"] == math.inf
    with P.printoptions(precision=1):
        assert P.PRINT_OPTS.precision == 1
    assert P.get_printoptions() == torch._tensor_str.get_printoptions()


def test_tutorial_outputs():
    a = check([[3.1415926, 2.71828], [1.61803, 0.0072897]])
    assert a == "tensor([[3.1416, 2.7183],\n        [1.6180, 0.0073]])"
    a = check(np.ones((2, 3)), "int16")
    assert a == "tensor([[1, 1, 1],\n        [1, 1, 1]], dtype=torch.int16)"
    a = check([[0.9956, 1.4148, 5.8364], [11.2406, 11.2083, 11.6692]], "float64")
    assert a == ("tensor([[ 0.9956,  1.4148,  5.8364],\n"
                 "        [11.2406, 11.2083, 11.6692]], dtype=torch.float64)")
    row = [[0.4963, 0.7682, 0.0885, 0.1320, 0.3074, 0.6341, 0.4901, 0.8964, 0.4556, 0.6323,
            0.3489, 0.4017, 0.0223, 0.1689, 0.2939, 0.5185, 0.6977, 0.8000, 0.1610, 0.2823]]
    a = check(row)
    assert a == ("tensor([[0.4963, 0.7682, 0.0885, 0.1320, 0.3074, 0.6341, 0.4901, 0.8964,"
                 " 0.4556,\n"
                 "         0.6323, 0.3489, 0.4017, 0.0223, 0.1689, 0.2939, 0.5185, 0.6977,"
                 " 0.8000,\n"
                 "         0.1610, 0.2823]])")
    assert check(np.arange(10), "int64") == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"
    set_both(threshold=5)
    assert check(np.arange(10), "int64") == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    assert check([]) == "tensor([])"
    assert check(np.zeros((0, 3))) == "tensor([], size=(0, 3))"
    assert check(np.zeros(0), "int64") == "tensor([], dtype=torch.int64)"


def test_return_types():
    t = torch.from_numpy(rng.standard_normal((3, 4, 5)))
    for r, name in [(torch.max(t, 1), "max"), (torch.sort(t.reshape(-1)[:30]), "sort"),
                    (torch.min(t[0, 0], 0), "min")]:
        fields = [(f, P.tensor_repr(getattr(r, f).numpy(), DTYPES[str(getattr(r, f).dtype)[6:]]))
                  for f in ("values", "indices")]
        assert P.return_types_repr(name, fields) == repr(r)


def test_speed_1000x1000():
    import time
    a = rng.standard_normal((1000, 1000)).astype(np.float32)
    P.tensor_repr(a, D.float32)
    t0 = time.perf_counter()
    for _ in range(10):
        P.tensor_repr(a, D.float32)
    assert (time.perf_counter() - t0) / 10 < 0.05


# ---- property tests -------------------------------------------------------------------------

FLOAT_DTS = ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"]
INT_DTS = ["uint8", "int8", "int16", "int32", "int64"]
SPECIALS = [0.0, -0.0, math.nan, math.inf, -math.inf]


@st.composite
def tensors(draw):
    shape = tuple(draw(st.lists(st.integers(0, 6), max_size=4)))
    n = math.prod(shape)
    dt = draw(st.sampled_from(FLOAT_DTS + INT_DTS + ["bool"]))
    if dt == "bool":
        vals = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    elif dt in INT_DTS:
        info = np.iinfo(DTYPES[dt].np)
        hi = min(draw(st.sampled_from([10, 1000, int(info.max)])), int(info.max))
        vals = draw(st.lists(st.integers(max(int(info.min), -hi), hi), min_size=n, max_size=n))
    else:
        # a common scale per tensor plus per-element magnitude jitter, so that fixed, integer
        # and scientific notation all come up
        scale = draw(st.one_of(st.integers(-2, 3), st.integers(-12, 12)))
        spread = draw(st.sampled_from([0, 1, 3, 8]))
        scaled = st.builds(lambda m, k: m * 10.0 ** (scale + k - 4),
                           st.integers(-99999, 99999), st.integers(-spread, spread))
        whole = st.integers(-1000, 1000).map(float)
        special = st.sampled_from(SPECIALS)
        elem = draw(st.sampled_from([scaled, whole, st.one_of(scaled, special),
                                     st.one_of(whole, special), st.one_of(scaled, whole, special)]))
        vals = draw(st.lists(elem, min_size=n, max_size=n))
        if dt.startswith("complex"):
            im = draw(st.lists(elem, min_size=n, max_size=n))
            vals = [complex(a, b) for a, b in zip(vals, im)]
    arr = np.array(vals, dtype=object).astype(
        np.complex128 if dt.startswith("complex") else np.float64 if dt in FLOAT_DTS
        else DTYPES[dt].np).reshape(shape)
    return arr, dt


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tensors(), st.booleans())
def test_hypothesis_default_options(case, grad):
    arr, dt = case
    check(arr, dt, requires_grad=grad and dt in FLOAT_DTS)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tensors(), st.integers(0, 8), st.integers(10, 120), st.integers(0, 60),
       st.integers(0, 3), st.sampled_from([None, True, False]))
def test_hypothesis_options(case, precision, linewidth, threshold, edgeitems, sci_mode):
    arr, dt = case
    try:
        set_both(precision=precision, linewidth=linewidth, threshold=threshold,
                 edgeitems=edgeitems, sci_mode=sci_mode)
        check(arr, dt)
    finally:
        torch.set_printoptions(profile="default")
        P.set_printoptions(profile="default")
