"""The "Tips for Loading an nn.Module from a Checkpoint" recipe across ember and torch: a file
saved by one loaded by the other with mmap=True into a module built under torch.device('meta')
with load_state_dict(assign=True), and load_state_dict's results and errors."""
from collections import OrderedDict

import pytest
import torch
from oracle import assert_same, check_raises

import ember


def some_module(T, size=8):
    class SomeModule(T.nn.Module):
        def __init__(self, size):
            super().__init__()
            self.linears = T.nn.ModuleList([T.nn.Linear(size, size) for _ in range(3)])
            self.bn = T.nn.BatchNorm1d(size)

        def forward(self, x):
            for lin in self.linears:
                x = lin(x)
            return self.bn(x)
    return SomeModule(size)


@pytest.mark.parametrize("writer,reader", [(torch, ember), (ember, torch)])
def test_mmap_meta_assign_across_frameworks(tmp_path, writer, reader):
    writer.manual_seed(0)
    src = some_module(writer)
    src.train()
    src(writer.randn(4, 8))  # running stats and num_batches_tracked move
    path = str(tmp_path / "checkpoint.pth")
    writer.save(src.state_dict(), path)

    state_dict = reader.load(path, mmap=True, weights_only=True)
    with reader.device("meta"):
        meta_m = some_module(reader)
    assert str(meta_m.linears[0].weight.device) == "meta"
    assert repr(meta_m.load_state_dict(state_dict, assign=True)) == "<All keys matched successfully>"
    w = meta_m.linears[2].weight
    assert type(w).__name__ == "Parameter" and w.requires_grad and str(w.device) == "cpu"
    assert not isinstance(meta_m.bn.running_mean, reader.nn.Parameter)
    meta_m.eval()
    src.eval()
    x = [[0.1 * (i - j) for j in range(8)] for i in range(3)]
    out = meta_m(reader.tensor(x))
    ref = src(writer.tensor(x))
    e, t = (out, ref) if reader is ember else (ref, out)
    assert_same(e.detach(), t.detach())
    # the optimizer made after assign trains the assigned parameters
    opt = reader.optim.SGD(meta_m.parameters(), lr=0.1)
    meta_m(reader.tensor(x)).sum().backward()
    opt.step()
    assert meta_m.linears[0].weight.grad is not None


def _load_results(T):
    T.manual_seed(0)
    m = some_module(T)
    sd = OrderedDict((k, v.detach().clone()) for k, v in m.state_dict().items())
    out = []
    p = m.linears[0].weight
    out.append(repr(m.load_state_dict(sd)))
    out.append(m.linears[0].weight is p)
    out.append(repr(m.load_state_dict(sd, assign=True)))
    out.append((m.linears[0].weight is p, type(m.linears[0].weight).__name__,
                m.linears[0].weight.requires_grad, m.bn.num_batches_tracked.dtype == T.int64))
    sd64 = OrderedDict((k, v.double() if v.is_floating_point() else v) for k, v in sd.items())
    m.load_state_dict(sd64)
    out.append(str(m.linears[1].bias.dtype))
    m.load_state_dict(sd64, assign=True)
    out.append(str(m.linears[1].bias.dtype))
    with T.device("meta"):
        mm = some_module(T)
    with pytest.warns(UserWarning, match="to a meta parameter in the current model, which is a "
                                         "no-op"):
        mm.load_state_dict(sd)  # copying into meta parameters leaves them on meta
    out.append(repr(mm.linears[0].bias))
    del sd["linears.1.bias"]
    sd["head.weight"] = T.zeros(1)
    out.append(repr(m.load_state_dict(sd, strict=False)))
    return out


def test_load_state_dict_results_match_torch():
    assert _load_results(ember) == _load_results(torch)


def _bad(T, kind):
    m = some_module(T)
    sd = m.state_dict()
    if kind in ("size", "all"):
        sd["linears.0.weight"] = T.zeros(3, 3)
    if kind in ("missing", "all"):
        del sd["bn.running_var"]
    if kind in ("unexpected", "all"):
        sd["linears.3.weight"] = T.zeros(2)
    return m, sd


@pytest.mark.parametrize("kind", ["size", "missing", "unexpected", "all"])
@pytest.mark.parametrize("assign", [False, True])
def test_strict_errors(kind, assign):
    def fn(T):
        m, sd = _bad(T, kind)
        m.load_state_dict(sd, assign=assign)
    ee, et = check_raises(fn)
    assert str(ee) == str(et)


def test_size_mismatch_is_an_error_even_when_not_strict():
    def fn(T):
        m, sd = _bad(T, "all")
        m.load_state_dict(sd, strict=False)
    ee, et = check_raises(fn)
    assert str(ee) == str(et)
