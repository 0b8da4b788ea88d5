"""torch.utils.benchmark's Callgrind layer for ember: the result containers (FunctionCount,
FunctionCounts, CallgrindStats) and CopyIfCallgrind work as in torch, but collecting counts
(Timer.collect_callgrind) needs a Valgrind-instrumented subprocess running libtorch, which
ember does not drive: it raises NotImplementedError.
"""
from __future__ import annotations

import collections
import dataclasses
import enum
import operator
import re
import textwrap
from typing import NamedTuple

from .. import common

__all__ = ["FunctionCount", "FunctionCounts", "CallgrindStats", "CopyIfCallgrind"]


class FunctionCount(NamedTuple):
    count: int  # type: ignore[assignment]
    function: str


@dataclasses.dataclass(repr=False, eq=False, frozen=True)
class FunctionCounts:
    """A tuple of (count, function) pairs with diffing (+, -), transform, filter and denoise
    (see torch.utils.benchmark.FunctionCounts)."""
    _data: tuple
    inclusive: bool
    truncate_rows: bool = True
    _linewidth: int | None = None  # None: the tensor print options' linewidth

    def __iter__(self):
        yield from self._data

    def __len__(self):
        return len(self._data)

    def __getitem__(self, item):
        data = self._data[item]
        if isinstance(data, tuple):
            return FunctionCounts(data, self.inclusive, truncate_rows=False)
        return data

    def __repr__(self):
        # the count column is as wide as the longest count, its sign included
        count_len = max((len(str(c)) + int(c < 0) for c, _ in self), default=0)
        from ....._printing import PRINT_OPTS
        fn_len = max((self._linewidth or PRINT_OPTS.linewidth) - count_len - 4, 40)
        lines = []
        for c, fn in self:
            if len(fn) > fn_len:
                left = int((fn_len - 5) // 2)
                fn = fn[:left] + " ... " + fn[-(fn_len - left - 5):]
            lines.append(f"  {c:>{count_len}}  {fn}")
        if self.truncate_rows and len(lines) > 18:
            lines = lines[:9] + ["...".rjust(count_len + 2)] + lines[-9:]
        if not self.inclusive:
            lines += ["", f"Total: {self.sum()}"]
        return "\n".join([object.__repr__(self)] + lines)

    def __add__(self, other):
        return self._merge(other, lambda c: c)

    def __sub__(self, other):
        return self._merge(other, operator.neg)

    def __mul__(self, other):
        return self._from_dict({fn: int(c * other) for c, fn in self._data}, self.inclusive)

    def transform(self, map_fn):
        """Rename functions with map_fn; names that collide have their counts summed."""
        counts = collections.defaultdict(int)
        for c, fn in self._data:
            counts[map_fn(fn)] += c
        return self._from_dict(counts, self.inclusive)

    def filter(self, filter_fn):
        """Keep the entries whose function name passes filter_fn."""
        return FunctionCounts(tuple(i for i in self if filter_fn(i.function)), self.inclusive)

    def sum(self):
        return sum(c for c, _ in self)

    def denoise(self):
        """Drop CPython's dictionary lookups, whose counts jitter from run to run."""
        return self.filter(lambda fn: "dictobject.c:lookdict_unicode" not in fn)

    def _merge(self, second, merge_fn):
        if self.inclusive != second.inclusive:
            raise AssertionError("Cannot merge inclusive and exclusive counts.")
        counts = collections.defaultdict(int)
        for c, fn in self:
            counts[fn] += c
        for c, fn in second:
            counts[fn] += merge_fn(c)
        return self._from_dict(counts, self.inclusive)

    @staticmethod
    def _from_dict(counts, inclusive):
        flat = (FunctionCount(c, fn) for fn, c in counts.items() if c)
        return FunctionCounts(tuple(sorted(flat, reverse=True)), inclusive)


# prefixes that differ between builds of the same code (see as_standardized)
_STANDARDIZE = (
    (r"^.+build/\.\./", "build/../"),
    (r"^.+/" + re.escape("build/aten/"), "build/aten/"),
    (r"^.+/" + re.escape("Python/"), "Python/"),
    (r"^.+/" + re.escape("Objects/"), "Objects/"),
    (r"\s\[.+\]$", ""),  # the shared library name
)


@dataclasses.dataclass(repr=False, eq=False, frozen=True)
class CallgrindStats:
    """Callgrind results for one Timer (see torch.utils.benchmark.CallgrindStats). ember cannot
    collect them, but stats built elsewhere (e.g. unpickled from torch's) can be inspected."""
    task_spec: common.TaskSpec
    number_per_run: int
    built_with_debug_symbols: bool
    baseline_inclusive_stats: FunctionCounts
    baseline_exclusive_stats: FunctionCounts
    stmt_inclusive_stats: FunctionCounts
    stmt_exclusive_stats: FunctionCounts
    stmt_callgrind_out: str | None

    def __repr__(self):
        base = self.baseline_exclusive_stats
        nt = self.task_spec.num_threads
        out = "\n".join([
            object.__repr__(self), self.task_spec.summarize(),
            f"  {'':>25}All{'':>10}Noisy symbols removed",
            (f"    Instructions: {self.counts(denoise=False):>12}{'':>15}"
             f"{self.counts(denoise=True):>12}"),
            f"    Baseline:     {base.sum():>12}{'':>15}{base.denoise().sum():>12}",
            f"{self.number_per_run} runs per measurement, {nt} thread{'s' if nt > 1 else ''}",
        ]).strip()
        if not self.built_with_debug_symbols:
            out += ("\nWarning: PyTorch was not built with debug symbols.\n"
                    "         Source information may be limited. Rebuild with\n"
                    "         REL_WITH_DEB_INFO=1 for more detailed results.")
        return out

    def stats(self, inclusive: bool = False) -> FunctionCounts:
        return self.stmt_inclusive_stats if inclusive else self.stmt_exclusive_stats

    def counts(self, *, denoise: bool = False) -> int:
        s = self.stmt_exclusive_stats
        return (s.denoise() if denoise else s).sum()

    def delta(self, other, inclusive: bool = False) -> FunctionCounts:
        return self.stats(inclusive=inclusive) - other.stats(inclusive=inclusive)

    def as_standardized(self):
        """The same stats with build paths and library names stripped from function names."""
        def strip(stats):
            for before, after in _STANDARDIZE:
                stats = stats.transform(lambda fn, b=before, a=after: re.sub(b, a, fn))
            return stats
        return CallgrindStats(
            task_spec=self.task_spec, number_per_run=self.number_per_run,
            built_with_debug_symbols=self.built_with_debug_symbols,
            baseline_inclusive_stats=strip(self.baseline_inclusive_stats),
            baseline_exclusive_stats=strip(self.baseline_exclusive_stats),
            stmt_inclusive_stats=strip(self.stmt_inclusive_stats),
            stmt_exclusive_stats=strip(self.stmt_exclusive_stats),
            stmt_callgrind_out=None)


class Serialization(enum.Enum):
    PICKLE = 0
    TORCH = 1
    TORCH_JIT = 2


def _allowed_types():
    from .....nn import Module
    return {Serialization.PICKLE: (str, bytes, bool, int, float, complex),
            Serialization.TORCH: (Module,)}


class CopyIfCallgrind:
    """Mark a Timer global as one that a Callgrind subprocess would receive as a copy."""

    def __init__(self, value, *, setup=None):
        for method, types in _allowed_types().items():
            if isinstance(value, types):
                self._value = value
                self._setup = setup
                self._serialization = method
                break
        else:
            names = "\n".join(getattr(t, "__name__", repr(t))
                              for t in _allowed_types().values())
            raise ValueError(f"Unsupported type: {type(value)}\n"
                             "`collect_callgrind` restricts globals to the following types:\n"
                             f"{textwrap.indent(names, '  ')}")

    @property
    def value(self):
        return self._value

    @property
    def setup(self):
        return self._setup

    @property
    def serialization(self):
        return self._serialization

    @staticmethod
    def unwrap_all(globals):
        return {k: (v.value if isinstance(v, CopyIfCallgrind) else v) for k, v in globals.items()}


class _ValgrindWrapper:
    def collect_callgrind(self, *args, **kwargs):
        raise NotImplementedError(
            "ember cannot collect instruction counts (Timer.collect_callgrind): that runs the "
            "statement under Valgrind's Callgrind against libtorch's C++ symbols; use "
            "Timer.blocked_autorange for wall times")


_WRAPPER = _ValgrindWrapper()


def wrapper_singleton():
    return _WRAPPER
