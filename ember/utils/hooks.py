"""torch.utils.hooks: RemovableHandle (the handle every register_*_hook returns; it lives with
nn.Module in nn/modules/module.py), BackwardHook and the unserializable_hook marker."""
from __future__ import annotations

import warnings

from ..nn.modules.module import BackwardHook, RemovableHandle

__all__ = ["RemovableHandle", "unserializable_hook", "warn_if_has_hooks", "BackwardHook"]


def unserializable_hook(f):
    """Mark a tensor hook as not to be serialized; see torch.utils.hooks.unserializable_hook."""
    f.__torch_unserializable__ = True
    return f


def warn_if_has_hooks(tensor):
    """Warn about backward hooks that pickling a tensor will drop."""
    hooks = getattr(tensor, "_hooks", None)
    if hooks:
        for k in hooks:
            hook = hooks[k]
            if not hasattr(hook, "__torch_unserializable__"):
                warnings.warn(f"backward hook {repr(hook)} on tensor will not be serialized.  If "
                              "this is expected, you can decorate the function with "
                              "@torch.utils.hooks.unserializable_hook to suppress this warning",
                              stacklevel=2)
