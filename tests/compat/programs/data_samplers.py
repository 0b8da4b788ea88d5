# The sampling half of torch.utils.data: the exact order a DataLoader visits a dataset with
# shuffle=True (seeded generator and global seed, epoch after epoch), drop_last,
# batch_size=None, and each sampler (Sequential, Random with/without replacement and
# num_samples, SubsetRandom, WeightedRandom, Batch) given through sampler= or batch_sampler=,
# with len() of loaders and samplers and the errors for conflicting options.
import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)


def attempt(label, fn):
    try:
        print(label, "->", fn())
    except Exception as e:  # noqa: BLE001
        print(label, "raised", type(e).__name__ + ":", e)


class Numbers(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


ds = Numbers(10)

print("== shuffle with a seeded generator ==")
g = torch.Generator().manual_seed(1234)
loader = DataLoader(ds, batch_size=4, shuffle=True, generator=g)
print(len(loader), type(loader.sampler).__name__, type(loader.batch_sampler).__name__)
for epoch in range(3):
    print("epoch", epoch, [b.tolist() for b in loader])
print("generator state continues:", torch.randint(0, 100, (3,), generator=g))

print("== shuffle with the global seed ==")
torch.manual_seed(0)
loader = DataLoader(ds, batch_size=3, shuffle=True)
for epoch in range(3):
    print("epoch", epoch, [b.tolist() for b in loader])
print("global RNG after 3 epochs:", torch.rand(2))
torch.manual_seed(0)
print("same seed, same first epoch:", [b.tolist() for b in loader])
it = iter(loader)
print("partial epoch:", next(it).tolist(), "then", torch.randint(0, 10, (2,)))

print("== no shuffle, drop_last, batch_size=None ==")
torch.manual_seed(1)
print([b.tolist() for b in DataLoader(ds, batch_size=4)])
print([b.tolist() for b in DataLoader(ds, batch_size=4, drop_last=True)],
      len(DataLoader(ds, batch_size=4, drop_last=True)), len(DataLoader(ds, batch_size=4)))
unbatched = DataLoader(ds, batch_size=None)
print(list(unbatched), len(unbatched), unbatched.batch_sampler, unbatched.batch_size)
print(list(DataLoader(ds, batch_size=None, shuffle=True,
                      generator=torch.Generator().manual_seed(3))))
print(list(DataLoader(ds)))
print("RNG still advanced per epoch:", torch.rand(1))

print("== samplers by hand ==")
print(list(SequentialSampler(ds)), len(SequentialSampler(range(4))))
print(list(RandomSampler(ds, generator=torch.Generator().manual_seed(0))))
rs = RandomSampler(ds, replacement=True, num_samples=40, generator=torch.Generator().manual_seed(0))
print(len(rs), list(rs))
rs = RandomSampler(ds, num_samples=25, generator=torch.Generator().manual_seed(0))
print(len(rs), list(rs))
rs = RandomSampler(ds, num_samples=4, generator=torch.Generator().manual_seed(0))
print(len(rs), list(rs), rs.num_samples, rs.replacement)
torch.manual_seed(2)
print(list(RandomSampler(range(6))), list(RandomSampler(range(6), replacement=True)))
srs = SubsetRandomSampler([10, 20, 30, 40, 50], generator=torch.Generator().manual_seed(5))
print(len(srs), list(srs), list(srs))
torch.manual_seed(3)
print(list(SubsetRandomSampler(range(100, 106))))
wrs = WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 8,
                            generator=torch.Generator().manual_seed(0))
print(len(wrs), list(wrs), wrs.weights)
wrs = WeightedRandomSampler(torch.tensor([1., 2., 3., 4.]), 4, replacement=False,
                            generator=torch.Generator().manual_seed(0))
print(list(wrs), list(wrs))
torch.manual_seed(4)
print(list(WeightedRandomSampler([1, 1, 5], 5)))
bs = BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)
print(list(bs), len(bs))
bs = BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True)
print(list(bs), len(bs))
print(list(BatchSampler(range(5), 2, False)))

print("== samplers given to the DataLoader ==")
tds = TensorDataset(torch.arange(10) * 10)
wl = DataLoader(tds, batch_size=3, sampler=WeightedRandomSampler(
    [1.] * 5 + [4.] * 5, 9, generator=torch.Generator().manual_seed(0)))
print(len(wl), [b[0].tolist() for b in wl])
sl = DataLoader(tds, sampler=SubsetRandomSampler(range(0, 10, 2),
                                                 generator=torch.Generator().manual_seed(1)))
print(len(sl), [b[0].tolist() for b in sl])
bl = DataLoader(tds, batch_sampler=BatchSampler(RandomSampler(
    tds, generator=torch.Generator().manual_seed(2)), 4, drop_last=True))
print(len(bl), [b[0].tolist() for b in bl], bl.batch_size, bl.drop_last)
print(len(DataLoader(ds, sampler=RandomSampler(ds, replacement=True, num_samples=7),
                     batch_size=2)))


class EvenFirst(Sampler):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(list(range(0, self.n, 2)) + list(range(1, self.n, 2)))

    def __len__(self):
        return self.n


class Chunks(Sampler):
    def __iter__(self):
        yield [0, 1]
        yield [5, 6, 7]
        yield [9]


print([b.tolist() for b in DataLoader(ds, sampler=EvenFirst(10), batch_size=4)])
print([b.tolist() for b in DataLoader(ds, batch_sampler=Chunks())])
print([b for b in DataLoader(ds, sampler=[3, 1, 2], batch_size=None)])
print([b.tolist() for b in DataLoader(ds, batch_sampler=[[1, 2], [3]])])
attempt("len with a sampler without __len__", lambda: len(DataLoader(ds, batch_sampler=Chunks())))

print("== misuse ==")
attempt("sampler and shuffle", lambda: DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True))
attempt("batch_sampler and batch_size",
        lambda: DataLoader(ds, batch_sampler=BatchSampler(range(4), 2, False), batch_size=2))
attempt("batch_sampler and shuffle",
        lambda: DataLoader(ds, batch_sampler=BatchSampler(range(4), 2, False), shuffle=True))
attempt("batch_sampler and drop_last",
        lambda: DataLoader(ds, batch_sampler=BatchSampler(range(4), 2, False), drop_last=True))
attempt("batch_size=None and drop_last", lambda: DataLoader(ds, batch_size=None, drop_last=True))
attempt("batch_size=0", lambda: DataLoader(ds, batch_size=0))
attempt("batch_size=-1", lambda: DataLoader(ds, batch_size=-1))
attempt("batch_size=2.0", lambda: DataLoader(ds, batch_size=2.0))
attempt("BatchSampler drop_last=1", lambda: BatchSampler(range(3), 2, 1))
attempt("num_samples=0", lambda: RandomSampler(ds, num_samples=0))
attempt("num_samples=2.5", lambda: RandomSampler(ds, num_samples=2.5))
attempt("replacement=1", lambda: RandomSampler(ds, replacement=1))
attempt("Weighted num_samples=0", lambda: WeightedRandomSampler([1.], 0))
attempt("Weighted num_samples=True", lambda: WeightedRandomSampler([1.], True))
attempt("Weighted replacement=0", lambda: WeightedRandomSampler([1.], 1, replacement=0))
attempt("Weighted 2d", lambda: WeightedRandomSampler([[1., 2.]], 1))
attempt("Weighted too many without replacement",
        lambda: list(WeightedRandomSampler([1., 2.], 3, replacement=False)))
attempt("Weighted negative", lambda: list(WeightedRandomSampler([1., -2.], 3)))
attempt("Sampler() iter", lambda: list(Sampler()))
attempt("len(Sampler())", lambda: len(Sampler()))
attempt("set batch_size after init", lambda: setattr(DataLoader(ds), "batch_size", 3))
attempt("set sampler after init", lambda: setattr(DataLoader(ds), "sampler", None))
attempt("num_workers=-1", lambda: DataLoader(ds, num_workers=-1))
attempt("timeout=-1", lambda: DataLoader(ds, timeout=-1))
