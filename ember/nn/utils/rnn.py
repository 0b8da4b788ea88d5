"""Variable-length sequences for the recurrent layers (torch.nn.utils.rnn): PackedSequence,
pack_padded_sequence / pad_packed_sequence, pad_sequence / unpad_sequence, pack_sequence /
unpack_sequence, invert_permutation.

Packing gathers the rows that exist at each time step with one fancy index (time-major, the
layout ember.ops.rnn_ops runs on); unpacking scatters them back. Both are one Op each, named
as torch's nodes (PackPaddedSequenceBackward0, CopySlices).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ... import _creation as C
from ... import int64 as _long
from ..._tensor import Tensor, _wrap
from ...autograd.op import Op

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_):
    """Packed rows of sequences sorted by length, plus the batch size at each step; see
    torch.nn.utils.rnn.PackedSequence."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        return super().__new__(cls, *_packed_sequence_init_args(data, batch_sizes,
                                                                sorted_indices, unsorted_indices))

    def pin_memory(self):
        return type(self)(self.data.pin_memory(), self.batch_sizes,
                          bind(self.sorted_indices, lambda t: t.pin_memory()),
                          bind(self.unsorted_indices, lambda t: t.pin_memory()))

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def call_to(t):
            return t.to(data.device)
        return type(self)(data, self.batch_sizes, bind(self.sorted_indices, call_to),
                          bind(self.unsorted_indices, call_to))

    def cuda(self, *args, **kwargs):
        kwargs.setdefault("device", "cuda") if not args else None
        return self.to(*args, **kwargs)

    def cpu(self, *args, **kwargs):
        return self.to("cpu")

    def double(self):
        from ... import float64
        return self.to(dtype=float64)

    def float(self):
        from ... import float32
        return self.to(dtype=float32)

    def half(self):
        from ... import float16
        return self.to(dtype=float16)

    def long(self):
        return self.to(dtype=_long)

    def int(self):
        from ... import int32
        return self.to(dtype=int32)

    def short(self):
        from ... import int16
        return self.to(dtype=int16)

    def char(self):
        from ... import int8
        return self.to(dtype=int8)

    def byte(self):
        from ... import uint8
        return self.to(dtype=uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return self.data.is_pinned()


def _packed_sequence_init_args(data, batch_sizes=None, sorted_indices=None,
                               unsorted_indices=None):
    if unsorted_indices is None:
        unsorted_indices = invert_permutation(sorted_indices)
    if batch_sizes is not None:
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                "created manually. They should be instantiated by functions like pack_sequence "
                "and pack_padded_sequences in nn.utils.rnn. https://pytorch.org/docs/stable/nn."
                "html#torch.nn.utils.rnn.pack_sequence")
        return data, batch_sizes, sorted_indices, unsorted_indices
    if not (isinstance(data, (list, tuple)) and len(data) == 2):
        raise AssertionError("Expected data to be a list or tuple of length 2")
    return data[0], data[1], sorted_indices, unsorted_indices


def _packed_sequence_init(data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
    return PackedSequence(*_packed_sequence_init_args(data, batch_sizes, sorted_indices,
                                                      unsorted_indices))


def invert_permutation(permutation):
    """The inverse of a permutation tensor (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return _wrap(out)


def _rows(batch_sizes):
    """(time, batch) index of every packed row, in packed (time-major) order."""
    T = batch_sizes.size
    t = np.repeat(np.arange(T), batch_sizes)
    starts = np.repeat(np.cumsum(batch_sizes) - batch_sizes, batch_sizes)
    b = np.arange(t.size) - starts
    return t, b


class PackPaddedSequence(Op):
    """Gather the existing rows of a (T, B, *) input into packed (N, *) data."""

    def forward(self, x, t=None, b=None):
        self.shape, self.t, self.b = x.shape, t, b
        return x[t, b]

    def backward(self, grad):
        from ... import zeros
        g = zeros(self.shape, dtype=grad.dtype)
        g[self.t, self.b] = grad
        return g


class _PadPacked(Op):
    """Scatter packed (N, *) rows into a (T, B, *) tensor filled with padding_value."""
    node_name = "CopySlices"

    def forward(self, data, t=None, b=None, shape=(), value=0.0):
        self.t, self.b = t, b
        out = np.full(shape, value, data.dtype)
        out[t, b] = data
        return out

    def backward(self, grad):
        return grad[self.t, self.b]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch of sequences of the given lengths; see torch's."""
    if not isinstance(lengths, Tensor):
        lengths = C.as_tensor(lengths, dtype=_long)
    else:
        lengths = lengths.to(dtype=_long)
    if enforce_sorted:
        sorted_indices = None
    else:
        lengths, sorted_indices = lengths.sort(descending=True)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    data, batch_sizes = _pack_padded(input, lengths, batch_first)
    return _packed_sequence_init(data, batch_sizes, sorted_indices, None)


def _pack_padded(input, lengths, batch_first):
    """torch._pack_padded_sequence: (data, batch_sizes) with torch's checks."""
    if batch_first:
        input = input.transpose(0, 1)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    L = lengths._data
    if L.ndim != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{L.ndim}D cpu Long tensor")
    B = input.shape[1]
    if L.size != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {L.size} "
                           f"(batch_size={B})")
    if L[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if np.any(L[1:] > L[:-1]):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                           "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                           "pack_padded_sequence and/or pack_sequence to sidestep this "
                           "requirement if you do not need ONNX exportability.")
    if L[0] > input.shape[0]:
        # torch reads past the end of the input here (undefined values); ember refuses
        raise RuntimeError(f"pack_padded_sequence: a length ({int(L[0])}) exceeds the padded "
                           f"sequence length ({input.shape[0]})")
    # batch_sizes[t] = number of sequences longer than t
    batch_sizes = (L[None, :] > np.arange(int(L[0]))[:, None]).sum(axis=1).astype(np.int64)
    t, b = _rows(batch_sizes)
    return PackPaddedSequence.apply(input, t=t, b=b), _wrap(batch_sizes)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack a PackedSequence into (padded tensor, lengths); see torch's."""
    bs = sequence.batch_sizes._data.astype(np.int64)
    max_len = bs.size
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_len}")
        max_len = total_length
    data = sequence.data
    B = int(bs[0])
    t, b = _rows(bs)
    out = _PadPacked.apply(data, t=t, b=b, shape=(max_len, B) + tuple(data.shape[1:]),
                           value=padding_value)
    if batch_first:
        out = out.transpose(0, 1)
    lengths = _wrap((bs[None, :] > np.arange(B)[:, None]).sum(axis=1).astype(np.int64))
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        return out.index_select(0 if batch_first else 1, unsorted), lengths[unsorted]
    return out, lengths


class _PadSequence(Op):
    """Stack sequences of different lengths into one tensor filled with padding_value."""
    node_name = "CopySlices"

    def forward(self, *seqs, batch_first=False, value=0.0, left=False):
        L = max(s.shape[0] for s in seqs)
        trail = seqs[0].shape[1:]
        dt = seqs[0].dtype   # torch fills a tensor like the first sequence
        out = np.full((len(seqs), L) + trail, value, dt)
        self.keys = []
        for i, s in enumerate(seqs):
            key = (i, slice(L - s.shape[0], L) if left else slice(0, s.shape[0]))
            out[key] = s
            self.keys.append(key)
        self.batch_first = batch_first
        return out if batch_first else np.swapaxes(out, 0, 1).copy()

    def backward(self, grad):
        g = grad if self.batch_first else grad.transpose(0, 1)
        return tuple(g[key] for key in self.keys)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Pad a list of (L_i, *) tensors to one (L, B, *) (or (B, L, *)) tensor; see torch's."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of "
                           f"type: {type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    return _PadSequence.apply(*sequences, batch_first=batch_first, value=padding_value,
                              left=padding_side == "left")


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of unpadded sequences of a padded batch; see torch's."""
    if not batch_first:
        padded_sequences.transpose_(0, 1)
    max_length = padded_sequences.shape[1]
    idx = C.arange(max_length)
    out = []
    for seq, length in zip(padded_sequences, lengths):
        out.append(seq[idx < length])
    return out


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of variable-length sequences; see torch.nn.utils.rnn.pack_sequence."""
    lengths = C.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences in a PackedSequence; see torch.nn.utils.rnn.unpack_sequence."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
