"""The profilers (torch.autograd.profiler.profile, torch.profiler.profile) on ember vs torch:
table layout and columns, op names, key_averages grouping, record_function, schedules and
on_trace_ready, Chrome-trace export, and that nothing is left installed afterwards."""
from __future__ import annotations

import json
import re
import warnings

import pytest
import torch

import ember
from ember.autograd import op as _op

BOTH = (torch, ember)


def _table_parts(text):
    lines = text.rstrip("\n").split("\n")
    seps = [i for i, ln in enumerate(lines) if set(ln.strip()) <= {"-", " "} and ln.strip()]
    header = [c for c in re.split(r"\s{2,}", lines[seps[0] + 1].strip())]
    rows = [re.split(r"\s{2,}", ln.strip()) for ln in lines[seps[1] + 1:seps[2]]]
    return header, rows, lines[seps[2] + 1:], lines[seps[0]]


def _workload(T):
    x = T.randn(2, 3, requires_grad=True)
    y = T.rand(2, 3, requires_grad=True)
    z = T.ones(2, 3, requires_grad=True)
    for _ in range(10):
        z = (z / x) * y
    return z


def test_autograd_profiler_table_columns_names_and_counts():
    res = {}
    for T in BOTH:
        with T.autograd.profiler.profile() as prof:
            _workload(T)
        header, rows, footer, sep = _table_parts(
            prof.key_averages().table(sort_by="self_cpu_time_total"))
        counts = {r[0]: r[-1] for r in rows}
        res[T] = (header, {k: counts[k] for k in ("aten::div", "aten::mul")},
                  re.sub(r"[\d.]+(ms|us|s)$", "#", footer[0]), len(footer))
        # every row: Name + 5 time/percent columns + calls
        assert all(len(r) == 7 for r in rows)
    assert res[ember] == res[torch]
    assert res[ember][0] == ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total",
                             "CPU time avg", "# of Calls"]


def test_table_formatting_rules():
    with ember.autograd.profiler.profile() as prof:
        _workload(ember)
    text = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=1)
    header, rows, footer, sep = _table_parts(text)
    assert len(rows) == 1
    # name column: longest name + 4; 12-wide number columns; two spaces between columns
    assert sep == "-" * len("aten::div    ") + ("  " + "-" * 12) * 6 + "  "
    assert re.fullmatch(r"\d+\.\d\d%", rows[0][1]) and re.fullmatch(r"[\d.]+(us|ms|s)",
                                                                     rows[0][2])
    assert footer[0].startswith("Self CPU time total: ")
    ka = prof.key_averages()
    assert sorted(e.key for e in ka) == ["aten::div", "aten::mul"]
    assert abs(sum(e.self_cpu_time_total for e in ka) - prof.self_cpu_time_total) < 1e-6
    assert ka.total_average().key == "Total" and ka.total_average().count == 20


def test_backward_nodes_record_function_and_nesting():
    res = {}
    for T in BOTH:
        x = T.randn(2, 3, requires_grad=True)
        y = T.rand(2, 3)
        with T.autograd.profiler.profile() as prof:
            with T.autograd.profiler.record_function("myblock"):
                w = (x * y).sin().sum()
            w.backward()
        keys = {e.key for e in prof.key_averages()}
        blk = [e for e in prof.function_events if e.name == "myblock"][0]
        child_names = {c.name for c in blk.cpu_children}
        res[T] = ({k for k in keys if "Backward" in k or "autograd::" in k or k in
                   ("myblock", "aten::mul", "aten::sin", "aten::sum", "aten::cos")},
                  {"aten::mul", "aten::sin", "aten::sum"} <= child_names,
                  blk.cpu_time_total >= sum(c.cpu_time_total for c in blk.cpu_children))
    assert res[ember] == res[torch]


def test_record_function_decorator_and_no_profiler():
    res = {}
    for T in BOTH:
        @T.autograd.profiler.record_function("deco")
        def f(a):
            return a * 2

        f(T.ones(2))   # no profiler running: a no-op
        with T.profiler.record_function("outside"):
            pass
        with T.autograd.profiler.profile() as prof:
            f(T.ones(2))
            with T.profiler.record_function("inner"):
                T.ones(2) + 1
        ka = {e.key: e.count for e in prof.key_averages()}
        res[T] = (ka["deco"], ka["inner"], ka["aten::mul"], ka["aten::add"])
    assert res[ember] == res[torch]


def test_group_by_input_shape_and_record_shapes():
    res = {}
    for T in BOTH:
        a, b = T.ones(2, 3), T.ones(4)
        with T.autograd.profiler.profile(record_shapes=True) as prof:
            a * a
            b * b
            b * b
        header, rows, _, _ = _table_parts(
            prof.key_averages(group_by_input_shape=True).table(sort_by="count"))
        shapes = sorted((r[0], r[-1], r[-2]) for r in rows if r[0] == "aten::mul")
        res[T] = (header[-1], shapes)
    assert res[ember] == res[torch]


def test_profile_memory_columns():
    res = {}
    for T in BOTH:
        with T.autograd.profiler.profile(profile_memory=True) as prof:
            T.ones(1000) * 2
        header, rows, _, _ = _table_parts(prof.key_averages().table())
        mul = [r for r in rows if r[0] == "aten::mul"][0]
        res[T] = (header, bool(re.fullmatch(r"-?[\d.]+ (B|KB|MB|GB)", mul[6])))
    assert res[ember] == res[torch]


def test_with_stack_source_location():
    with ember.autograd.profiler.profile(with_stack=True) as prof:
        ember.ones(2) * 3
    ev = [e for e in prof.function_events if e.name == "aten::mul"][0]
    assert ev.stack and "test_profiler.py" in ev.stack[0]
    header, rows, _, _ = _table_parts(prof.key_averages(group_by_stack_n=1).table())
    assert header[-1] == "Source Location"


def test_chrome_trace_export(tmp_path):
    x = ember.randn(2, 3, requires_grad=True)
    with ember.autograd.profiler.profile() as prof:
        with ember.autograd.profiler.record_function("blk"):
            (x * 2).exp().sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    doc = json.loads(path.read_text())
    evs = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    names = {e["name"] for e in evs}
    assert {"blk", "aten::mul", "aten::exp", "aten::sum", "MulBackward0",
            "torch::autograd::AccumulateGrad"} <= names
    for e in evs:
        assert {"ph", "name", "cat", "pid", "tid", "ts", "dur", "args"} <= set(e)
        assert isinstance(e["ts"], (int, float)) and e["dur"] >= 0
    blk = [e for e in evs if e["name"] == "blk"][0]
    assert blk["cat"] == "user_annotation"
    mul = [e for e in evs if e["name"] == "aten::mul"][0]
    assert blk["ts"] <= mul["ts"] and mul["ts"] + mul["dur"] <= blk["ts"] + blk["dur"] + 1e-3


def test_torch_profiler_schedule_and_on_trace_ready():
    res = {}
    for T in BOTH:
        calls = []

        def handler(p):
            calls.append((p.step_num, sorted({e.key for e in p.key_averages()
                                               if not e.key.startswith("aten::")}),
                          [e.count for e in p.key_averages() if e.key == "aten::mul"]))
        x = T.ones(3)
        with warnings.catch_warnings(record=True) as w:
            # (torch crashes if this warning is turned into an exception inside its C++)
            warnings.simplefilter("always")
            with T.profiler.profile(activities=[T.profiler.ProfilerActivity.CPU],
                                    schedule=T.profiler.schedule(wait=1, warmup=1, active=2,
                                                                 repeat=2),
                                    on_trace_ready=handler) as p:
                for _ in range(10):
                    x * 2
                    p.step()
        res[T] = (calls, [str(m.message) for m in w if "clears events" in str(m.message)])
    assert res[ember] == res[torch]
    assert res[ember][0][0][1] == ["ProfilerStep*"]


def test_acc_events_keeps_events_across_cycles():
    res = {}
    for T in BOTH:
        x = T.ones(3)
        with T.profiler.profile(schedule=T.profiler.schedule(wait=0, warmup=1, active=1,
                                                             repeat=3),
                                acc_events=True) as p:
            for _ in range(6):
                x * 2
                p.step()
        res[T] = {e.key: e.count for e in p.key_averages() if e.key in ("aten::mul",
                                                                        "ProfilerStep*")}
    assert res[ember] == res[torch]


def test_schedule_function_matches():
    for args in [dict(wait=1, warmup=1, active=2, repeat=1, skip_first=1),
                 dict(wait=0, warmup=2, active=3), dict(wait=2, warmup=1, active=1,
                                                        skip_first_wait=1, repeat=3)]:
        st = torch.profiler.schedule(**args)
        se = ember.profiler.schedule(**args)
        assert [a.name for a in map(st, range(20))] == [a.name for a in map(se, range(20))]
    for T in BOTH:
        with pytest.warns(UserWarning, match="won't be using warmup"):
            T.profiler.schedule(wait=1, warmup=0, active=1)
    with pytest.raises(AssertionError, match="Invalid profiler schedule arguments"):
        ember.profiler.schedule(wait=1, warmup=1, active=0)


def test_profiler_activity_and_errors():
    assert repr(ember.profiler.ProfilerActivity.CPU) == repr(torch.profiler.ProfilerActivity.CPU)
    assert ember.profiler.supported_activities() == {ember.profiler.ProfilerActivity.CPU}
    for T in BOTH:
        p = T.autograd.profiler.profile()
        with p:
            with pytest.raises(RuntimeError, match="Profiler context manager is not reentrant"):
                p.__enter__()
        with T.autograd.profiler.profile(enabled=False) as q:
            T.ones(2) * 2
        with pytest.raises(AttributeError):
            q.key_averages()


def test_use_cuda_without_gpu_warns_like_torch():
    res = {}
    for T in BOTH:
        if T.cuda.is_available():
            pytest.skip("a GPU is present")
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with T.autograd.profiler.profile(use_cuda=True) as prof:
                T.ones(2) * 2
        res[T] = [(m.category.__name__, str(m.message)) for m in w]
        assert "aten::mul" in {e.key for e in prof.key_averages()}
    assert res[ember] == res[torch]


def test_tensorboard_trace_handler(tmp_path):
    with ember.profiler.profile(schedule=ember.profiler.schedule(wait=0, warmup=1, active=1,
                                                                 repeat=1),
                                on_trace_ready=ember.profiler.tensorboard_trace_handler(
                                    str(tmp_path), worker_name="w")) as p:
        for _ in range(3):
            ember.ones(2) * 2
            p.step()
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].name.startswith("w.") and \
        files[0].name.endswith(".pt.trace.json")
    json.loads(files[0].read_text())


def test_hooks_are_uninstalled_after_profiling():
    plain = _op._PLAIN_APPLY
    add = ember.Tensor.__add__
    with ember.autograd.profiler.profile():
        assert ember.Tensor.__add__ is not add
        assert _op.PROFILER[0] is not None
    assert _op.Op.__dict__["apply"].__func__ is plain
    assert ember.Tensor.__add__ is add and _op.PROFILER[0] is None
    with pytest.raises(ValueError):
        with ember.profiler.profile():
            raise ValueError("boom")
    assert _op.Op.__dict__["apply"].__func__ is plain and _op.PROFILER[0] is None
