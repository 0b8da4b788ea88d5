"""torch.nn.utils.rnn against torch: pack_padded_sequence / pad_packed_sequence (sorted and
unsorted, batch_first, total_length, padding_value), pad_sequence (left/right), pack_sequence,
unpack_sequence, unpad_sequence, invert_permutation, PackedSequence fields and reprs, gradients
through packing, and error texts."""
from __future__ import annotations

import pytest
import torch

import ember
from oracle import assert_same, check, check_raises, random_array

X = random_array((5, 3, 2), seed=1)


def U(T):
    return T.nn.utils.rnn


@pytest.mark.parametrize("lengths,sort", [([5, 3, 2], True), ([2, 5, 3], False),
                                          ([5, 5, 5], True), ([1, 4, 2], False)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_round_trip(lengths, sort, batch_first):
    x = X.transpose(1, 0, 2).copy() if batch_first else X

    def fn(T, x):
        p = U(T).pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=sort)
        padded, lens = U(T).pad_packed_sequence(p, batch_first=batch_first, padding_value=-1.5,
                                                total_length=6)
        return p.data * 2, p.batch_sizes, p.sorted_indices, p.unsorted_indices, padded, lens
    check(fn, [x])


def test_packed_sequence_repr_and_grad_fn_names():
    def make(T):
        x = T.tensor(X, requires_grad=True)
        return U(T).pack_padded_sequence(x, T.tensor([2, 5, 3]), enforce_sorted=False)
    pt, pe = make(torch), make(ember)
    assert repr(pe) == repr(pt)
    assert type(pe.data.grad_fn).__name__ == type(pt.data.grad_fn).__name__
    for T, p in ((torch, pt), (ember, pe)):
        assert isinstance(p, tuple) and p._fields == ("data", "batch_sizes", "sorted_indices",
                                                      "unsorted_indices")
    names = [type(U(T).pad_packed_sequence(U(T).PackedSequence(p.data * 1, p.batch_sizes))[0]
                  .grad_fn).__name__ for T, p in ((torch, pt), (ember, pe))]
    assert names[0] == names[1]


def test_pad_sequence():
    a, b, c = random_array((2, 3), seed=2), random_array((4, 3), seed=3), random_array((1, 3),
                                                                                      seed=4)
    for bf in (False, True):
        for side in ("right", "left"):
            check(lambda T, a, b, c: U(T).pad_sequence([a, b, c], batch_first=bf,
                                                       padding_value=0.5, padding_side=side),
                  [a, b, c])
    check(lambda T: U(T).pad_sequence([T.ones(2, dtype=T.int64), T.ones(3)]), [])
    for T in (torch, ember):
        assert type(U(T).pad_sequence([T.ones(2, requires_grad=True), T.ones(3)]).grad_fn
                    ).__name__ == "CopySlices"


def test_pack_sequence_and_unpack():
    a, b, c = random_array((2, 3), seed=5), random_array((4, 3), seed=6), random_array((3, 3),
                                                                                      seed=7)

    def fn(T, a, b, c):
        p = U(T).pack_sequence([a, b, c], enforce_sorted=False)
        return p.data, p.batch_sizes, p.sorted_indices, U(T).unpack_sequence(p)
    check(fn, [a, b, c])
    check(lambda T, b, c, a: tuple(U(T).pack_sequence([b, c, a])), [b, c, a])

    def unpad(T, x):
        return U(T).unpad_sequence(x.clone(), T.tensor([5, 2, 3]))
    check(unpad, [X])
    check(lambda T: U(T).invert_permutation(T.tensor([2, 0, 3, 1])), [])
    assert U(ember).invert_permutation(None) is None


def test_packed_sequence_methods():
    for T in (torch, ember):
        p = U(T).pack_padded_sequence(T.tensor(X), [5, 3, 2])
        d = p.double()
        assert d.data.dtype == T.float64 and d.batch_sizes.dtype == T.int64
        assert p.to(T.float32) is p
        assert not p.is_cuda
        q = U(T).PackedSequence(p.data, p.batch_sizes)
        assert q.sorted_indices is None and q.unsorted_indices is None
        r = U(T).PackedSequence((p.data, p.batch_sizes))
        assert r.batch_sizes is p.batch_sizes
    assert_same(U(ember).pack_padded_sequence(ember.tensor(X), [5, 3, 2]).long().data,
                U(torch).pack_padded_sequence(torch.tensor(X), [5, 3, 2]).long().data)


@pytest.mark.parametrize("fn", [
    lambda T: U(T).pack_padded_sequence(T.randn(3, 2, 4), [2, 3]),
    lambda T: U(T).pack_padded_sequence(T.randn(3, 2, 4), [3, 0]),
    lambda T: U(T).pack_padded_sequence(T.randn(3, 2, 4), [3, 2, 1]),
    lambda T: U(T).pack_padded_sequence(T.randn(0, 2, 4), [0, 0]),
    lambda T: U(T).pack_padded_sequence(T.randn(3, 2, 4), T.tensor([[3, 2]])),
    lambda T: U(T).pad_sequence([]),
    lambda T: U(T).pad_sequence([T.ones(2), T.ones(3)], padding_side="middle"),
    lambda T: U(T).pad_sequence(5),
    lambda T: U(T).pad_packed_sequence(U(T).pack_padded_sequence(T.randn(3, 2), [3, 2]),
                                       total_length=2),
    lambda T: U(T).PackedSequence(T.randn(3)),
])
def test_rnn_utils_errors(fn):
    check_raises(fn)


def test_lengths_beyond_the_padded_length_are_refused():
    # torch reads past the end of its input here; ember raises instead of inventing values
    with pytest.raises(RuntimeError, match="exceeds the padded sequence length"):
        U(ember).pack_padded_sequence(ember.randn(3, 2, 4), [4, 2])
