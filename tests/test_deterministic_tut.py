"""torch.use_deterministic_algorithms (the "Reproducibility" notes): the mode flags, the debug
mode, put_'s error (and warning with warn_only), and the NaN / max-int fill of uninitialised
memory (empty, empty_like, empty_strided, new_empty, resize_), compared with torch."""
import warnings

import pytest
import torch
from oracle import assert_same, check_raises

import ember


@pytest.fixture(autouse=True)
def _reset():
    yield
    for T in (torch, ember):
        T.use_deterministic_algorithms(False)
        T.utils.deterministic.fill_uninitialized_memory = True


def _flags(T):
    return (T.are_deterministic_algorithms_enabled(),
            T.is_deterministic_algorithms_warn_only_enabled(), T.get_deterministic_debug_mode())


@pytest.mark.parametrize("setup", [
    lambda T: None,
    lambda T: T.use_deterministic_algorithms(True),
    lambda T: T.use_deterministic_algorithms(True, warn_only=True),
    lambda T: T.use_deterministic_algorithms(False, warn_only=True),
    lambda T: T.set_deterministic_debug_mode("warn"),
    lambda T: T.set_deterministic_debug_mode("error"),
    lambda T: T.set_deterministic_debug_mode(0),
])
def test_flags(setup):
    setup(torch)
    setup(ember)
    assert _flags(ember) == _flags(torch)


@pytest.mark.parametrize("fn", [
    lambda T: T.set_deterministic_debug_mode("loud"),
    lambda T: T.set_deterministic_debug_mode(3),
    lambda T: T.set_deterministic_debug_mode(1.0),
    lambda T: T.use_deterministic_algorithms(1),
])
def test_flag_errors(fn):
    check_raises(fn)


def test_put_without_accumulate_raises():
    for T in (torch, ember):
        T.use_deterministic_algorithms(True)
    check_raises(lambda T: T.zeros(5).put_(T.tensor([0, 0]), T.tensor([1., 2.])))
    assert_same(ember.zeros(5).put_(ember.tensor([0, 0]), ember.tensor([1., 2.]), accumulate=True),
                torch.zeros(5).put_(torch.tensor([0, 0]), torch.tensor([1., 2.]), accumulate=True))


def test_put_warn_only_warns():
    msgs = []
    for T in (torch, ember):
        T.use_deterministic_algorithms(True, warn_only=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            T.zeros(3).put_(T.tensor([1]), T.tensor([2.]))
        msgs.append([(x.category, str(x.message).split(" (Triggered")[0]) for x in w])
    assert msgs[0] == msgs[1] and len(msgs[0]) == 1


@pytest.mark.parametrize("make", [
    lambda T: T.empty(3),
    lambda T: T.empty(2, dtype=T.int64),
    lambda T: T.empty(2, dtype=T.uint8),
    lambda T: T.empty(2, dtype=T.bool),
    lambda T: T.empty(2, dtype=T.float16),
    lambda T: T.empty(2, dtype=T.complex64),
    lambda T: T.empty_like(T.ones(2, 2)),
    lambda T: T.empty_strided((2, 2), (1, 2)),
    lambda T: T.ones(2).new_empty(3),
    lambda T: T.zeros(2).resize_(4),
    lambda T: T.zeros(2, dtype=T.int32).resize_(2, 2),
])
def test_uninitialized_memory_is_filled(make):
    for T in (torch, ember):
        T.use_deterministic_algorithms(True)
    assert_same(make(ember), make(torch))


def test_fill_switch():
    for T in (torch, ember):
        T.use_deterministic_algorithms(True)
        T.utils.deterministic.fill_uninitialized_memory = False
    assert ember.utils.deterministic.fill_uninitialized_memory is False
    assert not ember.empty(100).isnan().all()
    check_raises(lambda T: setattr(T.utils.deterministic, "fill_uninitialized_memory", 1))
