"""FakeData (see torchvision.datasets.FakeData): random images that are the same for an index
every time (the global generator is seeded with index + random_offset, then restored), so
ember gives the very images torchvision gives.
"""
from __future__ import annotations

from .vision import VisionDataset


class FakeData(VisionDataset):
    """`size` random PIL images of shape image_size (C, H, W) with a random class each."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index):
        from ... import _creation as C
        from ... import _dtype as D
        from ..._generator import get_rng_state, set_rng_state
        from ..._random import manual_seed
        from ..transforms import functional as F
        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        state = get_rng_state()
        manual_seed(index + self.random_offset)
        img = C.randn(*self.image_size)
        target = C.randint(0, self.num_classes, size=(1,), dtype=D.int64)[0]
        set_rng_state(state)
        img = F.to_pil_image(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target.item()

    def __len__(self):
        return self.size
