"""torch.device: parsing 'cpu', 'cuda', 'cuda:1', ('cuda', 0); the device of an array.

A tensor's device is derived from its array type (numpy -> cpu, cupy -> cuda:N), so tensors
never store it; `backend.array_module` maps a device to numpy or cupy.
"""
from __future__ import annotations

_TYPES = ("cpu", "cuda", "mps", "meta", "xpu", "xla", "hip", "ipu", "mkldnn", "opengl",
          "opencl", "ideep", "vulkan", "ve", "fpga", "maia", "lazy", "hpu", "mtia",
          "privateuseone")


class device:
    """torch.device(type, index=None); equality by (type, index)."""
    __slots__ = ("type", "index")

    def __new__(cls, type_or_str, index=None):
        if isinstance(type_or_str, device):
            if index is not None:
                raise TypeError("device(): argument 'type' must be str, not torch.device")
            return type_or_str
        if isinstance(type_or_str, int) and not isinstance(type_or_str, bool):
            # torch.device(0) means the current accelerator's device 0
            t, i = "cuda", type_or_str
        elif isinstance(type_or_str, str):
            t, i = _parse(type_or_str)
            if index is not None:
                if i is not None:
                    raise RuntimeError(
                        f"type (string) must not include an index because index was passed "
                        f"explicitly: {type_or_str}")
                i = index
        else:
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({type(type_or_str).__name__})")
        if i is not None:
            if not isinstance(i, int) or isinstance(i, bool):
                raise TypeError("device(): argument 'index' must be int")
            if i < 0:
                raise RuntimeError(f"Device index must not be negative")
        if t == "cpu" and i is not None and i != 0:
            raise RuntimeError(f"CPU device index must be -1 or zero, got {i}")
        self = object.__new__(cls)
        object.__setattr__(self, "type", t)
        object.__setattr__(self, "index", i)
        return self

    def __setattr__(self, k, v):
        raise AttributeError("readonly attribute")

    def __eq__(self, other):
        if isinstance(other, device):
            return self.type == other.type and self.index == other.index
        return NotImplemented

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        # `with torch.device(d):` makes d the default for factory functions until exit;
        # the previous default is kept on a stack so contexts nest
        from . import _creation
        _context_stack.append(_creation._default_device[0])
        _creation.set_default_device(self)
        return self

    def __exit__(self, *exc):
        from . import _creation
        _creation._default_device[0] = _context_stack.pop()


_context_stack = []


def _parse(s):
    s0 = s
    t, sep, idx = s.partition(":")
    if t not in _TYPES:
        raise RuntimeError(
            "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, "
            "maia, xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at start "
            f"of device string: {s0}")
    if sep and (not idx.isdigit() or (len(idx) > 1 and idx[0] == "0")):
        raise RuntimeError(f"Invalid device string: '{s0}'")
    return t, (int(idx) if sep else None)


cpu = device("cpu")


def as_device(d):
    """device from a str/int/device/None (None -> None)."""
    if d is None or type(d) is device:
        return d
    return device(d)
