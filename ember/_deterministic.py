"""torch.use_deterministic_algorithms and its companions: the mode flags, the alert raised (or
warned) by operations that have no deterministic implementation (`put_` without accumulate),
and the known value torch writes into uninitialised memory (torch.empty, resize_) while the
mode is on and torch.utils.deterministic.fill_uninitialized_memory is True."""
from __future__ import annotations

import builtins
import warnings

import numpy as np

_state = {"enabled": False, "warn_only": False, "fill": True}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Make operations without a deterministic implementation raise (or warn); see torch."""
    for name, v, pos in (("mode", mode, "(position 1)"), ("warn_only", warn_only, "")):
        if type(v) is not builtins.bool:
            where = f" {pos}" if pos else ""
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name}'{where} must be "
                            f"bool, not {type(v).__name__}")
    _state["enabled"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled():
    return _state["enabled"]


def is_deterministic_algorithms_warn_only_enabled():
    return _state["warn_only"]


def set_deterministic_debug_mode(debug_mode):
    """'default'/0: off; 'warn'/1: warn only; 'error'/2: raise (see torch)."""
    if not isinstance(debug_mode, (builtins.int, str)):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if isinstance(debug_mode, str):
        modes = {"default": 0, "warn": 1, "error": 2}
        if debug_mode not in modes:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, "
                               f"`warn`, `error`, but got {debug_mode}")
        debug_mode = modes[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(
            f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    _state["enabled"], _state["warn_only"] = debug_mode > 0, debug_mode == 1


def get_deterministic_debug_mode():
    if not _state["enabled"]:
        return 0
    return 1 if _state["warn_only"] else 2


def alert_not_deterministic(caller):
    """Called by an operation with no deterministic implementation (torch's message)."""
    if not _state["enabled"]:
        return
    if _state["warn_only"]:
        warnings.warn(
            f"{caller} does not have a deterministic implementation, but you set "
            "'torch.use_deterministic_algorithms(True, warn_only=True)'. You can file an issue "
            "at https://github.com/pytorch/pytorch/issues to help us prioritize adding "
            "deterministic support for this operation.", UserWarning, stacklevel=3)
        return
    raise RuntimeError(
        f"{caller} does not have a deterministic implementation, but you set "
        "'torch.use_deterministic_algorithms(True)'. You can turn off determinism just for this "
        "operation, or you can use the 'warn_only=True' option, if that's acceptable for your "
        "application. You can also file an issue at https://github.com/pytorch/pytorch/issues "
        "to help us prioritize adding deterministic support for this operation.")


def fill_uninitialized(arr):
    """torch fills new memory with NaN (floating, complex: NaN+0j) or the dtype's maximum
    (integers, bool) when the deterministic mode is on; otherwise it is left as it is."""
    if not (_state["enabled"] and _state["fill"]) or not arr.size:
        return arr
    kind = arr.dtype.kind
    if kind in "fc" or arr.dtype.name == "bfloat16":
        arr[...] = float("nan")
    elif kind == "b":
        arr[...] = True
    else:
        arr[...] = np.iinfo(arr.dtype).max
    return arr
