"""torch.utils.deterministic: the `fill_uninitialized_memory` switch read by torch.empty and
resize_ while torch.use_deterministic_algorithms(True) is on (state in ember._deterministic)."""
import sys
import types

from .. import _deterministic


class _Deterministic(types.ModuleType):
    @property
    def fill_uninitialized_memory(self):
        """Whether uninitialised memory gets a known value in deterministic mode."""
        return _deterministic._state["fill"]

    @fill_uninitialized_memory.setter
    def fill_uninitialized_memory(self, mode):
        if type(mode) is not bool:
            raise RuntimeError(f"expected a bool, but got {type(mode).__name__}")
        _deterministic._state["fill"] = mode


sys.modules[__name__].__class__ = _Deterministic
