"""default_collate / default_convert against torch's on every supported kind of sample."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud
from oracle import assert_same

import ember
import ember.utils.data as eud

Point = collections.namedtuple("Point", "x y")


def same(e, t):
    """Recursive comparison of collated structures (type names must match too)."""
    if isinstance(t, torch.Tensor):
        assert_same(e, t)
    elif isinstance(t, dict):
        assert type(e).__name__ == type(t).__name__ and list(e) == list(t)
        for k in t:
            same(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e).__name__ == type(t).__name__, (type(e), type(t))
        assert len(e) == len(t)
        for a, b in zip(e, t):
            same(a, b)
    elif isinstance(t, np.ndarray):
        np.testing.assert_array_equal(e, t)
    else:
        assert type(e) is type(t) and e == t, (e, t)


def samples(T):
    return {
        "tensors": [T.arange(3.) + i for i in range(4)],
        "int_tensors": [T.tensor(i) for i in range(3)],
        "ints": [1, 2, 3],
        "bools": [True, False],
        "floats": [1.5, 2.25],
        "strings": ["a", "bc"],
        "bytes": [b"x", b"y"],
        "numpy": [np.arange(4, dtype=np.float32) * i for i in range(3)],
        "numpy_int": [np.array([[1, 2]], dtype=np.int16)] * 2,
        "numpy_scalars": [np.float32(1.5), np.float32(2.5)],
        "numpy_int_scalars": [np.int64(3), np.int64(4)],
        "tuples": [(T.ones(2), 1, "a"), (T.zeros(2), 2, "b")],
        "lists": [[1, 2.0], [3, 4.0]],
        "dicts": [{"img": T.ones(2, 2), "label": 3, "name": "x"},
                  {"img": T.zeros(2, 2), "label": 4, "name": "y"}],
        "ordered": [collections.OrderedDict(a=1, b=T.ones(1)),
                    collections.OrderedDict(a=2, b=T.zeros(1))],
        "namedtuples": [Point(1, T.ones(2)), Point(2, T.zeros(2))],
        "nested": [{"a": [(1, np.float64(2.0))]}, {"a": [(3, np.float64(4.0))]}],
    }


@pytest.mark.parametrize("kind", list(samples(torch)))
def test_default_collate_matches_torch(kind):
    t = tud.default_collate(samples(torch)[kind])
    e = eud.default_collate(samples(ember)[kind])
    same(e, t)


@pytest.mark.parametrize("kind", list(samples(torch)))
def test_default_convert_matches_torch(kind):
    for st, se in zip(samples(torch)[kind], samples(ember)[kind]):
        same(eud.default_convert(se), tud.default_convert(st))


@pytest.mark.parametrize("batch", [
    lambda T: [object(), object()],
    lambda T: [np.array(["a"]), np.array(["b"])],
    lambda T: [[1, 2], [3]],
    lambda T: [None, None],
])
def test_collate_errors_match_torch(batch):
    with pytest.raises(Exception) as te:
        tud.default_collate(batch(torch))
    with pytest.raises(type(te.value)) as ee:
        eud.default_collate(batch(ember))
    # torch names its own classes in the message; compare with the module names swapped
    assert str(ee.value).replace("ember", "torch") == str(te.value)


def test_numpy_string_arrays_untouched_by_convert():
    a = np.array(["x", "y"])
    assert eud.default_convert(a) is a
