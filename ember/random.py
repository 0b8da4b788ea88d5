"""torch.random: the default generator's seeding and state, and fork_rng."""
from __future__ import annotations

import contextlib

from ._generator import Generator, default_generator, get_rng_state, set_rng_state
from ._random import initial_seed, manual_seed, seed

__all__ = ["Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed",
           "manual_seed", "seed", "set_rng_state"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """Restore the CPU generator's state on exit (see torch.random.fork_rng). ember's CUDA
    generator is CuPy's; it is not forked."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
