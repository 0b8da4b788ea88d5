"""Tests marked slow here (the biggest models, in pure NumPy) run only when asked for:
`pytest -m slow tests/vision/models` or EMBER_SLOW=1."""
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def pytest_collection_modifyitems(config, items):
    if os.environ.get("EMBER_SLOW") == "1" or "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow model test: run with -m slow or EMBER_SLOW=1")
    for item in items:
        if "slow" in item.keywords and str(item.fspath).startswith(HERE):
            item.add_marker(skip)
