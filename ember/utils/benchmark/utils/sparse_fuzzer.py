"""torch.utils.benchmark.utils.sparse_fuzzer for ember: FuzzedSparseTensor needs sparse COO
tensors, which ember does not implement; constructing one raises NotImplementedError."""
from __future__ import annotations

from .fuzzer import FuzzedTensor

__all__ = ["FuzzedSparseTensor"]


class FuzzedSparseTensor(FuzzedTensor):
    """A fuzzed sparse COO tensor (see torch.utils.benchmark.FuzzedSparseTensor)."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            "ember does not implement sparse tensors, so torch.utils.benchmark."
            "FuzzedSparseTensor is unavailable; use FuzzedTensor for dense inputs")
