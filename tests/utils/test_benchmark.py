"""torch.utils.benchmark on ember vs torch: Measurement statistics and repr from fixed raw
times, Compare tables (identical text), Timer's block-size and replicate choices under a
deterministic fake clock, errors, pickling, and the Fuzzer's parameters and tensors."""
from __future__ import annotations

import pickle
import re

import numpy as np
import pytest
import torch
import torch.utils.benchmark as TB

import ember
import ember.utils.benchmark as EB

BOTH = ((torch, TB), (ember, EB))

_ADDR = re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>")


def _mask(s):
    return _ADDR.sub("<OBJ>", s)


# (raw_times, number_per_run): one, two, three (no IQR line) and many replicates; ns to s
# scales; tight and noisy spreads (no warning, "fluctuation", "environmental influence")
RAW = [
    ([2.5e-4], 100),
    ([1.2e-3, 1.25e-3], 10),
    ([3.0e-6, 3.1e-6, 2.9e-6], 1000),
    ([1.1e-4, 1.2e-4, 1.0e-4, 1.3e-4, 1.05e-4], 100),
    ([5.01e-3, 5.02e-3, 5.0e-3, 5.03e-3, 5.015e-3, 5.005e-3, 5.0e-3, 5.04e-3], 1),
    ([1.0, 3.0, 2.0, 9.0, 1.5, 2.5], 1),
    ([7.3e-8 * (1 + 0.001 * i) for i in range(40)], 10000),
    ([12.0, 12.5], 1),
    ([4.2e-5, 6.1e-5, 4.3e-5, 4.25e-5, 9.9e-5, 4.4e-5, 4.1e-5], 1000),
    # tight spreads: 2 to 4 significant figures
    ([1e-3 * (1 + 1e-6 * k) for k in range(20)], 1),
    ([2.5e-4 * (1 + 1e-4 * (k % 3)) for k in range(12)], 10),
    ([6.4e-2 * (1 + 3e-3 * ((k * 5) % 7)) for k in range(15)], 1),
]

SPECS = [
    dict(stmt="x * y", setup="pass"),
    dict(stmt="x * y", setup="x = torch.ones(3)", label="mul", sub_label="f32",
         description="n=3", num_threads=4),
    dict(stmt="a = 1\nb = a + 1", setup="import math\nc = 2", sub_label="two lines"),
    dict(stmt="f(x)", setup="", label="Batched dot", description="[1, 64]", env="A"),
]


def _measurement(B, raw, number, spec):
    return B.Measurement(number_per_run=number, raw_times=list(raw),
                         task_spec=B.TaskSpec(**spec))


@pytest.mark.parametrize("raw,number", RAW)
@pytest.mark.parametrize("spec", SPECS)
def test_measurement_repr_and_statistics(raw, number, spec):
    got = {}
    for T, B in BOTH:
        m = _measurement(B, raw, number, spec)
        got[T] = (_mask(repr(m)), m.median, m.iqr, m.times, m.significant_figures,
                  m.has_warnings, m.meets_confidence(0.05), m.title, m.as_row_name, m.env,
                  m.num_threads, m.label, m.stmt)
        mean = m.mean
        got[T, "mean"] = mean
    assert got[ember] == got[torch]
    assert got[ember, "mean"] == pytest.approx(got[torch, "mean"], rel=1e-15)


def test_measurement_header_names_ember_module():
    m = _measurement(EB, [1e-6], 1, SPECS[0])
    assert repr(m).startswith("<ember.utils.benchmark.utils.common.Measurement object at 0x")
    with pytest.raises(AttributeError):
        m.no_such_field  # noqa: B018


def test_measurement_merge_and_pickle():
    out = {}
    for T, B in BOTH:
        ms = [_measurement(B, r, n, SPECS[1]) for r, n in RAW[:4]]
        ms += [_measurement(B, RAW[4][0], 1, SPECS[0])]
        merged = B.Measurement.merge(ms)
        back = pickle.loads(pickle.dumps(merged))
        out[T] = [(m.number_per_run, m.raw_times, _mask(repr(m))) for m in back]
        assert back[0] == merged[0] and back[0].task_spec == merged[0].task_spec
    assert out[ember] == out[torch]


def test_helpers_match():
    xs = [1.23456789e-9, 3.14159, 999.96, 0.000123456, 12345.678, 1e-6, 1e-3, 5e-7, 2.5e-2,
          8.0e5, 100.0, 0.05]
    for x in xs:
        assert EB.select_unit(x) == TB.select_unit(x), x
        for n in (1, 2, 3, 4):
            assert EB.trim_sigfig(x, n) == TB.trim_sigfig(x, n), (x, n)
    for u in ("ns", "us", "ms", "s"):
        assert EB.unit_to_english(u) == TB.unit_to_english(u)
    assert EB.ordered_unique([3, 1, 3, 2, 1]) == TB.ordered_unique([3, 1, 3, 2, 1])
    for B in (TB, EB):
        with pytest.raises(AssertionError, match="must be an integer"):
            B.trim_sigfig(1.0, 1.5)


def _compare_results(B):
    """Measurements of two functions x sizes x thread counts, with gaps and replicates."""
    res = []
    sizes = ["[1, 1]", "[64, 64]", "[1024, 10]"]
    for ti, threads in enumerate((1, 4)):
        for si, size in enumerate(sizes):
            for fi, (fn, desc) in enumerate((("mul_sum", "mul/sum"), ("bmm", "bmm"))):
                if (ti, si, fi) == (1, 2, 1):
                    continue  # a missing cell
                base = 3e-6 * (1 + si * 17) * (1 + fi * 0.6) / (1 + ti * 0.9)
                spread = 0.002 if si != 1 else 0.2 * (fi + 1)
                raw = [base * (1 + spread * ((k * 7) % 5 - 2)) * 100 for k in range(9)]
                spec = B.TaskSpec(stmt=f"{fn}(x, x)", setup="pass", label="Batched dot",
                                  sub_label=size, description=desc, num_threads=threads)
                res.append(B.Measurement(100, raw, spec))
    # a replicate of one task: merged into the same cell
    res.append(B.Measurement(10, [3.1e-5, 3.0e-5], res[0].task_spec))
    # a second table (another label), rows by stmt; cells in ms
    for i, env in enumerate(("environment A: mul/sum", "environment B: bmm")):
        for j, d in enumerate(("[1, 1]", "[10000, 1]")):
            spec = B.TaskSpec(stmt="batched_dot(x, x)", setup="pass", label="A/B",
                              description=d, env=env)
            res.append(B.Measurement(1, [2e-3 * (i + 1) * (j + 1) * (1 + 0.01 * k)
                                         for k in range(5)], spec))
    return res


@pytest.mark.parametrize("options", [(), ("trim",), ("trim", "colorize"),
                                     ("colorize_rowwise",), ("warnings",),
                                     ("trim", "warnings", "colorize")])
def test_compare_tables_identical(options, capsys):
    text = {}
    for T, B in BOTH:
        c = B.Compare(_compare_results(B))
        for o in options:
            if o == "trim":
                c.trim_significant_figures()
            elif o == "colorize":
                c.colorize()
            elif o == "colorize_rowwise":
                c.colorize(rowwise=True)
            elif o == "warnings":
                c.highlight_warnings()
        c.print()
        text[T] = (str(c), capsys.readouterr().out)
    assert text[ember] == text[torch]
    assert "Times are in microseconds (us)." in text[ember][0]


def test_compare_errors_and_pickled_round_trip():
    for B in (TB, EB):
        with pytest.raises(ValueError, match="Expected an instance of `Measurement`, got "):
            B.Compare([1.0])
        res = _compare_results(B)
        assert str(B.Compare(res)) == str(B.Compare(pickle.loads(pickle.dumps(res))))
    mixed = {}
    for T, B in BOTH:
        a = B.Measurement(1, [1e-3], B.TaskSpec("a", "pass", label="x"))
        b = B.Measurement(1, [1e-3], B.TaskSpec("b", "pass", label="y"))
        with pytest.raises(AssertionError, match="same label"):
            B.utils.compare.Table([a, b], B.Colorize.NONE, False, False)
        c = B.Measurement(1, [2e-3], B.TaskSpec("c", "pass", label="y", description="d"))
        d = B.Measurement(1, [3e-3], B.TaskSpec("d", "pass", label="y", description="d"))
        # no description: torch fails on len(None) while laying out the header
        mixed[T] = (_err(lambda: str(B.Compare([a, b]))), str(B.Compare([c, d])))
    assert mixed[ember] == mixed[torch]


class _FakeClock:
    """A deterministic clock: each reading costs `tick` seconds, and the statement advances
    the clock by the next of a repeating list of costs."""

    def __init__(self, costs, tick=1e-7):
        self.t = 0.0
        self.costs = costs
        self.k = 0
        self.readings = 0
        self.tick = tick

    def __call__(self):
        self.readings += 1
        self.t += self.tick
        return self.t

    def stmt(self):
        self.t += self.costs[self.k % len(self.costs)]
        self.k += 1


def _run_timer(B, method, costs, **kw):
    clock = _FakeClock(costs)
    t = B.Timer("clock.stmt()", timer=clock, globals={"clock": clock}, num_threads=1)
    m = getattr(t, method)(**kw)
    return m.number_per_run, m.raw_times, clock.readings, clock.k, _mask(repr(m))


@pytest.mark.parametrize("method,costs,kw", [
    ("timeit", [1e-6], dict(number=1000)),
    ("timeit", [2e-3], dict(number=5)),
    ("blocked_autorange", [1e-6], {}),
    ("blocked_autorange", [3e-3], dict(min_run_time=0.05)),
    ("blocked_autorange", [4e-8, 5e-8], dict(min_run_time=0.01)),
    ("blocked_autorange", [0.5], dict(min_run_time=0.2)),
    ("adaptive_autorange", [1e-5, 1.4e-5, 0.8e-5, 2e-5, 1e-5], {}),
    ("adaptive_autorange", [1e-5] * 7 + [9e-5], dict(threshold=0.01, max_run_time=0.5)),
    ("adaptive_autorange", [2e-4, 2.01e-4], dict(min_run_time=0.1)),
])
def test_timer_choices_match_torch_under_fake_clock(method, costs, kw):
    assert _run_timer(EB, method, costs, **kw) == _run_timer(TB, method, costs, **kw)


def test_timer_callback_setup_and_globals():
    calls = {}
    for T, B in BOTH:
        clock = _FakeClock([1e-4])
        seen = []
        t = B.Timer("""
            clock.stmt()
            acc.append(x)
            """, setup="x = torch.ones(2).sum().item()", timer=clock,
                    globals={"clock": clock, "acc": []}, label="L", sub_label="S",
                    description="D", env="E")
        m = t.blocked_autorange(callback=lambda n, s: seen.append((n, s)), min_run_time=0.01)
        calls[T] = (seen, _mask(repr(m)), m.task_spec.stmt, m.task_spec.setup)
    assert calls[ember] == calls[torch]


def test_timer_sets_thread_count_and_restores_it():
    before = ember.get_num_threads()
    seen = []
    t = EB.Timer("seen.append(torch.get_num_threads())", globals={"seen": seen},
                 num_threads=1)
    t.timeit(3)
    assert set(seen) == {1}
    assert ember.get_num_threads() == before


def test_timer_default_clock_and_real_measurement():
    m = EB.Timer("x * y", setup="x = torch.ones(4); y = torch.ones(4)").blocked_autorange(
        min_run_time=0.01)
    assert m.number_per_run >= 1 and len(m.raw_times) >= 1 and m.median > 0
    assert isinstance(EB.timer(), float)


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e).split("\n")[0]  # first line, as tests/oracle.check_raises
    return None


@pytest.mark.parametrize("make", [
    lambda B: B.Timer(stmt=lambda: 1),
    lambda B: B.Timer("x", global_setup="#include <x>"),
    lambda B: B.Timer("x", language="fortran"),
    lambda B: B.Timer().repeat(),
    lambda B: B.Timer().autorange(),
    lambda B: B.Timer().collect_callgrind(repeats=0),
    lambda B: B.Timer("undefined_name").timeit(1),
    lambda B: B.CopyIfCallgrind(object()).value,
])
def test_errors_match(make):
    assert _err(lambda: make(EB)) == _err(lambda: make(TB))


def test_not_implemented_parts():
    with pytest.raises(NotImplementedError, match="Callgrind"):
        EB.Timer("1 + 1").collect_callgrind()
    with pytest.raises(NotImplementedError, match="C\\+\\+"):
        EB.Timer("x * y;", language=EB.Language.CPP)
    with pytest.raises(NotImplementedError, match="sparse"):
        EB.FuzzedSparseTensor("x", size=(2, 2))


def test_function_counts_and_callgrind_stats_containers():
    out = {}
    for T, B in BOTH:
        rows = [("/a/build/../aten/x.cpp:at::mul [/lib/libtorch.so]", 300),
                ("/p/Python/ceval.c:eval", 200), ("???:malloc", 50),
                ("Objects/dictobject.c:lookdict_unicode", 7)]
        fc = B.FunctionCounts(tuple(B.FunctionCount(c, f) for f, c in rows), inclusive=False,
                              _linewidth=60)
        other = B.FunctionCounts((B.FunctionCount(20, "???:malloc"),), inclusive=False)
        stats = B.CallgrindStats(B.TaskSpec("x * y", "pass"), 100, False, fc, fc, fc, fc, None)
        std = stats.as_standardized()
        out[T] = (_mask(repr(fc)), _mask(repr(fc - other)), _mask(repr(fc * 2)),
                  list(fc.transform(lambda f: f[:3])), list(fc.filter(lambda f: "a" in f)),
                  fc.sum(), fc.denoise().sum(), list(fc[1:3]), tuple(fc[0]), _mask(repr(stats)),
                  stats.counts(denoise=True), list(std.stats()), list(stats.delta(std)))
    assert out[ember] == out[torch]


def test_fuzzer_parameters_and_tensors_match():
    # non-dict distributions: torch 2.13 rejects every normalized dict distribution
    out = {}
    for T, B in BOTH:
        fz = B.Fuzzer(
            parameters=[B.FuzzedParameter("k0", minval=1, maxval=300, distribution="loguniform"),
                        B.FuzzedParameter("k1", minval=2, maxval=40, distribution="uniform"),
                        B.FuzzedParameter("s", minval=0.5, maxval=2.0, distribution="uniform")],
            tensors=[B.FuzzedTensor("x", size=("k0", "k1"), steps=(1, 2),
                                    probability_contiguous=0.4, max_elements=5000),
                     B.FuzzedTensor("i", size=("k1",), dtype=T.int64)],
            constraints=[lambda params: params["k1"] != 3], seed=7)
        rows = []
        for tensors, props, params in fz.take(6):
            rows.append((params, {k: (v.shape, v.stride(), v.numpy().tolist())
                                  for k, v in tensors.items()},
                         {k: {pk: (pv.tolist() if isinstance(pv, np.ndarray) else pv)
                              for pk, pv in p.items()} for k, p in props.items()}))
        out[T] = (rows, fz.rejection_rate)
    (rows_t, rate_t), (rows_e, rate_e) = out[torch], out[ember]
    assert rate_e == rate_t
    for (pt, tt, prt), (pe, te, pre) in zip(rows_t, rows_e):
        assert pe == pt
        prt = {k: dict(v, dtype=v["dtype"]) for k, v in prt.items()}
        assert pre == prt
        for k in tt:
            assert tuple(te[k][0]) == tuple(tt[k][0]) and te[k][1] == tt[k][1]
            assert te[k][2] == tt[k][2]


def test_fuzzer_errors_match():
    cases = [
        lambda B: B.FuzzedParameter("x", distribution={1: 0.5, 2: 0.5}),
        lambda B: B.FuzzedParameter("x", distribution="normal"),
        lambda B: B.FuzzedParameter("x", minval=1, distribution={1: 0.5, 2: 0.6}),
        lambda B: B.Fuzzer([B.FuzzedParameter("x", 1, 2, "uniform")],
                           [B.FuzzedTensor("x", size=(1,))]),
        lambda B: next(B.Fuzzer([B.FuzzedParameter("a", 1, 2, "uniform")],
                                [B.FuzzedTensor("t", size=("a",), min_elements=5)],
                                seed=0).take(1)),
    ]
    for make in cases:
        assert _err(lambda m=make: m(EB)) == _err(lambda m=make: m(TB))
    assert repr(EB.ParameterAlias("k0")) == repr(TB.ParameterAlias("k0"))
