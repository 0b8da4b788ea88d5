"""Differential tests: ember._random against torch 2.13's CPU generator, bit for bit.

Each test seeds torch and an ember Generator identically, runs the same call on both and compares
raw bits (bfloat16 through float32), then checks that both generators were left in the same state.
"""
import math
import warnings

import ml_dtypes
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from ember import _random as R

BF16 = np.dtype(ml_dtypes.bfloat16)
FLOATS = [np.float32, np.float64, np.float16, BF16]
INTS = [np.int8, np.uint8, np.int16, np.int32, np.int64, np.bool_]
SEEDS = [0, 1, 42, 1729, 2**32 + 5, 2**63 + 12345, 2**64 - 1, -1, -(2**63)]
TORCH_DT = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64,
            np.dtype(np.float16): torch.float16, BF16: torch.bfloat16,
            np.dtype(np.int8): torch.int8, np.dtype(np.uint8): torch.uint8,
            np.dtype(np.int16): torch.int16, np.dtype(np.int32): torch.int32,
            np.dtype(np.int64): torch.int64, np.dtype(np.bool_): torch.bool}
FEW = settings(max_examples=25, deadline=None)


def tdt(dt):
    return TORCH_DT[np.dtype(dt)]


def to_np(t):
    t = t.detach()
    if t.dtype == torch.bfloat16:
        return t.float().numpy().astype(BF16)
    return t.numpy()


def assert_bits(a, t):
    """Same dtype, shape and raw bytes (so -0.0 vs 0.0 and NaN payloads count)."""
    b = to_np(t) if isinstance(t, torch.Tensor) else t
    assert isinstance(a, np.ndarray)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.flags.c_contiguous
    same = np.ascontiguousarray(a).view(np.uint8) == np.ascontiguousarray(b).view(np.uint8)
    if not same.all():
        bad = np.flatnonzero(~same.reshape(a.size, -1).all(axis=1))[:5]
        raise AssertionError(f"{bad.size}+ elements differ, first at {bad}: "
                             f"{a.reshape(-1)[bad]} vs {b.reshape(-1)[bad]}")


def assert_same_state(g):
    """The ember generator ended where torch's default generator did."""
    np.testing.assert_array_equal(g.get_state_bytes(), torch.get_rng_state().numpy())


def pair(seed):
    torch.manual_seed(seed)
    return R.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- generator & seeding

def test_fresh_generator_matches_torch():
    g, tg = R.Generator(), torch.Generator()
    assert g.initial_seed() == tg.initial_seed() == 67280421310721
    np.testing.assert_array_equal(g.get_state_bytes(), tg.get_state().numpy())
    assert g.get_state_bytes().dtype == np.uint8 and g.get_state_bytes().size == 5056
    assert g.device == "cpu"


def test_default_generator_is_seeded_nondeterministically():
    # torch seeds its default CPU generator from /dev/urandom at start-up, not with 67280421310721
    assert isinstance(R.default_generator, R.Generator)
    assert 0 <= R.initial_seed() < 2**64
    s = R.seed()
    assert R.initial_seed() == s and 0 <= s < 2**64
    assert R.seed() != s   # 64 random bits


@pytest.mark.parametrize("seed", SEEDS)
def test_manual_seed_state_bytes(seed):
    g, tg = R.Generator(), torch.Generator()
    assert g.manual_seed(seed) is g
    tg.manual_seed(seed)
    assert g.initial_seed() == tg.initial_seed()
    np.testing.assert_array_equal(g.get_state_bytes(), tg.get_state().numpy())


@pytest.mark.parametrize("bad, exc", [(2**64, ValueError), (-(2**63) - 1, ValueError),
                                      (1.5, RuntimeError), (True, RuntimeError),
                                      ("3", RuntimeError), (None, RuntimeError),
                                      (np.int64(3), TypeError)])
def test_manual_seed_errors_like_torch(bad, exc):
    with pytest.raises(exc) as theirs:
        torch.Generator().manual_seed(bad)
    with pytest.raises(exc) as ours:
        R.Generator().manual_seed(bad)
    assert str(ours.value) == str(theirs.value)


def test_module_manual_seed_converts_with_int():
    assert R.manual_seed(7.9) is R.default_generator
    assert R.initial_seed() == 7
    assert R.manual_seed(-1).initial_seed() == 2**64 - 1


def test_generator_seed_reseeds():
    g = R.Generator()
    s = g.seed()
    assert g.initial_seed() == s
    np.testing.assert_array_equal(g.get_state_bytes(),
                                  torch.Generator().manual_seed(s).get_state().numpy())


@pytest.mark.parametrize("draws", [0, 1, 623, 624, 625, 1248, 1249])
def test_state_bytes_track_mt_position(draws):
    """torch's (left, next) pair around the 624-word twist boundary."""
    g = pair(5)
    torch.rand(draws)
    R.uniform(g, (draws,), np.float32)
    assert_same_state(g)


def test_state_roundtrip_torch_to_ember_with_cached_normal():
    torch.manual_seed(3)
    torch.randn(3)                      # leaves the second Box-Muller sample cached
    state = torch.get_rng_state().numpy()
    g = R.Generator()
    g.set_state_bytes(state)
    np.testing.assert_array_equal(g.get_state_bytes(), state)
    assert_bits(R.normal(g, (5,), np.float32), torch.randn(5))
    assert_bits(R.uniform(g, (700,), np.float64), torch.rand(700, dtype=torch.float64))
    assert_same_state(g)


def test_state_roundtrip_ember_to_torch():
    g = R.Generator().manual_seed(11)
    R.uniform(g, (1000,), np.float32)
    R.normal(g, (1,), np.float64)       # cache pending
    torch.set_rng_state(torch.from_numpy(g.get_state_bytes().copy()))
    assert_bits(R.normal(g, (3,), np.float64), torch.randn(3, dtype=torch.float64))
    assert_bits(R.randint(g, 0, 100, (9,), np.int64), torch.randint(0, 100, (9,)))
    assert_same_state(g)


def test_set_state_errors_like_torch():
    g, tg = R.Generator(), torch.Generator()
    for bad in [np.zeros(10, np.uint8), np.zeros(5048, np.uint8), np.zeros(5056, np.uint8)]:
        with pytest.raises(RuntimeError) as theirs:
            tg.set_state(torch.from_numpy(bad))
        with pytest.raises(RuntimeError) as ours:
            g.set_state_bytes(bad)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(TypeError, match="ByteTensor"):
        g.set_state_bytes(np.zeros(5056, np.int8))


# --------------------------------------------------------------------------- uniform

@FEW
@given(seed=st.sampled_from(SEEDS), dt=st.sampled_from(FLOATS),
       shape=st.sampled_from([(), (1,), (7,), (3, 5), (2, 3, 4), (1000,)]))
def test_rand(seed, dt, shape):
    g = pair(seed)
    assert_bits(R.uniform(g, shape, dt), torch.rand(shape, dtype=tdt(dt)))
    assert_same_state(g)


@FEW
@given(seed=st.sampled_from(SEEDS), dt=st.sampled_from(FLOATS),
       bounds=st.sampled_from([(-3.7, 11.3), (2.0, 2.5), (-1000.0, 1e-3), (0.0, 7.0),
                               (5.0, 6.0), (-1.0, 1.0), (1.0, 1.0), (0.1, 0.10000001)]))
def test_uniform_bounds(seed, dt, bounds):
    g = pair(seed)
    lo, hi = bounds
    assert_bits(R.uniform(g, (333,), dt, lo, hi), torch.empty(333, dtype=tdt(dt)).uniform_(lo, hi))
    assert_same_state(g)


def test_uniform_errors():
    g = R.Generator()
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range"):
        R.uniform(g, (3,), np.float32, 2.0, 1.0)
    with pytest.raises(RuntimeError, match="from is out of bounds for c10::Half"):
        R.uniform(g, (3,), np.float16, -1e6, 0)


# --------------------------------------------------------------------------- normal

@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("n", [1, 2, 3, 15, 16, 17, 31, 32, 33, 100, 1000])
def test_randn_sizes(dt, n):
    """n < 16: scalar Box-Muller with the cached sample; n >= 16: blocks of 16 + redone tail."""
    g = pair(n)
    assert_bits(R.normal(g, (n,), dt), torch.randn(n, dtype=tdt(dt)))
    assert_bits(R.normal(g, (3,), dt), torch.randn(3, dtype=tdt(dt)))   # uses the cache
    assert_same_state(g)


@FEW
@given(seed=st.sampled_from(SEEDS), dt=st.sampled_from(FLOATS),
       n=st.sampled_from([5, 16, 37, 256, 1001]),
       ms=st.sampled_from([(0.0, 1.0), (2.5, 3.0), (0.0, 0.1), (-1.0, 1.0), (1e3, 1e-3),
                           (0.0, 0.0)]))
def test_normal_mean_std(seed, dt, n, ms):
    g = pair(seed)
    mean, std = ms
    assert_bits(R.normal(g, (n,), dt, mean, std), torch.empty(n, dtype=tdt(dt)).normal_(mean, std))
    assert_same_state(g)


def test_randn_large_float32_and_float64():
    g = pair(1234)
    assert_bits(R.normal(g, (200_003,), np.float32), torch.randn(200_003))
    assert_bits(R.normal(g, (50_001,), np.float64), torch.randn(50_001, dtype=torch.float64))
    assert_same_state(g)


def test_normal_std_negative():
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        R.normal(R.Generator(), (3,), np.float32, 0.0, -1.0)


@pytest.mark.parametrize("dt", FLOATS)
def test_normal_tensor_overloads(dt):
    mean = np.linspace(-2, 2, 24).astype(dt).reshape(4, 6)
    std = np.linspace(0.1, 3, 6).astype(dt)
    tm, ts = torch.from_numpy(mean.astype(np.float32)).to(tdt(dt)), \
        torch.from_numpy(std.astype(np.float32)).to(tdt(dt))
    if np.dtype(dt) == np.float64:
        tm, ts = torch.from_numpy(mean), torch.from_numpy(std)
    for ours, theirs in [((mean, std), (tm, ts)), ((mean, 0.7), (tm, 0.7)), ((1.5, std), (1.5, ts)),
                         ((mean[:1, :3], std[:3]), (tm[:1, :3], ts[:3])),
                         ((mean[:, :1], std), (tm[:, :1], ts))]:
        g = pair(9)
        assert_bits(R.normal_tensor(g, *ours), torch.normal(*theirs))
        assert_same_state(g)


# --------------------------------------------------------------------------- integers

@FEW
@given(seed=st.sampled_from(SEEDS), dt=st.sampled_from(INTS + FLOATS),
       bounds=st.sampled_from([(0, 2), (-5, 7), (0, 100), (-128, 127), (0, 2**28 - 1), (0, 2**28),
                               (3, 2**30), (-2**40, 2**40), (-2**63, 2**63 - 1), (0, 2**24),
                               (10, 2**31 - 1)]))
def test_randint(seed, dt, bounds):
    lo, hi = bounds
    torch.manual_seed(seed)
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        try:
            t = torch.randint(lo, hi, (40,), dtype=tdt(dt))
        except RuntimeError as e:
            with pytest.raises(RuntimeError) as ours:
                R.randint(R.Generator(), lo, hi, (40,), dt)
            assert str(ours.value) == str(e).split("\n")[0]
            return
    g = R.Generator().manual_seed(seed)
    with warnings.catch_warnings(record=True) as ew:
        warnings.simplefilter("always")
        a = R.randint(g, lo, hi, (40,), dt)
    assert len(ew) == len(tw)     # torch's precision warning for float dtypes
    assert_bits(a, t)
    assert_same_state(g)


def test_randint_warns_for_wide_float_range():
    with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]"):
        R.randint(R.Generator(), 0, 2**30, (3,), np.float32)


def test_randint_empty_range_error():
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got "
                                           "from=3 >= to=3"):
        R.randint(R.Generator(), 3, 3, (2,), np.int64)


@pytest.mark.parametrize("dt", INTS + FLOATS)
def test_random_no_args(dt):
    g = pair(77)
    assert_bits(R.random_(g, (50,), dt), torch.empty(50, dtype=tdt(dt)).random_())
    assert_same_state(g)


@pytest.mark.parametrize("dt", [np.int64, np.int32, np.uint8, np.float32, np.float64, BF16])
def test_random_from_and_from_to(dt):
    g = pair(5)
    assert_bits(R.random_(g, (20,), dt, 3), torch.empty(20, dtype=tdt(dt)).random_(3, None))
    assert_bits(R.random_(g, (20,), dt, 2, 9), torch.empty(20, dtype=tdt(dt)).random_(2, 9))
    assert_bits(R.random_(g, (20,), dt, None, 9), torch.empty(20, dtype=tdt(dt)).random_(9))
    if dt in (np.int64, np.float32, np.float64, BF16):    # the full 64-bit range kernel
        assert_bits(R.random_(g, (20,), dt, -2**63),
                    torch.empty(20, dtype=tdt(dt)).random_(-2**63, None))
    assert_same_state(g)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 1000, 2001, 50_000])
@pytest.mark.parametrize("dt", [np.int64, np.int32, np.float32])
def test_randperm(n, dt):
    g = pair(n + 3)
    assert_bits(R.randperm(g, n, dt), torch.randperm(n, dtype=tdt(dt)))
    assert_same_state(g)


@pytest.mark.parametrize("n, dt", [(300, BF16), (2049, np.float16), (256, np.uint8),
                                   (128, np.int8), (5000, np.int16)])
def test_randperm_small_dtypes(n, dt):
    g = pair(2)
    assert_bits(R.randperm(g, n, dt), torch.randperm(n, dtype=tdt(dt)))


@pytest.mark.parametrize("n, dt", [(2050, np.float16), (129, np.int8), (257, np.uint8),
                                   (-1, np.int64), (5, np.bool_)])
def test_randperm_errors_like_torch(n, dt):
    with pytest.raises((RuntimeError, NotImplementedError)) as theirs:
        torch.randperm(n, dtype=tdt(dt))
    with pytest.raises(type(theirs.value)) as ours:
        R.randperm(R.Generator(), n, dt)
    assert str(ours.value) == str(theirs.value).split("\n")[0]


def test_randperm_vectorised_swaps_match_loop():
    """_apply_swaps' pointer-jumping path against the plain swap loop."""
    rng = np.random.default_rng(0)
    for n in [2001, 3000, 10_000]:
        j = rng.integers(0, 2**62, n) % (n - np.arange(n)) + np.arange(n)
        perm = list(range(n))
        for i, k in enumerate(j.tolist()):
            perm[i], perm[k] = perm[k], perm[i]
        np.testing.assert_array_equal(R._apply_swaps(j), perm)


# --------------------------------------------------------------------------- bernoulli & dropout

@pytest.mark.parametrize("dt", INTS + FLOATS)
@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
def test_bernoulli_scalar(dt, p):
    g = pair(4)
    assert_bits(R.bernoulli_scalar(g, (37,), p, dt), torch.empty(37, dtype=tdt(dt)).bernoulli_(p))
    assert_same_state(g)


@pytest.mark.parametrize("dt", FLOATS)
def test_bernoulli_functional_with_p(dt):
    x = torch.zeros(4, 9, dtype=tdt(dt))
    g = pair(8)
    assert_bits(R.bernoulli_scalar(g, (4, 9), 0.25, dt), torch.bernoulli(x, 0.25))
    assert_same_state(g)


@pytest.mark.parametrize("pdt", FLOATS)
@pytest.mark.parametrize("out", [None, np.int32, np.float64])
def test_bernoulli_tensor(pdt, out):
    """float64 probabilities draw 53-bit doubles, the others 24-bit floats."""
    p = np.linspace(0, 1, 41).astype(pdt).reshape(41)
    tp = torch.from_numpy(p.astype(np.float32)).to(tdt(pdt)) if np.dtype(pdt) != np.float64 \
        else torch.from_numpy(p)
    g = pair(4)
    if out is None:
        expected = torch.bernoulli(tp)
    else:
        expected = torch.empty(41, dtype=tdt(out)).bernoulli_(tp)
    assert_bits(R.bernoulli_tensor(g, p, out), expected)
    assert_same_state(g)


def test_bernoulli_errors():
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\]"):
        R.bernoulli_scalar(R.Generator(), (2,), 1.5, np.float32)


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("shape", [(7,), (4, 33), (2, 3, 50)])
def test_dropout_mask(p, shape):
    x = torch.randn(shape)
    g = pair(2)
    expected = F.dropout(x, p, training=True)
    mask = R.dropout_mask(g, shape, p, np.float32)
    assert set(np.unique(mask)) <= {0.0, 1.0}
    ours = x.numpy() * (mask / np.float32(1 - p)) if p < 1 else x.numpy() * mask
    assert_bits(ours, expected)
    assert_same_state(g)        # p == 0 and p == 1 draw nothing, like torch


@pytest.mark.parametrize("fn, shape, noise", [(F.dropout2d, (2, 5, 3, 3), (2, 5, 1, 1)),
                                              (F.dropout3d, (2, 3, 2, 2, 2), (2, 3, 1, 1, 1))])
def test_feature_dropout_mask(fn, shape, noise):
    x = torch.randn(shape)
    g = pair(6)
    expected = fn(x, 0.4, training=True)
    mask = R.dropout_mask(g, noise, 0.4, np.float32)
    assert_bits(x.numpy() * (mask / np.float32(0.6)), expected)
    assert_same_state(g)


# --------------------------------------------------------------------------- other distributions

@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("n", [3, 16, 100])
def test_exponential_cauchy_lognormal_geometric(dt, n):
    g = pair(n)
    tdtype = tdt(dt)
    assert_bits(R.exponential(g, (n,), dt, 1.5), torch.empty(n, dtype=tdtype).exponential_(1.5))
    assert_bits(R.cauchy(g, (n,), dt, 0.5, 2.0), torch.empty(n, dtype=tdtype).cauchy_(0.5, 2.0))
    assert_bits(R.log_normal(g, (n,), dt, 0.3, 0.7),
                torch.empty(n, dtype=tdtype).log_normal_(0.3, 0.7))
    assert_bits(R.geometric(g, (n,), dt, 0.3), torch.empty(n, dtype=tdtype).geometric_(0.3))
    assert_bits(R.log_normal(g, (1,), dt), torch.empty(1, dtype=tdtype).log_normal_())
    assert_same_state(g)


@pytest.mark.parametrize("dt", [np.int64, np.int32, np.uint8, np.int16])
def test_geometric_integer_dtypes(dt):
    g = pair(3)
    assert_bits(R.geometric(g, (30,), dt, 0.2), torch.empty(30, dtype=tdt(dt)).geometric_(0.2))
    assert_same_state(g)


@pytest.mark.parametrize("dt", [np.float32, np.float64, BF16])
@pytest.mark.parametrize("shape", [(10,), (3, 7), (4, 300)])
@pytest.mark.parametrize("k, replacement", [(1, False), (3, False), (7, False), (1, True),
                                            (25, True)])
def test_multinomial(dt, shape, k, replacement):
    rng = np.random.default_rng(sum(shape) + k)
    p = rng.random(shape).astype(dt)
    tp = torch.from_numpy(p.astype(np.float32) if np.dtype(dt) != np.float64 else p).to(tdt(dt))
    g = pair(11)
    assert_bits(R.multinomial(g, p, k, replacement), torch.multinomial(tp, k, replacement))
    assert_same_state(g)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_multinomial_ties_follow_libstdcxx(data):
    """Zero weights tie at q == 0: torch's order is libstdc++'s nth_element/sort/partial_sort."""
    n = data.draw(st.integers(2, 300))
    k = data.draw(st.integers(1, n))
    seed = data.draw(st.integers(0, 2**32))
    dt = data.draw(st.sampled_from([np.float32, BF16]))
    rng = np.random.default_rng(seed)
    p = (rng.random(n) * (rng.random(n) < 0.3)).astype(np.float32)
    p[rng.integers(n)] = 0.5
    g = pair(seed)
    expected = torch.multinomial(torch.from_numpy(p).to(tdt(dt)), k, False)
    assert_bits(R.multinomial(g, p.astype(dt), k, False), expected)


def test_topk_replay_matches_torch_topk_on_ties():
    rng = np.random.default_rng(1)
    for _ in range(100):
        n = int(rng.integers(2, 400))
        vals = rng.integers(0, int(rng.integers(1, 6)), n).astype(np.float32)
        k = int(rng.integers(1, n + 1))
        np.testing.assert_array_equal(R._topk_indices(vals.astype(np.float64), k),
                                      torch.topk(torch.from_numpy(vals), k).indices.numpy())


def test_multinomial_errors():
    g = R.Generator()
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        R.multinomial(g, np.ones(3, np.float32), 4, False)
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        R.multinomial(g, np.zeros(3, np.float32), 1, False)


@pytest.mark.parametrize("dt", [np.float32, np.float64, BF16])
def test_poisson(dt):
    rng = np.random.default_rng(0)
    rates = np.concatenate([rng.random(40) * 5, rng.random(40) * 100 + 10,
                            [0.0, 10.0, 1e4, 9.99]]).astype(dt)
    trates = torch.from_numpy(rates.astype(np.float32)).to(tdt(dt)) \
        if np.dtype(dt) != np.float64 else torch.from_numpy(rates)
    g = pair(6)
    assert_bits(R.poisson(g, rates), torch.poisson(trates))
    assert_same_state(g)


# --------------------------------------------------------------------------- interleaving

def _torch_sequence():
    return [torch.rand(3), torch.randn(20), torch.randperm(7), torch.randint(0, 10, (5,)),
            torch.randn(3), torch.randn(3, dtype=torch.float64), torch.randn(1),
            torch.empty(4).log_normal_(), torch.randn(5), torch.rand(2, dtype=torch.float64),
            torch.empty(5).bernoulli_(0.5), torch.randint(0, 2**40, (3,)), torch.randn(2)]


def _ember_sequence(g):
    return [R.uniform(g, (3,), np.float32), R.normal(g, (20,), np.float32), R.randperm(g, 7),
            R.randint(g, 0, 10, (5,)), R.normal(g, (3,), np.float32),
            R.normal(g, (3,), np.float64), R.normal(g, (1,), np.float32),
            R.log_normal(g, (4,), np.float32), R.normal(g, (5,), np.float32),
            R.uniform(g, (2,), np.float64), R.bernoulli_scalar(g, (5,), 0.5, np.float32),
            R.randint(g, 0, 2**40, (3,)), R.normal(g, (2,), np.float32)]


@pytest.mark.parametrize("seed", SEEDS)
def test_interleaved_calls(seed):
    g = pair(seed)
    for ours, theirs in zip(_ember_sequence(g), _torch_sequence()):
        assert_bits(ours, theirs)
    assert_same_state(g)


def test_default_generator_module_functions():
    R.manual_seed(31)
    torch.manual_seed(31)
    assert_bits(R.normal(R.default_generator, (4,), np.float32), torch.randn(4))
    assert_same_state(R.default_generator)


def test_samplers_return_fresh_contiguous_arrays():
    g = R.Generator()
    for a in [R.uniform(g, (3, 4), np.float32), R.normal(g, (40,), BF16),
              R.randint(g, 0, 5, (2, 2), np.int8), R.randperm(g, 5)]:
        assert a.flags.c_contiguous and a.flags.owndata or a.base is not None
    assert R.uniform(g, (0, 3), np.float32).shape == (0, 3)
    assert R.normal(g, (), np.float64).shape == ()
    assert math.isfinite(float(R.normal(g, (), np.float64)))


def test_overflow_to_inf_is_silent_like_torch():
    g = pair(0)
    assert_bits(R.normal(g, (100,), np.float16, 0, 60000),
                torch.empty(100, dtype=torch.float16).normal_(0, 60000))
    assert_bits(R.normal(g, (5,), np.float16, 0, 60000),
                torch.empty(5, dtype=torch.float16).normal_(0, 60000))
    assert_bits(R.log_normal(g, (50,), np.float32, 0, 200),
                torch.empty(50).log_normal_(0, 200))
    assert_same_state(g)
