"""Random fills (ember/_random.py, bit-identical to torch's CPU generator): ember vs torch in one
process. `python bench/bench_random.py` prints a table; the cases also run from bench/run.py
(CASES), e.g. `python bench/run.py --case randn_1m_f32 --threads 1`.

Covered: randn / normal_ on 1e6 float32 values (the AVX2 Box-Muller emulation), nn.init on
layer-sized weights (kaiming_normal_ on a 512x512x3x3 conv, normal_(0, 0.01) on VGG16's
4096x25088 fc6), nn.Linear(4096, 4096) construction (kaiming_uniform_) and rand.
"""
from __future__ import annotations

import os
import sys


def _pair(make):
    """make(T) -> a zero-argument callable doing the work with library T."""
    def build():
        import torch

        import ember
        return {"torch": make(torch), "ember": make(ember)}
    return build


def _randn(T):
    return lambda: T.randn(10 ** 6)


def _normal_inplace(T):
    t = T.empty(10 ** 6)
    return lambda: t.normal_()


def _rand(T):
    return lambda: T.rand(10 ** 6)


def _linear(T):
    return lambda: T.nn.Linear(4096, 4096)


def _kaiming(T):
    w = T.empty(512, 512, 3, 3)
    return lambda: T.nn.init.kaiming_normal_(w)


def _vgg_fc(T):
    w = T.empty(4096, 25088)        # VGG16 classifier[0]: nn.init.normal_(w, 0, 0.01)
    return lambda: T.nn.init.normal_(w, 0, 0.01)


def _case(make, doc, **opts):
    build = _pair(make)

    def case():
        spec = build()
        spec.update(opts)
        return spec
    case.__doc__ = doc
    return case


CASES = {
    "randn_1m_f32": _case(_randn, "randn(10**6), float32"),
    "normal_inplace_1m_f32": _case(_normal_inplace, "empty(10**6).normal_(), float32"),
    "rand_1m_f32": _case(_rand, "rand(10**6), float32"),
    "linear_4096_init": _case(_linear, "nn.Linear(4096, 4096) construction (kaiming_uniform_)",
                              _repeats=7),
    "kaiming_normal_conv512": _case(_kaiming, "nn.init.kaiming_normal_ on 512x512x3x3"),
    "normal_init_vgg_fc": _case(_vgg_fc, "nn.init.normal_(0, 0.01) on VGG16's 4096x25088 fc6",
                                _repeats=3, _target=0.0),
}


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from run import main as run_main
    names = [a for k in CASES for a in ("--case", k)]
    return run_main(names + ["--threads", str(args.threads)])


if __name__ == "__main__":
    sys.exit(main())
