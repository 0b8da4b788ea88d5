"""DataLoader against torch's: batches, shuffle order, seeds and RNG state with 0 and 2 worker
processes; worker errors, deaths, timeouts, early exits and Ctrl-C (never a hang, never an
orphan process); large batches through shared memory."""
import glob
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud
from oracle import assert_same

import ember
import ember.utils.data as eud


@pytest.fixture(autouse=True)
def no_hang():
    """Fail (not hang) a test that takes more than 60 s; check no worker outlives a test."""
    def boom(*_):
        raise TimeoutError("test took too long (a DataLoader hang?)")
    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)
    import gc
    gc.collect()
    deadline = time.time() + 10
    while children() and time.time() < deadline:
        time.sleep(0.05)
    assert children() == [], "worker processes outlived the test"


def children(pid=None):
    """Live (non-zombie) child processes of `pid` (default: this process)."""
    pid = pid or os.getpid()
    out = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(stat.split("/")[2]))
    return out


def D(T):
    return tud if T is torch else eud


class Squares:
    """A map-style dataset usable by both libraries (it only builds tensors with T)."""

    def __init__(self, T, n=23):
        self.T, self.n = T, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.T.tensor([float(i), float(i * i)]), i


def run(T, nw, **kw):
    T.manual_seed(kw.pop("seed", 0))
    dl = D(T).DataLoader(Squares(T), num_workers=nw, **kw)
    return list(dl), len(dl), T.rand(2)


def same_batches(e, t):
    assert len(e) == len(t)
    for a, b in zip(e, t):
        if isinstance(b, torch.Tensor):
            assert_same(a, b)
        elif isinstance(b, (list, tuple)):
            assert len(a) == len(b)
            same_batches(a, b)
        else:
            assert a == b


@pytest.mark.parametrize("nw", [0, 2])
@pytest.mark.parametrize("kw", [dict(batch_size=4), dict(batch_size=4, shuffle=True),
                                dict(batch_size=5, shuffle=True, drop_last=True),
                                dict(batch_size=None, shuffle=True), dict(batch_size=1)])
def test_batches_and_rng_match_torch(nw, kw):
    t = run(torch, nw, **kw)
    e = run(ember, nw, **kw)
    same_batches(e[0], t[0])
    assert e[1] == t[1]
    assert_same(e[2], t[2])     # the global generator advanced exactly as torch's


@pytest.mark.parametrize("nw", [0, 2])
def test_generator_and_samplers(nw):
    def f(T):
        g = T.Generator().manual_seed(11)
        a = [b[1].tolist() for b in D(T).DataLoader(Squares(T), batch_size=3, shuffle=True,
                                                    generator=g, num_workers=nw)]
        s = D(T).WeightedRandomSampler([1.0] * 23, 9, generator=g)
        b = [b[1].tolist() for b in D(T).DataLoader(Squares(T), sampler=s, batch_size=2,
                                                    num_workers=nw)]
        bs = D(T).BatchSampler(D(T).SequentialSampler(range(23)), 6, True)
        c = [b[1].tolist() for b in D(T).DataLoader(Squares(T), batch_sampler=bs,
                                                    num_workers=nw)]
        d = list(D(T).DataLoader(Squares(T), batch_size=4, collate_fn=lambda x: len(x),
                                 num_workers=nw))
        return a, b, c, d
    assert f(ember) == f(torch)


class SeedProbe:
    """Reports what each worker's RNGs look like."""

    def __init__(self, T):
        self.T = T

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = D(self.T).get_worker_info()
        return (info.id if info else -1, info.seed if info else -1, self.T.initial_seed(),
                self.T.rand(1).item(), int(np.random.randint(1 << 30)), random.random(),
                info.num_workers if info else 0)


@pytest.mark.parametrize("nw", [1, 2])
def test_worker_seeds_match_torch(nw):
    def f(T):
        T.manual_seed(123)
        dl = D(T).DataLoader(SeedProbe(T), batch_size=None, num_workers=nw)
        return [tuple(x) for x in dl] + [tuple(x) for x in dl]
    assert f(ember) == f(torch)


def test_worker_init_fn_and_worker_info():
    def init(worker_id):
        info = eud.get_worker_info()
        assert info.id == worker_id and info.num_workers == 2
        np.random.seed(1000 + worker_id)

    class Probe(eud.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            info = eud.get_worker_info()
            return info.id, int(np.random.randint(100)), info.dataset is self or \
                type(info.dataset) is Probe
    out = [x for x in eud.DataLoader(Probe(), batch_size=None, num_workers=2,
                                     worker_init_fn=init)]
    r0 = np.random.RandomState(1000).randint(100)
    assert out[0] == [0, r0, True] and out[1][0] == 1   # default_convert: tuple -> list
    assert eud.get_worker_info() is None


class Shards:
    """An IterableDataset that splits its range between workers via get_worker_info()."""

    def __init__(self, T, n=17):
        self.T, self.n = T, n

    def __iter__(self):
        info = D(self.T).get_worker_info()
        lo, step = (0, 1) if info is None else (info.id, info.num_workers)
        for i in range(lo, self.n, step):
            yield self.T.tensor(i)

    def __len__(self):
        return self.n


def _shards(T):
    return type("S", (Shards, D(T).IterableDataset), {})(T)


@pytest.mark.parametrize("nw", [0, 2, 3])
@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_dataset_sharding(nw, drop_last):
    def f(T):
        dl = D(T).DataLoader(_shards(T), batch_size=4, num_workers=nw, drop_last=drop_last)
        return [b.tolist() for b in dl], len(dl)
    with warnings.catch_warnings():
        # 3 workers on a 2-core machine: both libraries warn (tested below)
        warnings.simplefilter("ignore")
        e, t = f(ember), f(torch)
    assert e == t


def test_too_many_workers_warning_matches_torch():
    n = (os.cpu_count() or 1) + 1
    with pytest.warns(UserWarning) as tw:
        tud.DataLoader(Squares(torch), num_workers=n)
    with pytest.warns(UserWarning) as ew:
        eud.DataLoader(Squares(ember), num_workers=n)
    assert [str(w.message) for w in ew] == [str(w.message) for w in tw]


@pytest.mark.parametrize("prefetch", [1, 2, 5])
def test_persistent_workers_and_prefetch(prefetch):
    def f(T):
        T.manual_seed(5)
        dl = D(T).DataLoader(Squares(T), batch_size=3, shuffle=True, num_workers=2,
                             persistent_workers=True, prefetch_factor=prefetch)
        first = [b[1].tolist() for b in dl]
        it = iter(dl)
        partial = next(it)[1].tolist()   # leave an epoch early, then start another
        second = [b[1].tolist() for b in dl]
        return first, partial, second, T.rand(1).item()
    e = f(ember)
    assert e == f(torch)


def test_persistent_workers_are_reused():
    pids = set()

    class Pid(eud.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return os.getpid()
    dl = eud.DataLoader(Pid(), batch_size=None, num_workers=2, persistent_workers=True)
    for _ in range(3):
        pids |= set(dl)
    assert len(pids) == 2 and os.getpid() not in pids
    del dl


def test_out_of_order_delivery():
    class Slow(eud.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            time.sleep(0.2 if i == 0 else 0)
            return i
    got = list(eud.DataLoader(Slow(), batch_size=None, num_workers=2, in_order=False))
    assert sorted(got) == list(range(6)) and got != list(range(6))
    assert list(eud.DataLoader(Slow(), batch_size=None, num_workers=2)) == list(range(6))


@pytest.mark.parametrize("make", [
    lambda D, ds: D.DataLoader(ds, num_workers=-1),
    lambda D, ds: D.DataLoader(ds, timeout=-1),
    lambda D, ds: D.DataLoader(ds, prefetch_factor=2),
    lambda D, ds: D.DataLoader(ds, num_workers=1, prefetch_factor=-1),
    lambda D, ds: D.DataLoader(ds, persistent_workers=True),
    lambda D, ds: D.DataLoader(ds, shuffle=True, sampler=D.SequentialSampler(ds)),
    lambda D, ds: D.DataLoader(ds, batch_size=2, batch_sampler=[[0, 1]]),
    lambda D, ds: D.DataLoader(ds, batch_size=None, drop_last=True),
    lambda D, ds: D.DataLoader(ds, multiprocessing_context="spawn"),
    lambda D, ds: D.DataLoader(ds, num_workers=1, multiprocessing_context="nope"),
    lambda D, ds: D.DataLoader(ds, num_workers=1, multiprocessing_context=3),
    lambda D, ds: setattr(D.DataLoader(ds), "batch_size", 3),
])
def test_argument_errors_match_torch(make):
    with pytest.raises(Exception) as te:
        make(tud, Squares(torch))
    with pytest.raises(type(te.value)) as ee:
        make(eud, Squares(ember))
    assert str(ee.value) == str(te.value)


def test_iterable_argument_errors_and_len():
    for T in (torch, ember):
        with pytest.raises(ValueError, match="expected unspecified shuffle option"):
            D(T).DataLoader(_shards(T), shuffle=True)
    dl = eud.DataLoader(_shards(ember), batch_size=5)
    assert len(dl) == 4
    with pytest.raises(TypeError):
        len(eud.DataLoader(type("I", (eud.IterableDataset,), {"__iter__": lambda s: iter([])})()))


def test_iterable_length_warning():
    class Liar(eud.IterableDataset):
        def __iter__(self):
            return iter(range(5))

        def __len__(self):
            return 2
    dl = eud.DataLoader(Liar(), batch_size=None)
    assert len(dl) == 2
    with pytest.warns(UserWarning, match="was reported to be 2"):
        list(dl)


def test_pin_memory_warns_like_torch():
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="no accelerator is found"):
            out = list(D(T).DataLoader(Squares(T, 4), batch_size=2, pin_memory=True))
        assert len(out) == 2


# ---- failures -------------------------------------------------------------------------------

class Faulty(eud.Dataset):
    def __init__(self, mode):
        self.mode = mode

    def __len__(self):
        return 16

    def __getitem__(self, i):
        if i == 5:
            if self.mode == "raise":
                raise ValueError("bad sample 5")
            if self.mode == "key":
                raise KeyError("missing")
            if self.mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.mode == "exit":
                os._exit(3)
            if self.mode == "sleep":
                time.sleep(30)
        return i


@pytest.mark.parametrize("nw", [0, 2])
def test_worker_exception_reraised_with_traceback(nw):
    with pytest.raises(ValueError) as ei:
        list(eud.DataLoader(Faulty("raise"), batch_size=2, num_workers=nw))
    msg = str(ei.value)
    if nw:
        assert msg.startswith("Caught ValueError in DataLoader worker process ")
        assert "Original Traceback (most recent call last):" in msg
        assert 'test_dataloader.py", line' in msg and "bad sample 5" in msg
    else:
        assert msg == "bad sample 5"


def test_worker_key_error_message_readable():
    with pytest.raises(KeyError) as ei:
        list(eud.DataLoader(Faulty("key"), batch_size=2, num_workers=1))
    assert str(ei.value).startswith("Caught KeyError in DataLoader worker process 0.\n")


@pytest.mark.parametrize("mode,cause", [
    ("kill", "is killed by signal: Killed. "),
    ("exit", "exited unexpectedly with exit code 3. Details are lost due to multiprocessing."),
])
def test_dead_worker_raises_not_hangs(mode, cause):
    t0 = time.time()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly") as ei:
        list(eud.DataLoader(Faulty(mode), batch_size=2, num_workers=2))
    assert cause in str(ei.value.__cause__)
    assert time.time() - t0 < 10


def test_timeout():
    t0 = time.time()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.5 seconds"):
        list(eud.DataLoader(Faulty("sleep"), batch_size=2, num_workers=1, timeout=0.5))
    assert time.time() - t0 < 10


def test_early_exit_stops_workers():
    dl = eud.DataLoader(Squares(ember, 200), batch_size=2, num_workers=2)
    for i, _ in enumerate(dl):
        assert len(children()) == 2
        if i == 3:
            break
    # the iterator is gone: its workers are stopped before the loop returns control
    deadline = time.time() + 5
    while children() and time.time() < deadline:
        time.sleep(0.05)
    assert children() == []


CTRL_C_SCRIPT = textwrap.dedent("""
    import os, sys, time
    import ember.utils.data as D

    class Slow(D.Dataset):
        def __len__(self):
            return 1000

        def __getitem__(self, i):
            with open(sys.argv[1], "a") as f:
                f.write(f"{os.getpid()}\\n")
            time.sleep(0.05)
            return i

    for i, batch in enumerate(D.DataLoader(Slow(), batch_size=2, num_workers=2)):
        if i == 2:
            print("ready", flush=True)
""")


def test_ctrl_c_leaves_no_orphans(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text(CTRL_C_SCRIPT)
    pids_file = tmp_path / "pids"
    p = subprocess.Popen([sys.executable, str(script), str(pids_file)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        os.killpg(p.pid, signal.SIGINT)        # what the terminal does on Ctrl-C
        _, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert p.returncode != 0 and "KeyboardInterrupt" in err
    workers = {int(x) for x in pids_file.read_text().split()}
    assert len(workers) == 2
    time.sleep(0.2)
    for pid in workers:
        assert not os.path.exists(f"/proc/{pid}") or \
            open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z"


KILLED_MAIN_SCRIPT = textwrap.dedent("""
    import os, sys, time
    import ember.utils.data as D

    class Pid(D.Dataset):
        def __len__(self):
            return 100

        def __getitem__(self, i):
            time.sleep(0.01)
            return os.getpid()

    it = iter(D.DataLoader(Pid(), batch_size=None, num_workers=2))
    print(next(it), next(it), flush=True)
    time.sleep(60)
""")


def test_workers_exit_when_the_main_process_is_killed(tmp_path):
    script = tmp_path / "main.py"
    script.write_text(KILLED_MAIN_SCRIPT)
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        workers = {int(x) for x in p.stdout.readline().split()}
        assert len(workers) == 2
        os.kill(p.pid, signal.SIGKILL)           # no chance to clean up: the watchdog must
        p.wait(timeout=10)
        deadline = time.time() + 10
        while any(os.path.exists(f"/proc/{w}") for w in workers) and time.time() < deadline:
            time.sleep(0.1)
        assert not any(os.path.exists(f"/proc/{w}") for w in workers)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.stdout.close()


# ---- shared memory --------------------------------------------------------------------------

class Big(eud.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return ember.full((3, 128, 128), float(i)), np.full((64, 64, 16), i, np.float64)


def backing(a):
    """The object that owns an array's memory (through views and memoryviews)."""
    b = a.base
    while isinstance(b, (np.ndarray, memoryview)):
        b = b.base if isinstance(b, np.ndarray) else b.obj
    return b


def test_large_batches_travel_through_shared_memory():
    import mmap

    from ember.utils.data._utils import _shm
    before = set(glob.glob("/dev/shm/ember-dl-*"))
    got = list(eud.DataLoader(Big(), batch_size=2, num_workers=2))
    assert len(got) == 3
    for k, (x, y) in enumerate(got):
        assert x.shape == (2, 3, 128, 128) and x.dtype == ember.float32
        assert float(x[1, 0, 0, 0]) == 2 * k + 1 and y.dtype == ember.float64
        assert float(y[0, 0, 0, 0]) == 2 * k
        if _shm.AVAILABLE:   # mapped from /dev/shm, not unpickled from the pipe
            assert isinstance(backing(x._data), mmap.mmap)
            assert isinstance(backing(y._data), mmap.mmap)
        x.add_(1)            # writable
    small = next(iter(eud.DataLoader(Squares(ember), batch_size=2, num_workers=1)))
    assert not isinstance(backing(small[0]._data), mmap.mmap)
    assert set(glob.glob("/dev/shm/ember-dl-*")) == before


def test_shared_memory_files_cleaned_after_early_exit():
    before = set(glob.glob("/dev/shm/ember-dl-*"))
    it = iter(eud.DataLoader(Big(), batch_size=1, num_workers=2, prefetch_factor=3))
    next(it)
    time.sleep(0.3)   # let the workers fill the queue with batches nobody will take
    del it
    assert set(glob.glob("/dev/shm/ember-dl-*")) == before
