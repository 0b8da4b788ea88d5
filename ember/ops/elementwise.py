"""Elementwise ops: arithmetic, math functions, comparisons, logical/bitwise ops, where, clamp.

Each differentiable op is one Op class (forward on arrays, backward on Tensors, side by side);
the torch-named function below it is what `torch.X` and `Tensor.X` call. The arithmetic
operators have a lean path for the common case (same dtype, no graph to record) that calls
NumPy directly; everything else goes through Op.apply, which promotes dtypes by torch's rules.
Non-differentiable results (comparisons, isnan, bitwise ops) are plain functions.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D, _memory_format as _mf
from .._tensor import Tensor, _wrap

_new = object.__new__
from ..autograd.grad_mode import GRAD
from ..autograd.op import Op, promote_arrays, _wrapa, record_binary, lean_unary, LAYERED, DUAL, \
    _LEAN_FLOATS
from ..backend import array_module, opmath, _special
from ._broadcast import broadcast_error, sum_to, sum_to_arr

ndarray = np.ndarray
_FLOATS = _LEAN_FLOATS   # float16/32/64: the dtypes the lean paths compute in
_F3264 = frozenset((np.dtype(np.float32), np.dtype(np.float64)))
_BOOL = np.dtype(bool)


def _xp(a):
    return np if type(a) is ndarray else array_module(a)


def _conj(x):
    """conj(x) for the complex chain rule (torch's grads are conjugate Wirtinger)."""
    if isinstance(x, Tensor):
        return x.conj() if x._data.dtype.kind == "c" else x
    return x.conjugate() if type(x) is complex else x


def _arr_conj(x, g):
    """_arr_like, conjugated when complex (the complex chain rule)."""
    if x.__class__ is Tensor:   # the common case, inline
        a = x._data
        dt = a.dtype
        if dt is not g.dtype and dt != g.dtype:
            a = a.astype(g.dtype)
        return a.conj() if a.dtype.kind == "c" else a
    x = _arr_like(x, g)
    if x.__class__ is ndarray:
        return x.conj() if x.dtype.kind == "c" else x
    return x.conjugate() if type(x) is complex else x


def _arr_like(x, g):
    """A saved operand as an array in the gradient's dtype (numbers stay numbers), so array
    vjps compute in the same precision as the Tensor formulas (0-dim operands are weak)."""
    if x.__class__ is Tensor or isinstance(x, Tensor):
        x = x._data
        if x.dtype is not g.dtype and x.dtype != g.dtype:
            x = x.astype(g.dtype)
    return x


def _shape(x):
    return x.shape if hasattr(x, "shape") else ()


def _r(a):
    """Wrap a NumPy result (which may be a scalar for 0-dim inputs) as a Tensor."""
    if a.__class__ is not ndarray:
        return _wrapa(a)
    return _wrap(a)


def _layout2(r, a, b=None):
    """r = a op b re-laid out as torch's TensorIterator would when a is not C-contiguous
    (NumPy lets C order win a layout conflict, torch the first operand's layout)."""
    if a.__class__ is ndarray and r.__class__ is ndarray and not a.flags.c_contiguous:
        return _mf.fix_elementwise(r, (a, b))
    return r


def _tensor_of(x, like):
    """A Python number as a 0-dim tensor on like's device (for ops that need Tensor inputs)."""
    if isinstance(x, Tensor):
        return x
    from .._creation import scalar_tensor
    return scalar_tensor(x, like)


_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
          "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
          "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
          "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64"}


def _dtname(npdt):
    return _NAMES[np.dtype(npdt).name]


def _no_kernel(kernel, dt):
    """torch's error for a dtype its CPU kernel lacks (dt: the promoted computation dtype)."""
    raise NotImplementedError(f'"{kernel}" not implemented for \'{_dtname(dt)}\'')


def _need_tensor(fn, x, arg="other", pos=2):
    """torch's argument-parser error for a number where the schema wants a Tensor."""
    raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not "
                    f"{type(x).__name__}")


def _check_tensors(fn, input, other, arg="other"):
    """Both operands must be Tensors (ops whose schema has no Scalar overload)."""
    if not isinstance(input, Tensor):
        _need_tensor(fn, input, "input", 1)
    if not isinstance(other, Tensor):
        _need_tensor(fn, other, arg, 2)


def _promoted(input, other):
    """The numpy dtype torch computes input op other in (no float promotion)."""
    x = input._data if isinstance(input, Tensor) else input
    y = other._data if isinstance(other, Tensor) else other
    return promote_arrays((input, other), [x, y], False)[1]


def write_out(out, result):
    """Copy `result` (a Tensor) into `out`, resizing out like torch does; returns out."""
    from .inplace import copy_into_out
    return copy_into_out(out, result)


# ---- arithmetic ---------------------------------------------------------------------------

@opmath(round_scalars=True)
class Add(Op):
    """a + alpha*b; the gradient goes to both, summed back over broadcast dims."""
    __slots__ = ("sa", "sb", "alpha")
    promote = 1

    def forward(self, a, b, alpha=1):
        self.sa, self.sb, self.alpha = _shape(a), _shape(b), alpha
        if alpha != 1:
            b = b * alpha
        try:
            return _layout2(a + b, a, b)
        except ValueError:
            broadcast_error(self.sa, self.sb)

    def backward(self, grad):
        na, nb = self.needs_input_grad
        gb = None
        if nb:
            gb = sum_to(grad if self.alpha == 1 else grad * self.alpha, self.sb)
        return (sum_to(grad, self.sa) if na else None), gb

    def vjp(self, grad):
        na, nb = self.needs_input_grad
        ga = (grad if grad.shape == self.sa else sum_to_arr(grad, self.sa)) if na else None
        if not nb:
            return ga      # a bare array: the engine's one-live-edge fast step
        return ga, sum_to_arr(grad if self.alpha == 1 else grad * self.alpha, self.sb)


@opmath(round_scalars=True)
class Sub(Op):
    __slots__ = ("sa", "sb", "alpha")
    promote = 1

    def forward(self, a, b, alpha=1):
        self.sa, self.sb, self.alpha = _shape(a), _shape(b), alpha
        if _is_bool(a) and _is_bool(b):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        if _is_bool(a) or _is_bool(b):
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                               "supported. If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        if alpha != 1:
            b = b * alpha
        try:
            return _layout2(a - b, a, b)
        except ValueError:
            broadcast_error(self.sa, self.sb)

    def backward(self, grad):
        na, nb = self.needs_input_grad
        return (sum_to(grad, self.sa) if na else None,
                sum_to(-grad if self.alpha == 1 else grad * -self.alpha, self.sb) if nb else None)

    def vjp(self, grad):
        na, nb = self.needs_input_grad
        return (sum_to_arr(grad, self.sa) if na else None,
                sum_to_arr(-grad if self.alpha == 1 else grad * -self.alpha, self.sb) if nb
                else None)


@opmath(round_scalars=True)
class Rsub(Op):
    """other - alpha*self with `other` a number: torch's RsubBackward1 (one input)."""
    node_name = "RsubBackward1"
    promote = 1

    def forward(self, a, other=0, alpha=1):
        if _is_bool(a) or type(other) is bool:
            _sub_bool_error(a, other)
        if a.dtype.kind in "iu":
            if type(other) is int:
                other = _wrap_int(other, a.dtype)
            elif type(other) is complex:
                a = a.astype(D.result_type(_wrap(a), other).np)
        self.alpha = alpha
        if type(other) is float and a.dtype.kind in "iub":
            a = a.astype(D.get_default_dtype().np)
        return other - (a * alpha if alpha != 1 else a)

    def backward(self, grad):
        return -grad if self.alpha == 1 else grad * -self.alpha


def _wrap_int(s, dt):
    """A Python int as torch casts it to integer dtype dt (wrapping around; NumPy raises)."""
    if type(s) is int:
        info = np.iinfo(dt)
        if not info.min <= s <= info.max:
            return int(np.array(s, dtype=np.int64).astype(dt))
    return s


def _is_bool(x):
    return getattr(x, "dtype", None) == _BOOL or type(x) is bool


def _sub_bool_error(a, b):
    """torch refuses subtraction with a bool operand (checked before promotion)."""
    if _is_bool(a._data if isinstance(a, Tensor) else a) and \
            _is_bool(b._data if isinstance(b, Tensor) else b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If "
                       "you are trying to invert a mask, use the `~` or `logical_not()` operator "
                       "instead.")


@opmath
class Mul(Op):
    __slots__ = ("sa", "sb")
    promote = 1
    saved_for = (1, 0)   # torch keeps self only for other's grad, other only for self's

    def forward(self, a, b):
        self.save_inputs(0, 1)
        self.sa, self.sb = _shape(a), _shape(b)
        try:
            return _layout2(a * b, a, b)
        except ValueError:
            broadcast_error(self.sa, self.sb)

    def backward(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        return (sum_to(grad * _conj(b), self.sa) if na else None,
                sum_to(grad * _conj(a), self.sb) if nb else None)

    def vjp(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        ga = gb = None
        if na:
            ga = grad * _arr_conj(b, grad)
            if ga.shape != self.sa:
                ga = sum_to_arr(ga, self.sa)
        if nb:
            gb = grad * _arr_conj(a, grad)
            if gb.shape != self.sb:
                gb = sum_to_arr(gb, self.sb)
        elif na:
            return ga      # a bare array: the engine's one-live-edge fast step
        return ga, gb


@opmath
class Div(Op):
    """True division (always floating)."""
    __slots__ = ("sa", "sb")
    promote = 2
    saved_for = (1, None)

    def forward(self, a, b):
        self.save_inputs(0, 1)
        self.sa, self.sb = _shape(a), _shape(b)
        try:
            return _layout2(a / b, a, b)
        except ValueError:
            broadcast_error(self.sa, self.sb)

    def backward(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        a, b = _conj(a), _conj(b)
        ga = sum_to(grad / b, self.sa) if na else None
        gb = sum_to(-grad * a / (b * b), self.sb) if nb else None
        return ga, gb

    def vjp(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        a, b = _arr_conj(a, grad), _arr_conj(b, grad)
        ga = sum_to_arr(grad / b, self.sa) if na else None
        gb = sum_to_arr(-grad * a / (b * b), self.sb) if nb else None
        return ga, gb


@opmath
class DivRounded(Op):
    """div with rounding_mode 'trunc'/'floor': zero gradient almost everywhere."""
    node_name = "DivBackward1"
    promote = 1

    def forward(self, a, b, rounding_mode="trunc"):
        self.sa, self.sb = _shape(a), _shape(b)
        xp = _xp(a)
        dt = a.dtype if hasattr(a, "dtype") else b.dtype
        if dt.kind in "bc":
            _no_kernel("div_floor_cpu" if rounding_mode == "floor" else "div_trunc_cpu", dt)
        if dt.kind in "iu":
            if np.any(np.asarray(b == 0)):
                raise RuntimeError("ZeroDivisionError")
            if rounding_mode == "floor":
                return xp.floor_divide(a, b)
            q = xp.floor_divide(a, b)
            # trunc: round toward zero where signs differ and there is a remainder
            fix = (xp.remainder(a, b) != 0) & ((a < 0) != (b < 0))
            return q + fix.astype(q.dtype)
        q = a / b
        return xp.trunc(q) if rounding_mode == "trunc" else xp.floor_divide(a, b)

    def backward(self, grad):
        na, nb = self.needs_input_grad
        z = grad * 0
        return (sum_to(z, self.sa) if na else None, sum_to(z, self.sb) if nb else None)


class Neg(Op):
    def forward(self, a):
        if a.dtype == _BOOL:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return -a

    def backward(self, grad):
        return -grad

    def vjp(self, grad):
        return -grad


@opmath(round_scalars=True)
class Pow(Op):
    """x ** c with c a number (PowBackward0)."""
    saved_scalars = {"exponent": "exponent"}

    def forward(self, a, exponent=2):
        if a.dtype.kind in "iub" and type(exponent) is float:
            a = a.astype(D.get_default_dtype().np)
        elif a.dtype.kind in "iub" and type(exponent) is int and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        elif a.dtype == _BOOL and type(exponent) is int:
            a = a.astype(np.int64)
        self.save_inputs(0)
        self.exponent = exponent
        if exponent == 2:
            return a * a
        if exponent == 0.5 and a.dtype.kind == "f":
            return _xp(a).sqrt(a)
        xp = _xp(a)
        return xp.power(a, xp.asarray(exponent, dtype=a.dtype) if a.dtype.kind == "f" else
                        exponent)

    def backward(self, grad):
        x, = self.saved_inputs()
        e = self.exponent
        if e == 0:
            return grad * 0
        if e == 2:
            return grad * (x * 2)
        return grad * (e * x.pow(e - 1))

    def vjp(self, grad):
        x = _arr_like(self.saved_inputs()[0], grad)
        e = self.exponent
        if e == 0:
            return grad * 0
        if e == 2:
            return grad * (x * 2)
        return grad * (e * np.power(x, np.asarray(e - 1, dtype=x.dtype)))


@opmath(round_scalars=True)
class PowTensor(Op):
    """x ** y with both tensors (PowBackward1)."""
    node_name = "PowBackward1"
    promote = 1
    saved_names = ("self", "exponent")

    def forward(self, a, b):
        self.save_inputs(0, 1)
        self.save_outputs(0)
        self.sa, self.sb = _shape(a), _shape(b)
        xp = _xp(a)
        try:
            if a.dtype.kind in "iub":
                if a.dtype == _BOOL:
                    _no_kernel("pow", a.dtype)
                neg = b < 0
                if neg.any():
                    # torch's integer pow: a negative exponent gives 1 for base 1, +-1 for
                    # base -1 (by parity) and 0 otherwise (NumPy raises)
                    r = xp.power(a, xp.where(neg, 0, b))
                    one = a.dtype.type(1)
                    alt = xp.where(a == 1, one, xp.where(
                        a == -1, xp.where(b % 2 == 0, one, -one), a.dtype.type(0)))
                    return xp.where(neg, alt, r)
            return xp.power(a, b)
        except ValueError:
            broadcast_error(self.sa, self.sb)

    def backward(self, grad):
        a, b = self.saved_inputs()
        result, = self.saved_outputs()
        na, nb = self.needs_input_grad
        ga = gb = None
        if na:
            ga = sum_to(grad * (b * a.pow(b - 1)).masked_fill((b == 0) & (a == 0), 0), self.sa)
        if nb:
            gb = sum_to((grad * result * a.log()).masked_fill((a == 0) & (b >= 0), 0), self.sb)
        return ga, gb


@opmath(round_scalars=True)
class RPow(Op):
    """c ** y with c a number (PowBackward2)."""
    node_name = "PowBackward2"

    def forward(self, b, base=2.0):
        if b.dtype.kind in "iub" and type(base) is float:
            b = b.astype(D.get_default_dtype().np)
        self.save_outputs(0)
        self.base = base
        xp = _xp(b)
        if b.dtype.kind == "f":
            return xp.power(xp.asarray(base, dtype=b.dtype), b)
        return xp.power(base, b)

    def backward(self, grad):
        result, = self.saved_outputs()
        if self.base == 0:
            return grad * 0
        return grad * result * math.log(self.base)


# ---- the public arithmetic functions (with the lean path) --------------------------------

# ---- the lean path of + - * / ------------------------------------------------------------
# Tensor op Tensor of one dtype, or Tensor op Python number on a floating tensor, is the
# commonest call in any program. These skip Op.apply's general promotion and dispatch: NumPy
# computes the result directly and, when a graph is recorded, record_binary links the node.

_np_add, _np_sub, _np_mul, _np_div = np.add, np.subtract, np.multiply, np.true_divide
_ANY = None                                                  # every dtype may take the lean path
_NOT_BOOL = frozenset(d for d in D._FROM_NP if d != _BOOL)   # sub refuses bool tensors


def _lean2(a, b, ufunc, cls, save, dtypes):
    """ufunc(a, b) as a Tensor, with `cls` as its grad_fn when a graph is recorded; None where
    the lean path does not apply (the caller then takes the general one)."""
    x = a._data
    dt = x.dtype
    if b.__class__ is Tensor:
        y = b._data
        if y.dtype is not dt or x.__class__ is not ndarray or dtypes is not None and \
                dt not in dtypes:
            return None
        graph = (a._rg or b._rg) and GRAD[0]
        sb = None
    elif (b.__class__ is float or b.__class__ is int) and dt in _F3264 and \
            x.__class__ is ndarray:   # (float16 with a number: the opmath path rounds as torch)
        y = b
        graph = a._rg and GRAD[0]
        sb = ()
    else:
        return None
    if graph and (dt not in _FLOATS or LAYERED[0]) or DUAL[0]:
        return None     # (forward AD: dual operands take Op.apply, where tangents are made)
    try:
        r = ufunc(x, y)
    except ValueError:
        broadcast_error(x.shape, _shape(y))
    if r.__class__ is not ndarray:
        r = np.asarray(r)   # NumPy gives scalars for 0-dim results
    elif not x.flags.c_contiguous:
        # NumPy lets C order win a layout conflict, torch the first operand's layout
        r = _mf.fix_elementwise(r, (x, y))
    if graph:
        node = _new(cls)
        node.sa = x.shape
        node.sb = y.shape if sb is None else sb
        if not save:
            node.alpha = 1
        return record_binary(node, a, b, r, save)
    t = _new(Tensor)
    t._data = r
    t._rg = False
    t.grad_fn = None
    t._ver = None
    return t


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other (see torch.add)."""
    if out is None and alpha == 1 and input.__class__ is Tensor:
        t = _lean2(input, other, _np_add, Add, False, _ANY)
        if t is not None:
            return t
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise TypeError("add(): argument 'input' (position 1) must be Tensor, not "
                            + type(input).__name__)
        input, other = _tensor_of(input, other), other
    other = _int_scalar_for(input, other)
    r = Add.apply(input, other, alpha=alpha)
    return r if out is None else write_out(out, r)


def _int_scalar_for(t, s):
    # torch wraps an out-of-range Python int into an integer tensor's dtype; NumPy would raise
    if type(s) is int and t._data.dtype.kind in "iu":
        info = np.iinfo(t._data.dtype)
        if not info.min <= s <= info.max:
            return int(np.array(s, dtype=np.int64).astype(t._data.dtype))
    return s


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other (see torch.sub)."""
    if out is None and alpha == 1 and input.__class__ is Tensor:
        t = _lean2(input, other, _np_sub, Sub, False, _NOT_BOOL)
        if t is not None:
            return t
    if not isinstance(input, Tensor):
        return rsub(other, input, alpha=alpha)
    if input._data.dtype == _BOOL or _is_bool(other._data if isinstance(other, Tensor) else
                                              other):
        _sub_bool_error(input, other)
    other = _int_scalar_for(input, other)
    r = Sub.apply(input, other, alpha=alpha)
    return r if out is None else write_out(out, r)


subtract = sub


def rsub(input, other, *, alpha=1):
    """other - alpha * input (see torch.rsub)."""
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    return Rsub.apply(input, other=other, alpha=alpha)


def mul(input, other, *, out=None):
    """input * other (see torch.mul)."""
    if out is None and input.__class__ is Tensor:
        t = _lean2(input, other, _np_mul, Mul, True, _ANY)
        if t is not None:
            return t
    if not isinstance(input, Tensor):
        input, other = other, input
    other = _int_scalar_for(input, other)
    r = Mul.apply(input, other)
    return r if out is None else write_out(out, r)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """input / other; rounding_mode None (true division), 'trunc' or 'floor' (see torch.div)."""
    if rounding_mode is None:
        if out is None and input.__class__ is Tensor:
            t = _lean2(input, other, _np_div, Div, True, _FLOATS)
            if t is not None:
                return t
        if not isinstance(input, Tensor):
            input = _tensor_of(input, other)
        r = Div.apply(input, other)
    elif rounding_mode in ("trunc", "floor"):
        if not isinstance(input, Tensor):
            input = _tensor_of(input, other)
        r = DivRounded.apply(input, other, rounding_mode=rounding_mode)
    else:
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                           f"found '{rounding_mode}'")
    return r if out is None else write_out(out, r)


divide = div


def true_divide(input, other, *, out=None):
    return div(input, other, out=out)


def floor_divide(input, other, *, out=None):
    return div(input, other, rounding_mode="floor", out=out)


def neg(input, *, out=None):
    r = Neg.apply(input)
    return r if out is None else write_out(out, r)


negative = neg


def pow(input, exponent, *, out=None):
    """input ** exponent; either may be a number (see torch.pow)."""
    if isinstance(input, Tensor):
        if isinstance(exponent, Tensor):
            r = PowTensor.apply(input, exponent)
        else:
            if exponent.__class__ is bool:
                r = Pow.apply(input, exponent=int(exponent))
                if input._data.dtype == _BOOL:   # bool ** bool stays bool (torch's result type)
                    r = _wrap(r._data.astype(_BOOL))
            else:
                if exponent.__class__ is complex and input._data.dtype.kind != "c":
                    # torch computes in the complex result type (float16: ComplexHalf)
                    if input._data.dtype == np.float16:
                        raise NotImplementedError("\"pow\" not implemented for 'ComplexHalf'")
                    input = input.to(D.result_type(input, exponent))
                r = Pow.apply(input, exponent=exponent)
    else:
        kind = exponent._data.dtype.kind
        if kind in "iub" or type(input) is complex:
            if kind == "b" and type(input) is bool:
                _no_kernel("pow", exponent._data.dtype)
            if type(input) is complex and kind != "c":
                if exponent._data.dtype == np.float16:
                    raise NotImplementedError("\"pow\" not implemented for 'ComplexHalf'")
                exponent = exponent.to(D.result_type(input, exponent))
            elif kind in "iu":
                input = _wrap_int(input, exponent._data.dtype)
        r = RPow.apply(exponent, base=input)
    return r if out is None else write_out(out, r)


def float_power_(self, exponent):
    """In-place float_power: self must already have the double result dtype."""
    cplx = self._data.dtype.kind == "c" or (exponent._data.dtype.kind == "c" if isinstance(
        exponent, Tensor) else type(exponent) is complex)
    want = np.dtype(np.complex128 if cplx else np.float64)
    if self._data.dtype != want:
        raise RuntimeError(f"the base given to float_power_ has dtype {_dtname(self._data.dtype)}"
                           f" but the operation's result requires dtype {_dtname(want)}")
    from .inplace import inplace_apply
    return inplace_apply(self, float_power, exponent)


def float_power(input, exponent, *, out=None):
    cplx = any(x.is_complex() if isinstance(x, Tensor) else type(x) is complex
               for x in (input, exponent))
    dt = D.complex128 if cplx else D.float64
    num = complex if cplx else float
    a = input.to(dt) if isinstance(input, Tensor) else num(input)
    b = exponent.to(dt) if isinstance(exponent, Tensor) else num(exponent)
    return pow(a, b, out=out)


# ---- remainder family ---------------------------------------------------------------------

@opmath(round_scalars=True)
class Remainder(Op):
    """Python-style modulo (sign of the divisor)."""
    promote = 1

    def forward(self, a, b):
        self.sa, self.sb = _shape(a), _shape(b)
        self.save_inputs(0, 1)
        dt = getattr(a, "dtype", None) or b.dtype
        if dt.kind in "iu" and np.any(np.asarray(b == 0)):
            raise RuntimeError("ZeroDivisionError")
        if dt.kind in "bc":
            _no_kernel("remainder_cpu", dt)
        try:
            return _xp(a).remainder(a, b)
        except ValueError:
            broadcast_error(self.sa, self.sb)

    def backward(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        ga = sum_to(grad, self.sa) if na else None
        gb = sum_to(-grad * a.div(b, rounding_mode="floor"), self.sb) if nb else None
        return ga, gb


@opmath(round_scalars=True)
class Fmod(Op):
    """C-style modulo (sign of the dividend)."""
    promote = 1

    def forward(self, a, b):
        self.sa, self.sb = _shape(a), _shape(b)
        self.save_inputs(0, 1)
        dt = getattr(a, "dtype", None) or b.dtype
        if dt.kind in "iu" and np.any(np.asarray(b == 0)):
            raise RuntimeError("ZeroDivisionError")
        if dt.kind in "bc":
            _no_kernel("fmod_cpu", dt)
        return _xp(a).fmod(a, b)

    def backward(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        ga = sum_to(grad, self.sa) if na else None
        gb = sum_to(-grad * a.div(b, rounding_mode="trunc"), self.sb) if nb else None
        return ga, gb


def remainder(input, other, *, out=None):
    if not isinstance(input, Tensor):
        input = _tensor_of(input, other)
    r = Remainder.apply(input, other)
    return r if out is None else write_out(out, r)


def fmod(input, other, *, out=None):
    r = Fmod.apply(input, other)
    return r if out is None else write_out(out, r)


# ---- unary math ---------------------------------------------------------------------------

class _Unary(Op):
    """Shared forward for float-valued unary ops: promote ints to the default float."""
    promote = 2
    fn = None

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        # the lean path (see lean_unary) computes fn on floating arrays and keeps the input
        if "fn" in cls.__dict__ and "forward" not in cls.__dict__:
            cls.lean = (cls.fn, "in")

    def forward(self, a):
        if self._args is not None:
            self.save_inputs(0)
        return self.fn(a)


def _ufunc(name):
    # NumPy ufuncs dispatch to CuPy arrays through __array_ufunc__, so one function serves both
    return getattr(np, name)


class Exp(Op):
    """exp(x); d/dx = exp(x), so backward reuses the result."""
    promote = 2
    lean = (np.exp, "out")

    def forward(self, x):
        self.save_outputs(0)
        return _xp(x).exp(x)

    def backward(self, grad):
        result, = self.saved_outputs()
        return grad * result

    def vjp(self, grad):
        return grad * self.saved_outputs()[0]._data


class Exp2(Op):
    promote = 2

    def forward(self, x):
        self.save_outputs(0)
        return _xp(x).exp2(x)

    def backward(self, grad):
        result, = self.saved_outputs()
        return grad * result * math.log(2.0)


class Expm1(Op):
    promote = 2

    def forward(self, x):
        self.save_outputs(0)
        return _xp(x).expm1(x)

    def backward(self, grad):
        result, = self.saved_outputs()
        return grad * (result + 1)


class Log(_Unary):
    fn = staticmethod(_ufunc("log"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad / x

    def vjp(self, grad):
        return grad / self.saved_inputs()[0]._data


class Log2(_Unary):
    fn = staticmethod(_ufunc("log2"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad / (x * math.log(2.0))


class Log10(_Unary):
    fn = staticmethod(_ufunc("log10"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad / (x * math.log(10.0))


class Log1p(_Unary):
    fn = staticmethod(_ufunc("log1p"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad / (x + 1)


class Sqrt(Op):
    promote = 2
    lean = (np.sqrt, "out")

    def forward(self, x):
        self.save_outputs(0)
        return _xp(x).sqrt(x)

    def backward(self, grad):
        result, = self.saved_outputs()
        return grad / (result * 2)

    def vjp(self, grad):
        return grad / (self.saved_outputs()[0]._data * 2)


class Rsqrt(Op):
    promote = 2

    def forward(self, x):
        self.save_outputs(0)
        xp = _xp(x)
        return xp.reciprocal(xp.sqrt(x))

    def backward(self, grad):
        result, = self.saved_outputs()
        return grad * result.pow(3) * -0.5


class Sin(_Unary):
    fn = staticmethod(_ufunc("sin"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * x.cos()

    def vjp(self, grad):
        x, = self.saved_inputs()
        return grad * np.cos(x._data)


class Cos(_Unary):
    fn = staticmethod(_ufunc("cos"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * -x.sin()

    def vjp(self, grad):
        return grad * -np.sin(self.saved_inputs()[0]._data)


class Tan(Op):
    promote = 2

    def forward(self, x):
        self.save_outputs(0)
        return _xp(x).tan(x)

    def backward(self, grad):
        result, = self.saved_outputs()
        return grad * (result * result + 1)


class Asin(_Unary):
    fn = staticmethod(_ufunc("arcsin"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * (-x * x + 1).rsqrt()


class Acos(_Unary):
    fn = staticmethod(_ufunc("arccos"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * -(-x * x + 1).rsqrt()


class Atan(_Unary):
    fn = staticmethod(_ufunc("arctan"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad / (x * x + 1)


class Sinh(_Unary):
    fn = staticmethod(_ufunc("sinh"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * x.cosh()


class Cosh(_Unary):
    fn = staticmethod(_ufunc("cosh"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * x.sinh()


class Tanh(Op):
    promote = 2
    lean = (np.tanh, "out")

    def forward(self, x):
        self.save_outputs(0)
        return _xp(x).tanh(x)

    def backward(self, grad):
        result, = self.saved_outputs()
        return grad * (1 - result * result)

    def vjp(self, grad):
        r = self.saved_outputs()[0]._data
        return grad * (1 - r * r)


class Asinh(_Unary):
    fn = staticmethod(_ufunc("arcsinh"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * (x * x + 1).rsqrt()


class Acosh(_Unary):
    fn = staticmethod(_ufunc("arccosh"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * (x * x - 1).rsqrt()


class Atanh(_Unary):
    fn = staticmethod(_ufunc("arctanh"))

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad / (1 - x * x)


def _sigmoid_np(x):
    # 1 / (1 + exp(-x)) without overflow warnings for large |x| (seterr ignores them)
    return np.reciprocal(1 + np.exp(-x))


class Sigmoid(Op):
    promote = 2
    lean = (_sigmoid_np, "out")

    def forward(self, x):
        self.save_outputs(0)
        xp = _xp(x)
        # 1 / (1 + exp(-x)) without overflow warnings for large |x|
        return xp.reciprocal(1 + xp.exp(-x))

    def backward(self, grad):
        result, = self.saved_outputs()
        return grad * (result * (1 - result))

    def vjp(self, grad):
        r = self.saved_outputs()[0]._data
        return grad * (r * (1 - r))


@opmath
class Logit(Op):
    promote = 2

    def forward(self, x, eps=None):
        if x.dtype.kind == "c":
            _no_kernel("logit_cpu", x.dtype)
        self.save_inputs(0)
        self.eps = eps
        xp = _xp(x)
        if eps is not None:
            x = xp.clip(x, eps, 1 - eps)
        return xp.log(x / (1 - x))

    def backward(self, grad):
        x, = self.saved_inputs()
        g = grad / (x * (1 - x))
        if self.eps is not None:
            g = g.masked_fill((x < self.eps) | (x > 1 - self.eps), 0)
        return g


def _np_special(fn, x):
    out = fn(x)
    return out.astype(x.dtype) if hasattr(x, "dtype") else out


def _real_only(kernel, a):
    """The special functions' kernels have no complex version in torch."""
    if a.dtype.kind == "c":
        _no_kernel(kernel, a.dtype)


class Erf(_Unary):
    def forward(self, a):
        _real_only("erf_vml_cpu", a)
        self.save_inputs(0)
        return _np_special(_special.erf, a) if type(a) is ndarray else \
            __import__("cupyx.scipy.special", fromlist=["erf"]).erf(a)

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * (2 / math.sqrt(math.pi)) * (-x * x).exp()


class Erfc(_Unary):
    def forward(self, a):
        _real_only("erfc_vml_cpu", a)
        self.save_inputs(0)
        return _np_special(_special.erfc, a)

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * (-2 / math.sqrt(math.pi)) * (-x * x).exp()


class Erfinv(Op):
    promote = 2

    def forward(self, a):
        _real_only("erfinv_vml_cpu", a)
        self.save_outputs(0)
        return _np_special(_special.erfinv, a)

    def backward(self, grad):
        result, = self.saved_outputs()
        return grad * (math.sqrt(math.pi) / 2) * (result * result).exp()


class Lgamma(_Unary):
    def forward(self, a):
        _real_only("lgamma_vml_cpu", a)
        self.save_inputs(0)
        return _np_special(_special.lgamma, a)

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * x.digamma()


class Digamma(_Unary):
    def forward(self, a):
        _real_only("digamma", a)
        self.save_inputs(0)
        return _np_special(_special.digamma, a)

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * Polygamma.apply(x, n=1)


class Polygamma(Op):
    """The n-th derivative of digamma; ember has n = 0 (digamma) and n = 1 (trigamma)."""
    promote = 2

    def forward(self, a, n=1):
        self.save_inputs(0)
        self.n = n
        if n == 0:
            return _np_special(_special.digamma, a)
        if n == 1:
            return _np_special(_special.trigamma, a)
        from .special_fns import polygamma_array   # n >= 2: through the Hurwitz zeta
        return _np_special(lambda v: polygamma_array(n, v), a)

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * Polygamma.apply(x, n=self.n + 1)


def polygamma(n, input, *, out=None):
    """The n-th derivative of digamma (see torch.polygamma); ember has n = 0 and n = 1."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    r = Polygamma.apply(input, n=n)
    return r if out is None else write_out(out, r)


class Reciprocal(Op):
    promote = 2

    def forward(self, x):
        self.save_outputs(0)
        return _xp(x).reciprocal(x)

    def backward(self, grad):
        result, = self.saved_outputs()
        return grad * -(result * result)


class Abs(Op):
    def forward(self, x):
        self.save_inputs(0)
        if x.dtype == _BOOL:
            _no_kernel("abs_cpu", x.dtype)
        return _xp(x).abs(x)

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * x.sgn()


class Sign(Op):
    def forward(self, x):
        self.shape = x.shape
        if x.dtype == _BOOL:
            return x.copy()
        if x.dtype.kind == "c" and type(self) is Sign:
            raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support "
                                      "complex numbers. Please use torch.sgn instead.")
        return _xp(x).sign(x)

    def backward(self, grad):
        return grad * 0


class Sgn(Sign):
    """sign for real input; z / |z| (0 at 0) for complex, whose gradient is not zero:
    (g - Re(g conj(s)) s) / |z| (torch's sgn_backward)."""

    def forward(self, x):
        self.cplx = x.dtype.kind == "c"
        if self.cplx:
            self.save_inputs(0)
            self.save_outputs(0)
        return Sign.forward(self, x)

    def backward(self, grad):
        if not self.cplx:
            return grad * 0
        x, = self.saved_inputs()
        s, = self.saved_outputs()
        a = x.abs()
        r = (grad - (grad * s.conj()).real * s) / a
        return r.masked_fill(a == 0, 0)


class _ZeroGrad(Op):
    """Piecewise-constant ops (ceil, floor, round, trunc): gradient zero."""
    fn = None
    kname = None   # torch's kernel name, for its dtype errors

    def forward(self, x):
        kind = x.dtype.kind
        if kind in "iub":
            if kind == "b":
                _no_kernel(f"{self.kname}_vml_cpu", x.dtype)
            return x.copy()
        if kind == "c":
            if self.kname == "round":
                _no_kernel("round_vml_cpu", x.dtype)
            raise NotImplementedError(f"{self.kname} is not supported for complex inputs")
        return self.fn(x)

    def backward(self, grad):
        return grad * 0


class Ceil(_ZeroGrad):
    fn = staticmethod(_ufunc("ceil"))
    kname = "ceil"


class Floor(_ZeroGrad):
    fn = staticmethod(_ufunc("floor"))
    kname = "floor"


class Trunc(_ZeroGrad):
    fn = staticmethod(_ufunc("trunc"))
    kname = "trunc"


class Round(_ZeroGrad):
    fn = staticmethod(_ufunc("rint"))
    kname = "round"


class RoundDecimals(Op):
    node_name = "RoundBackward1"

    def forward(self, x, decimals=0):
        if x.dtype.kind in "iub":
            return x.copy()
        return _xp(x).round(x, decimals)

    def backward(self, grad):
        return grad * 0


class Frac(Op):
    def forward(self, x):
        if x.dtype.kind in "iubc":
            _no_kernel("frac_cpu", x.dtype)
        return x - _xp(x).trunc(x)

    def backward(self, grad):
        return grad


@opmath
class Clamp(Op):
    """clamp with number bounds (ClampBackward1): gradient passes where min <= x <= max."""
    node_name = "ClampBackward1"

    def forward(self, x, min=None, max=None):
        self.save_inputs(0)
        self.lo, self.hi = min, max
        xp = _xp(x)
        if x.dtype.kind in "iub" and (type(min) is float or type(max) is float):
            x = x.astype(D.get_default_dtype().np)
        elif x.dtype.kind in "iu":
            min, max = _wrap_int(min, x.dtype), _wrap_int(max, x.dtype)
        if min is not None and max is not None:
            out = xp.minimum(xp.maximum(x, min), max)
        elif min is not None:
            out = xp.maximum(x, min)
        else:
            out = xp.minimum(x, max)
        if x.dtype.kind == "f":
            out = xp.where(xp.isnan(x), x, out)
        return out

    def backward(self, grad):
        x, = self.saved_inputs()
        mask = None
        if self.lo is not None:
            mask = x >= self.lo
        if self.hi is not None:
            m = x <= self.hi
            mask = m if mask is None else mask & m
        return grad * mask


class ClampTensor(Op):
    """clamp with tensor bounds (ClampBackward0)."""
    node_name = "ClampBackward0"
    promote = 1

    def forward(self, x, lo, hi):
        self.save_inputs(0, 1, 2)
        self.sx, self.slo, self.shi = _shape(x), _shape(lo), _shape(hi)
        xp = _xp(x)
        out = x
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        return xp.broadcast_to(out, np.broadcast_shapes(self.sx, self.slo, self.shi)).copy() \
            if out is x else out

    def backward(self, grad):
        # torch's clamp_backward / clamp_backward_min_max (derivatives.yaml)
        x, lo, hi = self.saved_inputs()
        nx, nlo, nhi = self.needs_input_grad
        z = grad.new_zeros(())
        glo = ghi = gx = None
        if lo is not None and hi is not None:
            if nx:
                gx = where((x >= lo) & (x <= hi), grad, z)
            if nlo:
                glo = where((x < lo) & (lo < hi), grad, z)
            if nhi:
                ghi = where((x > hi) | (hi < lo), grad, z)
        elif lo is not None:
            gx = where(x >= lo, grad, z) if nx else None
            glo = where(x < lo, grad, z) if nlo else None
        else:
            gx = where(x <= hi, grad, z) if nx else None
            ghi = where(x > hi, grad, z) if nhi else None
        return (sum_to(gx, self.sx) if gx is not None else None,
                sum_to(glo, self.slo) if glo is not None else None,
                sum_to(ghi, self.shi) if ghi is not None else None)


class Maximum(Op):
    promote = 1

    def forward(self, a, b):
        if a.dtype.kind == "c":
            raise RuntimeError("maximum not implemented for complex tensors.")
        self.save_inputs(0, 1)
        self.sa, self.sb = _shape(a), _shape(b)
        try:
            return _xp(a).maximum(a, b)
        except ValueError:
            broadcast_error(self.sa, self.sb)

    def backward(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        # NOTE: at ties torch splits the gradient equally between both inputs
        half = (a == b) * 0.5
        ga = sum_to(grad * ((a > b) + half), self.sa) if na else None
        gb = sum_to(grad * ((a < b) + half), self.sb) if nb else None
        return ga, gb


class Minimum(Op):
    promote = 1

    def forward(self, a, b):
        if a.dtype.kind == "c":
            raise RuntimeError("minimum not implemented for complex tensors.")
        self.save_inputs(0, 1)
        self.sa, self.sb = _shape(a), _shape(b)
        try:
            return _xp(a).minimum(a, b)
        except ValueError:
            broadcast_error(self.sa, self.sb)

    def backward(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        half = (a == b) * 0.5
        ga = sum_to(grad * ((a < b) + half), self.sa) if na else None
        gb = sum_to(grad * ((a > b) + half), self.sb) if nb else None
        return ga, gb


@opmath
class Atan2(Op):
    promote = 2

    def forward(self, a, b):
        if a.dtype.kind == "c":
            _no_kernel("atan2_cpu", a.dtype)
        self.save_inputs(0, 1)
        self.sa, self.sb = _shape(a), _shape(b)
        return _xp(a).arctan2(a, b)

    def backward(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        r = a * a + b * b
        return (sum_to(grad * b / r, self.sa) if na else None,
                sum_to(grad * -a / r, self.sb) if nb else None)


@opmath
class Lerp(Op):
    """start + weight * (end - start), weight a number (LerpBackward0)."""
    promote = 1

    def forward(self, start, end, weight=0.5):
        self.ss, self.se, self.w = _shape(start), _shape(end), weight
        return start + weight * (end - start)

    def backward(self, grad):
        ns, ne = self.needs_input_grad
        w = self.w
        return (sum_to(grad * (1 - w), self.ss) if ns else None,
                sum_to(grad * w, self.se) if ne else None)


@opmath
class LerpTensor(Op):
    node_name = "LerpBackward1"
    promote = 1

    def forward(self, start, end, weight):
        self.save_inputs(0, 1, 2)
        self.ss, self.se, self.sw = _shape(start), _shape(end), _shape(weight)
        return start + weight * (end - start)

    def backward(self, grad):
        s, e, w = self.saved_inputs()
        ns, ne, nw = self.needs_input_grad
        return (sum_to(grad * (1 - w), self.ss) if ns else None,
                sum_to(grad * w, self.se) if ne else None,
                sum_to(grad * (e - s), self.sw) if nw else None)


class Where(Op):
    """where(cond, a, b): the gradient goes to a where cond, else to b."""

    def forward(self, cond, a, b):
        self.save_inputs(0)
        self.sa, self.sb = _shape(a), _shape(b)
        try:
            return _xp(a if hasattr(a, "dtype") else b).where(cond, a, b)
        except ValueError:
            broadcast_error(_shape(cond), self.sa if self.sa else self.sb)

    def backward(self, grad):
        cond, = self.saved_inputs()
        _, na, nb = self.needs_input_grad
        z = grad.new_zeros(())
        return (None, sum_to(where(cond, grad, z), self.sa) if na else None,
                sum_to(where(cond, z, grad), self.sb) if nb else None)


class NanToNum(Op):
    def forward(self, x, nan=0.0, posinf=None, neginf=None):
        self.save_inputs(0)
        return _xp(x).nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * x.isfinite()


# ---- functions ------------------------------------------------------------------------------

def _unary(cls, doc):
    if getattr(cls, "lean", None) is not None:
        def f(input, *, out=None):
            if out is None and input.__class__ is Tensor:
                r = lean_unary(cls, input)
                if r is not None:
                    return r
            r = cls.apply(input)
            return r if out is None else write_out(out, r)
    else:
        def f(input, *, out=None):
            r = cls.apply(input)
            return r if out is None else write_out(out, r)
    f.__doc__ = doc
    return f


exp = _unary(Exp, "e ** input (see torch.exp).")
exp2 = _unary(Exp2, "2 ** input (see torch.exp2).")
expm1 = _unary(Expm1, "exp(input) - 1 (see torch.expm1).")
log = _unary(Log, "Natural log (see torch.log).")
log2 = _unary(Log2, "Base-2 log (see torch.log2).")
log10 = _unary(Log10, "Base-10 log (see torch.log10).")
log1p = _unary(Log1p, "log(1 + input) (see torch.log1p).")
sqrt = _unary(Sqrt, "Square root (see torch.sqrt).")
rsqrt = _unary(Rsqrt, "1 / sqrt(input) (see torch.rsqrt).")
sin = _unary(Sin, "Sine (see torch.sin).")
cos = _unary(Cos, "Cosine (see torch.cos).")
tan = _unary(Tan, "Tangent (see torch.tan).")
asin = arcsin = _unary(Asin, "Inverse sine (see torch.asin).")
acos = arccos = _unary(Acos, "Inverse cosine (see torch.acos).")
atan = arctan = _unary(Atan, "Inverse tangent (see torch.atan).")
sinh = _unary(Sinh, "Hyperbolic sine (see torch.sinh).")
cosh = _unary(Cosh, "Hyperbolic cosine (see torch.cosh).")
tanh = _unary(Tanh, "Hyperbolic tangent (see torch.tanh).")
asinh = arcsinh = _unary(Asinh, "Inverse hyperbolic sine (see torch.asinh).")
acosh = arccosh = _unary(Acosh, "Inverse hyperbolic cosine (see torch.acosh).")
atanh = arctanh = _unary(Atanh, "Inverse hyperbolic tangent (see torch.atanh).")
sigmoid = _unary(Sigmoid, "1 / (1 + exp(-input)) (see torch.sigmoid).")
erf = _unary(Erf, "Error function (see torch.erf).")
erfc = _unary(Erfc, "1 - erf(input) (see torch.erfc).")
erfinv = _unary(Erfinv, "Inverse error function (see torch.erfinv).")
lgamma = _unary(Lgamma, "log|Gamma(input)| (see torch.lgamma).")
digamma = _unary(Digamma, "d/dx lgamma (see torch.digamma).")
reciprocal = _unary(Reciprocal, "1 / input (see torch.reciprocal).")
abs = absolute = _unary(Abs, "|input| (see torch.abs).")
sign = _unary(Sign, "-1, 0 or 1 by sign (see torch.sign).")
sgn = _unary(Sgn, "sign; x/|x| for complex (see torch.sgn).")
ceil = _unary(Ceil, "Round up (see torch.ceil).")
floor = _unary(Floor, "Round down (see torch.floor).")
trunc = fix = _unary(Trunc, "Round toward zero (see torch.trunc).")
frac = _unary(Frac, "input - trunc(input) (see torch.frac).")


def round(input, *, decimals=0, out=None):
    """Round half to even, optionally to `decimals` places (see torch.round)."""
    r = Round.apply(input) if decimals == 0 else RoundDecimals.apply(input, decimals=decimals)
    return r if out is None else write_out(out, r)


def logit(input, eps=None, *, out=None):
    r = Logit.apply(input, eps=eps)
    return r if out is None else write_out(out, r)


def square(input, *, out=None):
    return pow(input, 2, out=out)


def clamp(input, min=None, max=None, *, out=None):
    """Limit input to [min, max]; bounds may be numbers or tensors (see torch.clamp)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    tensors = isinstance(min, Tensor) or isinstance(max, Tensor)
    if input._data.dtype.kind in "bc" or (
            (isinstance(min, Tensor) and min._data.dtype.kind in "bc" or
             isinstance(max, Tensor) and max._data.dtype.kind in "bc") if tensors else
            (min.__class__ is complex or max.__class__ is complex)):
        _clamp_check(input, min, max)
    if tensors:
        r = ClampTensor.apply(input, min, max)
    else:
        r = Clamp.apply(input, min=min, max=max)
    return r if out is None else write_out(out, r)


clip = clamp


def clamp_(self, min=None, max=None):
    """In-place clamp; with number bounds torch checks the cast first, naming self's dtype as
    C++ does ("long int")."""
    if not isinstance(min, Tensor) and not isinstance(max, Tensor) and (
            self._data.dtype.kind in "iub") and (min is not None or max is not None):
        bounds = [b for b in (min, max) if b is not None]
        dt = promote_arrays([self] + bounds, [self._data] + bounds, False)[1]
        if dt != self._data.dtype and D._FROM_NP[dt].category > \
                D._FROM_NP[self._data.dtype].category:
            raise RuntimeError(f"result type {_dtname(dt)} can't be cast to the desired output "
                               f"type {_cpp_name(self._data.dtype)}")
    from .inplace import inplace_apply
    return inplace_apply(self, clamp, min, max)


def _clamp_check(input, min, max):
    """torch's errors for clamp on complex or bool operands (built only when one is)."""
    if input._data.dtype.kind == "c" or type(min) is complex or type(max) is complex:
        if input._data.dtype.kind != "c" and (type(min) is complex or type(max) is complex) \
                and input.is_floating_point():
            raise RuntimeError("value cannot be converted to type double without overflow")
        if not (isinstance(min, Tensor) or isinstance(max, Tensor)) or \
                input._data.dtype.kind == "c":
            raise NotImplementedError("clamp is not supported for complex types")
    bounds = [b for b in (min, max) if b is not None]
    dt = promote_arrays([input] + bounds, [input._data] + [b._data if isinstance(b, Tensor)
                                                           else b for b in bounds], False)[1]
    tensors = isinstance(min, Tensor) or isinstance(max, Tensor)
    both = min is not None and max is not None
    if dt.kind == "c" or dt.kind == "b" and (both or not tensors):
        if tensors:
            kernel = "clamp_cpu" if both else "maximum_cpu" if min is not None else \
                "minimum_cpu"
        else:
            kernel = "clamp_scalar_cpu" if both else "clamp_min_scalar_cpu" if min is not None \
                else "clamp_max_scalar_cpu"
        _no_kernel(kernel, dt)


class ClampMin(Clamp):
    node_name = "ClampMinBackward0"


class ClampMax(Clamp):
    node_name = "ClampMaxBackward0"


class ClampMinTensor(ClampTensor):
    node_name = "ClampMinBackward1"


class ClampMaxTensor(ClampTensor):
    node_name = "ClampMaxBackward1"


def clamp_min(input, min, *, out=None):
    """max(input, min) (see torch.clamp_min: ClampMinBackward0 for a number)."""
    if input._data.dtype.kind in "bc" or type(min) is complex:
        if type(min) is complex:
            raise NotImplementedError("clamp is not supported for complex types")
        _clamp_check(input, min, None)
    if out is None and isinstance(input, Tensor) and type(min) in (int, float):
        return ClampMin.apply(input, min=min)
    if out is None and isinstance(input, Tensor) and isinstance(min, Tensor):
        return ClampMinTensor.apply(input, min, None)
    return clamp(input, min=min, out=out)


def clamp_max(input, max, *, out=None):
    """min(input, max) (see torch.clamp_max: ClampMaxBackward0 for a number)."""
    if input._data.dtype.kind in "bc" or type(max) is complex:
        if type(max) is complex:
            raise NotImplementedError("clamp is not supported for complex types")
        _clamp_check(input, None, max)
    if out is None and isinstance(input, Tensor) and type(max) in (int, float):
        return ClampMax.apply(input, max=max)
    if out is None and isinstance(input, Tensor) and isinstance(max, Tensor):
        return ClampMaxTensor.apply(input, None, max)
    return clamp(input, max=max, out=out)


def maximum(input, other, *, out=None):
    if input.__class__ is not Tensor or other.__class__ is not Tensor:
        _check_tensors("maximum", input, other)
    r = Maximum.apply(input, other)
    return r if out is None else write_out(out, r)


def minimum(input, other, *, out=None):
    if input.__class__ is not Tensor or other.__class__ is not Tensor:
        _check_tensors("minimum", input, other)
    r = Minimum.apply(input, other)
    return r if out is None else write_out(out, r)


def _fm_check(fn, input, other):
    _check_tensors(fn, input, other)
    if input._data.dtype.kind == "c" or other._data.dtype.kind == "c":
        raise RuntimeError(f"{fn} not implemented for complex tensors.")


def fmax(input, other, *, out=None):
    _fm_check("fmax", input, other)
    m = maximum(input, other)
    r = where(input.isnan(), other, where(other.isnan(), input, m))
    return r if out is None else write_out(out, r)


def fmin(input, other, *, out=None):
    _fm_check("fmin", input, other)
    m = minimum(input, other)
    r = where(input.isnan(), other, where(other.isnan(), input, m))
    return r if out is None else write_out(out, r)


def atan2(input, other, *, out=None):
    _check_tensors("atan2", input, other)
    r = Atan2.apply(input, other)
    return r if out is None else write_out(out, r)


arctan2 = atan2


def _cpp_name(npdt):
    """A dtype as torch's C++ messages spell it ("float", "long int", "c10::Half")."""
    from .linalg import _cpp
    return _cpp(np.dtype(npdt))


def _lerp_check(input, end, weight):
    x = input._data.dtype
    if type(weight) is complex and x.kind in "fV":   # (V: bfloat16)
        raise RuntimeError(f"value cannot be converted to type "
                           f"{'double' if x == np.float64 else 'float'} without overflow")
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t._data.dtype != x:
            raise RuntimeError(f"expected dtype {_cpp_name(x)} for `{name}` but got dtype "
                               f"{_cpp_name(t._data.dtype)}")
    if x.kind in "iub":
        _no_kernel("lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar",
                   x)


def lerp(input, end, weight, *, out=None):
    """input + weight * (end - input); all tensors of one dtype (see torch.lerp)."""
    x = input._data.dtype
    if end._data.dtype is not x or x.kind in "iub" or weight.__class__ is complex or \
            isinstance(weight, Tensor) and weight._data.dtype is not x:
        _lerp_check(input, end, weight)
    if isinstance(weight, Tensor):
        r = LerpTensor.apply(input, end, weight)
    else:
        r = Lerp.apply(input, end, weight=weight)
    return r if out is None else write_out(out, r)


def where(condition, input=None, other=None, *, out=None):
    """Elementwise choice: input where condition else other (see torch.where)."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if condition._data.dtype != _BOOL:
        if condition._data.dtype == np.uint8:
            condition = condition.bool()
        else:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {_dtname(condition._data.dtype)}")
    a, b = input, other
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    arrays, _ = promote_arrays((a, b), [a._data if ta else a, b._data if tb else b], False)
    a2 = _wrap(arrays[0]) if ta and arrays[0] is not a._data else a
    b2 = _wrap(arrays[1]) if tb and arrays[1] is not b._data else b
    if ta and a2 is not a:
        a2 = a.to(D._FROM_NP[arrays[0].dtype])
    if tb and b2 is not b:
        b2 = b.to(D._FROM_NP[arrays[1].dtype])
    if not ta and not tb:
        dt = D._FROM_NP[np.dtype(_dt_of_py(a, b))]
        a2 = _tensor_of(a, condition).to(dt)
    elif not ta:
        a2 = _scalar_like(arrays[0], b2)   # (a Python int wrapped into b's integer dtype)
    if not tb:
        b2 = _scalar_like(arrays[1], a2)
    r = Where.apply(condition, a2, b2)
    return r if out is None else write_out(out, r)


def _dt_of_py(a, b):
    return D.result_type(a, b).np


def _scalar_like(x, like):
    from .._creation import scalar_tensor
    return scalar_tensor(x, like, dtype=like.dtype)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    r = NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)
    return r if out is None else write_out(out, r)


# ---- non-differentiable: comparisons, predicates, logical, bitwise -------------------------

def _cmp(ufunc_name, torch_name):
    ordered = torch_name not in ("eq", "ne")   # lt/le/gt/ge have no complex kernel

    def f(input, other, *, out=None):
        if not isinstance(input, Tensor):
            input = _tensor_of(input, other)
        x = input._data
        if isinstance(other, Tensor):
            y = other._data
            if x.dtype is not y.dtype:
                (x, y), _ = promote_arrays((input, other), [x, y], False)
        else:
            if other is None or not isinstance(other, (int, float, complex, np.number)):
                if torch_name in ("eq", "ne"):
                    return NotImplemented
                raise TypeError(f"{torch_name}(): argument 'other' must be Tensor or Number, "
                                f"not {type(other).__name__}")
            y = other
            if type(other) is float and x.dtype.kind in "iub":
                x = x.astype(D.get_default_dtype().np)
            elif type(other) is int and x.dtype.kind in "iu":
                y = _int_scalar_for(input, other)
            elif type(other) is complex and ordered:
                _no_kernel(f"{torch_name}_cpu", _promoted(input, other))
        if ordered and x.dtype.kind == "c":
            _no_kernel(f"{torch_name}_cpu", x.dtype)
        try:
            r = getattr(_xp(x), ufunc_name)(x, y)
        except ValueError:
            broadcast_error(_shape(x), _shape(y))
        r = _r(r) if isinstance(r, (ndarray, np.generic)) else _wrap(r)
        return r if out is None else write_out(out, r)
    f.__name__ = torch_name
    return f


eq = _cmp("equal", "eq")
ne = not_equal = _cmp("not_equal", "ne")
lt = less = _cmp("less", "lt")
le = less_equal = _cmp("less_equal", "le")
gt = greater = _cmp("greater", "gt")
ge = greater_equal = _cmp("greater_equal", "ge")


def equal(input, other):
    """True if same shape and values (see torch.equal)."""
    return input._data.shape == other._data.shape and bool(eq(input, other)._data.all())


def _pred(fn_name):
    def f(input):
        x = input._data
        if x.dtype.kind in "iub":
            if fn_name == "isfinite":
                return _wrap(_xp(x).ones(x.shape, dtype=bool))
            return _wrap(_xp(x).zeros(x.shape, dtype=bool))
        return _r(getattr(_xp(x), fn_name)(x))
    f.__name__ = fn_name
    return f


isnan = _pred("isnan")
isinf = _pred("isinf")
isfinite = _pred("isfinite")


def isposinf(input):
    x = input._data
    if x.dtype.kind == "c":
        raise RuntimeError("isposinf does not support complex inputs.")
    return _r(_xp(x).isposinf(x)) if x.dtype.kind in "fc" or x.dtype.name == "bfloat16" else \
        _wrap(np.zeros(x.shape, bool))


def isneginf(input):
    x = input._data
    if x.dtype.kind == "c":
        raise RuntimeError("isneginf does not support complex inputs.")
    return _r(_xp(x).isneginf(x)) if x.dtype.kind in "fc" or x.dtype.name == "bfloat16" else \
        _wrap(np.zeros(x.shape, bool))


def isreal(input):
    x = input._data
    return _r(_xp(x).isreal(x))


def signbit(input):
    x = input._data
    if x.dtype.kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    return _r(_xp(x).signbit(x))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    x, y = input._data, other._data
    if x.dtype != y.dtype:
        raise RuntimeError(f"{_dtname(x.dtype)} did not match {_dtname(y.dtype)}")
    try:
        return _r(_xp(x).isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan))
    except ValueError:
        broadcast_error(_shape(x), _shape(y))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def _logical(fn_name):
    def f(input, other, *, out=None):
        _check_tensors(fn_name, input, other)
        x = input._data
        y = other._data
        try:
            r = _r(getattr(_xp(x), fn_name)(x, y))
        except ValueError:
            broadcast_error(_shape(x), _shape(y))
        return r if out is None else write_out(out, r)
    f.__name__ = fn_name
    return f


logical_and = _logical("logical_and")
logical_or = _logical("logical_or")
logical_xor = _logical("logical_xor")


def logical_not(input, *, out=None):
    r = _r(_xp(input._data).logical_not(input._data))
    return r if out is None else write_out(out, r)


def _bitwise(fn_name, torch_name):
    def f(input, other, *, out=None):
        if not isinstance(input, Tensor):
            input = _tensor_of(input, other)
        x = input._data
        if isinstance(other, Tensor):
            (x, y), dt = promote_arrays((input, other), [x, other._data], False)
        else:
            (x, y), dt = promote_arrays((input, other), [x, other], False)
        if dt.kind not in ("iu" if "shift" in torch_name else "iub"):
            _no_kernel(f"{torch_name}_cpu", dt)
        if torch_name in ("lshift", "rshift"):
            y = np.asarray(y).astype(dt) if not hasattr(y, "dtype") else y
        try:
            r = _r(getattr(_xp(x), fn_name)(x, y))
        except ValueError:
            broadcast_error(_shape(x), _shape(y))
        return r if out is None else write_out(out, r)
    f.__name__ = "bitwise_" + torch_name if "shift" not in torch_name else \
        "bitwise_left_shift" if torch_name == "lshift" else "bitwise_right_shift"
    return f


bitwise_and = _bitwise("bitwise_and", "bitwise_and")
bitwise_or = _bitwise("bitwise_or", "bitwise_or")
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor")
bitwise_left_shift = _bitwise("left_shift", "lshift")
bitwise_right_shift = _bitwise("right_shift", "rshift")


def bitwise_not(input, *, out=None):
    x = input._data
    if x.dtype.kind not in "iub":
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for "
                                  f"'{_dtname(x.dtype)}'")
    r = _r(_xp(x).invert(x))
    return r if out is None else write_out(out, r)
