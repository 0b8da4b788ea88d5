"""torch.linalg: the linear-algebra namespace (implementations live in ember.ops.linalg)."""
from .ops.linalg import (det, slogdet, solve, cholesky, eigh, eigvalsh, eig, eigvals, pinv,
                         matrix_power, matrix_rank, matrix_norm, multi_dot, svdvals,
                         solve_triangular, matmul)
from .ops.linalg import inverse as inv, linalg_svd as svd, linalg_qr as qr, \
    linalg_cross as cross, linalg_norm as norm
from .ops.reduction import vector_norm


def inv_ex(A, *, check_errors=False):
    from . import return_types as RT
    from ._creation import zeros
    return RT.linalg_inv_ex((inv(A), zeros(A.shape[:-2], dtype=__import__("ember").int32)))


def cholesky_ex(A, *, upper=False, check_errors=False):
    from . import return_types as RT
    from ._creation import zeros
    return RT.linalg_cholesky_ex((cholesky(A, upper=upper),
                                  zeros(A.shape[:-2], dtype=__import__("ember").int32)))


def vecdot(x, y, *, dim=-1):
    return (x.conj() * y).sum(dim) if x.is_complex() else (x * y).sum(dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)
