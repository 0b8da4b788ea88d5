"""load(..., mmap=True): storages are views of the mapped file -- a large checkpoint loads in
milliseconds with almost no memory -- and the usual errors when mmap cannot apply."""
import io
import mmap
import time
import tracemalloc

import numpy as np
import pytest
import torch

import ember

from ._util import assert_tree, same_error, save_bytes

N = 50 * 1024 * 1024          # int32 elements: a 200 MiB checkpoint


@pytest.fixture(scope="module")
def big_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("mmap") / "big.pt"
    arr = np.zeros(N, dtype=np.int32)               # zero pages cost nothing to make
    marks = np.arange(0, N, 1 << 20)
    arr[marks] = marks
    arr[-10:] = np.arange(N - 10, N)
    a = ember.from_numpy(arr)
    ember.save({"a": a, "tail": a[-10:], "small": ember.arange(5.0)}, path)
    return path


def test_large_checkpoint_maps_without_reading(big_checkpoint):
    tracemalloc.start()
    t0 = time.perf_counter()
    sd = ember.load(big_checkpoint, mmap=True)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 2.0, elapsed
    assert peak < 4 * 2 ** 20, peak                  # nowhere near the 200 MiB of data
    a = sd["a"]
    assert a.shape == (N,) and a.dtype is ember.int32
    assert a[5 << 20].item() == 5 << 20 and a[-1].item() == N - 1 and a[12345].item() == 0
    assert sd["tail"].tolist() == list(range(N - 10, N))
    sd["tail"][0] = -1                               # views share the mapping ...
    assert a[N - 10].item() == -1
    again = ember.load(big_checkpoint, mmap=True)    # ... which is private: the file is intact
    assert again["a"][N - 10].item() == N - 10


def test_mmap_matches_torch(tmp_path):
    p = tmp_path / "x.pt"
    t = torch.arange(24.0).reshape(4, 6)
    torch.save({"t": t, "row": t[2], "i": torch.arange(3), "empty": torch.ones(0)}, p)
    assert_tree(ember.load(p, mmap=True), torch.load(p, mmap=True))
    e = ember.load(str(p), mmap=True)
    e["t"][2, 0] = 7.0
    assert e["row"][0].item() == 7.0


def test_mmap_shared_writes_through(tmp_path):
    p = tmp_path / "x.pt"
    ember.save({"w": ember.zeros(4)}, p)
    assert ember.serialization.get_default_mmap_options() == mmap.MAP_PRIVATE
    with ember.serialization.set_default_mmap_options(mmap.MAP_SHARED):
        w = ember.load(p, mmap=True)["w"]
        w[1] = 5.0
        del w
    assert ember.serialization.get_default_mmap_options() == mmap.MAP_PRIVATE
    assert ember.load(p)["w"].tolist() == [0.0, 5.0, 0.0, 0.0]


def test_mmap_errors(tmp_path):
    data = save_bytes(torch, [torch.ones(2)])
    same_error(lambda: torch.load(io.BytesIO(data), mmap=True),
               lambda: ember.load(io.BytesIO(data), mmap=True))
    p = tmp_path / "legacy.pt"
    torch.save([torch.ones(2)], p, _use_new_zipfile_serialization=False)
    for f in (str(p), p):
        same_error(lambda f=f: torch.load(f, mmap=True), lambda f=f: ember.load(f, mmap=True))
    same_error(lambda: torch.serialization.set_default_mmap_options(5),
               lambda: ember.serialization.set_default_mmap_options(5))
