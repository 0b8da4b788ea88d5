"""Attention against torch: F.scaled_dot_product_attention (masks, causal, scale, dropout,
GQA, fully-masked rows, grad_fn names), F.multi_head_attention_forward and
nn.MultiheadAttention (packed and separate projections, bias_kv, zero_attn, key padding and
attention masks in bool and float, 2-D and 3-D, need_weights / averaging, batch_first,
unbatched, dropout, init draws, reprs, errors)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from oracle import check, check_raises, random_array
from .test_seq_parity import module_parity, _one_torch_thread  # noqa: F401 (autouse)


def F(T):
    return T.nn.functional


Q = random_array((2, 3, 4, 8), seed=1)
K = random_array((2, 3, 5, 8), seed=2)
V = random_array((2, 3, 5, 6), seed=3)
BOOL = np.random.default_rng(4).random((4, 5)) > 0.3
BOOL[1] = False     # a query that sees no key: torch gives zeros, not NaN
FMASK = random_array((4, 5), seed=5)


def test_sdpa_plain_and_scaled():
    check(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v), [Q, K, V])
    check(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v, scale=0.3), [Q, K, V])
    check(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v[..., :8]), [Q, K, K])


def test_sdpa_masks():
    check(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v, attn_mask=T.tensor(
        BOOL)), [Q, K, V])
    check(lambda T, q, k, v, m: F(T).scaled_dot_product_attention(q, k, v, attn_mask=m),
          [Q, K, V, FMASK])
    m4 = random_array((2, 3, 4, 5), seed=6)
    check(lambda T, q, k, v, m: F(T).scaled_dot_product_attention(q, k, v, attn_mask=m),
          [Q, K, K, m4])
    check(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v, is_causal=True),
          [Q, K, V])


def test_sdpa_double_backward_and_3d():
    q, k, v = (a[0].astype(np.float64) for a in (Q, K, V))
    check(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v, is_causal=True),
          [q, k, v], gradgrad=True)
    check(lambda T, q, k, v, m: F(T).scaled_dot_product_attention(q, k, v, attn_mask=m),
          [q, k, v, FMASK.astype(np.float64)], gradgrad=True)


def test_sdpa_dropout_draws_torch_mask():
    def fn(T, q, k, v):
        T.manual_seed(3)
        out = F(T).scaled_dot_product_attention(q, k, v, dropout_p=0.4)
        return out, T.rand(2)     # the stream continues in step
    check(fn, [Q, K, V])


def test_sdpa_grouped_query_attention():
    check(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v, enable_gqa=True),
          [random_array((2, 4, 3, 8), seed=7), K[:, :2], K[:, :2]])
    check(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v), [Q, K[:, :1],
                                                                          V[:, :1]])


@pytest.mark.parametrize("shapes,kw", [
    (((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)), {}),
    (((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)), {}),
    (((2, 3, 4, 8), (1, 3, 5, 8), (1, 3, 5, 8)), {}),
    (((2, 4, 4, 8), (2, 2, 5, 8), (2, 2, 5, 8)), dict(enable_gqa=True)),
    (((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)), dict(dropout_p=0.3)),
    (((3, 4, 8), (3, 5, 8), (3, 5, 8)), {}),
])
def test_sdpa_grad_fn_names(shapes, kw):
    names = []
    for T in (torch, ember):
        ins = [T.randn(*s, requires_grad=True) for s in shapes]
        names.append(type(F(T).scaled_dot_product_attention(*ins, **kw).grad_fn).__name__)
    assert names[0] == names[1]


def test_sdpa_errors():
    check_raises(lambda T: F(T).scaled_dot_product_attention(
        T.randn(2, 4, 8), T.randn(2, 5, 8), T.randn(2, 5, 8), attn_mask=T.ones(4, 5),
        is_causal=True))


# ---- multi_head_attention_forward -------------------------------------------------------------

L, S, B, E, H = 4, 5, 2, 8, 2
q = random_array((L, B, E), seed=10)
kv = random_array((S, B, E), seed=11)
w = random_array((3 * E, E), seed=12) * 0.3
b = random_array((3 * E,), seed=13) * 0.1
ow = random_array((E, E), seed=14) * 0.3
ob = random_array((E,), seed=15) * 0.1
bk, bv = random_array((1, 1, E), seed=16), random_array((1, 1, E), seed=17)
KPM = np.zeros((B, S), bool)
KPM[1, 3:] = True
AM = np.random.default_rng(18).random((L, S)) > 0.8
FAM = random_array((B * H, L, S), seed=19)


def _mha(T, *args, **kw):
    return F(T).multi_head_attention_forward(*args, **kw)


@pytest.mark.parametrize("need", [True, False])
@pytest.mark.parametrize("avg", [True, False])
def test_mha_forward_variants(need, avg):
    kw = dict(need_weights=need, average_attn_weights=avg)
    check(lambda T, q, kv, w, b, ow, ob: _mha(T, q, kv, kv, E, H, w, b, None, None, False,
                                              0.0, ow, ob, **kw), [q, kv, w, b, ow, ob])
    check(lambda T, q, w, b, ow, ob: _mha(T, q, q, q, E, H, w, b, None, None, False, 0.0, ow,
                                          ob, key_padding_mask=T.tensor(KPM[:, :4]),
                                          attn_mask=T.tensor(AM[:, :4]), **kw),
          [q, w, b, ow, ob])
    check(lambda T, q, kv, w, b, ow, ob, bk, bv: _mha(
        T, q, kv, kv, E, H, w, b, bk, bv, True, 0.0, ow, ob, key_padding_mask=T.tensor(KPM),
        attn_mask=T.tensor(AM), **kw), [q, kv, w, b, ow, ob, bk, bv])
    check(lambda T, q, kv, w, b, ow, ob, fam: _mha(T, q, kv, kv, E, H, w, b, None, None,
                                                   False, 0.0, ow, ob, attn_mask=fam, **kw),
          [q, kv, w, b, ow, ob, FAM])
    check(lambda T, q, kv, w, b, ow, ob: _mha(T, q[:, 0], kv[:, 0], kv[:, 0], E, H, w, b, None,
                                              None, False, 0.0, ow, ob, **kw),
          [q, kv, w, b, ow, ob])

    def drop(T, q, kv, w, b, ow, ob):
        T.manual_seed(5)
        return _mha(T, q, kv, kv, E, H, w, b, None, None, False, 0.3, ow, ob, **kw)
    check(drop, [q, kv, w, b, ow, ob])


def test_mha_causal_and_separate_projections():
    cm = np.triu(np.full((L, L), -np.inf, np.float32), 1)
    check(lambda T, q, w, b, ow, ob: _mha(T, q, q, q, E, H, w, b, None, None, False, 0.0, ow,
                                          ob, need_weights=False, attn_mask=T.tensor(cm),
                                          is_causal=True), [q, w, b, ow, ob])
    kd, vd = random_array((S, B, 6), seed=20), random_array((S, B, 3), seed=21)
    wq, wk, wv = (random_array(s, seed=22 + i) for i, s in enumerate([(E, E), (E, 6), (E, 3)]))
    check(lambda T, q, kd, vd, wq, wk, wv, b, ow, ob: _mha(
        T, q, kd, vd, E, H, None, b, None, None, False, 0.0, ow, ob,
        use_separate_proj_weight=True, q_proj_weight=wq, k_proj_weight=wk, v_proj_weight=wv),
        [q, kd, vd, wq, wk, wv, b, ow, ob])


@pytest.mark.parametrize("fn", [
    lambda T: _mha(T, T.tensor(q), T.tensor(q), T.tensor(q), E, 3, T.tensor(w), T.tensor(b),
                   None, None, False, 0.0, T.tensor(ow), T.tensor(ob)),
    lambda T: _mha(T, T.tensor(q), T.tensor(q), T.tensor(q), E, H, T.tensor(w), T.tensor(b),
                   None, None, False, 0.0, T.tensor(ow), T.tensor(ob), attn_mask=T.ones(3, 3)),
    lambda T: _mha(T, T.tensor(q), T.tensor(q), T.tensor(q), E, H, T.tensor(w), T.tensor(b),
                   None, None, False, 0.0, T.tensor(ow), T.tensor(ob),
                   attn_mask=T.ones(2, 4, 4)),
    lambda T: _mha(T, T.tensor(q), T.tensor(q), T.tensor(q), E, H, T.tensor(w), T.tensor(b),
                   None, None, False, 0.0, T.tensor(ow), T.tensor(ob), is_causal=True),
    lambda T: _mha(T, T.tensor(q), T.tensor(q), T.tensor(q), E + 1, H, T.tensor(w),
                   T.tensor(b), None, None, False, 0.0, T.tensor(ow), T.tensor(ob)),
    lambda T: _mha(T, T.tensor(q), T.tensor(kv), T.tensor(q), E, H, T.tensor(w), T.tensor(b),
                   None, None, False, 0.0, T.tensor(ow), T.tensor(ob)),
    lambda T: _mha(T, T.tensor(q), T.tensor(q), T.tensor(q), E, H, T.tensor(w), T.tensor(b),
                   None, None, False, 0.0, T.tensor(ow), T.tensor(ob),
                   key_padding_mask=T.ones(2, 3, dtype=T.bool)),
    lambda T: _mha(T, T.tensor(q), T.tensor(q), T.tensor(q), E, H, T.tensor(w), T.tensor(b),
                   None, None, False, 0.0, T.tensor(ow), T.tensor(ob),
                   key_padding_mask=T.ones(2, 4, dtype=T.int64)),
    lambda T: _mha(T, T.tensor(q)[None], T.tensor(q), T.tensor(q), E, H, T.tensor(w),
                   T.tensor(b), None, None, False, 0.0, T.tensor(ow), T.tensor(ob)),
    lambda T: T.nn.MultiheadAttention(8, 3),
    lambda T: T.nn.MultiheadAttention(0, 2),
])
def test_mha_errors(fn):
    check_raises(fn)


def test_mha_mismatched_mask_types_warn_like_torch():
    for T in (torch, ember):
        m = T.nn.MultiheadAttention(E, H)
        x = T.tensor(q)
        with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and "
                                             "attn_mask is deprecated"):
            m(x, x, x, key_padding_mask=T.tensor(KPM[:, :4]), attn_mask=T.zeros(L, L))


# ---- the module -------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{}, dict(bias=False), dict(add_bias_kv=True),
                                dict(add_zero_attn=True, add_bias_kv=True), dict(kdim=6, vdim=3),
                                dict(batch_first=True)])
def test_multihead_attention_module(kw):
    kd = random_array((S, B, kw.get("kdim", E)), seed=30)
    vd = random_array((S, B, kw.get("vdim", E)), seed=31)
    x = random_array((L, B, E), seed=32)
    if kw.get("batch_first"):
        kd, vd, x = (a.transpose(1, 0, 2).copy() for a in (kd, vd, x))

    def fwd(m, x, k, v):
        o1, w1 = m(x, k, v)
        o2, w2 = m(x, k, v, need_weights=False, key_padding_mask=m_kpm(x),
                   attn_mask=m_am(x))
        return o1, w1, o2, w2
    r = module_parity(lambda T: T.nn.MultiheadAttention(E, H, **kw), [x, kd, vd], fwd=fwd,
                      rtol=1e-4)
    m = r[ember][0]
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"


def m_kpm(x):
    return (torch if isinstance(x, torch.Tensor) else ember).tensor(KPM)


def m_am(x):
    return (torch if isinstance(x, torch.Tensor) else ember).tensor(AM)


def test_multihead_attention_self_attention_dropout_and_eval():
    x = random_array((2, L, E), seed=33)

    def fwd(m, x):
        outs = list(m(x, x, x, average_attn_weights=False))
        outs.append(m(x, x, x, need_weights=False, is_causal=True,
                      attn_mask=_causal(x))[0])
        return outs
    module_parity(lambda T: T.nn.MultiheadAttention(E, H, dropout=0.3, batch_first=True), [x],
                  fwd=fwd, rtol=1e-4)
    module_parity(lambda T: T.nn.MultiheadAttention(E, H, dropout=0.3, batch_first=True), [x],
                  fwd=lambda m, x: m(x, x, x), train=False, rtol=1e-4)


def _causal(x):
    T = torch if isinstance(x, torch.Tensor) else ember
    return T.nn.Transformer.generate_square_subsequent_mask(L)
