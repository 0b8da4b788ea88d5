"""torch.utils.benchmark.op_fuzzers.binary: BinaryOpFuzzer, random (x, y) pairs of 1-3 dims,
sizes log-uniform or powers of two, y sometimes broadcasting, strided or permuted layouts.

NOTE: torch 2.13 rejects every normalized dict distribution (see fuzzer.FuzzedParameter), so
constructing this fuzzer raises AssertionError there, and here too.
"""
from __future__ import annotations

import numpy as np

from ..utils.fuzzer import FuzzedParameter, FuzzedTensor, Fuzzer, ParameterAlias

_MIN_DIM_SIZE = 16
_MAX_DIM_SIZE = 16 * 1024 ** 2
_POW_TWO_SIZES = tuple(2 ** i for i in range(int(np.log2(_MIN_DIM_SIZE)),
                                             int(np.log2(_MAX_DIM_SIZE)) + 1))
_STEPS = {1: 0.8, 2: 0.06, 4: 0.06, 8: 0.04, 16: 0.04}


def _size_parameters():
    """dim, then per dim: a log-uniform size, a power-of-two size, and k{i} choosing one."""
    return [
        FuzzedParameter("dim", distribution={1: 0.3, 2: 0.4, 3: 0.3}, strict=True),
        [FuzzedParameter(name=f"k_any_{i}", minval=_MIN_DIM_SIZE, maxval=_MAX_DIM_SIZE,
                         distribution="loguniform") for i in range(3)],
        [FuzzedParameter(name=f"k_pow2_{i}",
                         distribution={s: 1. / len(_POW_TWO_SIZES) for s in _POW_TWO_SIZES})
         for i in range(3)],
        [FuzzedParameter(name=f"k{i}", distribution={ParameterAlias(f"k_any_{i}"): 0.8,
                                                     ParameterAlias(f"k_pow2_{i}"): 0.2},
                         strict=True) for i in range(3)],
    ]


def _tensor(name, size, dtype, cuda, **kw):
    return FuzzedTensor(name=name, size=size, steps=("x_step_0", "x_step_1", "x_step_2"),
                        probability_contiguous=0.75, max_allocation_bytes=2 * 1024 ** 3,
                        dim_parameter="dim", dtype=dtype, cuda=cuda, **kw)


class BinaryOpFuzzer(Fuzzer):
    def __init__(self, seed, dtype=None, cuda=False) -> None:
        super().__init__(
            parameters=_size_parameters() + [
                [FuzzedParameter(name=f"y_k{i}", distribution={ParameterAlias(f"k{i}"): 0.8,
                                                               1: 0.2}, strict=True)
                 for i in range(3)],
                [FuzzedParameter(name=f"{name}_step_{i}", distribution=dict(_STEPS))
                 for i in range(3) for name in ("x", "y")],
                FuzzedParameter(name="random_value", minval=0, maxval=2 ** 32 - 1,
                                distribution="uniform"),
            ],
            tensors=[
                _tensor("x", ("k0", "k1", "k2"), dtype, cuda, min_elements=4 * 1024,
                        max_elements=32 * 1024 ** 2),
                _tensor("y", ("y_k0", "y_k1", "y_k2"), dtype, cuda),
            ],
            seed=seed)
