"""add_graph: the traced GraphDef parses with tensorboard's protos, is closed (every input is a
node), names nodes by module scope as torch does (Net/Conv2d[conv1]/...), and carries shapes."""
import re

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.utils.tensorboard import SummaryWriter

from .helpers import accumulator, needs_torch_writer, torch


def lenet(T):
    """The seed tutorial's Fashion-MNIST LeNet, built from T.nn."""
    class Net(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = T.nn.Conv2d(1, 6, 5)
            self.pool = T.nn.MaxPool2d(2, 2)
            self.conv2 = T.nn.Conv2d(6, 16, 5)
            self.fc1 = T.nn.Linear(16 * 4 * 4, 120)
            self.fc2 = T.nn.Linear(120, 84)
            self.fc3 = T.nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(T.nn.functional.relu(self.conv1(x)))
            x = self.pool(T.nn.functional.relu(self.conv2(x)))
            x = x.view(-1, 16 * 4 * 4)
            x = T.nn.functional.relu(self.fc1(x))
            x = T.nn.functional.relu(self.fc2(x))
            return self.fc3(x)
    return Net()


def nested(T):
    class Block(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = T.nn.Sequential(T.nn.Conv2d(3, 4, 3, padding=1),
                                            T.nn.BatchNorm2d(4), T.nn.ReLU(inplace=True))
            self.head = T.nn.Sequential(T.nn.Flatten(), T.nn.Linear(4 * 5 * 5, 3))

        def forward(self, img, scale):
            y = self.features(img) * scale
            return self.head(y), y.mean()
    return Block()


def _graph(tmp_path, model, inputs, **kw):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(model, inputs, **kw)
    acc = accumulator(tmp_path)
    return acc, acc.Graph()


def _torch_graph(model, inputs):
    import warnings

    from torch.utils.tensorboard._pytorch_graph import graph
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return graph(model, inputs)[0]


def _scopes(gd):
    """Module scopes named by the graph: 'Net/Conv2d[conv1]' and so on."""
    out = set()
    for n in gd.node:
        parts = n.name.split("/")[:-1]
        out.update("/".join(parts[:i]) for i in range(1, len(parts) + 1)
                   if parts[i - 1].endswith("]"))
    return out


def _shape(n):
    return [[d.size for d in s.dim] for s in n.attr["_output_shapes"].list.shape]


def test_lenet_graph(tmp_path):
    ember.manual_seed(0)
    acc, gd = _graph(tmp_path, lenet(ember), ember.randn(4, 1, 28, 28))
    names = {n.name: n for n in gd.node}
    assert len(names) == len(gd.node)                      # unique names
    for n in gd.node:                                      # closed: every edge has a node
        for i in n.input:
            assert i.split(":")[0] in names, (n.name, i)
    assert _shape(names["input/x"]) == [[4, 1, 28, 28]] and names["input/x"].op == "IO Node"
    out = names["output/output.1"]
    assert _shape(out) == [[4, 10]] and out.input[0].startswith("Net/Linear[fc3]/")
    assert _scopes(gd) == {"Net/Conv2d[conv1]", "Net/Conv2d[conv2]", "Net/MaxPool2d[pool]",
                           "Net/Linear[fc1]", "Net/Linear[fc2]", "Net/Linear[fc3]"}
    ops = [n.op for n in gd.node]
    assert ops.count("aten::convolution") == 2 and ops.count("aten::relu") == 4
    assert sum(o.startswith("aten::max_pool2d") for o in ops) == 2
    assert "aten::view" in ops and ops.count("prim::GetAttr") == 10
    conv1 = [n for n in gd.node if n.name.startswith("Net/Conv2d[conv1]/convolution")][0]
    assert list(conv1.input) == ["input/x", "Net/Conv2d[conv1]/weight",
                                 "Net/Conv2d[conv1]/bias"]
    assert _shape(conv1) == [[4, 6, 24, 24]]
    assert _shape(names["Net/Conv2d[conv1]/weight"]) == [[6, 1, 5, 5]]
    assert names["Net/Conv2d[conv1]/weight"].attr["attr"].s == b"{ name :  weight }"
    relu = [n for n in gd.node if n.op == "aten::relu"]
    assert all(re.fullmatch(r"Net/relu\.\d", n.name) for n in relu)   # F.relu: the root scope
    assert gd.versions.producer == 22
    assert acc.Tags()["run_metadata"] == ["step1"]


@needs_torch_writer
@pytest.mark.parametrize("make,inputs", [
    (lenet, lambda T: T.randn(4, 1, 28, 28)),
    (nested, lambda T: (T.randn(2, 3, 5, 5), T.tensor(2.0))),
])
def test_scopes_and_io_match_torch(tmp_path, make, inputs):
    torch.manual_seed(0)
    ember.manual_seed(0)
    _, gd = _graph(tmp_path, make(ember), inputs(ember))
    tgd = _torch_graph(make(torch), inputs(torch))
    assert _scopes(gd) == _scopes(tgd)
    def io(g, kind):
        return [(n.name.split(".")[0] if kind == "input" else n.name, _shape(n))
                for n in g.node if n.op == "IO Node" and n.name.startswith(kind + "/")]
    assert io(gd, "input") == io(tgd, "input")
    if make is lenet:   # torch folds a tuple result into one node; ember keeps one per tensor
        assert io(gd, "output") == io(tgd, "output") == [("output/output.1", [[4, 10]])]


def test_nested_inplace_buffers_and_tuple_output(tmp_path):
    model = nested(ember)
    model.train()
    _, gd = _graph(tmp_path, model, (ember.randn(2, 3, 5, 5), ember.tensor(2.0)))
    assert model.training                                  # restored after the eval-mode trace
    names = {n.name: n for n in gd.node}
    assert {"input/img", "input/scale", "output/output.1", "output/output.2"} <= set(names)
    assert _shape(names["output/output.1"]) == [[2, 3]] and _shape(names["output/output.2"]) \
        == [[]]
    bn = "Block/Sequential[features]/BatchNorm2d[1]"
    assert {f"{bn}/running_mean", f"{bn}/running_var", f"{bn}/weight"} <= set(names)
    relu = [n for n in gd.node if n.name.startswith("Block/Sequential[features]/ReLU[2]/")]
    assert len(relu) == 1 and relu[0].input[0].startswith(f"{bn}/")
    # the in-place ReLU's result is what the multiplication reads
    mul = [n for n in gd.node if n.op == "aten::mul"][0]
    assert mul.input[0] == relu[0].name and mul.input[1] == "input/scale"
    for n in gd.node:
        for i in n.input:
            assert i.split(":")[0] in names


def test_integer_inputs_and_shared_modules(tmp_path):
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 4)
            self.lin = nn.Linear(4, 4)

        def forward(self, idx):
            h = self.emb(idx)
            return self.lin(F.relu(self.lin(h))).sum(1)
    _, gd = _graph(tmp_path, M(), ember.tensor([[1, 2, 3]]))
    names = [n.name for n in gd.node]
    assert "input/idx" in names and "M/Embedding[emb]/weight" in names
    lin = [n for n in names if n.startswith("M/Linear[lin]/") and "weight" not in n
           and "bias" not in n]
    assert len(lin) >= 2                                   # both calls are in the same scope
    assert names.count("M/Linear[lin]/weight") == 1        # the parameter node is shared


def test_graph_errors_and_verbose(tmp_path, capsys):
    class D(nn.Module):
        def __init__(self):
            super().__init__()
            self.l = nn.Linear(3, 2)

        def forward(self, x):
            return {"a": self.l(x)}

    class L(D):
        def forward(self, x):
            return [self.l(x)]

    with SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(RuntimeError, match="Encountering a dict at the output"):
            w.add_graph(D(), ember.zeros(1, 3))
        assert "Error occurs, No graph saved" in capsys.readouterr().out
        w.add_graph(D(), ember.zeros(1, 3), use_strict_trace=False)
        with pytest.warns(Warning, match="Encountering a list at the output"):
            w.add_graph(L(), ember.zeros(1, 3))
        with pytest.raises(RuntimeError, match="example_kwarg_inputs should be a dict"):
            w.add_graph(L())
        capsys.readouterr()
        w.add_graph(L(), [ember.zeros(1, 3)], verbose=True, use_strict_trace=False)
        out = capsys.readouterr().out
        assert "L/Linear[l]/addmm.1 = aten::addmm(" in out and "input/x = IO Node()" in out


def test_tracing_leaves_no_trace():
    from ember.autograd import op
    from ember.utils.tensorboard._graph import graph
    before = op.Op.apply
    model = lenet(ember)
    graph(model, ember.randn(1, 1, 28, 28))
    assert op.Op.apply == before and not op._APPLY_LAYERS.get("tensorboard_graph")
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())
    y = model(ember.randn(2, 1, 28, 28))
    assert y.shape == (2, 10)
    # an exception inside forward also uninstalls everything
    with pytest.raises(RuntimeError):
        graph(model, ember.randn(1, 1, 27, 3))
    assert op.Op.apply == before
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())
    np.testing.assert_array_equal(model(ember.ones(1, 1, 28, 28)).detach().numpy(),
                                  model(ember.ones(1, 1, 28, 28)).detach().numpy())
