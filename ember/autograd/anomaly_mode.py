"""Anomaly detection: set_detect_anomaly / detect_anomaly (see torch.autograd.anomaly_mode).

While on, every new graph node records the Python stack of the forward call that made it
(`node.metadata["traceback_"]`, installed as a layer around Op.apply so it costs nothing when
off), and the engine (engine.py) warns with that stack when a node's backward fails, and with
check_nan raises when a backward returns NaN.
"""
from __future__ import annotations

import os
import traceback
import warnings

from . import op as _op

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "set_anomaly_enabled"]

# [enabled, check_nan]: read by the engine once per backward call
ANOMALY = [False, True]

_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_MACHINERY = (os.path.join(_PKG, "autograd"), os.path.join(_PKG, "ops"))


def is_anomaly_enabled():
    return ANOMALY[0]


def is_anomaly_check_nan_enabled():
    return ANOMALY[1]


def set_anomaly_enabled(enabled, check_nan=True):
    """Turn anomaly mode on or off (see torch.set_anomaly_enabled)."""
    _set(enabled, check_nan)


def _set(mode, check_nan):
    ANOMALY[0] = bool(mode)
    ANOMALY[1] = bool(check_nan)
    _op.set_apply_layer("anomaly", _record_layer if ANOMALY[0] else None)


def forward_stack():
    """The current stack as torch stores it: format_stack() lines, without ember's dispatch
    frames (Op.apply, the op function) at the end."""
    frames = traceback.extract_stack()[:-1]
    while frames and frames[-1].filename.startswith(_MACHINERY):
        frames.pop()
    return traceback.format_list(frames)


def record(node):
    """Attach the forward traceback to a node made while anomaly mode is on."""
    md = node.metadata
    if "traceback_" not in md:
        md["traceback_"] = forward_stack()


def _record_layer(inner):
    def apply(cls, *args, **params):
        out = inner(cls, *args, **params)
        t = out[0] if type(out) is tuple and out else out
        fn = getattr(t, "grad_fn", None)
        if fn is not None:
            record(fn)
        return out
    return apply


def warn_error(node):
    """The warning torch gives when `node`'s backward raised in anomaly mode."""
    tb = node.metadata.get("traceback_") if hasattr(node, "metadata") else None
    if tb is None:
        warnings.warn("Error detected in " + node.name() + ". No forward pass information "
                      "available. Enable detect anomaly during forward pass for more "
                      "information.", UserWarning, stacklevel=4)
        return
    warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the "
                  "error:\n" + "".join(tb), UserWarning, stacklevel=4)


def check_nan(node, res):
    """Raise torch's error if one of the gradients a node returned contains NaN."""
    import numpy as np
    for i, g in enumerate(res):
        if g is not None:
            a = g._data
            if a.dtype.kind in "fc" and bool(np.isnan(a).any()):
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                                   "output.")


class detect_anomaly:
    """Context manager that turns anomaly detection on (see torch.autograd.detect_anomaly)."""

    def __init__(self, check_nan=True):
        self.prev = ANOMALY[0]
        self.check_nan = check_nan
        self.prev_check_nan = ANOMALY[1]
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        _set(True, self.check_nan)

    def __exit__(self, *args):
        _set(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Turn anomaly detection on or off, at once or for a with-block
    (see torch.autograd.set_detect_anomaly)."""

    def __init__(self, mode, check_nan=True):
        self.prev = ANOMALY[0]
        self.prev_check_nan = ANOMALY[1]
        _set(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *args):
        _set(self.prev, self.prev_check_nan)
