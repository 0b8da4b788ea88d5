"""torchvision for ember: `ember.vision.datasets`, `ember.vision.transforms`, `ember.vision.utils`
(make_grid, save_image). A real dataset ships with the package (datasets.Digits). Other
subpackages (`models`, ...) load on first use.
"""
from . import datasets, transforms, utils  # noqa: F401  (the public subpackages)

__version__ = "0.28.0+ember"

from .._missing import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("ember.vision", "torchvision")
