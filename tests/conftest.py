"""Shared test setup: the oracle is importable, hypothesis profiles (CI keeps examples few),
and every test starts from torch's and ember's default printing and dtype."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

try:
    from hypothesis import settings, HealthCheck
    settings.register_profile("ci", max_examples=30, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("dev", max_examples=100, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # pragma: no cover
    pass


@pytest.fixture(autouse=True)
def _defaults():
    import torch
    import ember
    yield
    torch.set_default_dtype(torch.float32)
    ember.set_default_dtype(ember.float32)
    torch.set_printoptions(profile="default")
    ember.set_printoptions(profile="default")
    ember.set_grad_enabled(True)
    torch.set_grad_enabled(True)


def pytest_collection_modifyitems(config, items):
    # a GPU test runs only where CuPy finds a device
    try:
        import ember
        has_cuda = ember.cuda.is_available()
    except Exception:
        has_cuda = False
    skip = pytest.mark.skip(reason="no CUDA device (CuPy)")
    for item in items:
        if "cuda" in item.keywords and not has_cuda:
            item.add_marker(skip)
