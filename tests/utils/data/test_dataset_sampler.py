"""Datasets, random_split and samplers against torch.utils.data: same items, same splits and
the same shuffle orders for the same seeds (ember's generator is torch's, bit for bit)."""
import warnings

import pytest
import torch
import torch.utils.data as tud
from oracle import assert_same

import ember
import ember.utils.data as eud


def both(fn):
    """fn(T, data_module) on torch and ember."""
    return fn(torch, tud), fn(ember, eud)


def test_tensor_dataset_items():
    def f(T, D):
        ds = D.TensorDataset(T.arange(12.).reshape(6, 2), T.arange(6))
        return [ds[i] for i in range(len(ds))] + [ds[-1], ds[1:3]]
    t, e = both(f)
    assert_same(e, t)


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        eud.TensorDataset(ember.zeros(3), ember.zeros(4))


def test_concat_and_add():
    def f(T, D):
        a = D.TensorDataset(T.arange(3))
        b = D.TensorDataset(T.arange(10, 15))
        c = a + b
        return [len(c), c.cumulative_sizes] + [c[i][0].item() for i in range(-8, 8)]
    t, e = both(f)
    assert e == t
    c = eud.ConcatDataset([eud.TensorDataset(ember.arange(3))])
    with pytest.raises(ValueError, match="absolute value of index should not exceed"):
        c[-4]
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        eud.ConcatDataset([])


class _Stream(eud.IterableDataset):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __iter__(self):
        return iter(range(self.lo, self.hi))

    def __len__(self):
        return self.hi - self.lo


def test_chain_dataset():
    c = _Stream(0, 3) + _Stream(10, 12)
    assert isinstance(c, eud.ChainDataset)
    assert list(c) == [0, 1, 2, 10, 11] and len(c) == 5
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        eud.ConcatDataset([_Stream(0, 1)])


def test_subset_and_stack_dataset():
    def f(T, D):
        base = D.TensorDataset(T.arange(10))
        s = D.Subset(base, [7, 2, 5])
        st = D.StackDataset(D.TensorDataset(T.arange(4)), D.TensorDataset(T.arange(4) * 2))
        sk = D.StackDataset(x=D.TensorDataset(T.arange(4)), y=D.TensorDataset(T.arange(4) * 3))
        return ([s[i][0].item() for i in range(3)], len(s), s.__getitems__([0, 2]),
                st[2], st.__getitems__([1, 3]), sk[1], sk.__getitems__([0, 3]))
    t, e = both(f)
    assert_same(list(e[:2]), list(t[:2]))
    assert_same(e[2], t[2])
    assert_same(list(e[3]), list(t[3]))
    for a, b in zip(e[4], t[4]):
        assert_same(list(a), list(b))
    assert e[5].keys() == t[5].keys()
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        eud.StackDataset(eud.TensorDataset(ember.arange(3)), eud.TensorDataset(ember.arange(4)))
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        eud.StackDataset()


def test_subset_override_check_as_torch():
    class Bad(eud.Subset):
        def __getitem__(self, i):
            return 0
    with pytest.raises(NotImplementedError, match="overrides __getitem__ but not __getitems__"):
        Bad(eud.TensorDataset(ember.arange(3)), [0])


@pytest.mark.parametrize("lengths", [[3, 7], [5, 0, 5], [0.3, 0.7], [0.5, 0.25, 0.25],
                                     [0.33, 0.33, 0.34]])
def test_random_split_same_as_torch(lengths):
    def f(T, D):
        g = T.Generator().manual_seed(42)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parts = D.random_split(range(10), lengths, generator=g)
        return [list(p.indices) for p in parts]
    t, e = both(f)
    assert e == t


def test_random_split_default_generator_and_errors():
    def f(T, D):
        T.manual_seed(3)
        parts = D.random_split(range(11), [0.6, 0.4])
        return [list(p.indices) for p in parts], T.rand(2).tolist()
    t, e = both(f)
    assert e == t
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        eud.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        eud.random_split(range(10), [1.5, -0.5])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        eud.random_split(range(3), [1.0, 0.0])


@pytest.mark.parametrize("kw", [{}, {"replacement": True}, {"replacement": True,
                                                             "num_samples": 70},
                                {"num_samples": 25}])
@pytest.mark.parametrize("with_gen", [False, True])
def test_random_sampler_order(kw, with_gen):
    def f(T, D):
        T.manual_seed(1234)
        g = T.Generator().manual_seed(7) if with_gen else None
        s = D.RandomSampler(range(10), generator=g, **kw)
        return [list(s), list(s), len(s), T.rand(1).item()]
    t, e = both(f)
    assert e == t


def test_subset_and_weighted_samplers():
    def f(T, D):
        g = T.Generator().manual_seed(5)
        a = list(D.SubsetRandomSampler([10, 20, 30, 40, 50], generator=g))
        w = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6]
        b = list(D.WeightedRandomSampler(w, 12, replacement=True, generator=g))
        c = list(D.WeightedRandomSampler(w, 5, replacement=False, generator=g))
        T.manual_seed(9)
        d = list(D.WeightedRandomSampler(T.tensor(w), 4))
        return a, b, c, d
    t, e = both(f)
    assert e == t


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n,bs", [(10, 3), (9, 3), (2, 5)])
def test_batch_sampler(drop_last, n, bs):
    def f(T, D):
        s = D.BatchSampler(D.SequentialSampler(range(n)), bs, drop_last)
        return list(s), len(s)
    t, e = both(f)
    assert e == t


@pytest.mark.parametrize("shuffle,drop_last", [(True, False), (False, False), (True, True)])
def test_distributed_sampler(shuffle, drop_last):
    def f(T, D):
        out = []
        for rank in range(3):
            s = D.DistributedSampler(range(10), num_replicas=3, rank=rank, shuffle=shuffle,
                                     seed=4, drop_last=drop_last)
            s.set_epoch(2)
            out.append((list(s), len(s)))
        return out
    t, e = both(f)
    assert e == t


@pytest.mark.parametrize("make", [
    lambda D: D.RandomSampler(range(3), replacement=1),
    lambda D: D.RandomSampler(range(3), num_samples=0),
    lambda D: D.WeightedRandomSampler([1.0, 2.0], 0),
    lambda D: D.WeightedRandomSampler([1.0, 2.0], 2, replacement=None),
    lambda D: D.WeightedRandomSampler([[1.0, 2.0]], 2),
    lambda D: D.BatchSampler(range(3), 0, False),
    lambda D: D.BatchSampler(range(3), 2, 1),
    lambda D: D.DistributedSampler(range(3), num_replicas=2, rank=2),
])
def test_sampler_argument_errors(make):
    with pytest.raises(Exception) as te:
        make(tud)
    with pytest.raises(type(te.value)) as ee:
        make(eud)
    assert str(ee.value) == str(te.value)
