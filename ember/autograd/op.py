"""Op: the one dispatch path every differentiable operation takes, and the grad_fn node it leaves.

An Op subclass has `forward` on arrays and `backward` on Tensors, side by side. `Op.apply`
unwraps the inputs, promotes dtypes once (per the class's `promote` rule), runs forward, and
only when grad mode is on and an input requires grad does it link a node into the graph: the
Op instance itself becomes the outputs' `grad_fn`. Outputs are held by the node through weak
references only (and rebuilt when needed), so output -> grad_fn -> output never forms a cycle.
"""
from __future__ import annotations

import itertools
import weakref

import ml_dtypes
import numpy as np

from .._dtype import _FROM_NP, get_default_dtype, result_type_from_keys, _scalar_dtype, FLOAT
from .grad_mode import GRAD

_new = object.__new__
_seq = itertools.count()
ndarray = np.ndarray

# filled in by ember._tensor at import (op.py is imported first)
Tensor = None
_wrap = None


_ONE_TRUE = (True,)
_NO_EDGE = (None, 0)
# shared constant tuples: the recording paths allocate as little as they can
_NEEDS = {(a, b): (a, b) for a in (False, True) for b in (False, True)}
_V0, _V00, _V0N = (0,), (0, 0), (0, None)


def _edge(a):
    """The graph edge to tensor a: its grad_fn, its AccumulateGrad, or none."""
    fn = a.grad_fn
    if fn is not None:
        return (fn, a._out_nr)
    return (a._accumulator(), 0) if a._rg else _NO_EDGE


def _is_floating_np(dt):
    return dt.kind in "fc" or dt.name == "bfloat16"


_PROMOTE_CACHE: dict = {}
# dtypes whose arrays need no promotion in float ops (floats with Python floats stay floats)
_FLOAT_NP = frozenset([np.dtype(t) for t in ("float16", "float32", "float64", "complex64",
                                             "complex128")] + [np.dtype(ml_dtypes.bfloat16)])


def promote_arrays(args, arrays, to_float):
    """Cast the array operands to torch's result dtype (numbers stay Python numbers).

    Returns (arrays, dtype) where dtype is the numpy dtype of the computation."""
    keys = []
    for a, x in zip(args, arrays):
        if isinstance(a, Tensor):
            keys.append((x.dtype, 0 if x.ndim else 1))
        elif x is None:
            continue
        else:
            keys.append((type(x), 2))
    keys = tuple(keys)
    dt = _PROMOTE_CACHE.get((keys, to_float))
    if dt is None:
        tk = []
        for k, klass in keys:
            tk.append((_FROM_NP[k] if klass < 2 else _scalar_dtype(k()), klass))
        r = result_type_from_keys(tk)
        if to_float and r.category < FLOAT:
            r = get_default_dtype()
        dt = _PROMOTE_CACHE[(keys, to_float)] = r.np
    out = []
    for a, x in zip(args, arrays):
        if isinstance(a, Tensor):
            if x.dtype != dt:
                x = x.astype(dt)
        elif type(x) is int and dt.kind in "iu":
            # torch casts a Python int to an integer result dtype with wraparound (uint8 and
            # -3 compute with 253); NumPy would raise OverflowError instead
            info = np.iinfo(dt)
            if not info.min <= x <= info.max:
                x = int(np.array(x, dtype=np.int64).astype(dt))
        out.append(x)
    return out, dt


def clear_promote_cache():
    _PROMOTE_CACHE.clear()


class Node:
    """The grad_fn surface shared by Op and AccumulateGrad: name, next_functions, hooks."""
    __slots__ = ("next_functions", "_seq", "__dict__", "__weakref__")
    # hooks live in the instance dict once registered; these class defaults let the engine
    # read them with a plain attribute lookup (an unset slot would raise and be caught)
    _hooks = _pre_hooks = _tensor_hooks = None
    # True where the engine's fast path cannot run this node: a class without an array `vjp`,
    # a node with hooks registered or with several outputs (set on the instance)
    _hk = False

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node's backward."""
        hooks = getattr(self, "_hooks", None)
        if hooks is None:
            hooks = self._hooks = {}
        self._hk = True
        return _Handle(hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node's backward and may replace the grads."""
        hooks = getattr(self, "_pre_hooks", None)
        if hooks is None:
            hooks = self._pre_hooks = {}
        self._hk = True
        return _Handle(hooks, fn)

    @property
    def metadata(self):
        d = getattr(self, "_metadata", None)
        if d is None:
            d = {}
            try:
                self._metadata = d
            except AttributeError:
                pass
        return d


class _Handle:
    """RemovableHandle: hooks live in an insertion-ordered dict keyed by handle id."""
    _ids = itertools.count()
    __slots__ = ("hooks_ref", "id")

    def __init__(self, hooks, fn):
        self.id = next(_Handle._ids)
        try:
            self.hooks_ref = weakref.ref(hooks)
        except TypeError:  # plain dicts/lists cannot be weakly referenced: hold them
            self.hooks_ref = hooks
        hooks[self.id] = fn

    def remove(self):
        hooks = self.hooks_ref() if isinstance(self.hooks_ref, weakref.ref) else self.hooks_ref
        if hooks is not None and self.id in hooks:
            del hooks[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class AccumulateGrad(Node):
    """The node that ends every path at a leaf: adds the incoming gradient into `.grad`."""
    __slots__ = ("variable",)
    _out_meta = None  # one output (the engine buffers single-output nodes' grads unboxed)

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()
        self._seq = -1  # runs after everything that feeds it (lowest priority)


_FREED_MSG = ("Trying to backward through the graph a second time (or directly access saved "
              "tensors after they have already been freed). Saved intermediate values of the "
              "graph are freed when you call .backward() or autograd.grad(). Specify "
              "retain_graph=True if you need to backward through the graph a second time or if "
              "you need to access saved tensors after calling backward.")


class Op(Node):
    """Base of every differentiable operation; the instance is the grad_fn of its outputs.

    Subclasses define `forward(self, *arrays, **params) -> array | tuple` and
    `backward(self, *grads) -> Tensor | tuple` (one grad per positional input, None where no
    gradient flows). Positional `apply` arguments are the autograd inputs (Tensors, or Python
    numbers that torch treats as wrapped 0-dim tensors); keyword arguments are parameters.
    forward stores arrays only through save_inputs/save_outputs (they do nothing when no graph
    is recorded) and small metadata (shapes, dims) as attributes.
    """
    __slots__ = ("needs_input_grad", "_args", "_saved", "_svers", "_saved_out", "_in_dt",
                 "_out_meta", "_released", "_metadata")
    promote = 0          # 0: none, 1: torch's result type, 2: result type, at least floating
    # torch's names of the saved inputs, by position in save_inputs (grad_fn._saved_<name>);
    # None: "self", "other"; saved_scalars maps torch names of saved numbers to attributes
    saved_names = None
    saved_scalars = None
    # per saved input: the input whose gradient needs it (None: always). torch keeps such a
    # tensor only when that gradient is wanted; ember keeps it anyway (backward may read its
    # shape) but packs it for saved_tensors_hooks and shows it as _saved_<name> only then
    saved_for = None
    nondiff_outputs = ()  # indices of outputs that never get a grad_fn (e.g. argmax indices)
    edge_inputs = None   # n: only the first n inputs get edges (torch's non-differentiable tail)
    # Optional `vjp(self, *grad_arrays) -> array | tuple`: the same formula as `backward`, on
    # arrays. The engine uses it when no graph of the backward pass is wanted (create_graph
    # False): the common case pays no per-op dispatch in backward.
    vjp = None

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        name = cls.__dict__.get("node_name") or cls.__name__ + "Backward0"
        cls.__name__ = cls.__qualname__ = name
        cls._hk = cls.vjp is None
        _saved_properties(cls, (cls.__dict__.get("saved_names") or ()) +
                          tuple(cls.__dict__.get("saved_scalars") or ()))

    # ---- what forward calls ----
    def save_inputs(self, *idx):
        """Keep positional inputs `idx` (as Tensors) for backward, with their versions."""
        args = self._args
        if args is None:
            return
        saved = []
        vers = []
        for i in idx:
            t = args[i]
            saved.append(t)
            if t.__class__ is Tensor or isinstance(t, Tensor):
                # no counter yet means version 0 (the counter is made on the first write)
                ver = t._ver
                vers.append(0 if ver is None else ver[0])
            else:
                vers.append(None)
        self._saved = tuple(saved)
        self._svers = tuple(vers)

    def save_outputs(self, *idx):
        """Keep outputs `idx` for backward (weakly; rebuilt from the array if freed)."""
        if self._args is not None:
            self._saved_out = idx

    # ---- what backward calls ----
    def saved_inputs(self):
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED_MSG)
        # a tensor whose version counter was never made is unmodified since it was saved
        sv = self._svers
        if sv is _V00:     # two tensors, both without a counter when saved (the lean paths)
            if saved[0]._ver is None and saved[1]._ver is None:
                return saved
        elif sv is _V0N:   # a tensor and a number
            if saved[0]._ver is None:
                return saved
        if len(saved) == 1:
            v = self._svers[0]
            if v is not None:
                ver = saved[0]._ver
                if ver is not None and ver[0] != v:
                    _raise_modified_input(self, 0, saved[0], v)
            return saved
        for k, (t, v) in enumerate(zip(saved, self._svers)):
            if v is not None:
                ver = t._ver
                if ver is not None and ver[0] != v:
                    _raise_modified_input(self, k, t, v)
        return saved

    def saved_outputs(self):
        so = self._saved_out
        if so is None:
            raise RuntimeError(_FREED_MSG)
        out = []
        for nr, ref, arr, ver, v in so:
            if ver[0] != v:
                t = ref()
                _raise_modified(t if t is not None else _wrap(arr), v, self, nr, output=True)
            t = ref()
            if t is None or t.grad_fn is not self:
                t = _wrap(arr)
                t._ver = ver
                t._rg = True
                t.grad_fn = self
                t._out_nr = nr
            out.append(t)
        return out

    def _release(self):
        if self._saved is not None or self._saved_out is not None:
            self._saved = self._saved_out = None
            self._released = True

    # ---- dispatch ----
    @classmethod
    def apply(cls, *args, **params):
        if len(args) == 1 and type(args[0]) is Tensor:
            # the unary path: no loops, promotion only for integer inputs of float ops
            a = args[0]
            x = a._data
            track = a._rg
            if cls.promote == 2 and x.dtype not in _FLOAT_NP:
                x = x.astype(get_default_dtype().np)
            arrays = (x,)
        elif len(args) == 2 and isinstance(args[0], Tensor) and (
                isinstance(args[1], Tensor) or args[1].__class__ is float or
                args[1].__class__ is int):
            # the binary path (tensor op tensor, tensor op number): no loops
            a, b = args
            x = a._data
            if isinstance(b, Tensor):
                y = b._data
                track = a._rg or b._rg
                if cls.promote and not (x.dtype is y.dtype and x.dtype in _FLOAT_NP):
                    (x, y), _ = promote_arrays(args, [x, y], cls.promote == 2)
            else:
                y = b
                track = a._rg
                if cls.promote and x.dtype not in _FLOAT_NP:
                    (x, y), _ = promote_arrays(args, [x, y], cls.promote == 2)
            arrays = (x, y)
        else:
            track = False
            arrays = []
            same = True
            dt0 = None
            for a in args:
                if isinstance(a, Tensor):
                    x = a._data
                    arrays.append(x)
                    if a._rg:
                        track = True
                    if dt0 is None:
                        dt0 = x.dtype
                    elif x.dtype is not dt0:
                        same = False
                else:
                    arrays.append(a)
                    if a is not None and type(a) is not float:
                        same = False
            if cls.promote and not (same and dt0 in _FLOAT_NP):
                arrays, _ = promote_arrays(args, arrays, cls.promote == 2)
        self = _new(cls)
        if not (track and GRAD[0]):
            self._args = None
            try:
                out = self.forward(*arrays, **params)
            except ValueError as e:
                _reraise_broadcast(e, arrays)
            if out.__class__ is ndarray:
                t = _new(Tensor)
                t._data = out
                t._rg = False
                t.grad_fn = None
                t._ver = None
                return t
            if type(out) is tuple:
                return tuple(_wrapa(o) for o in out)
            return _wrapa(out)
        # record: edges to the inputs' nodes, then forward, then outputs pointing here
        n = len(args)
        if n == 1:
            a = args[0]  # a Tensor that requires grad (track is set)
            fn = a.grad_fn
            self.next_functions = ((fn, a._out_nr),) if fn is not None else (
                (a._accumulator(), 0),)
            self.needs_input_grad = _ONE_TRUE
            self._in_dt = (a._data.dtype,)
        elif n == 2 and isinstance(args[0], Tensor):
            a, b = args
            fn = a.grad_fn     # (_edge inlined: this is the hottest path)
            ea = (fn, a._out_nr) if fn is not None else (
                (a._accumulator(), 0) if a._rg else _NO_EDGE)
            if isinstance(b, Tensor):
                fn = b.grad_fn
                eb = (fn, b._out_nr) if fn is not None else (
                    (b._accumulator(), 0) if b._rg else _NO_EDGE)
                self._in_dt = (a._data.dtype, b._data.dtype)
            else:
                eb = _NO_EDGE
                self._in_dt = (a._data.dtype, None)
            self.next_functions = (ea, eb)
            self.needs_input_grad = _NEEDS[ea is not _NO_EDGE, eb is not _NO_EDGE]
        else:
            nf = tuple(_edge(a) if isinstance(a, Tensor) else _NO_EDGE for a in args)
            self.needs_input_grad = tuple(e is not _NO_EDGE for e in nf)
            if cls.edge_inputs is not None:
                nf = nf[:cls.edge_inputs]   # as torch's next_functions list them
            self.next_functions = nf
            self._in_dt = [a._data.dtype if isinstance(a, Tensor) else None for a in args]
        self._args = args
        self._saved = self._saved_out = None
        try:
            out = self.forward(*arrays, **params)
        except ValueError as e:
            _reraise_broadcast(e, arrays)
        self._args = None
        self._seq = next(_seq)
        if type(out) is tuple:
            outs = []
            meta = []
            nd = cls.nondiff_outputs
            for i, o in enumerate(out):
                t = _wrapa(o)
                meta.append((t._data.shape, t._data.dtype))
                if i not in nd and _is_floating_np(t._data.dtype):
                    t._rg = True
                    t.grad_fn = self
                    t._out_nr = i
                outs.append(t)
            self._out_meta = meta
            self._hk = True     # several outputs: the engine's general path gathers the grads
            if self._saved_out is not None:
                self._keep_outputs(outs)
            return tuple(outs)
        if out.__class__ is not ndarray and isinstance(out, np.generic):
            out = np.asarray(out)   # NumPy gives scalars for 0-dim results
        # one array out (the common case): the Tensor is built inline
        t = _new(Tensor)
        t._data = out
        t._ver = None
        t._rg = rg = out.dtype in _FLOAT_NP   # only floating outputs are differentiable
        t.grad_fn = self if rg else None
        t._out_nr = 0
        self._out_meta = None
        if self._saved_out is not None:
            self._keep_outputs((t,))
        return t

    def _keep_outputs(self, outs):
        kept = []
        for i in self._saved_out:
            t = outs[i]
            ver = t._ver
            if ver is None:
                ver = t._ver = [0]
            kept.append((i, weakref.ref(t), t._data, ver, ver[0]))
        self._saved_out = kept

    def forward(self, *arrays, **params):
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, *grads):
        raise NotImplementedError(f"the derivative for '{type(self).__name__}' is not "
                                  "implemented.")


# Layers around Op.apply (profiler events, anomaly-mode tracebacks). Op.apply is rebuilt when
# one is switched on or off, so the plain dispatch path pays nothing for them while they are off.
_PLAIN_APPLY = Op.__dict__["apply"].__func__
_APPLY_LAYERS: dict = {}
PROFILER = [None]  # the collecting profiler's recorder: the engine times backward nodes with it


def set_apply_layer(name, layer):
    """Install `layer` (a function: apply -> wrapped apply) under `name`, or remove it (None)."""
    if layer is None:
        _APPLY_LAYERS.pop(name, None)
    else:
        _APPLY_LAYERS[name] = layer
    fn = _PLAIN_APPLY
    for lay in _APPLY_LAYERS.values():
        fn = lay(fn)
    Op.apply = classmethod(fn)
    LAYERED[0] = bool(_APPLY_LAYERS)


LAYERED = [False]   # True while any apply layer is on: the lean paths below then stand aside
DUAL = [False]      # True while a forward-AD level is open (autograd/forward_ad.py)


def lean_unary(cls, a):
    """cls.apply(a) for one-input elementwise ops that declare `lean = (array_fn, keep)`: a a
    Tensor of a NumPy floating dtype; keep is "in" or "out" (what backward reads). None where
    this path does not apply."""
    x = a._data
    if x.__class__ is not ndarray or x.dtype not in _LEAN_FLOATS or LAYERED[0]:
        return None
    fn, keep = cls.lean
    if a._rg and GRAD[0]:
        r = fn(x)
        if r.__class__ is not ndarray:
            r = np.asarray(r)
        # the graph step (Op.apply's recording, for one floating input and output)
        node = _new(cls)
        fn = a.grad_fn
        node.next_functions = ((fn, a._out_nr),) if fn is not None else (
            (a._accumulator(), 0),)
        node.needs_input_grad = _ONE_TRUE
        node._in_dt = None
        node._out_meta = None
        node._seq = next(_seq)
        t = _new(Tensor)
        t._data = r
        t._rg = True
        t.grad_fn = node
        t._out_nr = 0
        if keep == "in":
            node._saved = (a,)
            ver = a._ver
            node._svers = _V0 if ver is None else (ver[0],)
            node._saved_out = None
            t._ver = None
        else:
            node._saved = None
            ver = t._ver = [0]
            node._saved_out = [(0, weakref.ref(t), r, ver, 0)]
        return t
    r = fn(x)
    if r.__class__ is not ndarray:
        r = np.asarray(r)
    t = _new(Tensor)
    t._data = r
    t._rg = False
    t.grad_fn = None
    t._ver = None
    return t


_LEAN_FLOATS = frozenset(np.dtype(t) for t in ("float16", "float32", "float64"))


def record_binary(node, a, b, r, save):
    """The graph step of Op.apply for the lean paths of binary elementwise ops: `node` (a new
    Op, its shapes set) becomes the grad_fn of r = a op b, where a is a Tensor, b a Tensor of
    a's dtype or a Python number, and at least one requires grad. With `save`, both inputs are
    kept for backward. Grads come back in a's dtype already: `_in_dt` None (nothing to cast)."""
    fn = a.grad_fn
    ea = (fn, a._out_nr) if fn is not None else (
        (a._accumulator(), 0) if a._rg else _NO_EDGE)
    if b.__class__ is Tensor:
        fn = b.grad_fn
        eb = (fn, b._out_nr) if fn is not None else (
            (b._accumulator(), 0) if b._rg else _NO_EDGE)
        if save:
            node._saved = (a, b)
            va = a._ver
            vb = b._ver
            node._svers = _V00 if va is None and vb is None else (
                0 if va is None else va[0], 0 if vb is None else vb[0])
        else:
            node._saved = None
    else:
        eb = _NO_EDGE
        if save:
            node._saved = (a, b)
            va = a._ver
            node._svers = _V0N if va is None else (va[0], None)
        else:
            node._saved = None
    node.next_functions = (ea, eb)
    node.needs_input_grad = _NEEDS[ea is not _NO_EDGE, eb is not _NO_EDGE]
    node._in_dt = None
    node._saved_out = node._out_meta = None
    node._seq = next(_seq)
    t = _new(Tensor)
    t._data = r
    t._ver = None
    t._rg = True
    t.grad_fn = node
    t._out_nr = 0
    return t


def run_forward(cls, *arrays, **params):
    """cls.forward on arrays with no graph and no Tensors: array vjps reuse fused backward ops
    (e.g. `MaxPoolBackward`) this way without paying for a dispatch."""
    node = _new(cls)
    node._args = None
    return node.forward(*arrays, **params)


def _reraise_broadcast(e, arrays):
    """NumPy's broadcasting ValueError -> torch's RuntimeError naming the two sizes."""
    if "broadcast" not in str(e):
        raise e
    from ..ops._broadcast import broadcast_error
    shapes = [x.shape for x in arrays if hasattr(x, "shape")]
    for i in range(len(shapes)):
        for j in range(i + 1, len(shapes)):
            try:
                np.broadcast_shapes(shapes[i], shapes[j])
            except ValueError:
                broadcast_error(shapes[i], shapes[j])
    raise e


def _wrapa(a):
    """Tensor around an op result; NumPy returns scalars for 0-dim results, made arrays here."""
    if a.__class__ is not ndarray:
        if isinstance(a, np.generic):
            a = np.asarray(a)
    return _wrap(a)


def _short_name(nm):
    # torch names the node without its "Backward<N>" suffix here (ExpBackward0 -> Exp)
    if nm == "CopySlices":
        return "torch::autograd::CopySlices"
    i = nm.rfind("Backward")
    if i > 0 and nm[i + 8:].isdigit() or nm.endswith("Backward"):
        return nm[:i]
    return nm


def _saved_properties(cls, names):
    """grad_fn._saved_<name> / _raw_saved_<name>: torch's views of what a node kept for backward
    (autograd/_saved_tensors.py), as properties. Not a __getattr__: that would turn off
    CPython's specialised attribute loads on every node."""
    def prop(attr):
        def get(self):
            from ._saved_tensors import saved_attribute
            return saved_attribute(self, attr)
        return property(get)
    for n in names:
        for attr in ("_saved_" + n, "_raw_saved_" + n):
            if attr not in cls.__dict__:
                setattr(cls, attr, prop(attr))


_saved_properties(Op, ("self", "other", "result"))


def _raise_modified_input(node, k, t, v):
    """Saved input k of node was modified in place: torch's error, unless torch would not have
    kept that tensor at all (it is needed only for a gradient nobody asked for; Op.saved_for),
    in which case backward reads no more than its shape."""
    sf = type(node).saved_for
    if sf is not None and sf[k] is not None and not node.needs_input_grad[sf[k]]:
        return
    _raise_modified(t, v, node)


def _raise_modified(t, v, node, nr=None, output=False):
    from .._tensor import legacy_type_name
    fn = t.grad_fn if t is not None else None
    what = ""
    if output or (fn is not None):
        n = node if output else fn
        nm = _short_name(type(n).__name__)
        what = f", which is output {nr if output else t._out_nr} of {nm},"
    cur = t._ver[0] if t._ver else 0
    shape = ", ".join(str(s) for s in t._data.shape)
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{legacy_type_name(t)} [{shape}]]{what} is at version {cur}; expected "
        f"version {v} instead. Hint: enable anomaly detection to find the operation that "
        "failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, "
        "check_nan=False).")
