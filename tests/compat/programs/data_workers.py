# Multi-process loading in torch.utils.data: num_workers=2 with worker_init_fn, the
# IterableDataset sharding example of the torch.utils.data docs (get_worker_info() splits the
# range, results come back in order), per-worker seeds (random augmentation inside workers gives
# the same numbers as torch), persistent_workers across epochs, prefetch_factor and timeout
# validation, and an exception raised inside a worker.
import math
import random

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info


def attempt(label, fn):
    try:
        print(label, "->", fn())
    except Exception as e:  # noqa: BLE001
        print(label, "raised", type(e).__name__ + ":", str(e).splitlines()[0])


class MyIterableDataset(IterableDataset):
    """The docs' example: each worker takes its own contiguous slice of [start, end)."""

    def __init__(self, start, end):
        super().__init__()
        assert end > start, "this example code only works with end >= start"
        self.start = start
        self.end = end

    def __iter__(self):
        worker_info = get_worker_info()
        if worker_info is None:  # single-process data loading, return the full iterator
            iter_start, iter_end = self.start, self.end
        else:  # in a worker process: split workload
            per_worker = int(math.ceil((self.end - self.start) / float(worker_info.num_workers)))
            worker_id = worker_info.id
            iter_start = self.start + worker_id * per_worker
            iter_end = min(iter_start + per_worker, self.end)
        return iter(range(iter_start, iter_end))


class Unsplit(IterableDataset):
    """The same range with no sharding: every worker yields all of it."""

    def __iter__(self):
        return iter(range(3, 7))


def worker_init_fn(worker_id):
    """The docs' other way: reconfigure each worker's copy of the dataset."""
    info = get_worker_info()
    dataset = info.dataset
    overall_start, overall_end = dataset.start, dataset.end
    per_worker = int(math.ceil((overall_end - overall_start) / float(info.num_workers)))
    dataset.start = overall_start + worker_id * per_worker
    dataset.end = min(dataset.start + per_worker, overall_end)


class Plain(MyIterableDataset):
    def __iter__(self):
        return iter(range(self.start, self.end))


def main():
    print(get_worker_info())
    ds = MyIterableDataset(start=3, end=7)
    print(list(DataLoader(ds, num_workers=0)))
    print(list(DataLoader(ds, num_workers=2)))
    print(list(DataLoader(ds, num_workers=12 // 6)))
    print(list(DataLoader(Unsplit(), num_workers=2)))
    print(list(DataLoader(Plain(3, 7), num_workers=2, worker_init_fn=worker_init_fn)))
    print(list(DataLoader(MyIterableDataset(0, 11), batch_size=2, num_workers=2)))
    print(list(DataLoader(MyIterableDataset(0, 11), batch_size=2, num_workers=2,
                          drop_last=True)))

    print("== map-style with workers ==")
    torch.manual_seed(0)
    loader = DataLoader(Augment(), batch_size=2, shuffle=True, num_workers=2,
                        worker_init_fn=seed_numpy)
    for epoch in range(2):
        for idx, noise, np_noise, py, wid, seed in loader:
            print(epoch, idx.tolist(), noise, np_noise.tolist(), py.tolist(), wid.tolist(),
                  seed.tolist())
    print("main RNG:", torch.rand(2))
    g = torch.Generator().manual_seed(7)
    print([b[0].tolist() for b in DataLoader(Augment(), batch_size=3, shuffle=True,
                                              num_workers=2, generator=g)])
    print([b[4].tolist() for b in DataLoader(Augment(), batch_size=3, num_workers=2,
                                              generator=torch.Generator().manual_seed(7))])

    print("== persistent workers ==")
    torch.manual_seed(3)
    loader = DataLoader(Augment(), batch_size=4, num_workers=2, persistent_workers=True,
                        prefetch_factor=1)
    for epoch in range(3):
        print(epoch, [(b[0].tolist(), b[4].tolist(), b[5].tolist()) for b in loader])
    print(len(loader), loader.prefetch_factor, loader.persistent_workers)
    del loader

    print("== validation ==")
    attempt("prefetch_factor without workers", lambda: DataLoader(Augment(), prefetch_factor=2))
    attempt("prefetch_factor=-1", lambda: DataLoader(Augment(), num_workers=2,
                                                      prefetch_factor=-1))
    attempt("prefetch_factor=0 then iterate", lambda: next(iter(DataLoader(
        Augment(), num_workers=2, prefetch_factor=0))))
    attempt("persistent without workers", lambda: DataLoader(Augment(), persistent_workers=True))
    attempt("default prefetch_factor", lambda: (DataLoader(Augment()).prefetch_factor,
                                                DataLoader(Augment(), num_workers=2)
                                                .prefetch_factor))
    attempt("timeout=-1", lambda: DataLoader(Augment(), num_workers=2, timeout=-1))
    attempt("context without workers",
            lambda: DataLoader(Augment(), multiprocessing_context="fork"))
    attempt("bad context", lambda: DataLoader(Augment(), num_workers=1,
                                              multiprocessing_context="bogus"))
    attempt("timeout=5", lambda: [b[0].tolist() for b in DataLoader(
        Augment(), batch_size=5, num_workers=2, timeout=5)])
    attempt("error in worker", lambda: list(DataLoader(Broken(), num_workers=2)))
    attempt("error in worker_init_fn", lambda: list(DataLoader(
        Augment(), num_workers=2, worker_init_fn=bad_init)))
    attempt("shuffle with IterableDataset", lambda: DataLoader(ds, shuffle=True))
    attempt("sampler with IterableDataset", lambda: DataLoader(ds, sampler=[1, 2]))
    attempt("batch_sampler with IterableDataset", lambda: DataLoader(ds, batch_sampler=[[1]]))
    attempt("shuffle=False with IterableDataset", lambda: len(list(DataLoader(ds,
                                                                               shuffle=False))))


class Augment(Dataset):
    """Each sample draws random noise in the worker that loads it."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        info = get_worker_info()
        wid = -1 if info is None else info.id
        seed = torch.initial_seed() % 1000
        return (i, round(torch.rand(1).item(), 4), np.random.randint(0, 1000),
                random.randint(0, 1000), wid, seed)


def seed_numpy(worker_id):
    np.random.seed(torch.initial_seed() % 2 ** 32)


def bad_init(worker_id):
    raise ValueError(f"cannot start worker {worker_id}")


class Broken(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise KeyError(f"missing {i}")
        return i


if __name__ == "__main__":
    main()
