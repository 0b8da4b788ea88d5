"""linalg.solve_triangular vs torch: only the chosen triangle of A is read (the other may hold
anything), unit diagonals, left=False, batches, and gradients (which reach that triangle only)."""
import numpy as np
import pytest

from tests.oracle import check

rng = np.random.default_rng(3)
A = (rng.standard_normal((3, 3)) + 4 * np.eye(3)).astype(np.float64)   # both triangles full
B = rng.standard_normal((3, 2))
AB = (rng.standard_normal((2, 4, 4)) + 5 * np.eye(4)).astype(np.float32)
BB = rng.standard_normal((2, 4, 3)).astype(np.float32)


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("unit", [False, True])
def test_reads_one_triangle_with_grads(upper, unit):
    check(lambda T, a, b: T.linalg.solve_triangular(a, b, upper=upper, unitriangular=unit),
          [A, B], gradgrad=True)


@pytest.mark.parametrize("upper", [False, True])
def test_left_false_and_batched(upper):
    check(lambda T, a, b: T.linalg.solve_triangular(a, b.mT, upper=upper, left=False),
          [A, B])
    check(lambda T, a, b: T.linalg.solve_triangular(a, b, upper=upper), [AB, BB])
