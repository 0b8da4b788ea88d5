"""A torch name ember lacks says so where it is used, in the torch-named modules (nn,
nn.functional, nn.init, optim, linalg, vision), as AttributeError, which `hasattr` and
`getattr(x, name, default)` still read as absent. (Tensor has no `__getattr__`: defining one
turns off CPython's attribute-load specialization for every Tensor, ~15% on small ops.)"""
from __future__ import annotations

import pytest

import ember


@pytest.mark.parametrize("get,what", [
    (lambda: ember.nn.NoSuchLayer, "torch.nn.NoSuchLayer"),
    (lambda: ember.nn.functional.no_such_fn, "torch.nn.functional.no_such_fn"),
    (lambda: ember.nn.init.no_such_init_, "torch.nn.init.no_such_init_"),
    (lambda: ember.optim.NoSuchOptimizer, "torch.optim.NoSuchOptimizer"),
    (lambda: ember.linalg.no_such_fn, "torch.linalg.no_such_fn"),
])
def test_missing_names_say_which_torch_api(get, what):
    with pytest.raises(AttributeError, match=f"ember does not implement {what}"):
        get()


def test_absent_names_stay_absent_to_probes():
    t = ember.ones(2)
    assert not hasattr(t, "no_such_method") and getattr(t, "_no_slot", 7) == 7
    assert not hasattr(ember.nn, "NoSuchLayer")
    with pytest.raises(ImportError):
        from ember.nn import NoSuchLayer  # noqa: F401
