# "Datasets & DataLoaders" (pytorch.org/tutorials/beginner/basics/data_tutorial) and the
# torch.utils.data reference: custom map-style and iterable datasets, the dataset wrappers
# (TensorDataset, Subset, ConcatDataset, ChainDataset, StackDataset), random_split with
# lengths, fractions and generators, and what misuse raises. Synthetic data stands in for
# FashionMNIST.
import math
import warnings

import torch
from torch.utils.data import (
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)

torch.manual_seed(0)


def attempt(label, fn):
    """Print what fn returns, or the exception type and message it raises."""
    try:
        print(label, "->", fn())
    except Exception as e:  # noqa: BLE001 - the message is what we compare
        print(label, "raised", type(e).__name__ + ":", e)


class CustomImageDataset(Dataset):
    """The tutorial's map-style dataset: __len__ and __getitem__ (an image and its label)."""

    def __init__(self, n, transform=None, target_transform=None):
        g = torch.Generator().manual_seed(1)
        self.images = torch.rand(n, 1, 4, 4, generator=g)
        self.labels = torch.randint(0, 10, (n,), generator=g).tolist()
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        image, label = self.images[idx], self.labels[idx]
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


def one_hot(y):
    return torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)


ds = CustomImageDataset(12, transform=lambda x: x * 2, target_transform=one_hot)
print("len", len(ds))
img, label = ds[3]
print(img.shape, img.dtype, label)
loader = DataLoader(ds, batch_size=5, shuffle=True)
print("len(loader)", len(loader))
for features, labels in loader:
    print(f"Feature batch shape: {features.size()}", f"Labels batch shape: {labels.size()}")
print(labels.argmax(1))


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i >= self.n:
            raise IndexError(f"index {i} out of range")
        return i * i


class Countdown(IterableDataset):
    def __init__(self, start):
        self.start = start

    def __iter__(self):
        return iter(range(self.start, 0, -1))


print("== iterable ==")
print(list(DataLoader(Countdown(7), batch_size=3)))
print(list(DataLoader(Countdown(7), batch_size=3, drop_last=True)))
print(list(DataLoader(Countdown(4), batch_size=None)))
print(list(Countdown(3) + Countdown(2)))
print(type(Countdown(3) + Countdown(2)).__name__, type(Squares(2) + Squares(3)).__name__)
attempt("len(iterable loader)", lambda: len(DataLoader(Countdown(3))))
attempt("Dataset()[0]", lambda: Dataset()[0])
attempt("len(Dataset())", lambda: len(Dataset()))
attempt("iter(IterableDataset())", lambda: list(IterableDataset()))

print("== TensorDataset ==")
x = torch.arange(12.).reshape(6, 2)
y = torch.arange(6)
tds = TensorDataset(x, y)
print(len(tds), tds[1], tds[-1])
print(tds[1:3])
print(tds[torch.tensor([0, 5])])
attempt("TensorDataset mismatch", lambda: TensorDataset(x, torch.arange(5)))
attempt("TensorDataset out of range", lambda: tds[6])
print(list(DataLoader(tds, batch_size=4)))

print("== Subset ==")
sub = Subset(Squares(10), [9, 0, 4])
print(len(sub), sub[0], sub[2], [sub[i] for i in range(len(sub))], sub.indices)
print(list(DataLoader(sub, batch_size=2)))
sub2 = Subset(tds, torch.tensor([4, 1]))
print(sub2[0], sub2[1])
print(list(DataLoader(sub2, batch_size=2)))
attempt("Subset out of range", lambda: sub[3])

print("== ConcatDataset ==")
cat = ConcatDataset([Squares(3), Squares(2), Squares(4)])
print(len(cat), cat.cumulative_sizes, [cat[i] for i in range(len(cat))], cat[-1], cat[-9])
print(list(DataLoader(cat, batch_size=4)))
attempt("ConcatDataset -10", lambda: cat[-10])
attempt("ConcatDataset 9", lambda: cat[9])
attempt("ConcatDataset([])", lambda: ConcatDataset([]))
attempt("ConcatDataset(iterable)", lambda: ConcatDataset([Countdown(2)]))
cat2 = Squares(2) + Squares(1) + Squares(3)
print(len(cat2), [len(d) for d in cat2.datasets], [cat2[i] for i in range(len(cat2))])
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    print(cat.cummulative_sizes, [str(m.message) for m in w], [m.category.__name__ for m in w])

print("== ChainDataset ==")
chain = ChainDataset([Countdown(3), Countdown(2)])
print(list(chain), list(DataLoader(chain, batch_size=2)))
attempt("len(chain)", lambda: len(chain))
attempt("chain of map-style", lambda: list(ChainDataset([Squares(2)])))

print("== StackDataset ==")
st = StackDataset(x, y)
print(len(st), st[2])
std = StackDataset(image=x, label=Squares(6))
print(std[3])
print(list(DataLoader(std, batch_size=4)))
print(list(DataLoader(st, batch_size=3))[1])
attempt("StackDataset both", lambda: StackDataset(x, label=y))
attempt("StackDataset none", lambda: StackDataset())
attempt("StackDataset mismatch", lambda: StackDataset(x, Squares(3)))

print("== random_split ==")
data = Squares(10)
a, b = random_split(data, [7, 3], generator=torch.Generator().manual_seed(42))
print(type(a).__name__, len(a), len(b), a.indices, b.indices)
parts = random_split(range(10), [0.3, 0.3, 0.4], generator=torch.Generator().manual_seed(42))
print([p.indices for p in parts])
parts = random_split(range(11), [0.5, 0.5], generator=torch.Generator().manual_seed(0))
print([p.indices for p in parts])
parts = random_split(range(7), [1 / 3, 1 / 3, 1 / 3], generator=torch.Generator().manual_seed(3))
print([p.indices for p in parts], [list(p) for p in parts])
torch.manual_seed(5)
print([p.indices for p in random_split(range(8), [5, 3])])
print([p.indices for p in random_split(range(8), [5, 3])])
print(torch.rand(2))
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    parts = random_split(range(3), [0.1, 0.1, 0.8], generator=torch.Generator().manual_seed(1))
    print([p.indices for p in parts], [str(m.message) for m in w])
attempt("random_split bad sum", lambda: random_split(range(10), [3, 3]))
attempt("random_split bad fraction", lambda: random_split(range(10), [1.5, -0.5]))
attempt("random_split tensor lengths", lambda: [len(p) for p in random_split(
    range(4), torch.tensor([1, 3]).tolist(), generator=torch.Generator().manual_seed(0))])
g = torch.Generator().manual_seed(7)
tr, va = random_split(tds, [4, 2], generator=g)
print(tr[0], va[:] if False else [va[i] for i in range(len(va))])
print(g.initial_seed(), torch.randperm(5, generator=g))
print(math.isclose(sum([0.3, 0.3, 0.4]), 1))
