"""Embedding against torch: F.embedding (padding_idx, max_norm, scale_grad_by_freq), the module
(init draws, padding row zeroed, from_pretrained, repr) and error texts."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from oracle import check, check_raises, random_array
from .test_seq_parity import module_parity, _one_torch_thread  # noqa: F401 (autouse)

W = random_array((7, 4), seed=1)
IDX = np.array([[1, 3, 3, 0], [6, 3, 2, 1]], dtype=np.int64)


def F(T):
    return T.nn.functional


@pytest.mark.parametrize("kw", [{}, dict(padding_idx=3), dict(padding_idx=-4),
                                dict(scale_grad_by_freq=True),
                                dict(padding_idx=1, scale_grad_by_freq=True)])
def test_embedding_functional(kw):
    check(lambda T, w: F(T).embedding(T.tensor(IDX), w, **kw), [W], gradgrad=True)
    check(lambda T, w: F(T).embedding(T.tensor(IDX[0].astype(np.int32)), w, **kw), [W])
    check(lambda T, w: F(T).embedding(T.tensor(5), w, **kw), [W])


def test_embedding_grad_fn_and_double():
    check(lambda T, w: F(T).embedding(T.tensor(IDX), w), [W.astype(np.float64)],
          gradgrad=True)
    for T in (torch, ember):
        w = T.tensor(W, requires_grad=True)
        assert type(F(T).embedding(T.tensor(IDX), w).grad_fn).__name__ == "EmbeddingBackward0"


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_embedding_max_norm_renormalises_in_place(norm_type):
    def fn(T, w):
        table = w.detach().clone()
        out = F(T).embedding(T.tensor(IDX), table, max_norm=1.2, norm_type=norm_type)
        return out, table
    check(fn, [W * 2], grad=False)


@pytest.mark.parametrize("fn", [
    lambda T: F(T).embedding(T.tensor([1.0]), T.randn(3, 2)),
    lambda T: F(T).embedding(T.tensor([5]), T.randn(3, 2)),
    lambda T: F(T).embedding(T.tensor([-1]), T.randn(3, 2)),
    lambda T: F(T).embedding(T.tensor([1]), T.randn(3, 2), padding_idx=3),
    lambda T: F(T).embedding(T.tensor([1]), T.randn(3, 2), padding_idx=-4),
    lambda T: F(T).embedding(T.tensor([1]), T.randn(3)),
    lambda T: T.nn.Embedding(3, 2, padding_idx=5),
    lambda T: T.nn.Embedding.from_pretrained(T.randn(3)),
    lambda T: T.nn.Embedding(3, 2, _weight=T.randn(2, 2)),
])
def test_embedding_errors(fn):
    check_raises(fn)


@pytest.mark.parametrize("kw", [{}, dict(padding_idx=2), dict(padding_idx=-1),
                                dict(max_norm=0.8), dict(scale_grad_by_freq=True),
                                dict(max_norm=1.0, norm_type=1.0)])
def test_embedding_module(kw):
    r = module_parity(lambda T: T.nn.Embedding(7, 4, **kw), [lambda T: T.tensor(IDX)])
    if "padding_idx" in kw:
        m = r[ember][0]
        assert not m.weight.detach().numpy()[kw["padding_idx"]].any()


def test_embedding_from_pretrained_freeze():
    for freeze in (True, False):
        module_parity(lambda T: T.nn.Embedding.from_pretrained(T.tensor(W), freeze=freeze,
                                                               padding_idx=0),
                      [lambda T: T.tensor(IDX)])
    e = ember.nn.Embedding.from_pretrained(ember.tensor(W))
    assert not e.weight.requires_grad


def test_embedding_padding_row_gets_no_gradient_and_sparse_is_refused():
    for T in (torch, ember):
        m = T.nn.Embedding(5, 3, padding_idx=0)
        m(T.tensor([0, 0, 1])).sum().backward()
        assert not m.weight.grad[0].any() and m.weight.grad[1].sum().item() == 3
    assert repr(ember.nn.Embedding(5, 3, sparse=True)) == repr(torch.nn.Embedding(5, 3,
                                                                                  sparse=True))
    with pytest.raises(NotImplementedError):
        ember.nn.Embedding(5, 3, sparse=True)(ember.tensor([1]))


# ---- embedding bag ----------------------------------------------------------------------------

FLAT = np.array([1, 2, 4, 5, 4, 3, 2, 6, 0, 3], dtype=np.int64)
OFFS = np.array([0, 4, 4, 7], dtype=np.int64)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("kw", [{}, dict(padding_idx=3), dict(include_last_offset=True),
                                dict(padding_idx=-4, include_last_offset=True)])
def test_embedding_bag_functional(mode, kw):
    offs = np.append(OFFS, FLAT.size) if kw.get("include_last_offset") else OFFS
    check(lambda T, w: F(T).embedding_bag(T.tensor(FLAT), w, T.tensor(offs), mode=mode, **kw),
          [W], gradgrad=mode != "max")
    kw2 = {k: v for k, v in kw.items() if k != "include_last_offset"}
    check(lambda T, w: F(T).embedding_bag(T.tensor(IDX), w, mode=mode, **kw2), [W])


def test_embedding_bag_weights_freq_and_renorm():
    psw = random_array((FLAT.size,), seed=9)
    check(lambda T, w, p: F(T).embedding_bag(T.tensor(FLAT), w, T.tensor(OFFS), mode="sum",
                                             per_sample_weights=p), [W, psw])
    check(lambda T, w: F(T).embedding_bag(T.tensor(FLAT), w, T.tensor(OFFS),
                                          scale_grad_by_freq=True), [W])

    def renorm(T, w):
        table = w.detach().clone()
        return F(T).embedding_bag(T.tensor(IDX), table, max_norm=0.7, mode="sum"), table
    check(renorm, [W * 2], grad=False)
    for T in (torch, ember):
        w = T.tensor(W, requires_grad=True)
        assert type(F(T).embedding_bag(T.tensor(IDX), w).grad_fn).__name__ == \
            "EmbeddingBagBackward0"


@pytest.mark.parametrize("fn", [
    lambda T: F(T).embedding_bag(T.tensor([1, 2]), T.randn(5, 2), T.tensor([1])),
    lambda T: F(T).embedding_bag(T.tensor([1, 2]), T.randn(5, 2), T.tensor([0, 3])),
    lambda T: F(T).embedding_bag(T.tensor([1, 7]), T.randn(5, 2), T.tensor([0])),
    lambda T: F(T).embedding_bag(T.tensor([1.0, 2.0]), T.randn(5, 2), T.tensor([0])),
    lambda T: F(T).embedding_bag(T.tensor([1, 2]), T.randn(5, 2)),
    lambda T: F(T).embedding_bag(T.tensor([1, 2]), T.randn(5, 2), T.tensor([0]), mode="min"),
    lambda T: F(T).embedding_bag(T.tensor([1, 2]), T.randn(5, 2), T.tensor([0]), mode="mean",
                                 per_sample_weights=T.ones(2)),
    lambda T: F(T).embedding_bag(T.tensor([1, 2]), T.randn(5, 2), T.tensor([0]), mode="max",
                                 scale_grad_by_freq=True),
    lambda T: F(T).embedding_bag(T.tensor([1, 2]), T.randn(5), T.tensor([0])),
    lambda T: T.nn.EmbeddingBag(5, 2, padding_idx=7),
])
def test_embedding_bag_errors(fn):
    check_raises(fn)


@pytest.mark.parametrize("kw", [{}, dict(mode="sum", padding_idx=0), dict(mode="max"),
                                dict(max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)])
def test_embedding_bag_module(kw):
    module_parity(lambda T: T.nn.EmbeddingBag(7, 4, **kw),
                  [lambda T: T.tensor(FLAT), lambda T: T.tensor(OFFS)])
    module_parity(lambda T: T.nn.EmbeddingBag.from_pretrained(T.tensor(W), freeze=False, **kw),
                  [lambda T: T.tensor(IDX)])
