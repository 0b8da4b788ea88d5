"""Module-level `__getattr__` for ember's torch-named modules: a name torch has and ember does
not says so (`... (ember does not implement torch.nn.functional.foo)`), after trying it as a
submodule that has not been imported yet."""
from __future__ import annotations

import importlib


def module_getattr(modname, torchname):
    def __getattr__(name):
        if not name.startswith("_"):
            try:
                return importlib.import_module(f"{modname}.{name}")
            except ModuleNotFoundError as e:
                if e.name != f"{modname}.{name}":
                    raise
            raise AttributeError(f"module '{modname}' has no attribute '{name}' (ember does not "
                                 f"implement {torchname}.{name})")
        raise AttributeError(f"module '{modname}' has no attribute '{name}'")
    return __getattr__
