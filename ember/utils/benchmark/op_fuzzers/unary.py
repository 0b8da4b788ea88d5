"""torch.utils.benchmark.op_fuzzers.unary: UnaryOpFuzzer, random 1-3 dim inputs (see binary.py,
including its NOTE on torch 2.13's rejection of dict distributions)."""
from __future__ import annotations

from ..utils.fuzzer import FuzzedParameter, Fuzzer
from .binary import _STEPS, _size_parameters, _tensor


class UnaryOpFuzzer(Fuzzer):
    def __init__(self, seed, dtype=None, cuda=False) -> None:
        super().__init__(
            parameters=_size_parameters() + [
                [FuzzedParameter(name=f"x_step_{i}", distribution=dict(_STEPS))
                 for i in range(3)],
                FuzzedParameter(name="random_value", minval=0, maxval=2 ** 32 - 1,
                                distribution="uniform"),
            ],
            tensors=[_tensor("x", ("k0", "k1", "k2"), dtype, cuda, min_elements=4 * 1024,
                             max_elements=32 * 1024 ** 2)],
            seed=seed)
