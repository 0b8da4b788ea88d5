"""The seed tutorial's "autograd basics" section (自动微分的基础知识): every code cell, run with
T=torch and T=ember, prints the same (addresses masked; the profiler table by structure)."""
from __future__ import annotations

import math
import re

import pytest
import torch

import ember

from ._seed_util import capture, check_cell


def cell_simple_example(T):
    a = T.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
    print(a)
    b = T.sin(a)
    print(b)
    c = 2 * b
    print(c)
    d = c + 1
    print(d)
    out = d.sum()
    print(out)
    print('d:')
    print(d.grad_fn)
    print(d.grad_fn.next_functions)
    print(d.grad_fn.next_functions[0][0].next_functions)
    print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions)
    print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
          .next_functions)
    print('\nc:')
    print(c.grad_fn)
    print('\nb:')
    print(b.grad_fn)
    print('\na:')
    print(a.grad_fn)
    out.backward()
    print(a.grad)
    # "only leaves get .grad": print(c.grad) warns and prints None
    print(c.grad)
    # a second backward without retain_graph
    try:
        out.backward()
    except RuntimeError as e:
        print("RuntimeError:", e)


def cell_training(T):
    T.manual_seed(42)
    BATCH_SIZE = 16
    DIM_IN = 1000
    HIDDEN_SIZE = 100
    DIM_OUT = 10

    class TinyModel(T.nn.Module):
        def __init__(self):
            super(TinyModel, self).__init__()
            self.layer1 = T.nn.Linear(DIM_IN, HIDDEN_SIZE)
            self.relu = T.nn.ReLU()
            self.layer2 = T.nn.Linear(HIDDEN_SIZE, DIM_OUT)

        def forward(self, x):
            x = self.layer1(x)
            x = self.relu(x)
            x = self.layer2(x)
            return x

    some_input = T.randn(BATCH_SIZE, DIM_IN, requires_grad=False)
    ideal_output = T.randn(BATCH_SIZE, DIM_OUT, requires_grad=False)
    model = TinyModel()
    print(model.layer2.weight[0][0:10])  # just a small slice
    print(model.layer2.weight.grad)
    optimizer = T.optim.SGD(model.parameters(), lr=0.001)
    prediction = model(some_input)
    loss = (ideal_output - prediction).pow(2).sum()
    print(loss)
    loss.backward()
    print(model.layer2.weight[0][0:10])
    print(model.layer2.weight.grad[0][0:10])
    optimizer.step()
    print(model.layer2.weight[0][0:10])
    print(model.layer2.weight.grad[0][0:10])
    print(model.layer2.weight.grad[0][0:10])
    for i in range(0, 5):
        prediction = model(some_input)
        loss = (ideal_output - prediction).pow(2).sum()
        loss.backward()
    print(model.layer2.weight.grad[0][0:10])
    optimizer.zero_grad(set_to_none=False)
    print(model.layer2.weight.grad[0][0:10])


def cell_requires_grad_flag(T):
    a = T.ones(2, 3, requires_grad=True)
    print(a)
    b1 = 2 * a
    print(b1)
    a.requires_grad = False
    b2 = 2 * a
    print(b2)


def cell_no_grad(T):
    a = T.ones(2, 3, requires_grad=True) * 2
    b = T.ones(2, 3, requires_grad=True) * 3
    c1 = a + b
    print(c1)
    with T.no_grad():
        c2 = a + b
    print(c2)
    c3 = a * b
    print(c3)


def cell_no_grad_decorator(T):
    def add_tensors1(x, y):
        return x + y

    @T.no_grad()
    def add_tensors2(x, y):
        return x + y

    a = T.ones(2, 3, requires_grad=True) * 2
    b = T.ones(2, 3, requires_grad=True) * 3
    c1 = add_tensors1(a, b)
    print(c1)
    c2 = add_tensors2(a, b)
    print(c2)

    @T.enable_grad()
    def add_tensors3(x, y):
        return x + y
    with T.no_grad():
        print(add_tensors3(a, b))


def cell_detach(T):
    T.manual_seed(0)
    x = T.rand(5, requires_grad=True)
    y = x.detach()
    print(x)
    print(y)
    print(y.requires_grad, y.is_leaf, x.detach().numpy().shape)


def cell_inplace_leaf(T):
    a = T.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
    try:
        T.sin_(a)
    except RuntimeError as e:
        print("RuntimeError:", e)


def cell_backward_with_vector(T):
    T.manual_seed(0)
    x = T.randn(3, requires_grad=True)
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    print(y)
    try:
        y.backward()
    except RuntimeError as e:
        print("RuntimeError:", e)
    v = T.tensor([0.1, 1.0, 0.0001], dtype=T.float)  # stand-in for gradients
    y.backward(v)
    print(x.grad)


def exp_adder(x, y):
    return 2 * x.exp() + 3 * y


def cell_jacobian(T):
    T.manual_seed(0)
    inputs = (T.rand(1), T.rand(1))  # arguments for the function
    print(inputs)
    print(T.autograd.functional.jacobian(exp_adder, inputs))
    inputs = (T.rand(3), T.rand(3))  # arguments for the function
    print(inputs)
    print(T.autograd.functional.jacobian(exp_adder, inputs))


def do_some_doubling(x):
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    return y


def cell_vjp_and_friends(T):
    T.manual_seed(0)
    inputs = T.randn(3)
    my_gradients = T.tensor([0.1, 1.0, 0.0001])
    print(T.autograd.functional.vjp(do_some_doubling, inputs, v=my_gradients))
    # the text names jvp, hessian, vhp and hvp too
    print(T.autograd.functional.jvp(do_some_doubling, inputs, v=my_gradients))
    x = T.tensor([0.5, -1.0, 2.0])

    def f(x):
        return (x.exp() * x.sin()).sum()
    print(T.autograd.functional.hessian(f, x))
    print(T.autograd.functional.vhp(f, x, v=my_gradients))
    print(T.autograd.functional.hvp(f, x, v=my_gradients))


CELLS = [cell_simple_example, cell_requires_grad_flag, cell_no_grad, cell_no_grad_decorator,
         cell_detach, cell_inplace_leaf, cell_backward_with_vector, cell_jacobian,
         cell_vjp_and_friends]


@pytest.mark.parametrize("cell", CELLS, ids=[c.__name__ for c in CELLS])
def test_cell(cell):
    check_cell(cell)


def test_cell_training():
    # float32 sums over 1000 inputs: allow rounding differences in the last digits
    check_cell(cell_training, rtol=2e-4, atol=2e-5)


def test_simple_example_prints_chain_names():
    out, _ = capture(cell_simple_example, ember)
    for name in ("SinBackward0", "MulBackward0", "AddBackward0", "SumBackward0",
                 "AccumulateGrad"):
        assert name in out


def cell_profiler(T):
    device = T.device('cpu')
    run_on_gpu = False
    if T.cuda.is_available():
        device = T.device('cuda')
        run_on_gpu = True
    x = T.randn(2, 3, requires_grad=True)
    y = T.rand(2, 3, requires_grad=True)
    z = T.ones(2, 3, requires_grad=True)
    with T.autograd.profiler.profile(use_cuda=run_on_gpu) as prf:
        for _ in range(1000):
            z = (z / x) * y
    print(prf.key_averages().table(sort_by='self_cpu_time_total'))


_TIME = re.compile(r"-?\d+\.\d+(?:%|us|ms|s)")


def table_structure(text):
    """(header lines, {row name: # of calls}, footer label) with timings taken out."""
    lines = text.rstrip("\n").split("\n")
    seps = [i for i, ln in enumerate(lines) if ln.startswith("-")]
    head = lines[:seps[1] + 1]
    rows = {}
    for ln in lines[seps[1] + 1:seps[2]]:
        cols = re.split(r"\s{2,}", ln.strip())
        rows[cols[0]] = (cols[-1], [bool(_TIME.fullmatch(c)) for c in cols[1:-1]])
    footer = _TIME.sub("#", lines[seps[2] + 1])
    return head, rows, footer


def test_cell_profiler():
    tout, _ = capture(cell_profiler, torch)
    eout, _ = capture(cell_profiler, ember)
    th, trows, tfoot = table_structure(tout)
    eh, erows, efoot = table_structure(eout)
    assert eh == th            # the header and column names, with the same widths
    assert erows == trows      # aten::div and aten::mul, 1000 calls each, every cell a time
    assert efoot == tfoot == "Self CPU time total: #"
