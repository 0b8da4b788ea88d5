# Batching in torch.utils.data: default_collate and default_convert on every kind of sample
# (tensors, numbers, numpy arrays and scalars, strings, bytes, nested dicts, tuples, lists and
# named tuples) with the exact types and dtypes that come out; a custom collate_fn that pads
# variable-length sequences (as in the NLP tutorials); pin_memory on a CPU-only machine; and
# the errors for samples that cannot be batched.
import collections
import warnings

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "y"])


def describe(obj, indent=""):
    """Structure, container types and tensor dtypes, one line per leaf."""
    name = type(obj).__name__
    if isinstance(obj, torch.Tensor):
        print(f"{indent}Tensor {obj.dtype} {tuple(obj.shape)} {obj.tolist()}")
    elif isinstance(obj, dict):
        print(f"{indent}{name} keys={list(obj)}")
        for k, v in obj.items():
            describe(v, indent + f"  {k}: ")
    elif isinstance(obj, (list, tuple)):
        print(f"{indent}{name} len={len(obj)}")
        for v in obj:
            describe(v, indent + "  ")
    elif isinstance(obj, np.ndarray):
        print(f"{indent}ndarray {obj.dtype} {obj.tolist()}")
    else:
        print(f"{indent}{name} {obj!r}")


def attempt(label, fn):
    try:
        describe(fn(), label + " -> ")
    except Exception as e:  # noqa: BLE001
        print(label, "raised", type(e).__name__ + ":", e)


samples = {
    "float tensors": [torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])],
    "int8 tensors": [torch.tensor([1, 2], dtype=torch.int8), torch.tensor([3, 4], dtype=torch.int8)],
    "0-d tensors": [torch.tensor(True), torch.tensor(False)],
    "ints": [1, 2, 3],
    "bools": [True, False],
    "floats": [0.5, 1.25],
    "mixed int float": [1, 2.5],
    "strings": ["cat", "dog"],
    "bytes": [b"ab", b"cd"],
    "numpy float32": [np.ones(2, np.float32), np.zeros(2, np.float32)],
    "numpy int16 2d": [np.array([[1, 2]], np.int16), np.array([[3, 4]], np.int16)],
    "numpy bool": [np.array([True]), np.array([False])],
    "numpy uint8": [np.array([255], np.uint8), np.array([1], np.uint8)],
    "numpy scalars f64": [np.float64(1.5), np.float64(2.5)],
    "numpy scalars i32": [np.int32(1), np.int32(2)],
    "numpy scalars bool": [np.bool_(True), np.bool_(False)],
    "numpy 0-d": [np.array(1.5), np.array(2.5)],
    "tuples": [(torch.ones(2), 1, "a"), (torch.zeros(2), 2, "b")],
    "lists": [[1, 2.0, "x"], [3, 4.0, "y"]],
    "dicts": [{"image": torch.ones(1, 2), "label": 1, "meta": {"id": "a", "w": 0.5}},
              {"image": torch.zeros(1, 2), "label": 0, "meta": {"id": "b", "w": 1.5}}],
    "ordered dicts": [collections.OrderedDict(b=1, a=np.float32(2)),
                      collections.OrderedDict(b=3, a=np.float32(4))],
    "defaultdict": [collections.defaultdict(int, k=1), collections.defaultdict(int, k=2)],
    "namedtuples": [Point(1, torch.tensor([1.0])), Point(2, torch.tensor([2.0]))],
    "nested": [{"pair": (np.arange(2), [1.5, "s"])}, {"pair": (np.arange(2) + 5, [2.5, "t"])}],
    "mixed tensor dtypes": [torch.tensor([1, 2]), torch.tensor([1.5, 2.5])],
}
print("== default_collate ==")
for name, batch in samples.items():
    attempt(name, lambda: default_collate(batch))

print("== default_convert ==")
converts = {
    "ndarray": np.arange(3, dtype=np.int32),
    "numpy scalar": np.float32(2.5),
    "numpy string array": np.array(["a", "b"]),
    "int": 3,
    "string": "hello",
    "tuple": (np.zeros(2), 1),
    "list": [np.ones(1, np.float16), "x"],
    "dict": {"a": np.array([1.0]), "b": [np.int64(3)]},
    "namedtuple": Point(np.array([1]), 2.0),
    "tensor": torch.tensor([1, 2]),
    "samples": samples["nested"],
}
for name, data in converts.items():
    attempt(name, lambda: default_convert(data))

print("== errors ==")
bad = {
    "objects": [object(), object()],
    "None": [None, None],
    "numpy strings": [np.array(["a"]), np.array(["b"])],
    "numpy objects": [np.array([{}], dtype=object), np.array([{}], dtype=object)],
    "ragged tensors": [torch.ones(2), torch.ones(3)],
    "ragged lists": [[1, 2], [3]],
    "sets": [{1}, {2}],
    "complex": [1j, 2j],
    "numpy complex": [np.complex64(1j), np.complex64(2j)],
}
for name, batch in bad.items():
    attempt(name, lambda: default_collate(batch))
attempt("empty batch", lambda: default_collate([]))


class Sentences(Dataset):
    """Variable-length token sequences, as in the NLP tutorials."""

    def __init__(self):
        self.data = [[5, 3, 8], [2], [7, 7, 1, 4], [9, 6]]

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return torch.tensor(self.data[i]), len(self.data[i])


def pad_collate(batch):
    seqs, lengths = zip(*batch)
    padded = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=0)
    return padded, torch.tensor(lengths)


print("== custom collate_fn ==")
for padded, lengths in DataLoader(Sentences(), batch_size=3, collate_fn=pad_collate):
    print(padded, lengths)
print(list(DataLoader(Sentences(), batch_size=2, collate_fn=lambda b: b)))
print(list(DataLoader(Sentences(), batch_size=None, collate_fn=lambda s: s[1])))
print(list(DataLoader(Sentences(), batch_size=None))[0])
print(next(iter(DataLoader(Sentences(), batch_size=1))))


class NumpyRows(Dataset):
    def __len__(self):
        return 3

    def __getitem__(self, i):
        return {"x": np.full(2, i, np.float32), "y": np.int64(i), "name": f"row{i}"}


for batch in DataLoader(NumpyRows(), batch_size=2):
    describe(batch)
for item in DataLoader(NumpyRows(), batch_size=None):
    describe(item)

print("== pin_memory ==")
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    loader = DataLoader(NumpyRows(), batch_size=2, pin_memory=True)
    print("after construction", len(w))
    batches = list(loader)
    print([str(m.message) for m in w], [m.category.__name__ for m in w])
    print(batches[0]["x"].is_pinned(), loader.pin_memory, loader.pin_memory_device == "")
