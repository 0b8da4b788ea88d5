"""Module-level parity for the sequence and normalization layers, and training parity.

`module_parity(build, inputs)` builds the same module on torch and ember after the same seed and
compares parameter names/values, buffers, state_dict keys, repr, outputs, and the gradients of
every input and parameter (the other nn test files use it). The training tests run an LSTM
language model and a TransformerEncoder classifier for 100 Adam steps on both and compare the
per-step losses; the last tests replay the seed tutorial's "Building models" cells.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
import torch

import ember
from oracle import assert_same


def _flat(x):
    """Tensors of a (nested) result; PackedSequence contributes its data and batch sizes."""
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return [x]
    if isinstance(x, (tuple, list)):
        out = []
        for v in x:
            out.extend(_flat(v))
        return out
    return []


def module_parity(build, inputs, *, train=True, seed=0, rtol=1e-5, atol=1e-5, fwd=None,
                  grad=True, check_repr=True):
    """Build build(T) after T.manual_seed(seed) on both libraries, run it on `inputs` (NumPy
    arrays; floating ones require grad; other values pass as they are) and compare everything.
    Returns the two results {torch: ..., ember: ...} as (module, outputs)."""
    res = {}
    for T in (torch, ember):
        T.manual_seed(seed)
        m = build(T)
        if not train:
            m.eval()
        ins = [(T.tensor(a, requires_grad=grad and a.dtype.kind == "f")
                if isinstance(a, np.ndarray) else a(T) if callable(a) else a) for a in inputs]
        T.manual_seed(seed + 1)  # dropout draws
        out = fwd(m, *ins) if fwd else m(*ins)
        flat = _flat(out)
        grads = None
        diffs = [o for o in flat if o.requires_grad]
        if grad and diffs:
            rng = np.random.default_rng(7)
            loss = sum((o * T.tensor(rng.uniform(0.5, 1.5, tuple(o.shape))).to(o.dtype)).sum()
                       for o in diffs)
            leaves = [i for i in ins if isinstance(i, T.Tensor) and i.requires_grad]
            leaves += [p for p in m.parameters() if p.requires_grad]
            grads = T.autograd.grad(loss, leaves, allow_unused=True)
        res[T] = (m, flat, grads, out)
    mt, me = res[torch][0], res[ember][0]
    pt, pe = list(mt.named_parameters()), list(me.named_parameters())
    assert [n for n, _ in pe] == [n for n, _ in pt], "parameter names/order"
    for (n, a), (_, b) in zip(pe, pt):
        assert_same(a, b, rtol, atol, what=f"param {n}")
        assert a.requires_grad == b.requires_grad, n
    bt, be = list(mt.named_buffers()), list(me.named_buffers())
    assert [n for n, _ in be] == [n for n, _ in bt], "buffer names"
    for (n, a), (_, b) in zip(be, bt):
        assert_same(a, b, rtol, atol, what=f"buffer {n}")
    st, se = mt.state_dict(), me.state_dict()
    assert list(se) == list(st), "state_dict keys"
    for k in st:
        assert tuple(se[k].shape) == tuple(st[k].shape), k
    if check_repr:
        assert repr(me) == repr(mt)
    ft, fe = res[torch][1], res[ember][1]
    assert len(fe) == len(ft)
    for i, (a, b) in enumerate(zip(fe, ft)):
        assert_same(a, b, rtol, atol, what=f"output {i}")
        assert a.requires_grad == b.requires_grad, f"output {i} requires_grad"
    gt, ge = res[torch][2], res[ember][2]
    if gt is not None:
        for i, (a, b) in enumerate(zip(ge, gt)):
            if b is None:
                assert a is None or not np.any(a.numpy()), f"grad {i}: torch None"
            else:
                assert a is not None, f"grad {i}: ember None"
                assert_same(a, b, rtol, atol, what=f"grad {i}")
    return {torch: (mt, res[torch][3]), ember: (me, res[ember][3])}


# ---- training parity --------------------------------------------------------------------------

def _train(T, build, batches, loss_fn, steps, lr=3e-3):
    T.manual_seed(0)
    model = build(T)
    opt = T.optim.Adam(model.parameters(), lr=lr)
    T.manual_seed(1)   # dropout masks
    losses = []
    for k in range(steps):
        x, y = batches[k % len(batches)]
        opt.zero_grad()
        loss = loss_fn(T, model, T.tensor(x), T.tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses), model


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # thread pools only slow these small models down (badly, on a busy machine); ember follows
    # the same count where torch's rounding depends on it (batch norm's per-thread sums)
    n, m = torch.get_num_threads(), ember.get_num_threads()
    torch.set_num_threads(1)
    ember.set_num_threads(1)
    yield
    torch.set_num_threads(n)
    ember.set_num_threads(m)


def _parity(build, batches, loss_fn, steps=100, rtol=1e-4, skip=()):
    lt, mt = _train(torch, build, batches, loss_fn, steps)
    le, me = _train(ember, build, batches, loss_fn, steps)
    np.testing.assert_allclose(le, lt, rtol=rtol, atol=1e-6)
    assert lt[-1] < lt[0] * 0.8, "the model did not learn: the test would prove little"
    for (n, a), (_, b) in zip(me.named_parameters(), mt.named_parameters()):
        if n.endswith(skip):
            continue
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-3,
                                   atol=1e-4, err_msg=n)


def _lm_build(T):
    nn = T.nn

    class LM(nn.Module):
        def __init__(self, vocab=30, emb=16, hidden=24):
            super().__init__()
            self.emb = nn.Embedding(vocab, emb)
            self.lstm = nn.LSTM(emb, hidden, num_layers=2, dropout=0.2)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, x):
            h, _ = self.lstm(self.emb(x))
            return self.out(h)
    return LM()


def _lm_loss(T, model, x, y):
    logits = model(x)
    return T.nn.CrossEntropyLoss()(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def test_lstm_language_model_training_parity():
    # a learnable stream: each token determines the next, with occasional random restarts
    rng = np.random.default_rng(0)
    seq = np.empty(13 * 8 * 4 + 1, np.int64)
    seq[0] = 1
    for i in range(1, seq.size):
        seq[i] = rng.integers(0, 30) if rng.random() < 0.1 else (seq[i - 1] * 7 + 3) % 30
    batches = []
    for b in range(4):
        chunk = seq[b * 104:(b + 1) * 104 + 1]
        x = chunk[:-1].reshape(13, 8)
        y = chunk[1:].reshape(13, 8)
        batches.append((x.astype(np.int64), y.astype(np.int64)))
    _parity(_lm_build, batches, _lm_loss)


def _enc_build(dropout):
    def build(T):
        nn = T.nn

        class Classifier(nn.Module):
            def __init__(self, vocab=20, d=16, classes=3):
                super().__init__()
                self.emb = nn.Embedding(vocab, d)
                layer = nn.TransformerEncoderLayer(d, 2, 32, dropout=dropout, batch_first=True)
                self.enc = nn.TransformerEncoder(layer, 2)
                self.head = nn.Linear(d, classes)

            def forward(self, x):
                return self.head(self.enc(self.emb(x)).mean(dim=1))
        return Classifier()
    return build


def _cls_loss(T, model, x, y):
    return T.nn.functional.cross_entropy(model(x), y)


@pytest.mark.parametrize("dropout", [0.0, 0.1])
def test_transformer_classifier_training_parity(dropout):
    rng = np.random.default_rng(1)
    batches = []
    for _ in range(4):
        x = rng.integers(0, 20, size=(8, 7)).astype(np.int64)
        y = (x[:, 0] % 3).astype(np.int64)   # a learnable rule
        batches.append((x, y))
    # NOTE: the key part of in_proj_bias shifts every score of a query row equally, which
    # softmax ignores: its true gradient is 0, so Adam amplifies float rounding noise in it
    # (on torch as on ember). Its effect on the loss is nil, so the losses still agree.
    _parity(_enc_build(dropout), batches, _cls_loss, skip=("in_proj_bias",))


# ---- the seed tutorial's "Building models" cells ------------------------------------------------

def _capture(T, fn):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn(T)
    return buf.getvalue()


def _tagger_program(T):
    nn = T.nn
    F = T.nn.functional

    class LSTMTagger(nn.Module):
        def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
            super(LSTMTagger, self).__init__()
            self.hidden_dim = hidden_dim
            self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
            # The LSTM takes word embeddings as inputs, and outputs hidden states
            # with dimensionality hidden_dim.
            self.lstm = nn.LSTM(embedding_dim, hidden_dim)
            # The linear layer that maps from hidden state space to tag space
            self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

        def forward(self, sentence):
            embeds = self.word_embeddings(sentence)
            lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
            tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
            tag_scores = F.log_softmax(tag_space, dim=1)
            return tag_scores

    T.manual_seed(1)
    training_data = [("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
                     ("Everybody read that book".split(), ["NN", "V", "DET", "NN"])]
    word_to_ix = {}
    for sent, tags in training_data:
        for word in sent:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)
    tag_to_ix = {"DET": 0, "NN": 1, "V": 2}

    def prepare_sequence(seq, to_ix):
        return T.tensor([to_ix[w] for w in seq], dtype=T.long)

    model = LSTMTagger(6, 6, len(word_to_ix), len(tag_to_ix))
    print(model)
    loss_function = nn.NLLLoss()
    optimizer = T.optim.SGD(model.parameters(), lr=0.1)
    with T.no_grad():
        inputs = prepare_sequence(training_data[0][0], word_to_ix)
        print(model(inputs))
    for epoch in range(60):
        for sentence, tags in training_data:
            model.zero_grad()
            sentence_in = prepare_sequence(sentence, word_to_ix)
            targets = prepare_sequence(tags, tag_to_ix)
            tag_scores = model(sentence_in)
            loss = loss_function(tag_scores, targets)
            loss.backward()
            optimizer.step()
    with T.no_grad():
        inputs = prepare_sequence(training_data[0][0], word_to_ix)
        tag_scores = model(inputs)
        print(tag_scores)
        print(tag_scores.argmax(dim=1))


def test_tutorial_lstm_tagger_prints_like_torch():
    assert _capture(ember, _tagger_program) == _capture(torch, _tagger_program)


def _normalization_cell(T):
    T.manual_seed(0)
    my_tensor = T.rand(1, 4, 4) * 20 + 5
    print(my_tensor)
    print(my_tensor.mean())
    norm_layer = T.nn.BatchNorm1d(4)
    normed_tensor = norm_layer(my_tensor)
    print(normed_tensor)
    print(normed_tensor.mean())
    print(norm_layer)
    print(norm_layer.running_mean, norm_layer.running_var, norm_layer.num_batches_tracked)
    transformer = T.nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1,
                                   num_decoder_layers=1, dim_feedforward=8)
    print(transformer)
    src, tgt = T.rand(5, 2, 16), T.rand(3, 2, 16)
    print(transformer(src, tgt).shape)


def test_tutorial_normalization_and_transformer_cells_print_like_torch():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the nested-tensor notice, printed to stderr by both
        e, t = _capture(ember, _normalization_cell), _capture(torch, _normalization_cell)
    assert e == t
