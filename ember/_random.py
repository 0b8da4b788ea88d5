"""torch's CPU random number generator, reimplemented bit-for-bit on NumPy.

The engine is MT19937 (NumPy's `np.random.MT19937`, seeded with the classic init_genrand), and every
sampler consumes 32/64-bit draws in exactly the order torch 2.13's CPU kernels do, so the same seed
gives the same bits, and states move between torch and ember as the same 5056 raw bytes.
"""
from __future__ import annotations

import math
import os
import warnings

import ml_dtypes
import numpy as np

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "uniform", "normal", "normal_tensor", "randint", "random_", "randperm",
           "bernoulli_scalar", "bernoulli_tensor", "dropout_mask", "exponential", "geometric",
           "cauchy", "log_normal", "multinomial", "poisson"]

_N = 624                         # MT19937 state words
_DEFAULT_SEED = 67280421310721   # c10's default_rng_seed_val: what torch.Generator() starts with
_STATE_BYTES = 5056              # sizeof(CPUGeneratorImplState)
# byte offsets in CPUGeneratorImplState (legacy THGenerator pod + float normal cache)
_OFF_LEFT, _OFF_SEEDED, _OFF_NEXT, _OFF_KEY = 8, 12, 16, 24
_OFF_NORMAL_Y = _OFF_KEY + 8 * _N + 8          # normal_x sits before it and is always 0
_OFF_NORMAL_VALID = _OFF_NORMAL_Y + 16         # after normal_rho
_OFF_FLOAT_NORMAL, _OFF_FLOAT_VALID = 5048, 5052

_BF16 = np.dtype(ml_dtypes.bfloat16)
_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_FLOATS = (_F64, _F32, _F16, _BF16)
_DIGITS = {_F64: 53, _F32: 24, _F16: 11, _BF16: 8}     # std::numeric_limits<T>::digits
_TORCH_NAMES = {_F64: "double", _F32: "float", _F16: "c10::Half", _BF16: "c10::BFloat16",
                np.dtype(np.int64): "long int", np.dtype(np.int32): "int",
                np.dtype(np.int16): "short int", np.dtype(np.int8): "signed char",
                np.dtype(np.uint8): "unsigned char", np.dtype(np.bool_): "bool"}
_TWO_PI_F64 = 2.0 * math.pi
_U64 = np.uint64


# ------------------------------------------------------------------------------------------------
# Generator
# ------------------------------------------------------------------------------------------------

class Generator:
    """torch.Generator for the CPU: an MT19937 engine plus the cached second Box-Muller sample."""

    def __init__(self, device="cpu"):
        if str(device) != "cpu":
            raise RuntimeError(f"ember.Generator supports only the cpu device, got {device!r}")
        self._set_seed(_DEFAULT_SEED)

    device = property(lambda self: "cpu")

    def __getattr__(self, name):
        if name != "_mt":
            raise AttributeError(name)
        mt = np.random.MT19937(0)
        mt._legacy_seeding(self._seed & 0xFFFFFFFF)
        self._mt = mt
        return mt

    def __repr__(self):
        return f"<ember.Generator object at {id(self):#x}>"

    # -- seeding ----------------------------------------------------------------------------------
    def _set_seed(self, seed64):
        # CPUGeneratorImpl::set_current_seed: drop both normal caches, then
        # init_genrand(seed & 0xffffffff); initial_seed() keeps all 64 bits
        self._seed = seed64
        # the engine itself is made on first use: numpy.random costs import time
        self.__dict__.pop("_mt", None)
        self._fresh = True            # torch stores next=0 (not 624) until the first draw
        self._next_double_normal = None
        self._next_float_normal = None

    def manual_seed(self, seed):
        """Generator.manual_seed: negatives wrap to uint64 (-1 -> 2**64-1), as torch does."""
        if isinstance(seed, (np.integer,)):
            raise TypeError("an integer is required")      # torch's C++ unpacker refuses numpy ints
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        if not -(1 << 63) <= seed < (1 << 64):
            raise ValueError("Overflow when unpacking long long")
        self._set_seed(seed & 0xFFFFFFFFFFFFFFFF)
        return self

    def seed(self):
        """Generator.seed: re-seed from 8 bytes of /dev/urandom (c10 getNonDeterministicRandom)."""
        s = int.from_bytes(os.urandom(8), "little")
        self._set_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    # -- state as torch's bytes -------------------------------------------------------------------
    def get_state_bytes(self):
        """Generator.get_state(): the 5056-byte CPUGeneratorImplState (little-endian, 0-padded)."""
        st = self._mt.state["state"]
        pos = int(st["pos"])
        buf = np.zeros(_STATE_BYTES, np.uint8)
        buf[0:8].view(np.uint64)[0] = self._seed
        # torch's engine keeps (left, next) with left + next == 625 after a twist; `left == 1` means
        # "twist before the next draw", which NumPy spells pos == 624.
        if pos >= _N:
            left, nxt = 1, (0 if self._fresh else _N)
        else:
            left, nxt = _N + 1 - pos, pos
        buf[_OFF_LEFT:_OFF_LEFT + 4].view(np.int32)[0] = left
        buf[_OFF_SEEDED:_OFF_SEEDED + 4].view(np.int32)[0] = 1
        buf[_OFF_NEXT:_OFF_NEXT + 8].view(np.uint64)[0] = nxt
        buf[_OFF_KEY:_OFF_KEY + 8 * _N].view(np.uint64)[:] = st["key"]
        if self._next_double_normal is not None:
            buf[_OFF_NORMAL_Y:_OFF_NORMAL_Y + 8].view(np.float64)[0] = self._next_double_normal
            buf[_OFF_NORMAL_VALID:_OFF_NORMAL_VALID + 4].view(np.int32)[0] = 1
        if self._next_float_normal is not None:
            buf[_OFF_FLOAT_NORMAL:_OFF_FLOAT_NORMAL + 4].view(np.float32)[0] = \
                self._next_float_normal
            buf[_OFF_FLOAT_VALID] = 1
        return buf

    def set_state_bytes(self, arr):
        """Generator.set_state(): takes the bytes torch.get_rng_state() gives (uint8, 5056 long)."""
        a = np.asarray(arr)
        if a.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        a = np.ascontiguousarray(a).reshape(-1)
        if a.size != _STATE_BYTES:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found "
                               f"the input RNG state size to be {a.size}")
        seed = int(a[0:8].view(np.uint64)[0])
        left = int(a[_OFF_LEFT:_OFF_LEFT + 4].view(np.int32)[0])
        seeded = int(a[_OFF_SEEDED:_OFF_SEEDED + 4].view(np.int32)[0])
        nxt = int(a[_OFF_NEXT:_OFF_NEXT + 8].view(np.uint64)[0]) & 0xFFFFFFFF
        if not (seeded and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        # torch draws state[next..] until `left` runs out; NumPy only has pos (pos + left == 625)
        # (the only shape torch itself ever produces, besides the freshly seeded left=1/next=0).
        if left == 1:
            pos = _N
        elif left + nxt == _N + 1:
            pos = nxt
        else:
            raise RuntimeError("ember cannot represent an mt19937 state with left + next != 625")
        key = a[_OFF_KEY:_OFF_KEY + 8 * _N].view(np.uint64).astype(np.uint32)  # std::copy truncates
        self._mt.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        self._seed = seed
        self._fresh = left == 1 and nxt == 0
        valid = int(a[_OFF_NORMAL_VALID:_OFF_NORMAL_VALID + 4].view(np.int32)[0])
        self._next_double_normal = (float(a[_OFF_NORMAL_Y:_OFF_NORMAL_Y + 8].view(np.float64)[0])
                                    if valid else None)
        self._next_float_normal = (a[_OFF_FLOAT_NORMAL:_OFF_FLOAT_NORMAL + 4].view(np.float32)[0]
                                   if a[_OFF_FLOAT_VALID] else None)
        return self

    # torch.Generator spelling, for code that round-trips through ember itself
    get_state = get_state_bytes
    set_state = set_state_bytes

    # -- raw draws --------------------------------------------------------------------------------
    def _random(self, n):
        """n outputs of CPUGeneratorImpl::random(): 32-bit MT19937 words, as uint64."""
        if n <= 0:
            return np.empty(0, np.uint64)
        self._fresh = False
        return self._mt.random_raw(n)

    def _random64(self, n):
        """n outputs of CPUGeneratorImpl::random64(): (first draw << 32) | second draw."""
        r = self._random(2 * n)
        return (r[0::2] << _U64(32)) | r[1::2]


default_generator = Generator()
# torch seeds its default CPU generator from /dev/urandom at start-up (getDefaultCPUGenerator)
default_generator.seed()


def manual_seed(seed):
    """torch.manual_seed: int(seed), then seeds the default generator; returns it."""
    return default_generator.manual_seed(int(seed))


def seed():
    """torch.seed: non-deterministic re-seed of the default generator; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """torch.initial_seed."""
    return default_generator.initial_seed()


# ------------------------------------------------------------------------------------------------
# uniform building blocks (at::uniform_real_distribution)
# ------------------------------------------------------------------------------------------------

def _float24(gen, n):
    """uniform_real_distribution<float>(0, 1): (random() & (2^24-1)) * 2^-24 in float32."""
    # through uint32/int32: NumPy's uint64 -> float32 cast has no SIMD loop
    w = gen._random(n).astype(np.uint32)
    np.bitwise_and(w, _U32_LOW24, w)
    u = w.view(np.int32).astype(np.float32)
    np.multiply(u, _K32_2M24, u)
    return u


def _double53(gen, n):
    """uniform_real_distribution<double>(0, 1): (random64() & (2^53-1)) * 2^-53."""
    return (gen._random64(n) & _U64((1 << 53) - 1)).astype(np.float64) * (2.0 ** -53)


def _numel(shape):
    return int(np.prod(shape, dtype=np.int64)) if len(shape) else 1


def _tuple(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _from_double(x, dt):
    """static_cast<scalar_t>(double): Half/BFloat16 only have a float constructor, so go via float.
    Overflow to inf is silent, as in C++."""
    with np.errstate(over="ignore"):
        if dt in (_F16, _BF16):
            return x.astype(np.float32).astype(dt)
        return x.astype(dt)


def _from_int64(x, dt):
    """static_cast<scalar_t>(int64_t): integers wrap, bool is != 0, Half/BFloat16 go via float."""
    if dt == np.bool_:
        return x != 0
    if dt in (_F16, _BF16):
        return x.astype(np.float32).astype(dt)
    return x.astype(dt)


# ------------------------------------------------------------------------------------------------
# exact fused multiply-add (the AVX2 kernels use vfmadd; NumPy has no fma)
# ------------------------------------------------------------------------------------------------

def _round_to_odd_sum(a, b):
    """a + b in float64 rounded to odd (sticky last bit), via TwoSum's exact error term."""
    s = a + b
    bb = s - a
    err = (a - (s - bb)) + (b - bb)
    fix = (err != 0) & ((s.view(np.int64) & 1) == 0)
    if fix.any():
        s = s.copy()
        s[fix] = np.nextafter(s[fix], np.where(err[fix] > 0, np.inf, -np.inf))
    return s


def _as64(x):
    return x.astype(np.float64) if isinstance(x, np.ndarray) else np.float64(x)


_FMA_CHUNK = 32768          # values per pass of _fma32's float64 scratch (measured 8K..64K)
_I64_LOW29, _I64_MID29 = np.array(0x1FFFFFFF, np.int64), np.array(0x10000000, np.int64)


def _fma32(a, b, c):
    """float32 fma(a, b, c) with one rounding. The product is exact in double, and the double sum
    can only round twice wrongly when it lands exactly on a float32 midpoint (low 29 bits
    0x10000000): only those entries are redone with the exact error term, rounded to odd.
    Large inputs (uniform_/normal_ fills) go through cache-sized float64 scratch, in place."""
    ops = []
    for x in (a, b, c):
        x = np.asarray(x)
        ops.append(x if x.ndim else np.array(float(x)))     # 0-d float64: fast ufunc scalars
    shape = np.broadcast_shapes(*(x.shape for x in ops))
    n = _numel(shape)
    # flat operands: full-size 1-D arrays, or 0-d scalars
    a, b, c = (x if not x.ndim else np.ascontiguousarray(np.broadcast_to(x, shape)).reshape(-1)
               for x in ops)
    if not a.ndim:
        a, b = b, a                  # the product commutes: an array operand (if any) goes first
    out = np.empty(n, np.float32)
    k = max(1, min(n, _FMA_CHUNK))
    s = np.empty(k)
    si, t, hit = s.view(np.int64), np.empty(k, np.int64), np.empty(k, np.bool_)
    for lo in range(0, n, k):
        hi = min(lo + k, n)
        if hi - lo != k:
            s, si, t, hit = s[:hi - lo], si[:hi - lo], t[:hi - lo], hit[:hi - lo]
        s[...] = a[lo:hi] if a.ndim else a
        np.multiply(s, b[lo:hi] if b.ndim else b, s)
        np.add(s, c[lo:hi] if c.ndim else c, s)
        np.bitwise_and(si, _I64_LOW29, t)
        np.equal(t, _I64_MID29, hit)
        if hit.any():
            mid = np.flatnonzero(hit)
            pm = ((a[lo:hi][mid] if a.ndim else a).astype(np.float64)
                  * (b[lo:hi][mid] if b.ndim else b))
            cm = np.broadcast_to(c[lo:hi][mid] if c.ndim else c, pm.shape).astype(np.float64)
            s[mid] = _round_to_odd_sum(pm, cm)
        out[lo:hi] = s
    return out.reshape(shape) if shape else out[0]


def _two_prod(a, b):
    """Dekker's exact product: p + e == a * b (no fma needed)."""
    p = a * b
    split = 134217729.0  # 2^27 + 1
    ca = split * a
    ah = ca - (ca - a)
    al = a - ah
    cb = split * b
    bh = cb - (cb - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def _fma64(a, b, c):
    """float64 fma(a, b, c) correctly rounded (Boldo-Melquiond: round-to-odd emulation)."""
    a = np.asarray(a, np.float64)
    b = np.broadcast_to(np.asarray(b, np.float64), a.shape)
    c = np.broadcast_to(np.asarray(c, np.float64), a.shape)
    uh, ul = _two_prod(a, b)
    th = c + uh                                      # TwoSum(c, uh)
    bb = th - c
    tl = (c - (th - bb)) + (uh - bb)
    return th + _round_to_odd_sum(tl, ul)


def _fma_scalar_args(x, std, mean, fma):
    """fma(x, std, mean) with the common std == 1 / mean == 0 cases done directly."""
    if std == 1:
        return x + mean
    if mean == 0:
        return x * std + x.dtype.type(0)   # + 0.0 turns -0 into +0 like fma(.., .., +0) does
    return fma(x, std, mean)


# ------------------------------------------------------------------------------------------------
# AVX2 float32 Box-Muller (NormalFill16<float> with avx_mathfun's log256_ps / sincos256_ps)
# ------------------------------------------------------------------------------------------------

_f = np.float32
_LOG_P = [_f(c) for c in (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1,
                          1.4249322787E-1, -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1,
                          3.3333331174E-1)]
_LOG_Q1, _LOG_Q2, _SQRTHF = _f(-2.12194440e-4), _f(0.693359375), _f(0.707106781186547524)
_DP1, _DP2, _DP3 = _f(-0.78515625), _f(-2.4187564849853515625e-4), _f(-3.77489497744594108e-8)
_SIN_P = [_f(-1.9515295891E-4), _f(8.3321608736E-3), _f(-1.6666654611E-1)]
_COS_P = [_f(2.443315711809948E-005), _f(-1.388731625493765E-003), _f(4.166664568298827E-002)]
_FOPI = _f(1.27323954473516)
_ONE, _HALF = _f(1.0), _f(0.5)


# GCC builds torch's AVX2 kernels with -mfma and contracts every `a * b + c` whose product has no
# other use into one vfmadd (one rounding); _fma32 reproduces each such contraction.

def _log256_ps(x):
    """avx_mathfun log256_ps for x in (0, 1] (Cephes logf), op for op in float32."""
    x = np.maximum(x, _f(1.17549435e-38))
    bits = x.view(np.int32)
    e = ((bits >> 23) - 127).astype(np.float32) + _ONE
    x = ((bits & ~0x7F800000) | 0x3F000000).view(np.float32)   # mantissa in [0.5, 1)
    mask = x < _SQRTHF
    tmp = np.where(mask, x, _f(0))
    x = x - _ONE
    e = e - np.where(mask, _ONE, _f(0))
    x = x + tmp
    z = x * x
    y = _fma32(_LOG_P[0], x, _LOG_P[1])
    for p in _LOG_P[2:]:
        y = _fma32(y, x, p)
    y = y * x
    y = _fma32(y, z, e * _LOG_Q1)
    y = _fma32(-z, _HALF, y)
    return _fma32(e, _LOG_Q2, x + y)


def _sincos256_ps(x):
    """avx_mathfun sincos256_ps (Cephes sinf/cosf with 3-part Pi/4 reduction) in float32."""
    sign_sin = x < 0
    x = np.abs(x)
    j = (x * _FOPI).astype(np.int32)                # cvttps: truncation
    j = (j + 1) & ~1
    y = j.astype(np.float32)
    swap_sin = (j & 4) != 0
    poly = (j & 2) == 0                             # True -> sin takes the sin polynomial
    x = _fma32(y, _DP1, x)
    x = _fma32(y, _DP2, x)
    x = _fma32(y, _DP3, x)
    sign_cos = ((~(j - 2)) & 4) != 0
    sign_sin = sign_sin ^ swap_sin
    z = x * x
    yc = _fma32(_COS_P[0], z, _COS_P[1])
    yc = _fma32(yc, z, _COS_P[2])
    yc = yc * z
    yc = _fma32(yc, z, -(z * _HALF))
    yc = yc + _ONE
    ys = _fma32(_SIN_P[0], z, _SIN_P[1])
    ys = _fma32(ys, z, _SIN_P[2])
    ys = ys * z
    ys = _fma32(ys, x, x)
    s = np.where(poly, ys, yc)
    c = np.where(poly, yc, ys)
    s = np.where(sign_sin, -s, s)
    c = np.where(sign_cos, -c, c)
    return s, c


def _box_muller16_f32(u, mean, std):
    """NormalFill16<float> (AVX2): u is (blocks, 16) float32 uniforms from _float24 (multiples of
    2^-24 in [0, 1)) -> normals, same shape."""
    u = np.ascontiguousarray(u, np.float32)
    out = np.empty(u.shape, np.float32)
    _normal_fill16_f32(u.reshape(-1), out.reshape(-1), mean, std)
    return out


# ---- the fast NormalFill16<float>: the same arithmetic as _log256_ps/_sincos256_ps above, in
# float64 scratch with a float32 rounding only where the AVX code rounds, in place, chunk by chunk
# (~110 array passes per 16 values, ~3x faster than the op-for-op version).
# It relies on its inputs being _float24 uniforms, 2^24 possible values per lane, a domain small
# enough to check exhaustively: for all of them, every contraction's double sum p + c rounds to
# float32 like the fused instruction (so no midpoint repair), and the results equal both the
# op-for-op version and torch's own randn (fed every value through a crafted engine state).
# Steps that go beyond a plain emulation, all exact or checked that way, are marked [domain].

_BM_BLOCKS = 2048       # 16-blocks per chunk: fewer, larger passes beat fitting the scratch
                        # (~1 MB) in L2; measured 512..3072


def _k32(v):
    # 0-d arrays: ufuncs take them much faster than NumPy scalars, and unlike Python floats they
    # keep their dtype, so float32 steps stay float32
    return np.array(v, np.float32)


def _k64(v):
    return np.array(v, np.float64)


def _ki32(v):
    return np.array(v, np.int32)


def _grid_k(e):
    """1.5 * 2^(e+29): adding it rounds anything of magnitude in [2^e, 2^(e+1)) to a multiple of
    2^(e-23), i.e. to float32 in that binade (ties to even), in one float64 add."""
    return 1.5 * 2.0 ** (e + 29)


_K32_ONE, _K32_HALF, _K32_M2, _K32_ZERO = _k32(1.0), _k32(0.5), _k32(-2.0), _k32(0.0)
_K32_2M24 = _k32(2.0 ** -24)
_KI_2P24 = np.array(1 << 24, np.int32)
_U32_LOW24 = np.array(0xFFFFFF, np.uint32)
_KI_SQRTHF_BITS = _ki32(int(_SQRTHF.view(np.int32)))   # 0x3F3504F3
_KI_LOG_BIAS_RAW = _ki32(int(_SQRTHF.view(np.int32)) + (24 << 23))   # for x * 2^24 inputs
_KI_MANT, _KI_1, _KI_NOT1 = _ki32(0x7FFFFF), _ki32(1), _ki32(-2)
_KI_23, _KI_31 = _ki32(23), _ki32(31)
_KU_29, _KU_30 = np.array(29, np.uint32), np.array(30, np.uint32)
_KI_MSB = _ki32(-(1 << 31))
_K64_LOG_P = [_k64(p) for p in _LOG_P]
_K32_Q1, _K32_Q2 = _k32(_LOG_Q1), _k32(_LOG_Q2)
_K32_2PI, _K32_FOPI = _k32(_f(_TWO_PI_F64)), _k32(_FOPI)
_K32_2PI_2M24 = _k32(float(_f(_TWO_PI_F64)) * 2.0 ** -24)    # exact: a power-of-two scaling
_K64_DPSUM = _k64(float(_DP1) + float(_DP2) + float(_DP3))     # exact: 48 bits
# [domain] cos: C0*z + C1 lies in [2^-10, 2^-9) in magnitude, sin: S0*z + S1 in [2^-7, 2^-6)
_KC, _KS = _grid_k(-10), _grid_k(-7)
_K64_C0, _K64_C1K, _K64_KC, _K64_C2 = (_k64(_COS_P[0]), _k64(float(_COS_P[1]) + _KC), _k64(_KC),
                                       _k64(_COS_P[2]))
_K64_S0, _K64_S1K, _K64_KS, _K64_S2 = (_k64(_SIN_P[0]), _k64(float(_SIN_P[1]) + _KS), _k64(_KS),
                                       _k64(_SIN_P[2]))
_K64_HALF = _k64(0.5)


class _BMScratch:
    """Lane-sized scratch for _normal_fill16_f32 (h lanes: h/8 blocks of 16 values)."""
    __slots__ = ("C", "Ci", "Cv", "D0", "D1", "D2", "E", "IB", "IBu", "J", "Ju", "R", "Ri", "Rv",
                 "S", "Si", "Sv", "T", "Ti", "W", "W64", "Wb", "X", "Xi", "Z", "h", "rbias")

    def __init__(self, h, arrays=None):
        self.h = h
        if arrays is None:
            arrays = ([np.empty(h, np.float32) for _ in range(7)]
                      + [np.empty(h, np.int32) for _ in range(2)]
                      + [np.empty(h) for _ in range(3)])
        (self.R, self.X, self.Z, self.E, self.T, self.S, self.C, self.J, self.IB,
         self.D0, self.D1, self.D2) = arrays
        self.Ri, self.Xi, self.Si, self.Ci, self.Ti = (
            a.view(np.int32) for a in (self.R, self.X, self.S, self.C, self.T))
        self.Ju, self.IBu = self.J.view(np.uint32), self.IB.view(np.uint32)
        self.Rv, self.Sv, self.Cv = (a.view("V32") for a in (self.R, self.S, self.C))  # 8 lanes
        self.W = None                      # raw words as uint32 (_bm_load_raw)
        self.rbias = None                  # bits offset of R (see the loaders)
        self.W64 = self.Wb = None          # int64 / bool scratch of the general fma(x, std, mean)

    def head(self, h):
        """The first h lanes of every buffer."""
        return _BMScratch(h, [a[:h] for a in (self.R, self.X, self.Z, self.E, self.T, self.S,
                                              self.C, self.J, self.IB, self.D0, self.D1,
                                              self.D2)])


def _normal_fill16_f32(u, out, mean, std, gen=None):
    """NormalFill16<float> into out (1-D float32, 16*blocks values) from float32 uniforms u (from
    _float24, same length) or, with u=None, from as many fresh draws of gen, taken chunk by chunk
    (the same stream as _float24(gen, out.size), without the full-size temporaries)."""
    nblk = out.size // 16
    if not nblk:
        return
    bc = min(nblk, _BM_BLOCKS)
    buf = _BMScratch(8 * bc)
    std, mean = _f(std), _f(mean)
    mode = "add" if std == 1 else "mul" if mean == 0 else "fma"
    k_std, k_mean = _k32(std), _k32(mean)
    ov = out.view("V32").reshape(nblk, 2)
    uv = None if u is None else u.view("V32").reshape(nblk, 2)
    for b0 in range(0, nblk, bc):
        b1 = min(b0 + bc, nblk)
        sc = buf if b1 - b0 == bc else buf.head(8 * (b1 - b0))
        if uv is None:
            _bm_load_raw(sc, gen._random(16 * (b1 - b0)))
        else:
            _bm_load_uniform(sc, uv[b0:b1])
        _bm_chunk(sc, ov[b0:b1], mode, k_mean, k_std)


def _bm_load_uniform(b, src):
    """R = 1 - u (lanes 0-7), S = theta = 2 pi u (lanes 8-15); src: (blocks, 2) 8-lane rows."""
    b.Rv[...] = src[:, 0]
    np.subtract(_K32_ONE, b.R, b.R)              # exact
    b.rbias = _KI_SQRTHF_BITS
    b.Sv[...] = src[:, 1]
    np.multiply(b.S, _K32_2PI, b.S)


def _bm_load_raw(b, raw):
    """_bm_load_uniform from raw random() words: u = m * 2^-24 with m the low 24 bits, so
    1 - u = (2^24 - m) * 2^-24 and 2 pi u = m * (2 pi * 2^-24), each rounded once like the
    float32 ops."""
    if b.W is None or b.W.size != raw.size:
        b.W = np.empty(raw.size, np.uint32)
    W = b.W
    W[...] = raw
    np.bitwise_and(W, _U32_LOW24, W)
    Wv = W.view("V32").reshape(-1, 2)
    b.IB.view("V32")[...] = Wv[:, 0]
    b.J.view("V32")[...] = Wv[:, 1]
    np.subtract(_KI_2P24, b.IB, b.IB)
    b.R[...] = b.IB                              # 2^24 - m: R is (1 - u) * 2^24 ...
    b.rbias = _KI_LOG_BIAS_RAW                   # ... which _bm_chunk's bit steps allow for
    b.S[...] = b.J
    np.multiply(b.S, _K32_2PI_2M24, b.S)


def _bm_chunk(b, dst, mode, k_mean, k_std):
    """One chunk, R and S loaded: normals into dst, (blocks, 2) views of 8-lane rows."""
    mul, add, sub = np.multiply, np.add, np.subtract
    band, bxor, shl, shr = np.bitwise_and, np.bitwise_xor, np.left_shift, np.right_shift
    R, X, Z, E, T, S, C, J, IB = b.R, b.X, b.Z, b.E, b.T, b.S, b.C, b.J, b.IB
    D0, D1, D2 = b.D0, b.D1, b.D2
    P = _K64_LOG_P

    # -- radius = sqrt(-2 * log256_ps(1 - u)) on lanes 0-7 --
    # frexp with the mantissa folded into [sqrt(.5), sqrt(2)) (Cephes' `x < SQRTHF` branch):
    # e and x come out exactly as the masked AVX steps give them
    sub(b.Ri, b.rbias, IB)
    band(IB, _KI_MANT, b.Xi)
    add(b.Xi, _KI_SQRTHF_BITS, b.Xi)
    shr(IB, _KI_23, IB)
    E[...] = IB                          # e
    sub(X, _K32_ONE, X)                  # x
    mul(X, X, Z)                         # z = x * x
    D0[...] = X
    mul(D0, P[0], D1)                    # y = fma(p0, x, p1)
    add(D1, P[1], D1)
    for p in P[2:]:                      # y = fma(y, x, p): exact product, double sum, round
        R[...] = D1
        D1[...] = R
        mul(D1, D0, D1)
        add(D1, p, D1)
    R[...] = D1
    mul(R, X, R)                         # y = y * x
    mul(E, _K32_Q1, T)                   # y = fma(y, z, e * q1)
    D1[...] = R
    D2[...] = Z
    mul(D1, D2, D1)
    D0[...] = T
    add(D1, D0, D1)
    R[...] = D1
    mul(Z, _K32_HALF, Z)                 # y = fma(-z, 0.5, y): the product is exact
    sub(R, Z, R)
    add(R, X, R)                         # fma(e, q2, x + y): e * q2 is exact
    mul(E, _K32_Q2, E)
    add(R, E, R)
    mul(R, _K32_M2, R)
    np.sqrt(R, R)

    # -- sincos256_ps(2 pi u) on lanes 8-15 (theta >= 0: the input sign bit is always clear) --
    mul(S, _K32_FOPI, T)
    J[...] = T                           # cvttps: truncation
    add(J, _KI_1, J)
    band(J, _KI_NOT1, J)
    # x = fma(y, dp1, x); x = fma(y, dp2, x); x = fma(y, dp3, x) with y = j <= 8: the first two
    # are exact (y * dp1, y * dp2 and the sums fit in 24 bits), and theta + j * (dp1 + dp2 + dp3)
    # is exact in double, so the three steps are one rounding of it
    D0[...] = S
    D1[...] = J
    mul(D1, _K64_DPSUM, D1)
    add(D0, D1, D0)
    S[...] = D0
    D0[...] = S                          # x (double copy)
    mul(S, S, Z)                         # z
    D1[...] = Z
    mul(D1, _K64_C0, D2)                 # cos: fma(c0, z, c1), rounded by _grid_k's add/sub
    add(D2, _K64_C1K, D2)
    sub(D2, _K64_KC, D2)
    mul(D2, D1, D2)                      # fma(y, z, c2)
    add(D2, _K64_C2, D2)
    C[...] = D2
    mul(C, Z, C)                         # y * z
    D2[...] = C                          # fma(y, z, -(z * 0.5)) as (y - 0.5) * z [domain]
    sub(D2, _K64_HALF, D2)
    mul(D2, D1, D2)
    C[...] = D2
    add(C, _K32_ONE, C)
    mul(D1, _K64_S0, D2)                 # sin: fma(s0, z, s1), rounded by _grid_k's add/sub
    add(D2, _K64_S1K, D2)
    sub(D2, _K64_KS, D2)
    mul(D2, D1, D2)                      # fma(y, z, s2)
    add(D2, _K64_S2, D2)
    S[...] = D2
    mul(S, Z, S)                         # y * z
    D2[...] = S                          # fma(y, x, x)
    mul(D2, D0, D2)
    add(D2, D0, D2)
    S[...] = D2
    # polynomial swap where j & 2, sign of sin from j & 4, of cos from (j + 2) & 4, which for
    # even j is (j & 4) ^ (j & 2): bit masks on the float bits
    Si, Ci, Ti = b.Si, b.Ci, b.Ti
    shl(b.Ju, _KU_30, b.IBu)
    shr(IB, _KI_31, IB)                  # all ones where j & 2
    bxor(Si, Ci, Ti)
    band(Ti, IB, Ti)                     # sin ^ cos where swapped, else 0
    shl(b.Ju, _KU_29, b.Ju)
    band(J, _KI_MSB, J)                  # sign bit where j & 4
    bxor(Ti, J, Ti)
    bxor(Si, Ti, Si)
    bxor(Ci, Ti, Ci)
    band(IB, _KI_MSB, IB)
    bxor(Ci, IB, Ci)

    mul(C, R, C)                         # radius * cos, radius * sin
    mul(S, R, S)
    if mode == "add":                    # fma(x, 1, mean)
        add(C, k_mean, C)
        add(S, k_mean, S)
    elif mode == "mul":                  # fma(x, std, 0): + 0 turns -0 into +0
        for V in (C, S):
            mul(V, k_std, V)
            add(V, _K32_ZERO, V)
    else:
        for V in (C, S):
            _fma32_lanes(b, V, k_std, k_mean)
    dst[:, 0] = b.Cv
    dst[:, 1] = b.Sv


def _fma32_lanes(b, V, k_std, k_mean):
    """V = fma(V, std, mean) in place on float32 lanes, with _fma32's midpoint repair."""
    if b.W64 is None:
        b.W64, b.Wb = np.empty(b.h, np.int64), np.empty(b.h, np.bool_)
    s, t, hit = b.D0, b.W64, b.Wb
    s[...] = V
    np.multiply(s, k_std, s)             # float32 * float32: exact in double
    np.add(s, k_mean, s)
    np.bitwise_and(s.view(np.int64), _I64_LOW29, t)
    np.equal(t, _I64_MID29, hit)
    if hit.any():
        mid = np.flatnonzero(hit)
        pm = V[mid].astype(np.float64) * float(k_std)
        s[mid] = _round_to_odd_sum(pm, np.full(pm.shape, float(k_mean)))
    V[...] = s


def _box_muller16_f64(u, mean, std):
    """NormalFill16<double> (scalar): std::log/cos/sin from libm, then std::fma."""
    u1 = 1.0 - u[:, :8]
    u2 = u[:, 8:]
    radius = np.sqrt(-2.0 * np.log(u1))
    theta = _TWO_PI_F64 * u2
    out = np.empty_like(u)
    out[:, :8] = radius * np.cos(theta)
    out[:, 8:] = radius * np.sin(theta)
    return _fma_scalar_args(out, float(std), float(mean), _fma64)


def _normal_seq(gen, n):
    """n draws of at::normal_distribution<double>(0, 1) one after another (Box-Muller in pairs,
    the sin half cached in the generator and returned by the next call)."""
    out = np.empty(n, np.float64)
    i = 0
    if n and gen._next_double_normal is not None:
        out[0] = gen._next_double_normal
        gen._next_double_normal = None
        i = 1
    m = n - i
    if m:
        k = (m + 1) // 2
        u = _double53(gen, 2 * k)
        u1, u2 = u[0::2], u[1::2]                   # u1 is drawn first
        r = np.sqrt(-2.0 * np.log1p(-u2))
        theta = _TWO_PI_F64 * u1
        pairs = np.empty((k, 2))
        pairs[:, 0] = r * np.cos(theta)
        pairs[:, 1] = r * np.sin(theta)
        flat = pairs.reshape(-1)
        out[i:] = flat[:m]
        if m % 2:
            gen._next_double_normal = float(flat[m])
    return out


# ------------------------------------------------------------------------------------------------
# argument checks shared by the samplers (torch's messages)
# ------------------------------------------------------------------------------------------------

def _check_float(dt, what):
    if dt not in _FLOATS:
        raise NotImplementedError(f"\"{what}\" not implemented for '{_torch_scalar_name(dt)}'")


def _torch_scalar_name(dt):
    return {_F64: "Double", _F32: "Float", _F16: "Half", _BF16: "BFloat16",
            np.dtype(np.int64): "Long", np.dtype(np.int32): "Int", np.dtype(np.int16): "Short",
            np.dtype(np.int8): "Char", np.dtype(np.uint8): "Byte", np.dtype(np.uint16): "UInt16",
            np.dtype(np.uint32): "UInt32", np.dtype(np.uint64): "UInt64",
            np.dtype(np.bool_): "Bool"}.get(dt, str(dt))


def _limits(dt):
    if dt in _FLOATS:
        fi = ml_dtypes.finfo(dt) if dt == _BF16 else np.finfo(dt)
        return float(fi.min), float(fi.max)
    if dt == np.bool_:
        return 0, 1
    ii = np.iinfo(dt)
    return int(ii.min), int(ii.max)


# ------------------------------------------------------------------------------------------------
# samplers
# ------------------------------------------------------------------------------------------------

def uniform(gen, shape, npdtype, low=0.0, high=1.0):
    """torch.rand / Tensor.uniform_(low, high): x = bits * 2^-digits, fma(x, high - low, low) in
    float (double for float64), cast, and a value that rounded up to `high` becomes `low`."""
    shape, dt = _tuple(shape), np.dtype(npdtype)
    _check_float(dt, "check_uniform_bounds")
    lo, hi = _limits(dt)
    name = _TORCH_NAMES[dt]
    low, high = float(low), float(high)
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not lo <= high <= hi:
        raise RuntimeError(f"to is out of bounds for {name}")
    if not low <= high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={low:g} > to={high:g}")
    if not high - low <= hi:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<"
                           f"{_torch_scalar_name(dt)}>::max(), but found to={high:g} and "
                           f"from={low:g} which result in "
                           f"to-from to exceed the limit")
    n = _numel(shape)
    if dt == _F64:
        v = _fma_scalar_args(_double53(gen, n), high - low, low, _fma64)
        v[v == high] = low
        return v.reshape(shape)
    frm, to = np.float32(low), np.float32(high)
    if dt == _F32:
        return _uniform_f32(gen, n, frm, to).reshape(shape)
    v = _fma_scalar_args(_float24(gen, n), to - frm, frm, _fma32)   # opmath: float
    v = _from_double(v, dt)
    to_s, frm_s = _from_double(to, dt), _from_double(frm, dt)
    v[v == to_s] = frm_s
    return v.reshape(shape)


def _uniform_f32(gen, n, frm, to):
    """uniform()'s float32 values, chunk by chunk from the raw words: x = m * 2^-24 (m the low
    24 bits), fma(x, to - from, from) as _fma_scalar_args does it, `to` -> `from`."""
    rng = to - frm
    mode = "add" if rng == 1 else "mul" if frm == 0 else "fma"
    out = np.empty(n, np.float32)
    k = max(1, min(n, _FMA_CHUNK))
    W, hit = np.empty(k, np.uint32), np.empty(k, np.bool_)
    Wi = W.view(np.int32)
    k_frm, k_rng, k_to = _k32(frm), _k32(rng), _k32(to)
    if mode == "fma":
        D, I = np.empty(k), np.empty(k, np.int64)
        k_scale, k_frm64 = _k64(float(rng) * 2.0 ** -24), _k64(frm)   # m * scale: exact
    for lo in range(0, n, k):
        hi = min(lo + k, n)
        if hi - lo != k:
            W, Wi, hit = W[:hi - lo], Wi[:hi - lo], hit[:hi - lo]
            if mode == "fma":
                D, I = D[:hi - lo], I[:hi - lo]
        o = out[lo:hi]
        W[...] = gen._random(hi - lo)
        np.bitwise_and(W, _U32_LOW24, W)
        if mode == "fma":
            D[...] = Wi
            np.multiply(D, k_scale, D)
            np.add(D, k_frm64, D)
            np.bitwise_and(D.view(np.int64), _I64_LOW29, I)
            np.equal(I, _I64_MID29, hit)
            if hit.any():                    # see _fma32
                mid = np.flatnonzero(hit)
                pm = W[mid].astype(np.float64) * float(k_scale)
                D[mid] = _round_to_odd_sum(pm, np.full(pm.shape, float(frm)))
            o[...] = D
        else:
            o[...] = Wi
            np.multiply(o, _K32_2M24, o)
            if mode == "add":
                np.add(o, k_frm, o)
            else:
                np.multiply(o, k_rng, o)
                np.add(o, _K32_ZERO, o)
        np.equal(o, k_to, hit)
        if hit.any():
            o[hit] = frm
    return out


def normal(gen, shape, npdtype, mean=0.0, std=1.0, contiguous=True, out=None):
    """torch.randn / Tensor.normal_(mean, std). numel >= 16: normal_fill (uniforms, Box-Muller in
    blocks of 16, the ragged tail redone on 16 fresh uniforms); else the cached scalar
    Box-Muller. A non-contiguous target (Tensor.normal_ on a view) always takes the scalar path,
    drawn in memory order, as torch's kernel does. `out`: an optional C-contiguous float32
    array of this shape that the float32 fill (numel >= 16) writes in place, returning a view
    of it (Tensor.normal_: no temporary and no copy)."""
    shape, dt = _tuple(shape), np.dtype(npdtype)
    if dt.kind == "c":
        # torch fills the real view (real, imag interleaved) with std / sqrt(2)
        real = np.float32 if dt == np.complex64 else np.float64
        if not float(std) >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {float(std):g}")
        r = normal(gen, shape + (2,), real, mean, float(std) / math.sqrt(2), contiguous)
        return np.ascontiguousarray(r).view(dt).reshape(shape)
    _check_float(dt, "normal_kernel_cpu")
    mean, std = float(mean), float(std)
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    n = _numel(shape)
    if n == 0:
        return np.empty(shape, dt)
    if n < 16 or not contiguous:
        v = _fma_scalar_args(_normal_seq(gen, n), std, mean, _fma64)   # val * std + mean, fused
        return _from_double(v, dt).reshape(shape)
    full = n // 16 * 16
    if dt == _F64:
        u = _double53(gen, n)                        # written into the output first ...
        out = np.empty(n, np.float64)
        out[:full] = _box_muller16_f64(u[:full].reshape(-1, 16), mean, std).reshape(-1)
        if n != full:                                # ... then the last 16 are redrawn
            out[n - 16:] = _box_muller16_f64(_double53(gen, 16).reshape(1, 16), mean, std)[0]
        return out.reshape(shape)
    # float32 fills all n uniforms in place first; half/bfloat16 use a 16-float stack buffer, so
    # they draw only the full blocks before the tail.
    if out is None or dt != _F32 or out.dtype != _F32 or out.shape != shape or \
            not out.flags.c_contiguous:
        out = np.empty(n, np.float32)
    else:
        out = out.reshape(-1)           # a view: the fills below land in the caller's array
    _normal_fill16_f32(None, out[:full], mean, std, gen)
    if n != full:
        if dt == _F32:
            gen._random(n - full)             # uniforms of the ragged end, then overwritten
        _normal_fill16_f32(None, out[n - 16:], mean, std, gen)
    return (out if dt == _F32 else _from_double(out, dt)).reshape(shape)


def normal_tensor(gen, mean, std, npdtype=None):
    """torch.normal(mean, std) with a tensor mean and/or std: standard normals of the broadcast
    shape (normal_(0, std) when std is a float), then `* std` and `+ mean` as separate ops."""
    m_arr, s_arr = isinstance(mean, np.ndarray), isinstance(std, np.ndarray)
    if not (m_arr or s_arr):
        raise TypeError("normal_tensor needs mean or std to be an ndarray")
    if s_arr and std.size and not (std.min() >= 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not s_arr and not float(std) >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {float(std):g}")
    if npdtype is None:
        npdtype = mean.dtype if m_arr else std.dtype
    dt = np.dtype(npdtype)
    if m_arr and not s_arr:                          # normal(Tensor mean, float std)
        out = normal(gen, mean.shape, dt, 0.0, float(std))
        return _binop(out, mean, np.add, dt)
    shape = np.broadcast_shapes(mean.shape if m_arr else (), std.shape)
    out = normal(gen, shape, dt, 0.0, 1.0)
    out = _binop(out, std, np.multiply, dt)
    return _binop(out, mean if m_arr else _from_double(np.asarray(float(mean)), dt), np.add, dt)


def _binop(a, b, op, dt):
    """a `op` b the way an in-place CPU binary kernel does it: reduced floats compute in float32."""
    b = np.asarray(b)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if dt in (_F16, _BF16):
            return op(a.astype(np.float32), b.astype(np.float32)).astype(dt)
        return op(a, b.astype(dt)).astype(dt)


def _cast_back_int64(v, dt):
    """static_cast<int64_t>(static_cast<scalar_t>(v)); an out-of-range float gives INT64_MIN, as
    cvttsd2si does on x86."""
    with np.errstate(over="ignore"):
        f = float(np.float64(v).astype(np.float32).astype(dt)) if dt in (_F16, _BF16) else float(
            np.float64(v).astype(dt))
    return int(f) if math.isfinite(f) and -2.0 ** 63 <= f < 2.0 ** 63 else -(1 << 63)


def _update_from(frm, dt):
    """native::templates::update_from: move `from` right until it survives the cast to dt."""
    f1 = _cast_back_int64(frm + 1, dt)
    if f1 < frm:
        n = abs(frm + 1).bit_length() - 1
        frm = f1 + (1 << (n - _DIGITS[dt] + 1))
    return frm


def _update_to(to, dt):
    """native::templates::update_to: move `to` left until to - 1 survives the cast to dt."""
    t1 = _cast_back_int64(to - 1, dt)
    if t1 >= to:
        n = abs(to - 1).bit_length() - 1
        to = t1 - (1 << (n - _DIGITS[dt] + 1))
    return to


def _check_from_to(frm, to_inc, dt):
    """native::templates::check_from_to_in_range, including its precision warning for floats."""
    lo, hi = _limits(dt)
    name = _TORCH_NAMES.get(dt, str(dt))
    if not lo <= frm <= hi:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not lo <= to_inc <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")
    if dt in _FLOATS:
        d = _DIGITS[dt]
        for var, what in ((frm, "from"), (to_inc, "to - 1")):
            if var < -(1 << d) or var > (1 << d):
                warnings.warn(f"{what} is out of bounds [-(2^{d}), 2^{d}]. Due to precision "
                              f"limitations {name} can support discrete uniform distribution only "
                              "within this range. This warning will become an error in version 1.7 "
                              "release, please fix the code in advance", UserWarning, stacklevel=3)


def _random_from_to(gen, n, rng, base):
    """uniform_int_from_to_distribution: random64() when range >= 2^28 else random(), then
    (v % range + base) in uint64 arithmetic, reinterpreted as int64."""
    v = gen._random64(n) if rng >= (1 << 28) else gen._random(n)
    return ((v % _U64(rng)) + _U64(base & 0xFFFFFFFFFFFFFFFF)).view(np.int64)


def randint(gen, low, high, shape, npdtype=np.int64):
    """torch.randint(low, high, shape) / Tensor.random_(low, high): see _random_from_to."""
    shape, dt = _tuple(shape), np.dtype(npdtype)
    low, high = int(low), int(high)
    if not low < high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    if dt in _FLOATS:
        low, high = _update_from(low, dt), _update_to(high, dt)
        if not low < high:
            raise RuntimeError("random_ expects 'from' casted to dtype to be less than 'to' "
                               f"casted to dtype, but got from={low} >= to={high}")
    _check_from_to(low, high - 1, dt)
    n = _numel(shape)
    if n == 0:
        return np.empty(shape, dt)
    return _from_int64(_random_from_to(gen, n, high - low, low), dt).reshape(shape)


def random_(gen, shape, npdtype, low=None, high=None):
    """Tensor.random_(): no bounds -> [0, 2^digits] for floats, [0, max] for integers (bool: bit 0);
    random64() for float64/int64, random() otherwise. `low` alone is Tensor.random_(from, None)
    ([from, max]; from=-2**63 is the full 64-bit range); `high` is Tensor.random_([from,] to)."""
    shape, dt = _tuple(shape), np.dtype(npdtype)
    if high is not None:
        return randint(gen, 0 if low is None else low, high, shape, dt)
    n = _numel(shape)
    if low is not None:                              # random_(from): [from, max]
        low = int(low)
        if low == -(1 << 63):                        # full 64-bit range: random64 reinterpreted
            if dt not in (np.dtype(np.int64), _F64, _F32, _BF16):
                raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, "
                                   "double, float and bfloat16")
            return _from_int64(gen._random64(n).view(np.int64), dt).reshape(shape)
        if dt in _FLOATS:
            to_inc = 1 << _DIGITS[dt]
            low = _update_from(low, dt)
            if not low < to_inc:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than or "
                                   "equal to 'to_inc' casted to dtype, but got "
                                   f"from={low} > to_inc={to_inc}")
        else:
            to_inc = _limits(dt)[1]
        _check_from_to(low, to_inc, dt)
        if n == 0:
            return np.empty(shape, dt)
        return _from_int64(_random_from_to(gen, n, to_inc - low + 1, low), dt).reshape(shape)
    if n == 0:
        return np.empty(shape, dt)
    if dt == np.bool_:
        return (gen._random(n) & _U64(1)).astype(np.bool_).reshape(shape)
    if dt in _FLOATS:
        mod = (1 << _DIGITS[dt]) + 1
        v = (gen._random64(n) if dt == _F64 else gen._random(n)) % _U64(mod)
        return _from_int64(v.astype(np.int64), dt).reshape(shape)
    if dt == np.int64:
        return (gen._random64(n) % _U64(1 << 63)).astype(np.int64).reshape(shape)
    if dt not in (np.dtype(np.int8), np.dtype(np.uint8), np.dtype(np.int16), np.dtype(np.int32)):
        raise NotImplementedError(
            f"\"random_kernel_cpu\" not implemented for '{_torch_scalar_name(dt)}'")
    mod = int(np.iinfo(dt).max) + 1
    return (gen._random(n) % _U64(mod)).astype(dt).reshape(shape)


_RANDPERM_SMALL = 0xFFFFFFFF // 20       # torch keeps the classic swap loop below this n


def _apply_swaps(j):
    """The permutation left by `for i: swap(a[i], a[j[i]])` on a = arange(n), with j[i] >= i.

    Short inputs run the loop on a Python list. Long ones avoid the O(n) interpreter loop: position
    i is final after step i and holds what step i fetched from j[i]; what sits at a position p >= i
    is the value v[t] sent there by the latest earlier step t with j[t] == p (or p itself), and
    v[t] (the value at t when step t runs) follows the same rule, so v is found by pointer jumping
    over "latest earlier step targeting me" links."""
    n = j.size
    if n <= 2000:
        perm = list(range(n))
        for i, k in enumerate(j.tolist()):
            perm[i], perm[k] = perm[k], perm[i]
        return np.array(perm, np.int64)
    t = np.arange(n)
    order = np.argsort(j, kind="stable")          # grouped by target, steps ascending within
    js = j[order]
    same = js[1:] == js[:-1]
    prev = np.full(n, -1)                         # previous step with the same target
    prev[order[1:]] = np.where(same, order[:-1], -1)
    is_last = np.append(~same, True)
    last_of = np.full(n, -1)                      # last step targeting each position
    last_of[js[is_last]] = order[is_last]
    self_swap = j == t
    # v[i] = v[parent[i]]: the latest step before i that targeted position i (steps t targeting i
    # have t <= i; t == i is step i itself, so then take its predecessor in the group)
    parent = np.where(self_swap, prev, last_of)
    ptr = np.where(parent >= 0, parent, t)
    active = np.flatnonzero(ptr != t)
    while active.size:          # pointer jumping; a root r (ptr[r] == r) is the value itself
        nxt = ptr[ptr[active]]
        ptr[active] = nxt
        active = active[ptr[nxt] != nxt]
    fetched = np.where(prev >= 0, ptr[np.maximum(prev, 0)], j)
    return np.where(self_swap, ptr, fetched)


def randperm(gen, n, npdtype=np.int64):
    """torch.randperm(n): n < 2^32/20: Fisher-Yates, position i swapped with i + random() % (n-i);
    larger n: the inside-out shuffle with random64() % (i+1)."""
    n, dt = int(n), np.dtype(npdtype)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if dt == np.bool_:
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    # check_supported_max_int_with_precision
    if dt == _F16 and n > 2049:
        raise RuntimeError("n cannot be greater than 2049 for Half type.")
    if dt == _F32 and n > (1 << 24) + 1:
        raise RuntimeError("n cannot be greater than 2^24+1 for Float type.")
    if dt.kind in "iu" and n - 1 > np.iinfo(dt).max:
        cname = {1: "int8_t", 2: "int16_t", 4: "int", 8: "long"}[dt.itemsize]
        raise RuntimeError(f"value cannot be converted to type {'u' * (dt.kind == 'u')}{cname} "
                           "without overflow")
    if n < _RANDPERM_SMALL:
        if n <= 1:
            return _from_int64(np.arange(n), dt)
        # the draws do not depend on the permutation, so make them all at once
        j = (gen._random(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).astype(np.int64)
        j += np.arange(n - 1)
        return _from_int64(_apply_swaps(np.append(j, n - 1)), dt)
    z = (gen._random64(n) % np.arange(1, n + 1, dtype=np.uint64)).tolist()
    perm = list(range(n))
    for i, k in enumerate(z):
        perm[i] = perm[k]
        perm[k] = i
    return _from_int64(np.array(perm, np.int64), dt)


def _check_p(p, what="bernoulli_"):
    if not 0 <= p <= 1:
        raise RuntimeError(f"{what} expects p to be in [0, 1], but got p={p:g}")


def bernoulli_scalar(gen, shape, p, npdtype):
    """Tensor.bernoulli_(p) / torch.bernoulli(x, p): one uniform double (random64) per element,
    1 where u < p. (torch 2.13's CPU kernel has no MKL/VSL branch any more, on any CPU vendor.)"""
    shape, dt = _tuple(shape), np.dtype(npdtype)
    p = float(p)
    _check_p(p)
    n = _numel(shape)
    if n == 0:
        return np.empty(shape, dt)
    return (_double53(gen, n) < p).astype(dt).reshape(shape)


def bernoulli_tensor(gen, probs, npdtype=None):
    """torch.bernoulli(probs) / Tensor.bernoulli_(p_tensor): per element u < p, u a 53-bit double
    when p is float64, else a 24-bit float compared with float(p). For self.bernoulli_(p) with a
    smaller p, pass np.broadcast_to(p, self.shape) (torch expands p to self first)."""
    probs = np.asarray(probs)
    dt = np.dtype(npdtype) if npdtype is not None else probs.dtype
    n = probs.size
    if n == 0:
        return np.empty(probs.shape, dt)
    if probs.dtype == _F64:
        p = probs.reshape(-1)
        u = _double53(gen, n)
    else:
        p = probs.reshape(-1).astype(np.float32)
        u = _float24(gen, n)
    # bernoulli_distribution's constructor check, per element
    bad = ~((p >= 0) & (p <= 1))
    if bad.any():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an enhancement "
                           "request to PyTorch.)")
    return (u < p).astype(dt).reshape(probs.shape)


def dropout_mask(gen, shape, p, npdtype=np.float32):
    """The keep-mask of F.dropout(x, p, training=True) on CPU: empty_like(x).bernoulli_(1 - p).
    F.dropout(x) == x * (mask / (1 - p)); p == 0 and p == 1 draw nothing. For Dropout2d/3d pass
    the feature-noise shape (N, C, 1, 1[, 1])."""
    shape, dt = _tuple(shape), np.dtype(npdtype)
    p = float(p)
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0:
        return np.ones(shape, dt)
    if p == 1:
        return np.zeros(shape, dt)
    return bernoulli_scalar(gen, shape, 1 - p, dt)


def exponential(gen, shape, npdtype, lambd=1.0):
    """Tensor.exponential_(lambd): -1/lambd * log1p(-u), u a 53-bit double, cast to dtype."""
    shape, dt = _tuple(shape), np.dtype(npdtype)
    lambd = float(lambd)
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    if dt not in _FLOATS:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{_torch_scalar_name(dt)}")
    v = (-1.0 / lambd) * np.log1p(-_double53(gen, _numel(shape)))
    return _from_double(v, dt).reshape(shape)


def geometric(gen, shape, npdtype, p):
    """Tensor.geometric_(p): ceil(log(u) / log1p(-p)), u a 53-bit double, cast to dtype."""
    shape, dt = _tuple(shape), np.dtype(npdtype)
    p = float(p)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    with np.errstate(divide="ignore"):
        v = np.ceil(np.log(_double53(gen, _numel(shape))) / math.log1p(-p))
    if dt in _FLOATS:
        return _from_double(v, dt).reshape(shape)
    return _from_int64(v.astype(np.int64), dt).reshape(shape) if dt != np.bool_ else (
        (v != 0).reshape(shape))


def cauchy(gen, shape, npdtype, median=0.0, sigma=1.0):
    """Tensor.cauchy_(median, sigma): median + sigma * tan(pi * (u - 0.5)) in double (fused)."""
    shape, dt = _tuple(shape), np.dtype(npdtype)
    median, sigma = float(median), float(sigma)
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    if dt not in _FLOATS:
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{_TORCH_NAMES.get(dt, dt)}")
    t = np.tan(math.pi * (_double53(gen, _numel(shape)) - 0.5))
    v = _fma_scalar_args(t, sigma, median, _fma64)   # median + sigma * t, fused
    return _from_double(v, dt).reshape(shape)


def log_normal(gen, shape, npdtype, mean=1.0, std=2.0):
    """Tensor.log_normal_(mean, std): exp(mean + std * z), z from the cached scalar Box-Muller."""
    shape, dt = _tuple(shape), np.dtype(npdtype)
    mean, std = float(mean), float(std)
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    _check_float(dt, "log_normal_cpu")
    with np.errstate(over="ignore"):
        v = np.exp(_fma_scalar_args(_normal_seq(gen, _numel(shape)), std, mean, _fma64))
    return _from_double(v, dt).reshape(shape)


def multinomial(gen, probs, num_samples, replacement=False):
    """torch.multinomial. Without replacement, or a single sample: q ~ Exp(1) in probs' dtype, then
    argmax/topk of probs / q. With replacement: per row a sequential cumsum normalised by its sum,
    and each sample is the first bucket whose cumulative value is >= a 53-bit uniform."""
    probs = np.asarray(probs)
    dt = probs.dtype
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if dt not in _FLOATS:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_torch_scalar_name(dt)}")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = probs.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if n_cat > (1 << 24):
        raise RuntimeError("number of categories cannot exceed 2^24")
    if dt == _F16:
        raise RuntimeError("multinomial is not implemented for half on CPU")
    rows = probs.reshape(-1, n_cat)
    out_shape = (num_samples,) if probs.ndim == 1 else (rows.shape[0], num_samples)
    if rows.size == 0 or rows.shape[0] == 0:
        return np.empty(out_shape, np.int64)
    if not replacement or num_samples == 1:
        # Gumbel-max in exponential form: argmax/topk of p / q with q ~ Exp(1)
        pf = rows.astype(np.float64)
        if not (np.all(pf < np.inf) and np.all(pf >= 0)):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if np.any(pf.sum(axis=1) == 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        q = exponential(gen, rows.shape, dt, 1.0)
        q = _binop(rows, q, np.divide, dt).astype(np.float64)
        if num_samples == 1:
            idx = np.argmax(q, axis=1)[:, None]      # first index of the maximum
        else:
            idx = np.stack([_topk_indices(r, num_samples) for r in q])
        return idx.astype(np.int64).reshape(out_shape)
    acc = np.float32 if dt in (_F16, _BF16) else dt.type
    vals = rows.astype(acc)
    if not np.all(vals >= 0):  # NaN fails this test too, and torch reports it as "< 0"
        raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
    if not np.all(np.isfinite(vals)):
        raise RuntimeError("invalid multinomial distribution (encountering probability entry = "
                           "infinity or NaN)")
    cum = np.cumsum(vals, axis=1, dtype=acc)        # ufunc accumulate: strictly left to right
    total = cum[:, -1:].copy()
    if np.any(total <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    cum /= total
    cum[:, -1] = 1
    u = _double53(gen, rows.shape[0] * num_samples).reshape(rows.shape[0], num_samples)
    idx = np.empty(u.shape, np.int64)
    for r in range(rows.shape[0]):
        idx[r] = np.searchsorted(cum[r].astype(np.float64), u[r], side="left")
    return idx.reshape(out_shape)


def _topk_indices(row, k):
    """Indices of torch.topk(row, k) on CPU. Distinct values have one answer (numpy's sort); when
    values tie within the top k + 1, the order is whatever libstdc++'s nth_element + sort (or
    partial_sort when k * 64 <= n) leave, so replay those algorithms exactly."""
    order = np.argsort(-row, kind="stable")
    top = row[order[:k + 1]]
    if not np.any(top[1:] == top[:-1]):
        return order[:k]
    q = list(zip(row.tolist(), range(row.size)))
    n = len(q)
    if k * 64 <= n:
        _stl_partial_sort(q, 0, k, n)
    else:
        _stl_nth_element(q, 0, k - 1, n)
        _stl_sort(q, 0, k - 1)             # torch sorts only the first k - 1 (the k-th is in place)
    return np.array([j for _, j in q[:k]], np.int64)


# libstdc++ (GCC 13) <algorithm> internals, with comp(x, y) = x.value > y.value -----------------

def _stl_adjust_heap(a, first, hole, length, value):
    top = child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if a[first + child][0] > a[first + child - 1][0]:
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if (length & 1) == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2                  # __push_heap
    while hole > top and a[first + parent][0] > value[0]:
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


def _stl_heap_select(a, first, middle, last):
    n = middle - first
    if n >= 2:                                # __make_heap
        for parent in range((n - 2) // 2, -1, -1):
            _stl_adjust_heap(a, first, parent, n, a[first + parent])
    for i in range(middle, last):
        if a[i][0] > a[first][0]:             # __pop_heap(first, middle, i)
            value = a[i]
            a[i] = a[first]
            _stl_adjust_heap(a, first, 0, n, value)


def _stl_partial_sort(a, first, middle, last):
    _stl_heap_select(a, first, middle, last)
    while middle - first > 1:                 # __sort_heap
        middle -= 1
        value = a[middle]
        a[middle] = a[first]
        _stl_adjust_heap(a, first, 0, middle - first, value)


def _stl_partition_pivot(a, first, last):
    mid = first + (last - first) // 2
    i1, i2, i3 = first + 1, mid, last - 1     # __move_median_to_first
    x1, x2, x3 = a[i1][0], a[i2][0], a[i3][0]
    if x1 > x2:
        k = i2 if x2 > x3 else (i3 if x1 > x3 else i1)
    else:
        k = i1 if x1 > x3 else (i3 if x2 > x3 else i2)
    a[first], a[k] = a[k], a[first]
    pivot = a[first][0]                       # __unguarded_partition
    lo, hi = first + 1, last
    while True:
        while a[lo][0] > pivot:
            lo += 1
        hi -= 1
        while pivot > a[hi][0]:
            hi -= 1
        if not lo < hi:
            return lo
        a[lo], a[hi] = a[hi], a[lo]
        lo += 1


def _stl_linear_insert(a, i):
    val = a[i]
    j = i - 1
    while val[0] > a[j][0]:
        a[i] = a[j]
        i, j = j, j - 1
    a[i] = val


def _stl_insertion_sort(a, first, last):
    for i in range(first + 1, last):
        if a[i][0] > a[first][0]:
            val = a[i]
            a[first + 1:i + 1] = a[first:i]
            a[first] = val
        else:
            _stl_linear_insert(a, i)


def _stl_introsort_loop(a, first, last, depth):
    while last - first > 16:
        if depth == 0:
            _stl_partial_sort(a, first, last, last)
            return
        depth -= 1
        cut = _stl_partition_pivot(a, first, last)
        _stl_introsort_loop(a, cut, last, depth)
        last = cut


def _stl_sort(a, first, last):
    if last - first < 2:
        return
    _stl_introsort_loop(a, first, last, 2 * ((last - first).bit_length() - 1))
    if last - first > 16:                     # __final_insertion_sort
        _stl_insertion_sort(a, first, first + 16)
        for i in range(first + 16, last):
            _stl_linear_insert(a, i)
    else:
        _stl_insertion_sort(a, first, last)


def _stl_nth_element(a, first, nth, last):
    if first == last or nth == last:
        return
    depth = 2 * ((last - first).bit_length() - 1)
    while last - first > 3:                   # __introselect
        if depth == 0:
            _stl_heap_select(a, first, nth + 1, last)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        cut = _stl_partition_pivot(a, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _stl_insertion_sort(a, first, last)


_LGAMMA = []


def _c_lgamma():
    """std::lgamma from the C library (CPython's math.lgamma is its own implementation); loaded on
    first use, falling back to math.lgamma where no libm can be opened."""
    if not _LGAMMA:
        import ctypes
        import ctypes.util
        try:
            libm = ctypes.CDLL("libm.so.6")
        except OSError:   # pragma: no cover - non-glibc platforms
            name = ctypes.util.find_library("m")
            libm = ctypes.CDLL(name) if name else None
        if libm is not None:
            libm.lgamma.restype = ctypes.c_double
            libm.lgamma.argtypes = [ctypes.c_double]
            _LGAMMA.append(libm.lgamma)
        else:             # pragma: no cover
            _LGAMMA.append(math.lgamma)
    return _LGAMMA[0]


def poisson(gen, rates):
    """torch.poisson(rates): per element sample_poisson(double(rate)): Knuth's product of uniforms
    below 10, Hoermann's transformed rejection (PTRS) from 10 on; uniforms are 53-bit doubles."""
    rates = np.asarray(rates)
    dt = rates.dtype
    _check_float(dt, "poisson_cpu")
    lam = rates.reshape(-1).astype(np.float64).tolist()
    if any(not x >= 0 for x in lam):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    # the number of uniforms each element takes is data dependent: draw a generous block, walk it,
    # then rewind and advance the engine by exactly what was used
    saved = gen.get_state_bytes()
    budget = max(64, 4 * len(lam))
    while True:
        buf = _double53(gen, budget).tolist()
        try:
            out, used = _poisson_walk(lam, buf)
            break
        except IndexError:
            gen.set_state_bytes(saved)
            budget *= 4
    gen.set_state_bytes(saved)
    gen._random(2 * used)
    return _from_double(np.array(out, np.float64), dt).reshape(rates.shape)


def _poisson_walk(lam, buf):
    log, exp, sqrt, floor = math.log, math.exp, math.sqrt, math.floor
    lgamma = _c_lgamma()
    out = []
    i = 0
    for L in lam:
        if L >= 10:
            slam, loglam = sqrt(L), log(L)
            b = 0.931 + 2.53 * slam
            a = -0.059 + 0.02483 * b
            invalpha = 1.1239 + 1.1328 / (b - 3.4)
            vr = 0.9277 - 3.6224 / (b - 2)
            while True:
                U = buf[i] - 0.5
                V = buf[i + 1]
                i += 2
                us = 0.5 - abs(U)
                k = floor((2 * a / us + b) * U + L + 0.43)
                if us >= 0.07 and V <= vr:
                    break
                if k < 0 or (us < 0.013 and V > us):
                    continue
                if (log(V) + log(invalpha) - log(a / (us * us) + b)) <= (
                        -L + k * loglam - lgamma(k + 1.0)):
                    break
            out.append(k)
        elif L == 0:
            out.append(0)
        else:
            enlam = exp(-L)
            X = 0
            prod = 1.0
            while True:
                prod *= buf[i]
                i += 1
                if prod > enlam:
                    X += 1
                else:
                    break
            out.append(X)
    return out, i
