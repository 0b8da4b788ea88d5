"""The Tensor methods that are ember.ops functions: `t.sin()` is `ops.sin(t)`, `t + u` is
`ops.add(t, u)`, `t.add_(u)` is the in-place twin. Installed onto Tensor once, at import."""
from __future__ import annotations

from ._tensor import Tensor
from .ops import elementwise as E, reduction as Rd, shape as S, indexing as I, linalg as L, \
    inplace as IP, random_ops as RO, composite as C


def _r(fn):
    """Reflected binary operator: other OP self."""
    def method(self, other):
        return fn(other, self)
    return method


def _binop(fn):
    def method(self, other):
        if not isinstance(other, (Tensor, int, float, complex, bool)) and not hasattr(
                other, "__index__") and not hasattr(other, "__float__"):
            return NotImplemented
        return fn(self, other)
    return method


def _rsub(self, other):
    return E.rsub(self, other)


def _rtruediv(self, other):
    # torch's other / tensor is reciprocal(tensor) * other (MulBackward0 over
    # ReciprocalBackward0), the reciprocal rounded in the tensor's dtype
    return E.mul(E.reciprocal(self), other)


def _rpow(self, other):
    return E.pow(other, self)


def _rmatmul(self, other):
    return L.matmul(other, self)


def _rfloordiv(self, other):
    return E.floor_divide(E._tensor_of(other, self), self)


def _rmod(self, other):
    return E.remainder(E._tensor_of(other, self), self)


def _rlshift(self, other):
    return E.bitwise_left_shift(E._tensor_of(other, self), self)


def _rrshift(self, other):
    return E.bitwise_right_shift(E._tensor_of(other, self), self)


def _eq(self, other):
    r = E.eq(self, other)
    return False if r is NotImplemented else r


def _ne(self, other):
    r = E.ne(self, other)
    return True if r is NotImplemented else r


def _pos(self):
    if self._data.dtype == bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return self


def _invert(self):
    if self._data.dtype == bool:
        return E.logical_not(self)
    if self._data.dtype.kind not in "iu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return E.bitwise_not(self)


def _and(self, other):
    return E.bitwise_and(self, other)


def _or(self, other):
    return E.bitwise_or(self, other)


def _xor(self, other):
    return E.bitwise_xor(self, other)


def _inplace_binop(fn):
    def method(self, other):
        return fn(self, other)
    return method


def _size_method(name):
    def m(self, *args, **kw):
        return getattr(S, name)(self, *args, **kw)
    m.__name__ = name
    return m


def install():
    T = Tensor
    # operators
    T.__add__ = E.add
    T.__radd__ = E.add
    T.__sub__ = E.sub
    T.__rsub__ = _rsub
    T.__mul__ = E.mul
    T.__rmul__ = E.mul
    T.__truediv__ = E.div
    T.__rtruediv__ = _rtruediv
    T.__floordiv__ = E.floor_divide
    T.__rfloordiv__ = _rfloordiv
    T.__mod__ = E.remainder
    T.__rmod__ = _rmod
    T.__pow__ = E.pow
    T.__rpow__ = _rpow
    T.__matmul__ = L.matmul
    T.__rmatmul__ = _rmatmul
    T.__neg__ = E.neg
    T.__pos__ = _pos
    T.__abs__ = E.abs
    T.__invert__ = _invert
    T.__and__ = T.__rand__ = _and
    T.__or__ = T.__ror__ = _or
    T.__xor__ = T.__rxor__ = _xor
    T.__lshift__ = E.bitwise_left_shift
    T.__rshift__ = E.bitwise_right_shift
    T.__rlshift__ = _rlshift
    T.__rrshift__ = _rrshift
    T.__eq__ = _eq
    T.__ne__ = _ne
    T.__lt__ = E.lt
    T.__le__ = E.le
    T.__gt__ = E.gt
    T.__ge__ = E.ge
    T.__getitem__ = I.getitem
    T.__setitem__ = I.setitem
    T.__iadd__ = IP.add_
    T.__isub__ = IP.sub_
    T.__imul__ = IP.mul_
    T.__itruediv__ = IP.div_
    T.__ipow__ = lambda self, o: IP.inplace_apply(self, E.pow, o)
    T.__ifloordiv__ = lambda self, o: IP.inplace_apply(self, E.floor_divide, o)
    T.__imod__ = lambda self, o: IP.inplace_apply(self, E.remainder, o)
    T.__iand__ = lambda self, o: IP.inplace_apply(self, E.bitwise_and, o)
    T.__ior__ = lambda self, o: IP.inplace_apply(self, E.bitwise_or, o)
    T.__ixor__ = lambda self, o: IP.inplace_apply(self, E.bitwise_xor, o)
    T.__imatmul__ = lambda self, o: IP.inplace_apply(self, L.matmul, o)

    # out-of-place methods that are ops functions with `self` first
    def polygamma(self, n):
        return E.polygamma(n, self)
    T.polygamma = polygamma
    for mod, names in (
        (E, "add sub subtract mul multiply div divide true_divide floor_divide neg negative pow "
            "float_power remainder fmod exp exp2 expm1 log log2 log10 log1p sqrt rsqrt sin cos "
            "tan asin acos atan arcsin arccos arctan sinh cosh tanh asinh acosh atanh arcsinh "
            "arccosh arctanh sigmoid logit erf erfc erfinv lgamma digamma reciprocal abs "
            "absolute sign sgn ceil floor trunc fix frac round clamp clip clamp_min clamp_max "
            "maximum minimum fmax fmin atan2 arctan2 lerp nan_to_num square eq ne lt le gt ge "
            "not_equal less less_equal greater greater_equal equal isnan isinf isfinite "
            "isposinf isneginf isreal signbit isclose allclose logical_and logical_or "
            "logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not "
            "bitwise_left_shift bitwise_right_shift rsub"),
        (Rd, "sum nansum mean nanmean prod var std max min amax amin aminmax argmax argmin all "
             "any count_nonzero logsumexp norm cumsum cumprod cummax cummin sort argsort msort "
             "topk kthvalue median nanmedian mode unique unique_consecutive bincount histc"),
        (S, "view reshape flatten unflatten view_as reshape_as clone contiguous squeeze "
            "unsqueeze transpose swapaxes swapdims t permute movedim moveaxis expand expand_as "
            "broadcast_to repeat tile repeat_interleave select narrow split chunk tensor_split "
            "unbind flip fliplr flipud roll rot90 tril triu diagonal diag diag_embed unfold "
            "as_strided"),
        (I, "gather scatter scatter_add scatter_reduce index_select index_add index_copy "
            "index_fill index_put masked_fill masked_select masked_scatter nonzero argwhere "
            "take take_along_dim"),
        (L, "matmul mm bmm mv dot vdot addmm addmv baddbmm addbmm addr outer ger inner_dot "
            "det slogdet logdet inverse cholesky pinv matrix_power trace kron cross svd qr "
            "kron"),
    ):
        for n in names.split():
            setattr(T, n, getattr(mod, n))
    for n in ("addcmul addcdiv hypot logaddexp logaddexp2 xlogy sinc deg2rad rad2deg copysign "
              "heaviside positive diff ravel dist renorm diagflat split_with_sizes vsplit hsplit "
              "dsplit logcumsumexp quantile nanquantile cov corrcoef relu relu_ softmax "
              "log_softmax is_same_size is_nonzero fill_diagonal_ put_ put").split():
        setattr(T, n, getattr(C, n))
    # (torch has no Tensor.logaddexp_)
    for n in ("addcmul addcdiv hypot xlogy sinc deg2rad rad2deg copysign heaviside renorm"
              ).split():
        setattr(T, n + "_", IP.make_inplace(getattr(C, n)))
    for n in ("absolute arccosh arcsinh arctanh arctan2 bitwise_left_shift bitwise_right_shift "
              "greater greater_equal less less_equal not_equal").split():
        f = getattr(E, n)
        setattr(T, n + "_", IP.make_inplace(
            f if n not in ("greater", "greater_equal", "less", "less_equal", "not_equal") else
            (lambda s, o, f=f: f(s, o).to(s.dtype))))
    T.swapaxes_ = T.swapdims_ = lambda self, a, b: _reshape_inplace(self, S.transpose(self, a, b))
    T.addmv_ = IP.make_inplace(L.addmv)
    T.addr_ = IP.make_inplace(L.addr)
    T.addbmm_ = IP.make_inplace(L.addbmm)
    T.is_inference = lambda self: False
    T.output_nr = property(lambda self: getattr(self, "_out_nr", 0) if self.grad_fn else 0)
    T.new = lambda self, *args, **kw: Tensor(*args, **kw).to(self.dtype) if args else \
        self.new_empty((0,))
    T.inner = L.inner_dot
    T.where = lambda self, condition, other: E.where(condition, self, other)
    T.sum_to_size = lambda self, *size: __import__(
        "ember.ops._broadcast", fromlist=["sum_to"]).sum_to(self, S._shape_args(size))
    T.dim_order = lambda self: tuple(sorted(range(self.dim()), key=lambda d: -self.stride(d)))
    T.is_set_to = lambda self, other: self._data is other._data
    from .ops import extra as X
    T.conj, T.conj_physical = X.conj, X.conj_physical
    T.resolve_conj, T.resolve_neg, T.is_conj, T.is_neg = (X.resolve_conj, X.resolve_neg,
                                                          X.is_conj, X.is_neg)
    def _real(self):
        # torch: select(view_as_real(self), -1, 0), a differentiable view sharing memory
        if not self.is_complex():
            return self
        from .ops.extra import view_as_real
        return S.select(view_as_real(self), -1, 0)

    def _imag(self):
        if not self.is_complex():
            raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
        from .ops.extra import view_as_real
        return S.select(view_as_real(self), -1, 1)
    T.real = property(_real)
    T.imag = property(_imag)

    # methods torch has for ops in ember/ops/extra.py
    from .ops import extra as X
    T.histogram = X.histogram

    # methods for torch's top-level functions in ember/_torch_ns.py
    from . import _torch_ns as NS
    for _name in ("angle", "frexp", "gcd", "lcm", "ldexp", "nextafter", "mvlgamma", "pinverse",
                  "cholesky_inverse", "hardshrink", "prelu"):
        setattr(T, _name, getattr(NS, _name))
    T.adjoint = lambda self: self.mH
    T.matrix_exp = lambda self: L.matrix_exp(self)
    T.geqrf = lambda self: L.geqrf(self)
    T.orgqr = lambda self, tau: L.householder_product(self, tau)
    T.unsafe_chunk = T.chunk
    T.unsafe_split = T.split
    T.narrow_copy = lambda self, dim, start, length: S.narrow(self, dim, start, length).clone()
    for _name in ("is_mps", "is_xpu", "is_ipu", "is_maia", "is_mtia", "is_vulkan", "is_xla"):
        setattr(T, _name, False)   # ember's devices are cpu, cuda and meta

    # in-place twins
    T.add_ = IP.add_
    T.sub_ = T.subtract_ = IP.sub_
    T.mul_ = T.multiply_ = IP.mul_
    T.div_ = T.divide_ = T.true_divide_ = IP.div_
    T.copy_ = IP.copy_
    T.fill_ = IP.fill_
    T.zero_ = IP.zero_
    for n in ("neg pow remainder fmod exp exp2 expm1 log log2 log10 log1p sqrt rsqrt sin cos tan "
              "asin acos atan sinh cosh tanh asinh acosh atanh sigmoid logit erf erfc erfinv "
              "reciprocal abs sign sgn ceil floor trunc frac round clamp clip clamp_min "
              "clamp_max lerp nan_to_num square floor_divide float_power atan2 maximum minimum "
              "logical_and logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor "
              "bitwise_not lgamma digamma negative arcsin arccos arctan fix").split():
        setattr(T, n + "_", IP.make_inplace(getattr(E, n)))
    # clamp_ and float_power_ check the result dtype before computing, with torch's messages
    T.clamp_ = T.clip_ = E.clamp_
    T.float_power_ = E.float_power_
    for n in ("eq ne lt le gt ge").split():
        setattr(T, n + "_", IP.make_inplace(lambda s, o, f=getattr(E, n): f(s, o).to(s.dtype)))
    for n in ("cumsum cumprod").split():
        setattr(T, n + "_", IP.make_inplace(getattr(Rd, n)))
    for n in ("tril triu").split():
        setattr(T, n + "_", IP.make_inplace(getattr(S, n)))
    for n in ("scatter scatter_add index_add index_copy index_fill index_put masked_fill "
              "masked_scatter scatter_reduce").split():
        setattr(T, n + "_", IP.make_inplace(getattr(I, n)))
    T.addmm_ = IP.make_inplace(L.addmm)
    T.baddbmm_ = IP.make_inplace(L.baddbmm)
    T.squeeze_ = lambda self, dim=None: _reshape_inplace(self, S.squeeze(self, dim))
    T.unsqueeze_ = lambda self, dim: _reshape_inplace(self, S.unsqueeze(self, dim))
    T.transpose_ = lambda self, d0, d1: _reshape_inplace(self, S.transpose(self, d0, d1))
    T.t_ = lambda self: _reshape_inplace(self, S.t(self))
    T.resize_ = _resize_
    T.resize_as_ = lambda self, other: _resize_(self, *other.shape)

    # the second API sweep's methods (ember/ops/sweep2.py): installed on first use
    for n in SWEEP2_METHODS:
        setattr(T, n, _LazySweep2(n))

    # random in-place fills
    for n in ("uniform_ normal_ bernoulli_ random_ exponential_ geometric_ cauchy_ "
              "log_normal_ bernoulli multinomial").split():
        setattr(T, n, getattr(RO, n))


# the Tensor methods ember/ops/sweep2.install_methods sets (tests/ops/test_api_sweep2.py checks)
SWEEP2_METHODS = tuple("""apply_ as_strided_ as_strided_scatter cholesky_solve conj_physical_
    diagonal_scatter eig gcd_ i0 i0_ igamma igamma_ igammac igammac_ index_reduce index_reduce_
    istft lcm_ ldexp_ lstsq lu lu_solve map2_ map_ mvlgamma_ new_empty_strided nextafter_
    nonzero_static polygamma_ select_scatter slice_scatter solve stft symeig triangular_solve
    unsafe_split_with_sizes""".split())


class _LazySweep2:
    """A Tensor method from ember/ops/sweep2.py (about 2,000 lines with special_fns.py) before
    that module is loaded: the first lookup imports it, which installs the real methods on
    Tensor. Keeps `import ember` fast."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __get__(self, obj, cls=None):
        from .ops import sweep2
        sweep2.install_methods(Tensor)
        if Tensor.__dict__.get(self.name) is self:
            raise AttributeError(self.name)
        return getattr(Tensor if obj is None else obj, self.name)


def _reshape_inplace(self, r):
    """squeeze_/unsqueeze_/transpose_: change self's shape metadata in place (a view of itself)."""
    self._data = r._data
    if r.grad_fn is not None:
        self.grad_fn = r.grad_fn
        self._out_nr = r._out_nr
    return self


def _resize_(self, *sizes):
    import numpy as np
    from ._deterministic import fill_uninitialized
    shape = S._shape_args(sizes)
    a = self._data
    n = int(np.prod(shape))
    if n == a.size:
        self._data = a.reshape(shape) if a.flags.c_contiguous else np.ascontiguousarray(
            a).reshape(shape)
    else:
        new = np.empty(shape, a.dtype)
        flat = a.reshape(-1)
        k = min(n, a.size)
        new.reshape(-1)[:k] = flat[:k]
        fill_uninitialized(new.reshape(-1)[k:])  # the grown part, as torch's deterministic mode
        self._data = new
    return self
