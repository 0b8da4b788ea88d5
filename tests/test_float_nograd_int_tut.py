"""float() of a tensor that requires grad: torch warns (once per process) only in grad mode;
under no_grad (where LBFGS's step calls float(closure())) it is silent."""
import warnings

import torch

import ember
import ember._tensor as _et


def test_float_under_no_grad_is_silent():
    _et._FLOAT_WARNED = False
    try:
        for T in (torch, ember):
            x = T.ones(1, requires_grad=True) * 2
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with T.no_grad():
                    assert float(x) == 2.0
        # the silent call did not use up ember's one warning
        assert not _et._FLOAT_WARNED
    finally:
        _et._FLOAT_WARNED = True


def test_float_in_grad_mode_warns_once():
    _et._FLOAT_WARNED = False
    try:
        x = ember.ones(1, requires_grad=True) * 2
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            float(x)
            float(x)
        assert len(w) == 1 and "requires_grad=True to a scalar" in str(w[0].message)
    finally:
        _et._FLOAT_WARNED = True


def _lbfgs_step(T):
    T.manual_seed(0)
    x = T.randn(3, requires_grad=True)
    opt = T.optim.LBFGS([x], max_iter=3)

    def closure():
        opt.zero_grad()
        loss = ((x - 1) ** 2).sum()
        loss.backward()
        return loss

    return opt.step(closure)


def test_lbfgs_closure_returning_graph_loss_is_silent():
    # the style-transfer pattern: the closure returns a loss that requires grad
    for T in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _lbfgs_step(T)
