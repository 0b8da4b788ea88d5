"""torch.FloatTensor / torch.LongTensor / torch.cuda.*Tensor (the legacy tensor types), as the
NLP tutorials use them (torch.LongTensor(list), torch.LongTensor(int32 ndarray)), vs torch."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_same, check_raises, check_repr

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor",
         "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("name", NAMES)
def test_from_list_and_sizes(name):
    for args in ([[1, 0, 2]], [[[1.5, 2.0], [0.0, 3.0]]], [2, 3], [ember.Size([4])], []):
        t_args = [torch.Size(a) if isinstance(a, ember.Size) else a for a in args]
        e = getattr(ember, name)(*args)
        t = getattr(torch, name)(*t_args)
        assert e.dtype.__repr__() == repr(t.dtype)
        assert tuple(e.shape) == tuple(t.shape)
        if args and isinstance(args[0], list):
            assert_same(e, t)
    check_repr(lambda T: getattr(T, name))
    check_repr(lambda T: getattr(T, name).dtype)


def test_from_numpy_int32_like_seq2seq():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert_same(ember.LongTensor(a), torch.LongTensor(a))
    assert_same(ember.FloatTensor(a), torch.FloatTensor(a))


def test_isinstance_and_type():
    for T in (torch, ember):
        x = T.LongTensor([1, 2])
        assert isinstance(x, T.LongTensor) and not isinstance(x, T.FloatTensor)
        assert not isinstance(x, T.cuda.LongTensor)
        assert isinstance(x, T.Tensor) and type(x) is T.Tensor
        assert x.type() == "torch.LongTensor"
    assert_same(ember.tensor([1.5, -2.5]).type(ember.LongTensor),
                torch.tensor([1.5, -2.5]).type(torch.LongTensor))
    check_repr(lambda T: type(T.LongTensor))
    check_repr(lambda T: T.cuda.FloatTensor)


def test_same_dtype_tensor_and_errors():
    assert_same(ember.LongTensor(ember.tensor([1, 2])), torch.LongTensor(torch.tensor([1, 2])))
    check_raises(lambda T: T.LongTensor(T.zeros(2)))
    check_raises(lambda T: T.LongTensor("a"))
    check_raises(lambda T: T.LongTensor(2.5))
    check_raises(lambda T: T.FloatTensor([1], dtype=T.long))


def test_cuda_type_without_gpu():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    check_raises(lambda T: T.cuda.FloatTensor([1.0]))
