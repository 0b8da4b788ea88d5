"""Tensor printing: reproduces torch's `repr(tensor)` / `str(tensor)` for values held in NumPy.

The layout rules (one shared element width, fixed/integer/scientific notation, summarising with
`...` past `threshold` elements, row wrapping at `linewidth`, suffixes such as `dtype=`) follow
torch 2.13's `torch/_tensor_str.py`; the work is done on NumPy arrays, touching only the
elements that are actually shown.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

from . import _dtype as _dt

__all__ = ["PrintOptions", "PRINT_OPTS", "set_printoptions", "get_printoptions", "printoptions",
           "tensor_repr", "return_types_repr"]


class PrintOptions:
    """The global print options (torch's `torch._tensor_str.PRINT_OPTS`)."""
    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self, precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None):
        self.precision = precision
        self.threshold = threshold
        self.edgeitems = edgeitems
        self.linewidth = linewidth
        self.sci_mode = sci_mode

    def __repr__(self):
        return f"PrintOptions({', '.join(f'{k}={v!r}' for k, v in get_printoptions().items())})"


PRINT_OPTS = PrintOptions()

# profile -> (precision, threshold, edgeitems, linewidth); sci_mode is not part of a profile
_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """torch.set_printoptions: apply `profile` first, then any explicit option.

    As in torch, an unknown profile is ignored and `sci_mode` is always assigned (so any call
    that omits it resets it to None, the automatic choice).
    """
    preset = _PROFILES.get(profile) if profile is not None else None
    if preset is not None:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = preset
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current options as a dict that can be passed back to set_printoptions(**d)."""
    return {"precision": PRINT_OPTS.precision, "threshold": PRINT_OPTS.threshold,
            "edgeitems": PRINT_OPTS.edgeitems, "linewidth": PRINT_OPTS.linewidth,
            "sci_mode": PRINT_OPTS.sci_mode}


@contextlib.contextmanager
def printoptions(**kwargs):
    """Context manager that sets print options and restores the previous ones on exit."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ---- element formatting ---------------------------------------------------------------------

class _Formatter:
    """One notation and one width for every element of a tensor (or of its real/imag part).

    Built from the values torch would inspect (the summarised data when summarising). Width
    and notation only depend on a few extreme values, so those are found with NumPy
    reductions and only they are formatted as strings.
    """
    __slots__ = ("floating", "int_mode", "sci_mode", "width", "precision")

    def __init__(self, values: np.ndarray, floating: bool):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        self.precision = p = PRINT_OPTS.precision
        if values.size == 0:
            return
        if not floating:
            if values.dtype == np.bool_:
                self.width = 4 if values.all() else 5   # "True" / "False"
            else:
                self.width = max(1, len(str(int(values.min()))), len(str(int(values.max()))))
            return
        v = values[np.isfinite(values) & (values != 0)]
        if v.size == 0:
            return     # only zeros/nan/inf: torch keeps int mode, fixed notation, width 1
        v = v.astype(np.float64, copy=False)
        self.int_mode = bool(np.all(v == np.ceil(v)))
        a = np.abs(v)
        lo, hi = float(a.min()), float(a.max())
        if PRINT_OPTS.sci_mode is None:
            # Python float division: an overflow gives inf (> 1000) without a NumPy warning
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        # The printed length grows with |x| within each sign (integer digits in fixed notation;
        # a 3-digit exponent at either end in scientific), so the widest string comes from the
        # smallest or largest magnitude of either sign.
        pos, neg = v[v > 0], v[v < 0]
        cands = []
        for part in (pos, neg):
            if part.size:
                cands += [float(part.min()), float(part.max())]
        if self.sci_mode:
            spec, extra = f".{p}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1          # room for the trailing "."
        else:
            spec, extra = f".{p}f", 0
        self.width = max(len(format(x, spec)) + extra for x in cands)

    def format_all(self, xs) -> list:
        """Format a list of Python scalars, each right-aligned to the shared width."""
        w = self.width
        if not self.floating:
            return [str(x).rjust(w) for x in xs]
        if self.sci_mode:
            spec = f"{w}.{self.precision}e"
            return [format(x, spec) for x in xs]
        if self.int_mode:
            out = []
            for x in xs:
                s = format(x, ".0f")
                if s[-1].isdigit():          # finite: a "." marks the float dtype
                    s += "."
                out.append(s.rjust(w))
            return out
        spec = f".{self.precision}f"
        return [format(x, spec).rjust(w) for x in xs]


def _complex_strings(real: list, imag: list) -> list:
    out = []
    for r, i in zip(real, imag):
        i = (i + "j").lstrip()
        # a sign is already there for negatives (incl. -0.); otherwise join with "+"
        out.append(r + i if i[0] in "+-" else r + "+" + i)
    return out


# ---- layout ---------------------------------------------------------------------------------

def _summarize(arr: np.ndarray, e: int):
    """The edge items torch shows: the first and last `e` along every axis longer than 2e."""
    cut = []
    for ax, n in enumerate(arr.shape):
        if n > 2 * e:
            idx = np.r_[0:e, n - e:n]
            arr = np.take(arr, idx, axis=ax)
            cut.append(True)
        else:
            cut.append(False)
    return arr, cut


def _layout(strs: list, shape: tuple, cut: list, indent: int, elem_len: int) -> str:
    """Nest the flat element strings into torch's bracketed, indented, wrapped text."""
    e = PRINT_OPTS.edgeitems
    linewidth = PRINT_OPTS.linewidth
    ndim = len(shape)
    strides = [1] * ndim
    for k in range(ndim - 2, -1, -1):
        strides[k] = strides[k + 1] * shape[k + 1]

    def rec(level, offset, ind):
        n = shape[level]
        if level == ndim - 1:
            row = strs[offset:offset + n]
            if cut[level]:
                row = row[:e] + [" ..."] + row[e:]
            per_line = max(1, math.floor((linewidth - ind) / elem_len))
            lines = [", ".join(row[i:i + per_line]) for i in range(0, len(row), per_line)]
            return "[" + (",\n" + " " * (ind + 1)).join(lines) + "]"
        parts = [rec(level + 1, offset + i * strides[level], ind + 1) for i in range(n)]
        if cut[level]:
            parts = parts[:e] + ["..."] + parts[e:]
        # slices of a k-D tensor are separated by k-1 blank-ish newlines
        sep = "," + "\n" * (ndim - level - 1) + " " * (ind + 1)
        return "[" + sep.join(parts) + "]"

    return rec(0, 0, indent)


def _body(arr: np.ndarray, floating: bool, is_complex: bool, indent: int) -> str:
    """The bracketed values of a non-empty array (torch's _tensor_str)."""
    summarize = arr.size > PRINT_OPTS.threshold
    e = PRINT_OPTS.edgeitems
    if summarize and arr.ndim and not e:
        return "[...]"
    if summarize:
        shown, cut = _summarize(arr, e)
    else:
        shown, cut = arr, [False] * arr.ndim
    flat = shown.reshape(-1)
    if is_complex:
        f_re = _Formatter(flat.real, True)
        f_im = _Formatter(flat.imag, True)
        strs = _complex_strings(f_re.format_all(flat.real.tolist()),
                                f_im.format_all(flat.imag.tolist()))
        elem_len = f_re.width + 2 + f_im.width + 1
    else:
        fmt = _Formatter(flat, floating)
        strs = fmt.format_all(flat.tolist())
        elem_len = fmt.width + 2             # ", " between elements
    if arr.ndim == 0:
        return strs[0]
    return _layout(strs, shown.shape, cut, indent, elem_len)


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    out = [text]
    # torch's count (off by two when there is no newline); kept for identical wrapping
    last_len = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last_len + len(s) + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + s)
            last_len = indent + len(s)
        else:
            out.append(", " + s)
            last_len += len(s) + 2
    out.append(")")
    return "".join(out)


def _printable(data, dtype) -> np.ndarray:
    arr = np.asarray(data)
    if dtype is _dt.float16 or dtype is _dt.bfloat16:
        # exact widening; formatting then sees plain Python floats
        return arr.astype(np.float32)
    if arr.dtype != dtype.np:
        arr = arr.astype(dtype.np)
    return arr


def tensor_repr(data, dtype, *, device=None, requires_grad=False, grad_fn_name=None,
                prefix="tensor(", tangent=None) -> str:
    """What torch's repr()/str() gives for a strided tensor holding `data` with `dtype`.

    device: None for the default (cpu) device, else e.g. 'cuda:0' (shown as device='cuda:0').
    requires_grad: leaf requiring grad; grad_fn_name: e.g. 'AddBackward0' for non-leaves;
    tangent: a dual tensor's tangent (forward AD), printed as `tangent=tensor(...)`.
    """
    arr = _printable(data, dtype)
    indent = len(prefix)
    suffixes = []
    if device is not None:
        suffixes.append(f"device='{device}'")
    default = _dt.get_default_dtype()
    if arr.size == 0:
        # no values to hint at the dtype, so anything but the default float is named
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dtype is not default:
            suffixes.append(f"dtype={dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dtype not in (default, _dt.default_complex(), _dt.int64, _dt.bool_):
            suffixes.append(f"dtype={dtype}")
        body = _body(arr, dtype.category == _dt.FLOAT, dtype.category == _dt.COMPLEX, indent)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    if tangent is not None:
        suffixes.append(f"tangent={tangent}")
    return _add_suffixes(prefix + body, suffixes, indent)


def return_types_repr(name: str, fields) -> str:
    """repr of a torch.return_types named tuple, e.g. name='max', fields=[('values', repr), ...].

    Each field goes on its own line, unindented; multi-line reprs are inserted as they are.
    """
    inner = ",\n".join(f"{k}={v}" for k, v in fields)
    return f"torch.return_types.{name}(\n{inner})"
