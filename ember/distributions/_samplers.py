"""ATen's rejection samplers on ember's torch-identical generator: torch._standard_gamma
(Marsaglia-Tsang with the alpha < 1 boost), torch._sample_dirichlet, torch.binomial (BTRS and
inversion), and the reparameterized gradients torch._standard_gamma_grad / _dirichlet_grad.

The samplers consume 53-bit uniforms and cached Box-Muller normals in exactly the order ATen's
serial CPU kernels do; the number of draws is data dependent, so a block is drawn, walked in
Python (math.* is the C library torch calls), and the engine is then rewound and advanced by
exactly what was used. `scalar_t` arithmetic of float32 tensors is emulated with float32 numpy
scalars where ATen computes in float."""
from __future__ import annotations

import ctypes
import math

import numpy as np

import ember as _e

from .. import _random as R
from ..autograd.op import Op

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_f32 = np.float32
_TWO_PI = 2.0 * math.pi
_THIRD_F = _f32(1.0) / _f32(3.0)                  # the float constant `1.0f / 3.0f`
_C0331 = float(_f32(0.0331))                      # the float literal `0.0331f`
_LIBM = []


def _log1pf():
    """The C library's float log1p (std::log1p(float) in ATen's binomial inversion)."""
    if not _LIBM:
        try:
            libm = ctypes.CDLL("libm.so.6")
            fn = libm.log1pf
            fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
        except (OSError, AttributeError):   # pragma: no cover - non-glibc platforms
            def fn(v):
                return float(_f32(math.log1p(v)))
        _LIBM.append(fn)
    return _LIBM[0]


def _check_float(dt, name):
    if dt not in (_F32, _F64):
        raise NotImplementedError(f"\"{name}\" not implemented for '{R._torch_scalar_name(dt)}'")


def _walk(gen, n_hint, walker):
    """Run walker(buf, cache) -> (out, used, cache) over a block of 53-bit uniforms drawn from
    gen, growing the block until it suffices; then leave gen exactly `used` draws further on,
    with the double normal cache as the walk left it."""
    saved = gen.get_state_bytes()
    cache = gen._next_double_normal
    budget = max(64, 4 * n_hint)
    while True:
        buf = R._double53(gen, budget).tolist()
        try:
            out, used, cache_out = walker(buf, cache)
            break
        except IndexError:
            gen.set_state_bytes(saved)
            budget *= 4
    gen.set_state_bytes(saved)
    gen._random(2 * used)
    gen._next_double_normal = cache_out
    return out


# ------------------------------------------------------------------------------------------------
# gamma
# ------------------------------------------------------------------------------------------------

def _gamma_walker(alphas, is_f32):
    log, log1p, sqrt, sin, cos, pow_ = math.log, math.log1p, math.sqrt, math.sin, math.cos, \
        math.pow

    def walk(buf, cache):
        out = []
        i = 0
        for a in alphas:
            scale = 1.0
            if a < 1.0:
                if a == 0.0:
                    out.append(0.0)
                    continue
                u = buf[i]
                i += 1
                if is_f32:   # `1.0f / alpha` and `alpha += 1.0f` are float arithmetic
                    scale = pow_(1 - u, float(_f32(1.0) / _f32(a)))
                    a = float(_f32(a) + _f32(1.0))
                else:
                    scale = pow_(1 - u, 1.0 / a)
                    a = a + 1.0
            d = float(_f32(a) - _THIRD_F) if is_f32 else a - float(_THIRD_F)
            if not d > 0:
                # ATen loops forever on NaN or alpha <= -2/3; give NaN instead
                out.append(math.nan)
                continue
            c = 1.0 / sqrt(9.0 * d)
            while True:
                while True:
                    if cache is not None:
                        x, cache = cache, None
                    else:   # at::normal_distribution<double>: Box-Muller, sin half cached
                        u1, u2 = buf[i], buf[i + 1]
                        i += 2
                        r = sqrt(-2.0 * log1p(-u2))
                        theta = _TWO_PI * u1
                        cache = r * sin(theta)
                        x = r * cos(theta)
                    y = 1.0 + c * x
                    if y > 0:
                        break
                v = y * y * y
                u = 1 - buf[i]
                i += 1
                xx = x * x
                if u < 1.0 - _C0331 * xx * xx:
                    break
                if log(u) < 0.5 * xx + d * (1.0 - v + log(v)):
                    break
            out.append(scale * d * v)
        return out, i, cache
    return walk


def standard_gamma_array(gen, alpha, accumulate_double=False):
    """torch._standard_gamma on an array: Gamma(alpha, 1) samples, at least the dtype's tiny.
    accumulate_double=True is _s_dirichlet's variant (alpha read as double, double output)."""
    alpha = np.asarray(alpha)
    dt = alpha.dtype
    flat = alpha.reshape(-1).astype(np.float64).tolist()
    if not flat:
        return np.zeros(alpha.shape, np.float64 if accumulate_double else dt)
    is_f32 = dt == _F32 and not accumulate_double
    out = np.array(_walk(gen, len(flat), _gamma_walker(flat, is_f32)), np.float64)
    if accumulate_double:
        res, tiny = out, np.finfo(np.float64).tiny
    else:
        res, tiny = out.astype(dt), np.finfo(dt).tiny
    # std::max(min, sample): a NaN sample gives min too
    res = np.where(res > tiny, res, tiny).astype(res.dtype)
    return res.reshape(alpha.shape)


def sample_dirichlet_array(gen, alpha):
    """torch._sample_dirichlet: double gammas normalised over the last dim, clamped into
    [tiny, nextafter(1, 0)] of the dtype."""
    alpha = np.asarray(alpha)
    dt = alpha.dtype
    gamma = standard_gamma_array(gen, alpha, accumulate_double=True)
    total = _torch_lastdim_sum(gamma.reshape(-1, gamma.shape[-1])).reshape(
        gamma.shape[:-1] + (1,))
    ret = (gamma / total).astype(dt)
    lo, hi = np.finfo(dt).tiny, np.nextafter(dt.type(1), dt.type(0))
    ret = np.where(ret > lo, ret, lo)
    return np.where(ret < hi, ret, hi).astype(dt)


def _torch_lastdim_sum(a, lanes=4):
    """Row sums of a C-contiguous float64 (n, k) array in the order of ATen's AVX2
    vectorized_inner_sum: 4-lane vectors summed in 4 interleaved accumulators (cascaded every
    16 groups), the scalar tail first, then the lanes one by one."""
    n, k = a.shape
    nvec = k // lanes
    groups = nvec // 4
    V = a[:, :nvec * lanes].reshape(n, nvec, lanes)
    # multi_row_sum: levels of accumulators, each flushed into the next every 16 groups
    step = 1 << max(4, (max(groups, 1) - 1).bit_length() // 4)
    levels = [np.zeros((4, n, lanes)) for _ in range(4)]
    g = 0
    while g + step <= groups:
        for _ in range(step):
            levels[0] += V[:, 4 * g:4 * g + 4].transpose(1, 0, 2)
            g += 1
        for j in range(1, 4):
            levels[j] += levels[j - 1]
            levels[j - 1][...] = 0
            if g & ((step - 1) << (j * (step.bit_length() - 1))):
                break
    for _ in range(g, groups):
        levels[0] += V[:, 4 * g:4 * g + 4].transpose(1, 0, 2)
        g += 1
    part = levels[0]
    for j in range(1, 4):
        part += levels[j]
    for i in range(groups * 4, nvec):
        part[0] += V[:, i]
    acc = part[0]
    for s in range(1, 4):
        acc = acc + part[s]
    total = np.zeros(n)
    for i in range(nvec * lanes, k):
        total += a[:, i]
    for lane in range(lanes):
        total += acc[:, lane]
    return total


# ------------------------------------------------------------------------------------------------
# binomial
# ------------------------------------------------------------------------------------------------

_TAIL = [0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
         0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
         0.00925546218271273, 0.00833056343336287]


def _stirling_tail(k):
    if k < 10:
        return _TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _binomial_walker(counts, probs, is_f32):
    log, floor, ceil, sqrt = math.log, math.floor, math.ceil, math.sqrt
    log1p = _log1pf() if is_f32 else math.log1p
    F = (lambda v: float(_f32(v))) if is_f32 else float   # rounding to scalar_t

    def inversion(count, prob, buf, i):
        geom_sum, num = 0.0, 0.0
        logprob = log1p(-prob)
        while True:
            geom = ceil(log(buf[i]) / logprob)
            i += 1
            geom_sum += geom
            if geom_sum > count:
                return num, i
            num += 1

    def btrs(count, prob, buf, i):
        stddev = F(sqrt(F(F(count * prob) * F(1 - prob))))
        b = 1.15 + 2.53 * stddev
        a = -0.0873 + 0.0248 * b + 0.01 * prob
        c = F(count * prob) + 0.5
        v_r = 0.92 - 4.2 / b
        r = F(prob / F(1 - prob))
        alpha = (2.83 + 5.1 / b) * stddev
        m = floor(F(F(count + 1) * prob))
        while True:
            U = buf[i] - 0.5
            V = buf[i + 1]
            i += 2
            us = 0.5 - abs(U)
            k = F(floor((2 * a / us + b) * U + c))
            if k < 0 or k > count:
                continue
            if us >= 0.07 and V <= v_r:
                return k, i
            V = log(V * alpha / (a / (us * us) + b))
            upper = ((m + 0.5) * log((m + 1) / (r * (count - m + 1)))
                     + F(count + 1) * log((count - m + 1) / F(F(count - k) + 1))
                     + (k + 0.5) * log(r * F(F(count - k) + 1) / F(k + 1))
                     + _stirling_tail(m) + _stirling_tail(count - m)
                     - _stirling_tail(k) - _stirling_tail(F(count - k)))
            if V <= upper:
                return k, i

    def walk(buf, cache):
        out = []
        i = 0
        for count, prob in zip(counts, probs):
            if count <= 0.0 or prob <= 0.0:
                out.append(0.0)
            elif prob >= 1.0:
                out.append(count)
            elif prob <= 0.5:
                if F(count * prob) >= 10.0:
                    k, i = btrs(count, prob, buf, i)
                else:
                    k, i = inversion(count, prob, buf, i)
                out.append(k)
            elif prob > 0.5:
                q = F(1.0 - prob)
                if F(count * q) >= 10.0:
                    k, i = btrs(count, q, buf, i)
                else:
                    k, i = inversion(count, q, buf, i)
                out.append(F(count - k))
            else:
                out.append(math.nan)
        return out, i, cache
    return walk


def binomial_array(gen, count, prob):
    """torch.binomial(count, prob) on arrays of the same shape and float dtype."""
    count, prob = np.asarray(count), np.asarray(prob)
    dt = count.dtype
    c = count.reshape(-1).astype(np.float64).tolist()
    p = prob.astype(dt).reshape(-1).astype(np.float64).tolist()
    if not c:
        return np.zeros(count.shape, dt)
    out = _walk(gen, len(c), _binomial_walker(c, p, dt == _F32))
    return np.array(out, np.float64).astype(dt).reshape(count.shape)


# ------------------------------------------------------------------------------------------------
# reparameterized gradients (vectorised forms of ATen's per-element formulas)
# ------------------------------------------------------------------------------------------------

_PSI_A = [8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
          -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
          8.33333333333333333333E-2]
_PSI_10 = 2.25175258906672110764


def _digamma_one(x, ft=np.float64):
    """ATen's digamma_one<scalar_t, double>: x steps in scalar_t (ft), the sum in double."""
    x = np.array(x, ft, copy=True)
    one = ft(1)
    with np.errstate(all="ignore"):
        zero = x == 0
        neg_int = (x < 0) & (x == np.floor(x))
        add = np.zeros(x.shape)
        neg = x < 0
        if neg.any():
            pi = ft(math.pi)
            add[neg] = (-pi / np.tan((pi * x[neg]).astype(np.float64)).astype(ft)).astype(
                np.float64)
            x[neg] = one - x[neg]
        result = np.zeros(x.shape)
        while True:
            m = x < 10
            if not m.any():
                break
            result[m] -= (one / x[m]).astype(np.float64)
            x[m] += one
        at10 = x == 10
        xd = x.astype(np.float64)
        z = 1.0 / (x * x).astype(np.float64)
        poly = np.zeros(x.shape)
        for coef in _PSI_A:
            poly = poly * z + coef
        y = np.where(xd < 1.0e17, z * poly, 0.0)
        logx = np.log(xd).astype(ft).astype(np.float64)
        big = result + logx - (ft(0.5) / x).astype(np.float64) - y + add
        out = np.where(at10, result + _PSI_10 + add, big)
        out = np.where(zero | neg_int, np.inf, out)
    return out.astype(ft)


def standard_gamma_grad_array(alpha, x):
    """torch._standard_gamma_grad(alpha, x): -(d/dalpha cdf(x; alpha)) / pdf(x; alpha), by
    ATen's three regimes (Taylor series, Rice saddle point, bivariate rational fit)."""
    dt = x.dtype
    a = np.broadcast_to(alpha, x.shape).astype(np.float64)
    xs = x.astype(np.float64)
    out = np.empty(x.shape, np.float64)
    with np.errstate(all="ignore"):
        small = xs < 0.8
        if small.any():
            xv, av = xs[small], a[small]
            numer = np.ones_like(xv)
            denom = av.copy()
            s1 = numer / denom
            s2 = numer / (denom * denom)
            for i in range(1, 6):
                numer *= -xv / float(i)
                denom += 1
                s1 += numer / denom
                s2 += numer / (denom * denom)
            pxa = np.power(xv, av)
            pdf = np.power(xv, av - 1) * np.exp(-xv)
            cdf = pxa * s1
            cdf_a = (np.log(xv) - _digamma_one(av)) * cdf - pxa * s2
            r = -cdf_a / pdf
            out[small] = np.where(np.isnan(r), 0.0, r)
        rest = ~small
        large = rest & (a > 8.0)
        if large.any():
            xv, av = xs[large], a[large]
            near = (float(_f32(0.9)) * av <= xv) & (xv <= float(_f32(1.1)) * av)
            n1 = 1 + 24 * av * (1 + 12 * av)
            n2 = 1440 * (av * av) + 6 * xv * (53 - 120 * xv) - 65 * xv * xv / av + \
                av * (107 + 3600 * xv)
            d = 1244160 * (av * av) * (av * av)
            saddle_near = n1 * n2 / d
            denom = np.sqrt(8 * av)
            term2 = denom / (av - xv)
            term3 = np.power(xv - av - av * np.log(xv / av), -1.5)
            term23 = np.where(xv < av, term2 - term3, term2 + term3)
            term1 = np.log(xv / av) * term23 - np.sqrt(2 / av) * (av + xv) / (
                (av - xv) * (av - xv))
            stirling = 1 + 1 / (12 * av) * (1 + 1 / (24 * av))
            out[large] = np.where(near, saddle_near, -stirling * (xv * term1) / denom)
        mid = rest & ~large
        if mid.any():
            xv, av = xs[mid], a[mid]
            u = np.log(xv / av)
            v = np.log(av)
            coef = [c0 + u * (c1 + u * c2) for c0, c1, c2 in zip(*_GAMMA_UV)]
            p = coef[0] + v * (coef[1] + v * (coef[2] + v * coef[3]))
            q = coef[4] + v * (coef[5] + v * (coef[6] + v * coef[7]))
            out[mid] = np.exp(p / q)
    return out.astype(dt)


_GAMMA_UV = [
    [0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089,
     0.0014179084],
    [0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113,
     -0.0035938915, -0.00058392623],
    [0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326,
     0.00085092367, -1.5247877e-07]]


def _beta_grad_alpha_small(x, alpha, beta, ft):
    with np.errstate(all="ignore"):
        factor = _digamma_one(alpha, ft) - _digamma_one(alpha + beta, ft) - \
            np.log(x.astype(np.float64)).astype(ft)
        numer = np.ones_like(x)
        series = numer / alpha * (factor + ft(1) / alpha)
        for i in range(1, 11):
            ci = ft(i)
            numer = numer * ((ci - beta) * x / ci)
            denom = alpha + ci
            series = series + numer / denom * (factor + ft(1) / denom)
        res = x * np.power((ft(1) - x).astype(np.float64), (-beta).astype(np.float64)).astype(
            ft) * series
    return np.where(np.isnan(res), ft(0), res).astype(ft)


def _beta_grad_beta_small(x, alpha, beta, ft):
    with np.errstate(all="ignore"):
        factor = _digamma_one(alpha + beta, ft) - _digamma_one(beta, ft)
        numer, betas, dbetas = np.ones_like(x), np.ones_like(x), np.zeros_like(x)
        series = factor / alpha
        for i in range(1, 9):
            ci = ft(i)
            numer = numer * (-x / ci)
            dbetas = dbetas * (beta - ci) + betas
            betas = betas * (beta - ci)
            series = series + numer / (alpha + ci) * (dbetas + factor * betas)
        res = -np.power((ft(1) - x).astype(np.float64), (ft(1) - beta).astype(np.float64)
                        ).astype(ft) * series
    return np.where(np.isnan(res), ft(0), res).astype(ft)


def _beta_grad_alpha_mid(x, alpha, beta):
    with np.errstate(all="ignore"):
        total = alpha + beta
        mean = alpha / total
        std = np.sqrt(alpha * beta / (total + 1)) / total
        near = (mean - 0.1 * std <= x) & (x <= mean + 0.1 * std)
        poly = 47 * x * (beta * beta) * (beta * beta) + alpha * (
            (43 + 20 * (16 + 27 * beta) * x) * (beta * beta) * beta + alpha * (
                3 * (59 + 180 * beta - 90 * x) * (beta * beta) + alpha * (
                    (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (
                        8 * (1 - x) * (135 * beta - 11)))))
        pre_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
        pre_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
        near_val = pre_num / (1 - x) * poly / pre_den
        prefactor = -x / np.sqrt(2 * alpha * beta / total)
        stirling = (1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha)) * \
            (1 + 1 / (12 * beta) + 1 / (288 * beta * beta)) / \
            (1 + 1 / (12 * total) + 1 / (288 * total * total))
        t1n = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * (beta * beta)
        axbx = alpha * (x - 1) + beta * x
        t1d = np.sqrt(2 * alpha / beta) * np.power(total, 1.5) * axbx * axbx
        term1 = t1n / t1d
        term2 = 0.5 * np.log(alpha / (total * x))
        term3 = np.sqrt(8 * alpha * beta / total) / (beta * x + alpha * (x - 1))
        t4b = beta * np.log(beta / (total * (1 - x))) + alpha * np.log(alpha / (total * x))
        term4 = np.power(t4b, -1.5)
        t1234 = term1 + term2 * (term3 + np.where(x < mean, term4, -term4))
        return np.where(near, near_val, stirling * prefactor * t1234)


_DIR_C = np.array([
    [[[1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
      [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
      [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013]],
     [[0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
      [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
      [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05]],
     [[-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
      [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
      [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05]]],
    [[[1, -0.02924021934, -0.04438342661, 0.007285809825],
      [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
      [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149]],
     [[0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
      [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
      [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05]],
     [[0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
      [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
      [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06]]]])


def dirichlet_grad_array(x, alpha, total):
    """torch._dirichlet_grad(x, alpha, total): the scaled reparameterized gradient of
    Beta(alpha, total - alpha) at x, by ATen's regimes (small-x and near-1 Taylor series in
    the tensor's dtype, Rice saddle point and a rational correction in double)."""
    ft = x.dtype.type
    x, alpha, total = np.broadcast_arrays(x, alpha.astype(x.dtype), total.astype(x.dtype))
    x, alpha, total = (np.ascontiguousarray(v) for v in (x, alpha, total))
    out = np.empty(x.shape, x.dtype)
    beta = total - alpha
    boundary = total * x * (ft(1) - x)
    xd, ad, td = x.astype(np.float64), alpha.astype(np.float64), total.astype(np.float64)
    bd = td - ad
    r1 = (x <= 0.5) & (boundary < 2.5)
    r2 = ~r1 & (x >= 0.5) & (boundary < 0.75)
    r3 = ~r1 & ~r2 & (alpha > 6) & (beta > 6)
    r4 = ~(r1 | r2 | r3)
    if r1.any():
        out[r1] = _beta_grad_alpha_small(x[r1], alpha[r1], beta[r1], ft)
    if r2.any():
        out[r2] = -_beta_grad_beta_small(ft(1) - x[r2], beta[r2], alpha[r2], ft)
    if r3.any():
        out[r3] = _beta_grad_alpha_mid(xd[r3], ad[r3], bd[r3]).astype(x.dtype)
    if r4.any():
        with np.errstate(all="ignore"):
            u = np.log(xd[r4])
            a = np.log(ad[r4]) - u
            b = np.log(td[r4]) - a
            pu, pa = [np.ones_like(u), u, u * u], [np.ones_like(a), a, a * a]
            p = np.zeros_like(u)
            q = np.zeros_like(u)
            for i in range(3):
                for j in range(3):
                    ua = pu[i] * pa[j]
                    c0, c1 = _DIR_C[0, i, j], _DIR_C[1, i, j]
                    p += ua * (c0[0] + b * (c0[1] + b * (c0[2] + b * c0[3])))
                    q += ua * (c1[0] + b * (c1[1] + b * (c1[2] + b * c1[3])))
            # digamma_one<scalar_t, double>: its argument is read as scalar_t, its result too
            dg = _digamma_one(total[r4], ft) - _digamma_one(alpha[r4], ft)
            approx = xd[r4] * dg.astype(np.float64) / bd[r4]
            out[r4] = (p / q * approx).astype(x.dtype)
    return out


# ------------------------------------------------------------------------------------------------
# the ops (torch._standard_gamma & co.)
# ------------------------------------------------------------------------------------------------

class StandardGamma(Op):
    """torch._standard_gamma: d/dalpha = _standard_gamma_grad(alpha, result)."""
    node_name = "StandardGammaBackward0"

    def forward(self, alpha, gen=None):
        _check_float(alpha.dtype, "gamma_cpu")
        self.save_inputs(0)
        self.save_outputs(0)
        return standard_gamma_array(gen or R.default_generator, alpha)

    def backward(self, grad):
        alpha, = self.saved_inputs()
        result, = self.saved_outputs()
        return grad * _standard_gamma_grad(alpha, result)


def _standard_gamma(input, generator=None):
    """torch._standard_gamma(alpha): Gamma(alpha, 1) samples with a reparameterized grad."""
    gen = None if generator is None else getattr(generator, "_gen", generator)
    return StandardGamma.apply(input, gen=gen)


def _standard_gamma_grad(self, output):
    """torch._standard_gamma_grad(alpha, x) (no gradient of its own)."""
    _check_float(self._data.dtype, "_standard_gamma_grad_cpu")
    with _e.no_grad():
        return _e.from_numpy(standard_gamma_grad_array(self.detach()._data,
                                                       output.detach()._data))


def _dirichlet_grad(x, alpha, total):
    """torch._dirichlet_grad(x, alpha, total) (no gradient of its own)."""
    _check_float(x._data.dtype, "_dirichlet_grad_cpu")
    return _e.from_numpy(dirichlet_grad_array(x.detach()._data, alpha.detach()._data,
                                              total.detach()._data))


def _sample_dirichlet(input, generator=None):
    """torch._sample_dirichlet(alpha): one Dirichlet draw per row of the last dim."""
    _check_float(input._data.dtype, "dirichlet")
    gen = R.default_generator if generator is None else getattr(generator, "_gen", generator)
    return _e.from_numpy(sample_dirichlet_array(gen, np.ascontiguousarray(input.detach()._data)))


def binomial(count, prob, generator=None):
    """torch.binomial(count, prob): same-shaped float tensors."""
    for name, t in (("count", count), ("prob", prob)):
        if not t.is_floating_point():
            raise ValueError(f"binomial only supports floating-point dtypes for {name}, got: "
                             f"{R._torch_scalar_name(t._data.dtype)}")
    gen = R.default_generator if generator is None else getattr(generator, "_gen", generator)
    c = count.detach()._data
    _check_float(c.dtype, "binomial_cpu")
    return _e.from_numpy(binomial_array(gen, c, np.broadcast_to(prob.detach()._data, c.shape)))
