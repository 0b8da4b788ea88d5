"""The "Changing default device" and "Tips for loading an nn.Module" recipes: torch.device as a
context manager, meta tensors from factories (no data, no numbers drawn), in-place fills and
copies into meta tensors, Module.to_empty, and copy_'s shape errors; each compared to torch."""
import pytest
import torch
from oracle import assert_same, check_raises

import ember


@pytest.fixture(autouse=True)
def _reset_default_device():
    yield
    torch.set_default_device(None)
    ember.set_default_device(None)


def _devices(T):
    out = [str(T.get_default_device())]
    with T.device("meta") as d:
        out += [str(d), str(T.get_default_device()), str(T.tensor([1.5]).device),
                str(T.zeros(2).device), str(T.arange(3).device), str(T.randn(2).device),
                str(T.ones(1, device="cpu").device),
                str(T.normal(0., 1., (2,)).device)]  # torch.normal ignores the default
        with T.device("cpu"):
            out += [str(T.get_default_device()), str(T.empty(1).device)]
        out.append(str(T.get_default_device()))
    out.append(str(T.get_default_device()))
    return out


def test_device_context_manager_nests_and_restores():
    assert _devices(ember) == _devices(torch)


def test_meta_factories_draw_no_numbers():
    def run(T):
        T.manual_seed(0)
        with T.device("meta"):
            lin = T.nn.Linear(5, 3)
            T.rand(4), T.randn(4), T.randint(0, 5, (3,)), T.randperm(4), T.normal(0., 1., (2,))
            T.empty(2, 2).uniform_().normal_().bernoulli_(0.5)
        return lin, T.randn(3)
    (le, re), (lt, rt) = run(ember), run(torch)
    assert_same(re, rt)
    assert repr(le.weight) == repr(lt.weight)
    assert repr(le.bias) == repr(lt.bias)


@pytest.mark.parametrize("make", [
    lambda T: T.empty(2, 3, dtype=T.int64, device="meta"),
    lambda T: T.zeros(4, device="meta", requires_grad=True),
    lambda T: T.randn(2, 2, device="meta"),
    lambda T: T.randint(3, (2,), device="meta"),
    lambda T: T.tensor([1, 2], device="meta"),
    lambda T: T.full((2,), 1.5, device="meta"),
    lambda T: T.empty(3, device="meta").fill_(2).zero_(),
    lambda T: T.empty(3, device="meta").copy_(T.ones(1)),
    lambda T: T.empty_like(T.empty(2, 2, device="meta")),
])
def test_meta_tensor_reprs(make):
    assert repr(make(ember)) == repr(make(torch))


@pytest.mark.parametrize("fn", [
    lambda T: T.empty(3, device="meta").copy_(T.ones(2)),
    lambda T: T.empty(3, device="meta").copy_(T.ones(2, 3)),
    lambda T: T.empty(3).copy_(T.ones(2, 3)),
    lambda T: T.empty(2, 3).copy_(T.ones(4, 1, 1)),
    lambda T: T.empty(3).copy_(T.ones(2)),
])
def test_copy_shape_errors(fn):
    check_raises(fn)


def test_set_default_device_meta_and_back():
    def run(T):
        T.set_default_device("meta")
        a = T.tensor([1.2, 3])
        lin = T.nn.Linear(4, 2)
        T.set_default_device("cpu")
        b = T.tensor([1.2, 3])
        T.set_default_device(None)
        return repr(a), repr(lin.weight), str(b.device), str(T.get_default_device())
    assert run(ember) == run(torch)


def test_to_empty_then_reset_parameters():
    def run(T):
        T.manual_seed(0)
        lin = T.nn.Linear(4, 2, device="meta")
        out = lin.to_empty(device="cpu")
        assert out is lin and str(lin.weight.device) == "cpu"
        lin.reset_parameters()
        return lin(T.ones(1, 4))
    assert_same(run(ember), run(torch))
