"""torchvision.transforms for ember: transform classes (transforms.py) over the image functions
in functional.py, for PIL images and ember tensor images.
"""
from . import functional  # noqa: F401
from .transforms import *  # noqa: F403
from .transforms import __all__  # noqa: F401
