"""RNN / LSTM / GRU and their cells against torch: default init after the same seed, parameter
names and order, outputs, final states and gradients of inputs, states and every weight, for
layers, directions, batch_first, unbatched and packed input, dropout between layers, LSTM
projections; grad_fn names; reprs; error texts."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from oracle import check, check_raises, random_array
from .test_seq_parity import module_parity, _one_torch_thread  # noqa: F401 (autouse)

T_, B_, I_, H_ = 5, 3, 4, 6
X = random_array((T_, B_, I_), seed=1)


def _cls(T, mode):
    return {"LSTM": T.nn.LSTM, "GRU": T.nn.GRU, "RNN": T.nn.RNN}[mode]


MODES = ["LSTM", "GRU", "RNN"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kw", [{}, dict(num_layers=2), dict(bidirectional=True),
                                dict(num_layers=2, bidirectional=True, bias=False),
                                dict(batch_first=True, num_layers=2)])
def test_rnn_layers(mode, kw):
    x = X.transpose(1, 0, 2).copy() if kw.get("batch_first") else X
    module_parity(lambda T: _cls(T, mode)(I_, H_, **kw), [x], rtol=1e-4)


def test_rnn_relu_and_float64():
    module_parity(lambda T: T.nn.RNN(I_, H_, 2, nonlinearity="relu"), [X], rtol=1e-4)
    module_parity(lambda T: T.nn.RNN(I_, H_, 2, "relu", bidirectional=True, dtype=T.float64),
                  [X.astype(np.float64)])
    module_parity(lambda T: T.nn.LSTM(I_, H_, 2, dtype=T.float64), [X.astype(np.float64)])


@pytest.mark.parametrize("mode", MODES)
def test_rnn_with_initial_state(mode):
    dirs, L = 2, 2
    h0 = random_array((L * dirs, B_, H_), seed=2)
    c0 = random_array((L * dirs, B_, H_), seed=3)

    def fwd(m, x, h0, c0):
        return m(x, (h0, c0)) if mode == "LSTM" else m(x, h0)
    module_parity(lambda T: _cls(T, mode)(I_, H_, L, bidirectional=True), [X, h0, c0], fwd=fwd,
                  rtol=1e-4)


@pytest.mark.parametrize("mode", MODES)
def test_rnn_unbatched(mode):
    x = X[:, 0]
    h0 = random_array((2, H_), seed=4)

    def fwd(m, x, h0):
        return m(x, (h0, h0 * 0.5)) if mode == "LSTM" else m(x, h0)
    module_parity(lambda T: _cls(T, mode)(I_, H_, 2), [x], rtol=1e-4)
    module_parity(lambda T: _cls(T, mode)(I_, H_, 2), [x, h0], fwd=fwd, rtol=1e-4)


@pytest.mark.parametrize("mode", MODES)
def test_rnn_dropout_between_layers_matches_torch_masks(mode):
    module_parity(lambda T: _cls(T, mode)(I_, H_, 3, dropout=0.4), [X], rtol=1e-4)
    module_parity(lambda T: _cls(T, mode)(I_, H_, 2, dropout=0.4, bidirectional=True), [X],
                  rtol=1e-4)
    # eval mode draws nothing
    module_parity(lambda T: _cls(T, mode)(I_, H_, 2, dropout=0.4), [X], train=False, rtol=1e-4)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_lstm_projection():
    module_parity(lambda T: T.nn.LSTM(I_, H_, 2, proj_size=3, bidirectional=True), [X],
                  rtol=1e-4)
    h0, c0 = random_array((2, B_, 3), seed=5), random_array((2, B_, H_), seed=6)
    module_parity(lambda T: T.nn.LSTM(I_, H_, 2, proj_size=3), [X, h0, c0],
                  fwd=lambda m, x, h, c: m(x, (h, c)), rtol=1e-4)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sort", [True, False])
def test_rnn_packed_sequence(mode, sort):
    lengths = [5, 3, 2] if sort else [2, 5, 3]

    def fwd(m, x):
        nn = torch.nn if isinstance(x, torch.Tensor) else ember.nn
        p = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=sort)
        out, h = m(p)
        padded, lens = nn.utils.rnn.pad_packed_sequence(out)
        return out.data, padded, lens, h
    module_parity(lambda T: _cls(T, mode)(I_, H_, 2, bidirectional=True), [X], fwd=fwd,
                  rtol=1e-4)


def test_packed_sequence_with_initial_state_is_permuted():
    h0 = random_array((1, B_, H_), seed=7)

    def fwd(m, x, h0):
        nn = torch.nn if isinstance(x, torch.Tensor) else ember.nn
        p = nn.utils.rnn.pack_padded_sequence(x, [2, 5, 3], enforce_sorted=False)
        out, h = m(p, h0)
        return out.data, h, out.sorted_indices, out.unsorted_indices
    module_parity(lambda T: T.nn.GRU(I_, H_), [X, h0], fwd=fwd, rtol=1e-4)


def test_rnn_double_backward():
    def fn(T, x, w):
        m = T.nn.LSTM(I_, 3, dtype=T.float64)
        with T.no_grad():
            m.weight_hh_l0.copy_(w)
        out, (h, c) = m(x)
        return out
    check(fn, [X.astype(np.float64), random_array((12, 3), seed=8, dtype="float64")],
          gradgrad=True, rtol=1e-7, atol=1e-9)

    def fn2(T, x):
        T.manual_seed(0)
        return T.nn.GRU(I_, 3, bidirectional=True, dtype=T.float64)(x)[0]
    check(fn2, [X.astype(np.float64)], gradgrad=True, rtol=1e-7, atol=1e-9)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_rnn_grad_fn_names():
    cases = [lambda T: T.nn.LSTM(I_, H_)(T.tensor(X, requires_grad=True)),
             lambda T: T.nn.LSTM(I_, H_, bidirectional=True)(T.tensor(X, requires_grad=True)),
             lambda T: T.nn.LSTM(I_, H_, batch_first=True)(T.tensor(X, requires_grad=True)),
             lambda T: T.nn.LSTM(I_, H_, proj_size=2)(T.tensor(X, requires_grad=True)),
             lambda T: T.nn.GRU(I_, H_, batch_first=True)(T.tensor(X, requires_grad=True)),
             lambda T: T.nn.RNN(I_, H_)(T.tensor(X[:, 0], requires_grad=True))]
    for case in cases:
        names = {}
        for T in (torch, ember):
            out, h = case(T)
            h = h[0] if isinstance(h, tuple) else h
            names[T] = (type(out.grad_fn).__name__, type(h.grad_fn).__name__)
        assert names[ember] == names[torch]


def test_lstm_projection_notice_is_given_once():
    # torch (TORCH_WARN_ONCE) prints this once per process for float LSTMs with projections
    import warnings
    from ember.ops import rnn_ops
    rnn_ops._PROJ_WARNED[0] = False
    m = ember.nn.LSTM(4, 6, proj_size=2)
    x = ember.randn(3, 2, 4)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m(x), m(x), m.double()(x.double())
    assert [str(r.message) for r in w] == [
        "LSTM with projections is not supported with oneDNN. Using default implementation. "
        "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/RNN.cpp:1512.)"]


def test_rnn_parameters_reprs_and_flat_weights():
    for make in (lambda T: T.nn.LSTM(10, 20, 2, bias=False, batch_first=True, dropout=0.5,
                                     bidirectional=True, proj_size=5),
                 lambda T: T.nn.GRU(3, 4), lambda T: T.nn.RNN(3, 4, 1, "relu"),
                 lambda T: T.nn.RNNCell(3, 4, nonlinearity="relu", bias=False),
                 lambda T: T.nn.LSTMCell(3, 4), lambda T: T.nn.GRUCell(3, 4)):
        t, e = make(torch), make(ember)
        assert repr(e) == repr(t)
        assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
        assert [tuple(p.shape) for p in e.parameters()] == [tuple(p.shape) for p in
                                                           t.parameters()]
        if hasattr(t, "_flat_weights_names"):
            assert e._flat_weights_names == t._flat_weights_names
            assert [[tuple(w.shape) for w in ws] for ws in e.all_weights] == \
                [[tuple(w.shape) for w in ws] for ws in t.all_weights]


def test_rnn_replaced_weight_is_used():
    x = X
    for T in (torch, ember):
        T.manual_seed(0)
        m = T.nn.GRU(I_, H_)
        m.weight_hh_l0 = T.nn.Parameter(T.zeros(3 * H_, H_))
        res = m(T.tensor(x))[0]
        if T is torch:
            expect = res.detach().numpy()
        else:
            np.testing.assert_allclose(res.detach().numpy(), expect, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda T: T.nn.LSTM(4, 6)(T.randn(5, 3, 5)),
    lambda T: T.nn.LSTM(4, 6)(T.randn(5, 3, 4, 1)),
    lambda T: T.nn.GRU(4, 6)(T.randn(5, 3, 4, 1)),
    lambda T: T.nn.RNN(4, 6)(T.randn(5, 3, 4, 1)),
    lambda T: T.nn.LSTM(4, 6)(T.randn(5, 3, 4), (T.zeros(2, 3, 6), T.zeros(1, 3, 6))),
    lambda T: T.nn.LSTM(4, 6)(T.randn(5, 3, 4), (T.zeros(1, 3, 6), T.zeros(1, 3, 5))),
    lambda T: T.nn.LSTM(4, 6)(T.randn(5, 3, 4), (T.zeros(3, 6), T.zeros(3, 6))),
    lambda T: T.nn.GRU(4, 6)(T.randn(5, 3, 4), T.zeros(1, 2, 6)),
    lambda T: T.nn.GRU(4, 6)(T.randn(5, 3, 4), T.zeros(3, 6)),
    lambda T: T.nn.GRU(4, 6)(T.randn(5, 4), T.zeros(1, 1, 6)),
    lambda T: T.nn.GRU(4, 6)(T.randn(5, 3, 4).double()),
    lambda T: T.nn.RNN(4, 6, nonlinearity="sigmoid"),
    lambda T: T.nn.GRU(4, 6, proj_size=2),
    lambda T: T.nn.LSTM(4, 6, proj_size=6),
    lambda T: T.nn.LSTM(4, 6, dropout=1.5),
    lambda T: T.nn.LSTM(4, 0),
    lambda T: T.nn.LSTM(4, 6, num_layers=0),
    lambda T: T.nn.LSTM(4.0, 6),
    lambda T: T.nn.LSTMCell(4, 6)(T.randn(3, 5)),
    lambda T: T.nn.LSTMCell(4, 6)(T.randn(3, 4), (T.zeros(2, 6), T.zeros(2, 6))),
    lambda T: T.nn.GRUCell(4, 6)(T.randn(3, 4), T.zeros(3, 5)),
    lambda T: T.nn.RNNCell(4, 6)(T.randn(2, 3, 4)),
    lambda T: T.nn.GRUCell(4, 6)(T.randn(3, 4), T.zeros(1, 3, 6)),
])
def test_rnn_errors(fn):
    check_raises(fn)


def test_rnn_dropout_warning():
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater"):
            T.nn.GRU(3, 4, dropout=0.2)


# ---- cells ------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", ["LSTMCell", "GRUCell", "RNNCell"])
@pytest.mark.parametrize("bias", [True, False])
def test_cells(cls, bias):
    x = X[0]
    h = random_array((B_, H_), seed=9)

    def fwd(m, x, h):
        if cls == "LSTMCell":
            h1, c1 = m(x, (h, h * 0.3))
            return m(x * 2, (h1, c1))
        return m(x * 2, m(x, h))
    module_parity(lambda T: getattr(T.nn, cls)(I_, H_, bias=bias), [x, h], fwd=fwd)
    module_parity(lambda T: getattr(T.nn, cls)(I_, H_, bias=bias), [x])        # zero state
    module_parity(lambda T: getattr(T.nn, cls)(I_, H_, bias=bias), [x[0]])     # unbatched


def test_cell_relu_and_grad_fn_names():
    module_parity(lambda T: T.nn.RNNCell(I_, H_, nonlinearity="relu"), [X[0]])
    for make in (lambda T: T.nn.LSTMCell(I_, H_), lambda T: T.nn.GRUCell(I_, H_),
                 lambda T: T.nn.RNNCell(I_, H_), lambda T: T.nn.RNNCell(I_, H_, True, "relu")):
        names = []
        for T in (torch, ember):
            out = make(T)(T.tensor(X[0]))
            out = out if isinstance(out, tuple) else (out,)
            names.append([type(o.grad_fn).__name__ for o in out])
        assert names[0] == names[1]
