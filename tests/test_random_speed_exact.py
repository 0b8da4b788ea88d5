"""Bit-exactness of the fast float32 normal/uniform fills (ember/_random.py) against torch's CPU
generator: randn / normal_ / nn.init on awkward and large sizes, non-default mean/std (including
ones that need the fma midpoint repair), views, float64/half/bfloat16, and the AVX2 Box-Muller
over a wide sample of its 2^24-value input domain, fed to torch through an injected MT state.
"""
import ml_dtypes
import numpy as np
import pytest
import torch

import ember
from ember import _random as R

SEEDS = [0, 1, 2, 3]
BF16 = np.dtype(ml_dtypes.bfloat16)


def raw_bits(x):
    """The raw bits of a torch or ember tensor (or array) as unsigned integers."""
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            return x.contiguous().view(torch.int16).numpy().view(np.uint16)
        x = x.contiguous().numpy()
    elif isinstance(x, ember.Tensor):
        x = np.ascontiguousarray(x._data)
    x = np.ascontiguousarray(x)
    return x.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[x.dtype.itemsize])


def assert_bits(e, t):
    a, b = raw_bits(e), raw_bits(t)
    assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
    bad = np.flatnonzero(a.reshape(-1) != b.reshape(-1))
    assert bad.size == 0, f"{bad.size} elements differ, first at {bad[:5]}"


def assert_same_state():
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), torch.get_rng_state().numpy())


def both(seed, fn):
    torch.manual_seed(seed)
    t = fn(torch)
    ember.manual_seed(seed)
    e = fn(ember)
    return e, t


# ---- randn / normal_ ------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", [15, 16, 17, 31, 16384, 16399, 1000003])
def test_randn_float32_sizes(seed, n):
    e, t = both(seed, lambda T: T.randn(n))
    assert_bits(e, t)
    assert_same_state()
    e2, t2 = ember.rand(5), torch.rand(5)     # the stream continues identically
    assert_bits(e2, t2)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ms", [(0.0, 1.0), (0.0, 0.37), (1.5, 1.0), (-0.3, 2.7), (2.0, 0.0),
                                (0.0, 0.0), (1e-30, 3.0), (-1e-30, 5.0), (1000.0, 1e-3)])
def test_normal_mean_std_float32(seed, ms):
    # (1e-30, 3) and (-1e-30, 5): the double sum lands on float32 midpoints all the time, so the
    # round-to-odd repair runs (plain double rounding differs from torch on ~15% of the values)
    mean, std = ms
    for n in (17, 50001):
        e, t = both(seed, lambda T, n=n: T.empty(n).normal_(mean, std))
        assert_bits(e, t)
        assert_same_state()


@pytest.mark.parametrize("seed", SEEDS)
def test_normal_noncontiguous_views(seed):
    def views(T):
        base = T.zeros(40, 66)
        a = base[:, ::2].normal_(0.5, 2.0)             # strided rows
        b = T.zeros(33, 20).t().normal_()              # transposed: drawn in memory order
        c = T.zeros(4, 8, 16).permute(2, 0, 1).normal_(-1.0, 0.25)
        return base, a, b, c
    e, t = both(seed, views)
    for x, y in zip(e, t):
        assert_bits(x, y)
    assert_same_state()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dt", [torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("n", [15, 16, 17, 1000003])
def test_randn_other_dtypes(seed, dt, n):
    edt = getattr(ember, str(dt).split(".")[1])
    torch.manual_seed(seed)
    t = torch.randn(n, dtype=dt)
    ember.manual_seed(seed)
    e = ember.randn(n, dtype=edt)
    assert_bits(e, t)
    assert_same_state()


@pytest.mark.parametrize("seed", SEEDS)
def test_randn_generator_argument(seed):
    tg, eg = torch.Generator().manual_seed(seed), ember.Generator().manual_seed(seed)
    assert_bits(ember.randn(3, 1001, generator=eg), torch.randn(3, 1001, generator=tg))
    assert_bits(ember.empty(77).normal_(2.0, 3.0, generator=eg),
                torch.empty(77).normal_(2.0, 3.0, generator=tg))


def test_nn_init_normal_family():
    def inits(T):
        w1 = T.empty(512, 512, 3, 3)
        T.nn.init.kaiming_normal_(w1, mode="fan_out", nonlinearity="relu")
        w2 = T.nn.init.normal_(T.empty(1000, 1024), 0.0, 0.01)
        w3 = T.nn.init.xavier_normal_(T.empty(300, 257))
        return w1, w2, w3
    e, t = both(7, inits)
    for x, y in zip(e, t):
        assert_bits(x, y)
    assert_same_state()


def test_normal_overflow_to_inf_is_silent_like_torch():
    # a quarter of the values overflow float32: inf bits like torch, no warning (warnings fail)
    for mean, std in ((0.0, 3e38), (1e38, 3e38), (-1e38, 2e38)):
        e, t = both(5, lambda T, m=mean, s=std: T.empty(20001).normal_(m, s))
        assert np.isinf(t.numpy()).sum() > 1000
        assert_bits(e, t)


# ---- uniform_ --------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("bounds", [(0.0, 1.0), (-0.015625, 0.015625), (-0.1, 0.1), (0.0, 5.0),
                                    (2.0, 3.0), (1000.0, 1001.0), (1000.0, 1002.0),
                                    (1e-30, 3.0), (-1e-30, 5.0)])
def test_uniform_float32(seed, bounds):
    # (1000, 1001): values that round up to `to` become `from`; (1e-30, 3): midpoint repairs
    lo, hi = bounds
    for n in (17, 40001):
        e, t = both(seed, lambda T, n=n: T.empty(n).uniform_(lo, hi))
        assert_bits(e, t)
        assert_same_state()


def test_linear_and_conv_default_init():
    def build(T):
        return [p for m in (T.nn.Linear(300, 1000), T.nn.Conv2d(64, 128, 3))
                for p in m.parameters()]
    e, t = both(11, build)
    for x, y in zip(e, t):
        assert_bits(x, y)
    assert_same_state()


# ---- Box-Muller over its input domain, through an injected engine state -----------------------

def _untemper(y):
    """Inverse of MT19937's output tempering (y: uint64 array of 32-bit words)."""
    m32 = np.uint64(0xFFFFFFFF)
    y = y & m32
    y ^= y >> np.uint64(18)
    y ^= (y << np.uint64(15)) & np.uint64(0xEFC60000)
    t = y
    for _ in range(4):
        t = y ^ ((t << np.uint64(7)) & np.uint64(0x9D2C5680))
    y = t & m32
    t = y
    for _ in range(2):
        t = y ^ (t >> np.uint64(11))
    return t & m32


_K = 608                  # 38 blocks of 16 words: state words 16..623, then the engine twists


def _torch_randn_of_words(words):
    """torch.randn(608) whose next 608 random() words are `words` (via a crafted state)."""
    torch.manual_seed(0)
    st = torch.get_rng_state().numpy().copy()
    n0 = 624 - _K
    st[16:24].view(np.uint64)[0] = n0                  # next
    st[8:12].view(np.int32)[0] = _K + 1                # left: next + left == 625
    st[24 + 8 * n0:24 + 8 * 624].view(np.uint64)[:] = _untemper(words)
    torch.set_rng_state(torch.from_numpy(st))
    return torch.randn(_K)


class _Words:
    """A stand-in generator whose random() words are given."""

    def __init__(self, words):
        self.words, self.i = words, 0

    def _random(self, n):
        r = self.words[self.i:self.i + n]
        self.i += n
        return r


def test_state_injection_helper():
    words = np.random.default_rng(0).integers(0, 2 ** 32, _K, dtype=np.uint64)
    # ember given the same crafted state draws the same 608 values (and so the same words)
    t = _torch_randn_of_words(words)
    g = R.Generator()
    torch.manual_seed(0)
    st = torch.get_rng_state().numpy().copy()
    st[16:24].view(np.uint64)[0] = 624 - _K
    st[8:12].view(np.int32)[0] = _K + 1
    st[24 + 8 * (624 - _K):24 + 8 * 624].view(np.uint64)[:] = _untemper(words)
    g.set_state_bytes(st)
    np.testing.assert_array_equal(g._random(_K), words)
    u = R._float24(_Words(words), _K).reshape(-1, 16)
    assert_bits(R._box_muller16_f32(u, 0.0, 1.0).reshape(-1), t)


def test_box_muller_input_domain_against_torch():
    """Lanes 0-7 (log) and 8-15 (sincos) each take every 24-bit value m in a wide strided set
    plus the edges (0, 1, binade and octant boundaries, 2^24 - 1); random high bits on top."""
    rng = np.random.default_rng(2024)
    edges = [0, 1, 2, 3, (1 << 24) - 1, (1 << 24) - 2] + [
        (1 << k) + d for k in range(1, 24) for d in (-1, 0, 1)]
    quarter = [round((1 << 24) * q / 8) + d for q in range(8) for d in (-2, -1, 0, 1, 2)]
    ms = np.unique(np.concatenate([np.arange(0, 1 << 24, 31), edges, quarter]))
    ms = ms[(ms >= 0) & (ms < (1 << 24))].astype(np.uint64)
    nblk = -(-ms.size // 8)
    nblk = -(-nblk // (_K // 16)) * (_K // 16)           # whole injected calls
    lanes = np.resize(ms, 8 * nblk)
    words = np.empty((nblk, 16), np.uint64)
    words[:, :8] = lanes.reshape(-1, 8)
    words[:, 8:] = rng.permutation(lanes).reshape(-1, 8)
    words = words.reshape(-1) | (rng.integers(0, 256, words.size, dtype=np.uint64)
                                 << np.uint64(24))
    out = np.empty(words.size, np.float32)
    R._normal_fill16_f32(None, out, 0.0, 1.0, _Words(words))        # the chunked raw path
    u = R._float24(_Words(words), words.size)
    out_u = R._box_muller16_f32(u.reshape(-1, 16), 0.0, 1.0).reshape(-1)   # the uniform path
    np.testing.assert_array_equal(out.view(np.uint32), out_u.view(np.uint32))
    for i in range(0, words.size, _K):
        assert_bits(out[i:i + _K], _torch_randn_of_words(words[i:i + _K]))
