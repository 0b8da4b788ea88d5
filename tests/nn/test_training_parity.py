"""End to end: the seed tutorial's CIFAR LeNet (`Net`), built after the same manual_seed in torch
and in ember (so identical initial weights), trained 300 steps with CrossEntropyLoss and
SGD(lr=0.001, momentum=0.9) on the same synthetic batches: every step's loss agrees to 1e-4
(relative) and so do the final weights.

NOTE: no two convolution implementations round alike (torch's mkldnn and ember's GEMMs add the
same products in different orders), so float32 activations differ in the last bit. When two
values in a max-pool window are within an ulp of each other, that bit can pick a different
argmax, and from then on the two float32 runs drift apart (about one 300-step run in six with
random data: data seed 0 here flips at step 37). The float32 test uses a seed without such a
near-tie; a float64 run (shorter: torch's float64 convolution is slow) checks the same parity
where ties of that kind cannot happen."""
import numpy as np
import pytest
import torch

import ember


@pytest.fixture(autouse=True)
def _one_thread():
    # tiny GEMMs: several busy-waiting BLAS/OpenMP threads only slow both sides down (badly, on
    # a loaded machine), and the comparison does not depend on the thread count
    t, e = torch.get_num_threads(), ember.get_num_threads()
    torch.set_num_threads(1)
    ember.set_num_threads(1)
    yield
    torch.set_num_threads(t)
    ember.set_num_threads(e)


def make_net(T):
    nn = T.nn
    F = T.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = x.view(-1, 16 * 5 * 5)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x
    return Net()


def _data(n_batches=25, batch=4, seed=0):
    # learnable synthetic data: the class shifts the mean of one colour channel
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for _ in range(n_batches):
        y = rng.integers(0, 10, batch)
        x = rng.standard_normal((batch, 3, 32, 32)).astype(np.float32)
        x[np.arange(batch), y % 3] += (y[:, None, None] / 5.0).astype(np.float32)
        xs.append(x)
        ys.append(y)
    return xs, ys


def _train(T, xs, ys, steps, dtype=None):
    T.manual_seed(0)
    net = make_net(T)
    if dtype is not None:
        net.to(getattr(T, dtype))
    criterion = T.nn.CrossEntropyLoss()
    optimizer = T.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    losses = []
    for i in range(steps):
        inputs, labels = T.tensor(xs[i % len(xs)]), T.tensor(ys[i % len(ys)])
        if dtype is not None:
            inputs = inputs.to(getattr(T, dtype))
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return net, np.array(losses)


def test_lenet_sgd_training_parity_float64():
    xs, ys = _data(seed=0)
    net_t, lt = _train(torch, xs, ys, 25, "float64")
    net_e, le = _train(ember, xs, ys, 25, "float64")
    np.testing.assert_allclose(le, lt, rtol=1e-9, atol=0)
    for (n, pt), (_, pe) in zip(net_t.named_parameters(), net_e.named_parameters()):
        np.testing.assert_allclose(pe.detach().numpy(), pt.detach().numpy(), rtol=1e-8,
                                   atol=1e-10, err_msg=n)


def test_lenet_sgd_training_parity():
    xs, ys = _data(seed=1)
    steps = 300
    net_t, lt = _train(torch, xs, ys, steps)
    net_e, le = _train(ember, xs, ys, steps)
    np.testing.assert_allclose(le, lt, rtol=1e-4, atol=0)
    assert lt[-25:].mean() < lt[:25].mean()  # it learned something
    for (n, pt), (_, pe) in zip(net_t.named_parameters(), net_e.named_parameters()):
        np.testing.assert_allclose(pe.detach().numpy(), pt.detach().numpy(), rtol=1e-3,
                                   atol=1e-5, err_msg=n)


def test_seed_training_loop_prints_like_torch(capsys):
    # the tutorial's loop (print every 10 mini-batches here) prints identical running losses
    xs, ys = _data(n_batches=20)
    out = {}
    for T in (torch, ember):
        T.manual_seed(0)
        net = make_net(T)
        criterion = T.nn.CrossEntropyLoss()
        optimizer = T.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
        for epoch in range(2):
            running_loss = 0.0
            for i, data in enumerate(zip(xs, ys), 0):
                inputs, labels = T.tensor(data[0]), T.tensor(data[1])
                optimizer.zero_grad()
                outputs = net(inputs)
                loss = criterion(outputs, labels)
                loss.backward()
                optimizer.step()
                running_loss += loss.item()
                if i % 10 == 9:
                    print('[%d, %5d] loss: %.3f' % (epoch + 1, i + 1, running_loss / 10))
                    running_loss = 0.0
        print('Finished Training')
        out[T] = capsys.readouterr().out
    assert out[ember] == out[torch]
