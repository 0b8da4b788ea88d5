"""DataLoader throughput, ember vs torch in one run: `python bench/bench_data.py [--quick]`.

The dataset is CIFAR-shaped (uint8 N x 32 x 32 x 3 in memory, each item a PIL image through the
seed's ToTensor + Normalize((0.5,)*3, (0.5,)*3)), loaded with batch 4 (the seed's) and 64, by 0,
1 and 2 worker processes; an epoch is timed end to end (worker start-up included) and reported
as images per second. torchvision cannot be imported beside torch 2.13, so torch's side runs
torchvision's to_tensor/normalize written out with torch ops. A last table times large batches
(64 x 3 x 128 x 128 float32) through the pipe and through shared memory (ember's transport).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

MEAN = STD = (0.5, 0.5, 0.5)


def _torch_pipeline():
    import torch
    mean = torch.tensor(MEAN).view(3, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1)

    def transform(img):
        # torchvision's to_tensor + normalize for a PIL RGB image
        t = torch.from_numpy(np.array(img, np.uint8, copy=True)).view(32, 32, 3)
        t = t.permute((2, 0, 1)).contiguous().to(dtype=torch.float32).div(255)
        return t.sub_(mean).div_(std)
    return torch, torch.utils.data, transform


def _ember_pipeline():
    import ember
    import ember.utils.data
    from ember.vision import transforms as T
    return ember, ember.utils.data, T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)])


class CifarLike:
    """Like torchvision's CIFAR10: uint8 HWC images in memory, PIL image + int per item."""

    def __init__(self, n, transform):
        self.data = np.random.RandomState(0).randint(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        self.targets = list(np.random.RandomState(1).randint(0, 10, n))
        self.transform = transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        from PIL import Image
        return self.transform(Image.fromarray(self.data[i])), int(self.targets[i])


class BigItems:
    """Items of 3 x 128 x 128 float32 (batches of 64 are 12.6 MB)."""

    def __init__(self, T, n):
        self.T, self.n = T, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.T.full((3, 128, 128), float(i))


def _epoch(T, D, ds, batch_size, workers):
    dl = D.DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers)
    t0 = time.perf_counter()
    n = 0
    for x, y in dl:
        n += len(y)
    return n / (time.perf_counter() - t0)


def _best(fn, repeats):
    return statistics.median(fn() for _ in range(repeats))


def throughput(n, repeats, sizes=(4, 64), workers=(0, 1, 2)):
    """{(lib, batch, workers): images/s}."""
    libs = {"torch": _torch_pipeline(), "ember": _ember_pipeline()}
    out = {}
    for bs in sizes:
        for w in workers:
            for name, (T, D, tf) in libs.items():
                T.manual_seed(0)
                ds = CifarLike(n, tf)
                out[(name, bs, w)] = _best(
                    lambda T=T, D=D, ds=ds, bs=bs, w=w: _epoch(T, D, ds, bs, w), repeats)
    return out


def shm_vs_pipe(n, repeats):
    """ember's large-batch transport: shared memory vs pickling through the pipe."""
    import ember
    import ember.utils.data as D
    from ember.utils.data._utils import _shm

    def epoch():
        dl = D.DataLoader(BigItems(ember, n), batch_size=64, num_workers=2)
        t0 = time.perf_counter()
        mb = sum(b.nbytes for b in dl) / 2 ** 20
        return mb / (time.perf_counter() - t0)
    saved = _shm.THRESHOLD
    try:
        res = {"shared memory": _best(epoch, repeats)}
        _shm.THRESHOLD = 1 << 62   # never: every batch is pickled through the pipe
        res["pipe (pickle)"] = _best(epoch, repeats)
    finally:
        _shm.THRESHOLD = saved
    import torch
    import torch.utils.data as tud

    def tepoch():
        dl = tud.DataLoader(BigItems(torch, n), batch_size=64, num_workers=2)
        t0 = time.perf_counter()
        mb = sum(b.nbytes for b in dl) / 2 ** 20
        return mb / (time.perf_counter() - t0)
    res["torch (its shared memory)"] = _best(tepoch, repeats)
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller epochs, one repeat")
    args = p.parse_args(argv)
    n, repeats = (512, 1) if args.quick else (2048, 3)
    import torch

    import ember
    # one BLAS thread, as DataLoader workers use: the comparison is of the loaders
    torch.set_num_threads(1)
    ember.set_num_threads(1)
    print(f"DataLoader throughput, CIFAR-shaped PIL images + ToTensor + Normalize, {n} images "
          f"per epoch, median of {repeats} (cpu count {os.cpu_count()})")
    res = throughput(n, repeats)
    print(f"{'batch':>5} {'workers':>7} {'torch img/s':>12} {'ember img/s':>12} "
          f"{'ember/torch':>11}")
    for (name, bs, w), v in sorted(res.items(), key=lambda kv: (kv[0][1], kv[0][2])):
        if name == "torch":
            e = res[("ember", bs, w)]
            print(f"{bs:>5} {w:>7} {v:>12.0f} {e:>12.0f} {e / v:>11.2f}")
    print("\nLarge batches (64 x 3 x 128 x 128 float32, 2 workers), MB/s:")
    for k, v in shm_vs_pipe(256 if args.quick else 1024, repeats).items():
        print(f"  {k:<28} {v:8.0f}")
    return res


if __name__ == "__main__":
    sys.exit(main() and 0)
