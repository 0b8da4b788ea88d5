"""torch.special functions ember lacked: the Hurwitz zeta (and polygamma of any order), modified
Bessel i0/i0e/i1/i1e, erfcx, log_ndtr, ndtri, the regularized incomplete gamma functions
(igamma/igammac = special.gammainc/gammaincc), multigammaln and spherical_bessel_j0.

Forward kernels are float64 NumPy (series, asymptotic expansions, continued fractions) checked
against torch's Cephes-based CPU kernels; backward formulas are torch's derivatives.yaml lines.
ember/special.py serves these names; ember/__init__.py the top-level i0/igamma/igammac."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ..autograd.op import Op
from ..backend import _special
from . import elementwise as E
from ._broadcast import sum_to


def _real(kernel, x):
    if getattr(x, "dtype", None) is not None and x.dtype.kind == "c":
        E._no_kernel(kernel, x.dtype)


def _out(r, x):
    """float64 kernel result in the op's (floating) dtype."""
    return r.astype(x.dtype, copy=False) if hasattr(x, "dtype") else r


# ---- Hurwitz zeta and polygamma ------------------------------------------------------------------

def _bernoulli_ratios(n):
    """(2k)! / B_2k for k = 1..n, the Euler-Maclaurin tail's divisors."""
    from fractions import Fraction
    B = [Fraction(1)]
    for m in range(1, 2 * n + 1):
        B.append(-sum(math.comb(m + 1, k) * B[k] for k in range(m)) / (m + 1))
    return np.array([float(math.factorial(2 * k) / B[2 * k]) for k in range(1, n + 1)])


_ZA = None


def zeta_array(x, q):
    """sum_{k>=0} (k + q)^-x by Euler-Maclaurin (as Cephes zeta): terms up to a = q + N > 9,
    then the integral and 12 Bernoulli corrections. x, q: float64 arrays (broadcast)."""
    global _ZA
    if _ZA is None:
        _ZA = _bernoulli_ratios(12)
    x, q = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(q, np.float64))
    with np.errstate(all="ignore"):
        # direct terms: at least 9, and until a = q + i exceeds 9
        n = np.maximum(9, np.ceil(9 - np.where(np.isfinite(q), q, 0)) + 1)
        n = np.where(np.isfinite(n), n, 9).astype(np.int64)
        nmax = int(n.max()) if n.size else 9
        s = np.power(q, -x)
        a = q.copy()
        b = np.zeros_like(s)
        for i in range(1, nmax + 1):
            on = i <= n
            a = np.where(on, a + 1.0, a)
            b = np.where(on, np.power(a, -x), b)
            s = np.where(on, s + b, s)
        w = a
        s = s + b * w / (x - 1.0) - 0.5 * b
        fa = np.ones_like(s)
        k = 0.0
        for i in range(12):
            fa = fa * (x + k)
            b = b / w
            s = s + fa * b / _ZA[i]
            k += 1.0
            fa = fa * (x + k)
            b = b / w
            k += 1.0
        s = np.where(x == 1, np.inf, s)
        s = np.where(x < 1, np.nan, s)
        bad_q = q <= 0
        s = np.where(bad_q & (q == np.floor(q)), np.inf, s)
        s = np.where(bad_q & (q != np.floor(q)) & (x != np.floor(x)), np.nan, s)
    return s


class Zeta(Op):
    """Hurwitz zeta(x, q); differentiable in q only (torch: -x * zeta(x + 1, q))."""
    node_name = "SpecialZetaBackward0"
    promote = 2

    def forward(self, x, q):
        _real("zeta_cpu", x)
        self.save_inputs(0, 1)
        return _out(zeta_array(x, q), x if hasattr(x, "dtype") else q)

    def backward(self, grad):
        x, q = self.saved_inputs()
        if self.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        gq = grad * -x * zeta(x + 1.0, q)
        return None, sum_to(gq, q.shape) if isinstance(q, Tensor) else None


def zeta(input, other, *, out=None):
    """Hurwitz zeta function (see torch.special.zeta)."""
    if not isinstance(input, Tensor):
        input = E._tensor_of(input, other)
    r = Zeta.apply(input, other)
    return r if out is None else E.write_out(out, r)


def polygamma_array(n, x):
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 2 (torch's CPU kernel)."""
    x = np.asarray(x, np.float64)
    sign = 1.0 if n % 2 else -1.0
    return sign * math.exp(math.lgamma(n + 1.0)) * zeta_array(n + 1.0, x)


# ---- modified Bessel functions of order 0 and 1 --------------------------------------------------

def _bessel_i(x, order, scaled):
    """I_order(x) (order 0 or 1), times exp(-|x|) when scaled: the power series (positive
    terms, no cancellation) below |x| = 30, the asymptotic expansion above."""
    x = np.asarray(x, np.float64)
    ax = np.abs(x)
    out = np.empty_like(ax)
    small = ax <= 30
    xs = ax[small]
    if xs.size:
        z = xs * xs / 4
        term = np.ones_like(xs) if order == 0 else xs / 2
        acc = term.copy()
        for k in range(1, 90):
            term = term * z / (k * (k + order))
            acc = acc + term
        out[small] = acc * np.exp(-xs) if scaled else acc
    xl = ax[~small]
    if xl.size:
        mu = 4.0 * order * order
        term = np.ones_like(xl)
        acc = term.copy()
        for k in range(1, 30):
            term = term * -(mu - (2 * k - 1) ** 2) / (k * 8 * xl)
            acc = acc + term
        with np.errstate(over="ignore"):
            pre = 1 / np.sqrt(2 * np.pi * xl)
            out[~small] = acc * pre if scaled else acc * pre * np.exp(xl)
    if order == 1:
        out = np.copysign(out, x)
    return np.where(np.isnan(x), np.nan, out)


class _BesselI(Op):
    promote = 2
    order, scaled = 0, False

    def forward(self, x):
        _real(type(self).kernel, x)
        self.save_inputs(0)
        self.save_outputs(0)
        return _out(_bessel_i(x, self.order, self.scaled), x)


class I0(_BesselI):
    kernel = "i0_vml_cpu"

    def backward(self, grad):
        x, = self.saved_inputs()
        return grad * i1(x)


class SpecialI0E(_BesselI):
    kernel = "i0e_cpu"
    scaled = True

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        return grad * (i1e(x) - x.sgn() * result)


class SpecialI1(_BesselI):
    kernel = "i1_cpu"
    order = 1

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        # I1' = I0 - I1 / x, which is 1/2 at 0
        safe = x.masked_fill(x == 0, 1)
        return grad * E.where(x == 0, x.new_full((), 0.5), i0(x) - result / safe)


class SpecialI1E(_BesselI):
    kernel = "i1e_cpu"
    order, scaled = 1, True

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        safe = x.masked_fill(x == 0, 1)
        return grad * E.where(x == 0, x.new_full((), 0.5),
                              i0e(x) - result * (x.sgn() + safe.reciprocal()))


def _unary(cls):
    def fn(input, *, out=None):
        r = cls.apply(input)
        return r if out is None else E.write_out(out, r)
    return fn


i0, i0e, i1, i1e = _unary(I0), _unary(SpecialI0E), _unary(SpecialI1), _unary(SpecialI1E)
i0.__doc__ = "Modified Bessel function of the first kind, order 0 (see torch.i0)."


def i0_(input):
    return input.i0_()


# ---- erfcx, log_ndtr, ndtri ----------------------------------------------------------------------

def erfcx_array(x):
    """exp(x^2) erfc(x) without overflow for large x: ember's erfc fit of exp(x^2) erfc(x) on
    [0.5, 10), the asymptotic series beyond, and exp(x^2) * erfc(x) below 0.5."""
    x0 = np.asarray(x, np.float64)
    x = x0.reshape(-1)
    with np.errstate(over="ignore"):
        out = np.exp(x * x) * _special.erfc(x)
    big = x >= 0.5
    if big.any():
        xb = x[big]
        if _special._ERFC is None:
            _special._erfc_pos(np.array([1.0]))   # builds the fit table
        r = np.empty_like(xb)
        m = xb < 10.0
        xm = xb[m]
        idx = ((xm - 0.5) / _special._W).astype(np.intp)
        t = (xm - 0.5 - idx * _special._W) * (2 / _special._W) - 1
        r[m] = _special._clenshaw(_special._ERFC[idx], t)
        xl = xb[~m]
        z = 1 / (2 * xl * xl)
        s = 1 - z * (1 - 3 * z * (1 - 5 * z * (1 - 7 * z * (1 - 9 * z * (1 - 11 * z)))))
        r[~m] = s / (xl * math.sqrt(math.pi))
        out[big] = r
    return np.where(np.isnan(x), np.nan, out).reshape(x0.shape)


class SpecialErfcx(Op):
    promote = 2

    def forward(self, x):
        _real("erfcx_cpu", x)
        self.save_inputs(0)
        self.save_outputs(0)
        return _out(erfcx_array(x), x)

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        return grad * (2 * x * result - 2 / math.sqrt(math.pi))


def log_ndtr_array(x):
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        neg = np.log(erfcx_array(-x / math.sqrt(2)) / 2) - x * x / 2
        pos = np.log1p(-_special.erfc(x / math.sqrt(2)) / 2)
    return np.where(x < 0, neg, pos)


class SpecialLogNdtr(Op):
    promote = 2

    def forward(self, x):
        _real("log_ndtr_cpu", x)
        self.save_inputs(0)
        self.save_outputs(0)
        return _out(log_ndtr_array(x), x)

    def backward(self, grad):
        x, = self.saved_inputs()
        result, = self.saved_outputs()
        # phi(x) / Phi(x), as torch writes it
        return grad / math.sqrt(2 * math.pi) * (-(result + x * x / 2)).exp()


def ndtri_array(p):
    """Inverse of the standard normal CDF: sqrt(2) erfinv(2p - 1), then Newton steps on the
    tail-accurate CDF erfc(-x / sqrt 2) / 2 (so tiny p keep full relative accuracy)."""
    p = np.asarray(p, np.float64)
    with np.errstate(all="ignore"):
        x = math.sqrt(2) * _special.erfinv(2 * p - 1)
        # far tails (2p - 1 rounds to -1): Abramowitz & Stegun 26.2.23 as the first guess
        t = np.sqrt(-2 * np.log(np.where((p > 0) & (p < 1e-8), p, 0.5)))
        tail = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (
            1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t ** 3)
        x = np.where((p > 0) & (p < 1e-8), -tail, x)
        for _ in range(4):
            pdf = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
            # below 0 match the CDF to p; above, the upper tail to 1 - p (no cancellation)
            step = np.where(x < 0, (_special.erfc(-x / math.sqrt(2)) / 2 - p) / pdf,
                            ((1 - p) - _special.erfc(x / math.sqrt(2)) / 2) / pdf)
            x = np.where(np.isfinite(x) & (pdf > 0), x - step, x)
        x = np.where(p == 0, -np.inf, np.where(p == 1, np.inf, x))
    return np.where((p < 0) | (p > 1) | np.isnan(p), np.nan, x)


class SpecialNdtri(Op):
    promote = 2

    def forward(self, x):
        _real("ndtri_cpu", x)
        self.save_outputs(0)
        return _out(ndtri_array(x), x)

    def backward(self, grad):
        result, = self.saved_outputs()
        return grad * math.sqrt(2 * math.pi) * (result * result / 2).exp()


erfcx, log_ndtr, ndtri = _unary(SpecialErfcx), _unary(SpecialLogNdtr), _unary(SpecialNdtri)


# ---- regularized incomplete gamma functions ------------------------------------------------------

def _igam_arrays(a, x):
    """(P(a, x), Q(a, x)): the series for x < a + 1, Lentz's continued fraction otherwise,
    iterated until every element has converged."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    a, x = a.ravel(), x.ravel()
    P = np.full(a.shape, np.nan)
    ok = (a >= 0) & (x >= 0) & ~np.isnan(a) & ~np.isnan(x)
    with np.errstate(all="ignore"):
        logpre = a * np.log(x) - x - _special.lgamma(np.where(a > 0, a, 1.0))
        ser = ok & (x < a + 1) & (a > 0) & (x > 0) & np.isfinite(x)
        if ser.any():
            aa, xx = a[ser], x[ser]
            term = 1 / aa
            acc = term.copy()
            ap = aa.copy()
            for _ in range(100000):
                ap = ap + 1
                term = term * xx / ap
                acc = acc + term
                if np.all(np.abs(term) < np.abs(acc) * 1e-17):
                    break
            P[ser] = acc * np.exp(logpre[ser])
        cf = ok & ~ser & (a > 0) & (x > 0) & np.isfinite(x)
        if cf.any():
            aa, xx = a[cf], x[cf]
            tiny = 1e-300
            b = xx + 1 - aa
            c = np.full_like(xx, 1 / tiny)
            d = 1 / b
            h = d.copy()
            for i in range(1, 100000):
                an = -i * (i - aa)
                b = b + 2
                d = an * d + b
                d = np.where(np.abs(d) < tiny, tiny, d)
                c = b + an / c
                c = np.where(np.abs(c) < tiny, tiny, c)
                d = 1 / d
                delta = d * c
                h = h * delta
                if np.all(np.abs(delta - 1) < 1e-16):
                    break
            P[cf] = 1 - np.exp(logpre[cf]) * h
            Qcf = np.exp(logpre[cf]) * h
        Q = 1 - P
        if cf.any():
            Q[cf] = Qcf
        # edges as torch: x = 0 -> P = 0; a = 0 (x > 0) -> P = 1; x = inf -> P = 1
        P = np.where(ok & (x == 0) & (a > 0), 0.0, P)
        Q = np.where(ok & (x == 0) & (a > 0), 1.0, Q)
        P = np.where(ok & (a == 0) & (x > 0), 1.0, P)
        Q = np.where(ok & (a == 0) & (x > 0), 0.0, Q)
        P = np.where(ok & np.isinf(x) & (a > 0), 1.0, P)
        Q = np.where(ok & np.isinf(x) & (a > 0), 0.0, Q)
        both0 = ok & (a == 0) & (x == 0)
        P, Q = np.where(both0, np.nan, P), np.where(both0, np.nan, Q)
    return P, Q


class Igamma(Op):
    """Regularized lower incomplete gamma P(a, x); differentiable in x only, as torch."""
    promote = 1
    upper = False

    def forward(self, a, x):
        if a.dtype.kind not in "f" and not (hasattr(a, "dtype") and a.dtype.name == "bfloat16"):
            E._no_kernel("igammac_cpu" if self.upper else "igamma_cpu", a.dtype)
        self.save_inputs(0, 1)
        P, Q = _igam_arrays(a, x)
        shape = np.broadcast_shapes(np.shape(a), np.shape(x))
        return (Q if self.upper else P).reshape(shape).astype(a.dtype)

    def backward(self, grad):
        a, x = self.saved_inputs()
        if self.needs_input_grad[0]:
            raise NotImplementedError("the derivative for "
                                      f"'{'igammac' if self.upper else 'igamma'}: input' is not "
                                      "implemented.")
        g = grad * (-x + (a - 1) * x.log() - a.lgamma()).exp()
        return None, sum_to(-g if self.upper else g, x.shape)


class Igammac(Igamma):
    upper = True


def igamma(input, other, *, out=None):
    """Regularized lower incomplete gamma function P(input, other) (see torch.igamma)."""
    r = Igamma.apply(input, other)
    return r if out is None else E.write_out(out, r)


def igammac(input, other, *, out=None):
    """Regularized upper incomplete gamma function Q(input, other) (see torch.igammac)."""
    r = Igammac.apply(input, other)
    return r if out is None else E.write_out(out, r)


# ---- the rest of torch.special's easy names ----------------------------------------------------

def polygamma(n, input, *, out=None):
    return E.polygamma(n, input, out=out)


def multigammaln(input, p, *, out=None):
    from .._torch_ns import mvlgamma
    return mvlgamma(input, p, out=out)


class SpecialSphericalBesselJ0(Op):
    promote = 2

    def forward(self, x):
        _real("spherical_bessel_j0_cpu", x)
        x64 = np.asarray(x, np.float64)
        with np.errstate(all="ignore"):
            r = np.where(np.abs(x64) < 0.5,
                         # Taylor series near 0: sin(x)/x = sum (-x^2)^k / (2k+1)!
                         sum((-x64 * x64) ** k / math.factorial(2 * k + 1) for k in range(12)),
                         np.sin(x64) / x64)
            r = np.where(np.isinf(x64), 0.0, r)
        return _out(r, x)


def _no_grad(fn):
    """torch.special's Bessel family outside i0/i0e/i1/i1e is not differentiable."""
    def wrapped(input, *, out=None):
        from ..autograd.grad_mode import no_grad
        with no_grad():
            return fn(input, out=out)
    wrapped.__name__ = fn.__name__
    return wrapped


spherical_bessel_j0 = _no_grad(_unary(SpecialSphericalBesselJ0))
modified_bessel_i0, modified_bessel_i1 = _no_grad(i0), _no_grad(i1)


def install(T):
    """Tensor methods: i0, igamma, igammac and their in-place twins."""
    from .inplace import make_inplace
    T.i0, T.igamma, T.igammac = i0, igamma, igammac
    T.i0_, T.igamma_, T.igammac_ = (make_inplace(i0), make_inplace(igamma),
                                    make_inplace(igammac))


__all__ = [
    "erfcx",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "igamma",
    "igammac",
    "log_ndtr",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "multigammaln",
    "ndtri",
    "polygamma",
    "spherical_bessel_j0",
    "zeta",
]
