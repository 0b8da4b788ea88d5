"""utils.checkpoint (both variants) and checkpoint_sequential vs torch: values, grads (dropout
recomputed with the forward's RNG state), node names, warnings, errors."""
import warnings

import pytest

from tests.nn.utils._both import both


def _net(T):
    return T.nn.Sequential(T.nn.Linear(4, 8), T.nn.ReLU(), T.nn.Dropout(0.5),
                           T.nn.Linear(8, 3), T.nn.Tanh())


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_dropout_grads(use_reentrant):
    def prog(T, sub):
        cp = sub("utils.checkpoint")
        T.manual_seed(0)
        net = _net(T)
        x = T.randn(5, 4, requires_grad=True)
        T.manual_seed(1)
        out = cp.checkpoint(net, x, use_reentrant=use_reentrant)
        T.randn(3)      # the generator moves on before backward
        out.pow(2).sum().backward()
        res = [out, x.grad, net[0].weight.grad, type(out.grad_fn).__name__, T.randn(2)]
        # the same without checkpointing
        net.zero_grad()
        x.grad = None
        T.manual_seed(1)
        ref = net(x)
        ref.pow(2).sum().backward()
        return res + [ref, x.grad, net[0].weight.grad]
    both(prog)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_sequential(use_reentrant):
    def prog(T, sub):
        cp = sub("utils.checkpoint")
        T.manual_seed(0)
        net = _net(T)
        x = T.randn(5, 4, requires_grad=True)
        T.manual_seed(1)
        o = cp.checkpoint_sequential(net, 2, x, use_reentrant=use_reentrant)
        o.sum().backward()
        return [o, x.grad, net[3].weight.grad]
    both(prog)


def test_checkpoint_kwargs_and_multiple_outputs():
    def prog(T, sub):
        cp = sub("utils.checkpoint")
        T.manual_seed(0)
        a = T.randn(3, requires_grad=True)
        b = T.randn(3, requires_grad=True)

        def f(x, y, scale=1.0):
            return (x * y).sin() * scale, x.exp()
        p, q = cp.checkpoint(f, a, b, scale=2.0, use_reentrant=False)
        (p.sum() + q.sum()).backward()
        r = [p, q, a.grad, b.grad]
        a.grad = b.grad = None
        p, q = cp.checkpoint(f, a, b, 3.0, use_reentrant=True)
        (p.sum() * q.sum()).backward()
        return r + [p, q, a.grad, b.grad]
    both(prog)


def test_checkpoint_warnings_and_errors():
    def prog(T, sub):
        cp = sub("utils.checkpoint")
        T.manual_seed(0)
        net = _net(T)
        x = T.randn(2, 4, requires_grad=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            cp.checkpoint(net, x).sum().backward()
            cp.checkpoint_sequential(net, 2, x).sum().backward()
            cp.checkpoint(lambda a: a * 2, T.ones(2), use_reentrant=True)
        out = [(r.category.__name__, str(r.message)) for r in w]
        for call in (lambda: cp.checkpoint(net, x, use_reentrant=True, foo=1),
                     lambda: cp.checkpoint_sequential(net, 2, x, use_reentrant=True, foo=1),
                     lambda: cp.checkpoint(net, x, use_reentrant=True, debug=True)):
            try:
                call()
            except ValueError as e:
                out.append(str(e))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cp.checkpoint(lambda a: a * 2, T.ones(2), use_reentrant=True).sum().backward()
        except RuntimeError as e:
            out.append(str(e))
        return out
    both(prog)
