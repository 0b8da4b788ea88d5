"""pin_memory without an accelerator, and size() on a 0-d tensor: torch's errors.

Pinned (page-locked) host memory exists only with an accelerator; on a CPU-only machine every
factory given pin_memory=True and Tensor.pin_memory() raise, as in torch."""
from __future__ import annotations

import pytest

import ember
from tests.oracle import check_raises

pytestmark = pytest.mark.skipif(ember.cuda.is_available(), reason="needs a CPU-only machine")

FACTORIES = {
    "tensor": lambda T: T.tensor([1.0], pin_memory=True),
    "zeros": lambda T: T.zeros(2, pin_memory=True),
    "ones": lambda T: T.ones(2, pin_memory=True),
    "empty": lambda T: T.empty(2, pin_memory=True),
    "full": lambda T: T.full((2,), 1.0, pin_memory=True),
    "eye": lambda T: T.eye(2, pin_memory=True),
    "arange": lambda T: T.arange(3, pin_memory=True),
    "linspace": lambda T: T.linspace(0, 1, 3, pin_memory=True),
    "logspace": lambda T: T.logspace(0, 1, 3, pin_memory=True),
    "rand": lambda T: T.rand(2, pin_memory=True),
    "randn": lambda T: T.randn(2, pin_memory=True),
    "randint": lambda T: T.randint(3, (2,), pin_memory=True),
    "randperm": lambda T: T.randperm(3, pin_memory=True),
    "normal": lambda T: T.normal(0.0, 1.0, (2,), pin_memory=True),
    "empty_strided": lambda T: T.empty_strided((2,), (1,), pin_memory=True),
    "zeros_like": lambda T: T.zeros_like(T.ones(2), pin_memory=True),
    "ones_like": lambda T: T.ones_like(T.ones(2), pin_memory=True),
    "empty_like": lambda T: T.empty_like(T.ones(2), pin_memory=True),
    "full_like": lambda T: T.full_like(T.ones(2), 3.0, pin_memory=True),
    "rand_like": lambda T: T.rand_like(T.ones(2), pin_memory=True),
    "randn_like": lambda T: T.randn_like(T.ones(2), pin_memory=True),
    "randint_like": lambda T: T.randint_like(T.ones(2), 5, pin_memory=True),
    "new_zeros": lambda T: T.ones(2).new_zeros(2, pin_memory=True),
    "new_ones": lambda T: T.ones(2).new_ones(2, pin_memory=True),
    "new_empty": lambda T: T.ones(2).new_empty(2, pin_memory=True),
    "new_full": lambda T: T.ones(2).new_full((2,), 1.0, pin_memory=True),
    "hann_window": lambda T: T.hann_window(4, pin_memory=True),
    "bartlett_window": lambda T: T.bartlett_window(4, pin_memory=True),
    "tril_indices": lambda T: T.tril_indices(3, 3, pin_memory=True),
    "triu_indices": lambda T: T.triu_indices(3, 3, pin_memory=True),
    "Tensor.pin_memory": lambda T: T.ones(2).pin_memory(),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_pin_memory_needs_an_accelerator(name):
    check_raises(FACTORIES[name])




@pytest.mark.parametrize("dim", [0, -1, 1])
def test_size_of_a_0d_tensor(dim):
    check_raises(lambda T: T.tensor(1.0).size(dim))


@pytest.mark.parametrize("call", ["T.zeros(2, pin_memory=False)", "T.arange(3, pin_memory=False)",
                                  "T.eye(2, pin_memory=False)", "T.rand(2, pin_memory=False)",
                                  "T.ones(2).new_zeros(2, pin_memory=False, layout=T.strided)"])
def test_pin_memory_false_is_accepted(call):
    import torch
    for T in (torch, ember):
        t = eval(call, {"T": T})
        assert not t.is_pinned() and tuple(t.shape) in ((2,), (3,), (2, 2))
