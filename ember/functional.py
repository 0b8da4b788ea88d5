"""torch.functional: the tensor functions torch defines in Python (meshgrid, einsum, norm, ...).

Programs import it (`import torch.functional as F`) and call the same functions the top-level
namespace has; each name here is ember's own top-level function."""
from __future__ import annotations

import ember as _e

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors",
           "cartesian_prod", "block_diag", "cdist", "chain_matmul", "einsum", "istft", "lu",
           "norm", "meshgrid", "pca_lowrank", "split", "stft", "svd_lowrank", "tensordot",
           "unique", "unique_consecutive", "unravel_index"]

atleast_1d, atleast_2d, atleast_3d = _e.atleast_1d, _e.atleast_2d, _e.atleast_3d
broadcast_shapes, broadcast_tensors = _e.broadcast_shapes, _e.broadcast_tensors
cartesian_prod, block_diag, meshgrid = _e.cartesian_prod, _e.block_diag, _e.meshgrid
cdist, chain_matmul, einsum, norm = _e.cdist, _e.chain_matmul, _e.einsum, _e.norm
split, tensordot, unravel_index = _e.split, _e.tensordot, _e.unravel_index
unique, unique_consecutive = _e.unique, _e.unique_consecutive

_MISSING = {"istft", "lu", "pca_lowrank", "stft", "svd_lowrank"}


def __getattr__(name):
    if name in _MISSING:
        raise NotImplementedError(f"torch.functional.{name} is not implemented in ember")
    raise AttributeError(f"module 'ember.functional' has no attribute '{name}' (ember does not "
                         f"implement torch.functional.{name})")
