"""torch.onnx: ember has no ONNX exporter. The module exists so that programs which import it
(pytorch/examples word_language_model does, for an optional `--onnx-export`) run; `export`
raises NotImplementedError, and `is_in_onnx_export()` is False as it is outside an export."""
from __future__ import annotations

from ._missing import module_getattr as _module_getattr

__all__ = ["export", "is_in_onnx_export"]


def export(model, args=(), f=None, *a, **kw):
    """see torch.onnx.export (not implemented in ember)"""
    raise NotImplementedError("ember does not implement torch.onnx.export (ONNX export of a "
                              "model); it is available in PyTorch only")


def is_in_onnx_export():
    """see torch.onnx.is_in_onnx_export: ember never exports, so always False"""
    return False


__getattr__ = _module_getattr("ember.onnx", "torch.onnx")
