"""Linear algebra: matmul family (one BLAS call each), addmm/baddbmm, einsum, tensordot,
det/inverse/solve, svd/qr/eigh/eig, cross, trace, norms.

Backward formulas are written with ember ops (matmul of the gradient with the other operand,
transposed), so they are differentiable again; composite functions (tensordot, outer, kron)
are built from differentiable ops and need no backward of their own.
"""
from __future__ import annotations

import builtins
import warnings

import numpy as np

from .. import _autocast as _ac
from .. import _dtype as D
from .._autocast import ON as _AC_ON
from .. import return_types as RT
from .._tensor import Tensor, _wrap, _wrap_view
from ..autograd import op as _op
from ..autograd.op import Op, promote_arrays
from ..backend import array_module, opmath
from ._broadcast import sum_to, wrap_dim
from .shape import T as _TNode

ndarray = np.ndarray


def _xp(a):
    return np if type(a) is ndarray else array_module(a)


def _dtname(dt):
    from .elementwise import _dtname as f
    return f(dt)


def _no_kernel(kernel, dt):
    from .elementwise import _no_kernel as f
    f(kernel, dt)


@opmath
class Mm(Op):
    saved_names = ("self", "mat2")
    saved_for = (1, 0)

    def forward(self, a, b):
        self.save_inputs(0, 1)
        return a @ b

    def backward(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        return (grad.mm(b.t()) if na else None, a.t().mm(grad) if nb else None)

    def vjp(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        a, b = a._data, b._data
        return (_mm_grad1(grad, a, b) if na else None, _mm_grad2(grad, a, b) if nb else None)


def _f_order(x):
    return x.__class__ is np.ndarray and x.ndim == 2 and x.flags.f_contiguous and \
        not x.flags.c_contiguous


# The grads of a @ b, each made in its input's memory order (as torch does): a transposed weight
# (F-ordered, as Linear's W.t()) gets an F-ordered grad, whose transpose back is the weight's own
# C order, so .grad can take the array over with no copy.
def _mm_grad1(grad, a, b):
    return (b @ grad.T).T if _f_order(a) else grad @ b.T


def _mm_grad2(grad, a, b):
    return (grad.T @ a).T if _f_order(b) else a.T @ grad


@opmath
class Bmm(Op):
    saved_names = ("self", "mat2")
    saved_for = (1, 0)

    def forward(self, a, b):
        self.save_inputs(0, 1)
        return _xp(a).matmul(a, b)

    def backward(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        return (grad.bmm(b.transpose(1, 2)) if na else None,
                a.transpose(1, 2).bmm(grad) if nb else None)

    def vjp(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        return (grad @ b._data.swapaxes(1, 2) if na else None,
                a._data.swapaxes(1, 2) @ grad if nb else None)


@opmath
class Mv(Op):
    saved_names = ("self", "vec")
    saved_for = (1, 0)

    def forward(self, a, v):
        self.save_inputs(0, 1)
        return a @ v

    def backward(self, grad):
        a, v = self.saved_inputs()
        na, nv = self.needs_input_grad
        return (grad.unsqueeze(1) * v.unsqueeze(0) if na else None,
                a.t().mv(grad) if nv else None)


@opmath
class Dot(Op):
    saved_names = ("self", "tensor")
    saved_for = (1, 0)

    def forward(self, a, b):
        self.save_inputs(0, 1)
        return _xp(a).dot(a, b)

    def backward(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        return (grad * b if na else None, grad * a if nb else None)


@opmath
class Matmul(Op):
    """Broadcast batched matmul (N-d); gradients summed back over broadcast batch dims."""
    node_name = "MatmulBackward0"

    def forward(self, a, b):
        self.save_inputs(0, 1)
        return _xp(a).matmul(a, b)

    def backward(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        a2 = a if a.dim() > 1 else a.unsqueeze(0)
        b2 = b if b.dim() > 1 else b.unsqueeze(-1)
        g = grad
        if a.dim() == 1:
            g = g.unsqueeze(-2)
        if b.dim() == 1:
            g = g.unsqueeze(-1)
        ga = gb = None
        if na:
            ga = g.matmul(b2.mT)
            ga = sum_to(ga, a2.shape)
            if a.dim() == 1:
                ga = ga.squeeze(-2)
        if nb:
            gb = a2.mT.matmul(g)
            gb = sum_to(gb, b2.shape)
            if b.dim() == 1:
                gb = gb.squeeze(-1)
        return ga, gb


_F3264 = frozenset((np.dtype(np.float32), np.dtype(np.float64)))


def _edge(t):
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._out_nr)
    return (t._accumulator(), 0) if t._rg else _op._NO_EDGE


def linear2d(input, weight, bias):
    """F.linear's common case (2-D float32/64 CPU input, 2-D weight, 1-D bias, one dtype) with
    the nodes Op.apply would record (AddmmBackward0 or MmBackward0, the weight through
    TBackward0) built directly: a Linear layer's Python cost is most of its time at small
    batch. None where this path does not apply (shapes are checked by the caller)."""
    x, w = input._data, weight._data
    dt = x.dtype
    if x.__class__ is not ndarray or x.ndim != 2 or w.ndim != 2 or dt not in _F3264 or \
            w.dtype is not dt or _op.LAYERED[0]:
        return None
    if bias is not None:
        b = bias._data
        if b.__class__ is not ndarray or b.dtype is not dt or b.shape != (w.shape[0],):
            return None
    r = x @ w.T
    if bias is not None:
        r += b
    out = _op._new(Tensor)
    out._data = r
    out._ver = None
    if not (_op.GRAD[0] and (input._rg or weight._rg or (bias is not None and bias._rg))):
        out._rg = False
        out.grad_fn = None
        return out
    new, seq = _op._new, _op._seq
    # weight.t(): a view sharing the weight's version counter, TBackward0 when it needs grad
    wt = _wrap_view(w.T, weight)
    ver = wt._ver
    wt._out_nr = 0
    if weight._rg:
        tn = new(_TNode)
        tn._args = None
        tn.next_functions = (_edge(weight),)
        tn.needs_input_grad = _op._ONE_TRUE
        tn._in_dt = None
        tn._saved = tn._saved_out = tn._out_meta = None
        tn._seq = next(seq)
        wt._rg = True
        wt.grad_fn = tn
    vi = input._ver
    svers = (0 if vi is None else vi[0], ver[0])
    if bias is None:
        node = new(Mm)
        ei, ew = _edge(input), _edge(wt)
        node.next_functions = (ei, ew)
        node.needs_input_grad = _op._NEEDS[ei is not _op._NO_EDGE, ew is not _op._NO_EDGE]
    else:
        node = new(Addmm)
        node.sc, node.beta, node.alpha = b.shape, 1, 1
        eb, ei, ew = _edge(bias), _edge(input), _edge(wt)
        no = _op._NO_EDGE
        node.next_functions = (eb, ei, ew)
        node.needs_input_grad = (eb is not no, ei is not no, ew is not no)
    node._args = None
    node._saved = (input, wt)
    node._svers = svers
    node._in_dt = None
    node._saved_out = node._out_meta = None
    node._seq = next(seq)
    out._rg = True
    out.grad_fn = node
    out._out_nr = 0
    return out


def _cpp(dt):
    # torch names dtypes in this message by their C++ type ("float", "long int")
    from .._legacy_types import _CPP_TYPE
    return {"complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}.get(
        dt.name, _CPP_TYPE.get(dt.name, dt.name))


_MM_KERNEL = {"mm": "addmm_impl_cpu_", "mv": "addmv_impl_cpu", "bmm": "bmm"}


def _mm_dtypes(a, b, name):
    da, db = a._data.dtype, b._data.dtype
    if da.kind == "b" and name == "bmm":
        _no_kernel("bmm", da)
    if da != db:
        if name == "mv":
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                               f"{_dtname(db)}, {_dtname(da)}, and {_dtname(db)}")
        if name == "bmm":
            raise RuntimeError(f"expected scalar type {_dtname(da)} but found {_dtname(db)}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_cpp(a.dtype)} != {_cpp(b.dtype)}")
    if da.kind == "b":   # torch's BLAS kernels have no bool version
        _no_kernel(_MM_KERNEL[name], da)


def matmul(input, other, *, out=None):
    """Matrix product with torch's 1-D/2-D/batched rules (see torch.matmul)."""
    if _AC_ON[0]:
        input, other = _ac.lower(input, other)
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_cpp(input.dtype)} != {_cpp(other.dtype)}")
    if a.ndim == 1 and b.ndim == 1:
        r = dot(input, other)
    elif a.ndim == 2 and b.ndim == 2:
        r = mm(input, other)
    elif a.ndim == 2 and b.ndim == 1:
        r = mv(input, other)
    else:
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if ka != kb:
            if b.ndim == 1:
                raise RuntimeError(f"size mismatch, got input ({ka}), vec ({kb})")
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{b.shape[0] if b.ndim == 3 else 1}, {ka}] but got: "
                               f"[{b.shape[0] if b.ndim == 3 else 1}, {kb}].") \
                if a.ndim == 3 and b.ndim == 3 else RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({_flat2(a)} and {_flat2b(b)})")
        if a.dtype.kind == "b":
            _no_kernel("addmm_impl_cpu_" if a.ndim <= 2 and b.ndim <= 2 else "bmm", a.dtype)
        if a.ndim == 3 and b.ndim == 3 and a.shape[0] == b.shape[0]:
            r = Bmm.apply(input, other)
        else:
            try:
                r = Matmul.apply(input, other)
            except ValueError:
                raise RuntimeError("The size of tensor a must match the size of tensor b at "
                                   "non-singleton dimension") from None
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, r)
    return r


def _flat2(a):
    if a.ndim == 1:
        return f"1x{a.shape[0]}"
    n = int(np.prod(a.shape[:-1]))
    return f"{n}x{a.shape[-1]}"


def _flat2b(b):
    if b.ndim == 1:
        return f"{b.shape[0]}x1"
    return f"{b.shape[-2]}x{b.shape[-1]}"


def mm(input, mat2, *, out=None):
    if _AC_ON[0]:
        input, mat2 = _ac.lower(input, mat2)
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]}"
                           f" and {b.shape[0]}x{b.shape[1]})")
    _mm_dtypes(input, mat2, "mm")
    r = Mm.apply(input, mat2)
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, r)
    return r


def bmm(input, mat2, *, out=None):
    if _AC_ON[0]:
        input, mat2 = _ac.lower(input, mat2)
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    _mm_dtypes(input, mat2, "bmm")
    r = Bmm.apply(input, mat2)
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, r)
    return r


def mv(input, vec, *, out=None):
    a, v = input._data, vec._data
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {a.ndim}, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x"
                           f"{a.shape[1]}), vec ({v.shape[0]})")
    _mm_dtypes(input, vec, "mv")
    return Mv.apply(input, vec)


def dot(input, other, *, out=None):
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_dtname(a.dtype)} and {_dtname(b.dtype)}")
    if a.dtype.kind == "b":
        _no_kernel("dot", a.dtype)
    return Dot.apply(input, other)


def inner_dot(input, other, *, out=None):
    """Sum over the last dims of both (a plain product when either is 0-d); see torch.inner."""
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        r = input * other
    else:
        if a.shape[-1] != b.shape[-1]:
            raise RuntimeError(f"inner() the last dimension must match on both input tensors "
                               f"but got shapes {list(a.shape)} and {list(b.shape)}")
        if a.dtype != b.dtype:
            raise RuntimeError("both inputs should have same dtype")
        r = dot(input, other) if a.ndim == b.ndim == 1 else \
            tensordot(input, other, ([a.ndim - 1], [b.ndim - 1]))
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, r)
    return r


def vdot(input, other):
    return dot(input.conj() if input.is_complex() else input, other)


@opmath
class Addmm(Op):
    """beta*input + alpha*(mat1 @ mat2): the Linear layer's op."""
    saved_names = ("mat1", "mat2")
    saved_for = (2, 1)
    saved_scalars = {"alpha": "alpha", "beta": "beta"}

    def forward(self, c, a, b, beta=1, alpha=1):
        self.save_inputs(1, 2)
        self.sc, self.beta, self.alpha = c.shape, beta, alpha
        r = a @ b
        if alpha != 1:
            r *= alpha
        if beta == 0:
            return r
        r += c if beta == 1 else c * beta
        return r

    def backward(self, grad):
        a, b = self.saved_inputs()
        nc, na, nb = self.needs_input_grad
        gc = sum_to(grad if self.beta == 1 else grad * self.beta, self.sc) if nc else None
        ga = grad.mm(b.t()) if na else None
        gb = a.t().mm(grad) if nb else None
        if self.alpha != 1:
            ga = ga * self.alpha if ga is not None else None
            gb = gb * self.alpha if gb is not None else None
        return gc, ga, gb

    def vjp(self, grad):
        from ._broadcast import sum_to_arr
        a, b = self.saved_inputs()
        nc, na, nb = self.needs_input_grad
        gc = sum_to_arr(grad if self.beta == 1 else grad * self.beta, self.sc) if nc else None
        a, b = a._data, b._data
        ga = _mm_grad1(grad, a, b) if na else None
        gb = _mm_grad2(grad, a, b) if nb else None
        if self.alpha != 1:
            ga = ga * self.alpha if ga is not None else None
            gb = gb * self.alpha if gb is not None else None
        return gc, ga, gb


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    if _AC_ON[0]:
        input, mat1, mat2 = _ac.lower(input, mat1, mat2)
    a, b = mat1._data, mat2._data
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError("mat1 must be a matrix, got " + str(a.ndim) + "-D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]}"
                           f" and {b.shape[0]}x{b.shape[1]})")
    if a.dtype != b.dtype or input._data.dtype != a.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {mat1.dtype} and "
                           f"{mat2.dtype}" if a.dtype != b.dtype else
                           f"self and mat2 must have the same dtype, but got {input.dtype} and "
                           f"{mat2.dtype}")
    try:
        np.broadcast_shapes(input._data.shape, (a.shape[0], b.shape[1]))
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({b.shape[1]}) must match the "
                           f"existing size ({input._data.shape[-1]}) at non-singleton dimension "
                           f"1.  Target sizes: [{a.shape[0]}, {b.shape[1]}].  Tensor sizes: "
                           f"{list(input._data.shape)}") from None
    r = Addmm.apply(input, mat1, mat2, beta=beta, alpha=alpha)
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, r)
    return r


class _AddProduct(Op):
    """beta * input + alpha * product(a, b) as one node, as torch fuses them (its node names,
    one rounding for float16/bfloat16). Subclasses give the product and its two gradients."""

    def forward(self, c, a, b, beta=1, alpha=1):
        self.save_inputs(1, 2)
        self.sc, self.beta, self.alpha = c.shape, beta, alpha
        r = self.product(_xp(a), a, b)
        if alpha != 1:
            r = r * alpha
        if beta == 0:
            return _xp(a).broadcast_to(r, np.broadcast_shapes(c.shape, r.shape)).copy()
        return r + (c if beta == 1 else c * beta)

    def backward(self, grad):
        a, b = self.saved_inputs()
        nc, na, nb = self.needs_input_grad
        gc = sum_to(grad if self.beta == 1 else grad * self.beta, self.sc) if nc else None
        g = grad if self.alpha == 1 else grad * self.alpha
        ga, gb = self.grads(g, a, b, na, nb)
        return gc, ga, gb


@opmath
class Baddbmm(_AddProduct):
    @staticmethod
    def product(xp, a, b):
        return xp.matmul(a, b)

    @staticmethod
    def grads(g, a, b, na, nb):
        return (g.bmm(b.mT) if na else None, a.mT.bmm(g) if nb else None)


@opmath
class Addbmm(_AddProduct):
    @staticmethod
    def product(xp, a, b):
        return xp.matmul(a, b).sum(0)

    @staticmethod
    def grads(g, a, b, na, nb):
        return (g.matmul(b.mT) if na else None, a.mT.matmul(g) if nb else None)


@opmath
class Addmv(_AddProduct):
    @staticmethod
    def product(xp, a, v):
        return a @ v

    @staticmethod
    def grads(g, a, v, na, nb):
        return (g.unsqueeze(1) * v.unsqueeze(0) if na else None, a.t().mv(g) if nb else None)


@opmath
class Addr(_AddProduct):
    @staticmethod
    def product(xp, u, v):
        return xp.multiply.outer(u, v)

    @staticmethod
    def grads(g, u, v, na, nb):
        return (g.mv(v) if na else None, g.t().mv(u) if nb else None)


_SCALAR_NAME = {"float32": "Float", "float64": "Double", "float16": "Half",
                "bfloat16": "BFloat16", "complex64": "ComplexFloat",
                "complex128": "ComplexDouble"}


def _sname(t):
    n = str(t._data.dtype)
    return _SCALAR_NAME.get(n, n)


def _add_product(cls, input, a, b, beta, alpha, prod_shape):
    if input.shape != prod_shape:
        input.expand(prod_shape)  # raises torch's expand error when input does not broadcast
    return cls.apply(input, a, b, beta=beta, alpha=alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec) (see torch.addmv)."""
    if not input._data.dtype == mat._data.dtype == vec._data.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_sname(input)}, {_sname(mat)}, and {_sname(vec)}")
    m, v = mat._data, vec._data
    if m.ndim == 2 and v.ndim == 1 and m.shape[1] == v.shape[0] and input._data.ndim <= 1 and \
            input._data.size not in (1, m.shape[0]):
        raise RuntimeError(f"size mismatch, got input ({input._data.size}), mat "
                           f"({m.shape[0]}x{m.shape[1]}), vec ({v.shape[0]})")
    mv(mat, vec) if m.ndim != 2 or v.ndim != 1 or m.shape[1] != v.shape[0] else None
    return _add_product(Addmv, input, mat, vec, beta, alpha, (m.shape[0],))


def _batched_checks(input, batch1, batch2, name):
    a, b = batch1._data, batch2._data
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        bmm(batch1, batch2)  # raises bmm's error
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_sname(batch1)} but found {_sname(batch2)}")
    if input._data.dtype != a.dtype:
        if name == "addbmm":
            raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                               f"{_sname(input)} and {_sname(batch1)}")
        raise RuntimeError(f"Input dtypes must be the same, got: input {input.dtype}, batch1: "
                           f"{batch1.dtype}, batch2: {batch2.dtype}".replace("torch.", "")
                           .replace("float32", "float").replace("float64", "double"))
    return a, b


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2), batched (see torch.baddbmm)."""
    if _AC_ON[0]:
        input, batch1, batch2 = _ac.lower(input, batch1, batch2)
    a, b = _batched_checks(input, batch1, batch2, "baddbmm")
    return _add_product(Baddbmm, input, batch1, batch2, beta, alpha,
                        (a.shape[0], a.shape[1], b.shape[2]))


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum_b(batch1[b] @ batch2[b]) (see torch.addbmm)."""
    if _AC_ON[0]:
        input, batch1, batch2 = _ac.lower(input, batch1, batch2)
    a, b = _batched_checks(input, batch1, batch2, "addbmm")
    return _add_product(Addbmm, input, batch1, batch2, beta, alpha, (a.shape[1], b.shape[2]))


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2) (see torch.addr)."""
    if vec1._data.ndim != 1 or vec2._data.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1.dim()}-D"
                           if vec1._data.ndim != 1 else
                           f"addr: Expected 1-D argument vec2, but got {vec2.dim()}-D")
    if not input._data.dtype == vec1._data.dtype == vec2._data.dtype:
        # mixed dtypes promote first (torch's addr computes in the result type)
        rt = D.result_type(input, vec1, vec2)
        input, vec1, vec2 = input.to(rt), vec1.to(rt), vec2.to(rt)
    return _add_product(Addr, input, vec1, vec2, beta, alpha, (vec1.shape[0], vec2.shape[0]))


def outer(input, vec2, *, out=None):
    """input[:, None] * vec2[None, :] (see torch.outer)."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    r = input.unsqueeze(1) * vec2.unsqueeze(0)
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, r)
    return r


ger = outer


def tensordot(a, b, dims=2, out=None):
    """Contract dims of a with dims of b as one matmul (see torch.tensordot)."""
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da = list(range(na - dims, na))
        db = list(range(dims))
    elif isinstance(dims, Tensor):
        d = dims.tolist()
        if isinstance(d, int):
            return tensordot(a, b, d)
        da, db = list(d[0]), list(d[1])
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    da = [wrap_dim(x, na) for x in da]
    db = [wrap_dim(x, nb) for x in db]
    for x, y in zip(da, db):
        if a._data.shape[x] != b._data.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a._data.shape[x]} in dim {x} and second has size "
                               f"{b._data.shape[y]} in dim {y}")
    fa = [i for i in range(na) if i not in da]
    fb = [i for i in range(nb) if i not in db]
    sa = [a._data.shape[i] for i in fa]
    sb = [b._data.shape[i] for i in fb]
    k = int(np.prod([a._data.shape[i] for i in da]))
    am = a.permute(*(fa + da)).reshape(int(np.prod(sa)), k)
    bm = b.permute(*(db + fb)).reshape(k, int(np.prod(sb)))
    r = am.mm(bm).reshape(*(sa + sb))
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, r)
    return r


# ---- einsum ---------------------------------------------------------------------------------

def _parse_einsum(eq, shapes):
    eq = eq.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:
        lhs, rhs = eq, None
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the "
                           f"equation" if len(shapes) > len(ins) else
                           "einsum(): fewer operands were provided than specified in the "
                           "equation")
    used = set(c for c in eq if c.isalpha())
    free = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    ell_n = 0
    for s, shp in zip(ins, shapes):
        if "..." in s:
            ell_n = builtins.max(ell_n, len(shp) - (len(s) - 3))
    ell = "".join(free[:ell_n])
    out_ins = []
    for s, shp in zip(ins, shapes):
        if "..." in s:
            k = len(shp) - (len(s) - 3)
            s = s.replace("...", ell[ell_n - k:] if k else "")
        out_ins.append(s)
    if rhs is None:
        counts = {}
        for s in out_ins:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        rhs = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
    return out_ins, rhs


@opmath
class Einsum(Op):
    node_name = "EinsumBackward0"

    def forward(self, *arrays, eq=""):
        self.ins, self.out = _parse_einsum(eq, [a.shape for a in arrays])
        if len(set(self.out)) != len(self.out) or any(len(set(s)) != len(s) for s in self.ins):
            from .sweep2 import einsum_check_repeats
            einsum_check_repeats(self.ins, self.out, [a.shape for a in arrays])
        self.save_inputs(*range(len(arrays)))
        self.shapes = [a.shape for a in arrays]
        for s in self.ins:
            if len(set(s)) != len(s):
                self.repeated = True
        expr = ",".join(self.ins) + "->" + self.out
        return _xp(arrays[0]).einsum(expr, *arrays, optimize=len(arrays) > 2)

    def backward(self, grad):
        ops = self.saved_inputs()
        if getattr(self, "repeated", False):
            from .sweep2 import einsum_diag_backward
            return einsum_diag_backward(self, grad, ops)
        grads = []
        for i, (s, t) in enumerate(zip(self.ins, ops)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [(self.ins[j], ops[j]) for j in range(len(ops)) if j != i]
            avail = set(self.out).union(*[set(o[0]) for o in others]) if others else set(self.out)
            target = "".join(c for c in s if c in avail)
            # sizes of size-1 (broadcast) dims: einsum broadcast them, so sum their gradient
            expr = ",".join([o[0] for o in others] + [self.out]) + "->" + target
            g = einsum(expr, *[o[1] for o in others], grad)
            if target != s:
                # dims of this operand that appear nowhere else: the gradient is constant there
                shape = [t.shape[k] for k, c in enumerate(s)]
                order = [c for c in s]
                idx = [target.index(c) if c in target else None for c in order]
                view = [g.shape[j] if j is not None else 1 for j in idx]
                perm = [j for j in idx if j is not None]
                g = g.permute(*perm) if perm != sorted(perm) else g
                g = g.reshape(view).expand(shape)
            grads.append(sum_to(g, t.shape) if tuple(g.shape) != tuple(t.shape) else g)
        return tuple(grads)


def einsum(equation, *operands):
    """Einstein summation (see torch.einsum); backward for repeated-free equations."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    arrays = [t._data for t in operands]
    if len({a.dtype for a in arrays}) > 1:
        _, dt = promote_arrays(operands, arrays, False)
        operands = tuple(t.to(D._FROM_NP[dt]) for t in operands)
    return Einsum.apply(*operands, eq=equation)


# ---- decompositions and solvers -------------------------------------------------------------

def _check_square(a, name):
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_dtname(a.dtype)}")


class Det(Op):
    node_name = "LinalgDetBackward0"

    def forward(self, a):
        _check_square(a, "linalg.det")
        self.save_inputs(0)
        self.save_outputs(0)
        return _xp(a).linalg.det(a)

    def backward(self, grad):
        a, = self.saved_inputs()
        det_, = self.saved_outputs()
        g = (grad * det_).unsqueeze(-1).unsqueeze(-1)
        if bool((det_ == 0).any()):
            # adjugate through the SVD-free route: pinv-based cofactor is unstable; use solve
            raise NotImplementedError("ember: the gradient of det at a singular matrix is not "
                                      "implemented")
        return g * inverse(a).mT


def det(input):
    return Det.apply(input)


class SlogDet(Op):
    node_name = "LinalgSlogdetBackward0"
    # torch's sign output requires grad too (its gradient is zero for real inputs)

    def forward(self, a):
        _check_square(a, "linalg.slogdet")
        self.save_inputs(0)
        s, l = _xp(a).linalg.slogdet(a)
        return s.astype(a.dtype), l.astype(a.dtype)

    def backward(self, gs, gl):
        a, = self.saved_inputs()
        return gl.unsqueeze(-1).unsqueeze(-1) * inverse(a).mT


def slogdet(input):
    return RT.slogdet(SlogDet.apply(input))


def linalg_slogdet(A, *, out=None):
    """(sign, logabsdet) as torch.linalg.slogdet's own named tuple."""
    return RT.linalg_slogdet(SlogDet.apply(A))


def logdet(input):
    s, l = SlogDet.apply(input)
    return l + (s < 0).float().log().to(l.dtype) if bool((s < 0).any()) else l


class Inverse(Op):
    node_name = "LinalgInvExBackward0"

    def forward(self, a):
        _check_square(a, "linalg.inv")
        self.save_outputs(0)
        try:
            return _xp(a).linalg.inv(a)
        except np.linalg.LinAlgError:
            info = lu_info(np.asarray(a)).reshape(-1)
            k = int(np.flatnonzero(info)[0]) if info.any() else 0
            prefix = f"(Batch element {k}): " if a.ndim > 2 else ""
            raise LinAlgError(f"linalg.inv: {prefix}The diagonal element {int(info[k]) or 1} "
                              "is zero, the inversion could not be completed because the input "
                              "matrix is singular.") from None

    def backward(self, grad):
        inv, = self.saved_outputs()
        return -inv.mT.matmul(grad).matmul(inv.mT)


def inverse(input):
    if _AC_ON[0]:  # torch's autocast fp32 list
        input, = _ac.to_fp32(input)
    return Inverse.apply(input)


class Solve(Op):
    node_name = "LinalgSolveExBackward0"

    def forward(self, a, b, left=True):
        _check_square(a, "linalg.solve")
        self.save_inputs(0)
        # torch reads b as a batch of vectors only when its shape is exactly a.shape[:-1]
        self.vec = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
        bb = b[..., None] if self.vec else b
        try:
            x = _xp(a).linalg.solve(a, bb)
        except np.linalg.LinAlgError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix "
                              "is singular.") from None
        self.save_outputs(0)
        self.sb = b.shape
        return x[..., 0] if self.vec else x

    def backward(self, grad):
        a, = self.saved_inputs()
        x, = self.saved_outputs()
        g = grad.unsqueeze(-1) if self.vec else grad
        xx = x.unsqueeze(-1) if self.vec else x
        gb = solve(a.mT, g)
        na, nb = self.needs_input_grad
        ga = sum_to(-gb.matmul(xx.mT), a.shape) if na else None
        if self.vec:
            gb = gb.squeeze(-1)
        return ga, sum_to(gb, self.sb) if nb else None


def solve(A, B, *, left=True, out=None):
    if not left:
        return solve(A.mT, B.mT).mT
    return Solve.apply(A, B)


class Cholesky(Op):
    node_name = "LinalgCholeskyExBackward0"

    def forward(self, a, upper=False):
        self.upper = upper
        try:
            L = _xp(a).linalg.cholesky(a)
        except np.linalg.LinAlgError:
            _, info = cholesky_info(np.asarray(a))
            raise cholesky_error(info, "linalg.cholesky") from None
        self.save_outputs(0)
        return L.swapaxes(-1, -2).conj() if upper else L

    def backward(self, grad):
        r, = self.saved_outputs()
        L = r.mT if self.upper else r
        g = grad.mT if self.upper else grad
        # Phi(L^T gL) with Phi taking the lower triangle and halving the diagonal
        P = L.mT.matmul(g)
        P = P.tril() - 0.5 * P.diagonal(0, -2, -1).diag_embed()
        S = solve_triangular(L.mT, solve_triangular(L.mT, P.mT, upper=True).mT, upper=True)
        return 0.5 * (S + S.mT)


def cholesky(input, upper=False):
    """The lower (or upper) Cholesky factor (see torch.linalg.cholesky)."""
    shape = input._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"linalg.cholesky: The input tensor A must have at least 2 "
                           f"dimensions.")
    if shape[-1] != shape[-2]:
        raise RuntimeError(f"linalg.cholesky: A must be batches of square matrices, but they "
                           f"are {shape[-2]} by {shape[-1]} matrices")
    return Cholesky.apply(input, upper=upper)


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a factorization or inversion that cannot be completed."""


LinAlgError.__name__ = LinAlgError.__qualname__ = "_LinAlgError"


def cholesky_info(a):
    """LAPACK's unblocked Cholesky (potf2, lower) over a batch of matrices: (L, info), where
    info is 0 or the order of the first leading minor that is not positive-definite; a failed
    matrix keeps what potf2 leaves (its non-positive pivot on the diagonal, columns after it
    untouched), as torch.linalg.cholesky_ex returns it."""
    w = np.tril(np.array(a, dtype=a.dtype, copy=True))
    n = w.shape[-1]
    flat = w.reshape(-1, n, n)
    info = np.zeros(flat.shape[0], np.int32)
    for j in range(n):
        live = info == 0
        if not live.any():
            break
        m = flat[live]
        d = m[:, j, j] - np.einsum("bk,bk->b", m[:, j, :j], m[:, j, :j].conj()).real
        bad = ~(d > 0)
        ok = ~bad
        r = np.sqrt(np.where(bad, 1, d))
        m[:, j, j] = np.where(bad, d, r)
        below = (m[:, j + 1:, j] - np.einsum("bik,bk->bi", m[:, j + 1:, :j],
                                              m[:, j, :j].conj())) / r[:, None]
        m[ok, j + 1:, j] = below[ok]
        flat[live] = m
        idx = np.flatnonzero(live)[bad]
        info[idx] = j + 1
    return flat.reshape(w.shape), info.reshape(w.shape[:-2])


def lu_info(a):
    """LAPACK getrf's info over a batch: 0, or the 1-based index of the first exactly-zero
    pivot of the LU factorization with partial pivoting (what torch's singular-matrix errors
    name)."""
    w = np.array(a, copy=True)
    n = w.shape[-1]
    flat = w.reshape(-1, n, n)
    info = np.zeros(flat.shape[0], np.int32)
    rows = np.arange(flat.shape[0])
    for j in range(n):
        p = j + np.argmax(np.abs(flat[:, j:, j]), axis=1)
        pr = flat[rows, p].copy()
        flat[rows, p] = flat[:, j]
        flat[:, j] = pr
        piv = flat[:, j, j]
        zero = piv == 0
        info[(info == 0) & zero] = j + 1
        safe = np.where(zero, 1, piv)
        f = flat[:, j + 1:, j] / safe[:, None]
        f[zero] = 0
        flat[:, j + 1:, j] = f
        flat[:, j + 1:, j + 1:] -= f[:, :, None] * flat[:, j, None, j + 1:]
    return info.reshape(w.shape[:-2])


def cholesky_error(info, fn):
    """torch's error for a failed Cholesky (the first failing batch element is named)."""
    info = np.asarray(info)
    if info.ndim == 0:
        order, prefix = int(info), ""
    else:
        k = int(np.flatnonzero(info.reshape(-1))[0])
        order, prefix = int(info.reshape(-1)[k]), f"(Batch element {k}): "
    return LinAlgError(f"{fn}: {prefix}The factorization could not be completed because the "
                      f"input is not positive-definite (the leading minor of order {order} is "
                      "not positive-definite).")


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """A X = B (or X A = B) for triangular A (see torch.linalg.solve_triangular). Only A's
    `upper`/lower triangle is read (a unit diagonal is assumed with `unitriangular`), so the
    gradient reaches that triangle only, as in torch. Composite: solve on the triangle."""
    T = A.triu(1 if unitriangular else 0) if upper else A.tril(-1 if unitriangular else 0)
    if unitriangular:
        from .._creation import eye
        T = T + eye(A.shape[-1], dtype=A.dtype, device=A.device)
    return solve(T, B) if left else solve(T.mT, B.mT).mT


class Svd(Op):
    """Reduced or full SVD (LinalgSvdBackward0); the backward assumes distinct singular values."""
    node_name = "LinalgSvdBackward0"

    def forward(self, a, full_matrices=True, compute_uv=True):
        if a.ndim < 2:
            raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
        xp = _xp(a)
        if not compute_uv:
            return xp.linalg.svd(a, compute_uv=False)
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        self.save_outputs(0, 1, 2)
        self.full = full_matrices
        self.mn = a.shape[-2:]
        return u, s.astype(a.dtype if a.dtype.kind != "c" else s.dtype), vh

    def backward(self, gu, gs, gvh):
        U, S, Vh = self.saved_outputs()
        m, n = self.mn
        k = builtins.min(m, n)
        if self.full and m != n:
            U = U[..., :, :k]
            Vh = Vh[..., :k, :]
            gu = gu[..., :, :k]
            gvh = gvh[..., :k, :]
        V = Vh.mT
        gv = gvh.mT
        Sd = S.diag_embed()
        s2 = S * S
        diff = s2.unsqueeze(-2) - s2.unsqueeze(-1)
        eye = diff.new_zeros(diff.shape[-1:]).add(1).diag_embed()
        F = (diff + eye).reciprocal() - eye
        UtgU = U.mT.matmul(gu)
        VtgV = V.mT.matmul(gv)
        J = F * (UtgU - UtgU.mT)
        K = F * (VtgV - VtgV.mT)
        inner = gs.diag_embed() + J.matmul(Sd) + Sd.matmul(K)
        ga = U.matmul(inner).matmul(V.mT)
        if m > k:
            Sinv = S.reciprocal().diag_embed()
            proj = gu - U.matmul(UtgU)
            ga = ga + proj.matmul(Sinv).matmul(V.mT)
        if n > k:
            Sinv = S.reciprocal().diag_embed()
            proj = gv - V.matmul(VtgV)
            ga = ga + U.matmul(Sinv).matmul(proj.mT)
        return ga


def linalg_svd(A, full_matrices=True, *, driver=None):
    return RT.linalg_svd(Svd.apply(A, full_matrices=full_matrices))


def svd(input, some=True, compute_uv=True, *, out=None):
    """torch.svd: (U, S, V) with V (not Vh), reduced unless some=False."""
    if not compute_uv:
        s = Svd.apply(input.detach(), full_matrices=False, compute_uv=False)
        m, n = input._data.shape[-2:]
        z = lambda r, c: _wrap(np.zeros(input._data.shape[:-2] + (r, c), input._data.dtype))
        return RT.svd((z(m, m if not some else builtins.min(m, n)), s,
                       z(n, n if not some else builtins.min(m, n))))
    u, s, vh = Svd.apply(input, full_matrices=not some)
    return RT.svd((u, s, vh.mT))


def svdvals(A):
    return Svd.apply(A, full_matrices=False)[1]


class Eigh(Op):
    node_name = "LinalgEighBackward0"

    def forward(self, a, UPLO="L"):
        _check_square(a, "linalg.eigh")
        w, v = _xp(a).linalg.eigh(a, UPLO=UPLO)
        self.save_outputs(0, 1)
        return w, v

    def backward(self, gw, gv):
        w, V = self.saved_outputs()
        diff = w.unsqueeze(-2) - w.unsqueeze(-1)
        eye = diff.new_zeros(diff.shape[-1:]).add(1).diag_embed()
        F = (diff + eye).reciprocal() - eye
        inner = gw.diag_embed() + F * V.mT.matmul(gv)
        ga = V.matmul(inner).matmul(V.mT)
        return 0.5 * (ga + ga.mT)


def eigh(A, UPLO="L"):
    return RT.linalg_eigh(Eigh.apply(A, UPLO=UPLO))


def eigvalsh(A, UPLO="L"):
    return Eigh.apply(A, UPLO=UPLO)[0]


def eig(A):
    a = A._data
    _check_square(a, "linalg.eig")
    w, v = _xp(a).linalg.eig(a)
    cdt = np.complex128 if a.dtype == np.float64 else np.complex64
    return RT.linalg_eig((_wrap(w.astype(cdt)), _wrap(v.astype(cdt))))


def eigvals(A):
    return eig(A)[0]


class Qr(Op):
    node_name = "LinalgQrBackward0"

    def forward(self, a, mode="reduced"):
        self.mode = mode
        if mode == "r":   # torch returns an empty Q and R
            r = _xp(a).linalg.qr(a, mode="r")
            return np.zeros(0, a.dtype), r
        q, r = _xp(a).linalg.qr(a, mode="reduced" if mode == "reduced" else "complete")
        self.save_outputs(0, 1)
        return q, r

    def backward(self, gq, gr):
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are "
                               "going to differentiate through linalg.qr.")
        Q, R = self.saved_outputs()
        m, n = Q.shape[-2], R.shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        gq = Q.new_zeros(Q.shape) if gq is None else gq
        gr = R.new_zeros(R.shape) if gr is None else gr
        if m >= n:
            return _qr_square_tall_backward(gq, gr, Q, R)
        # wide A = [X | Y] = Q [U | V]: X = QU is the square case with gQ + Y gV^H, and gY = Q gV
        Y = Q.matmul(R[..., :, m:])
        gV = gr[..., :, m:]
        gX = _qr_square_tall_backward(gq + Y.matmul(gV.mH), gr[..., :, :m], Q, R[..., :, :m])
        from .shape import cat
        return cat([gX, Q.matmul(gV)], -1)


def _qr_square_tall_backward(gq, gr, Q, R):
    # gA = (gQ + Q copyltu(M)) R^-H with M = R gR^H - gQ^H Q and copyltu(M) the Hermitian
    # matrix holding M's lower triangle, diagonal included
    M = R.matmul(gr.mH) - gq.mH.matmul(Q)
    L = M.tril(-1)
    M = L + L.mH + M.diagonal(0, -2, -1).real.diag_embed() if M.is_complex() else \
        L + L.mT + M.diagonal(0, -2, -1).diag_embed()
    return solve(R, (gq + Q.matmul(M)).mH).mH     # (gQ + Q copyltu(M)) R^-H


def qr(input, some=True):
    return RT.qr(Qr.apply(input, mode="reduced" if some else "complete"))


def linalg_qr(A, mode="reduced"):
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    return RT.linalg_qr(Qr.apply(A, mode=mode))


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    u, s, vh = Svd.apply(A, full_matrices=False)
    m, n = A._data.shape[-2:]
    tol = (rtol if rtol is not None else builtins.max(m, n) * np.finfo(A._data.dtype).eps)
    cutoff = s.amax(-1, keepdim=True) * tol
    sinv = (s > cutoff) * s.reciprocal().masked_fill(s <= cutoff, 0)
    return vh.mT.matmul(sinv.unsqueeze(-1) * u.mT)


def matrix_power(A, n):
    """A @ A @ ... (n times; the inverse's powers for n < 0), see torch.linalg.matrix_power."""
    a = A._data
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 "
                           "dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError("linalg.matrix_power: A must be batches of square matrices, but they "
                           f"are {a.shape[-2]} by {a.shape[-1]} matrices")
    if n == 0:
        eye = A.new_zeros(A.shape[-1:]).add(1).diag_embed()
        return eye.expand(A.shape).clone()
    if n < 0:
        return matrix_power(inverse(A), -n)
    r = A
    for _ in range(n - 1):
        r = r.matmul(A)
    return r


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    a = A._data
    return _wrap(np.asarray(np.linalg.matrix_rank(a, tol=tol), dtype=np.int64))


def trace(input):
    if _AC_ON[0]:  # torch's autocast fp32 list
        input, = _ac.to_fp32(input)
    a = input._data
    if a.ndim != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim " + str(a.ndim))
    if a.dtype.kind in "biu":
        return input.diagonal().sum()
    return input.diagonal().sum()


def kron(input, other):
    a, b = input, other
    na, nb = a.dim(), b.dim()
    n = builtins.max(na, nb)
    a = a.reshape((1,) * (n - na) + tuple(a.shape))
    b = b.reshape((1,) * (n - nb) + tuple(b.shape))
    ai = [x for i in range(n) for x in (a.shape[i], 1)]
    bi = [x for i in range(n) for x in (1, b.shape[i])]
    return (a.reshape(ai) * b.reshape(bi)).reshape([a.shape[i] * b.shape[i] for i in range(n)])


def _cross(a, b, d):
    ia = [a.select(d, i) for i in range(3)]
    ib = [b.select(d, i) for i in range(3)]
    from .shape import stack
    return stack([ia[1] * ib[2] - ia[2] * ib[1], ia[2] * ib[0] - ia[0] * ib[2],
                  ia[0] * ib[1] - ia[1] * ib[0]], d)


class LinalgCross(Op):
    def forward(self, a, b, dim=-1):
        self.save_inputs(0, 1)
        self.dim = dim
        self.sa, self.sb = a.shape, b.shape
        return _xp(a).cross(a, b, axis=dim)

    def backward(self, grad):
        a, b = self.saved_inputs()
        na, nb = self.needs_input_grad
        return (sum_to(linalg_cross(b, grad, dim=self.dim), self.sa) if na else None,
                sum_to(linalg_cross(grad, a, dim=self.dim), self.sb) if nb else None)


def linalg_cross(input, other, *, dim=-1):
    a, b = input._data, other._data
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError("linalg.cross: inputs dimension -1 must have length 3. Got "
                           f"{a.shape[-1]} and {b.shape[-1]}") from None
    d = wrap_dim(dim, len(shape))
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[d]} and {b.shape[d]}")
    if a.dtype != b.dtype:
        input, other = [t.to(D.promote_types(input.dtype, other.dtype)) for t in (input, other)]
    return LinalgCross.apply(input, other, dim=d)


def cross(input, other, dim=None, *, out=None):
    """torch.cross: warns when dim is omitted (it picks the first dim of size 3)."""
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
            "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of dim "
            "will change to agree with that of linalg.cross in a future release.",
            UserWarning, stacklevel=2)
        shape = np.broadcast_shapes(input._data.shape, other._data.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    if ord == "fro":
        from .reduction import vector_norm
        return vector_norm(A, 2, dim=dim, keepdim=keepdim, dtype=dtype)
    if ord == "nuc":
        r = svdvals(A.movedim(dim, (-2, -1))).sum(-1)
    elif ord in (2, -2):
        s = svdvals(A.movedim(dim, (-2, -1)))
        r = s.amax(-1) if ord == 2 else s.amin(-1)
    elif ord in (1, -1, float("inf"), float("-inf")):
        d0, d1 = dim
        if ord in (1, -1):
            col = A.abs().sum(d0, keepdim=True)
            r = col.amax(d1, keepdim=True) if ord == 1 else col.amin(d1, keepdim=True)
        else:
            row = A.abs().sum(d1, keepdim=True)
            r = row.amax(d0, keepdim=True) if ord == float("inf") else row.amin(d0,
                                                                                 keepdim=True)
        if keepdim:
            return r
        hi, lo = sorted((wrap_dim(d0, A.dim()), wrap_dim(d1, A.dim())), reverse=True)
        return r.squeeze(hi).squeeze(lo)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        for d in sorted(wrap_dim(x, A.dim()) for x in dim):
            r = r.unsqueeze(d)
    return r


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    from .reduction import vector_norm
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
        return vector_norm(A, 2, dim=dim, keepdim=keepdim, dtype=dtype)
    if isinstance(ord, str) or (dim is not None and len(dim) == 2) or (
            dim is None and A.dim() == 2):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(A, ord, dim=dim, keepdim=keepdim, dtype=dtype)


def cdist(x1, x2, p=2.0):
    if _AC_ON[0]:  # torch's autocast fp32 list
        x1, x2 = _ac.to_fp32(x1, x2)
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    from .reduction import vector_norm
    return vector_norm(diff, p, dim=-1)


def chain_matmul(*matrices):
    r = matrices[0]
    for m in matrices[1:]:
        r = r.mm(m)
    return r


def multi_dot(tensors):
    ts = list(tensors)
    first1 = ts[0].dim() == 1
    last1 = ts[-1].dim() == 1
    if first1:
        ts[0] = ts[0].unsqueeze(0)
    if last1:
        ts[-1] = ts[-1].unsqueeze(1)
    r = chain_matmul(*ts)
    if first1:
        r = r.squeeze(0)
    if last1:
        r = r.squeeze(-1)
    return r



# ---- matrix exponential --------------------------------------------------------------------

# Higham's scaling and squaring with a [13/13] Pade approximant (SIAM J. Matrix Anal. Appl.
# 26(4), 2005): the lower-degree approximants where the 1-norm allows, else scale A by 2^-s,
# take [13/13] and square s times.
_PADE = {3: (120., 60., 12., 1.), 5: (30240., 15120., 3360., 420., 30., 1.),
         7: (17297280., 8648640., 1995840., 277200., 25200., 1512., 56., 1.),
         9: (17643225600., 8821612800., 2075673600., 302702400., 30270240., 2162160., 110880.,
             3960., 90., 1.),
         13: (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
              129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
              40840800., 960960., 16380., 182., 1.)}
_THETA = {3: 1.495585217958292e-2, 5: 2.539398330063230e-1, 7: 9.504178996162932e-1,
          9: 2.097847961257068e0, 13: 5.371920351148152e0}


def _expm2d(a):
    """exp of one square float64/complex128 matrix."""
    n = a.shape[0]
    eye = np.eye(n, dtype=a.dtype)
    norm = np.abs(a).sum(axis=0).max() if n else 0.0
    a2 = a @ a
    for m in (3, 5, 7, 9):
        if norm <= _THETA[m]:
            b = _PADE[m]
            u = b[1] * eye
            v = b[0] * eye
            p = eye
            for k in range(1, m // 2 + 1):
                p = p @ a2
                u = u + b[2 * k + 1] * p
                v = v + b[2 * k] * p
            u = a @ u
            return np.linalg.solve(v - u, v + u)
    s = max(0, int(np.ceil(np.log2(norm / _THETA[13])))) if norm > 0 else 0
    a = a / 2.0 ** s
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    b = _PADE[13]
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 +
             b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + \
        b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r


class LinalgMatrixExp(Op):
    """exp(A) = sum A^k / k!; the gradient is the top-right block of exp of the block matrix
    [[A^H, G], [0, A^H]] (the Frechet derivative's adjoint), so it is differentiable again."""
    node_name = "LinalgMatrixExpBackward0"

    def forward(self, a):
        self.save_inputs(0)
        if a.size == 0:
            return a.copy()
        wide = np.complex128 if a.dtype.kind == "c" else np.float64
        flat = a.reshape((-1,) + a.shape[-2:]).astype(wide)
        out = np.empty_like(flat)
        for i in range(flat.shape[0]):
            out[i] = _expm2d(flat[i])
        return out.reshape(a.shape).astype(a.dtype)

    def backward(self, grad):
        a, = self.saved_inputs()
        n = a.shape[-1]
        ah = a.mH
        from .shape import cat
        top = cat([ah, grad], -1)
        bottom = cat([ah.new_zeros(ah.shape), ah], -1)
        big = LinalgMatrixExp.apply(cat([top, bottom], -2))
        return big[..., :n, n:]


_INT_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
              "bool": "Bool"}


def matrix_exp(A):
    """The matrix exponential of (batches of) square matrices (see torch.linalg.matrix_exp)."""
    shape = A._data.shape
    if len(shape) < 2:
        raise RuntimeError("linalg.matrix_exp: The input tensor A must have at least 2 "
                           "dimensions.")
    if shape[-1] != shape[-2]:
        raise RuntimeError(f"linalg.matrix_exp: A must be batches of square matrices, but they "
                           f"are {shape[-2]} by {shape[-1]} matrices")
    if A._data.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor as "
                           f"input. Got {_INT_NAMES.get(str(A._data.dtype), str(A._data.dtype))}")
    return LinalgMatrixExp.apply(A)


# ---- Householder QR pieces -------------------------------------------------------------------

def geqrf(input):
    """LAPACK's geqrf: R on and above the diagonal, the Householder vectors below it, and their
    scales tau (see torch.geqrf). NumPy's qr(mode='raw') is the same LAPACK call."""
    a = input._data
    if a.ndim < 2:
        raise RuntimeError(f"geqrf: The input tensor A must have at least 2 dimensions.")
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"geqrf: Expected a floating point or complex tensor as input. Got "
                           f"{_INT_NAMES.get(str(a.dtype), str(a.dtype))}")
    wide = np.complex128 if a.dtype.kind == "c" else np.float64
    h, tau = np.linalg.qr(a.astype(wide), mode="raw")
    return RT.geqrf((_wrap(np.ascontiguousarray(np.swapaxes(h, -1, -2)).astype(a.dtype)),
                     _wrap(tau.astype(a.dtype))))


def householder_product(A, tau, *, out=None):
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^H with v_i the i-th column
    of A below the diagonal and a 1 on it (LAPACK's orgqr; see
    torch.linalg.householder_product). Built from ember ops, so it is differentiable."""
    from .shape import cat
    m, n = A.shape[-2], A.shape[-1]
    k = tau.shape[-1]
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater "
                           "than or equal to input.shape[-1]")
    if k > n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater "
                           "than or equal to tau.shape[-1]")
    from .._creation import eye
    q = eye(m, n, dtype=A.dtype).expand(A.shape[:-2] + (m, n))
    lead = A.shape[:-2]
    for i in reversed(range(k)):
        below = A[..., i + 1:, i]
        parts = [A.new_zeros(lead + (i,)), A.new_ones(lead + (1,)), below]
        v = cat(parts, -1)                                   # (..., m)
        w = (v.conj().unsqueeze(-2) @ q)                     # (..., 1, n)
        q = q - tau[..., i, None, None] * (v.unsqueeze(-1) @ w)
    return q if out is None else out.copy_(q)


orgqr = householder_product
