"""torch.autograd.profiler: the context-manager profiler the tutorials use
(`with torch.autograd.profiler.profile() as prof: ...; prof.key_averages().table(...)`) and
record_function. The machinery is shared with torch.profiler (ember/profiler/)."""
from __future__ import annotations

import warnings

from ..profiler import _Collector, _check_activities, ProfilerActivity
from ..profiler._events import EventList, FunctionEvent, FunctionEventAvg, DeviceType
from ..profiler._record import record_function

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg",
           "DeviceType", "ProfilerActivity"]


class profile(_Collector):
    """Record the ops run inside the with-block (see torch.autograd.profiler.profile).

    CPU time only: use_cuda=True without a GPU is dropped with torch's warnings; with one it
    raises NotImplementedError (ember does not time CUDA kernels).
    """

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False,
                 custom_trace_id_callback=None, post_processing_timeout_s=None,
                 activity_filters=None):
        self.enabled = enabled
        self.use_cuda = use_cuda
        if use_cuda:
            warnings.warn("The attribute `use_cuda` will be deprecated soon, please use "
                          "``use_device = 'cuda'`` instead.", FutureWarning, stacklevel=2)
            use_device = "cuda"
        self.use_device = None
        if use_device is not None and use_device != "cpu":
            from .. import cuda
            if use_device == "cuda" and not cuda.is_available():
                warnings.warn("CUDA is not available, disabling CUDA profiling", stacklevel=2)
            else:
                _check_activities([ProfilerActivity.CUDA], None)
        self.with_flops = with_flops
        self.with_modules = with_modules
        self.entered = False
        self._init_collector(record_shapes, profile_memory, with_stack)

    def __enter__(self):
        if not self.enabled:
            return self
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        self._start_recording()
        return self

    def __exit__(self, *exc):
        if not self.enabled:
            return
        self._stop_recording()
        return False

    def __repr__(self):
        if self.function_events is None:
            return "<unfinished torch.autograd.profile>"
        return repr(self.function_events)

    def __str__(self):
        if self.function_events is None:
            return "<unfinished torch.autograd.profile>"
        return str(self.function_events)

    def _check_finish(self):
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False):
        self._check_finish()
        return self.function_events.table(
            sort_by=sort_by, row_limit=row_limit, max_src_column_width=max_src_column_width,
            max_name_column_width=max_name_column_width,
            max_shapes_column_width=max_shapes_column_width, header=header,
            top_level_events_only=top_level_events_only)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        if self.enabled:
            self._check_finish()
        return self.function_events.key_averages(group_by_input_shape, group_by_stack_n,
                                                 group_by_overload_name)

    def export_chrome_trace(self, path):
        self._check_finish()
        return self.function_events.export_chrome_trace(path)

    def total_average(self):
        self._check_finish()
        return self.function_events.total_average()

    @property
    def self_cpu_time_total(self):
        self._check_finish()
        return self.function_events.self_cpu_time_total

