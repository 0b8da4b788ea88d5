"""Recurrent layers (torch's _VF.lstm / gru / rnn_tanh / rnn_relu) and cells on NumPy.

One Op runs one direction of one layer over the whole sequence: the input projection of every
time step is one GEMM up front, then each step is one GEMM for the hidden state plus a few
fused elementwise passes; backward is the same loop reversed (one GEMM per step), with the
weight gradients as one GEMM each at the end. Padded (T, B, I) and packed (sum(batch_sizes), I)
inputs share the loop: a packed step simply uses fewer rows. The cells (LSTMCell, ...) are
composites of ember ops, as torch's are. ember.nn's RNN/LSTM/GRU modules call `rnn`.
"""
from __future__ import annotations

import numpy as np

from .._tensor import _wrap
from ..autograd.grad_mode import GRAD
from ..autograd.op import Op
from .norm_ops import composite_vjp
from .shape import Transpose

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class _TransposeInplace(Transpose):
    """torch's in-place transpose_ of a result (its grad_fn is TransposeBackward1)."""
    node_name = "TransposeBackward1"


def _steps(batch_sizes, reverse):
    """(row offset, rows) of each time step in processing order."""
    offs = np.concatenate(([0], np.cumsum(batch_sizes)[:-1]))
    steps = list(zip(offs.tolist(), batch_sizes.tolist()))
    return steps[::-1] if reverse else steps


def _lstm_perm(H):
    """Gate rows reordered i,f,g,o -> o,i,f,g: the three sigmoid gates are adjacent."""
    return np.r_[3 * H:4 * H, 0:3 * H]


def _prev_rows(S, S0, B, reverse):
    """The state entering each step of a padded sequence: S shifted by one step, S0 first."""
    if reverse:
        return np.concatenate((S[B:], S0))
    return np.concatenate((S0, S[:S.shape[0] - B]))


class RnnLayer(Op):
    """One direction of one recurrent layer over a whole (padded or packed) sequence.

    Inputs x, h0, c0 (LSTM only, else None), w_ih, w_hh, b_ih, b_hh, w_hr (LSTM projection,
    else None); outputs (out, h_last[, c_last]). x is (T, B, I) when batch_sizes is None, else
    packed (N, I) with rows grouped by time step. Gates are activated through one exp per
    step: sigmoid(x) = 1 / (1 + exp(-x)) and tanh(x) = 2 sigmoid(2x) - 1, the factors -1 and
    -2 folded into the weight rows (NumPy's exp is several times faster than its tanh)."""

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode="LSTM", batch_sizes=None,
                reverse=False):
        self.mode, self.reverse = mode, reverse
        self.packed = packed = batch_sizes is not None
        if not packed:
            batch_sizes = np.full(x.shape[0], x.shape[1], np.int64)
        self.batch_sizes = batch_sizes
        self.in_shape = x.shape
        dt = x.dtype
        cdt = np.float32 if dt.itemsize < 4 else dt
        x2 = x.reshape(-1, x.shape[-1]).astype(cdt, copy=False)
        G = _GATES[mode]
        H = w_ih.shape[0] // G
        self.steps = steps = _steps(batch_sizes, reverse)
        N, B = x2.shape[0], h0.shape[0]
        wih, whh, bih, bhh, whr = [None if a is None else a.astype(cdt, copy=False) for a in
                                   (w_ih, w_hh, b_ih, b_hh, w_hr)]
        lstm, gru = mode == "LSTM", mode == "GRU"
        if lstm:
            perm = _lstm_perm(H)
            wih, whh = wih[perm], whh[perm]
            bih, bhh = (None, None) if bih is None else (bih[perm], bhh[perm])
        self.wih, self.whh, self.whr = wih, whh, whr
        nsig = 3 * H if lstm else 2 * H if gru else 0   # columns of sigmoid gates
        # pre-activation scale per gate row: -1 for sigmoid gates, -2 for the LSTM's tanh gate
        # (so that one exp serves them all); GRU's tanh gate n is computed on its own
        sc = None
        if nsig:
            sc = np.full(G * H, -1.0, cdt)
            sc[nsig:] = -2.0 if lstm else 1.0
        wih_s = wih if sc is None else wih * sc[:, None]
        whh_s = whh if sc is None else whh * sc[:, None]
        # input projection of the whole sequence; the biases fold in once (GRU keeps b_hh
        # apart: its new gate multiplies the hidden half by r)
        XW = x2 @ np.ascontiguousarray(wih_s.T)   # BLAS is faster on C-ordered operands here
        if bih is not None:
            b = bih if (gru or bhh is None) else bih + bhh
            XW += b if sc is None else b * sc
            if gru and bhh is not None:
                bhh = bhh * sc
        whhT = np.ascontiguousarray(whh_s.T)
        Hout = whh.shape[1]
        out = np.empty((N, Hout), cdt)
        h0 = h0.astype(cdt, copy=False)
        hT = np.empty_like(h0)
        uniform = not packed
        Hprev = None if uniform else np.empty((N, Hout), cdt)
        if lstm:
            c0 = c0.astype(cdt, copy=False)
            cT = np.empty_like(c0)
            C = np.empty((N, H), cdt)
            Cprev = None if uniform else np.empty((N, H), cdt)
            TC = np.empty((N, H), cdt)
            Hraw = np.empty((N, H), cdt) if whr is not None else None
        elif gru:
            GH = np.empty((N, 3 * H), cdt)
        hs, cs = h0, (c0 if lstm else None)
        cur = int(batch_sizes[0]) if (uniform or not reverse) else 0
        for o0, bs in steps:
            r1 = o0 + bs
            if uniform:
                hp = hs
                cp = cs
            else:
                # the state entering this step: rows of the previous step's state, plus fresh
                # rows of h0 where a reversed packed sequence starts; finished rows retire
                if not reverse:
                    if bs < cur:
                        hT[bs:cur] = hs[bs:cur]
                        if lstm:
                            cT[bs:cur] = cs[bs:cur]
                        cur = bs
                    Hprev[o0:r1] = hs[:bs]
                    if lstm:
                        Cprev[o0:r1] = cs[:bs]
                else:
                    Hprev[o0:o0 + cur] = hs[:cur]
                    Hprev[o0 + cur:r1] = h0[cur:bs]
                    if lstm:
                        Cprev[o0:o0 + cur] = cs[:cur]
                        Cprev[o0 + cur:r1] = c0[cur:bs]
                    cur = bs
                hp = Hprev[o0:r1]
                cp = Cprev[o0:r1] if lstm else None
            g = XW[o0:r1]
            if lstm:
                g += hp @ whhT
                np.exp(g, out=g)
                g += 1
                np.reciprocal(g, out=g)       # sigmoid of o, i, f; sigmoid(2x) of g
                gg = g[:, nsig:]
                gg *= 2
                gg -= 1                        # tanh of the cell gate
                c = C[o0:r1]
                np.multiply(g[:, 2 * H:3 * H], cp, out=c)
                c += g[:, H:2 * H] * g[:, 3 * H:]
                tc = np.tanh(c, out=TC[o0:r1])
                if whr is None:
                    np.multiply(g[:, :H], tc, out=out[o0:r1])
                else:
                    hr = np.multiply(g[:, :H], tc, out=Hraw[o0:r1])
                    np.matmul(hr, whr.T, out=out[o0:r1])
                cs = c
            elif gru:
                gh = np.matmul(hp, whhT, out=GH[o0:r1])
                if bhh is not None:
                    gh += bhh
                rz = g[:, :nsig]
                rz += gh[:, :nsig]
                np.exp(rz, out=rz)
                rz += 1
                np.reciprocal(rz, out=rz)     # sigmoid of r and z
                n = g[:, 2 * H:]
                n += rz[:, :H] * gh[:, 2 * H:]
                np.tanh(n, out=n)
                o = out[o0:r1]
                np.subtract(hp, n, out=o)
                o *= rz[:, H:]
                o += n
            else:
                g += hp @ whhT
                if mode == "RNN_TANH":
                    np.tanh(g, out=out[o0:r1])
                else:
                    np.maximum(g, 0, out=out[o0:r1])
            hs = out[o0:r1]
        hT[:cur] = hs[:cur]
        if lstm:
            cT[:cur] = cs[:cur]
        if uniform:
            Hprev = _prev_rows(out, h0, B, reverse)
            if lstm:
                Cprev = _prev_rows(C, c0, B, reverse)
        self.save_inputs(0, 1, 2, 3, 4, 5, 6, 7)
        self.x2, self.XW, self.Hprev, self.out = x2, XW, Hprev, out
        if lstm:
            self.Cprev, self.TC, self.Hraw = Cprev, TC, Hraw
        elif gru:
            self.GHn = GH[:, 2 * H:]
        o = out if packed else out.reshape(x.shape[0], x.shape[1], Hout)
        if lstm:
            return o.astype(dt, copy=False), hT.astype(dt, copy=False), cT.astype(dt, copy=False)
        return o.astype(dt, copy=False), hT.astype(dt, copy=False)

    def backward(self, gout, ghT, gcT=None):
        saved = self.saved_inputs()  # raises if freed, or if an input was modified in place
        if GRAD[0]:
            return self._composite_backward(saved, gout, ghT, gcT)
        mode = self.mode
        wih, whh, whr = self.wih, self.whh, self.whr
        cdt = self.x2.dtype
        G = _GATES[mode]
        H = wih.shape[0] // G
        N = self.x2.shape[0]
        dout = gout._data.reshape(N, -1).astype(cdt, copy=False)
        dh = ghT._data.astype(cdt, copy=True)
        XW, Hprev = self.XW, self.Hprev   # XW now holds the activated gates
        dG = np.empty((N, G * H), cdt)
        dG3 = dG.reshape(N, G, H)
        steps = self.steps[::-1]
        if mode == "LSTM":
            # everything that does not depend on the recurrence, for all steps at once
            o, i, f, gg = XW[:, :H], XW[:, H:2 * H], XW[:, 2 * H:3 * H], XW[:, 3 * H:]
            tc = self.TC
            Ao = tc * o * (1 - o)
            Bc = o * (1 - tc * tc)
            A = np.empty((N, 3, H), cdt)
            np.multiply(gg, i * (1 - i), out=A[:, 0])
            np.multiply(self.Cprev, f * (1 - f), out=A[:, 1])
            np.multiply(i, 1 - gg * gg, out=A[:, 2])
            dc = gcT._data.astype(cdt, copy=True)
            dHt = np.empty_like(dout) if whr is not None else None
            for o0, bs in steps:
                r1 = o0 + bs
                dht = dh[:bs] + dout[o0:r1]
                if whr is not None:
                    dHt[o0:r1] = dht
                    dht = dht @ whr
                np.multiply(dht, Ao[o0:r1], out=dG3[o0:r1, 0])
                dct = dht * Bc[o0:r1]
                dct += dc[:bs]
                np.multiply(dct[:, None, :], A[o0:r1], out=dG3[o0:r1, 1:])
                np.multiply(dct, f[o0:r1], out=dc[:bs])
                np.matmul(dG[o0:r1], whh, out=dh[:bs])
            dGh = dG
        elif mode == "GRU":
            r, z, n = XW[:, :H], XW[:, H:2 * H], XW[:, 2 * H:]
            Kn = (1 - z) * (1 - n * n)            # d n_pre / d h'
            K = np.empty((N, 3, H), cdt)          # hidden-side gate factors: r, z, n (* r)
            np.multiply(Kn * self.GHn, r * (1 - r), out=K[:, 0])
            np.multiply(Hprev - n, z * (1 - z), out=K[:, 1])
            np.multiply(Kn, r, out=K[:, 2])
            DHT = np.empty((N, H), cdt)
            dGh = np.empty((N, 3 * H), cdt)
            dGh3 = dGh.reshape(N, 3, H)
            for o0, bs in steps:
                r1 = o0 + bs
                dht = np.add(dh[:bs], dout[o0:r1], out=DHT[o0:r1])
                np.multiply(dht[:, None, :], K[o0:r1], out=dGh3[o0:r1])
                np.matmul(dGh[o0:r1], whh, out=dh[:bs])
                dh[:bs] += dht * z[o0:r1]
            # input-side gates: r and z as on the hidden side, n without the factor r
            dG3[:, :2] = dGh3[:, :2]
            np.multiply(DHT, Kn, out=dG3[:, 2])
        else:
            h = self.out
            K = (1 - h * h) if mode == "RNN_TANH" else (h > 0).astype(cdt)
            for o0, bs in steps:
                r1 = o0 + bs
                dht = dh[:bs] + dout[o0:r1]
                np.multiply(dht, K[o0:r1], out=dG[o0:r1])
                np.matmul(dG[o0:r1], whh, out=dh[:bs])
            dGh = dG
        needs = self.needs_input_grad
        dt = saved[0]._data.dtype
        res = [None] * 8
        if needs[0]:
            res[0] = _wrap((dG @ wih).reshape(self.in_shape).astype(dt, copy=False))
        if needs[1]:
            res[1] = _wrap(dh.astype(dt, copy=False))
        if mode == "LSTM" and needs[2]:
            res[2] = _wrap(dc.astype(dt, copy=False))
        inv = np.argsort(_lstm_perm(H)) if mode == "LSTM" else None

        def unperm(a):
            a = a if inv is None else a[inv]
            return _wrap(a.astype(dt, copy=False))
        if needs[3]:
            res[3] = unperm(dG.T @ self.x2)
        if needs[4]:
            res[4] = unperm(dGh.T @ Hprev)
        if needs[5]:
            res[5] = unperm(dG.sum(axis=0))
        if needs[6]:
            res[6] = unperm(dGh.sum(axis=0))
        if whr is not None and needs[7]:
            res[7] = _wrap((dHt.T @ self.Hraw).astype(dt, copy=False))
        return tuple(res)

    def _release(self):
        # after a backward without retain_graph: drop the per-step buffers with the saved inputs
        super()._release()
        for k in ("x2", "XW", "Hprev", "out", "Cprev", "TC", "Hraw", "GHn"):
            self.__dict__.pop(k, None)

    def _composite_backward(self, args, gout, ghT, gcT):
        """create_graph: differentiate the layer rebuilt from ember ops (exact higher order)."""
        grads = (gout, ghT) if gcT is None else (gout, ghT, gcT)
        return composite_vjp(
            lambda *a: layer_composite(*a, mode=self.mode, batch_sizes=self.batch_sizes,
                                       reverse=self.reverse, packed=self.packed),
            args, self.needs_input_grad, grads)


def _layer_class(name):
    cls = _LAYER_CLASSES.get(name)
    if cls is None:
        cls = _LAYER_CLASSES[name] = type(name, (RnnLayer,), {"node_name": name})
    return cls


_LAYER_CLASSES: dict = {}


def layer_composite(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode, batch_sizes, reverse,
                    packed):
    """The same layer step by step from ember ops (the reference math; used for double
    backward): returns (out, h_last[, c_last])."""
    from .linalg import matmul
    from .shape import cat, stack
    if not packed:
        T, B = x.shape[0], x.shape[1]
        x = x.reshape(T * B, x.shape[2])
    xw = matmul(x, w_ih.t())
    if b_ih is not None:
        xw = xw + b_ih
    steps = _steps(batch_sizes, reverse)
    h, c = h0, c0
    outs = {}
    lastH, lastC = [None] * h0.shape[0], [None] * h0.shape[0]
    cur = batch_sizes[0] if not reverse else 0
    for o0, bs in steps:
        if not reverse and bs < cur:
            for b in range(bs, cur):
                lastH[b] = h[b]
                if c is not None:
                    lastC[b] = c[b]
            cur = bs
        if reverse and bs > cur:
            h = cat([h[:cur], h0[cur:bs]]) if cur else h0[:bs]
            if c is not None:
                c = cat([c[:cur], c0[cur:bs]]) if cur else c0[:bs]
            cur = bs
        hp = h[:bs]
        gi = xw[o0:o0 + bs]
        gh = matmul(hp, w_hh.t())
        if b_hh is not None:
            gh = gh + b_hh
        if mode == "LSTM":
            gates = gi + gh
            i, f, g, o = gates.chunk(4, 1)
            c = f.sigmoid() * c[:bs] + i.sigmoid() * g.tanh()
            h = o.sigmoid() * c.tanh()
            if w_hr is not None:
                h = matmul(h, w_hr.t())
        elif mode == "GRU":
            ir, iz, i_n = gi.chunk(3, 1)
            hr, hz, hn = gh.chunk(3, 1)
            r = (ir + hr).sigmoid()
            z = (iz + hz).sigmoid()
            n = (i_n + r * hn).tanh()
            h = n + z * (hp - n)
        else:
            pre = gi + gh
            h = pre.tanh() if mode == "RNN_TANH" else _relu(pre)
        outs[o0] = h
    for b in range(cur):
        lastH[b] = h[b]
        if c is not None:
            lastC[b] = c[b]
    out = cat([outs[o0] for o0 in sorted(outs)])
    if not packed:
        out = out.reshape(T, B, -1)
    hT = stack(lastH)
    if mode == "LSTM":
        return out, hT, stack(lastC)
    return out, hT


def _relu(x):
    from .nn_ops import Relu
    return Relu.apply(x)


def _batch_first_transpose(out, mkldnn):
    """torch transposes a batch_first result back with an in-place transpose_
    (TransposeBackward1), except on the oneDNN LSTM path (TransposeBackward0)."""
    if mkldnn:
        return out.transpose(0, 1)
    return _TransposeInplace.apply(out, d0=0, d1=1)


def _layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_sizes, reverse, mkldnn):
    """One direction of one layer, as the op whose grad_fn name torch's output shows: packed
    steps are concatenated (CatBackward0); float32 LSTM without projection is oneDNN's
    MkldnnRnnLayerBackward0; everything else stacks its steps (StackBackward0)."""
    if batch_sizes is not None:
        name = "CatBackward0"
    else:
        name = "MkldnnRnnLayerBackward0" if mkldnn else "StackBackward0"
    return _layer_class(name).apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode=mode,
                                    batch_sizes=batch_sizes, reverse=reverse)


def rnn(mode, input, hx, weights, has_biases, num_layers, dropout, train, bidirectional,
        batch_first, batch_sizes=None):
    """torch._VF.lstm / gru / rnn_tanh / rnn_relu. hx is (h0, c0) for LSTM, else h0; weights
    the flat list in torch's order (per layer and direction: w_ih, w_hh[, b_ih, b_hh][, w_hr]).
    Returns (output, h_n) or (output, h_n, c_n)."""
    from .shape import cat, stack
    dirs = 2 if bidirectional else 1
    per = len(weights) // (num_layers * dirs)
    lstm = mode == "LSTM"
    h0s, c0s = (hx if lstm else (hx, None))
    bs = None if batch_sizes is None else np.asarray(batch_sizes._data if hasattr(
        batch_sizes, "_data") else batch_sizes, np.int64)
    x = input
    # torch runs float32 LSTMs without projection on padded input through oneDNN
    mkldnn = lstm and bs is None and len(weights) // (num_layers * dirs) == (
        4 if has_biases else 2) and input._data.dtype.name in ("float32", "bfloat16")
    if lstm and bs is None and not mkldnn and input._data.dtype.name in ("float32", "bfloat16"):
        _warn_projection_once()
    if bs is None and batch_first:
        x = x.transpose(0, 1)
    hs, cs = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            ws = weights[k * per:(k + 1) * per]
            w_ih, w_hh = ws[0], ws[1]
            b_ih, b_hh = (ws[2], ws[3]) if has_biases else (None, None)
            w_hr = ws[-1] if per - (4 if has_biases else 2) == 1 else None
            res = _layer(mode, x, h0s[k], c0s[k] if lstm else None, w_ih, w_hh, b_ih, b_hh,
                         w_hr, bs, d == 1, mkldnn)
            outs.append(res[0])
            hs.append(res[1])
            if lstm:
                cs.append(res[2])
        x = outs[0] if dirs == 1 else cat(outs, -1)
        if dropout != 0 and train and layer < num_layers - 1:
            x = _dropout(x, dropout)
    if bs is None and batch_first:
        x = _batch_first_transpose(x, mkldnn)
    if lstm:
        return x, stack(hs, 0), stack(cs, 0)
    return x, stack(hs, 0)


_PROJ_WARNED = [False]


def _warn_projection_once():
    """torch's once-per-process notice that a projected float LSTM skips oneDNN."""
    if not _PROJ_WARNED[0]:
        _PROJ_WARNED[0] = True
        import warnings
        warnings.warn("LSTM with projections is not supported with oneDNN. Using default "
                      "implementation. (Triggered internally at /__w/pytorch/pytorch/aten/src/"
                      "ATen/native/RNN.cpp:1512.)", UserWarning, stacklevel=4)


def _dropout(x, p):
    """at::dropout on CPU: x * (bernoulli(1 - p) mask / (1 - p)), drawn like torch."""
    from .. import _random as R
    mask = R.dropout_mask(R.default_generator, x._data.shape, p, x._data.dtype)
    if 0 < p < 1:
        mask /= mask.dtype.type(1 - p)
    return x * _wrap(mask)


# ---- cells (composites of ember ops, as torch's are) ------------------------------------------

def _linear(x, w, b):
    from .linalg import addmm, matmul
    if b is None:
        return matmul(x, w.t())
    return addmm(b, x, w.t())


def _check_cell(input, hx, w_ih, w_hh, hidden_label="hidden0"):
    if input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected "
                           f"{w_ih.shape[1]}")
    for k, h in enumerate(hx):
        label = hidden_label if len(hx) == 1 else f"hidden{k}"
        if input.shape[0] != h.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match {label} batch "
                               f"size {h.shape[0]}")
        if h.shape[1] != w_hh.shape[1]:
            raise RuntimeError(f"{label} has inconsistent hidden_size: got {h.shape[1]}, "
                               f"expected {w_hh.shape[1]}")


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """torch.lstm_cell: gates = W_hh h + b_hh + W_ih x + b_ih; c' = f*c + i*g; h' = o*tanh c'."""
    h, c = hx
    _check_cell(input, (h, c), w_ih, w_hh)
    gates = _linear(h, w_hh, b_hh) + _linear(input, w_ih, b_ih)
    i, f, g, o = gates.chunk(4, 1)
    cy = f.sigmoid() * c + i.sigmoid() * g.tanh()
    hy = o.sigmoid() * cy.tanh()
    return hy, cy


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """torch.gru_cell: r, z from both halves; n = tanh(W_in x + r*(W_hn h + b_hn));
    h' = (h - n)*z + n."""
    _check_cell(input, (hx,), w_ih, w_hh)
    ir, iz, i_n = _linear(input, w_ih, b_ih).chunk(3, 1)
    hr, hz, hn = _linear(hx, w_hh, b_hh).chunk(3, 1)
    r = (hr + ir).sigmoid()
    z = (hz + iz).sigmoid()
    n = (i_n + hn * r).tanh()
    return (hx - n) * z + n


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """torch.rnn_tanh_cell: tanh(W_hh h + b_hh + W_ih x + b_ih)."""
    _check_cell(input, (hx,), w_ih, w_hh)
    return (_linear(hx, w_hh, b_hh) + _linear(input, w_ih, b_ih)).tanh()


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """torch.rnn_relu_cell: relu(W_hh h + b_hh + W_ih x + b_ih)."""
    _check_cell(input, (hx,), w_ih, w_hh)
    return _relu(_linear(hx, w_hh, b_hh) + _linear(input, w_ih, b_ih))
