"""torch.utils.benchmark.Timer for ember: timeit.Timer (a compiled loop, so the per-call
overhead is the interpreter's alone) plus torch's warmup, thread-count pinning, block-size
selection and replicate loops (blocked_autorange, adaptive_autorange). Results are
common.Measurement objects; instruction counts (Callgrind) and C++ statements are not available.
"""
from __future__ import annotations

import enum
import textwrap
import timeit

import numpy as np

from .... import backend as _backend
from . import common
from .valgrind_wrapper import timer_interface as valgrind_timer_interface

__all__ = ["Timer", "timer", "Language"]


def timer() -> float:
    """The default clock: synchronizes CUDA work first, when any can be pending."""
    # CUDA work can be pending only once CuPy is loaded (asking the driver costs ~100 us)
    if _backend._cupy is not None:
        from .... import cuda
        cuda.synchronize()
    return timeit.default_timer()


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


class Timer:
    """Measure the time of a Python statement (see torch.utils.benchmark.Timer).

    `stmt` runs in a loop after `setup`, with `globals` (plus `torch`) as its namespace and
    the thread count set to `num_threads`; label, sub_label, description and env annotate the
    Measurement and drive Compare's table layout.
    """

    _timer_cls = timeit.Timer

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer, globals=None,
                 label=None, sub_label=None, description=None, env=None, num_threads=1,
                 language=Language.PYTHON):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        # a copy: exec adds __builtins__, and later edits by the caller must not leak in
        self._globals = dict(globals or {})
        if language in (Language.PYTHON, "py", "python"):
            import ember
            self._globals.setdefault("torch", ember)
            self._language = Language.PYTHON
            if global_setup:
                raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most "
                                 "likely this code can simply be moved to `setup`.")
        elif language in (Language.CPP, "cpp", "c++"):
            raise NotImplementedError(
                "ember cannot time C++ statements (Timer(language='cpp')): that needs "
                "libtorch and a C++ toolchain; time the Python statement instead")
        else:
            raise ValueError(f"Invalid language `{language}`.")

        # drop the leading newline and the indentation of triple-quoted snippets
        stmt = textwrap.dedent(stmt)
        stmt = (stmt[1:] if stmt and stmt[0] == "\n" else stmt).rstrip()
        setup = textwrap.dedent(setup)
        setup = (setup[1:] if setup and setup[0] == "\n" else setup).rstrip()

        self._timer = self._timer_cls(
            stmt=stmt, setup=setup, timer=timer,
            globals=valgrind_timer_interface.CopyIfCallgrind.unwrap_all(self._globals))
        self._task_spec = common.TaskSpec(
            stmt=stmt, setup=setup, global_setup=global_setup, label=label,
            sub_label=sub_label, description=description, env=env, num_threads=num_threads)

    def _timeit(self, number: int) -> float:
        # no real statement takes under 1 ns; this also keeps ratios finite
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number: int = 1000000) -> common.Measurement:
        """Run stmt `number` times (after a warmup of number // 100, at least 2) and return
        one measurement (see timeit.Timer.timeit)."""
        with common.set_torch_threads(self._task_spec.num_threads):
            self._timeit(number=max(int(number // 100), 2))
            return common.Measurement(number_per_run=number,
                                      raw_times=[self._timeit(number=number)],
                                      task_spec=self._task_spec)

    def repeat(self, repeat: int = -1, number: int = -1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _threaded_measurement_loop(self, number, time_hook, stop_hook, min_run_time,
                                   max_run_time=None, callback=None):
        total_time = 0.0
        can_stop = False
        times = []
        with common.set_torch_threads(self._task_spec.num_threads):
            while total_time < min_run_time or not can_stop:
                time_spent = time_hook()
                times.append(time_spent)
                total_time += time_spent
                if callback:
                    callback(number, time_spent)
                can_stop = stop_hook(times)
                if max_run_time and total_time > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time: float) -> int:
        """Grow the block size tenfold until the timer's own overhead is <= 0.01% of a block
        and a block takes >= min_run_time / 1000 (or a block alone exceeds min_run_time).
        Doubles as the warmup."""
        with common.set_torch_threads(self._task_spec.num_threads):
            # torch takes the median of a float32 tensor of the five empty-loop times
            overhead = float(np.float32(sorted(self._timeit(0) for _ in range(5))[2]))
            number = 1
            while True:
                time_taken = self._timeit(number)
                relative_overhead = overhead / time_taken
                if relative_overhead <= 1e-4 and time_taken >= min_run_time / 1000:
                    break
                if time_taken > min_run_time:
                    break
                if number * 10 > 2147483647:  # torch's C++ (int32) limit
                    break
                number *= 10
        return number

    def blocked_autorange(self, callback=None, min_run_time: float = 0.2) -> common.Measurement:
        """Pick a block size (see _estimate_block_size), then time blocks until their total
        reaches min_run_time (see torch.utils.benchmark.Timer.blocked_autorange)."""
        number = self._estimate_block_size(min_run_time)
        times = self._threaded_measurement_loop(
            number, lambda: self._timeit(number), lambda times: True,
            min_run_time=min_run_time, callback=callback)
        return common.Measurement(number_per_run=number, raw_times=times,
                                  task_spec=self._task_spec)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01,
                           max_run_time: float = 10.0, callback=None) -> common.Measurement:
        """Like blocked_autorange, but keeps timing until IQR / median < threshold (with more
        than 3 blocks and min_run_time spent) or max_run_time is reached."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop_hook(times):
            if len(times) > 3:
                return common.Measurement(number_per_run=number, raw_times=times,
                                          task_spec=self._task_spec
                                          ).meets_confidence(threshold=threshold)
            return False

        times = self._threaded_measurement_loop(
            number, lambda: self._timeit(number), stop_hook, min_run_time, max_run_time,
            callback=callback)
        return common.Measurement(number_per_run=number, raw_times=times,
                                  task_spec=self._task_spec)

    def collect_callgrind(self, number: int = 100, *, repeats=None, collect_baseline=True,
                          retain_out_file=False):
        """Instruction counts under Valgrind's Callgrind: not available in ember."""
        if not isinstance(self._task_spec.stmt, str):
            raise ValueError("`collect_callgrind` currently only supports string `stmt`")
        if repeats is not None and repeats < 1:
            raise ValueError("If specified, `repeats` must be >= 1")
        # like torch, a broken stmt or setup fails here rather than later
        self._timeit(1)
        return valgrind_timer_interface.wrapper_singleton().collect_callgrind(
            task_spec=self._task_spec, globals=self._globals, number=number,
            repeats=repeats or 1, collect_baseline=collect_baseline,
            is_python=True, retain_out_file=retain_out_file)
