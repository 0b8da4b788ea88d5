"""torch.Generator and the global RNG state as ember tensors (the engine is ember._random)."""
from __future__ import annotations

import numpy as np

from . import _random as R
from ._tensor import Tensor, _wrap


class Generator(R.Generator):
    """torch.Generator(device='cpu'): get_state()/set_state() exchange uint8 tensors."""

    def get_state(self):
        return _wrap(self.get_state_bytes())

    def set_state(self, new_state):
        self.set_state_bytes(new_state._data if isinstance(new_state, Tensor) else new_state)
        return self

    def manual_seed(self, seed):
        R.Generator.manual_seed(self, seed)
        return self


default_generator = R.default_generator


def get_rng_state():
    return _wrap(R.default_generator.get_state_bytes())


def set_rng_state(new_state):
    if not isinstance(new_state, Tensor):
        raise TypeError(f"set_rng_state expected a torch.ByteTensor")
    R.default_generator.set_state_bytes(np.asarray(new_state._data))
