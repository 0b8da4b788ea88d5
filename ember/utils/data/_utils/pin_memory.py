"""pin_memory (see torch.utils.data._utils.pin_memory): ember's tensors live in ordinary host
memory, so pinning is the identity; objects with their own `pin_memory()` method are asked.
"""
import collections.abc
import copy

from ...._tensor import Tensor


def pin_memory(data, device=None):
    """Return `data` with every tensor "pinned" (a no-op for ember's CPU tensors)."""
    if isinstance(data, Tensor):
        return data.pin_memory()
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        pinned = {k: pin_memory(v, device) for k, v in data.items()}
        if isinstance(data, collections.abc.MutableMapping):
            clone = copy.copy(data)
            clone.update(pinned)
            return clone
        return type(data)(pinned)
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(pin_memory(d, device) for d in data))
    if isinstance(data, tuple):
        return [pin_memory(d, device) for d in data]
    if isinstance(data, collections.abc.Sequence):
        return [pin_memory(d, device) for d in data]
    if hasattr(data, "pin_memory"):
        return data.pin_memory()
    return data
