"""saved_tensors_hooks / save_on_cpu / disable_saved_tensors_hooks (torch.autograd.graph):
pack/unpack hooks applied to the tensors an Op keeps for backward.

While no hook is registered nothing here runs: entering the first context swaps Op's
`save_inputs` / `_keep_outputs` for hooked versions (and turns off the lean elementwise paths,
which save without those methods); leaving the last one swaps the plain methods back. A node
that packed its tensors answers `saved_inputs()` / `saved_outputs()` through the unpack hook
it was created under (an instance attribute, so other nodes pay nothing).
Also here: grad_fn._saved_<name> / _raw_saved_<name> (torch's names, Op.saved_names) and the
SavedTensor whose register_hooks packs one saved tensor after the fact.
"""
from __future__ import annotations

import contextlib
import functools
import weakref

from . import op as _op
from .grad_mode import GRAD
from .op import _FREED_MSG, Op

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]

_STACK: list = []         # (pack, unpack) pairs, innermost last
_DISABLED = [None]        # disable_saved_tensors_hooks' message while it is on
_IN_PACK = [0]            # > 0 while a pack hook runs
_PLAIN = {"save_inputs": Op.save_inputs, "_keep_outputs": Op._keep_outputs}


def _top():
    return _STACK[-1]


class _Packed:
    """What a pack hook returned for one saved tensor, the unpack hook that reads it back, and
    the autograd identity (grad_fn edge or leaf accumulator) the unpacked tensor is given."""
    __slots__ = ("value", "unpack", "meta")

    def __init__(self, value, unpack, meta):
        self.value = value
        self.unpack = unpack
        self.meta = meta


def _meta(t, node=None, nr=0):
    if node is not None:                 # an output of `node`
        return (node, nr, None)
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._out_nr, None)
    return (None, 0, t._accumulator() if t._rg else None)


def _unpack(p):
    """unpack_hook(packed), made a tensor with the saved one's autograd identity (as torch's
    SavedVariable::unpack: a new tensor around the hook's data)."""
    t = p.unpack(p.value)
    Tensor = _op.Tensor
    if not isinstance(t, Tensor):
        raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                        f"result of type {type(t).__name__}")
    fn, nr, acc = p.meta
    r = _op._wrap(t._data)
    if t._ver is None:
        t._ver = [0]
    r._ver = t._ver
    if fn is not None:
        r._rg = True
        r.grad_fn = fn
        r._out_nr = nr
    elif acc is not None:
        r._rg = True
        r._acc = weakref.ref(acc)        # gradients reach the original leaf's .grad
    return r


def _pack_one(pack, t):
    # ops run inside a pack hook save plainly (torch runs pack hooks with the hooks off)
    ver = t._ver
    v = 0 if ver is None else ver[0]
    _IN_PACK[0] += 1
    prev = GRAD[0]
    GRAD[0] = False      # torch runs pack hooks with grad mode off
    try:
        p = pack(t)
    finally:
        _IN_PACK[0] -= 1
        GRAD[0] = prev
    ver = t._ver
    if ver is not None and ver[0] != v:
        raise RuntimeError("A saved tensor pack hook is modifying its input in place. Tensors "
                           "provided as input to pack hook cannot be modified by in-place "
                           "operations as this can lead to unexpected side-effects. Please open "
                           "an issue if you need to perform in-place operations on the input to "
                           "a pack hook.")
    return p


def input_names(cls, n):
    """torch's names of the first n saved inputs of an Op class."""
    names = cls.saved_names or ("self", "other")
    return tuple(names[k] if k < len(names) else f"input{k}" for k in range(n))


def _kept(node, k):
    """Does torch keep saved input k of node (see Op.saved_for)?"""
    sf = type(node).saved_for
    return sf is None or sf[k] is None or node.needs_input_grad[sf[k]]


def _unpack_inputs(node):
    saved = node._saved
    if saved is None:
        raise RuntimeError(_FREED_MSG)
    sv = node._svers
    out = list(saved)
    names = input_names(type(node), len(saved))
    for k in sorted(range(len(saved)), key=names.__getitem__):   # torch's order, as packing
        p = saved[k]
        if isinstance(p, _Packed):
            out[k] = _unpack(p)
        elif sv is not None and sv[k] is not None and p._ver is not None and p._ver[0] != sv[k]:
            _op._raise_modified_input(node, k, p, sv[k])
    return tuple(out)


def _unpack_outputs(node):
    so = node._saved_out
    if so is None:
        raise RuntimeError(_FREED_MSG)
    return [_unpack(p) if isinstance(p, _Packed) else _plain_output(node, p) for p in so]


def _plain_output(node, entry, fresh=False):
    nr, ref, arr, ver, v = entry
    if ver[0] != v:
        t = ref()
        _op._raise_modified(t if t is not None else _op._wrap(arr), v, node, nr, output=True)
    t = None if fresh else ref()
    if t is None or t.grad_fn is not node:
        t = _op._wrap(arr)
        t._ver = ver
        t._rg = True
        t.grad_fn = node
        t._out_nr = nr
    return t


def _hooked_save_inputs(self, *idx):
    args = self._args
    if args is None:
        return
    if _IN_PACK[0]:
        return _PLAIN["save_inputs"](self, *idx)
    pack, unpack = _top()
    Tensor = _op.Tensor
    saved = [args[i] for i in idx]
    names = input_names(type(self), len(saved))
    # torch packs a node's saved variables in the order of their names
    for k in sorted((k for k, t in enumerate(saved) if isinstance(t, Tensor) and
                     _kept(self, k)), key=names.__getitem__):
        t = saved[k]
        saved[k] = _Packed(_pack_one(pack, t), unpack, _meta(t))
    self._saved = tuple(saved)
    self._svers = None
    self.__dict__["saved_inputs"] = functools.partial(_unpack_inputs, self)


def _hooked_keep_outputs(self, outs):
    if _IN_PACK[0]:
        return _PLAIN["_keep_outputs"](self, outs)
    pack, unpack = _top()
    self._saved_out = [_Packed(_pack_one(pack, outs[i]), unpack, _meta(outs[i], self, i))
                       for i in self._saved_out]
    self.__dict__["saved_outputs"] = functools.partial(_unpack_outputs, self)


# ---- grad_fn._saved_<name> / grad_fn._raw_saved_<name> ----------------------------------------

class SavedTensor:
    """One tensor a node keeps for backward (grad_fn._raw_saved_<name>); register_hooks
    packs it now and unpacks it on every later read (see torch._C._autograd.SavedTensor)."""
    __slots__ = ("_node", "_out", "_pos")

    def __init__(self, node, out, pos):
        self._node, self._out, self._pos = node, out, pos

    def register_hooks(self, pack_hook, unpack_hook):
        if not (callable(pack_hook) and callable(unpack_hook)):
            raise TypeError(
                "register_hooks(): incompatible function arguments. The following argument "
                "types are supported:\n    1. (self: torch._C._autograd.SavedTensor, arg0: "
                "collections.abc.Callable, arg1: collections.abc.Callable) -> None\n\nInvoked "
                f"with: {self!r}, {pack_hook!r}, {unpack_hook!r}")
        node = self._node
        store = node._saved_out if self._out else node._saved
        if store is None:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time or if you need to access saved variables after calling "
                "backward.")
        entry = store[self._pos]
        if isinstance(entry, _Packed):
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have "
                               "already been set. Hint: only one pair of hooks is allowed at a "
                               "time.")
        if self._out:
            nr, _ref, arr, ver, _v = entry
            data = _op._wrap(arr)
            data._ver = ver
            packed = _Packed(_pack_one(pack_hook, data), unpack_hook, (node, nr, None))
            store = list(store)
            store[self._pos] = packed
            node._saved_out = store
            node.__dict__["saved_outputs"] = functools.partial(_unpack_outputs, node)
        else:
            if entry is None or not isinstance(entry, _op.Tensor) or not _kept(node, self._pos):
                raise RuntimeError("Calling register_hooks on a saved tensor with value None "
                                   "is forbidden")
            # the hook sees the data without its autograd history (torch passes a detach())
            packed = _Packed(_pack_one(pack_hook, entry.detach()), unpack_hook, _meta(entry))
            store = list(store)
            store[self._pos] = packed
            node._saved = tuple(store)
            if node._svers is None or isinstance(node._svers, tuple):
                sv = list(node._svers or (None,) * len(store))
                sv[self._pos] = None
                node._svers = tuple(sv)
            node.__dict__["saved_inputs"] = functools.partial(_unpack_inputs, node)


SavedTensor.__module__ = "torch._C._autograd"


def _locate(node, name):
    """(kind, position or attribute) of torch's saved variable `name` on node, or None."""
    from .function import BackwardCFunction
    if not isinstance(node, Op) or isinstance(node, BackwardCFunction):
        return None   # AccumulateGrad and custom Function nodes have no _saved_ attributes
    cls = type(node)
    scalars = cls.saved_scalars
    if scalars and name in scalars:
        return ("scalar", scalars[name])
    saved = getattr(node, "_saved", None)
    if saved is not None:
        names = input_names(cls, len(saved))
        if name in names:
            return ("in", names.index(name))
    so = getattr(node, "_saved_out", None)
    if name == "result" and so is not None and not isinstance(so, tuple) and len(so) == 1:
        return ("out", 0)
    if saved is None and so is None and _released(node) and \
            name in (cls.saved_names or ("self", "other")) + ("result",):
        return ("freed", None)
    return None


def _released(node):
    try:
        return bool(node._released)
    except AttributeError:
        return False


def saved_attribute(node, attr):
    """node._saved_<name> (the tensor, read through any unpack hook, version-checked) or
    node._raw_saved_<name> (its SavedTensor)."""
    raw = attr.startswith("_raw_saved_")
    name = attr[len("_raw_saved_"):] if raw else attr[len("_saved_"):]
    loc = _locate(node, name)
    if loc is None or (raw and loc[0] == "scalar"):
        raise AttributeError(f"'{type(node).__name__}' object has no attribute '{attr}'")
    kind, pos = loc
    if kind == "scalar":
        return getattr(node, pos)
    if kind == "freed":
        if raw:
            return SavedTensor(node, False, 0)
        raise RuntimeError(_FREED_MSG)
    if raw:
        return SavedTensor(node, kind == "out", pos)
    if kind == "out":
        entry = node._saved_out[0]
        return _unpack(entry) if isinstance(entry, _Packed) else _plain_output(node, entry, True)
    entry = node._saved[pos]
    if isinstance(entry, _Packed):
        return _unpack(entry)
    if not _kept(node, pos):
        return None
    sv = node._svers
    v = sv[pos] if sv is not None else None
    if v is not None and isinstance(entry, _op.Tensor) and entry._ver is not None and \
            entry._ver[0] != v:
        _op._raise_modified(entry, v, node)
    return entry


def _push(entry):
    if not _STACK:
        Op.save_inputs = _hooked_save_inputs
        Op._keep_outputs = _hooked_keep_outputs
        # the lean elementwise paths save directly: they stand aside while a layer is on
        _op.set_apply_layer("saved_tensors_hooks", lambda apply: apply)
    _STACK.append(entry)


def _pop():
    _STACK.pop()
    if not _STACK:
        Op.save_inputs = _PLAIN["save_inputs"]
        Op._keep_outputs = _PLAIN["_keep_outputs"]
        _op.set_apply_layer("saved_tensors_hooks", None)


class saved_tensors_hooks:
    """Within the block, pack_hook(tensor) runs on each tensor saved for backward and
    unpack_hook(packed) when backward reads it; see torch.autograd.graph.saved_tensors_hooks."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _DISABLED[0] is not None:
            raise RuntimeError(_DISABLED[0])
        _push((self.pack_hook, self.unpack_hook))

    def __exit__(self, *args):
        _pop()


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors go to (optionally pinned) CPU memory and come back to their device in
    backward; see torch.autograd.graph.save_on_cpu."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack_to_cpu(tensor):
            if not pin_memory:
                return (tensor.device, tensor.cpu())
            from .._creation import empty
            packed = empty(tensor.size(), dtype=tensor.dtype, layout=tensor.layout,
                           pin_memory=True)
            packed.copy_(tensor)
            return (tensor.device, packed)

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Entering saved_tensors_hooks inside the block raises RuntimeError(error_message); see
    torch.autograd.graph.disable_saved_tensors_hooks."""
    prev = _DISABLED[0]
    _DISABLED[0] = error_message
    try:
        yield
    finally:
        _DISABLED[0] = prev
