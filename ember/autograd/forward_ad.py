"""torch.autograd.forward_ad: dual tensors (a primal with a tangent) and forward-mode AD levels.

Tangents live in a side table keyed by tensor identity (held weakly), so Tensor needs no new
slot and leaving a level drops them all at once. While a level is open an apply layer wraps
Op.apply (op.set_apply_layer): an op with a dual input computes its primal output as usual and
its output tangent by a rule (linear ops re-run on the tangents, a few hot ops by formula) or,
in general, by the double-vjp trick on a private copy of the op's node: J t = d/du <J^T u, t>,
which works because ember's backward formulas are recorded ember ops. With no level open
nothing is installed. Custom Functions use their `jvp` (function.py calls `_function_jvp`).
"""
from __future__ import annotations

import weakref
from typing import NamedTuple

import numpy as np

from . import op as _op
from .grad_mode import GRAD

__all__ = [
    "UnpackedDualTensor",
    "dual_level",
    "enter_dual_level",
    "exit_dual_level",
    "make_dual",
    "unpack_dual",
]

# the current level (torch's module global of the same name): -1 while none is open
_current_level = -1
# id(tensor) -> (weakref to it, its tangent Tensor)
_TAN: dict = {}
# True while a tangent is being computed: the ops that compute it carry no tangents themselves
_BUSY = [False]


def _Tensor():
    from .._tensor import Tensor
    return Tensor


# ---- the side table -------------------------------------------------------------------------

def _get(t):
    """t's tangent at the current level, or None."""
    e = _TAN.get(id(t))
    if e is not None and e[0]() is t:
        return e[1]
    return None


def _set(t, tangent):
    k = id(t)

    def gone(ref, k=k):
        e = _TAN.get(k)
        if e is not None and e[0] is ref:
            del _TAN[k]
    _TAN[k] = (weakref.ref(t, gone), tangent)


def _drop(t):
    e = _TAN.get(id(t))
    if e is not None and e[0]() is t:
        del _TAN[id(t)]


# ---- levels -------------------------------------------------------------------------------

def enter_dual_level():
    """Open a forward-AD level (only one at a time); see torch.autograd.forward_ad."""
    global _current_level
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level = 0
    _TAN.clear()
    _op.DUAL[0] = True
    _op.set_apply_layer("forward_ad", _layer)
    return 0


def exit_dual_level(*, level=None):
    """Close the level: every tangent made in it is dropped; see torch.autograd.forward_ad."""
    global _current_level
    if level is None:
        level = _current_level
    if level != _current_level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           "was created. This is not supported.")
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    _op.set_apply_layer("forward_ad", None)
    _op.DUAL[0] = False
    _TAN.clear()
    _current_level = level - 1


class dual_level:
    """Context manager (and decorator) for a forward-AD level; see
    torch.autograd.forward_ad.dual_level."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, exc_type, exc_value, traceback):
        exit_dual_level()

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class UnpackedDualTensor(NamedTuple):
    """(primal, tangent) as returned by unpack_dual."""
    primal: object
    tangent: object


def _shape_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _same_layout(a, b):
    if a.shape != b.shape:
        return False
    if a.flags.c_contiguous and b.flags.c_contiguous:
        return True
    return all(n <= 1 or sa // a.itemsize == sb // b.itemsize
               for n, sa, sb in zip(a.shape, a.strides, b.strides))


def make_dual(tensor, tangent, *, level=None):
    """A view of `tensor` carrying `tangent` (used as is when its layout matches, else copied
    into tensor's layout); see torch.autograd.forward_ad.make_dual."""
    from .._dtype import FLOAT
    from .._tensor import _wrap
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if tensor.dtype.category < FLOAT:
        raise ValueError("Expected primal to be floating point or complex, but got: "
                         f"{tensor.dtype}")
    if tangent.dtype.category < FLOAT:
        raise ValueError("Expected tangent to be floating point or complex, but got: "
                         f"{tangent.dtype}")
    if level != _current_level:
        raise RuntimeError("Invalid level given to _make_dual")
    if _get(tensor) is not None:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward "
                           f"gradient at the same level {level} is not supported.")
    p, t = tensor._data, tangent._data
    if p.shape != t.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            "original Tensor, this is not supported. Tensor is of size "
            f"{_shape_str(p.shape)} while the given forward gradient is of size "
            f"{_shape_str(t.shape)}.")
    if p.dtype.kind == "c" or t.dtype.kind == "c":
        raise NotImplementedError("ember's forward AD does not support complex tensors")
    if not _same_layout(p, t):
        arr = np.empty_like(p, dtype=t.dtype)   # order "K": the primal's (dense) layout
        arr[...] = t
        tangent = _wrap(arr)
    _BUSY[0] = True
    try:
        from ..ops.shape import view
        dual = view(tensor, tuple(p.shape))     # an alias: ViewBackward0 when it needs grad
    finally:
        _BUSY[0] = False
    _set(dual, tangent)
    return dual


class _Alias(_op.Op):
    """The primal that unpack_dual returns: an alias, with torch's `Identity` node."""
    node_name = "Identity"

    def name(self):
        return "torch::autograd::Identity"

    def forward(self, x):
        return x.view()

    def backward(self, grad):
        return grad


def unpack_dual(tensor, *, level=None):
    """(primal, tangent) of a dual tensor; tangent None for a tensor without one; see
    torch.autograd.forward_ad.unpack_dual."""
    if level is None:
        level = _current_level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    tangent = _get(tensor)
    if level != _current_level:
        if tangent is not None:
            raise RuntimeError("Invalid level given to _fw_primal")
        tangent = None
    _BUSY[0] = True
    try:
        primal = _Alias.apply(tensor)
    finally:
        _BUSY[0] = False
    ver = tensor._ver
    if ver is None:
        ver = tensor._ver = [0]
    primal._ver = ver
    b = getattr(tensor, "_base", None)
    primal._base = tensor if b is None else b
    return UnpackedDualTensor(primal, tangent)


def _tangent_for_repr(t):
    """What Tensor.__repr__ prints after `tangent=` (None: nothing)."""
    return _get(t) if _TAN else None


# ---- the apply layer ----------------------------------------------------------------------

def _layer(apply):
    Tensor = _Tensor()

    def fw_apply(cls, *args, **params):
        if _BUSY[0] or not _TAN:
            return apply(cls, *args, **params)
        tans = None
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                t = _get(a)
                if t is not None:
                    if tans is None:
                        tans = [None] * len(args)
                    tans[i] = t
        if tans is None:
            return apply(cls, *args, **params)
        return _dual_apply(apply, cls, args, params, tans)
    return fw_apply


_DEAD = weakref.ref(type("_Gone", (), {})())   # a reference whose object is gone


def _dual_apply(apply, cls, args, params, tans):
    """cls.apply(*args) where some inputs carry tangents: the output plus its tangent(s)."""
    Tensor = _Tensor()
    user_grad = GRAD[0]
    track = user_grad and any(isinstance(a, Tensor) and a._rg for a in args)
    # one forward, recorded: inputs with a tangent that the user's graph does not reach are
    # stood in for by detached leaves that require grad, so the node saves what backward needs
    stand = list(args)
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            if tans[i] is not None:
                if not (track and a._rg):
                    s = a.detach()
                    s._rg = True
                    stand[i] = s
            elif a._rg and not track:
                stand[i] = a.detach()
    _BUSY[0] = True
    GRAD[0] = True
    try:
        out = apply(cls, *stand, **params)
    finally:
        GRAD[0] = user_grad
        _BUSY[0] = False
    outs = out if type(out) is tuple else (out,)
    node = None
    for o in outs:
        if isinstance(o, Tensor) and o.grad_fn is not None:
            node = o.grad_fn
            break
    if node is not None and node.__class__ is not cls and not isinstance(node, cls):
        node = None     # (an op that returned an input's alias: the node is not ours)
    if node is not None and track:
        # the user's graph: no edges to the stand-ins
        nf = list(node.next_functions)
        for i in range(min(len(nf), len(args))):
            if stand[i] is not args[i]:
                nf[i] = _op._NO_EDGE
        node.next_functions = tuple(nf)
    t_outs = None
    if node is not None:
        _BUSY[0] = True
        try:
            rule = _RULES.get(cls)
            if rule is not None:
                t_outs = rule(node, args, tans, outs, params, track)
            if t_outs is None:
                t_outs = _double_vjp(node, args, tans, outs, track)
        finally:
            _BUSY[0] = False
    for i, s in enumerate(stand):
        if s is not args[i] and isinstance(s, Tensor):
            s._rg = False   # (leaves that required grad while the tangent was computed)
    if not track:
        for o in outs:
            if isinstance(o, Tensor) and o.grad_fn is not None:
                o.grad_fn = None
                o._rg = False
    if t_outs is not None:
        for o, t in zip(outs, t_outs):
            if t is not None and isinstance(o, Tensor):
                _set(o, _fit(t, o))
    return out


def _fit(t, o):
    """A tangent with the output's shape (and layout where it is cheap)."""
    a = t._data
    if a.shape != o._data.shape:
        t = t.expand(o._data.shape).contiguous()
    return t


def _clone_node(node):
    c = object.__new__(type(node))
    for k in type(node).__mro__:
        for s in k.__dict__.get("__slots__", ()):
            if s in ("__dict__", "__weakref__"):
                continue
            try:
                setattr(c, s, getattr(node, s))
            except AttributeError:
                pass
    d = getattr(node, "__dict__", None)
    if d:
        c.__dict__.update(d)
    return c


def _double_vjp(node, args, tans, outs, track):
    """Output tangents J t: backward's formula u -> J^T u is recorded on a private copy of the
    node, then differentiated w.r.t. u along t. When the user's graph is recorded (`track`) the
    copy keeps the node's saved tensors and edges, so the tangent is differentiable w.r.t. the
    primals (as torch's is); otherwise it has no edges and detached saved tensors."""
    from .._tensor import _wrap
    from .engine import grad as _grad
    Tensor = _Tensor()
    nt = _clone_node(node)
    nt._hk = True
    fw_needs = tuple(t is not None for t in tans)
    if track:
        # every floating input: torch's formulas take a zero tangent for the inputs without
        # one, which makes the output tangent differentiable w.r.t. the primals (see below)
        ne = len(node.next_functions)
        nt.needs_input_grad = tuple(
            f or (i < ne and isinstance(a, Tensor) and a._data.dtype.kind == "f")
            for i, (f, a) in enumerate(zip(fw_needs, args)))
    else:
        # the saved tensors are the stand-ins (no history): kept, since some backwards
        # (composite ones) differentiate through them again
        nt.next_functions = tuple(_op._NO_EDGE for _ in node.next_functions)
        nt.needs_input_grad = fw_needs
    so = getattr(node, "_saved_out", None)
    if so:
        nt._saved_out = [(nr, _DEAD, arr, ver, v) for (nr, _r, arr, ver, v) in so]
    us = []
    grads_in = []
    for o in outs:
        if isinstance(o, Tensor) and o.grad_fn is node:
            # any u will do (J^T u is linear in u); ones make a non-differentiable formula
            # detectable below (its result would be a nonzero constant)
            u = _wrap(np.ones(o._data.shape, o._data.dtype))
            u._rg = True
            us.append(u)
            grads_in.append(u)
        else:
            grads_in.append(None)
    if not us:
        return None
    prev = GRAD[0]
    GRAD[0] = True
    try:
        if len(outs) > 1 and node.nondiff_outputs is not None:
            # as the engine gathers them: zeros for the floating outputs not differentiated
            grads_in = [g if g is not None or not (isinstance(o, Tensor) and
                                                   o._data.dtype.kind in "fc")
                        else _wrap(np.zeros(o._data.shape, o._data.dtype))
                        for g, o in zip(grads_in, outs)]
        g = nt.backward(*grads_in)
        if type(g) is not tuple:
            g = (g,)
        gs, ts = [], []
        for gi, ti, a in zip(g, tans, args):
            if gi is None:
                continue
            if ti is None:
                if not (track and prev and isinstance(gi, Tensor) and gi._rg):
                    continue
                # torch materializes zero tangents, so an output tangent is differentiable
                # w.r.t. the primals that requires grad (0 @ W carries W's graph): the same here
                ti = _zeros_like(gi)
            if not isinstance(gi, Tensor):
                gi = _wrap(np.asarray(gi))
            if not gi._rg:
                if np.any(gi._data != 0):
                    raise NotImplementedError(
                        f"ember's forward AD: the backward formula of "
                        f"{type(node).__name__} is not differentiable, so its forward-mode "
                        "derivative (computed as a double vjp) is unavailable")
                continue
            if gi._data.shape != ti._data.shape:
                from ..ops._broadcast import sum_to
                gi = sum_to(gi, ti._data.shape)
            if ti._data.dtype != gi._data.dtype:
                ti = ti.to(gi.dtype)
            gs.append(gi)
            ts.append(ti)
        if not gs:
            res = [None] * len(us)
        else:
            cg = prev and (track or any(t._rg for t in ts))
            res = _grad(gs, us, ts, retain_graph=cg, create_graph=cg, allow_unused=True)
    finally:
        GRAD[0] = prev
    out_t = []
    k = 0
    for o, gin in zip(outs, grads_in):
        if gin is not None and gin in us:
            r = res[k]
            k += 1
            if r is None:
                r = _wrap(np.zeros(o._data.shape, o._data.dtype))
            elif not prev or not r._rg:
                r = r.detach() if r._rg else r
            out_t.append(r)
        else:
            out_t.append(None)
    return out_t


# ---- rules: ops whose tangent is cheaper than a double vjp --------------------------------

def _zeros_like(a):
    from .._tensor import _wrap
    return _wrap(np.zeros(a._data.shape, a._data.dtype))


def _linear_rule(node, args, tans, outs, params, track):
    """An op linear in its tensor inputs: the tangent is the op applied to the tangents."""
    Tensor = _Tensor()
    targs = []
    for a, t in zip(args, tans):
        if not isinstance(a, Tensor):
            return None      # a number operand: not linear in the inputs alone
        if t is None and a._data.dtype.kind in "fc":
            t = _zeros_like(a)
        targs.append(t if t is not None else a)   # (integer inputs are indices: kept)
    r = type(node).apply(*targs, **params)
    return list(r) if type(r) is tuple else [r]


def _tan(tans, i):
    return tans[i] if i < len(tans) else None


def _or_zero(t, a):
    """A missing tangent as torch's formulas see it under a recorded graph: zeros."""
    if t is not None:
        return t
    if isinstance(a, _Tensor()):
        return _zeros_like(a)
    return 0.0


def _binary_rule(kind):
    """Tangents of + - * /. Under a recorded graph (`track`) the formulas are torch's, with
    zeros for missing tangents, so the tangent is differentiable w.r.t. the primals exactly
    where torch's is (a * b: ta * b + a * tb even when tb is zero)."""
    def rule(node, args, tans, outs, params, track):
        Tensor = _Tensor()
        if len(args) != 2:
            return None
        a, b = args
        ta, tb = tans[0], tans[1]
        alpha = params.get("alpha", 1)
        if kind == "add" or kind == "sub":
            if tb is not None and alpha != 1:
                tb = tb * alpha
            if ta is None:
                r = tb.clone() if kind == "add" else -tb
            elif tb is None:
                r = ta.clone()     # (never the input's own tangent: in-place ops write into it)
            else:
                r = ta + tb if kind == "add" else ta - tb
            return [r]
        if kind == "mul":
            if track:
                return [_or_zero(tb, b) * a + _or_zero(ta, a) * b]
            r = None
            if ta is not None:
                r = ta * b
            if tb is not None:
                r = a * tb if r is None else r + a * tb
            return [r]
        if kind == "div":
            o = outs[0] if track else outs[0].detach()
            if track:
                return [(_or_zero(ta, a) - _or_zero(tb, b) * o) / b]
            if ta is not None and tb is not None:
                return [(ta - tb * o) / b]
            if ta is not None:
                return [ta / b]
            if isinstance(b, Tensor):
                return [-(tb * o) / b]
        return None
    return rule


def _unary_rule(fn):
    def rule(node, args, tans, outs, params, track):
        if len(args) != 1:
            return None
        return [fn(args[0], tans[0], outs[0] if track else outs[0].detach())]
    return rule


def _matmul_rule(node, args, tans, outs, params, track):
    if len(args) != 2:
        return None
    from ..ops import linalg as L
    a, b = args
    ta, tb = tans
    if track:
        return [L.matmul(_or_zero(ta, a), b) + L.matmul(a, _or_zero(tb, b))]
    r = None
    if ta is not None:
        r = L.matmul(ta, b)
    if tb is not None:
        rb = L.matmul(a, tb)
        r = rb if r is None else r + rb
    return [r]


def _addmm_rule(node, args, tans, outs, params, track):
    """beta * tc + alpha * (ta @ b + a @ tb): the Linear layer's op."""
    if len(args) != 3:
        return None
    from ..ops import linalg as L
    c, a, b = args
    tc, ta, tb = tans
    beta, alpha = params.get("beta", 1), params.get("alpha", 1)
    if track:
        tc, ta, tb = _or_zero(tc, c), _or_zero(ta, a), _or_zero(tb, b)
    r = None
    if ta is not None:
        r = L.matmul(ta, b)
    if tb is not None:
        rb = L.matmul(a, tb)
        r = rb if r is None else r + rb
    if r is not None and alpha != 1:
        r = r * alpha
    if tc is not None and beta != 0:
        tc = tc if beta == 1 else tc * beta
        r = tc + r if r is not None else tc + _zeros_like(outs[0])
    return [r]


def _build_rules():
    from ..ops import elementwise as E
    from ..ops import indexing as I
    from ..ops import linalg as L
    from ..ops import nn_ops as N
    from ..ops import reduction as R
    from ..ops import shape as S
    rules = {}
    linear = [getattr(S, n, None) for n in ("Clone", "Cat", "Stack", "Flip", "Roll", "Repeat",
                                            "UnsafeView", "Tril", "DiagEmbed", "SumToSize")]
    linear += [getattr(R, n, None) for n in ("Sum", "Mean", "Cumsum")]
    linear += [getattr(I, n, None) for n in ("Index", "IndexSelect", "Gather")]
    linear += [getattr(E, "Neg", None), getattr(N, "ConstantPadNd", None)]
    for cls in linear:
        if cls is not None:
            rules[cls] = _linear_rule
    for name, kind in (("Add", "add"), ("Sub", "sub"), ("Mul", "mul"), ("Div", "div")):
        cls = getattr(E, name, None)
        if cls is not None:
            rules[cls] = _binary_rule(kind)
    unary = {
        "Exp": lambda x, t, o: t * o,
        "Tanh": lambda x, t, o: t * (1 - o * o),
        "Sigmoid": lambda x, t, o: t * (o * (1 - o)),
    }
    for name, fn in unary.items():
        cls = getattr(E, name, None)
        if cls is not None:
            rules[cls] = _unary_rule(fn)
    for name in ("Mm", "Matmul", "Bmm"):
        cls = getattr(L, name, None)
        if cls is not None:
            rules[cls] = _matmul_rule
    if getattr(L, "Addmm", None) is not None:
        rules[L.Addmm] = _addmm_rule
    return rules


class _Rules(dict):
    """Built on first use (the ops modules import after this one)."""

    def get(self, cls, default=None):
        if not self.__dict__.get("built"):
            self.update(_build_rules())
            self.__dict__["built"] = True
        # subclasses of a view op are linear too
        r = dict.get(self, cls)
        if r is None:
            r = self._view_rule(cls)
        return r if r is not None else default

    def _view_rule(self, cls):
        from ..ops.shape import ViewOp
        if issubclass(cls, ViewOp):
            self[cls] = _linear_rule
            return _linear_rule
        return None


_RULES = _Rules()


# ---- hooks the core calls while a level is open (op.DUAL[0] is True) -----------------------

def _view_hook(view, base):
    """A fast-path view (no Op.apply) of a dual tensor: its tangent is the same view of the
    base's tangent (a strided view when the layouts match, else a gathered copy)."""
    if _BUSY[0]:
        return
    t = _get(base)
    if t is None:
        return
    from .._tensor import _addr, _wrap
    b, v, tb = base._data, view._data, t._data
    if b.dtype != v.dtype or b.__class__ is not np.ndarray:
        return
    off = _addr(v) - _addr(b)
    if v.size == 0:
        _set(view, _wrap(np.zeros(v.shape, tb.dtype)))
    elif tb.dtype == b.dtype and tb.strides == b.strides and off >= 0 and \
            min(b.strides + v.strides, default=0) >= 0:
        k = off // tb.itemsize
        start = np.lib.stride_tricks.as_strided(tb, (k + 1,), (tb.itemsize,))[k:]
        _set(view, _wrap(np.lib.stride_tricks.as_strided(start, v.shape, v.strides)))
    else:
        from ..ops.inplace import _view_flat_index
        idx = _view_flat_index(base, view)
        _set(view, _wrap(np.ascontiguousarray(tb).reshape(-1)[idx]))


def _inplace_hook(self, r):
    """self took r's values in place: self's tangent becomes r's (written into self's own
    tangent where it has one, so views sharing it see the change, as in torch)."""
    if _BUSY[0]:
        return
    t = _get(r)
    old = _get(self)
    if t is None:
        if old is not None:
            _drop(self)
        return
    if old is not None and old._data.shape == t._data.shape and old._data.flags.writeable:
        old._data[...] = t._data
        old._bump()
        return
    _set(self, t)


def _snapshot_hook(self, snap):
    t = _get(self)
    if t is not None:
        _set(snap, t)


# ---- custom Functions -----------------------------------------------------------------------

def _function_tangents(args):
    """The tangents of a Function's tensor inputs, or None if none has one."""
    if _BUSY[0] or not _TAN:
        return None
    Tensor = _Tensor()
    tans = [(_get(a) if isinstance(a, Tensor) else None) for a in args]
    return tans if any(t is not None for t in tans) else None


def _function_jvp(cls, ctx, args, out, tans):
    """After a custom Function's forward: call its jvp(ctx, *tangents) (zeros for tensor
    inputs without a tangent, None for other inputs) and attach the results to the outputs."""
    Tensor = _Tensor()
    grads = []
    for a, t in zip(args, tans):
        if t is not None:
            grads.append(t)
        elif isinstance(a, Tensor):
            grads.append(_zeros_like(a))
        else:
            grads.append(None)
    # inside jvp, ctx.saved_tensors are the tensors given to save_for_forward (as primals)
    d = ctx.__dict__
    fwd_saved = d.get("saved_for_forward")
    had = "_ft_saved" in d
    old_saved = d.get("_ft_saved")
    if fwd_saved is not None:
        entries = []
        for t in fwd_saved:
            if isinstance(t, Tensor):
                t = t.detach()
                entries.append((0, t, t._ver[0]))
            else:
                entries.append(None)
        d["_ft_saved"] = entries
    prev = GRAD[0]
    GRAD[0] = True
    _BUSY[0] = True
    try:
        res = cls.jvp(ctx, *grads)
    finally:
        _BUSY[0] = False
        GRAD[0] = prev
        if fwd_saved is not None:
            if had:
                d["_ft_saved"] = old_saved
            else:
                d.pop("_ft_saved", None)
    outs = out if isinstance(out, tuple) else (out,)
    res_t = res if isinstance(res, tuple) else (res,)
    if len(res_t) != len(outs):
        raise RuntimeError("Function's jvp returned an invalid number of forward gradients "
                           f"(expected {len(outs)} but got {len(res_t)})")
    for o, t in zip(outs, res_t):
        if t is None or not isinstance(o, Tensor):
            continue
        if o._data.dtype.kind not in "fc":
            continue
        if t._data.shape != o._data.shape:
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                "original Tensor, this is not supported. Tensor is of size "
                f"{_shape_str(o._data.shape)} while the given forward gradient is of size "
                f"{_shape_str(t._data.shape)}.")
        if not prev and t._rg:
            t = t.detach()
        _set(o, t)
    return out
