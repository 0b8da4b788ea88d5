"""meshgrid, cartesian_prod, block_diag, unravel_index and torch.functional vs torch."""
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.oracle import check, check_raises, check_repr, random_array

A = random_array((3,), seed=1)
B = random_array((2,), seed=2)
C = random_array((4,), seed=3)


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_meshgrid_values_and_grads(indexing, n):
    arrs = [A, B, C][:n]
    check(lambda T, *ts: T.meshgrid(*ts, indexing=indexing), arrs, gradgrad=True)
    check(lambda T, *ts: T.meshgrid(list(ts), indexing=indexing), arrs)


def test_meshgrid_zero_dim_and_ints_and_grad_fn_names():
    check(lambda T, a, b: T.meshgrid(a, b, indexing="xy"), [np.array(3.0, np.float32), B])
    check(lambda T, a, b: T.meshgrid(a, b, indexing="ij"), [np.arange(3), np.arange(4)])
    names = {}
    for T in (torch, ember):
        x = T.tensor(A, requires_grad=True)
        y = T.tensor(B, requires_grad=True)
        names[T] = [type(g.grad_fn).__name__ for g in T.meshgrid(x, y, indexing="xy")] + [
            type(g.grad_fn).__name__ for g in T.meshgrid(x, y, indexing="ij")]
    assert names[ember] == names[torch]


def test_meshgrid_warns_once_without_indexing():
    ember.ops.composite._MESHGRID_WARNED[0] = False
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        g = ember.meshgrid(ember.tensor([1, 2]), ember.tensor([3, 4, 5]))
    assert [tuple(t.shape) for t in g] == [(2, 3), (2, 3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.meshgrid(ember.tensor([1, 2]))


def test_meshgrid_errors():
    check_raises(lambda T: T.meshgrid(indexing="ij"))
    check_raises(lambda T: T.meshgrid(T.tensor([1, 2]), T.ones(2), indexing="ij"))
    check_raises(lambda T: T.meshgrid(T.tensor([1, 2]), T.tensor([1]), indexing="foo"))
    for t in ("T.tensor([[10, 2], [3, -4]])", "T.ones(2, 2, 2, dtype=T.long)",
              "T.tensor([[1.5, -2.25], [3., 4.]])"):
        msgs = []
        for T in (torch, ember):
            with pytest.raises(RuntimeError) as ei:
                T.meshgrid(eval(t), indexing="ij")
            msgs.append(str(ei.value))
        assert msgs[0] == msgs[1]


def test_cartesian_prod():
    check(lambda T, a, b: T.cartesian_prod(a, b), [A, B], gradgrad=True)
    check(lambda T, a, b, c: T.cartesian_prod(a, b, c), [A, B, C])
    check(lambda T, a: T.cartesian_prod(a), [A])
    check(lambda T, a, b: T.cartesian_prod(a, b), [np.arange(3), np.arange(2)])
    check_raises(lambda T: T.cartesian_prod(T.ones(2, 2)))


def test_block_diag():
    check(lambda T, a, b, c: T.block_diag(a, b, c),
          [random_array((2, 3)), random_array((1, 1), seed=4), random_array((2,), seed=5)],
          gradgrad=True)
    check(lambda T, a, b: T.block_diag(a, b), [np.array(3.0, np.float32), random_array((2, 2))])
    check(lambda T, a, b: T.block_diag(a, b), [random_array((2, 0)), random_array((0, 3))])
    check(lambda T, a, b: T.block_diag(a, b), [np.ones((2, 2), np.float32), np.arange(2)],
          grad=False)
    check(lambda T: T.block_diag(), [])
    check_repr(lambda T: T.block_diag(T.ones(2, 2, requires_grad=True), T.ones(1, 1)))
    check_raises(lambda T: T.block_diag(T.ones(2, 2, 2)))


def test_unravel_index():
    for idx, shape in (([4, 1, 5], (2, 3)), ([[5, 0]], (2, 3)), (5, (2, 3)), ([7, -1], (2, 3)),
                       ([3], 4), ([1], ()), ([11], torch.Size([3, 4]))):
        res = {}
        for T in (torch, ember):
            sh = T.Size(shape) if isinstance(shape, torch.Size) else shape
            res[T] = T.unravel_index(T.tensor(idx), sh)
        assert len(res[ember]) == len(res[torch])
        for e, t in zip(res[ember], res[torch]):
            assert e.dtype == ember.int64 and np.array_equal(e.numpy(), t.numpy())
    check_raises(lambda T: T.unravel_index(T.tensor([1.5]), (2, 3)))
    check_raises(lambda T: T.unravel_index(T.tensor([True]), (2,)))
    check_raises(lambda T: T.unravel_index(T.tensor([1]), (2, -3)))
    check_raises(lambda T: T.unravel_index(T.tensor([1]), (2.5,)))


def test_torch_functional_module():
    import ember.functional as EF
    import torch.functional as TF
    for name in TF.__all__:
        if name in EF._MISSING:
            with pytest.raises(NotImplementedError):
                getattr(EF, name)
        else:
            assert getattr(EF, name) is getattr(ember, name)
    check(lambda T, a, b: __import__(T.__name__ + ".functional").functional.meshgrid(
        a, b, indexing="ij"), [A, B])
