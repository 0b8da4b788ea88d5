"""Recurrent and normalization layers, ember vs torch: `python bench/bench_rnn.py`.

The headline case is a 2-layer LSTM language-model step (seq 35, batch 20, input 200, hidden
200: forward + backward), the target being at most 1.5x torch's time; GRU, a TransformerEncoder
layer and BatchNorm2d / LayerNorm steps are measured alongside. bench/run.py collects CASES.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _step_case(build, make_input):
    """{'torch': fn, 'ember': fn}: forward + backward of the same module on the same input."""
    import numpy as np
    import torch
    import ember
    fns = {}
    for T in (torch, ember):
        T.manual_seed(0)
        m = build(T)
        x = make_input(T, np.random.default_rng(0))

        def step(m=m, x=x):
            out = m(x)
            out = out[0] if isinstance(out, tuple) else out
            out.sum().backward()
        fns[T.__name__] = step
    return fns


def case_lstm_lm_step():
    """nn.LSTM(200, 200, num_layers=2), input (35, 20, 200): forward + backward."""
    return dict(_step_case(lambda T: T.nn.LSTM(200, 200, num_layers=2),
                           lambda T, r: T.tensor(r.standard_normal((35, 20, 200))
                                                 .astype("float32"))),
                _repeats=9, _target=0.1)


def case_gru_step():
    """nn.GRU(200, 200, num_layers=2), input (35, 20, 200): forward + backward."""
    return dict(_step_case(lambda T: T.nn.GRU(200, 200, num_layers=2),
                           lambda T, r: T.tensor(r.standard_normal((35, 20, 200))
                                                 .astype("float32"))),
                _repeats=9, _target=0.1)


def case_transformer_layer_step():
    """nn.TransformerEncoderLayer(128, 4, 512, dropout=0.1, batch_first), input (16, 32, 128)."""
    return dict(_step_case(lambda T: T.nn.TransformerEncoderLayer(128, 4, 512, 0.1,
                                                                  batch_first=True),
                           lambda T, r: T.tensor(r.standard_normal((16, 32, 128))
                                                 .astype("float32"))),
                _repeats=9, _target=0.1)


def case_batchnorm2d_step():
    """nn.BatchNorm2d(64) training step on (32, 64, 16, 16)."""
    return _step_case(lambda T: T.nn.BatchNorm2d(64),
                      lambda T, r: T.tensor(r.standard_normal((32, 64, 16, 16)).astype(
                          "float32"), requires_grad=True))


def case_layernorm_step():
    """nn.LayerNorm(256) on (64, 32, 256): forward + backward."""
    return _step_case(lambda T: T.nn.LayerNorm(256),
                      lambda T, r: T.tensor(r.standard_normal((64, 32, 256)).astype("float32"),
                                            requires_grad=True))


CASES = {
    "lstm_lm_step": case_lstm_lm_step,
    "gru_step": case_gru_step,
    "transformer_layer_step": case_transformer_layer_step,
    "batchnorm2d_step": case_batchnorm2d_step,
    "layernorm_step": case_layernorm_step,
}


def main(argv=None):
    """Run these cases through bench/run.py's interleaved timer and print the table.

    `--threads N` (default 1) pins torch's and NumPy's BLAS thread pools alike before either is
    imported, so the ratio compares the work done, not how a busy machine treats two pools."""
    args = list(argv if argv is not None else sys.argv[1:])
    threads = "1"
    if "--threads" in args:
        i = args.index("--threads")
        threads = args[i + 1]
        del args[i:i + 2]
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = threads
    import torch
    torch.set_num_threads(int(threads))
    import run
    if not any(a.startswith("--case") for a in args):
        for name in CASES:
            args += ["--case", name]
    return run.main(args)


if __name__ == "__main__":
    main()
