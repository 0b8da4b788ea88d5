"""torch.special: special functions. Most are ember's own top-level functions under their
SciPy-style names (expit is sigmoid, gammaln is lgamma, psi is digamma); entr, ndtr and xlog1py
are built here; zeta, polygamma, i0/i0e/i1/i1e, erfcx, log_ndtr, ndtri, gammainc/gammaincc and
multigammaln come from ember/ops/special_fns.py. The remaining Bessel (j, y, k, airy) and
orthogonal-polynomial families raise NotImplementedError."""
from __future__ import annotations

import math

import numpy as np

import ember as _e
from .autograd.op import Op
from .ops._broadcast import sum_to

erf, erfc, erfinv, exp2, expm1, log1p = _e.erf, _e.erfc, _e.erfinv, _e.exp2, _e.expm1, _e.log1p
digamma, sinc, round, logit, logsumexp, xlogy = (_e.digamma, _e.sinc, _e.round, _e.logit,
                                                 _e.logsumexp, _e.xlogy)
expit, gammaln, psi = _e.sigmoid, _e.lgamma, _e.digamma


def softmax(input, dim, *, dtype=None):
    """See torch.special.softmax."""
    return _e.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """See torch.special.log_softmax."""
    return _e.log_softmax(input, dim, dtype=dtype)


class SpecialEntr(Op):
    """-x * log(x) (0 at x = 0, -inf for x < 0); d/dx = -(1 + log x)."""
    promote = 2

    def forward(self, x):
        self.save_inputs(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = -x * np.log(x)
        r = np.where(x == 0, x.dtype.type(0), r)
        return np.where(x < 0, x.dtype.type(-np.inf), r)

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * -(x.log() + 1)


def entr(input, *, out=None):
    """Elementwise entropy -x log x (see torch.special.entr)."""
    r = SpecialEntr.apply(input)
    return r if out is None else out.copy_(r)


class _MulScalar(Op):
    """tensor * number as ATen's mul.Scalar records it (MulBackward1)."""
    node_name = "MulBackward1"
    promote = 1

    def forward(self, x, s=1.0):
        self.s = s
        return x * x.dtype.type(s)

    def backward(self, grad):
        return grad * self.s

    def vjp(self, grad):
        return grad * grad.dtype.type(self.s)


class _AddScalar(Op):
    """tensor + number as ATen's add.Scalar records it (AddBackward1)."""
    node_name = "AddBackward1"
    promote = 1

    def forward(self, x, s=0.0):
        return x + x.dtype.type(s)

    def backward(self, grad):
        return grad

    def vjp(self, grad):
        return grad


def ndtr(input, *, out=None):
    """The standard normal CDF, (1 + erf(x / sqrt 2)) / 2 (see torch.special.ndtr)."""
    x = input if input.is_floating_point() else input.float()
    r = _MulScalar.apply(_AddScalar.apply(_e.erf(_MulScalar.apply(x, s=1 / math.sqrt(2))),
                                          s=1.0), s=0.5)
    return r if out is None else out.copy_(r)


def _xlog1py_arr(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = x * np.log1p(y)
    return np.asarray(np.where((x == 0) & ~np.isnan(y), r.dtype.type(0), r))


class SpecialXlog1Py(Op):
    """x * log1p(y), 0 where x == 0 unless y is NaN. One node per torch overload: tensor and
    tensor (Backward0), number and tensor (Backward1), tensor and number (Backward2)."""
    promote = 2

    def forward(self, x, y):
        self.save_inputs(0, 1)
        return _xlog1py_arr(x, y)

    def backward(self, grad):
        x, y = self.saved_inputs()
        nx, ny = self.needs_input_grad
        gx = gy = None
        if nx:
            gx = sum_to(grad * _e.log1p(y) if isinstance(y, _e.Tensor) else
                        grad * math.log1p(y), x.shape)
        if ny:
            gy = sum_to(grad * x / (y + 1), y.shape)
        return gx, gy


class _Xlog1pyScalarSelf(Op):
    """xlog1py(number, tensor): the tensor is the node's one input."""
    node_name = "SpecialXlog1PyBackward1"
    promote = 2

    def forward(self, y, x=0.0):
        self.save_inputs(0)
        self.x = x
        return _xlog1py_arr(y.dtype.type(x), y)

    def backward(self, grad):
        y, = self.saved_inputs()
        return grad * self.x / (y + 1)


class _Xlog1pyScalarOther(Op):
    """xlog1py(tensor, number): the tensor is the node's one input."""
    node_name = "SpecialXlog1PyBackward2"
    promote = 2

    def forward(self, x, y=0.0):
        self.y = y
        return _xlog1py_arr(x, x.dtype.type(y))

    def backward(self, grad):
        return grad * math.log1p(self.y)


def xlog1py(input, other, *, out=None):
    """x * log1p(y), 0 where x == 0 unless y is NaN (see torch.special.xlog1py)."""
    if not isinstance(input, _e.Tensor):
        r = _Xlog1pyScalarSelf.apply(other, x=float(input))
    elif not isinstance(other, _e.Tensor):
        r = _Xlog1pyScalarOther.apply(input, y=float(other))
    else:
        r = SpecialXlog1Py.apply(input, other)
    return r if out is None else out.copy_(r)


__all__ = ["digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln",
           "log1p", "log_softmax", "logit", "logsumexp", "ndtr", "psi", "round", "sinc",
           "softmax", "xlog1py", "xlogy"]

_MISSING = {"airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
            "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
            "erfcx", "gammainc", "gammaincc", "hermite_polynomial_h", "hermite_polynomial_he",
            "i0", "i0e", "i1", "i1e", "laguerre_polynomial_l", "legendre_polynomial_p",
            "log_ndtr", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
            "modified_bessel_k1", "multigammaln", "ndtri", "polygamma",
            "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
            "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w",
            "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
            "zeta"}


def __getattr__(name):
    from .ops import special_fns   # zeta, i0/i1(e), erfcx, log_ndtr, ndtri, gammainc, ...
    alias = {"gammainc": "igamma", "gammaincc": "igammac"}.get(name, name)
    if alias in special_fns.__all__:
        return getattr(special_fns, alias)
    if name in _MISSING:
        raise NotImplementedError(f"torch.special.{name} is not implemented in ember")
    raise AttributeError(f"module 'ember.special' has no attribute '{name}' (ember does not "
                         f"implement torch.special.{name})")
