"""saved_tensors_hooks / save_on_cpu / disable_saved_tensors_hooks (torch.autograd.graph):
pack/unpack hooks applied to the tensors an Op keeps for backward.

While no hook is registered nothing here runs: entering the first context swaps Op's
`save_inputs` / `_keep_outputs` for hooked versions (and turns off the lean elementwise paths,
which save without those methods); leaving the last one swaps the plain methods back. A node
that packed its tensors answers `saved_inputs()` / `saved_outputs()` through the unpack hook
it was created under (an instance attribute, so other nodes pay nothing).
"""
from __future__ import annotations

import contextlib
import functools

from . import op as _op
from .op import _FREED_MSG, Op

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]

_STACK: list = []         # (pack, unpack) pairs, innermost last
_DISABLED = [None]        # disable_saved_tensors_hooks' message while it is on
_IN_PACK = [0]            # > 0 while a pack hook runs
_PLAIN = {"save_inputs": Op.save_inputs, "_keep_outputs": Op._keep_outputs}


def _top():
    return _STACK[-1]


def _unpack_inputs(node, unpack):
    saved = node._saved
    if saved is None:
        raise RuntimeError(_FREED_MSG)
    return tuple(unpack(p) if isinstance(p, _Packed) else p for p in saved)


def _unpack_outputs(node, unpack):
    so = node._saved_out
    if so is None:
        raise RuntimeError(_FREED_MSG)
    return [unpack(p) for p in so]


class _Packed:
    """What the pack hook returned for one saved tensor."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _pack_all(pack, tensors):
    # ops run inside a pack hook save plainly (torch runs pack hooks with the hooks off)
    _IN_PACK[0] += 1
    try:
        return [pack(t) for t in tensors]
    finally:
        _IN_PACK[0] -= 1


def _hooked_save_inputs(self, *idx):
    args = self._args
    if args is None:
        return
    if _IN_PACK[0]:
        return _PLAIN["save_inputs"](self, *idx)
    pack, unpack = _top()
    Tensor = _op.Tensor
    saved = [args[i] for i in idx]
    pos = [k for k, t in enumerate(saved) if isinstance(t, Tensor)]
    for k, p in zip(pos, _pack_all(pack, [saved[k] for k in pos])):
        saved[k] = _Packed(p)
    self._saved = tuple(saved)
    self._svers = None
    self.__dict__["saved_inputs"] = functools.partial(
        _unpack_inputs, self, lambda p: unpack(p.value))


def _hooked_keep_outputs(self, outs):
    if _IN_PACK[0]:
        return _PLAIN["_keep_outputs"](self, outs)
    pack, unpack = _top()
    self._saved_out = _pack_all(pack, [outs[i] for i in self._saved_out])
    self.__dict__["saved_outputs"] = functools.partial(_unpack_outputs, self, unpack)


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
