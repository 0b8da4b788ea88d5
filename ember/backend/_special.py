"""Special functions NumPy lacks: erf, erfc, erfinv, lgamma, digamma (float64 accuracy).

erf/erfc use piecewise Chebyshev fits of Python's own math.erf/erfc (built on first use, so
`import ember` stays fast); erfinv refines a closed-form first guess with Halley steps.
"""
from __future__ import annotations

import math

import numpy as np

_W = 0.25          # piece width
_N = 24            # pieces cover [0, 6); beyond, erf = sign(x)
_DEG = 16
_ERF = None        # (coeffs for erf on [0, 6))
_ERFC_TAIL = None  # coeffs for erfcx(x) = exp(x^2) erfc(x) on [6, 30) in 1/x


def _cheb_fit(f, lo, hi, deg):
    k = np.arange(deg + 1)
    nodes = np.cos(np.pi * (k + 0.5) / (deg + 1))
    xs = lo + (nodes + 1) * (hi - lo) / 2
    ys = np.array([f(float(v)) for v in xs])
    c = np.array([2.0 / (deg + 1) * np.sum(ys * np.cos(np.pi * j * (k + 0.5) / (deg + 1)))
                  for j in range(deg + 1)])
    c[0] /= 2
    return c


def _build():
    global _ERF
    _ERF = np.stack([_cheb_fit(math.erf, i * _W, (i + 1) * _W, _DEG) for i in range(_N)])


def _clenshaw(coef, t):
    # coef: (n, deg+1) gathered per element; t in [-1, 1]
    b1 = np.zeros_like(t)
    b2 = np.zeros_like(t)
    t2 = 2 * t
    for j in range(coef.shape[1] - 1, 0, -1):
        b1, b2 = coef[:, j] + t2 * b1 - b2, b1
    return coef[:, 0] + t * b1 - b2


def erf(x):
    """erf of an array, computed in float64 and returned in float64."""
    if _ERF is None:
        _build()
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x).ravel()
    out = np.ones_like(a)
    m = a < _N * _W
    am = a[m]
    idx = (am / _W).astype(np.intp)
    t = (am - idx * _W) * (2 / _W) - 1
    out[m] = _clenshaw(_ERF[idx], t)
    s = a < 0.25
    if s.any():  # Taylor series near 0 keeps the relative error tiny
        z = a[s]
        z2 = z * z
        acc = np.zeros_like(z)
        for n in range(9, -1, -1):
            acc = (-1) ** n / (math.factorial(n) * (2 * n + 1)) + z2 * acc
        out[s] = 2 / math.sqrt(math.pi) * z * acc
    out = out.reshape(x.shape)
    out = np.copysign(out, x)
    return np.where(np.isnan(x), np.nan, out)


def erfc(x):
    """erfc: 1 - erf for x < 0.5; for larger x, a Chebyshev fit of erfc itself (no cancellation)."""
    x0 = np.asarray(x, dtype=np.float64)
    x = x0.reshape(-1)
    out = np.asarray(1.0 - erf(x))
    big = x > 0.5
    if np.any(big):
        xb = x[big]
        out[big] = _erfc_pos(xb)
    return out.reshape(x0.shape)


_ERFC = None


def _erfc_pos(x):
    # erfc(x) = exp(-x^2) * g(x), g smooth; fit g on [0.5, 10) pieces, asymptotic series beyond
    global _ERFC
    if _ERFC is None:
        _ERFC = np.stack([_cheb_fit(lambda v: math.erfc(v) * math.exp(v * v), 0.5 + i * _W,
                                    0.5 + (i + 1) * _W, _DEG) for i in range(38)])
    out = np.empty_like(x)
    m = x < 10.0
    xm = x[m]
    idx = ((xm - 0.5) / _W).astype(np.intp)
    t = (xm - 0.5 - idx * _W) * (2 / _W) - 1
    out[m] = _clenshaw(_ERFC[idx], t) * np.exp(-xm * xm)
    xl = x[~m]
    # asymptotic expansion, accurate to double precision for x >= 10
    z = 1 / (2 * xl * xl)
    s = 1 - z * (1 - 3 * z * (1 - 5 * z * (1 - 7 * z * (1 - 9 * z * (1 - 11 * z)))))
    out[~m] = np.exp(-xl * xl) / (xl * math.sqrt(math.pi)) * s
    return out


def erfinv(y):
    """Inverse of erf on (-1, 1); +-inf at +-1, nan outside."""
    y = np.asarray(y, dtype=np.float64)
    a = 0.147
    ln = np.log1p(-y * y)
    t = 2 / (math.pi * a) + ln / 2
    x = np.copysign(np.sqrt(np.sqrt(t * t - ln / a) - t), y)
    k = 2 / math.sqrt(math.pi)
    for _ in range(3):  # Halley's method: cubic convergence from a 2e-3 first guess
        f = erf(x) - y
        d = k * np.exp(-x * x)
        x = x - f / (d + x * f)
    x = np.where(np.abs(y) == 1, np.copysign(np.inf, y), x)
    return np.where((np.abs(y) > 1) | np.isnan(y), np.nan, x)


def _lgamma1(v):
    try:
        return math.lgamma(v)
    except ValueError:   # the poles 0, -1, -2, ...: torch gives +inf
        return math.inf


def lgamma(x):
    return np.vectorize(_lgamma1, otypes=[np.float64])(np.asarray(x, np.float64))


def digamma(x):
    """psi(x): recurrence up to x >= 6, then the asymptotic series."""
    x = np.asarray(x, dtype=np.float64)
    res = np.zeros_like(x)
    neg = x < 0
    xr = np.where(neg, 1 - x, x)
    acc = np.zeros_like(x)
    while True:
        small = xr < 6
        if not small.any():
            break
        acc = acc - np.where(small, 1 / np.where(small, xr, 1), 0)
        xr = np.where(small, xr + 1, xr)
    inv = 1 / xr
    inv2 = inv * inv
    res = (np.log(xr) - 0.5 * inv - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (
        1 / 240 - inv2 / 132))))) + acc
    res = np.where(neg, res - math.pi / np.tan(math.pi * x), res)
    return np.where(x == 0, -np.inf, np.where((x < 0) & (x == np.floor(x)), np.nan, res))


def trigamma(x):
    """psi'(x) = polygamma(1, x) by ATen's own recipe (so values agree with torch's to the last
    bits): reflection below 1/2, six recurrence steps, then four terms of the asymptotic series."""
    x = np.asarray(x, dtype=np.float64)
    refl = x < 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sin(math.pi * x)
        result = np.where(refl, -(math.pi * math.pi) / (s * s), 0.0)
        x = np.where(refl, 1 - x, x)
        for _ in range(6):
            result = result + 1 / (x * x)
            x = x + 1
        ixx = 1 / (x * x)
        result = result + (1 + 1 / (2 * x) + ixx * (1 / 6 - ixx * (1 / 30 - ixx * (1 / 42)))) / x
    return np.where(refl, -result, result)
