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

class _TransposeInplace(Transpose):
    node_name = "TransposeBackward1"


_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _sigmoid_(a):
    """In-place logistic function."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)
    return a


def _steps(batch_sizes, reverse):
    """(row offset, rows) of each time step in processing order."""
    offs = np.concatenate(([0], np.cumsum(batch_sizes)[:-1]))
    steps = list(zip(offs.tolist(), batch_sizes.tolist()))
    return steps[::-1] if reverse else steps


def _lstm_perm(H):
    """Gate rows reordered i,f,g,o -> i,f,o,g so one sigmoid covers the first 3H columns."""
    return np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]


class RnnLayer(Op):
    """One direction of one recurrent layer over a whole (padded or packed) sequence.

    Inputs x, h0, c0 (LSTM only, else None), w_ih, w_hh, b_ih, b_hh, w_hr (LSTM projection,
    else None); outputs (out, h_last[, c_last]). x is (T, B, I) when batch_sizes is None, else
    packed (N, I) with rows grouped by time step."""

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode="LSTM", batch_sizes=None,
                reverse=False):
        self.mode, self.reverse = mode, reverse
        self.packed = batch_sizes is not None
        if batch_sizes is None:
            batch_sizes = np.full(x.shape[0], x.shape[1], np.int64)
        self.batch_sizes = batch_sizes
        self.in_shape = x.shape
        dt = x.dtype
        cdt = np.float32 if dt.itemsize < 4 else dt
        x2 = x.reshape(-1, x.shape[-1]).astype(cdt, copy=False)
        G = _GATES[mode]
        H = w_ih.shape[0] // G
        self.steps = steps = _steps(batch_sizes, reverse)
        N = x2.shape[0]
        W = [None if a is None else a.astype(cdt, copy=False) for a in
             (w_ih, w_hh, b_ih, b_hh, w_hr)]
        if mode == "LSTM":
            perm = _lstm_perm(H)
            W = [W[0][perm], W[1][perm], None if W[2] is None else W[2][perm],
                 None if W[3] is None else W[3][perm], W[4]]
        wih, whh, bih, bhh, whr = W
        self.W = W
        # input projection of the whole sequence; the biases fold in once (GRU keeps b_hh
        # apart: its new gate multiplies the hidden half by r)
        XW = x2 @ wih.T
        if bih is not None:
            XW += bih if (mode == "GRU" or bhh is None) else bih + bhh
        whhT = whh.T
        Hout = whh.shape[1]
        out = np.empty((N, Hout), cdt)
        Hprev = np.empty((N, Hout), cdt)
        h0 = h0.astype(cdt, copy=False)
        hT = np.empty_like(h0)
        lstm = mode == "LSTM"
        if lstm:
            c0 = c0.astype(cdt, copy=False)
            cT = np.empty_like(c0)
            C = np.empty((N, H), cdt)
            Cprev = np.empty((N, H), cdt)
            TC = np.empty((N, H), cdt)
            Hraw = np.empty((N, H), cdt) if whr is not None else None
        elif mode == "GRU":
            GHn = np.empty((N, H), cdt)
        hs, cs = h0, (c0 if lstm else None)
        cur = batch_sizes[0] if not reverse else 0
        for o0, bs in steps:
            r1 = o0 + bs
            # the state entering this step: rows of the previous step's state, plus fresh
            # rows of h0 where a reversed packed sequence starts
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
            g = XW[o0:r1]
            if lstm:
                g += hp @ whhT
                _sigmoid_(g[:, :3 * H])
                np.tanh(g[:, 3 * H:], out=g[:, 3 * H:])
                c = C[o0:r1]
                np.multiply(g[:, H:2 * H], Cprev[o0:r1], out=c)
                c += g[:, :H] * g[:, 3 * H:]
                tc = np.tanh(c, out=TC[o0:r1])
                if whr is None:
                    np.multiply(g[:, 2 * H:3 * H], tc, out=out[o0:r1])
                else:
                    hr = np.multiply(g[:, 2 * H:3 * H], tc, out=Hraw[o0:r1])
                    np.matmul(hr, whr.T, out=out[o0:r1])
                cs = c
            elif mode == "GRU":
                gh = hp @ whhT
                if bhh is not None:
                    gh += bhh
                GHn[o0:r1] = gh[:, 2 * H:]
                rz = g[:, :2 * H]
                rz += gh[:, :2 * H]
                _sigmoid_(rz)
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
        self.save_inputs(0, 1, 2, 3, 4, 5, 6, 7)
        self.x2, self.XW, self.Hprev, self.out = x2, XW, Hprev, out
        if lstm:
            self.Cprev, self.TC, self.Hraw = Cprev, TC, Hraw
        elif mode == "GRU":
            self.GHn = GHn
        o = out if self.packed else out.reshape(x.shape[0], x.shape[1], Hout)
        if lstm:
            return o.astype(dt, copy=False), hT.astype(dt, copy=False), cT.astype(dt, copy=False)
        return o.astype(dt, copy=False), hT.astype(dt, copy=False)

    def backward(self, gout, ghT, gcT=None):
        saved = self.saved_inputs()  # raises if freed, or if an input was modified in place
        if GRAD[0]:
            return self._composite_backward(saved, gout, ghT, gcT)
        mode, W = self.mode, self.W
        wih, whh, bih, bhh, whr = W
        cdt = self.x2.dtype
        G = _GATES[mode]
        H = wih.shape[0] // G
        N = self.x2.shape[0]
        dout = gout._data.reshape(N, -1).astype(cdt, copy=False)
        dh = ghT._data.astype(cdt, copy=True)
        lstm = mode == "LSTM"
        dG = np.empty((N, G * H), cdt)
        XW, Hprev = self.XW, self.Hprev   # XW now holds the activated gates
        if lstm:
            dc = gcT._data.astype(cdt, copy=True)
            TC, Cprev = self.TC, self.Cprev
            dHt = np.empty_like(dout) if whr is not None else None
        elif mode == "GRU":
            dGh = np.empty((N, G * H), cdt)
            GHn = self.GHn
        for o0, bs in reversed(self.steps):
            r1 = o0 + bs
            dht = dh[:bs] + dout[o0:r1]
            if lstm:
                g = XW[o0:r1]
                i, f, o, gg = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
                tc = TC[o0:r1]
                if whr is not None:
                    dHt[o0:r1] = dht
                    dht = dht @ whr
                d = dG[o0:r1]
                # o gate: d(o*tanh c)/do, through the sigmoid
                np.multiply(dht, tc, out=d[:, 2 * H:3 * H])
                d[:, 2 * H:3 * H] *= o * (1 - o)
                dct = dht * o
                dct *= 1 - tc * tc
                dct += dc[:bs]
                np.multiply(dct, gg, out=d[:, :H])           # i
                d[:, :H] *= i * (1 - i)
                np.multiply(dct, Cprev[o0:r1], out=d[:, H:2 * H])   # f
                d[:, H:2 * H] *= f * (1 - f)
                np.multiply(dct, i, out=d[:, 3 * H:])        # g (tanh)
                d[:, 3 * H:] *= 1 - gg * gg
                np.multiply(dct, f, out=dc[:bs])
                dh[:bs] = d @ whh
            elif mode == "GRU":
                rz = XW[o0:r1, :2 * H]
                r, z = rz[:, :H], rz[:, H:]
                n = XW[o0:r1, 2 * H:]
                hp = Hprev[o0:r1]
                d = dG[o0:r1]
                dgh = dGh[o0:r1]
                dn = d[:, 2 * H:]
                np.multiply(dht, 1 - z, out=dn)
                dn *= 1 - n * n                                   # through tanh
                np.multiply(dn, r, out=dgh[:, 2 * H:])            # hidden half of n
                dr = d[:, :H]
                np.multiply(dn, GHn[o0:r1], out=dr)
                dr *= r * (1 - r)
                dz = d[:, H:2 * H]
                np.subtract(hp, n, out=dz)
                dz *= dht
                dz *= z * (1 - z)
                dgh[:, :2 * H] = d[:, :2 * H]
                dhp = dht * z
                dhp += dgh @ whh
                dh[:bs] = dhp
            else:
                h = self.out[o0:r1]
                d = dG[o0:r1]
                if mode == "RNN_TANH":
                    np.multiply(dht, 1 - h * h, out=d)
                else:
                    np.multiply(dht, h > 0, out=d)
                dh[:bs] = d @ whh
        needs = self.needs_input_grad
        dt = saved[0]._data.dtype
        dGh_ = dGh if mode == "GRU" else dG
        res = [None] * 8
        if needs[0]:
            res[0] = _wrap((dG @ wih).reshape(self.in_shape).astype(dt, copy=False))
        if needs[1]:
            res[1] = _wrap(dh.astype(dt, copy=False))
        if lstm and needs[2]:
            res[2] = _wrap(dc.astype(dt, copy=False))
        inv = np.argsort(_lstm_perm(H)) if lstm else None

        def unperm(a):
            a = a if inv is None else a[inv]
            return _wrap(a.astype(dt, copy=False))
        if needs[3]:
            res[3] = unperm(dG.T @ self.x2)
        if needs[4]:
            res[4] = unperm(dGh_.T @ Hprev)
        if needs[5]:
            res[5] = unperm(dG.sum(axis=0))
        if needs[6]:
            res[6] = unperm(dGh_.sum(axis=0))
        if lstm and whr is not None and needs[7]:
            res[7] = _wrap((dHt.T @ self.Hraw).astype(dt, copy=False))
        return tuple(res)

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
    from .. import _creation as C
    from .linalg import matmul
    from .shape import cat
    if not packed:
        T, B = x.shape[0], x.shape[1]
        x = x.reshape(T * B, x.shape[2])
    G = _GATES[mode]
    H = w_ih.shape[0] // G
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
    hT = C_stack(lastH)
    if mode == "LSTM":
        return out, hT, C_stack(lastC)
    return out, hT


def C_stack(rows):
    from .shape import stack
    return stack(rows)


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
