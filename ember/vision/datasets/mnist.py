"""MNIST, FashionMNIST and KMNIST (see torchvision.datasets.MNIST): IDX files in torchvision's
layout root/<ClassName>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].

The reader checks the IDX header (magic, type, rank, sizes) against the payload, so a corrupted
or truncated file raises a RuntimeError naming the file instead of yielding garbage.
"""
from __future__ import annotations

import os
from urllib.error import URLError

import numpy as np

from .utils import check_integrity, download_and_extract_archive, extract_archive
from .vision import VisionDataset

# IDX type byte -> big-endian NumPy dtype (and the torch dtype torchvision gives it)
_IDX_TYPES = {8: ">u1", 9: ">i1", 11: ">i2", 12: ">i4", 13: ">f4", 14: ">f8"}


def read_sn3_pascalvincent_tensor(path, strict=True):
    """Read an IDX file ("SN3 pascalvincent" format) into an ember tensor of its shape."""
    from ... import from_numpy
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise RuntimeError(f"{path} is not an IDX file: only {len(data)} bytes")
    if data[0] != 0 or data[1] != 0:
        raise RuntimeError(f"{path} is not an IDX file: bad magic number {data[:4].hex()}")
    ty, nd = data[2], data[3]
    if ty not in _IDX_TYPES or not 1 <= nd <= 3:
        raise RuntimeError(f"{path} is not an IDX file: unknown type 0x{ty:02x} or rank {nd}")
    header = 4 * (nd + 1)
    if len(data) < header:
        raise RuntimeError(f"{path} is truncated: the header itself is incomplete")
    shape = [int.from_bytes(data[4 * (i + 1):4 * (i + 2)], "big") for i in range(nd)]
    dt = np.dtype(_IDX_TYPES[ty])
    expected = int(np.prod(shape)) * dt.itemsize
    got = len(data) - header
    if got < expected or (strict and got != expected) or got % dt.itemsize:
        raise RuntimeError(f"{path} is truncated or corrupted: its header promises shape "
                           f"{tuple(shape)} ({expected} bytes of data) but the file holds {got}")
    arr = np.frombuffer(data, dt, count=expected // dt.itemsize, offset=header)
    return from_numpy(arr.astype(dt.newbyteorder("="), copy=True).reshape(shape))


def read_label_file(path):
    x = read_sn3_pascalvincent_tensor(path, strict=False)
    if x._data.dtype != np.uint8:
        raise TypeError(f"x should be of dtype torch.uint8 instead of {x.dtype}")
    if x.ndimension() != 1:
        raise ValueError(f"x should have 1 dimension instead of {x.ndimension()}")
    return x.long()


def read_image_file(path):
    x = read_sn3_pascalvincent_tensor(path, strict=False)
    if x._data.dtype != np.uint8:
        raise TypeError(f"x should be of dtype torch.uint8 instead of {x.dtype}")
    if x.ndimension() != 3:
        raise ValueError(f"x should have 3 dimension instead of {x.ndimension()}")
    return x


class MNIST(VisionDataset):
    """MNIST digits: `data` a uint8 tensor N x 28 x 28, `targets` an int64 tensor; items are
    (PIL 'L' image, int)."""
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        self._extract_local_archives()
        if not self._check_exists():
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        self.data, self.targets = self._load_data()

    def _load_data(self):
        split = "train" if self.train else "t10k"
        data = read_image_file(os.path.join(self.raw_folder, f"{split}-images-idx3-ubyte"))
        targets = read_label_file(os.path.join(self.raw_folder, f"{split}-labels-idx1-ubyte"))
        if len(data) != len(targets):
            raise RuntimeError(f"{self.raw_folder}: {len(data)} images but {len(targets)} "
                               "labels")
        return data, targets

    def __getitem__(self, index):
        from PIL import Image
        img = Image.fromarray(self.data._data[index])  # uint8 H x W -> mode 'L'
        target = int(self.targets._data[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def _check_exists(self):
        return all(check_integrity(os.path.join(self.raw_folder,
                                                os.path.splitext(os.path.basename(url))[0]))
                   for url, _ in self.resources)

    def _extract_local_archives(self):
        # a .gz put in raw/ by hand (no network) is unpacked exactly as download() would
        for filename, _ in self.resources:
            gz = os.path.join(self.raw_folder, filename)
            if os.path.isfile(gz) and not os.path.isfile(os.path.splitext(gz)[0]):
                extract_archive(gz, self.raw_folder)

    def download(self):
        """Download the four IDX .gz files (trying each mirror) unless already present."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            errors = []
            for mirror in self.mirrors:
                try:
                    download_and_extract_archive(f"{mirror}{filename}",
                                                 download_root=self.raw_folder,
                                                 filename=filename, md5=md5)
                except (RuntimeError, URLError) as e:
                    errors.append(e)
                    continue
                break
            else:
                s = f"Error downloading {filename}:\n"
                for mirror, err in zip(self.mirrors, errors):
                    s += f"Tried {mirror}, got:\n{err}\n"
                raise RuntimeError(s)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (same format as MNIST)."""
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST (same format as MNIST)."""
    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
