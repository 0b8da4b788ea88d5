"""Run programs written for PyTorch on ember: `torch` and `torchvision` resolve to ember.

`install()` puts an import hook on sys.meta_path so that `import torch`, `import torch.nn as nn`,
`from torch.utils.data import DataLoader`, `import torchvision.transforms as T`, ... load ember's
modules under torch's names (torchvision -> ember.vision, captum.attr -> ember.attr). `python -m ember run script.py`
calls it before running the script. A torch submodule ember lacks raises an ImportError that
names the missing torch API. While installed, ember's classes carry torch's module paths
(`<class 'torch.nn.modules.container.Sequential'>`), so printed types and pickled globals read
as torch's.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
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

# ember module prefix -> the torch-side name it stands for (longest first)
_REVERSE = (("ember.vision", "torchvision"), ("ember.attr", "captum.attr"), ("ember", "torch"))
_RENAMED: dict = {}  # class -> its ember __module__, restored by uninstall()
# classes torch defines in C and exposes as `torch.X` (their __module__ is plain "torch")
_TOP_LEVEL = ("Size", "dtype", "device", "finfo", "iinfo")


def _torch_module_name(name):
    for src, dst in _REVERSE:
        if name == src or name.startswith(src + "."):
            return dst + name[len(src):]
    return None


def _rename_classes(module):
    """Give the classes defined in one ember module their torch module path."""
    mod_name = getattr(module, "__name__", "")
    new = _torch_module_name(mod_name)
    if new is None:
        return
    for v in list(vars(module).values()):
        if isinstance(v, type) and v.__dict__.get("__module__") == mod_name:
            _RENAMED.setdefault(v, mod_name)
            v.__module__ = new


class _RenamingLoader(importlib.abc.Loader):
    """Wraps the loader of an ember module imported while installed: rename after exec."""

    def __init__(self, inner):
        self.inner = inner

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module):
        self.inner.exec_module(module)
        _rename_classes(module)

    def __getattr__(self, name):  # get_source, is_package, ... (tracebacks, inspect)
        return getattr(self.inner, name)


class _EmberFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("ember."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _RenamingLoader(spec.loader)
        return spec


_EMBER_FINDER = _EmberFinder()


def install():
    """Make `import torch` / `import torchvision` load ember (idempotent)."""
    import ember
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    if _EMBER_FINDER not in sys.meta_path:
        sys.meta_path.insert(1, _EMBER_FINDER)
    ember.Tensor.__module__ = "torch"
    for name, mod in list(sys.modules.items()):
        t = _target(name)
        if t is not None and mod is not sys.modules.get(t):
            del sys.modules[name]
        elif name == "ember" or name.startswith("ember."):
            _rename_classes(mod)
    for name in _TOP_LEVEL:
        cls = getattr(ember, name)
        _RENAMED.setdefault(cls, cls.__dict__.get("__module__"))
        cls.__module__ = "torch"


def uninstall():
    import ember
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    if _EMBER_FINDER in sys.meta_path:
        sys.meta_path.remove(_EMBER_FINDER)
    for cls, mod_name in _RENAMED.items():
        cls.__module__ = mod_name
    _RENAMED.clear()
    ember.Tensor.__module__ = "ember"
    for name in list(sys.modules):
        if _target(name) is not None and sys.modules[name].__name__.startswith("ember"):
            del sys.modules[name]


def is_installed():
    return _FINDER in sys.meta_path
