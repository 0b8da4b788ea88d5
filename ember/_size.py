"""torch.Size: a tuple subclass of ints that prints as `torch.Size([2, 3])`."""
from __future__ import annotations


class Size(tuple):
    __slots__ = ()

    def __new__(cls, sizes=()):
        out = tuple.__new__(cls, sizes)
        for s in out:
            if not isinstance(s, int) or isinstance(s, bool):
                if hasattr(s, "__index__"):
                    return tuple.__new__(cls, (x.__index__() for x in out))
                raise TypeError(f"torch.Size() takes an iterable of 'int' (item "
                                f"{out.index(s)} is '{type(s).__name__}')")
        return out

    def __repr__(self):
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))
