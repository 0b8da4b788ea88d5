"""Digits: the UCI handwritten digits (8x8, 1,797 images, 10 classes), embedded in ember so that
the examples and tests run with no network. See ember/vision/_data/CREDITS.md for the source
(E. Alpaydin and C. Kaynak, UCI ML repository, CC BY 4.0; the copy scikit-learn distributes).

Items are (PIL image of mode 'L', 8 x 8, class index). Pixel counts 0..16 are scaled to 0..255 as
(v * 255 + 8) // 16. The split is fixed and interleaved: with the default split=5, every 5th
image of the file (indices 4, 9, 14, ...) is in the test set (359 images) and the other 1,438 are
the training set; split=k holds out every k-th image instead.
"""
from __future__ import annotations

import gzip
import os

import numpy as np

from .vision import VisionDataset

_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "_data", "digits.csv.gz")
_cache = {}


def _load_all():
    """(images uint8 N x 8 x 8, labels int64 N) from the embedded CSV (65 ints per row)."""
    if "all" not in _cache:
        with gzip.open(_FILE, "rb") as f:
            rows = np.loadtxt(f, delimiter=",", dtype=np.int64)
        if rows.ndim != 2 or rows.shape[1] != 65:
            raise RuntimeError(f"{_FILE} is corrupted: expected rows of 65 integers, got shape "
                               f"{rows.shape}")
        pixels = rows[:, :64]
        if pixels.min() < 0 or pixels.max() > 16:
            raise RuntimeError(f"{_FILE} is corrupted: pixel counts outside 0..16")
        images = ((pixels * 255 + 8) // 16).astype(np.uint8).reshape(-1, 8, 8)
        _cache["all"] = (images, rows[:, 64].copy())
    return _cache["all"]


class Digits(VisionDataset):
    """The embedded UCI digits; `data` is uint8 N x 8 x 8, `targets` a list of ints. `root` and
    `download` are accepted for the usual dataset signature; nothing is read or fetched."""
    classes = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]

    def __init__(self, root=None, train=True, transform=None, target_transform=None, split=5,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        if not isinstance(split, int) or isinstance(split, bool) or split < 2:
            raise ValueError(f"split should be an integer >= 2 (every split-th image is a test "
                             f"image), got {split!r}")
        self.train = train
        self.split = split
        images, labels = _load_all()
        test = np.arange(len(images)) % split == split - 1
        keep = ~test if train else test
        self.data = images[keep]
        self.targets = labels[keep].tolist()

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index):
        from PIL import Image
        img, target = Image.fromarray(self.data[index]), self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"
