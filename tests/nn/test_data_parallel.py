"""nn.DataParallel against torch's on a machine without CUDA: a transparent wrapper (module
attribute, forward, "module."-prefixed state dict, repr, training through it), and the clear
errors of what ember does not do (DistributedDataParallel)."""
import numpy as np
import pytest
import torch

import ember
from oracle import assert_same, check_raises


def _pair():
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU())
    e = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.BatchNorm1d(3), ember.nn.ReLU())
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return torch.nn.DataParallel(t), ember.nn.DataParallel(e)


def test_wrapper_surface():
    t, e = _pair()
    assert repr(e) == repr(t)
    assert e.device_ids == t.device_ids == []
    assert isinstance(e.module, ember.nn.Sequential)
    assert list(e.state_dict()) == list(t.state_dict())
    assert list(e.state_dict())[0] == "module.0.weight"
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert ember.nn.DataParallel is ember.nn.parallel.DataParallel


def test_forward_backward_and_step_through_the_wrapper():
    t, e = _pair()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    outs = []
    for lib, m in ((torch, t), (ember, e)):
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        y = m(lib.tensor(x))
        y.sum().backward()
        opt.step()
        outs.append((y, m.module[0].weight, m.module[1].running_mean))
    for a, b in zip(outs[1], outs[0]):
        assert_same(a, b)


def test_load_state_dict_round_trip():
    t, e = _pair()
    sd = {k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()}
    e2 = ember.nn.DataParallel(ember.nn.Sequential(ember.nn.Linear(4, 3),
                                                   ember.nn.BatchNorm1d(3), ember.nn.ReLU()))
    e2.load_state_dict(sd)
    assert ember.equal(e2.module[0].weight, e.module[0].weight)
    # the usual fix for a checkpoint saved from a wrapped model
    bare = e.module.__class__(*e.module)
    bare.load_state_dict({k[len("module."):]: v for k, v in sd.items()})


def test_not_implemented_parts():
    with pytest.raises(NotImplementedError, match="DistributedDataParallel"):
        ember.nn.parallel.DistributedDataParallel(ember.nn.Linear(2, 2))
    check_raises(lambda T: T.nn.parallel.data_parallel(T.nn.Linear(2, 2), T.ones(1, 2)))
