"""nn.init (draws bit-identical to torch after the same seed) and nn.utils (clip_grad_*,
parameters_to_vector / vector_to_parameters) against torch."""
import math

import numpy as np
import pytest
import torch

import ember
from oracle import assert_same, check_raises, to_np


def _same_fill(fn, shape=(5, 4, 3), seed=0, exact=True):
    res = {}
    for T in (torch, ember):
        T.manual_seed(seed)
        t = T.empty(*shape)
        r = fn(T, t)
        assert r is t
        res[T] = (to_np(t), T.rand(3).numpy())  # the generator advanced by the same amount
    if exact:
        np.testing.assert_array_equal(res[ember][0], res[torch][0])
    else:
        np.testing.assert_allclose(res[ember][0], res[torch][0], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(res[ember][1], res[torch][1])


INITS = [
    ("uniform", lambda T, t: T.nn.init.uniform_(t, -0.3, 0.7)),
    ("normal", lambda T, t: T.nn.init.normal_(t, 0.5, 2.0)),
    ("constant", lambda T, t: T.nn.init.constant_(t, 0.25)),
    ("ones", lambda T, t: T.nn.init.ones_(t)),
    ("zeros", lambda T, t: T.nn.init.zeros_(t)),
    ("xavier_uniform", lambda T, t: T.nn.init.xavier_uniform_(t, gain=2.0)),
    ("xavier_normal", lambda T, t: T.nn.init.xavier_normal_(t)),
    ("kaiming_uniform", lambda T, t: T.nn.init.kaiming_uniform_(t, a=math.sqrt(5))),
    ("kaiming_uniform_fan_out_relu", lambda T, t: T.nn.init.kaiming_uniform_(
        t, mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal", lambda T, t: T.nn.init.kaiming_normal_(t, a=0.1, mode="fan_in")),
    ("kaiming_normal_tanh", lambda T, t: T.nn.init.kaiming_normal_(t, nonlinearity="tanh")),
    ("dirac", lambda T, t: T.nn.init.dirac_(t)),
]


@pytest.mark.parametrize("name,fn", INITS, ids=[i[0] for i in INITS])
def test_init_bit_identical(name, fn):
    _same_fill(fn)
    _same_fill(fn, shape=(64, 33), seed=3) if name != "dirac" else None


def test_init_generator_argument():
    res = {}
    for T in (torch, ember):
        g = T.Generator().manual_seed(11)
        t = T.empty(7, 3)
        T.nn.init.uniform_(t, generator=g)
        T.nn.init.normal_(t, generator=g)
        res[T] = to_np(t)
    np.testing.assert_array_equal(res[ember], res[torch])


def test_trunc_normal():
    # both of torch's rejection schemes: redrawn normals (wide interval), uniform proposals
    _same_fill(lambda T, t: T.nn.init.trunc_normal_(t, 0.1, 0.5, -0.3, 0.8), (50, 40))
    _same_fill(lambda T, t: T.nn.init.trunc_normal_(t), (64, 8))
    _same_fill(lambda T, t: T.nn.init.trunc_normal_(t, 0.0, 1.0, 0.5, 0.7), (30, 20))
    _same_fill(lambda T, t: T.nn.init.trunc_normal_(t, 0.0, 0.02, -0.04, 0.04), (16, 16))
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="mean is more than 2 std from"):
            T.nn.init.trunc_normal_(T.empty(3), mean=10.0)


def test_eye_dirac_groups_orthogonal_sparse():
    _same_fill(lambda T, t: T.nn.init.eye_(t), (3, 5))
    _same_fill(lambda T, t: T.nn.init.dirac_(t, groups=2), (4, 3, 3, 3))
    _same_fill(lambda T, t: T.nn.init.dirac_(t), (2, 3, 3))
    _same_fill(lambda T, t: T.nn.init.orthogonal_(t, gain=1.5), (6, 4), exact=False)
    _same_fill(lambda T, t: T.nn.init.orthogonal_(t), (3, 8), exact=False)
    _same_fill(lambda T, t: T.nn.init.sparse_(t, 0.3), (6, 4))


def test_calculate_gain_and_fans():
    for args in (("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                 ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu",)):
        assert ember.nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    check_raises(lambda T: T.nn.init.calculate_gain("foo"))
    check_raises(lambda T: T.nn.init.calculate_gain("leaky_relu", True))
    for shape in ((3, 4), (3, 4, 5), (2, 3, 4, 5)):
        assert ember.nn.init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    check_raises(lambda T: T.nn.init._calculate_fan_in_and_fan_out(T.empty(3)))
    check_raises(lambda T: T.nn.init.kaiming_uniform_(T.empty(3, 3), mode="fan"))
    check_raises(lambda T: T.nn.init.eye_(T.empty(3)))
    check_raises(lambda T: T.nn.init.dirac_(T.empty(3, 3)))
    check_raises(lambda T: T.nn.init.dirac_(T.empty(3, 3, 3), groups=2))
    check_raises(lambda T: T.nn.init.orthogonal_(T.empty(3)))
    check_raises(lambda T: T.nn.init.sparse_(T.empty(3, 3, 3), 0.1))
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            T.nn.init.kaiming_uniform_(T.empty(0, 3))


def test_init_on_parameter_keeps_grad_state():
    for T in (torch, ember):
        p = T.nn.Parameter(T.empty(3, 3))
        T.nn.init.xavier_uniform_(p)
        assert p.requires_grad and p.grad_fn is None


def test_default_layer_inits_match_torch():
    def make(T):
        return T.nn.Sequential(T.nn.Conv2d(3, 8, 3), T.nn.Conv1d(2, 3, 4, bias=False),
                               T.nn.ConvTranspose2d(4, 2, 3, groups=2), T.nn.Linear(7, 5),
                               T.nn.Bilinear(3, 4, 2), T.nn.PReLU(3), T.nn.Conv3d(1, 2, 2))
    sd = {}
    for T in (torch, ember):
        T.manual_seed(42)
        sd[T] = make(T).state_dict()
    for k in sd[torch]:
        np.testing.assert_array_equal(to_np(sd[ember][k]), to_np(sd[torch][k]), err_msg=k)


def _params_with_grads(T, scale=1.0):
    rng = np.random.default_rng(0)
    ps = []
    for s in ((3, 4), (5,), (2, 2, 2)):
        p = T.nn.Parameter(T.tensor(rng.standard_normal(s).astype(np.float32)))
        p.grad = T.tensor((rng.standard_normal(s) * scale).astype(np.float32))
        ps.append(p)
    ps.append(T.nn.Parameter(T.ones(2)))  # no grad
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm(norm_type, max_norm):
    res = {}
    for T in (torch, ember):
        ps = _params_with_grads(T)
        total = T.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
        res[T] = (total, [p.grad for p in ps[:3]])
    assert_same(res[ember][0], res[torch][0])
    for a, b in zip(res[ember][1], res[torch][1]):
        assert_same(a, b)


def test_clip_grad_norm_variants_and_errors():
    for T in (torch, ember):
        p = T.nn.Parameter(T.ones(3))
        p.grad = T.tensor([3.0, 4.0, 0.0])
        t = T.nn.utils.clip_grad_norm_(p, 1.0, foreach=True)
        assert abs(float(t) - 5.0) < 1e-6
        assert abs(float(p.grad.norm()) - 1.0) < 1e-4
        assert float(T.nn.utils.clip_grad_norm_([], 1.0)) == 0.0
        with pytest.warns(UserWarning, match="empty generator"):
            T.nn.utils.clip_grad_norm_((q for q in []), 1.0)
        with pytest.warns(FutureWarning):
            T.nn.utils.clip_grad_norm([p], 1.0)

    def nonfinite(T):
        p = T.nn.Parameter(T.ones(2))
        p.grad = T.tensor([float("inf"), 1.0])
        T.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    check_raises(nonfinite)


def test_clip_grad_value():
    res = {}
    for T in (torch, ember):
        ps = _params_with_grads(T, scale=3.0)
        assert T.nn.utils.clip_grad_value_(ps, 1.5) is None
        res[T] = [p.grad for p in ps[:3]]
    for a, b in zip(res[ember], res[torch]):
        assert_same(a, b)


def test_parameters_vector_roundtrip():
    res = {}
    for T in (torch, ember):
        T.manual_seed(0)
        m = T.nn.Sequential(T.nn.Linear(3, 2), T.nn.Linear(2, 1))
        v = T.nn.utils.parameters_to_vector(m.parameters())
        T.nn.utils.vector_to_parameters(v * 2, m.parameters())
        res[T] = (v, [p.detach().clone() for p in m.parameters()], v.grad_fn is not None)
    assert_same(res[ember][0].detach(), res[torch][0].detach())
    for a, b in zip(res[ember][1], res[torch][1]):
        assert_same(a, b)
    assert res[ember][2] == res[torch][2]
    check_raises(lambda T: T.nn.utils.vector_to_parameters([1.0], []))
