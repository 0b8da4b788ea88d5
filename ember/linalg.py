"""torch.linalg: the linear-algebra namespace (implementations live in ember.ops.linalg)."""
from .ops.linalg import (det, slogdet, solve, cholesky, eigh, eigvalsh, eig, eigvals,
                         matrix_power, matrix_norm, multi_dot, svdvals,
                         solve_triangular, matmul)
from .ops.linalg import inverse as inv, linalg_svd as svd, linalg_qr as qr, \
    linalg_cross as cross, linalg_norm as norm
from .ops.reduction import vector_norm
from .ops.linalg import matrix_exp, householder_product  # noqa: E402
from .ops.linalg import linalg_slogdet as slogdet  # noqa: E402,F811


def inv_ex(A, *, check_errors=False):
    """(inverse, info) without raising for a singular matrix (see torch.linalg.inv_ex): info
    is 0 or the index of the zero pivot. Where info is not 0 the inverse is undefined; torch
    leaves LAPACK's garbage there, ember fills NaN."""
    from . import return_types as RT
    from ._creation import zeros
    from ._tensor import _wrap
    from .ops.linalg import lu_info
    import numpy as np
    a = A._data
    if a.__class__ is np.ndarray and a.ndim >= 2 and a.shape[-1] == a.shape[-2]:
        info = lu_info(a)
        if info.any():
            if check_errors:
                try:
                    inv(A)
                except LinAlgError as e:   # torch's text, under inv_ex's name
                    raise LinAlgError(str(e).replace("linalg.inv:", "linalg.inv_ex:", 1)) \
                        from None
            out = np.full(a.shape, np.nan, dtype=a.dtype)
            ok = (info == 0)
            if ok.any():
                out[ok] = np.linalg.inv(a[ok])
            return RT.linalg_inv_ex((_wrap(out), _wrap(np.asarray(info))))
    return RT.linalg_inv_ex((inv(A), zeros(A.shape[:-2], dtype=__import__("ember").int32)))


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info) without raising for a matrix that is not positive-definite (see
    torch.linalg.cholesky_ex): info is 0 or the order of the failing leading minor."""
    from . import return_types as RT
    from ._tensor import _wrap
    from .ops.linalg import cholesky_info, cholesky_error
    import numpy as np
    a = A._data
    if a.__class__ is np.ndarray:
        L, info = cholesky_info(a)
        if info.any():
            if check_errors:
                raise cholesky_error(info, "linalg.cholesky_ex")
            L = _wrap(np.asarray(L.swapaxes(-1, -2).conj() if upper else L))
            return RT.linalg_cholesky_ex((L, _wrap(np.asarray(info))))
    from ._creation import zeros
    return RT.linalg_cholesky_ex((cholesky(A, upper=upper),
                                  zeros(A.shape[:-2], dtype=__import__("ember").int32)))


from .ops.linalg import LinAlgError  # noqa: E402  (torch.linalg.LinAlgError)


def vecdot(x, y, *, dim=-1):
    return (x.conj() * y).sum(dim) if x.is_complex() else (x * y).sum(dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


from ._missing import module_getattr as _module_getattr  # noqa: E402

_missing = _module_getattr("ember.linalg", "torch.linalg")

# the second API sweep's functions live in ember/ops/sweep2.py, loaded on first use (it is large,
# and `import ember` imports this module)
_SWEEP2 = {"lstsq": "linalg_lstsq", "vander": "linalg_vander", "matrix_rank": "linalg_matrix_rank",
           "pinv": "linalg_pinv", "cond": "cond", "tensorinv": "tensorinv",
           "tensorsolve": "tensorsolve", "solve_ex": "solve_ex", "lu_factor": "lu_factor",
           "lu_factor_ex": "lu_factor_ex", "lu": "linalg_lu", "lu_solve": "linalg_lu_solve"}


def __getattr__(name):
    if name in _SWEEP2:
        from .ops import sweep2
        value = globals()[name] = getattr(sweep2, _SWEEP2[name])
        return value
    return _missing(name)
