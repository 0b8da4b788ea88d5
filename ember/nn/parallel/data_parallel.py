"""nn.DataParallel for ember. ember computes on one device, so DataParallel is torch's
single-device wrapper: without CUDA it only holds `module` and calls it (torch does the same on
a CPU-only machine); with one CUDA device it moves the module there and sends inputs along.
Splitting a batch over several GPUs (replicate / scatter / gather) is not implemented.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..._tensor import Tensor
from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


def _cuda_device_count() -> int:
    from ... import cuda
    return cuda.device_count() if cuda.is_available() else 0


def _device_index(d) -> int:
    if isinstance(d, int):
        return d
    from ..._device import device as _device
    d = _device(d)
    return 0 if d.index is None else d.index


def _multi_gpu():
    raise NotImplementedError(
        "ember.nn.DataParallel over several GPUs (replicate / scatter / gather of the batch) is "
        "not implemented: ember runs a model on one device. Pass device_ids=[0] (or a single "
        "device) to use one GPU.")


def _to(obj, device):
    # what scatter does for a single device: tensors (also inside tuples/lists/dicts) move
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_to(o, device) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: _to(v, device) for k, v in obj.items()}
    return obj


class DataParallel(Module):
    """Wraps `module` (reachable as `.module`, so state_dict keys gain a "module." prefix);
    forward calls it on the one device ember uses. See torch.nn.DataParallel."""

    def __init__(self, module: Module, device_ids: Sequence | None = None,
                 output_device=None, dim: int = 0) -> None:
        super().__init__()
        n = _cuda_device_count()
        if n == 0:
            # torch on a machine without an accelerator: a transparent wrapper
            self.module = module
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(n))
        if len(device_ids) == 0:
            raise RuntimeError("no available devices were found")
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.module = module
        self.device_ids = [_device_index(x) for x in device_ids]
        if len(self.device_ids) > 1:
            _multi_gpu()
        self.output_device = _device_index(output_device)
        from ..._device import device as _device
        self.src_device_obj = _device("cuda", self.device_ids[0])
        self.module.to(self.src_device_obj)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in list(self.module.parameters()) + list(self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(
                    "module must have its parameters and buffers on device "
                    f"{self.src_device_obj} (device_ids[0]) but found one of them on device: "
                    f"{t.device}")
        out = self.module(*_to(inputs, self.src_device_obj),
                          **_to(kwargs, self.src_device_obj))
        if self.output_device != self.device_ids[0]:
            _multi_gpu()
        return out


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0,
                  module_kwargs=None):
    """The functional DataParallel (see torch.nn.parallel.data_parallel): runs `module` on
    `inputs` on one CUDA device."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    if _cuda_device_count() == 0:
        raise RuntimeError("device type could not be determined")
    return DataParallel(module, device_ids, output_device, dim)(*inputs, **(module_kwargs or {}))
