"""torch.profiler for ember: profile (activities, schedule, on_trace_ready), record_function,
ProfilerActivity/ProfilerAction, schedule and tensorboard_trace_handler.

Recording lives in _record.py (hooks into Op.apply and the engine, installed only while a
profile collects); the results (EventList, key_averages, table, Chrome trace) in _events.py.
ember records CPU activity only: asking for CUDA activity on a machine with a GPU raises
NotImplementedError, and where there is no GPU it is dropped with torch's warning.
"""
from __future__ import annotations

import enum
import os
import socket
import time
import warnings

from ._events import DeviceType, EventList, FunctionEvent, FunctionEventAvg, build_events
from ._record import Recorder, record_function

__all__ = ["profile", "schedule", "supported_activities", "tensorboard_trace_handler",
           "ProfilerAction", "ProfilerActivity", "kineto_available", "DeviceType",
           "record_function"]


class ProfilerActivity(enum.IntEnum):
    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities():
    """The activities this build can record: {ProfilerActivity.CPU}."""
    return {ProfilerActivity.CPU}


def kineto_available():
    """ember does not use Kineto (its traces are written in Kineto's JSON layout)."""
    return False


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """Step -> ProfilerAction: skip_first steps, then cycles of wait, warmup and active steps,
    `repeat` times (0: forever); the last active step of a cycle saves (see
    torch.profiler.schedule)."""
    def schedule_fn(step):
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        n = wait + warmup + active
        if repeat > 0 and step / n >= repeat:
            return ProfilerAction.NONE
        k = step % n
        if k < wait:
            return ProfilerAction.NONE
        if k < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if k < n - 1 else ProfilerAction.RECORD_AND_SAVE

    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} "
            f"(need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
            f"skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)
    return schedule_fn


_WARNINGS_SHOWN = set()


def _warn_once(msg):
    if msg not in _WARNINGS_SHOWN:
        _WARNINGS_SHOWN.add(msg)
        warnings.warn(msg, UserWarning, stacklevel=4)


def _default_schedule_fn(_):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False,
                              use_python_export=False):
    """An on_trace_ready callback writing `<worker>.<time_ns>.pt.trace.json` into dir_name."""
    def handler_fn(prof):
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as e:
                raise RuntimeError("Can't create directory: " + dir_name) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker_name}.{time.time_ns()}.pt.trace.json"
        path = os.path.join(dir_name, name)
        prof.export_chrome_trace(path)
        if use_gzip:
            import gzip
            import shutil
            with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.remove(path)
    return handler_fn


def _check_activities(activities, use_cuda):
    from .. import cuda
    acts = set()
    if activities is not None:
        for a in activities:
            acts.update(a.keys() if isinstance(a, dict) else (a,))
    else:
        acts = supported_activities()
    if use_cuda is not None:
        warnings.warn("`use_cuda` is deprecated, use `activities` argument instead",
                      FutureWarning, stacklevel=3)
        if use_cuda:
            acts.add(ProfilerActivity.CUDA)
        else:
            acts.discard(ProfilerActivity.CUDA)
    if not acts:
        raise AssertionError("No valid profiler activities found")
    if ProfilerActivity.CUDA in acts:
        if cuda.is_available():
            raise NotImplementedError("ember's profiler records CPU activity only: CUDA kernel "
                                      "timing (ProfilerActivity.CUDA) is not implemented")
        acts.discard(ProfilerActivity.CUDA)
    return acts


class _Collector:
    """What both profilers share: a Recorder while collecting, an EventList after."""

    def _init_collector(self, record_shapes, profile_memory, with_stack, acc_events=False):
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.acc_events = acc_events
        self._recorder = None
        self._raw = []          # the raw records of the cycles kept (acc_events) so far
        self._meta = None
        self.function_events = None

    def _prepare(self):
        if self.function_events is not None and not self.acc_events:
            _warn_once("Warning: Profiler clears events at the end of each cycle. Only events "
                       "from the current cycle will be reported. To keep events across "
                       "cycles, set acc_events=True.")

    def _start_recording(self):
        self._recorder = Recorder(self.record_shapes, self.profile_memory, self.with_stack)
        self._recorder.start()

    def _stop_recording(self):
        rec = self._recorder
        if rec is None:
            return
        raw = rec.stop()
        self._recorder = None
        if self.acc_events and self._meta is not None:
            raw = self._raw + raw   # times stay relative to the first cycle's start
        else:
            self._meta = {"base_ns": rec.base_ns, "base_us": rec.base_us, "pid": os.getpid()}
        # the end of the recording window (the trace's "Record Window End" marker)
        self._meta["end_us"] = (self._meta["base_us"]
                                + (rec.end_ns - self._meta["base_ns"]) / 1000.0)
        self._raw = raw
        self.function_events = build_events(raw, profile_memory=self.profile_memory,
                                            trace_meta=self._meta)

    def events(self):
        return self.function_events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        """Events grouped by name (and input shapes / top stack frames when asked)."""
        return self.function_events.key_averages(group_by_input_shape, group_by_stack_n,
                                                 group_by_overload_name)

    def export_chrome_trace(self, path):
        """Write the events as a Chrome/Perfetto trace (JSON with traceEvents)."""
        return self.function_events.export_chrome_trace(path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        return self.function_events.export_stacks(path, metric)


_TRANSITIONS = {
    # (previous action, next action) -> the steps torch's profiler takes
    ("NONE", "WARMUP"): ("prepare",), ("NONE", "RECORD"): ("prepare", "start"),
    ("NONE", "RECORD_AND_SAVE"): ("prepare", "start"),
    ("WARMUP", "NONE"): ("warn", "start", "stop"), ("WARMUP", "RECORD"): ("start",),
    ("WARMUP", "RECORD_AND_SAVE"): ("start",),
    ("RECORD", "NONE"): ("warn", "stop"), ("RECORD", "WARMUP"): ("warn", "stop"),
    ("RECORD_AND_SAVE", "NONE"): ("stop", "ready"),
    ("RECORD_AND_SAVE", "WARMUP"): ("stop", "ready", "prepare"),
    ("RECORD_AND_SAVE", "RECORD"): ("stop", "ready", "prepare", "start"),
    ("RECORD_AND_SAVE", "RECORD_AND_SAVE"): ("stop", "ready", "prepare", "start"),
    ("WARMUP", None): ("start", "stop"), ("RECORD", None): ("stop", "ready"),
    ("RECORD_AND_SAVE", None): ("stop", "ready"),
}


class profile(_Collector):
    """torch.profiler.profile: collect CPU op events, optionally on a step schedule.

    Use as a context manager (or start()/stop()), call step() at the end of each training
    step when a schedule is given; on_trace_ready(prof) runs after each active cycle.
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False, experimental_config=None, execution_trace_observer=None,
                 acc_events=False, use_cuda=None, custom_trace_id_callback=None,
                 post_processing_timeout_s=None):
        self.activities = _check_activities(activities, use_cuda)
        self._init_collector(record_shapes, profile_memory, with_stack, acc_events)
        self.with_flops = with_flops
        self.with_modules = with_modules
        if schedule:
            self.schedule = schedule
            self.record_steps = True
        else:
            self.schedule = _default_schedule_fn
            self.record_steps = False
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.step_rec_fn = None
        self.current_action = self.schedule(self.step_num)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self._transit(ProfilerAction.NONE, self.current_action)
        if self.record_steps:
            self.step_rec_fn = record_function("ProfilerStep#" + str(self.step_num))
            self.step_rec_fn.__enter__()

    def stop(self):
        if self.record_steps and self.step_rec_fn:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        self._transit(self.current_action, None)

    def step(self):
        """Mark the end of a training step: advance the schedule."""
        if self.record_steps and self.step_rec_fn:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        prev = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit(prev, self.current_action)
        if self.record_steps:
            self.step_rec_fn = record_function("ProfilerStep#" + str(self.step_num))
            self.step_rec_fn.__enter__()

    def _transit(self, prev, cur):
        key = (prev.name, None if cur is None else cur.name)
        for what in _TRANSITIONS.get(key, ()):
            if what == "prepare":
                self._prepare()
            elif what == "warn":
                warnings.warn(f"Incorrect schedule: {key[0]} followed by {key[1]}")
            elif what == "start":
                self._start_recording()
            elif what == "stop":
                self._stop_recording()
            elif what == "ready" and self.on_trace_ready:
                self.on_trace_ready(self)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        if self.function_events is None:
            raise AssertionError("Expected profiling results")
        return super().key_averages(group_by_input_shape, group_by_stack_n,
                                    group_by_overload_name)
