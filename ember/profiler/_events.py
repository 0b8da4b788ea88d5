"""Profiler results: FunctionEvent, FunctionEventAvg and EventList with torch's summary table,
key_averages grouping and Chrome-trace export (see torch.autograd.profiler_util).

_record.py fills raw events while a profiler is on; `build_events` turns them into a tree of
FunctionEvents (a child is an event that ran inside another on the same thread), which is what
"self" times are computed from. Times are in microseconds.
"""
from __future__ import annotations

import enum
import json
import os
import socket
import uuid
from collections import defaultdict

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "DeviceType"]


class DeviceType(enum.IntEnum):
    """Where an event ran (ember records CPU events only)."""
    CPU = 0
    CUDA = 1

    def __str__(self):
        return f"DeviceType.{self.name}"


def _format_time(time_us):
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us, total_time_us):
    if total_time_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_time_us:.2f}%"


def _format_memory(nbytes):
    kb, mb, gb = 1024, 1024 ** 2, 1024 ** 3
    if abs(nbytes) >= gb:
        return f"{nbytes * 1.0 / gb:.2f} GB"
    if abs(nbytes) >= mb:
        return f"{nbytes * 1.0 / mb:.2f} MB"
    if abs(nbytes) >= kb:
        return f"{nbytes * 1.0 / kb:.2f} KB"
    return str(nbytes) + " B"


class _Times:
    """The *_str formatted views and averages shared by FunctionEvent and FunctionEventAvg."""

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else 1.0 * self.cpu_time_total / self.count

    @property
    def device_time(self):
        return 0.0 if self.count == 0 else 1.0 * self.device_time_total / self.count

    cpu_time_str = property(lambda self: _format_time(self.cpu_time))
    device_time_str = property(lambda self: _format_time(self.device_time))
    cpu_time_total_str = property(lambda self: _format_time(self.cpu_time_total))
    device_time_total_str = property(lambda self: _format_time(self.device_time_total))
    self_cpu_time_total_str = property(lambda self: _format_time(self.self_cpu_time_total))
    self_device_time_total_str = property(
        lambda self: _format_time(self.self_device_time_total))


class Interval:
    def __init__(self, start, end):
        self.start = start
        self.end = end

    def elapsed_us(self):
        return self.end - self.start


class FunctionEvent(_Times):
    """One recorded call: an op (`aten::mul`), a backward node, or a record_function block."""

    def __init__(self, id, name, thread, start_us, end_us, input_shapes=None, stack=None,
                 scope=0, cpu_memory_usage=0, sequence_nr=-1, is_user_annotation=False,
                 trace_name=None, cat="cpu_op"):
        self.id = id
        self.node_id = -1
        self.name = name
        self.overload_name = ""
        self.trace_name = name if trace_name is None else trace_name
        self.time_range = Interval(start_us, end_us)
        self.thread = thread
        self.fwd_thread = thread
        self.kernels = []
        self.count = 1
        self.cpu_children = []
        self.cpu_parent = None
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.stack = stack if stack is not None else []
        self.scope = scope
        self.use_device = None
        self.cpu_memory_usage = cpu_memory_usage
        self.device_memory_usage = 0
        self.is_async = False
        self.is_remote = False
        self.sequence_nr = sequence_nr
        self.device_type = DeviceType.CPU
        self.device_index = 0
        self.is_legacy = False
        self.flops = None
        self.is_user_annotation = is_user_annotation
        self.cat = cat

    @property
    def key(self):
        return self.name

    @property
    def cpu_time_total(self):
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    device_time_total = 0
    self_device_time_total = 0

    @property
    def self_cpu_memory_usage(self):
        return self.cpu_memory_usage - sum(c.cpu_memory_usage for c in self.cpu_children)

    self_device_memory_usage = 0

    def append_cpu_child(self, child):
        self.cpu_children.append(child)

    def set_cpu_parent(self, parent):
        self.cpu_parent = parent

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} overload_name="
                f"{self.overload_name} device_type={self.device_type} node_id={self.node_id} "
                f"cpu_time={self.cpu_time_str} start_us={self.time_range.start} end_us="
                f"{self.time_range.end} cpu_children={[c.id for c in self.cpu_children]} "
                f"None_time={self.device_time_str} name={self.name} thread={self.thread} "
                f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage} "
                f"None_memory_usage=0 is_async=False is_remote=False seq_nr={self.sequence_nr} "
                "is_legacy=False>")


class FunctionEventAvg(_Times):
    """Events with the same key (name, and shapes/stack when grouped by them), summed."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.node_id = 0
        self.is_async = False
        self.is_remote = False
        self.use_device = None
        self.cpu_time_total = 0
        self.device_time_total = 0
        self.self_cpu_time_total = 0
        self.self_device_time_total = 0
        self.input_shapes = None
        self.overload_name = None
        self.stack = None
        self.scope = None
        self.cpu_memory_usage = 0
        self.device_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.self_device_memory_usage = 0
        self.cpu_children = None
        self.cpu_parent = None
        self.device_type = DeviceType.CPU
        self.is_legacy = False
        self.is_user_annotation = False
        self.flops = 0

    def add(self, other):
        if self.key is None:
            self.key = other.key
            self.node_id = other.node_id
            self.cpu_parent = other.cpu_parent
            self.cpu_children = other.cpu_children
            self.overload_name = other.overload_name
            self.input_shapes = other.input_shapes
            self.stack = other.stack
            self.scope = other.scope
            self.is_user_annotation = other.is_user_annotation
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.count += other.count
        return self

    __iadd__ = add

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str}  self_cuda_time="
                f"{self.self_device_time_total_str} cuda_time={self.device_time_str} "
                f"input_shapes={self.input_shapes if self.input_shapes is not None else ''} "
                f"cpu_memory_usage={self.cpu_memory_usage} cuda_memory_usage=0>")


class EventList(list):
    """A list of events with torch's reporting: table, key_averages, export_chrome_trace."""

    def __init__(self, *args, use_device=None, profile_memory=False, with_flops=False,
                 trace_meta=None):
        super().__init__(*args)
        self._use_device = use_device
        self._profile_memory = profile_memory
        self._with_flops = with_flops
        self._trace_meta = trace_meta or {}

    def __str__(self):
        return self.table()

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        """The summary table, formatted as torch formats it."""
        return build_table(self, sort_by=sort_by, row_limit=row_limit,
                           max_src_column_width=max_src_column_width,
                           max_name_column_width=max_name_column_width,
                           max_shapes_column_width=max_shapes_column_width, header=header,
                           profile_memory=self._profile_memory,
                           top_level_events_only=top_level_events_only, time_unit=time_unit)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        """One FunctionEventAvg per event key (in order of first appearance)."""
        stats = defaultdict(FunctionEventAvg)
        for e in self:
            key = [str(e.key), str(e.node_id), str(e.device_type), str(e.is_legacy),
                   str(e.is_user_annotation)]
            if group_by_input_shapes:
                key.append(str(e.input_shapes))
            if group_by_stack_n > 0:
                key += e.stack[:group_by_stack_n]
            stats[tuple(key)].add(e)
        out = EventList(stats.values(), use_device=self._use_device,
                        profile_memory=self._profile_memory, trace_meta=self._trace_meta)
        for e in out:
            e.stack = e.stack[:group_by_stack_n]
            if not group_by_input_shapes:
                e.input_shapes = ""
            if not group_by_overload_name:
                e.overload_name = ""
        return out

    def total_average(self):
        total = FunctionEventAvg()
        for e in self:
            total.add(e)
            total.key = None
        total.key = "Total"
        return total

    def export_chrome_trace(self, path):
        """A Chrome trace-event JSON file (chrome://tracing, Perfetto) in Kineto's layout: one
        complete ("X") event per recorded call, ts/dur in microseconds, process/thread
        metadata, the profiler's span and its window markers."""
        meta = self._trace_meta
        pid = meta.get("pid", os.getpid())
        base = meta.get("base_us", 0.0)
        end = meta.get("end_us", base)
        events = []
        threads = set()
        for i, e in enumerate(self):
            if e.trace_name is None:
                continue
            threads.add(e.thread)
            args = {"External id": e.id, "Record function id": 0}
            if e.sequence_nr >= 0:
                args["Sequence number"] = e.sequence_nr
                args["Fwd thread id"] = 0
            if e.input_shapes:
                args["Input Dims"] = e.input_shapes
            args["Ev Idx"] = i
            events.append({"ph": "X", "cat": e.cat, "name": e.trace_name, "pid": pid,
                           "tid": e.thread, "ts": round(base + e.time_range.start, 3),
                           "dur": round(e.time_range.elapsed_us(), 3), "args": args})
        ts0 = round(base, 3)
        head = [{"ph": "M", "name": "process_name", "ts": ts0, "pid": pid, "tid": 0,
                 "args": {"name": "python"}},
                {"ph": "M", "name": "process_labels", "ts": ts0, "pid": pid, "tid": 0,
                 "args": {"labels": "CPU"}},
                {"ph": "M", "name": "process_sort_index", "ts": ts0, "pid": pid, "tid": 0,
                 "args": {"sort_index": pid}}]
        for t in sorted(threads):
            head += [{"ph": "M", "name": "thread_name", "ts": ts0, "pid": pid, "tid": t,
                      "args": {"name": f"thread {t} (python)"}},
                     {"ph": "M", "name": "thread_sort_index", "ts": ts0, "pid": pid, "tid": t,
                      "args": {"sort_index": t}}]
        # the profiler's own span and window markers, as Kineto writes them
        tail = [{"ph": "X", "cat": "Trace", "name": "PyTorch Profiler (0)", "pid": "Spans",
                 "tid": "PyTorch Profiler", "ts": ts0, "dur": round(end - base, 3),
                 "args": {"Op count": 0}},
                {"ph": "M", "name": "process_sort_index", "ts": ts0, "pid": "Spans", "tid": 0,
                 "args": {"sort_index": 536870912}},
                {"ph": "i", "s": "g", "name": "Iteration Start: PyTorch Profiler",
                 "pid": "Traces", "tid": "Trace PyTorch Profiler", "ts": ts0},
                {"ph": "i", "s": "g", "name": "Record Window End", "pid": "", "tid": "",
                 "ts": round(end, 3)}]
        doc = {"schemaVersion": 1, "deviceProperties": [], "trace_id": uuid.uuid4().hex.upper(),
               "host_name": socket.gethostname(), "displayTimeUnit": "ms",
               "baseTimeNanoseconds": int(base * 1000),
               "traceEvents": head + events + tail, "traceName": str(path)}
        with open(path, "w") as f:
            json.dump(doc, f)

    def supported_export_stacks_metrics(self):
        return ["self_cpu_time_total", "self_cuda_time_total", "self_xpu_time_total",
                "self_privateuse1_time_total"]

    def export_stacks(self, path, metric):
        """Folded stacks ("a;b;c value" lines) for flame graphs; needs with_stack=True."""
        if metric not in self.supported_export_stacks_metrics():
            raise ValueError("metric should be one of: "
                             + str(self.supported_export_stacks_metrics()))
        tr = str.maketrans(" ;\t\n", "____")
        attr = metric.replace("cuda", "device").replace("xpu", "device").replace(
            "privateuse1", "device")
        with open(path, "w") as f:
            for e in self:
                if e.stack:
                    value = getattr(e, attr)
                    if int(value) > 0:
                        s = ";".join(entry.translate(tr) for entry in reversed(e.stack))
                        f.write(f"{s} {int(value)}\n")


def build_events(raw, use_device=None, profile_memory=False, trace_meta=None):
    """Raw records [name, start_ns, end_ns, tid, shapes, stack, scope, cat, mem] -> an
    EventList with parent/child links, ordered by start time (torch's order)."""
    t0 = (trace_meta or {}).get("base_ns", 0)
    raw = sorted(raw, key=lambda r: (r[1], -r[2]))
    events = EventList(use_device=use_device, profile_memory=profile_memory,
                       trace_meta=trace_meta)
    open_by_thread = {}
    for i, (name, s, e, tid, shapes, stack, scope, cat, mem) in enumerate(raw):
        # step markers group as one key in tables ("ProfilerStep*"), traces keep the number
        key = "ProfilerStep*" if name.startswith("ProfilerStep#") else name
        ev = FunctionEvent(i + 1, key, tid, (s - t0) / 1000.0, (e - t0) / 1000.0,
                           input_shapes=shapes, stack=stack, scope=scope, cpu_memory_usage=mem,
                           is_user_annotation=cat == "user_annotation", trace_name=name,
                           cat=cat)
        stack_open = open_by_thread.setdefault(tid, [])
        while stack_open and (ev.time_range.start >= stack_open[-1].time_range.end
                              or ev.time_range.end > stack_open[-1].time_range.end):
            stack_open.pop()
        if stack_open:
            stack_open[-1].append_cpu_child(ev)
            ev.set_cpu_parent(stack_open[-1])
        stack_open.append(ev)
        events.append(ev)
    _remove_dup_nodes(events)
    return events


def _remove_dup_nodes(events):
    """A child with its parent's name and no siblings is the same call seen twice (a Tensor
    method and the op it dispatches to): fold it into the parent, as torch does."""
    while True:
        drop = set()
        for i, e in enumerate(events):
            p = e.cpu_parent
            if p is not None and p.name == e.name and len(p.cpu_children) == 1:
                p.cpu_children = e.cpu_children
                if not p.input_shapes:
                    p.input_shapes = e.input_shapes
                for c in e.cpu_children:
                    c.cpu_parent = p
                drop.add(i)
        if not drop:
            return
        keep = [e for i, e in enumerate(events) if i not in drop]
        events.clear()
        events.extend(keep)


def build_table(events, sort_by=None, header=None, row_limit=100, max_src_column_width=75,
                max_name_column_width=55, max_shapes_column_width=80, profile_memory=False,
                top_level_events_only=False, time_unit=None):
    """torch's profiler summary table (same columns, widths, and number formats)."""
    if len(events) == 0:
        return ""
    has_shapes = any(e.input_shapes is not None and len(e.input_shapes) > 0 for e in events)
    if sort_by is not None:
        attr = sort_by.replace("cuda", "device").replace("xpu", "device").replace(
            "privateuse1", "device")
        events = sorted(events, key=lambda e: getattr(e, attr), reverse=True)
    name_w = max(len(e.key) for e in events) + 4
    if max_name_column_width is not None:
        name_w = min(name_w, max_name_column_width)
    shapes_w = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_column_width is not None:
        shapes_w = min(shapes_w, max_shapes_column_width)
    stacks = [e.stack for e in events if e.stack is not None and len(e.stack) > 0]
    src_w = None
    if stacks:
        src_w = max(max(len(s) for s in st) for st in stacks) + 4
        if max_src_column_width is not None:
            src_w = min(src_w, max_src_column_width)

    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    fmt, sep, width = "", "", -2

    def column(pad, align=">"):
        nonlocal fmt, sep, width
        fmt += "{: " + align + str(pad) + "}  "
        sep += "-" * pad + "  "
        width += pad + 2

    column(name_w)
    for _ in headers[1:]:
        column(12)
    if has_shapes:
        headers.append("Input Shapes")
        column(shapes_w)
    if stacks:
        headers.append("Source Location")
        column(src_w, "<")

    total_self = sum(e.self_cpu_time_total for e in events)

    def show(us, default):
        if time_unit == "s":
            return f"{us / 1e6:.3f}s"
        if time_unit == "ms":
            return f"{us / 1e3:.3f}ms"
        if time_unit == "us":
            return f"{us:.3f}us"
        return default

    def trim(path):
        if len(path) > src_w:
            path = path[len(path) - src_w:]
            if len(path) > 3:
                path = "..." + path[3:]
        return path

    out = []

    def line(s):
        out.append(s)
        out.append("\n")

    if header is not None:
        line("=" * width)
        line(header)
    if top_level_events_only:
        line("=" * width)
        line("This report only display top-level ops statistics")
    line(sep)
    line(fmt.format(*headers))
    line(sep)
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_events_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        row = [name, _format_time_share(e.self_cpu_time_total, total_self),
               show(e.self_cpu_time_total, e.self_cpu_time_total_str),
               _format_time_share(e.cpu_time_total, total_self),
               show(e.cpu_time_total, e.cpu_time_total_str), show(e.cpu_time, e.cpu_time_str)]
        if profile_memory:
            row += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
        row.append(e.count)
        if has_shapes:
            row.append(str(e.input_shapes)[:shapes_w])
        if stacks:
            row.append(trim(e.stack[0]) if e.stack else "")
        line(fmt.format(*row))
        if stacks:
            blank = [""] * (len(headers) - 1)
            for entry in e.stack[1:]:
                line(fmt.format(*(blank + [trim(entry)])))
            line(fmt.format(*(blank + [""])))
    line(sep)
    line(f"Self CPU time total: {show(total_self, _format_time(total_self))}")
    return "".join(out)
