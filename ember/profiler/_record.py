"""Event recording for the profilers: what runs only while a profiler is collecting.

Starting a recorder installs a layer around Op.apply (autograd/op.py rebuilds Op.apply, so the
dispatch path pays nothing when no profiler is on), wraps the few functions that answer
without Op.apply (the no-grad fast paths of + - * / and the comparisons) wherever they are
reachable (ember.ops.elementwise, the ember namespace, Tensor's methods), and sets the engine's
PROFILER cell so backward nodes are timed. Each record is a plain list
[name, start_ns, end_ns, thread, input shapes, stack, scope, category, memory delta].
"""
from __future__ import annotations

import inspect
import os
import re
import threading
import time
import traceback
import tracemalloc

from ..autograd import op as _op

_now = time.perf_counter_ns
_tid = threading.get_native_id

ACTIVE = [None]   # the collecting recorder, if any

# torch's op names where they differ from the node name (ExpBackward0 -> aten::exp otherwise)
_ATEN_OVERRIDES = {
    "ToCopy": "aten::_to_copy", "CopySlices": "aten::copy_", "Copy": "aten::copy_",
    "LogSoftmax": "aten::_log_softmax", "Softmax": "aten::_softmax",
    "MaxPool2DWithIndices": "aten::max_pool2d_with_indices",
    "MaxPool3DWithIndices": "aten::max_pool3d_with_indices",
    "NativeLayerNorm": "aten::native_layer_norm", "NativeBatchNorm": "aten::native_batch_norm",
    "IndexPut": "aten::index_put_", "IndexPutAccumulate": "aten::index_put_",
    "Fill": "aten::fill_", "UnsafeView": "aten::_unsafe_view", "NllLoss": "aten::nll_loss",
    "Error": "DelayedError",
}
_NAME_CACHE: dict = {}
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_DIM_D = re.compile(r"(\d)_d(?=_|$)")   # AvgPool2D -> avg_pool2_d -> avg_pool2d


def aten_name(cls):
    """torch's profiler name for an Op class: MulBackward0 -> aten::mul, AddmmBackward0 ->
    aten::addmm (a class may set `aten_name` itself)."""
    name = _NAME_CACHE.get(cls)
    if name is None:
        name = cls.__dict__.get("aten_name")
        if name is None:
            base = re.sub(r"Backward\d*$", "", cls.__name__)
            name = _ATEN_OVERRIDES.get(base) or "aten::" + _DIM_D.sub(
                r"\1d", _CAMEL.sub(r"_\1", base).lower())
        _NAME_CACHE[cls] = name
    return name


_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_stack():
    """The Python stack outside ember, innermost first, as "file(line): function"."""
    out = []
    for f in reversed(traceback.extract_stack()[:-2]):
        if f.filename.startswith(_PKG):
            continue
        out.append(f"{f.filename}({f.lineno}): {f.name}")
    return out


def _shapes(args):
    shapes = []
    for a in args:
        d = getattr(a, "_data", None)
        shapes.append(list(d.shape) if d is not None else [])
    return shapes


class Recorder:
    """Collects raw records while installed; `stop()` uninstalls and returns them."""

    def __init__(self, record_shapes=False, profile_memory=False, with_stack=False):
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.raw = []
        self.base_ns = _now()
        self.base_us = time.time_ns() / 1000.0
        self.end_ns = self.base_ns
        self._patched = []
        self._started_tracemalloc = False

    # ---- one record ----
    def begin(self, name, args=None, scope=0, cat="cpu_op"):
        rec = [name, 0, 0, _tid(), _shapes(args) if self.record_shapes and args else [],
               _user_stack() if self.with_stack else None, scope, cat,
               tracemalloc.get_traced_memory()[0] if self.profile_memory else 0]
        rec[1] = _now()
        return rec

    def end(self, rec):
        rec[2] = _now()
        if self.profile_memory:
            rec[8] = tracemalloc.get_traced_memory()[0] - rec[8]
        self.raw.append(rec)

    # ---- what the hooks call ----
    def _op_layer(self, inner):
        begin, end = self.begin, self.end

        def apply(cls, *args, **params):
            rec = begin(_NAME_CACHE.get(cls) or aten_name(cls), args)
            try:
                return inner(cls, *args, **params)
            finally:
                end(rec)
        return apply

    def _wrap_function(self, fn, name, skip=None, arity=None):
        begin, end = self.begin, self.end
        sig = None
        if arity and self.record_shapes:
            try:
                sig = inspect.signature(fn)
            except (TypeError, ValueError):
                pass

        def wrapper(*args, **kwargs):
            if skip is not None and skip(args, kwargs):
                return fn(*args, **kwargs)
            shown = args
            if sig is not None:
                # torch lists every argument of the op's schema, defaults included
                try:
                    bound = sig.bind(*args, **kwargs)
                    bound.apply_defaults()
                    shown = list(bound.arguments.values())[:arity]
                    shown += [None] * (arity - len(shown))
                except TypeError:
                    pass  # the call itself will raise it
            rec = begin(name, shown)
            try:
                return fn(*args, **kwargs)
            finally:
                end(rec)
        wrapper.__wrapped__ = fn
        return wrapper

    def run_node(self, node, grads):
        """The engine calls this instead of node.backward(*grads) while profiling."""
        name = node.name()
        outer = self.begin("autograd::engine::evaluate_function: " + name, scope=1)
        inner = self.begin(name, scope=1)
        try:
            return node.backward(*grads)
        finally:
            self.end(inner)
            self.end(outer)

    def run_accumulate(self, fn, *args):
        outer = self.begin("autograd::engine::evaluate_function: "
                           "torch::autograd::AccumulateGrad", scope=1)
        inner = self.begin("torch::autograd::AccumulateGrad", scope=1)
        try:
            return fn(*args)
        finally:
            self.end(inner)
            self.end(outer)

    # ---- install / uninstall ----
    def start(self):
        if ACTIVE[0] is not None:
            raise RuntimeError("Profiler is already enabled on this thread")
        if self.profile_memory and not tracemalloc.is_tracing():
            tracemalloc.start()
            self._started_tracemalloc = True
        self.base_ns = _now()
        self.base_us = time.time_ns() / 1000.0
        ACTIVE[0] = self
        _op.PROFILER[0] = self
        _op.set_apply_layer("profiler", self._op_layer)
        self._patch()

    def stop(self):
        self.end_ns = _now()
        if ACTIVE[0] is self:
            ACTIVE[0] = None
            _op.PROFILER[0] = None
            _op.set_apply_layer("profiler", None)
            self._unpatch()
            if self._started_tracemalloc:
                tracemalloc.stop()
                self._started_tracemalloc = False
        return self.raw

    def _patch(self):
        import sys
        import ember
        from ..ops import elementwise as E
        from .._tensor import Tensor
        targets = {}   # id(function) -> (function, its wrapper)
        for fname in _FAST_FUNCTIONS:
            fn = getattr(E, fname, None)
            if fn is not None:
                targets[id(fn)] = (fn, self._wrap_function(fn, "aten::" + fname))
        owners = [E, ember, Tensor]
        for modname, table in _COMPOSITES:
            mod = sys.modules.get(modname)
            if mod is None:
                continue   # not imported yet, so nothing can be calling it
            owners.append(mod)
            for fname, name in table.items():
                fn = getattr(mod, fname, None)
                if fn is not None and id(fn) not in targets:
                    targets[id(fn)] = (fn, self._wrap_function(fn, name, _SKIP.get(fname),
                                                               _ARITY.get(name)))
        for owner in owners:
            for attr, value in list(vars(owner).items()):
                hit = targets.get(id(value))
                if hit is not None and hit[0] is value:
                    self._patched.append((owner, attr, value))
                    setattr(owner, attr, hit[1])

    def _unpatch(self):
        for owner, attr, fn in reversed(self._patched):
            setattr(owner, attr, fn)
        self._patched = []


# functions that can answer without reaching Op.apply (fast paths, non-differentiable results)
_FAST_FUNCTIONS = ("add", "sub", "mul", "div", "eq", "ne", "lt", "le", "gt", "ge")


def _nd(prefix, dims=(1, 2, 3)):
    return {f"{prefix}{d}d": f"aten::{prefix}{d}d" for d in dims}


# functions that torch records as a range of their own around the ops they run (aten::conv2d
# around aten::convolution, aten::linear around t/addmm, aten::flatten around view, ...). Where
# ember's op has the same name (aten::relu), the two records fold into one. torch's dispatch
# stages below these (aten::_convolution, aten::mkldnn_convolution, aten::_batch_norm_impl_index,
# ...) have no ember counterpart and are not recorded.
_FUNCTIONAL = {
    **_nd("conv"), **_nd("conv_transpose"), **_nd("max_pool"), **_nd("avg_pool"),
    **_nd("adaptive_avg_pool"), **_nd("adaptive_max_pool"),
    "linear": "aten::linear", "bilinear": "aten::bilinear", "batch_norm": "aten::batch_norm",
    "instance_norm": "aten::instance_norm", "layer_norm": "aten::layer_norm",
    "group_norm": "aten::group_norm", "dropout": "aten::dropout", "relu": "aten::relu",
    "softmax": "aten::softmax", "log_softmax": "aten::log_softmax",
    "embedding": "aten::embedding", "cross_entropy": "aten::cross_entropy_loss",
    "nll_loss": "aten::nll_loss_nd", "mse_loss": "aten::mse_loss",
}
_COMPOSITES = (
    ("ember.nn.functional", _FUNCTIONAL),
    ("ember.ops.shape", {"flatten": "aten::flatten"}),
    ("ember._torch_ns", {**_nd("conv"), **_nd("conv_transpose")}),
)


def _returns_indices(args, kwargs):
    # F.max_poolNd(..., return_indices=True) calls aten::max_poolNd_with_indices directly
    return kwargs.get("return_indices") or (len(args) > 6 and args[6])


_SKIP = {f"max_pool{d}d": _returns_indices for d in (1, 2, 3)}

# how many arguments torch's op schema has (record_shapes lists them all); where the schema's
# order differs from the Python function's (batch_norm), the shapes follow the Python order
_ARITY = {**{f"aten::conv{d}d": 7 for d in (1, 2, 3)},
          **{f"aten::conv_transpose{d}d": 8 for d in (1, 2, 3)},
          **{f"aten::max_pool{d}d": 6 for d in (1, 2, 3)},
          **{f"aten::avg_pool{d}d": (6 if d == 1 else 7) for d in (1, 2, 3)},
          **{f"aten::adaptive_{k}_pool{d}d": 2 for k in ("avg", "max") for d in (1, 2, 3)},
          "aten::linear": 3, "aten::batch_norm": 9, "aten::layer_norm": 6,
          "aten::group_norm": 6, "aten::dropout": 3, "aten::relu": 1, "aten::softmax": 3,
          "aten::log_softmax": 3, "aten::flatten": 3, "aten::mse_loss": 3}


class record_function:
    """Label a block (or, as a decorator, a function) in the profile
    (see torch.autograd.profiler.record_function)."""

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self.run_callbacks_on_exit = True
        self._rec = None
        self._recorder = None

    def __enter__(self):
        rec = ACTIVE[0]
        if rec is not None:
            self._recorder = rec
            self._rec = rec.begin(self.name, cat="user_annotation")
        return self

    def __exit__(self, *exc):
        if self._rec is not None:
            self._recorder.end(self._rec)
            self._rec = self._recorder = None
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapper
