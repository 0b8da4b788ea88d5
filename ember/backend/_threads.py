"""The BLAS thread count behind torch.set_num_threads / get_num_threads: NumPy's OpenBLAS (or
MKL / BLIS) is found among the loaded libraries and asked through ctypes, as threadpoolctl does.

Small GEMMs (a LeNet step) run many times slower with several busy-waiting BLAS threads, and
DataLoader workers must not each start a full thread pool (torch sets 1 thread in its workers).
"""
from __future__ import annotations

import ctypes

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads", "MKL_Set_Num_Threads",
            "bli_thread_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads", "MKL_Get_Max_Threads",
            "bli_thread_get_num_threads")
_libs = None


def _blas_libs():
    """ctypes handles of the BLAS libraries loaded in this process (cached)."""
    global _libs
    if _libs is None:
        import numpy  # noqa: F401  (loads its BLAS)
        paths = []
        try:
            with open("/proc/self/maps") as f:
                for line in f:
                    path = line.split()[-1] if "/" in line else ""
                    name = path.rsplit("/", 1)[-1].lower()
                    if path not in paths and any(k in name for k in ("openblas", "mkl_rt",
                                                                       "libblis")):
                        paths.append(path)
        except OSError:
            pass
        _libs = []
        for p in paths:
            try:
                _libs.append(ctypes.CDLL(p))
            except OSError:
                pass
    return _libs


def set_num_threads(n):
    """Set the BLAS thread count; returns False when no known BLAS was found."""
    done = False
    for lib in _blas_libs():
        for name in _SETTERS:
            fn = getattr(lib, name, None)
            if fn is not None:
                fn(ctypes.c_int(int(n)))
                done = True
                break
    return done


def get_num_threads():
    """The BLAS thread count, or None when no known BLAS was found."""
    for lib in _blas_libs():
        for name in _GETTERS:
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = ctypes.c_int
                return int(fn())
    return None
