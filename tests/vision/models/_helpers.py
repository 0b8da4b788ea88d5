"""Test helpers: reference files, building a model without its (slow, bit-exact) random
initialisation when the weights are overwritten anyway, and loading _refs' deterministic weights.
"""
import contextlib
import gzip
import json
import os

import numpy as np

import ember
from ember import _random

from ._refs import fill_value

REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ref")


def load_ref(name):
    path = os.path.join(REF, name)
    with (gzip.open(path, "rt") if name.endswith(".gz") else open(path)) as f:
        return json.load(f)


@contextlib.contextmanager
def no_random_init():
    """The in-place samplers return constants: structure-only construction in a fraction of
    the time (ember's normal_ reproduces torch's AVX2 Box-Muller bit for bit, which is slow)."""
    orig = _random.normal, _random.uniform
    _random.normal = lambda gen, shape, dtype, mean=0.0, *a, **k: np.full(shape, mean, dtype)
    _random.uniform = lambda gen, shape, dtype, a=0.0, *r, **k: np.full(shape, a, dtype)
    try:
        yield
    finally:
        _random.normal, _random.uniform = orig


def build(name, **kwargs):
    with no_random_init():
        return ember.vision.models.get_model(name, **kwargs)


def load_filled(model):
    sd = model.state_dict()
    new = {k: (v if not v.is_floating_point() else ember.from_numpy(fill_value(k, v.shape)))
           for k, v in sd.items()}
    model.load_state_dict(new)
    return model
