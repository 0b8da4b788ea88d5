"""torch.nn.parallel for ember: DataParallel (a single-device wrapper, see data_parallel.py)
and DistributedDataParallel, which needs torch.distributed and is not implemented."""
from .data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]


class DistributedDataParallel:
    """Not implemented: multi-process training needs torch.distributed (process groups,
    all-reduce), which ember does not have. See torch.nn.parallel.DistributedDataParallel."""

    def __init__(self, module=None, *args, **kwargs):
        raise NotImplementedError(
            "ember.nn.parallel.DistributedDataParallel is not implemented: ember has no "
            "torch.distributed (process groups, collective communication). Train the module "
            "directly (or wrap it in ember.nn.DataParallel, a single-device wrapper).")
