"""Embedding lookup (EmbeddingBackward0) and the in-place max-norm renormalisation of the table.

Forward is one fancy-index gather; backward scatters the rows back with one `np.add.at`,
skipping `padding_idx` and optionally dividing by each index's frequency. ember.nn's
F.embedding and nn.Embedding (ember/nn/_functional2.py, modules/sparse.py) call these.
"""
from __future__ import annotations

import numpy as np

from .._tensor import _wrap
from ..autograd.grad_mode import GRAD
from ..autograd.op import Op
from ..backend import array_module

_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
          "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _xp(a):
    return np if type(a) is np.ndarray else array_module(a)


def _check_indices(idx, fn="embedding"):
    if idx.dtype != np.int64 and idx.dtype != np.int32:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following "
                           "scalar types: Long, Int; but got torch."
                           f"{_NAMES.get(idx.dtype.name, idx.dtype.name)}Tensor instead (while "
                           f"checking arguments for {fn})")


def _check_range(idx, n):
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise IndexError("index out of range in self")


class Embedding(Op):
    """weight[indices]; the gradient sums rows back into the table (padding row excluded)."""

    def forward(self, weight, indices, padding_idx=-1, scale_grad_by_freq=False):
        if weight.ndim != 2:
            raise RuntimeError("'weight' must be 2-D")
        _check_indices(indices)
        _check_range(indices, weight.shape[0])
        self.save_inputs(1)
        self.num_weights = weight.shape[0]
        self.padding_idx, self.scale = padding_idx, scale_grad_by_freq
        return weight[indices]

    def backward(self, grad):
        indices, = self.saved_inputs()
        if not self.needs_input_grad[0]:
            return None, None
        return embedding_dense_backward(grad, indices, self.num_weights, self.padding_idx,
                                        self.scale), None


def embedding_dense_backward(grad, indices, num_weights, padding_idx, scale_grad_by_freq):
    """The gradient of the table: rows of `grad` summed per index (differentiable in grad)."""
    idx = indices._data.reshape(-1)
    D = grad._data.shape[-1]
    xp = _xp(idx)
    keep = None
    if padding_idx >= 0:
        keep = idx != padding_idx
    scale = None
    if scale_grad_by_freq:
        counts = xp.bincount(idx, minlength=num_weights)
        scale = (1.0 / counts[idx]).astype(grad._data.dtype)
    if GRAD[0]:
        # a graph of the backward was asked for: the same sum from ember ops (linear in grad)
        from .._creation import zeros
        g = grad.reshape(-1, D)
        if scale is not None:
            g = g * _wrap(scale[:, None])
        if keep is not None:
            g = g * _wrap(keep[:, None].astype(grad._data.dtype))
        return zeros(num_weights, D, dtype=grad.dtype).index_add(0, _wrap(idx), g)
    g = grad._data.reshape(-1, D)
    if scale is not None:
        g = g * scale[:, None]
    if keep is not None:
        idx, g = idx[keep], g[keep]
    out = xp.zeros((num_weights, D), grad._data.dtype)
    if xp is np:
        np.add.at(out, idx, g)
    else:
        __import__("cupyx").scatter_add(out, idx, g)
    return _wrap(out)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False):
    """torch.embedding(weight, indices, padding_idx, scale_grad_by_freq)."""
    return Embedding.apply(weight, indices, padding_idx=padding_idx,
                           scale_grad_by_freq=scale_grad_by_freq)


def embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rows of `weight` used by `indices` whose norm exceeds max_norm are scaled down to it in
    place (torch.embedding_renorm_: scale = max_norm / (norm + 1e-7)). No gradient."""
    _check_indices(indices._data, "embedding_renorm_")
    w = weight._data
    xp = _xp(w)
    rows = xp.unique(indices._data.reshape(-1))
    _check_range(rows, w.shape[0])
    sel = w[rows]
    p = float(norm_type)
    if p == float("inf"):
        norms = xp.abs(sel).max(axis=1)
    elif p == 1:
        norms = xp.abs(sel).sum(axis=1)
    elif p == 2:
        norms = xp.sqrt((sel * sel).sum(axis=1))
    else:
        norms = (xp.abs(sel) ** p).sum(axis=1) ** (1.0 / p)
    big = norms > max_norm
    if big.any():
        r = rows[big]
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[r] = sel[big] * scale[:, None]
    weight._bump()
    return weight


# ---- embedding bag ----------------------------------------------------------------------------

_BAG_MODES = {0: "sum", 1: "mean", 2: "max"}


class EmbeddingBag(Op):
    """Sum / mean / max of the embeddings of each bag (a run of `indices` that starts at an
    offset). Inputs: weight and per_sample_weights (or None); the indices, offsets and mode are
    parameters. Padding entries are left out of their bag (and of its count)."""

    def forward(self, weight, psw, indices=None, offsets=None, mode=1, padding_idx=-1,
                include_last_offset=False, scale_grad_by_freq=False):
        _check_indices(indices, "embedding_bag")
        _check_indices(offsets, "embedding_bag")
        n = indices.size
        offs = offsets.astype(np.int64).reshape(-1)
        if offs.size and offs[0] != 0:
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the "
                               "mini-batch has to start from position 0. However, got "
                               f"{int(offs[0])}")
        if offs.size and offs[-1] > n:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but "
                               f"got offsets[-1] of {int(offs[-1])}")
        ends = offs[1:] if include_last_offset else np.append(offs[1:], n)
        starts = offs[:-1] if include_last_offset else offs
        B = starts.size
        lengths = np.maximum(ends - starts, 0)
        seg = np.repeat(np.arange(B), lengths)               # bag of each used position
        pos = np.arange(seg.size) + (starts[0] if B else 0)
        idx = indices.reshape(-1)[pos]
        bad = np.flatnonzero((idx < 0) | (idx >= weight.shape[0]))
        if bad.size:
            # torch's kernels word this differently (and some scan in another order)
            i, v = int(pos[bad[0]]), int(idx[bad[0]])
            if mode == 2 or weight.dtype != np.float32:
                raise RuntimeError("embedding_bag: Expected idx >= 0 && idx < num_embeddings but "
                                   f"found idx to be {v}")
            raise RuntimeError(f"Index {i} of input takes value {v} which is not in the valid "
                               f"range [0, {weight.shape[0]})")
        keep = idx != padding_idx
        idx, seg, pos = idx[keep], seg[keep], pos[keep]
        rows = weight[idx]
        if psw is not None:
            rows = rows * psw.reshape(-1)[pos][:, None]
        D = weight.shape[1]
        counts = np.bincount(seg, minlength=B)
        if mode == 2:
            out = np.full((B, D), -np.inf, weight.dtype)
            np.maximum.at(out, seg, rows)
            out[counts == 0] = 0
            # first position in its bag reaching the max: where the gradient goes
            hit = rows == out[seg]
            first = np.full((B, D), idx.size, np.int64)
            np.minimum.at(first, seg, np.where(hit, np.arange(idx.size)[:, None], idx.size))
            self.argmax = first
        else:
            out = np.zeros((B, D), weight.dtype)
            np.add.at(out, seg, rows)
            if mode == 1:
                out /= np.maximum(counts, 1)[:, None].astype(weight.dtype)
        self.idx, self.seg, self.pos, self.counts = idx, seg, pos, counts
        self.mode, self.scale, self.num_weights = mode, scale_grad_by_freq, weight.shape[0]
        if scale_grad_by_freq:
            # NOTE: torch's CPU kernel divides the k-th distinct index (in sorted order) by the
            # count of the k-th entry of the *sorted indices*, not of that index itself; its
            # gradients follow that rule, and so do ember's
            srt = np.sort(indices.reshape(-1))
            uniq = np.unique(srt)
            counts_all = np.bincount(srt, minlength=weight.shape[0])
            per_uniq = counts_all[srt[np.arange(uniq.size)]]
            self.freq = per_uniq[np.searchsorted(uniq, idx)]
        else:
            self.freq = None
        self.psw_shape = None if psw is None else psw.shape
        self.save_inputs(0, 1)
        return out

    def _row_factor(self, dtype):
        """Per used position: 1/count for mean, 1/frequency with scale_grad_by_freq."""
        f = np.ones(self.idx.size, dtype)
        if self.mode == 1:
            f /= np.maximum(self.counts, 1)[self.seg]
        if self.scale:
            f /= self.freq
        return f

    def backward(self, grad):
        weight, psw = self.saved_inputs()
        needs = self.needs_input_grad
        dt = grad._data.dtype
        D = grad._data.shape[1]
        gw = gp = None
        if GRAD[0]:
            from .._creation import zeros
            seg_t, idx_t = _wrap(self.seg), _wrap(self.idx)
            if self.mode == 2:
                if needs[0]:
                    b, c = np.nonzero(self.argmax < self.idx.size)
                    flat = self.idx[self.argmax[b, c]] * D + c
                    gw = zeros(self.num_weights * D, dtype=grad.dtype).index_add(
                        0, _wrap(flat), grad[_wrap(b), _wrap(c)]).view(self.num_weights, D)
                return gw, None
            g = grad.index_select(0, seg_t)
            if needs[0]:
                contrib = g * _wrap(self._row_factor(dt)[:, None])
                if psw is not None:
                    contrib = contrib * psw.reshape(-1).index_select(0, _wrap(self.pos))[:, None]
                gw = zeros(self.num_weights, D, dtype=grad.dtype).index_add(0, idx_t, contrib)
            if psw is not None and needs[1]:
                per = (g * weight.index_select(0, idx_t)).sum(1)
                gp = zeros(psw.numel(), dtype=grad.dtype).index_add(0, _wrap(self.pos), per) \
                    .view(self.psw_shape)
            return gw, gp
        g = grad._data
        if needs[0]:
            out = np.zeros((self.num_weights, D), dt)
            if self.mode == 2:
                b, c = np.nonzero(self.argmax < self.idx.size)
                np.add.at(out, (self.idx[self.argmax[b, c]], c), g[b, c])
            else:
                contrib = g[self.seg] * self._row_factor(dt)[:, None]
                if psw is not None:
                    contrib *= psw._data.reshape(-1)[self.pos][:, None]
                np.add.at(out, self.idx, contrib)
            gw = _wrap(out)
        if psw is not None and needs[1]:
            per = np.zeros(psw._data.size, dt)
            per[self.pos] = (g[self.seg] * weight._data[self.idx]).sum(axis=1)
            gp = _wrap(per.reshape(self.psw_shape))
        return gw, gp


def embedding_bag(weight, indices, offsets, scale_grad_by_freq, mode, per_sample_weights,
                  include_last_offset, padding_idx):
    """torch.embedding_bag's output (EmbeddingBagBackward0); mode 0 sum, 1 mean, 2 max."""
    return EmbeddingBag.apply(weight, per_sample_weights, indices=indices._data,
                              offsets=offsets._data, mode=mode, padding_idx=padding_idx,
                              include_last_offset=include_last_offset,
                              scale_grad_by_freq=scale_grad_by_freq)
