"""Normalization against torch: F.batch_norm / layer_norm / group_norm / instance_norm /
rms_norm / local_response_norm and the modules (BatchNorm1d/2d/3d, LayerNorm, GroupNorm,
InstanceNorm1d/2d/3d, RMSNorm, LocalResponseNorm, CrossMapLRN2d): values, first and second
gradients, running statistics, grad_fn names, reprs, state_dicts and error texts."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from oracle import check, check_raises, random_array
from .test_seq_parity import module_parity, _one_torch_thread  # noqa: F401 (autouse)


def F(T):
    return T.nn.functional


X4 = random_array((4, 3, 5, 2), seed=1) * 3 + 1
W3, B3 = random_array((3,), seed=2), random_array((3,), seed=3)


# ---- batch norm -------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (4, 3, 5, 2), (2, 3, 2, 2, 3)])
def test_batch_norm_training_values_and_grads(shape):
    x = random_array(shape, seed=4) * 2 + 0.5
    check(lambda T, x, w, b: F(T).batch_norm(x, None, None, w, b, training=True),
          [x, W3, B3], gradgrad=True)


def test_batch_norm_float64_gradgrad_and_no_affine():
    x = X4.astype(np.float64)
    check(lambda T, x: F(T).batch_norm(x, None, None, training=True, eps=1e-3), [x],
          gradgrad=True)


def test_batch_norm_running_stats_update():
    def fn(T, x, w, b):
        rm, rv = T.zeros(3) + 0.5, T.ones(3) * 2
        y = F(T).batch_norm(x, rm, rv, w, b, training=True, momentum=0.3)
        return y, rm, rv
    check(fn, [X4, W3, B3])


def test_batch_norm_eval_uses_running_stats():
    def fn(T, x, w, b):
        rm, rv = T.tensor([0.5, -1.0, 2.0]), T.tensor([2.0, 0.5, 1.5])
        return F(T).batch_norm(x, rm, rv, w, b, training=False)
    check(fn, [X4, W3, B3], gradgrad=True)


@pytest.mark.parametrize("threads", [1, 2])
def test_batch_norm_forward_is_bit_identical(threads):
    # the seed tutorial prints a BatchNorm output and its mean: the bits must be torch's
    torch.set_num_threads(threads)
    ember.set_num_threads(threads)
    rng = np.random.default_rng(threads)
    for shape in [(1, 4, 4), (7, 3), (33, 5), (2, 3, 5, 7), (3, 2, 1), (2, 4, 3, 2, 2)]:
        x = (rng.random(shape) * 20 + 5).astype(np.float32)
        c = shape[1]
        w, b = rng.standard_normal(c).astype(np.float32), rng.standard_normal(c).astype(np.float32)
        rm0, rv0 = rng.standard_normal(c).astype(np.float32), rng.random(c).astype(np.float32)
        res = {}
        for T in (torch, ember):
            rm, rv = T.tensor(rm0), T.tensor(rv0)
            y = F(T).batch_norm(T.tensor(x), rm, rv, T.tensor(w), T.tensor(b), training=True,
                                momentum=0.3)
            ye = F(T).batch_norm(T.tensor(x), rm, rv, T.tensor(w), T.tensor(b))
            res[T] = [a.numpy() for a in (y, rm, rv, ye)]
        for a, t in zip(res[ember], res[torch]):
            np.testing.assert_array_equal(a, t)


def test_batch_norm_grad_fn_names():
    for T in (torch, ember):
        x = T.tensor(X4, requires_grad=True)
        assert type(F(T).batch_norm(x, None, None, training=True).grad_fn).__name__ == \
            "NativeBatchNormBackward0"


@pytest.mark.parametrize("fn", [
    lambda T: F(T).batch_norm(T.randn(1, 4), None, None, training=True),
    lambda T: F(T).batch_norm(T.randn(1, 4, 1), None, None, training=True),
    lambda T: F(T).batch_norm(T.randn(2, 4), None, None, training=False),
    lambda T: F(T).batch_norm(T.randn(2, 4), T.zeros(3), T.ones(3)),
    lambda T: F(T).batch_norm(T.randn(2, 4), T.zeros(4), T.ones(4), T.ones(3)),
    lambda T: F(T).batch_norm(T.randn(2, 4), None, None, training=True, eps=0.0),
    lambda T: F(T).batch_norm(T.randn(2, 4).int(), None, None, training=True),
    lambda T: F(T).batch_norm(T.randn(3, 2), T.zeros(2), None, training=True),
    lambda T: F(T).batch_norm(T.randn(3, 2), T.zeros(2), None, training=False),
    lambda T: F(T).batch_norm(T.randn(3, 2), None, None, T.ones(2, dtype=T.float64),
                              training=True),
])
def test_batch_norm_errors(fn):
    check_raises(fn)


@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (5, 3)), ("BatchNorm1d", (4, 3, 6)),
                                       ("BatchNorm2d", (4, 3, 5, 2)),
                                       ("BatchNorm3d", (2, 3, 2, 3, 2))])
def test_batchnorm_modules_train_then_eval(cls, shape):
    x = random_array(shape, seed=5) * 2 + 1

    def build(T):
        m = getattr(T.nn, cls)(3, momentum=0.2)
        with T.no_grad():
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.5, 0.5)
        return m

    def fwd(m, x):
        outs = [m(x), m(x * 2)]
        m.eval()
        outs.append(m(x))
        return outs
    r = module_parity(build, [x], fwd=fwd)
    assert int(r[ember][0].num_batches_tracked) == 2


@pytest.mark.parametrize("kw", [dict(momentum=None), dict(affine=False),
                                dict(track_running_stats=False), dict(bias=False),
                                dict(eps=1e-3, affine=False, track_running_stats=False)])
def test_batchnorm_options(kw):
    x = random_array((6, 4, 3), seed=6)
    module_parity(lambda T: T.nn.BatchNorm1d(4, **kw), [x],
                  fwd=lambda m, x: [m(x), m(x + 1), m(x * 3), m.eval()(x)])


def test_batchnorm_errors_and_reprs():
    check_raises(lambda T: T.nn.BatchNorm1d(3)(T.randn(1, 3)))
    check_raises(lambda T: T.nn.BatchNorm2d(3)(T.randn(2, 3, 4)))
    check_raises(lambda T: T.nn.BatchNorm1d(3)(T.randn(2, 3, 4, 4)))
    check_raises(lambda T: T.nn.BatchNorm3d(3)(T.randn(2, 3, 4, 4)))
    for make in (lambda T: T.nn.BatchNorm2d(8, eps=1e-3, momentum=None, affine=False),
                 lambda T: T.nn.BatchNorm1d(4, track_running_stats=False, bias=False)):
        assert repr(make(ember)) == repr(make(torch))


def test_batchnorm_state_dict_round_trip_and_buffers_dtype():
    tm, em = torch.nn.BatchNorm2d(3), ember.nn.BatchNorm2d(3)
    x = X4
    tm(torch.tensor(x))
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    assert list(em.state_dict()) == list(tm.state_dict())
    assert em.num_batches_tracked.dtype == ember.int64 and int(em.num_batches_tracked) == 1
    np.testing.assert_allclose(em.running_var.numpy(), tm.running_var.numpy())
    em.eval(), tm.eval()
    np.testing.assert_allclose(em(ember.tensor(x)).detach().numpy(),
                               tm(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


# ---- layer norm / rms norm / group norm -------------------------------------------------------

@pytest.mark.parametrize("ns", [(5, 2), (3, 5, 2)])
def test_layer_norm(ns):
    w = random_array(ns, seed=7)
    b = random_array(ns, seed=8)
    check(lambda T, x, w, b: F(T).layer_norm(x, ns, w, b), [X4, w, b], gradgrad=True)
    check(lambda T, x: F(T).layer_norm(x, ns, eps=1e-2), [X4])


def test_layer_norm_float64_and_grad_fn():
    check(lambda T, x, w: F(T).layer_norm(x, (2,), w), [X4.astype(np.float64),
                                                          np.array([1.5, -0.5])],
          gradgrad=True)
    for T in (torch, ember):
        x = T.tensor(X4, requires_grad=True)
        assert type(F(T).layer_norm(x, (2,)).grad_fn).__name__ == "NativeLayerNormBackward0"


@pytest.mark.parametrize("fn", [
    lambda T: F(T).layer_norm(T.randn(2, 4), (3,)),
    lambda T: F(T).layer_norm(T.randn(2, 4), (4,), T.ones(3)),
    lambda T: F(T).layer_norm(T.randn(2, 4), (4,), None, T.ones(3)),
    lambda T: F(T).layer_norm(T.randn(2, 4), (2, 4, 4)),
    lambda T: F(T).layer_norm(T.randn(2, 4).int(), (4,)),
    lambda T: F(T).layer_norm(T.randn(2, 4), (4,), T.ones(4, dtype=T.float64)),
    lambda T: F(T).layer_norm(T.randn(2, 4).double(), (4,), T.ones(4)),
])
def test_layer_norm_errors(fn):
    check_raises(fn)


def test_layer_norm_module():
    x = random_array((3, 4, 6), seed=9)
    for kw in ({}, dict(elementwise_affine=False), dict(bias=False), dict(eps=1e-3)):
        def build(T, kw=kw):
            m = T.nn.LayerNorm([4, 6], **kw)
            if m.weight is not None:
                with T.no_grad():
                    m.weight.normal_()
            return m
        module_parity(build, [x])
    module_parity(lambda T: T.nn.LayerNorm(6), [x])


def test_rms_norm():
    w = random_array((5, 2), seed=10)
    check(lambda T, x, w: F(T).rms_norm(x, (5, 2), w), [X4, w], gradgrad=True)
    check(lambda T, x: F(T).rms_norm(x, [2], eps=0.1), [X4])
    check(lambda T, x: F(T).rms_norm(x, (2,)), [X4.astype(np.float64)])
    check_raises(lambda T: F(T).rms_norm(T.randn(2, 4), 4))
    check_raises(lambda T: F(T).layer_norm(T.randn(2, 4), 4))
    check_raises(lambda T: F(T).layer_norm(T.randn(2, 4), [4.0]))
    check_raises(lambda T: F(T).rms_norm(T.randn(2, 4), (3,)))
    x = random_array((3, 7), seed=11)
    module_parity(lambda T: T.nn.RMSNorm(7), [x])
    module_parity(lambda T: T.nn.RMSNorm([7], eps=1e-3, elementwise_affine=False), [x])
    for T in (torch, ember):
        assert type(T.nn.RMSNorm(7)(T.tensor(x)).grad_fn).__name__ == "MulBackward0"


def test_group_norm():
    x = random_array((3, 6, 4), seed=12) * 2 + 1
    w, b = random_array((6,), seed=13), random_array((6,), seed=14)
    for g in (1, 2, 3, 6):
        check(lambda T, x, w, b: F(T).group_norm(x, g, w, b), [x, w, b], gradgrad=g == 3)
    check(lambda T, x: F(T).group_norm(x, 2, eps=1e-2), [X4.repeat(2, axis=1)])
    for T in (torch, ember):
        xx = T.tensor(x, requires_grad=True)
        assert type(F(T).group_norm(xx, 2).grad_fn).__name__ == "NativeGroupNormBackward0"


@pytest.mark.parametrize("fn", [
    lambda T: F(T).group_norm(T.randn(2, 6, 3), 4),
    lambda T: F(T).group_norm(T.randn(2, 6, 3), 3, T.ones(5)),
    lambda T: F(T).group_norm(T.randn(2, 6, 3), 3, T.ones(6), T.ones(5)),
    lambda T: F(T).group_norm(T.randn(2, 6, 3), 3, None, T.ones(5)),
    lambda T: F(T).group_norm(T.randn(1, 2), 2),
    lambda T: F(T).group_norm(T.randn(4), 2),
    lambda T: T.nn.GroupNorm(4, 6),
])
def test_group_norm_errors(fn):
    check_raises(fn)


def test_group_norm_module():
    x = random_array((2, 6, 3, 2), seed=15)

    def build(T):
        m = T.nn.GroupNorm(3, 6)
        with T.no_grad():
            m.weight.normal_()
            m.bias.normal_()
        return m
    module_parity(build, [x])
    module_parity(lambda T: T.nn.GroupNorm(2, 6, affine=False, eps=1e-3), [x])
    module_parity(lambda T: T.nn.GroupNorm(2, 6, bias=False), [x])


# ---- instance norm ----------------------------------------------------------------------------

def test_instance_norm_functional():
    x = random_array((3, 4, 6), seed=16) * 2
    w, b = random_array((4,), seed=17), random_array((4,), seed=18)
    check(lambda T, x, w, b: F(T).instance_norm(x, weight=w, bias=b), [x, w, b],
          gradgrad=True)

    def with_stats(T, x):
        rm, rv = T.zeros(4) + 0.2, T.ones(4) * 1.5
        y = F(T).instance_norm(x, rm, rv, momentum=0.3)
        return y, rm, rv
    check(with_stats, [x])

    def eval_stats(T, x):
        rm, rv = T.tensor([0.1, 0.2, 0.3, 0.4]), T.tensor([1.0, 2.0, 0.5, 1.5])
        return F(T).instance_norm(x, rm, rv, use_input_stats=False)
    check(eval_stats, [x])
    check_raises(lambda T: F(T).instance_norm(T.randn(2, 4, 1)))
    check_raises(lambda T: F(T).instance_norm(T.randn(2, 4, 3), T.zeros(3), T.ones(3)))


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (3, 4, 6)), ("InstanceNorm1d", (4, 6)),
                                       ("InstanceNorm2d", (2, 4, 3, 3)),
                                       ("InstanceNorm3d", (2, 4, 2, 3, 2))])
def test_instancenorm_modules(cls, shape):
    x = random_array(shape, seed=19)
    module_parity(lambda T: getattr(T.nn, cls)(4), [x])
    module_parity(lambda T: getattr(T.nn, cls)(4, affine=True, track_running_stats=True), [x],
                  fwd=lambda m, x: [m(x), m(x * 2), m.eval()(x)])


def test_instancenorm_errors_and_warning():
    check_raises(lambda T: T.nn.InstanceNorm1d(4)(T.randn(2, 4, 3, 3)))
    check_raises(lambda T: T.nn.InstanceNorm2d(3, affine=True)(T.randn(2, 4, 3, 3)))
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="does not match num_features"):
            T.nn.InstanceNorm1d(3)(T.randn(2, 4, 5))
    assert repr(ember.nn.InstanceNorm2d(4, affine=True)) == repr(
        torch.nn.InstanceNorm2d(4, affine=True))


# ---- local response norm ----------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2, 7, 5), (2, 7, 3, 4)])
def test_local_response_norm(shape):
    x = random_array(shape, seed=20)
    for size in (1, 2, 3, 4):
        module_parity(lambda T: T.nn.LocalResponseNorm(size, alpha=0.3, beta=0.6, k=1.5), [x])


def test_cross_map_lrn2d():
    # forward only: torch's legacy backward is a hand-written formula (and crashes for size 1);
    # ember differentiates its forward exactly
    x = random_array((2, 7, 3, 2), seed=21)
    for size in (1, 3, 4, 5):
        module_parity(lambda T: T.nn.CrossMapLRN2d(size, alpha=0.5, beta=0.7, k=2), [x],
                      rtol=1e-4, grad=False)
    check_raises(lambda T: T.nn.CrossMapLRN2d(3)(T.randn(2, 3, 4)))
