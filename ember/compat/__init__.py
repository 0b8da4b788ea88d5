"""Run programs written for PyTorch on ember: `torch` and `torchvision` resolve to ember.

`install()` puts an import hook on sys.meta_path so that `import torch`, `import torch.nn as nn`,
`from torch.utils.data import DataLoader`, `import torchvision.transforms as T`, ... load ember's
modules under torch's names (torchvision -> ember.vision, captum.attr -> ember.attr). `python -m ember run script.py`
calls it before running the script. A torch submodule ember lacks raises an ImportError that
names the missing torch API.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

# longest prefix first: captum.attr is ember.attr, and so is the bare captum package
_PREFIXES = {"torchvision": "ember.vision", "torch": "ember", "captum.attr": "ember.attr",
             "captum": "ember.attr"}


def _target(fullname):
    for src, dst in sorted(_PREFIXES.items(), key=lambda kv: -len(kv[0])):
        if fullname == src or fullname.startswith(src + "."):
            return dst + fullname[len(src):]
    return None


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        try:
            return importlib.import_module(self.target)
        except ModuleNotFoundError as e:
            if e.name and (e.name == self.target or self.target.startswith(e.name + ".")):
                torch_name = spec.name
                raise ModuleNotFoundError(
                    f"No module named '{torch_name}': ember does not implement {torch_name} "
                    f"(looked for {self.target})", name=spec.name) from None
            raise

    def exec_module(self, module):
        pass  # already executed as the ember module


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        t = _target(fullname)
        if t is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(t))


_FINDER = _AliasFinder()


def install():
    """Make `import torch` / `import torchvision` load ember (idempotent)."""
    import ember
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    ember.Tensor.__module__ = "torch"
    for name, mod in list(sys.modules.items()):
        t = _target(name)
        if t is not None and mod is not sys.modules.get(t):
            del sys.modules[name]


def uninstall():
    import ember
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    ember.Tensor.__module__ = "ember"
    for name in list(sys.modules):
        if _target(name) is not None and sys.modules[name].__name__.startswith("ember"):
            del sys.modules[name]


def is_installed():
    return _FINDER in sys.meta_path
