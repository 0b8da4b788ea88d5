"""TransformerEncoder's inference path with a key padding mask (found while running the
"Language Modeling with nn.Transformer" tutorial's variants): padded positions are +0.0, as
torch's nested-tensor path pads them, never -0.0."""
from __future__ import annotations

import warnings

import numpy as np
import torch

import ember


def _run(T):
    T.manual_seed(0)
    layer = T.nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.1,
                                         batch_first=True)
    enc = T.nn.TransformerEncoder(layer, num_layers=2)
    x = T.randn(2, 5, 8)
    pad = T.tensor([[False, False, False, True, True], [False, False, False, False, False]])
    enc.eval()
    with T.no_grad():
        return enc(x, src_key_padding_mask=pad)


def test_padded_positions_are_positive_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "nested tensors are a prototype" warning
        t, e = _run(torch), _run(ember)
    a, b = e._data, t.numpy()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(np.signbit(a[0, 3:]), np.signbit(b[0, 3:]))
    assert repr(e) == repr(t)
