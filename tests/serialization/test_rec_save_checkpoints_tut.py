"""The saving/loading recipes' checkpoints between ember and torch: several models and
optimizers in one file (SGD with momentum, Adam, BatchNorm buffers) written by one and read by
the other with the recipes' map_location forms, and a whole custom module whose unsafe globals
(what weights_only=True refuses) are named as torch names them."""
import pytest
import torch
from oracle import assert_same

import ember

from ._util import assert_tree


def net(T):
    nn = T.nn
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 5))


def trained(T):
    T.manual_seed(0)
    a, b = net(T), net(T)
    oa = T.optim.SGD(a.parameters(), lr=0.01, momentum=0.9)
    ob = T.optim.Adam(b.parameters(), lr=0.01)
    x, y = T.randn(2, 3, 6, 6), T.tensor([1, 4])
    for m, o in ((a, oa), (b, ob)):
        for _ in range(2):
            o.zero_grad()
            T.nn.functional.cross_entropy(m(x), y).backward()
            o.step()
    return a, b, oa, ob, x


@pytest.mark.parametrize("writer,reader", [(torch, ember), (ember, torch)])
@pytest.mark.parametrize("map_location", [None, "cpu", "device", "lambda", "dict"])
def test_multiple_models_in_one_file(tmp_path, writer, reader, map_location):
    a, b, oa, ob, _ = trained(writer)
    path = str(tmp_path / "multi.tar")
    writer.save({"modelA_state_dict": a.state_dict(), "modelB_state_dict": b.state_dict(),
                 "optimizerA_state_dict": oa.state_dict(),
                 "optimizerB_state_dict": ob.state_dict(), "epoch": 3}, path)
    loc = {None: None, "cpu": "cpu", "device": reader.device("cpu"),
           "lambda": lambda storage, loc: storage, "dict": {"cpu": "cpu"}}[map_location]
    ckpt = reader.load(path, map_location=loc, weights_only=True)
    ra, rb = net(reader), net(reader)
    roa = reader.optim.SGD(ra.parameters(), lr=0.5, momentum=0.1)
    rob = reader.optim.Adam(rb.parameters(), lr=0.5)
    assert repr(ra.load_state_dict(ckpt["modelA_state_dict"])) == \
        "<All keys matched successfully>"
    rb.load_state_dict(ckpt["modelB_state_dict"])
    roa.load_state_dict(ckpt["optimizerA_state_dict"])
    rob.load_state_dict(ckpt["optimizerB_state_dict"])
    assert ckpt["epoch"] == 3
    # the reader's state equals the writer's, tensor for tensor
    (em, eo), (tm, to) = ((rb, rob), (b, ob)) if reader is ember else ((b, ob), (rb, rob))
    assert_tree(em.state_dict(), tm.state_dict())
    assert str(roa.state_dict()["param_groups"]) == str(oa.state_dict()["param_groups"])
    assert str(rob.state_dict()["param_groups"]) == str(ob.state_dict()["param_groups"])
    assert_tree(eo.state_dict()["state"], to.state_dict()["state"])


def test_checkpoint_resumes_with_the_same_step_in_both(tmp_path):
    """A checkpoint written by torch, resumed once in torch and once in ember."""
    a, _, oa, _, x = trained(torch)
    torch.save({"model": a.state_dict(), "opt": oa.state_dict()}, tmp_path / "ckpt.pt")
    outs = {}
    for T in (torch, ember):
        ckpt = T.load(str(tmp_path / "ckpt.pt"), weights_only=True)
        m = net(T)
        o = T.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
        m.load_state_dict(ckpt["model"])
        o.load_state_dict(ckpt["opt"])
        xx = T.tensor(x.tolist())
        o.zero_grad()
        T.nn.functional.cross_entropy(m(xx), T.tensor([1, 4])).backward()
        o.step()
        m.eval()
        outs[T] = m(xx).detach()
    assert_same(outs[ember], outs[torch])


class TorchHead(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 2)
        self.bn = torch.nn.BatchNorm1d(2)


class EmberHead(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = ember.nn.Linear(2, 2)
        self.bn = ember.nn.BatchNorm1d(2)


@pytest.mark.parametrize("writer", [torch, ember])
def test_whole_module_unsafe_globals(tmp_path, writer):
    """What weights_only=True would refuse in a whole-module file, as torch lists it."""
    path = str(tmp_path / "whole.pt")
    writer.save(TorchHead() if writer is torch else EmberHead(), path)
    names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    assert ember.serialization.get_unsafe_globals_in_checkpoint(path) == names
    assert len(names) == 3


def _meta_state(T):
    with T.device("meta"):
        m = T.nn.Sequential(T.nn.Linear(3, 2), T.nn.BatchNorm1d(2))
    return m.state_dict()


def test_meta_state_dict_same_bytes_and_loads_both_ways(tmp_path):
    """A module built under torch.device('meta') saves dtype/size/stride only."""
    from ._util import load_bytes, save_bytes
    bt, be = save_bytes(torch, _meta_state(torch)), save_bytes(ember, _meta_state(ember))
    assert be == bt
    for data in (bt, be):
        e, t = load_bytes(ember, data), load_bytes(torch, data)
        assert [repr(v) for v in e.values()] == [repr(v) for v in t.values()]
    # a meta Parameter keeps its class and requires_grad
    p_e = load_bytes(ember, save_bytes(ember, ember.nn.Linear(2, 2, device="meta").weight))
    p_t = load_bytes(torch, save_bytes(ember, ember.nn.Linear(2, 2, device="meta").weight))
    assert repr(p_e) == repr(p_t)


@pytest.mark.parametrize("mmap", [False, True])
def test_map_location_meta(tmp_path, mmap):
    torch.manual_seed(0)
    path = str(tmp_path / "sd.pt")
    torch.save(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)).state_dict(),
               path)
    for loc in ("meta", "device"):
        e = ember.load(path, map_location=ember.device("meta") if loc == "device" else loc,
                       mmap=mmap)
        t = torch.load(path, map_location=torch.device("meta") if loc == "device" else loc,
                       mmap=mmap)
        assert [repr(v) for v in e.values()] == [repr(v) for v in t.values()]
