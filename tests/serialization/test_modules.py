"""Module and optimizer state_dicts through checkpoint files, both ways with torch; whole
modules pickled by torch load as ember modules; training resumes from a checkpoint exactly."""
import io

import numpy as np
import pytest
import torch

import ember

from ._util import assert_tree, load_bytes, save_bytes

pytestmark = pytest.mark.skipif(not hasattr(ember, "nn") or not hasattr(ember, "optim"),
                                reason="needs ember.nn and ember.optim")


def lenet(T):
    nn = T.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120),
                         nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def mlp(T):
    nn = T.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def batch(T, seed=0, shape=(4, 1, 28, 28)):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, 10, shape[0])
    return T.from_numpy(x), T.from_numpy(y)


def test_state_dict_ember_to_torch_and_back():
    em, tm = lenet(ember), lenet(torch)
    data = save_bytes(ember, em.state_dict())
    tm.load_state_dict(torch.load(io.BytesIO(data), weights_only=True))
    x = batch(ember)[0]
    out_e = em(x)
    out_t = tm(batch(torch)[0])
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    em2 = lenet(ember)
    em2.load_state_dict(load_bytes(ember, save_bytes(torch, tm.state_dict())))
    assert em2(x).tolist() == out_e.tolist()


def train(T, model, opt, steps, seed=0):
    loss = None
    for i in range(steps):
        x, y = batch(T, seed + i, (8, 1, 8, 8))
        opt.zero_grad()
        loss = T.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return loss.item()


@pytest.mark.parametrize("make_opt", [
    lambda T, p: T.optim.SGD(p, lr=0.05, momentum=0.9),
    lambda T, p: T.optim.Adam(p, lr=1e-3, weight_decay=0.01)])
def test_optimizer_state_dict_round_trips(make_opt):
    em = mlp(ember)
    eopt = make_opt(ember, em.parameters())
    train(ember, em, eopt, 2)
    ckpt = save_bytes(ember, {"model": em.state_dict(), "opt": eopt.state_dict()})
    t = torch.load(io.BytesIO(ckpt), weights_only=True)      # torch reads ember's checkpoint
    tm = mlp(torch)
    tm.load_state_dict(t["model"])
    topt = make_opt(torch, tm.parameters())
    topt.load_state_dict(t["opt"])
    back = load_bytes(ember, save_bytes(torch, {"model": tm.state_dict(),
                                                "opt": topt.state_dict()}))
    assert_tree(back["opt"]["state"], t["opt"]["state"])
    em2 = mlp(ember)
    em2.load_state_dict(back["model"])
    eopt2 = make_opt(ember, em2.parameters())
    eopt2.load_state_dict(back["opt"])
    # the same next step from the original and the twice-converted checkpoint
    assert train(ember, em2, eopt2, 1, seed=7) == train(ember, em, eopt, 1, seed=7)
    lt = train(torch, tm, topt, 1, seed=7)
    np.testing.assert_allclose(train(ember, em2, eopt2, 1, seed=8),
                               train(torch, tm, topt, 1, seed=8), rtol=1e-3)
    assert np.isfinite(lt)


def test_resume_gives_the_same_next_loss(tmp_path):
    ember.manual_seed(0)
    model = mlp(ember)
    opt = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    train(ember, model, opt, 3)
    ember.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 3},
               tmp_path / "ckpt.pt")
    uninterrupted = train(ember, model, opt, 2, seed=3)

    ember.manual_seed(123)                      # a fresh process: different initial weights
    resumed = mlp(ember)
    ropt = ember.optim.SGD(resumed.parameters(), lr=0.05, momentum=0.9)
    ckpt = ember.load(tmp_path / "ckpt.pt")
    resumed.load_state_dict(ckpt["model"])
    ropt.load_state_dict(ckpt["opt"])
    assert ckpt["epoch"] == 3
    assert train(ember, resumed, ropt, 2, seed=3) == uninterrupted


def test_whole_torch_module_loads_as_ember_module():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    expected = tm(torch.from_numpy(x)).detach().numpy()
    for legacy in (False, True):
        data = save_bytes(torch, tm, _use_new_zipfile_serialization=not legacy)
        em = load_bytes(ember, data, weights_only=False)
        assert type(em) is ember.nn.Sequential and type(em[0]) is ember.nn.Linear
        np.testing.assert_allclose(em(ember.from_numpy(x)).detach().numpy(), expected,
                                   rtol=1e-5, atol=1e-6)
        assert repr(em) == repr(tm)


def test_whole_torch_module_refused_by_default_and_allow_listed():
    tm = torch.nn.Linear(2, 2)
    data = save_bytes(torch, tm)
    with pytest.raises(Exception, match="Unsupported global: GLOBAL torch.nn.modules.linear"):
        load_bytes(ember, data)
    # an ember class allow-listed also answers to its torch path
    with ember.serialization.safe_globals([ember.nn.Linear, ember.nn.Parameter]):
        try:
            em = load_bytes(ember, data)
        finally:
            ember.serialization.clear_safe_globals()
    assert type(em) is ember.nn.Linear
    assert em.weight.tolist() == tm.weight.tolist()


def test_whole_ember_module_round_trip(tmp_path):
    em = lenet(ember)
    ember.save(em, tmp_path / "m.pt")
    back = ember.load(tmp_path / "m.pt", weights_only=False)
    x = batch(ember)[0]
    assert back(x).tolist() == em(x).tolist()
    assert repr(back) == repr(em)


def test_torch_object_without_ember_counterpart():
    from ember.serialization._unpickler import resolve_torch_global
    with pytest.raises(NotImplementedError, match="torch._no_such.Thing"):
        resolve_torch_global("torch._no_such", "Thing")
