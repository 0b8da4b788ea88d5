"""The "PyTorch Profiler" recipe (recipes/recipes/profiler_recipe) on ember vs torch, with a small
conv net in place of resnet18: event names, counts and nesting of the ops the model runs, table
headers and input-shape grouping, the Chrome trace's layout, and the schedule's steps.
Timings differ, so structure is compared, never times."""
from __future__ import annotations

import json
import warnings

import pytest
import torch

import ember

BOTH = (torch, ember)

# what the recipe's tables show for a conv/bn/relu/pool/linear model (torch's dispatch stages
# below these, e.g. aten::_convolution and aten::mkldnn_convolution, have no ember counterpart)
RECIPE_NAMES = ("model_inference", "aten::conv2d", "aten::convolution", "aten::batch_norm",
                "aten::native_batch_norm", "aten::relu", "aten::max_pool2d",
                "aten::max_pool2d_with_indices", "aten::adaptive_avg_pool2d", "aten::mean",
                "aten::flatten", "aten::linear", "aten::t", "aten::addmm")


def _model(T):
    T.manual_seed(0)
    nn = T.nn
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.AdaptiveAvgPool2d((1, 1)),
                          nn.Flatten(), nn.Linear(16, 10))
    model.eval()
    return model, T.randn(2, 3, 16, 16)


def _profile(T, **kw):
    model, inputs = _model(T)
    P = T.profiler
    with P.profile(activities=[P.ProfilerActivity.CPU], **kw) as prof:
        with P.record_function("model_inference"):
            model(inputs)
    return prof


@pytest.fixture(scope="module")
def profs():
    return {T: _profile(T, record_shapes=True) for T in BOTH}


def test_recipe_event_names_and_counts(profs):
    counts = {T: {e.key: e.count for e in profs[T].key_averages()} for T in BOTH}
    assert {n: counts[ember].get(n) for n in RECIPE_NAMES} == \
        {n: counts[torch].get(n) for n in RECIPE_NAMES}
    # every name ember records is one torch records for the same program
    assert set(counts[ember]) <= set(counts[torch])


def _ancestors(events):
    pairs = set()
    for e in events:
        p = e.cpu_parent
        while p is not None:
            pairs.add((p.name, e.name))
            p = p.cpu_parent
    return pairs


def test_recipe_nesting(profs):
    ember_pairs = {(e.cpu_parent.name, e.name) for e in profs[ember].events()
                   if e.cpu_parent is not None}
    assert ("aten::conv2d", "aten::convolution") in ember_pairs
    assert ("model_inference", "aten::linear") in ember_pairs
    assert ember_pairs <= _ancestors(profs[torch].events())


def _header(table):
    lines = table.splitlines()
    return lines[0], lines[1], lines[-1].split(":")[0]


def test_recipe_tables(profs):
    for kw in (dict(sort_by="cpu_time_total", row_limit=10),
               dict(sort_by="self_cpu_time_total", row_limit=3)):
        t = {T: profs[T].key_averages().table(**kw) for T in BOTH}
        # same columns and widths (the name column follows the longest name shown)
        assert _header(t[ember]) == _header(t[torch])
        assert len(t[ember].splitlines()) == len(t[torch].splitlines())
    grouped = {T: profs[T].key_averages(group_by_input_shape=True) for T in BOTH}
    # (aten::batch_norm differs: torch's op has 9 arguments, F.batch_norm's Python call 8)
    for name in ("aten::conv2d", "aten::max_pool2d", "aten::flatten"):
        shapes = {T: sorted(str(e.input_shapes) for e in grouped[T] if e.key == name)
                  for T in BOTH}
        assert shapes[ember] == shapes[torch], name
    t = {T: grouped[T].table(sort_by="cpu_time_total", row_limit=10) for T in BOTH}
    assert t[ember].splitlines()[1].split()[-2:] == t[torch].splitlines()[1].split()[-2:] == \
        ["Input", "Shapes"]


def test_recipe_memory_tables():
    for sort_by in ("self_cpu_memory_usage", "cpu_memory_usage"):
        heads = {}
        for T in BOTH:
            prof = _profile(T, profile_memory=True, record_shapes=True)
            heads[T] = prof.key_averages().table(sort_by=sort_by, row_limit=10).splitlines()[1]
        assert heads[ember].split() == heads[torch].split()


def test_chrome_trace_layout(tmp_path):
    docs = {}
    for T in BOTH:
        prof = _profile(T)
        path = tmp_path / f"{T.__name__}.json"
        prof.export_chrome_trace(str(path))
        docs[T] = json.loads(path.read_text())
    for T in BOTH:
        assert docs[T]["traceName"].endswith(f"{T.__name__}.json")
    assert set(docs[ember]) == set(docs[torch])
    ev = {T: docs[T]["traceEvents"] for T in BOTH}
    assert {e["ph"] for e in ev[ember]} == {e["ph"] for e in ev[torch]}
    meta = {T: {(e["name"], e["pid"] == "Spans") for e in ev[T] if e["ph"] in "Mi"}
            for T in BOTH}
    assert meta[ember] == meta[torch]
    xs = {T: [e for e in ev[T] if e["ph"] == "X"] for T in BOTH}
    assert {k for e in xs[ember] for k in e} == {k for e in xs[torch] for k in e}
    assert {e["cat"] for e in xs[ember]} == {e["cat"] for e in xs[torch]}
    for name in ("model_inference", "aten::conv2d", "aten::linear"):
        args = {T: [set(e["args"]) - {"Sequence number", "Fwd thread id"}
                    for e in xs[T] if e["name"] == name] for T in BOTH}
        assert args[ember] == args[torch], name
    spans = {T: [e["name"] for e in xs[T] if e["cat"] == "Trace"] for T in BOTH}
    assert spans[ember] == spans[torch] == ["PyTorch Profiler (0)"]
    model = [e for e in xs[ember] if e["name"] == "model_inference"][0]
    span = [e for e in xs[ember] if e["cat"] == "Trace"][0]
    assert span["ts"] <= model["ts"] and model["ts"] + model["dur"] <= span["ts"] + span["dur"]


def test_schedule_steps_and_on_trace_ready(tmp_path):
    res = {}
    for T in BOTH:
        model, inputs = _model(T)
        seen = []

        def handler(p, T=T, seen=seen):
            rows = {e.key: e.count for e in p.key_averages()}
            path = tmp_path / f"{T.__name__}_{p.step_num}.json"
            p.export_chrome_trace(str(path))
            steps = sorted(e["name"] for e in json.loads(path.read_text())["traceEvents"]
                           if e["name"].startswith("ProfilerStep#"))
            seen.append((p.step_num, rows.get("ProfilerStep*"), rows.get("aten::conv2d"),
                         rows.get("aten::linear"), steps))

        P = T.profiler
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Profiler clears events ..."
            with P.profile(activities=[P.ProfilerActivity.CPU],
                           schedule=P.schedule(wait=1, warmup=1, active=2),
                           on_trace_ready=handler) as p:
                for _ in range(8):
                    model(inputs)
                    p.step()
        res[T] = (seen, p.step_num)
    assert res[ember] == res[torch]
    assert [s[0] for s in res[ember][0]] == [4, 8]


def test_composite_names_restored_after_profiling():
    F = ember.nn.functional
    before = (F.conv2d, F.linear, ember.Tensor.flatten, ember.flatten)
    _profile(ember)
    assert (F.conv2d, F.linear, ember.Tensor.flatten, ember.flatten) == before
    assert not hasattr(F.conv2d, "__wrapped__")


def test_functional_names_match_torch():
    """Top-level event names of single functional calls (torch records the composite's own
    range first; ember must name it the same)."""
    def calls(T):
        F = T.nn.functional
        x = T.randn(2, 3, 8, 8)
        x1 = T.randn(2, 3, 8)
        w = T.randn(4, 3, 3, 3)
        a, b = T.randn(2, 3), T.randn(4, 3)
        tg = T.tensor([0, 1])
        w1, zeros, ones = T.randn(4, 3, 3), T.zeros(3), T.ones(3)
        return [lambda: F.conv1d(x1, w1), lambda: F.conv2d(x, w),
                lambda: F.linear(a, b), lambda: F.batch_norm(x, zeros, ones),
                lambda: F.layer_norm(x, (8,)), lambda: F.group_norm(x, 1),
                lambda: F.max_pool2d(x, 2), lambda: F.max_pool2d(x, 2, return_indices=True),
                lambda: F.avg_pool2d(x, 2), lambda: F.adaptive_avg_pool2d(x, 1),
                lambda: F.adaptive_max_pool2d(x, 1), lambda: F.dropout(x, 0.5, False),
                lambda: F.relu(x), lambda: F.softmax(x, 1), lambda: F.log_softmax(x, 1),
                lambda: F.cross_entropy(a, tg), lambda: F.nll_loss(a, tg),
                lambda: x.flatten(1), lambda: T.flatten(x, 1), lambda: T.conv2d(x, w)]
    names = {}
    for T in BOTH:
        out = []
        for f in calls(T):
            with T.profiler.profile() as p:
                f()
            out.append([e.name for e in p.events() if e.cpu_parent is None])
        names[T] = out
    assert names[ember] == names[torch]
