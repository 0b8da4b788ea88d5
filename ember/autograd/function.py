"""torch.autograd.Function: user-defined ops with a static forward/backward and a ctx object.

An adapter over Op: each Function subclass gets a node class `<Name>Backward` (an Op subclass,
made by the metaclass as torch does) whose instance is both the `ctx` passed to forward and
backward and the outputs' `grad_fn`. `apply` runs forward under no_grad, links the node into
the graph exactly like Op.apply, and the engine calls the node's `backward`, which calls the
user's backward and checks what it returned the way torch's custom-function node does.
"""
from __future__ import annotations

import functools
import inspect
import itertools
import warnings
import weakref

import numpy as np

from . import anomaly_mode
from . import op as _op
from .anomaly_mode import ANOMALY
from .grad_mode import GRAD, no_grad
from .op import Op, _seq, _raise_modified, _FREED_MSG, _is_floating_np

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable",
           "InplaceFunction", "FunctionMeta"]

_new = object.__new__
# the torch.func levels open around the running code, innermost last ("grad", "jvp", "vmap");
# ember/func pushes them while it runs the transformed function
TRANSFORMS: list = []
_FUNC_DOCS = "For more details, please see https://pytorch.org/docs/main/notes/extending.func.html"


def _T():
    from .._tensor import Tensor
    return Tensor


class FunctionCtx:
    """What `ctx` offers inside forward/setup_context (see torch.autograd.function.FunctionCtx)."""
    __slots__ = ()

    def save_for_backward(self, *tensors):
        """Keep tensors (or None) for backward; read them back with `ctx.saved_tensors`."""
        Tensor = _T()
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        self.saved_for_forward = tensors

    def mark_dirty(self, *args):
        """The tensors forward modified in place (they must be returned as outputs)."""
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args):
        """Outputs that get no gradient (requires_grad=False), e.g. argmax indices."""
        self.non_differentiable = args

    def set_materialize_grads(self, value):
        """False: backward gets None (not zeros) for outputs that received no gradient."""
        self.materialize_grads = bool(value)


class BackwardCFunction(Op, FunctionCtx):
    """Base of every `<Name>Backward` node: the ctx of one Function call and its grad_fn."""
    node_name = "BackwardCFunction"
    nondiff_outputs = None  # tells the engine this node materializes its own output grads
    _forward_cls = None

    def __repr__(self):
        return f"<torch.autograd.function.{type(self).__name__} object at {hex(id(self))}>"

    # ---- saved tensors (torch's SavedVariable: version checked on every read) ----
    @property
    def saved_tensors(self):
        saved = self.__dict__.get("_ft_saved", ())
        if saved is None:
            raise RuntimeError(_FREED_MSG)
        out = []
        for s in saved:
            if s is None:
                out.append(None)
            elif s[0] == 0:            # an input (or other tensor): strong reference
                _, t, v = s
                if t._ver[0] != v:
                    _raise_modified(t, v, self)
                out.append(t)
            else:                      # an output: weak, rebuilt around its array if freed
                _, nr, ref, arr, ver, v = s
                if ver[0] != v:
                    t = ref()
                    _raise_modified(t if t is not None else _wrap_arr(arr, ver), v, self, nr,
                                    output=True)
                t = ref()
                if t is None or t.grad_fn is not self:
                    t = _wrap_arr(arr, ver)
                    t._rg = True
                    t.grad_fn = self
                    t._out_nr = nr
                out.append(t)
        return tuple(out)

    saved_variables = saved_tensors

    def _release(self):
        d = self.__dict__
        if d.get("_ft_saved") is not None:
            d["_ft_saved"] = None
            self._released = True

    # ---- the engine's side ----
    def _materialize(self, buf):
        """Output grads for backward: zeros where none arrived (unless materialize is off)."""
        from .._tensor import _wrap
        grads = []
        mat = self.__dict__.get("materialize_grads", True)
        for i, m in enumerate(self._out_meta):
            g = buf.get(i)
            if g is None and m is not None and mat:
                shape, dt, xp = m
                g = _wrap(xp.zeros(shape, dt))
            grads.append(g)
        return grads

    def backward(self, *grads):
        fwd = self._forward_cls
        res = fwd.backward(self, *grads)
        return self._check_grads(res)

    def _check_grads(self, res):
        Tensor = _T()
        name = type(self).__name__
        if type(res) is not tuple:
            res = (res,)
        n = len(self._in_shapes)
        if len(res) != n:
            if len(res) > n and all(g is None for g in res[n:]):
                res = res[:n]
            else:
                raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                                   f"(expected {n}, got {len(res)})")
        out = []
        shapes = self._in_shapes
        for i, g in enumerate(res):
            if g is None:
                out.append(None)
                continue
            if not isinstance(g, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
            shape = shapes[i]
            if shape is None:
                raise RuntimeError(f"function {name} returned a gradient different than None at "
                                   f"position {i + 1}, but the corresponding forward input was "
                                   "not a Variable")
            if not self.needs_input_grad[i]:
                out.append(None)
                continue
            gs = g._data.shape
            if gs != shape:
                if not _expandable(shape, gs):
                    raise RuntimeError(
                        f"Function {name} returned an invalid gradient at index {i} - got "
                        f"[{', '.join(map(str, gs))}] but expected shape compatible with "
                        f"[{', '.join(map(str, shape))}]")
                from ..ops._broadcast import sum_to
                g = sum_to(g, shape)
            out.append(g)
        # the graph has edges for the tensor inputs only (as torch's)
        return tuple(out[i] for i in self._tensor_pos)


def _wrap_arr(arr, ver):
    from .._tensor import _wrap
    t = _wrap(arr)
    t._ver = ver
    return t


def _expandable(shape, target):
    """Can a tensor of `shape` be expanded to `target` (torch's is_expandable_to)?"""
    if len(shape) > len(target):
        return False
    for s, t in zip(reversed(shape), reversed(target)):
        if s != t and s != 1:
            return False
    return True


_ids = itertools.count()


class FunctionMeta(type):
    """Makes the `<Name>Backward` node class for every Function subclass (as torch does)."""

    def __init__(cls, name, bases, attrs):
        node = type(name + "Backward", (BackwardCFunction,),
                    {"_forward_cls": cls, "node_name": name + "Backward",
                     "__module__": cls.__module__})
        node._autograd_function_id = next(_ids)
        cls._backward_cls = node
        super().__init__(name, bases, attrs)


class Function(FunctionCtx, metaclass=FunctionMeta):
    """Base class for custom autograd ops (see torch.autograd.Function).

    Subclasses define static `forward(ctx, *args)` (or `forward(*args)` plus
    `setup_context(ctx, inputs, output)`) and `backward(ctx, *grad_outputs)`, and are called
    through `MyFn.apply(*args)`.
    """
    generate_vmap_rule = False

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are all "
            "static, so you should invoke them on the class itself. Instantiating an autograd "
            "function will raise an error in a future version of PyTorch.",
            DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError("To use autograd.Function with vmap, you must either override "
                                  "the vmap staticmethod or set generate_vmap_rule=True.")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward, and link a `<Name>Backward` node when a tensor input requires grad."""
        setup = cls.setup_context is not Function.setup_context
        if setup:
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        if TRANSFORMS:
            _check_transforms(cls, setup, args)
        return _apply(cls, setup, args, kwargs)


def _check_transforms(cls, setup, args):
    """What torch's custom_function_call demands of a Function run under torch.func levels."""
    if not setup:
        raise RuntimeError("In order to use an autograd.Function with functorch transforms "
                           "(vmap, grad, jvp, jacrev, ...), it must override the setup_context "
                           f"staticmethod. {_FUNC_DOCS}")
    if "vmap" in TRANSFORMS:
        # ember's vmap runs the function per batch element, so a vmap staticmethod is not
        # called; torch still insists that the Function declares how it batches
        own_rule = cls.vmap is not Function.vmap
        if cls.generate_vmap_rule and own_rule:
            raise RuntimeError(
                f"You tried to vmap over {cls.__name__}, but it has both generate_vmap_rule=True "
                "and an overridden vmap staticmethod. Please set generate_vmap_rule=False or "
                "delete the overridden vmap staticmethod to avoid ambiguity. " + _FUNC_DOCS)
        if not cls.generate_vmap_rule and not own_rule:
            raise RuntimeError(
                f"You tried to vmap over {cls.__name__}, but it does not have vmap support. "
                "Please override and implement the vmap staticmethod or set "
                f"generate_vmap_rule=True. {_FUNC_DOCS}")
    if "jvp" in TRANSFORMS and cls.jvp is Function.jvp:
        Tensor = _T()
        # a tangent reaches the Function only through inputs that depend on the jvp's primals
        if any(isinstance(a, Tensor) and a._rg for a in args):
            Function.jvp(None)


def _apply(cls, setup, args, kwargs):
    Tensor = _T()
    node = _new(cls._backward_cls)
    nig = []
    track = False
    for a in args:
        r = isinstance(a, Tensor) and a._rg
        nig.append(r)
        track = track or r
    track = track and GRAD[0]
    node.needs_input_grad = tuple(nig)
    node._saved = node._saved_out = None
    node._args = None
    if track:
        # edges to the inputs' current nodes, taken before forward can modify them in place
        nf = []
        shapes = []
        dts = []
        pos = []
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                shapes.append(a._data.shape)
                dts.append(a._data.dtype)
                pos.append(i)
                fn = a.grad_fn
                if fn is not None:
                    nf.append((fn, a._out_nr))
                elif a._rg:
                    nf.append((a._accumulator(), 0))
                else:
                    nf.append((None, 0))
            else:
                shapes.append(None)
        node.next_functions = tuple(nf)   # one edge per tensor input, as torch's
        node._in_shapes = shapes
        node._in_dt = dts
        node._tensor_pos = pos
    fw = _op.DUAL[0] and _fw_tangents(args)   # forward AD: the inputs' tangents, or None
    prev = GRAD[0]
    GRAD[0] = False
    try:
        if setup:
            if TRANSFORMS:
                # torch.func runs forward on the tensors one level down, which do not require
                # grad (so forward may call .numpy() on them)
                out = cls.forward(*[a.detach() if isinstance(a, Tensor) else a for a in args],
                                  **kwargs)
            else:
                out = cls.forward(*args, **kwargs)
            cls.setup_context(node, args, out)
        else:
            out = cls.forward(node, *args, **kwargs)
    finally:
        GRAD[0] = prev
    if track:
        out = _link_outputs(node, args, out)
    if fw:
        from .forward_ad import _function_jvp
        out = _function_jvp(cls, node, args, out, fw)
    return out


def _fw_tangents(args):
    from .forward_ad import _function_tangents
    return _function_tangents(args)


def _link_outputs(node, args, out):
    """Point the outputs at `node` (aliases for returned inputs, in place for dirty ones)."""
    from .._tensor import _wrap_view
    Tensor = _T()
    d = node.__dict__
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    dirty = {id(t) for t in d.get("dirty_tensors", ())}
    nondiff = {id(t) for t in d.get("non_differentiable", ())}
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    result = []
    meta = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            result.append(o)
            meta.append(None)
            continue
        if id(o) in dirty:
            if o._rg and o.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                   "in-place operation.")
            base = getattr(o, "_base", None)
            if base is not None and base._rg:
                raise NotImplementedError("ember: ctx.mark_dirty on a view of a tensor that "
                                          "requires grad is not supported")
            o._bump()
        elif id(o) in inputs:
            o = _wrap_view(o._data, o)   # torch returns an alias (a view), not the input itself
        a = o._data
        meta.append((a.shape, a.dtype, np if type(a) is np.ndarray else _xp_of(a)))
        if id(outs[i]) not in nondiff and _is_floating_np(a.dtype):
            o._rg = True
            o.grad_fn = node
            o._out_nr = i
        elif id(outs[i]) in dirty or id(outs[i]) in inputs:
            o._rg = o._rg and o.grad_fn is not None
        result.append(o)
    node._out_meta = meta
    node._seq = next(_seq)
    if ANOMALY[0]:
        anomaly_mode.record(node)
    # saved tensors, with their versions as of the end of forward (torch's SavedVariable)
    to_save = d.pop("to_save", None)
    if to_save is not None:
        positions = {id(o): k for k, o in enumerate(outs) if isinstance(o, Tensor)}
        saved = []
        for t in to_save:
            if t is None:
                saved.append(None)
                continue
            k = positions.get(id(t))
            if k is not None and result[k].grad_fn is node:
                # an output: held weakly so output -> grad_fn -> output is no cycle
                t = result[k]
                if t._ver is None:
                    t._ver = [0]
                saved.append((1, k, weakref.ref(t), t._data, t._ver, t._ver[0]))
            else:
                if t._ver is None:
                    t._ver = [0]
                saved.append((0, t, t._ver[0]))
        d["_ft_saved"] = saved
    return result[0] if single else tuple(result)


def _xp_of(a):
    from ..backend import array_module
    return array_module(a)


class _DelayedError(Op):
    """The grad_fn once_differentiable puts on its outputs: differentiating again raises."""
    node_name = "Error"  # torch prints the DelayedError node as <Error>

    def forward(self, *arrays, msg=""):
        self.msg = msg
        return tuple(arrays) if len(arrays) > 1 else arrays[0]

    def backward(self, *grads):
        raise RuntimeError(self.msg)


def once_differentiable(fn):
    """Decorate a Function's backward that is not itself differentiable: it runs under no_grad,
    and a double backward through it raises (see torch.autograd.function.once_differentiable).
    """
    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        with no_grad():
            outputs = fn(ctx, *args, **kwargs)
        if not GRAD[0]:
            return outputs
        Tensor = _T()
        if not any(isinstance(a, Tensor) and a._rg for a in args):
            return outputs
        outs = outputs if isinstance(outputs, tuple) else (outputs,)
        fakes = []
        for o in outs:
            if o is not None:
                o = o.detach()
                o.requires_grad_(True)
            fakes.append(o)
        present = [o for o in fakes if o is not None]
        if not present:
            return outputs
        err = _DelayedError.apply(*present, msg="trying to differentiate twice a function that "
                                                "was marked with @once_differentiable")
        err = err if isinstance(err, tuple) else (err,)
        it = iter(err)
        res = tuple(next(it) if o is not None else None for o in fakes)
        return res if isinstance(outputs, tuple) else res[0]
    return wrapper


class InplaceFunction(Function):
    """A Function with an `inplace` flag (see torch.autograd.function.InplaceFunction)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace
