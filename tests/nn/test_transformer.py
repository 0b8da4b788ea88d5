"""Transformer layers against torch: TransformerEncoderLayer / DecoderLayer (activation
relu / gelu / callable, norm_first, batch_first, bias, layer_norm_eps, dropout), the stacks
(deep-copied layers, final norm, masks, causal detection, the nested-tensor inference path),
nn.Transformer (xavier init, generate_square_subsequent_mask), reprs, warnings and errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from oracle import check, check_raises, random_array
from .test_seq_parity import module_parity, _one_torch_thread  # noqa: F401 (autouse)

D, NH, FF = 8, 2, 16
SRC = random_array((5, 2, D), seed=1)
TGT = random_array((4, 2, D), seed=2)


def _lib(x):
    return torch if isinstance(x, torch.Tensor) else ember


@pytest.mark.parametrize("kw", [{}, dict(activation="gelu"), dict(norm_first=True),
                                dict(batch_first=True), dict(bias=False, layer_norm_eps=1e-3),
                                dict(dropout=0.2)])
def test_encoder_layer(kw):
    x = SRC.transpose(1, 0, 2).copy() if kw.get("batch_first") else SRC
    kw = dict(dropout=0.0, **kw) if "dropout" not in kw else kw
    module_parity(lambda T: T.nn.TransformerEncoderLayer(D, NH, FF, **kw), [x], rtol=1e-4)


@pytest.mark.filterwarnings("ignore:Support for mismatched src_key_padding_mask")
def test_encoder_layer_callable_activation_and_masks():
    kpm = np.zeros((2, 5), bool)
    kpm[0, 3:] = True

    def fwd(m, x):
        T = _lib(x)
        mask = T.nn.Transformer.generate_square_subsequent_mask(5)
        return (m(x, src_mask=mask, is_causal=True), m(x, src_key_padding_mask=T.tensor(kpm)),
                m(x, src_mask=mask, src_key_padding_mask=T.tensor(kpm)))
    module_parity(lambda T: T.nn.TransformerEncoderLayer(D, NH, FF, 0.0, activation=T.tanh),
                  [SRC], fwd=fwd, rtol=1e-4)
    module_parity(lambda T: T.nn.TransformerEncoderLayer(D, NH, FF, 0.0,
                                                         activation=T.nn.GELU()),
                  [SRC], rtol=1e-4)


@pytest.mark.parametrize("kw", [{}, dict(norm_first=True, activation="gelu"),
                                dict(batch_first=True, dropout=0.1)])
def test_decoder_layer(kw):
    tgt, mem = (a.transpose(1, 0, 2).copy() for a in (TGT, SRC)) if kw.get("batch_first") \
        else (TGT, SRC)
    kw = dict(dropout=0.0, **kw) if "dropout" not in kw else kw

    def fwd(m, t, mem):
        T = _lib(t)
        mask = T.nn.Transformer.generate_square_subsequent_mask(4)
        return m(t, mem), m(t, mem, tgt_mask=mask, tgt_is_causal=True)
    module_parity(lambda T: T.nn.TransformerDecoderLayer(D, NH, FF, **kw), [tgt, mem], fwd=fwd,
                  rtol=1e-4)


def test_encoder_and_decoder_stacks():
    def enc(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = T.nn.TransformerEncoderLayer(D, NH, FF, 0.1)
            return T.nn.TransformerEncoder(layer, 2, norm=T.nn.LayerNorm(D))

    def fwd(m, x):
        T = _lib(x)
        return m(x), m(x, mask=T.nn.Transformer.generate_square_subsequent_mask(5))
    module_parity(enc, [SRC], fwd=fwd, rtol=1e-4)

    def dec(T):
        return T.nn.TransformerDecoder(T.nn.TransformerDecoderLayer(D, NH, FF, 0.1), 3)
    module_parity(dec, [TGT, SRC], rtol=1e-4)


def test_transformer_full_model_init_and_forward():
    def build(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return T.nn.Transformer(D, NH, 2, 2, FF, dropout=0.1)

    def fwd(m, s, t):
        T = _lib(s)
        return m(s, t, tgt_mask=m.generate_square_subsequent_mask(4),
                 src_key_padding_mask=T.tensor([[False] * 4 + [True], [False] * 5]))
    module_parity(build, [SRC, TGT], fwd=fwd, rtol=1e-4)
    with pytest.warns(UserWarning, match="norm_first was True"):
        module_parity(lambda T: T.nn.Transformer(D, NH, 1, 1, FF, batch_first=True,
                                                 norm_first=True, activation="gelu"),
                      [SRC.transpose(1, 0, 2).copy(), TGT.transpose(1, 0, 2).copy()],
                      rtol=1e-4)


def test_generate_square_subsequent_mask():
    check(lambda T: T.nn.Transformer.generate_square_subsequent_mask(4), [])
    check(lambda T: T.nn.Transformer.generate_square_subsequent_mask(3, dtype=T.float64), [])


def test_nested_tensor_inference_path_zeroes_padding():
    x = random_array((2, 4, D), seed=3)
    kpm = np.array([[False, False, True, True], [False, False, False, False]])
    out = {}
    for T in (torch, ember):
        T.manual_seed(0)
        enc = T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(D, NH, FF, 0.0,
                                                                   batch_first=True), 2)
        enc.eval()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # torch's once-per-process nested-tensor notice
            with T.no_grad():
                fast = enc(T.tensor(x), src_key_padding_mask=T.tensor(kpm))
                # padding that is not left-aligned: no nested path, padded rows are computed
                ragged = enc(T.tensor(x), src_key_padding_mask=T.tensor(kpm[:, ::-1].copy()))
        slow = enc(T.tensor(x), src_key_padding_mask=T.tensor(kpm))   # grad on: no fast path
        out[T] = [a.detach().numpy() for a in (fast, ragged, slow)]
    for a, b in zip(out[ember], out[torch]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert not out[ember][0][0, 2:].any() and out[ember][2][0, 2:].any()


def test_encoder_init_warnings_like_torch():
    for T in (torch, ember):
        layer = T.nn.TransformerEncoderLayer(D, NH, FF)
        with pytest.warns(UserWarning, match=r"enable_nested_tensor is True, but self\."
                          r"use_nested_tensor is False because encoder_layer\.self_attn\."
                          r"batch_first was not True\(use batch_first"):
            T.nn.TransformerEncoder(layer, 1)
        layer = T.nn.TransformerEncoderLayer(D, 1, FF, batch_first=True)
        with pytest.warns(UserWarning, match="num_heads is odd"):
            T.nn.TransformerEncoder(layer, 1)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            T.nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)


def test_transformer_reprs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for make in (lambda T: T.nn.Transformer(D, NH, 1, 1, FF),
                     lambda T: T.nn.TransformerEncoderLayer(D, NH, FF, norm_first=True),
                     lambda T: T.nn.TransformerDecoder(T.nn.TransformerDecoderLayer(D, NH), 2)):
            assert repr(make(ember)) == repr(make(torch))


@pytest.mark.parametrize("fn", [
    lambda T: T.nn.Transformer(D, NH, 1, 1, FF)(T.randn(5, 2, D), T.randn(4, 3, D)),
    lambda T: T.nn.Transformer(D, NH, 1, 1, FF)(T.randn(5, 2, D), T.randn(4, 2, D + 2)),
    lambda T: T.nn.TransformerEncoderLayer(D, NH, activation="tanh"),
])
def test_transformer_errors(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_raises(fn)


def test_dropout_on_a_transposed_tensor_draws_in_memory_order():
    # regression: torch fills empty_like(x) (same strides) in memory order; the attention
    # output of a batch_first layer is such a transposed view
    def fn(T, x):
        T.manual_seed(0)
        a = T.nn.functional.dropout(x.transpose(0, 1), 0.5)
        b = T.nn.functional.dropout(x.permute(2, 0, 1), 0.3)
        c = T.nn.functional.dropout(x[:, ::2], 0.5)
        return a, b, c
    check(fn, [random_array((4, 6, 3), seed=4)])
