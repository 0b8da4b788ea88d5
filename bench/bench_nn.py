"""nn layer and training-step cost: ember vs torch in one process (interleaved, medians).

`python bench/bench_nn.py` prints a table; the cases also run from bench/run.py (CASES). The
headline case is the seed tutorial's LeNet training step (forward, CrossEntropyLoss, backward,
SGD(lr=0.001, momentum=0.9).step) at batch 4 and 64 on 3x32x32 input; the rest isolate
convolution, pooling and linear layers.
"""
from __future__ import annotations

import os
import sys

import numpy as np


def _lenet(T):
    nn = T.nn
    F = T.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
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
            return self.fc3(x)
    T.manual_seed(0)
    return Net()


def _sgd(T, params):
    optim = getattr(T, "optim", None)
    if optim is not None and hasattr(optim, "SGD"):
        return optim.SGD(params, lr=0.001, momentum=0.9)
    raise RuntimeError("ember.optim.SGD is required for the training-step benchmark")


def _train_case(batch):
    def build():
        import torch
        import ember
        rng = np.random.default_rng(0)
        x = rng.standard_normal((batch, 3, 32, 32)).astype(np.float32)
        y = rng.integers(0, 10, batch)
        fns = {}
        for name, T in (("torch", torch), ("ember", ember)):
            net = _lenet(T)
            opt = _sgd(T, net.parameters())
            crit = T.nn.CrossEntropyLoss()
            xt, yt = T.tensor(x), T.tensor(y)

            def step(net=net, opt=opt, crit=crit, xt=xt, yt=yt):
                opt.zero_grad()
                loss = crit(net(xt), yt)
                loss.backward()
                opt.step()
            fns[name] = step
        return fns
    build.__doc__ = f"LeNet training step (fwd + CE + bwd + SGD momentum), batch {batch}"
    return build


def _layer_case(make, shape, backward):
    def build():
        import torch
        import ember
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        fns = {}
        for name, T in (("torch", torch), ("ember", ember)):
            T.manual_seed(0)
            layer = make(T)
            xt = T.tensor(x, requires_grad=backward)

            def run(layer=layer, xt=xt):
                out = layer(xt)
                if backward:
                    out.sum().backward()
            fns[name] = run
        return fns
    return build


CASES = {
    "nn_lenet_train_b4": _train_case(4),
    "nn_lenet_train_b64": _train_case(64),
    "nn_conv2d_fwd_b64": _layer_case(lambda T: T.nn.Conv2d(3, 6, 5), (64, 3, 32, 32), False),
    "nn_conv2d_fwd_bwd_b64": _layer_case(lambda T: T.nn.Conv2d(3, 6, 5), (64, 3, 32, 32),
                                         True),
    "nn_conv2d_3x3_pad_fwd_bwd": _layer_case(lambda T: T.nn.Conv2d(32, 64, 3, padding=1),
                                             (16, 32, 32, 32), True),
    "nn_maxpool2d_fwd_bwd_b64": _layer_case(lambda T: T.nn.MaxPool2d(2), (64, 6, 28, 28), True),
    "nn_avgpool2d_fwd_bwd_b64": _layer_case(lambda T: T.nn.AvgPool2d(2), (64, 6, 28, 28), True),
    "nn_linear_fwd_bwd_b64": _layer_case(lambda T: T.nn.Linear(400, 120), (64, 400), True),
}


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="torch intra-op threads and ember's BLAS threads (default 1: "
                         "busy-waiting thread pools distort timings of small ops on busy "
                         "hosts)")
    ap.add_argument("--case", action="append", help="run only these cases")
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args(argv)
    import torch
    import ember
    torch.set_num_threads(args.torch_threads)
    ember.set_num_threads(args.torch_threads)  # NumPy's BLAS pool, same size as torch's
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from run import compare, fmt
    print(f"{'case':<28} {'torch':>10} {'ember':>10} {'ember/torch':>12}")
    for name, build in CASES.items():
        if args.case and name not in args.case:
            continue
        res = compare(build(), repeats=args.repeats, target=0.05)
        print(f"{name:<28} {fmt(res['torch']):>10} {fmt(res['ember']):>10} "
              f"{res['ember'] / res['torch']:>12.2f}", flush=True)


if __name__ == "__main__":
    main()
