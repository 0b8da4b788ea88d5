"""torch.utils.benchmark.utils.common for ember: TaskSpec (what a Timer measures), Measurement
(its raw times, statistics and torch's repr) and the unit/significant-figure helpers that
Compare uses. Statistics follow torch's arithmetic exactly, including the places where torch
rounds through a float32 tensor (sig-fig estimates, unit selection), so printed results match.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import math
import textwrap
from typing import Any

import numpy as np

__all__ = ["TaskSpec", "Measurement", "select_unit", "unit_to_english", "trim_sigfig",
           "ordered_unique", "set_torch_threads"]

_MAX_SIGNIFICANT_FIGURES = 4
_MIN_CONFIDENCE_INTERVAL = 25e-9  # 25 ns
# relative IQR above which a Measurement carries a warning (torch's thresholds)
_IQR_WARN_THRESHOLD = 0.1
_IQR_GROSS_WARN_THRESHOLD = 0.25

_f32 = np.float32


def _f32_log10(x):
    """log10 the way torch computes `torch.tensor(x).log10()`: in float32."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.log10(_f32(x)))


def _quantile(sorted_values, q):
    """torch.quantile(q) (linear interpolation) of already sorted float64 values, with torch's
    lerp formula so the result is bit-identical."""
    rank = q * (len(sorted_values) - 1)
    lo = math.floor(rank)
    hi = math.ceil(rank)
    a, b = sorted_values[lo], sorted_values[hi]
    w = rank - lo
    return a + w * (b - a) if w < 0.5 else b - (b - a) * (1 - w)


@dataclasses.dataclass(init=True, repr=False, eq=True, frozen=True)
class TaskSpec:
    """What a Timer measures, minus its globals (see torch.utils.benchmark TaskSpec)."""
    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self) -> str:
        """The label (or the one-line stmt), with the sub_label after a colon."""
        tail = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + tail
        if "\n" not in self.stmt:
            return self.stmt + tail
        sub = f" ({self.sub_label})" if self.sub_label else ""
        return f"stmt:{sub}\n" + textwrap.indent(self.stmt, "  ")

    def setup_str(self) -> str:
        if not self.setup or self.setup == "pass":
            return ""
        if "\n" in self.setup:
            return "setup:\n" + textwrap.indent(self.setup, "  ")
        return f"setup: {self.setup}"

    def summarize(self) -> str:
        """The TaskSpec part of Measurement's repr: title, description, setup."""
        parts = [p for p in (self.title, self.description or "", self.setup_str()) if p]
        # a multi-line section is followed by a blank line
        return "\n".join(p + "\n" if "\n" in p else p for p in parts)


_TASKSPEC_FIELDS = tuple(f.name for f in dataclasses.fields(TaskSpec))


@dataclasses.dataclass(init=True, repr=False)
class Measurement:
    """The times of one Timer run: `raw_times` are per block of `number_per_run` calls
    (see torch.utils.benchmark.Measurement). Statistics are per call."""
    number_per_run: int
    raw_times: list
    task_spec: TaskSpec
    metadata: dict | None = None  # reserved for user payloads

    def __post_init__(self) -> None:
        self._sorted_times: tuple = ()
        self._warnings: tuple = ()
        self._median = -1.0
        self._mean = -1.0
        self._p25 = -1.0
        self._p75 = -1.0

    def __getattr__(self, name: str) -> Any:
        # the TaskSpec fields read through (m.label, m.stmt, m.num_threads, ...)
        if name in _TASKSPEC_FIELDS:
            return getattr(self.task_spec, name)
        return super().__getattribute__(name)

    @property
    def times(self) -> list:
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self) -> float:
        self._lazy_init()
        return self._median

    @property
    def mean(self) -> float:
        self._lazy_init()
        return self._mean

    @property
    def iqr(self) -> float:
        self._lazy_init()
        return self._p75 - self._p25

    @property
    def significant_figures(self) -> int:
        """A rough sig-fig count from the spread of the interquartile times (z = 1.645);
        Compare uses it to trim digits."""
        self._lazy_init()
        n = len(self._sorted_times)
        # torch takes ceil of a float32 tensor here
        upper = math.ceil(_f32(3 * n / 4))
        points = self._sorted_times[n // 4:upper]
        # torch.tensor(points) is float32; std accumulates in double, rounds back to float32
        pts = np.asarray(points, dtype=np.float32).astype(np.float64)
        std = float(_f32(pts.std())) if len(pts) else float("nan")
        sqrt_n = float(np.sqrt(_f32(len(points))))
        ci = max(1.645 * std / sqrt_n, _MIN_CONFIDENCE_INTERVAL)
        figures = math.floor(_f32_log10(self._median / ci))
        return min(max(figures, 1), _MAX_SIGNIFICANT_FIGURES)

    @property
    def has_warnings(self) -> bool:
        self._lazy_init()
        return bool(self._warnings)

    def _lazy_init(self) -> None:
        if not self.raw_times or self._sorted_times:
            return
        self._sorted_times = s = tuple(sorted(self.times))
        self._median = _quantile(s, 0.5)
        self._mean = float(np.mean(np.asarray(s, dtype=np.float64)))
        self._p25 = _quantile(s, 0.25)
        self._p75 = _quantile(s, 0.75)
        if not self.meets_confidence(_IQR_GROSS_WARN_THRESHOLD):
            self._add_warning("This suggests significant environmental influence.")
        elif not self.meets_confidence(_IQR_WARN_THRESHOLD):
            self._add_warning("This could indicate system fluctuation.")

    def _add_warning(self, msg):
        rel_iqr = self.iqr / self.median * 100
        self._warnings += ((f"  WARNING: Interquartile range is {rel_iqr:.1f}% "
                            f"of the median measurement.\n           {msg}"),)

    def meets_confidence(self, threshold: float = _IQR_WARN_THRESHOLD) -> bool:
        return self.iqr / self.median < threshold

    @property
    def title(self) -> str:
        return self.task_spec.title

    @property
    def env(self):
        # torch's property trips over a typo and falls back to task_spec.env (None when unset)
        return self.task_spec.env

    @property
    def as_row_name(self) -> str:
        return self.sub_label or self.stmt or "[Unknown]"

    def __repr__(self) -> str:
        self._lazy_init()
        n = len(self._sorted_times)
        unit, scale = select_unit(self._median)
        lines = [object.__repr__(self), self.task_spec.summarize(),
                 f"  {'Median: ' if n > 1 else ''}{self._median / scale:.2f} {unit}"]
        if n >= 4:
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} "
                         f"({self._p25 / scale:.2f} to {self._p75 / scale:.2f})")
        nt = self.num_threads
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} runs "
                     f"{'per measurement,' if n > 1 else ','} {nt} thread{'s' if nt > 1 else ''}")
        lines.append("\n".join(self._warnings))
        return "\n".join(lines).strip()

    @staticmethod
    def merge(measurements) -> list:
        """Group replicates by TaskSpec into one Measurement each, at number_per_run=1
        (metadata is dropped, as it may differ between replicates)."""
        groups: dict = collections.defaultdict(list)
        for m in measurements:
            groups[m.task_spec].extend(m.times)
        return [Measurement(number_per_run=1, raw_times=times, task_spec=spec, metadata=None)
                for spec, times in groups.items()]


_UNITS = {-3: "ns", -2: "us", -1: "ms"}
_SCALES = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}


def select_unit(t: float) -> tuple:
    """(unit, scale) that puts t seconds at O(1) magnitude (see torch.utils.benchmark)."""
    unit = _UNITS.get(int(_f32_log10(t) // 3), "s")
    return unit, _SCALES[unit]


def unit_to_english(u: str) -> str:
    return {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}[u]


def trim_sigfig(x: float, n: int) -> float:
    """x rounded to n significant figures, e.g. (3.14159, 2) -> 3.1 (torch rounds in float32,
    so the result is the float32 nearest)."""
    if n != int(n):
        raise AssertionError("Number of significant figures must be an integer")
    magnitude = math.ceil(_f32_log10(abs(x)))
    scale = 10 ** (magnitude - n)
    # round-half-even in float32, then the float32 product, as torch's tensor arithmetic
    return float(np.round(_f32(x / scale)) * _f32(scale))


def ordered_unique(elements) -> list:
    return list(dict.fromkeys(elements))


@contextlib.contextmanager
def set_torch_threads(n: int):
    """Run a block with the thread count set to n, restoring the previous count after."""
    import ember
    prior = ember.get_num_threads()
    try:
        ember.set_num_threads(n)
        yield
    finally:
        ember.set_num_threads(prior)
