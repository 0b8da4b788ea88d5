"""torch's dtype objects, their NumPy/ml_dtypes storage types, and torch's type-promotion rules.

Everything that decides "what dtype does this op produce" lives here, so ops never promote on
their own: `result_type` implements torch's three-class rule (dimensioned tensors, 0-dim tensors,
Python numbers) over `promote_types`, the pairwise table.
"""
from __future__ import annotations

import math

import numpy as np
import ml_dtypes

__all__ = ["dtype", "promote_types", "result_type", "get_default_dtype", "set_default_dtype",
           "finfo", "iinfo", "can_cast"]

# categories, ordered: bool < integer < floating < complex
BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3


class dtype:
    """A torch dtype: `torch.float32`, `torch.long`, ... (identity-compared, like torch's)."""
    __slots__ = ("name", "np", "itemsize", "category", "is_signed", "_abbr", "__weakref__")

    def __init__(self, name, npdtype, category, is_signed, abbr):
        self.name = name
        self.np = np.dtype(npdtype)
        self.itemsize = self.np.itemsize
        self.category = category
        self.is_signed = is_signed
        self._abbr = abbr

    @property
    def is_floating_point(self):
        return self.category == FLOAT

    @property
    def is_complex(self):
        return self.category == COMPLEX

    @property
    def abbr(self):
        return self._abbr

    def to_real(self):
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self):
        m = {float16: complex64, bfloat16: complex64, float32: complex64, float64: complex128}
        if self.category == COMPLEX:
            return self
        if self not in m:
            raise RuntimeError(f"to_complex is not supported for {self}")
        return m[self]

    def __repr__(self):
        return "torch." + self.name

    __str__ = __repr__

    def __reduce__(self):
        # pickles as a reference to the module attribute, so identity survives a round trip
        return (_dtype_by_name, (self.name,))


def _dtype_by_name(name):
    return _BY_NAME[name]


bool_ = dtype("bool", np.bool_, BOOL, False, "b1")
uint8 = dtype("uint8", np.uint8, INT, False, "u1")
int8 = dtype("int8", np.int8, INT, True, "i1")
int16 = dtype("int16", np.int16, INT, True, "i2")
int32 = dtype("int32", np.int32, INT, True, "i4")
int64 = dtype("int64", np.int64, INT, True, "i8")
float16 = dtype("float16", np.float16, FLOAT, True, "f2")
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, FLOAT, True, "bf16")
float32 = dtype("float32", np.float32, FLOAT, True, "f4")
float64 = dtype("float64", np.float64, FLOAT, True, "f8")
complex64 = dtype("complex64", np.complex64, COMPLEX, True, "c8")
complex128 = dtype("complex128", np.complex128, COMPLEX, True, "c16")
# torch's "limited support" unsigned types: they exist, but promote only with floats
uint16 = dtype("uint16", np.uint16, INT, False, "u2")
uint32 = dtype("uint32", np.uint32, INT, False, "u4")
uint64 = dtype("uint64", np.uint64, INT, False, "u8")
_BARELY = (uint16, uint32, uint64)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
       complex64, complex128, uint16, uint32, uint64)
_BY_NAME = {d.name: d for d in ALL}

# torch's aliases (the same objects, as in torch: torch.float is torch.float32)
ALIASES = {
    "bool": bool_, "uint8": uint8, "int8": int8, "int16": int16, "short": int16,
    "int32": int32, "int": int32, "int64": int64, "long": int64,
    "float16": float16, "half": float16, "bfloat16": bfloat16,
    "float32": float32, "float": float32, "float64": float64, "double": float64,
    "complex64": complex64, "cfloat": complex64, "complex128": complex128, "cdouble": complex128,
    "uint16": uint16, "uint32": uint32, "uint64": uint64,
}

# NumPy dtype -> torch dtype (np.dtype objects hash by value)
_FROM_NP = {d.np: d for d in ALL}


def from_numpy_dtype(npdt):
    """The torch dtype stored as NumPy dtype `npdt`; TypeError for ones torch lacks."""
    try:
        return _FROM_NP[npdt]
    except KeyError:
        pass
    npdt = np.dtype(npdt)
    if npdt in _FROM_NP:
        return _FROM_NP[npdt]
    raise TypeError(
        f"can't convert np.ndarray of type numpy.{npdt.type.__name__}. The only supported types "
        "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
        "uint64, uint32, uint16, uint8, and bool.")


# ---- promotion -----------------------------------------------------------------------------

_INT_RANK = {int8: 0, int16: 1, int32: 2, int64: 3}
_FLOAT_BITS = {float16: 16, bfloat16: 16, float32: 32, float64: 64}


_LEGACY_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                 "int64": "Long", "float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
                 "float64": "Double", "complex64": "ComplexFloat",
                 "complex128": "ComplexDouble", "uint16": "UInt16", "uint32": "UInt32",
                 "uint64": "UInt64"}


class _NoPromotion:
    """A promotion torch refuses (uint16/32/64 with anything but floats); raised when used."""

    def __init__(self, a, b):
        self.msg = ("Promotion for uint16, uint32, uint64 types is not supported, attempted to "
                    f"promote {_LEGACY_NAMES[a.name]} and {_LEGACY_NAMES[b.name]}")

    def __getattr__(self, name):
        raise RuntimeError(self.msg)


def _promote_pair(a, b):
    if a is b:
        return a
    if a in _BARELY or b in _BARELY:
        other = b if a in _BARELY else a
        if other.category != FLOAT:
            return _NoPromotion(a, b)
        return other if other.category == FLOAT else other
    ca, cb = a.category, b.category
    if ca < cb:
        a, b, ca, cb = b, a, cb, ca
    # now a has the higher (or equal) category
    if cb == BOOL:
        return a
    if ca == INT:  # both integers
        if a is uint8 or b is uint8:
            other = b if a is uint8 else a
            return int16 if _INT_RANK[other] < 1 else other
        return a if _INT_RANK[a] >= _INT_RANK[b] else b
    if ca == FLOAT:
        if cb == INT:
            return a
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if _FLOAT_BITS[a] >= _FLOAT_BITS[b] else b
    # complex
    if cb == COMPLEX:
        return complex128 if complex128 in (a, b) else complex64
    if cb == FLOAT and b is float64:
        return complex128
    return a


_PROMOTE = {(a, b): _promote_pair(a, b) for a in ALL for b in ALL}


def promote_types(type1, type2):
    """torch.promote_types: the smallest dtype both can be cast to, by torch's table."""
    r = _PROMOTE[type1, type2]
    if type(r) is _NoPromotion:
        raise RuntimeError(r.msg)
    return r


_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if d not in (float32, float64, float16, bfloat16):
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d
    _RESULT_CACHE.clear()


def default_complex():
    return complex128 if _default[0] is float64 else complex64


def _combine(higher, lower):
    # torch's combine_categories: the higher class wins unless the lower one is of a
    # higher category (then the higher class's precision is kept where it can be)
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == COMPLEX:
        return higher
    if lower.category == COMPLEX:
        if higher.category == FLOAT:
            return higher.to_complex()
        return lower
    if higher.category == FLOAT:
        return higher
    if higher is bool_ or lower.category == FLOAT:
        return promote_types(higher, lower)
    return higher


_RESULT_CACHE: dict = {}


def _scalar_dtype(x):
    t = type(x)
    if t is bool:
        return bool_
    if t is int:
        return int64
    if t is float:
        return _default[0]
    if t is complex:
        return default_complex()
    if isinstance(x, (bool, np.bool_)):
        return bool_
    if isinstance(x, (int, np.integer)):
        return int64
    if isinstance(x, (float, np.floating)):
        return _default[0]
    if isinstance(x, (complex, np.complexfloating)):
        return default_complex()
    raise TypeError(f"unsupported scalar type {type(x).__name__}")


def result_type_from_keys(keys):
    """keys: per operand, (dtype, klass) with klass 0 = dim tensor, 1 = 0-dim, 2 = number."""
    r = [None, None, None]
    for dt, k in keys:
        cur = r[k]
        r[k] = dt if cur is None else promote_types(cur, dt)
    return _combine(r[0], _combine(r[1], r[2]))


def result_type(*operands):
    """torch.result_type over tensors and Python numbers (numbers and 0-dim tensors are weak)."""
    keys = []
    for x in operands:
        d = getattr(x, "_data", None)
        if d is not None:
            keys.append((_FROM_NP[d.dtype], 0 if d.ndim else 1))
        else:
            keys.append((_scalar_dtype(x), 2))
    keys = tuple(keys)
    r = _RESULT_CACHE.get(keys)
    if r is None:
        r = _RESULT_CACHE[keys] = result_type_from_keys(keys)
    return r


def can_cast(from_, to):
    """torch.can_cast: casting is allowed unless it lowers the category (float -> int, ...)."""
    if from_.category > to.category:
        return False
    if from_.category == to.category == INT and from_ is not bool_ and to is bool_:
        return False
    return True


# ---- finfo / iinfo -------------------------------------------------------------------------

def _g(x):
    return f"{float(x):.6g}"


class finfo:
    """torch.finfo: machine limits of a floating dtype (fields as torch prints them)."""

    def __init__(self, type=None):
        type = _default[0] if type is None else type
        if type.category not in (FLOAT, COMPLEX):
            raise TypeError("torch.finfo() requires a floating point input type. Use "
                            "torch.iinfo to handle 'torch.finfo'")
        real = type.to_real()
        f = ml_dtypes.finfo(real.np) if real is bfloat16 else np.finfo(real.np)
        self.bits = f.bits
        self.eps = float(f.eps)
        self.max = float(f.max)
        self.min = float(f.min)
        self.tiny = self.smallest_normal = float(f.smallest_normal)
        # torch: 10 ** -floor(-log10(eps)), exactly a power of ten
        self.resolution = 10.0 ** -int(-math.log10(self.eps))
        self.dtype = real.name

    def __repr__(self):
        return (f"finfo(resolution={_g(self.resolution)}, min={_g(self.min)}, max={_g(self.max)},"
                f" eps={_g(self.eps)}, smallest_normal={_g(self.smallest_normal)}, "
                f"tiny={_g(self.tiny)}, dtype={self.dtype})")


class iinfo:
    """torch.iinfo: limits of an integer dtype."""

    def __init__(self, type):
        if type.category != INT and type is not bool_:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        if type is bool_:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        i = np.iinfo(type.np)
        self.bits, self.min, self.max, self.dtype = i.bits, int(i.min), int(i.max), type.name

    def __repr__(self):
        return f"iinfo(min={_g(self.min)}, max={_g(self.max)}, dtype={self.dtype})"
