"""ember.attr against the methods' mathematical definitions, on small ember models whose
attributions are known in closed form (numbers computed with NumPy, never with ember)."""
import warnings

import numpy as np
import pytest

import ember
import ember.attr as EA
from ember import nn

RNG = np.random.default_rng(0)
W = RNG.standard_normal((6, 4)).astype(np.float32)       # linear model: x @ W + b
B = RNG.standard_normal(4).astype(np.float32)
XN = RNG.standard_normal((5, 6)).astype(np.float32)
TARGETS = [0, 3, 1, 2, 3]


def linear(x):
    return x @ ember.tensor(W) + ember.tensor(B)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(a.detach().numpy() if isinstance(a, ember.Tensor) else a, b,
                               rtol=tol, atol=tol)


def quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


# ---- gradient methods on a linear model ----

def test_saliency_linear_is_abs_weight():
    out = quiet(lambda: EA.Saliency(linear).attribute(ember.tensor(XN), target=TARGETS))
    close(out, np.abs(W[:, TARGETS].T))
    out = quiet(lambda: EA.Saliency(linear).attribute(ember.tensor(XN), target=2, abs=False))
    close(out, np.broadcast_to(W[:, 2], XN.shape))


def test_input_x_gradient_linear():
    out = quiet(lambda: EA.InputXGradient(linear).attribute(ember.tensor(XN), target=TARGETS))
    close(out, XN * W[:, TARGETS].T)


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid", "riemann_left",
                                    "riemann_right", "riemann_middle"])
@pytest.mark.parametrize("baselines", [None, 0.5, "tensor"])
def test_integrated_gradients_linear_exact(method, baselines):
    # a constant gradient integrates to (x - x') * w * (sum of the rule's step sizes): 1,
    # except Captum's trapezoid rule, whose n steps of 1/n (halved at the ends) sum to 1 - 1/n
    scale = 1 - 1 / 7 if method == "riemann_trapezoid" else 1.0
    b = RNG.standard_normal((1, 6)).astype(np.float32) if baselines == "tensor" else baselines
    bt = ember.tensor(b) if baselines == "tensor" else b
    attr, delta = EA.IntegratedGradients(linear).attribute(
        ember.tensor(XN), baselines=bt, target=TARGETS, method=method, n_steps=7,
        return_convergence_delta=True)
    ref = 0.0 if b is None else b
    close(attr, (XN - ref) * W[:, TARGETS].T * scale)
    # the delta is the completeness error: sum(attr) - (f(x) - f(x'))
    f = lambda z: (z @ W + B)[np.arange(5), TARGETS]
    diff = f(XN) - f(np.broadcast_to(np.asarray(ref, np.float32), XN.shape))
    close(delta, diff * scale - diff, tol=1e-4)


def test_integrated_gradients_not_multiplied_is_mean_gradient():
    attr = EA.IntegratedGradients(linear, multiply_by_inputs=False).attribute(
        ember.tensor(XN), target=1, n_steps=5)
    close(attr, np.broadcast_to(W[:, 1], XN.shape))


def test_integrated_gradients_quadratic_closed_form():
    # f(x) = sum(x^2): IG from 0 is x^2, exactly for the midpoint rule (the integrand
    # 2 alpha x^2 is linear in alpha) and for gauss-legendre
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    f = lambda z: (z * z).sum(1)
    attr = EA.IntegratedGradients(f).attribute(ember.tensor(x), n_steps=4,
                                               method="riemann_middle")
    close(attr, x * x)
    attr = EA.IntegratedGradients(f).attribute(ember.tensor(x), n_steps=2)
    close(attr, x * x)


def test_integrated_gradients_completeness_delta_shrinks():
    # a non-linear model: |delta| is the completeness error, and it falls with n_steps
    x = ember.tensor(XN)
    f = lambda z: ember.tanh(z @ ember.tensor(W) * 1.5) ** 2
    ig = EA.IntegratedGradients(f)
    prev = None
    for n in (4, 16, 64):
        attr, delta = ig.attribute(x, target=TARGETS, n_steps=n, method="riemann_trapezoid",
                                   return_convergence_delta=True)
        fx = np.tanh(XN @ W * 1.5) ** 2
        err = attr.detach().numpy().sum(1) - (fx[np.arange(5), TARGETS] - 0.0)
        close(delta, err, tol=1e-4)     # the reported delta is the completeness error
        size = float(np.abs(err).max())
        if prev is not None:
            assert size < prev / 3
        prev = size
    gl = ig.attribute(x, target=TARGETS, n_steps=16, return_convergence_delta=True)[1]
    assert float(gl.abs().max()) < 1e-3  # gauss-legendre converges fast


def test_integrated_gradients_internal_batch_matches_unbatched():
    f = lambda z: ember.sin(z @ ember.tensor(W))
    x = ember.tensor(XN)
    ref = EA.IntegratedGradients(f).attribute(x, target=2, n_steps=9)
    with pytest.warns(UserWarning, match="Internal batch size cannot be less"):
        small = EA.IntegratedGradients(f).attribute(x, target=2, n_steps=9,
                                                    internal_batch_size=3)
    close(small, ref.detach().numpy())
    close(EA.IntegratedGradients(f).attribute(x, target=2, n_steps=9, internal_batch_size=20),
          ref.detach().numpy())


def test_noise_tunnel_on_linear_saliency():
    # the gradient of a linear model ignores the noise
    nt = EA.NoiseTunnel(EA.Saliency(linear))
    x = ember.tensor(XN)
    w = np.abs(W[:, TARGETS].T)
    for nt_type, ref in (("smoothgrad", w), ("smoothgrad_sq", w * w),
                         ("vargrad", np.zeros_like(w))):
        out = nt.attribute(x, nt_type=nt_type, nt_samples=4, stdevs=0.5, target=TARGETS)
        close(out, ref)


def test_noise_tunnel_draws_torch_noise():
    # smoothgrad of InputXGradient on a linear model = mean(noisy x) * w: the noisy inputs are
    # x + normal(0, stdev) drawn exactly as torch draws them after the same seed
    import torch
    torch.manual_seed(5)
    noise = torch.normal(0, torch.tensor(0.3).repeat((10, 6))).numpy()
    ember.manual_seed(5)
    out = EA.NoiseTunnel(EA.InputXGradient(linear)).attribute(
        ember.tensor(XN), nt_samples=2, stdevs=0.3, target=1)
    noisy = np.repeat(XN, 2, axis=0) + noise
    close(out, noisy.reshape(5, 2, 6).mean(1) * W[:, 1])


# ---- perturbation methods ----

def test_feature_ablation_linear():
    # ablating feature j of a linear model changes the output by (x_j - baseline) * w_j
    out = EA.FeatureAblation(linear).attribute(ember.tensor(XN), target=TARGETS, baselines=0.25)
    close(out, (XN - 0.25) * W[:, TARGETS].T)
    grouped = EA.FeatureAblation(linear).attribute(
        ember.tensor(XN), target=1, feature_mask=ember.tensor([[0, 0, 1, 1, 1, 2]]),
        perturbations_per_eval=2)
    per = XN * W[:, 1]
    groups = [per[:, :2].sum(1), per[:, 2:5].sum(1), per[:, 5]]
    close(grouped, np.stack([groups[0]] * 2 + [groups[1]] * 3 + [groups[2]], 1))


def _region_model(x):
    # looks only at rows 2-3, cols 3-4 of channel 1
    return x[:, 1, 2:4, 3:5].sum((1, 2)) * 2.0


def test_occlusion_region_model():
    x = RNG.standard_normal((2, 3, 6, 7)).astype(np.float32)
    one = EA.Occlusion(_region_model).attribute(ember.tensor(x), sliding_window_shapes=(1, 1, 1))
    ref = np.zeros_like(x)
    ref[:, 1, 2:4, 3:5] = 2.0 * x[:, 1, 2:4, 3:5]
    close(one, ref)
    # 2x2 windows with stride 1: each element averages the drops of the windows covering it
    two = EA.Occlusion(_region_model).attribute(ember.tensor(x), sliding_window_shapes=(1, 2, 2),
                                                perturbations_per_eval=7)
    total, count = np.zeros_like(x), np.zeros(x.shape[1:])
    for c in range(3):
        for i in range(5):
            for j in range(6):
                m = np.zeros(x.shape[1:], np.float32)
                m[c, i:i + 2, j:j + 2] = 1
                drop = 2.0 * (x * m)[:, 1, 2:4, 3:5].sum((1, 2))
                total += drop[:, None, None, None] * m
                count += m
    close(two, total / count)


def test_occlusion_clipped_last_window():
    # 5 wide, window 3, stride 3: positions 0 and 3 (the second clipped to cols 3-4)
    f = lambda x: (x * ember.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum(-1)
    x = np.ones((1, 5), np.float32)
    out = EA.Occlusion(f).attribute(ember.tensor(x), sliding_window_shapes=(3,), strides=3)
    close(out, [[6.0, 6.0, 6.0, 9.0, 9.0]])


def test_progress_bar(capsys):
    pytest.importorskip("tqdm")
    EA.FeatureAblation(linear).attribute(ember.tensor(XN), target=0, show_progress=True)
    assert "Feature Ablation attribution" in capsys.readouterr().err


# ---- layer methods ----

class ConvHead(nn.Module):
    """conv (hand-set) -> per-channel weights -> sum: the gradient at the conv output is the
    constant head weight, so Grad-CAM and friends have closed forms."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, bias=False)
        with ember.no_grad():
            self.conv.weight.copy_(ember.tensor(KERNEL))

    def forward(self, x):
        a = self.conv(x)
        return (a * ember.tensor(HEAD).view(1, 3, 1, 1)).sum((1, 2, 3)).unsqueeze(1)


KERNEL = RNG.standard_normal((3, 2, 3, 3)).astype(np.float32)
HEAD = np.array([0.5, -1.0, 2.0], np.float32)
XI = RNG.standard_normal((2, 2, 5, 5)).astype(np.float32)


def _conv_np(x):
    out = np.zeros((x.shape[0], 3, 3, 3), np.float32)
    for i in range(3):
        for j in range(3):
            out[:, :, i, j] = np.einsum("nchw,ochw->no", x[:, :, i:i + 3, j:j + 3], KERNEL)
    return out


def test_layer_activation_and_grad_cam():
    m = ConvHead()
    act = _conv_np(XI)
    close(EA.LayerActivation(m, m.conv).attribute(ember.tensor(XI)), act, tol=1e-4)
    cam = EA.LayerGradCam(m, m.conv).attribute(ember.tensor(XI), target=0)
    close(cam, (act * HEAD[None, :, None, None]).sum(1, keepdims=True), tol=1e-4)
    cam = EA.LayerGradCam(m, m.conv).attribute(ember.tensor(XI), target=0,
                                               relu_attributions=True)
    close(cam, np.maximum((act * HEAD[None, :, None, None]).sum(1, keepdims=True), 0), tol=1e-4)
    up = EA.LayerAttribution.interpolate(cam, (6, 6))
    close(up, cam.detach().numpy().repeat(2, 2).repeat(2, 3), tol=1e-6)


def test_layer_gradient_x_activation_and_conductance():
    m = ConvHead()
    act = _conv_np(XI)
    gxa = EA.LayerGradientXActivation(m, m.conv).attribute(ember.tensor(XI), target=0)
    close(gxa, act * HEAD[None, :, None, None], tol=1e-4)
    # a linear layer's conductance is its gradient x activation (baseline 0 gives act 0) when
    # the path points run from alpha 0 to 1 (trapezoid); gauss-legendre's nodes stop short
    cond = EA.LayerConductance(m, m.conv).attribute(ember.tensor(XI), target=0, n_steps=5,
                                                    method="riemann_trapezoid")
    close(cond, act * HEAD[None, :, None, None], tol=1e-4)
    a0, a1 = np.polynomial.legendre.leggauss(6)[0][[0, -1]] * 0.5 + 0.5
    cond = EA.LayerConductance(m, m.conv).attribute(ember.tensor(XI), target=0, n_steps=5)
    close(cond, act * HEAD[None, :, None, None] * (a1 - a0), tol=1e-4)
    lig = EA.LayerIntegratedGradients(m, m.conv).attribute(ember.tensor(XI), target=0,
                                                           n_steps=5)
    close(lig, act * HEAD[None, :, None, None], tol=1e-4)


def test_deep_lift_linear_and_relu():
    # no non-linear module: DeepLift = (x - x') * gradient; on relu(x) the rescale rule
    # gives relu(x) - relu(x') exactly (completeness through the ReLU)
    lin = nn.Linear(6, 4)
    with ember.no_grad():
        lin.weight.copy_(ember.tensor(W.T))
        lin.bias.copy_(ember.tensor(B))
    out = quiet(lambda: EA.DeepLift(lin).attribute(ember.tensor(XN), target=TARGETS))
    close(out, XN * W[:, TARGETS].T)
    seq = nn.Sequential(nn.ReLU())
    x = np.array([[1.5, -2.0, 0.5, 3.0]], np.float32)
    b = np.array([[0.5, 1.0, -1.0, 0.0]], np.float32)
    out = quiet(lambda: EA.DeepLift(nn.Sequential(nn.Identity(), seq)).attribute(
        ember.tensor(x), baselines=ember.tensor(b), target=2))
    ref = np.zeros_like(x)
    ref[0, 2] = max(x[0, 2], 0) - max(b[0, 2], 0)
    close(out, ref)


def test_guided_backprop_rectifies_relu_gradient():
    # y = relu(x) @ v: the gradient is v * (x > 0); guided backprop keeps it only where v > 0,
    # deconvolution passes relu(v) everywhere
    v = np.array([1.0, -2.0, 3.0, -4.0], np.float32)

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.relu = nn.ReLU()

        def forward(self, x):
            return (self.relu(x) * ember.tensor(v)).sum(1, keepdim=True)

    x = np.array([[1.0, 2.0, -3.0, 4.0]], np.float32)
    with pytest.warns(UserWarning, match="Setting backward hooks on ReLU activations"):
        gb = EA.GuidedBackprop(M()).attribute(ember.tensor(x).requires_grad_(), target=0)
    close(gb, [[1.0, 0.0, 0.0, 0.0]])
    with pytest.warns(UserWarning):
        dc = EA.Deconvolution(M()).attribute(ember.tensor(x).requires_grad_(), target=0)
    close(dc, [[1.0, 0.0, 3.0, 0.0]])


# ---- formatting, targets, warnings ----

def test_tuple_inputs_give_tuples_and_additional_args():
    f = lambda a, b, s: (a @ ember.tensor(W) + b @ ember.tensor(W)) * s
    a, b = ember.tensor(XN), ember.tensor(XN * 2)
    s = ember.tensor(np.arange(1, 6, dtype=np.float32)[:, None])
    out = EA.IntegratedGradients(f).attribute((a, b), target=1, n_steps=3,
                                              additional_forward_args=(s,))
    assert isinstance(out, tuple) and len(out) == 2
    scale = np.arange(1, 6, dtype=np.float32)[:, None]
    close(out[0], XN * W[:, 1] * scale)
    close(out[1], XN * 2 * W[:, 1] * scale)


def test_targets_tuple_and_list_of_tuples():
    f = lambda x: (x @ ember.tensor(W)).reshape(5, 2, 2)
    x = ember.tensor(XN)
    one = quiet(lambda: EA.Saliency(f).attribute(x, target=(1, 0), abs=False))
    close(one, np.broadcast_to(W[:, 2], XN.shape))
    per = quiet(lambda: EA.Saliency(f).attribute(
        x, target=[(0, 0), (0, 1), (1, 0), (1, 1), (0, 1)], abs=False))
    close(per, W[:, [0, 1, 2, 3, 1]].T)


def test_saliency_warns_and_restores_requires_grad():
    x = ember.tensor(XN)
    with pytest.warns(UserWarning, match="Input Tensor 0 did not already require gradients"):
        EA.Saliency(linear).attribute(x, target=0)
    assert not x.requires_grad


def test_integer_input_warning_text_matches_captum():
    captum_gradient = pytest.importorskip("captum._utils.gradient")
    import torch

    from ember.attr._utils.gradient import apply_gradient_requirements
    msgs = []
    for T, fn in ((torch, captum_gradient.apply_gradient_requirements),
                  (ember, apply_gradient_requirements)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            fn((T.ones(2, dtype=T.int64),))
        msgs.append(str(w[0].message))
    assert msgs[0] == msgs[1]


def test_attribution_names():
    assert EA.IntegratedGradients.get_name() == "Integrated Gradients"
    assert EA.LayerGradCam(linear, None).multiplies_by_inputs is False
    assert EA.Occlusion(linear).multiplies_by_inputs is True
    assert EA.IntegratedGradients(linear).has_convergence_delta()
    assert not EA.Saliency(linear).has_convergence_delta()
