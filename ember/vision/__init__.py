"""torchvision for ember: `ember.vision.datasets`, `ember.vision.transforms`, `ember.vision.utils`
(make_grid, save_image). A real dataset ships with the package (datasets.Digits). Other
subpackages (`models`, ...) load on first use.
"""
import importlib as _importlib

from . import datasets, transforms, utils  # noqa: F401  (the public subpackages)

__version__ = "0.28.0+ember"


def __getattr__(name):
    if not name.startswith("_"):
        try:
            return _importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module 'ember.vision' has no attribute '{name}'")
