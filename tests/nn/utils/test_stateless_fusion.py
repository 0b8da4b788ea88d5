"""nn.utils.stateless.functional_call and nn.utils.fusion vs torch."""
import warnings

import pytest

from tests.nn.utils._both import both
from tests.oracle import check_raises


def test_functional_call():
    def prog(T, sub):
        T.manual_seed(0)
        m = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.BatchNorm1d(4), T.nn.Linear(4, 4))
        m[2].weight = m[0].weight if False else m[2].weight
        x = T.randn(5, 3)
        w = T.ones(4, 3, requires_grad=True)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            y = sub("nn.utils.stateless").functional_call(m, {"0.weight": w}, (x,))
        y.sum().backward()
        return [y, w.grad, m[0].weight, m[1].running_mean, [str(r.message) for r in rec],
                m[0].weight.grad]
    both(prog)


def test_functional_call_tied_and_strict():
    def prog(T, sub):
        S = sub("nn.utils.stateless")
        T.manual_seed(0)
        m = T.nn.Sequential(T.nn.Linear(3, 3), T.nn.Linear(3, 3))
        m[1].weight = m[0].weight
        x = T.randn(2, 3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = S.functional_call(m, {"0.weight": T.eye(3)}, x)
            b = S.functional_call(m, {"0.weight": T.eye(3)}, x, tie_weights=False)
            try:
                S.functional_call(m, {"0.weight": T.eye(3)}, x, strict=True)
            except RuntimeError as e:
                err = str(e)
        return [a, b, err, m[0].weight is m[1].weight]
    both(prog)


@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn(transpose):
    def prog(T, sub):
        T.manual_seed(0)
        conv = (T.nn.ConvTranspose2d(3, 4, 3) if transpose else T.nn.Conv2d(3, 4, 3)).eval()
        bn = T.nn.BatchNorm2d(4).eval()
        with T.no_grad():
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-1, 1)
        x = T.randn(2, 3, 6, 6)
        fused = T.nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
        w, b = T.nn.utils.fuse_conv_bn_weights(conv.weight, None, bn.running_mean,
                                                bn.running_var, bn.eps, None, None, transpose)
        return [fused(x), bn(conv(x)), fused.weight, type(fused.weight).__name__, w, b,
                b.requires_grad]
    both(prog)


def test_fuse_linear_bn():
    def prog(T, sub):
        T.manual_seed(0)
        lin = T.nn.Linear(3, 4).eval()
        bn = T.nn.BatchNorm1d(4).eval()
        with T.no_grad():
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
        x = T.randn(5, 3)
        fused = T.nn.utils.fuse_linear_bn_eval(lin, bn)
        return [fused(x), bn(lin(x)), fused.bias]
    both(prog)
    check_raises(lambda T: T.nn.utils.fuse_linear_bn_eval(T.nn.Linear(2, 2),
                                                          T.nn.BatchNorm1d(2)))
    check_raises(lambda T: T.nn.utils.fuse_linear_bn_eval(T.nn.Linear(2, 2).eval(),
                                                          T.nn.BatchNorm1d(3).eval()))
