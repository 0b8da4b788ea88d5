"""ember.attr against Captum on the oracle: the seed's CIFAR LeNet (torch.nn and ember.nn with
the same weights), (N, 3, 32, 32) inputs, every method and its main options. Attributions,
deltas and the warnings raised must agree (float32 tolerance)."""
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.attr as EA

from ._helpers import assert_close, images, lenet_pair, run_both

captum_attr = pytest.importorskip("captum.attr")


@pytest.fixture(scope="module")
def nets():
    # one torch thread: the machine's cores are shared, and torch's pool only oversubscribes
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield {"plain": lenet_pair(), "relu": lenet_pair(relu_modules=True),
            "deeplift": lenet_pair(relu_modules=True, two_pools=True)}
    torch.set_num_threads(threads)


def model(T, nets, kind="plain"):
    tm, em = nets[kind]
    return tm if T is torch else em


X = images(2)
TARGETS = {"int": 3, "list": [1, 9], "tensor": np.array([2, 7])}


def tgt(T, name):
    t = TARGETS[name]
    return T.tensor(t) if isinstance(t, np.ndarray) else t


# ---- gradient methods ----

@pytest.mark.parametrize("target", ["int", "list", "tensor"])
@pytest.mark.parametrize("abs_", [True, False])
def test_saliency(nets, target, abs_):
    run_both(lambda T, A: A.Saliency(model(T, nets)).attribute(
        T.tensor(X), target=tgt(T, target), abs=abs_))


def test_saliency_input_already_requires_grad(nets):
    # no "did not already require gradients" warning, and requires_grad stays on
    def fn(T, A):
        x = T.tensor(X).requires_grad_()
        out = A.Saliency(model(T, nets)).attribute(x, target=1)
        assert x.requires_grad
        return out
    run_both(fn)


def test_input_x_gradient(nets):
    run_both(lambda T, A: A.InputXGradient(model(T, nets)).attribute(
        T.tensor(X), target=tgt(T, "list")))


# NOTE: a constant image (a scalar baseline at alpha = 0) gives exactly tied max-pool windows,
# where the gradient's route depends on the last bit of the conv output; rules that evaluate
# alpha = 0 (trapezoid, left) therefore get a random tensor baseline.
IG_CASES = {
    "gausslegendre": (dict(n_steps=8), "int"),
    "gausslegendre-scalar-baseline": (dict(n_steps=6, baselines=0.5), "list"),
    "trapezoid": (dict(n_steps=7, method="riemann_trapezoid", baselines="tensor1"), "list"),
    "left": (dict(n_steps=5, method="riemann_left", baselines="tensorN"), "tensor"),
    "middle": (dict(n_steps=5, method="riemann_middle"), "list"),
    "right-tensor-baseline": (dict(n_steps=5, method="riemann_right", baselines="tensor1"),
                              "int"),
    "full-baseline": (dict(n_steps=4, baselines="tensorN"), "list"),
    "internal-batch": (dict(n_steps=7, internal_batch_size=5), "list"),
    "internal-batch-trapezoid": (dict(n_steps=6, internal_batch_size=4,
                                      method="riemann_trapezoid", baselines="tensor1"), "int"),
}


def _baseline(T, b):
    if b == "tensor1":
        return T.tensor(images(1, seed=5) * 0.1)
    if b == "tensorN":
        return T.tensor(images(2, seed=6) * 0.1)
    return b


@pytest.mark.parametrize("case", list(IG_CASES))
def test_integrated_gradients(nets, case):
    kw, target = IG_CASES[case]

    def fn(T, A):
        k = dict(kw)
        if "baselines" in k:
            k["baselines"] = _baseline(T, k["baselines"])
        return A.IntegratedGradients(model(T, nets)).attribute(T.tensor(X), target=tgt(
            T, target), return_convergence_delta=True, **k)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # internal-batch warns (compared in its own test)
        (ea, ed), (ta, td) = fn(ember, EA), fn(torch, captum_attr)
    assert_close(ea, ta)
    assert_close(ed, td, atol_rel=1e-3)


def test_integrated_gradients_batch_warning(nets):
    run_both(lambda T, A: A.IntegratedGradients(model(T, nets)).attribute(
        T.tensor(X), target=1, n_steps=4, internal_batch_size=2))


def test_integrated_gradients_not_multiplied(nets):
    run_both(lambda T, A: A.IntegratedGradients(model(T, nets), multiply_by_inputs=False)
             .attribute(T.tensor(X), target=tgt(T, "tensor"), n_steps=7))


def test_integrated_gradients_tuple_inputs_and_args(nets):
    # two inputs and an additional tensor argument expanded with the steps
    y, scale = images(2, seed=9), np.array([[0.5], [2.0]], dtype=np.float32)

    def fn(T, A):
        net = model(T, nets)
        f = lambda a, b, s: (net(a) + 0.5 * net(b)) * s
        return A.IntegratedGradients(f).attribute(
            (T.tensor(X), T.tensor(y)), baselines=(0.0, T.tensor(y) * 0.5),
            additional_forward_args=(T.tensor(scale),), target=[0, 2], n_steps=4)
    run_both(fn)


# ---- guided methods (need nn.ReLU modules) ----

@pytest.mark.parametrize("cls", ["GuidedBackprop", "Deconvolution"])
def test_guided_backprop_deconvolution(nets, cls):
    e, t = run_both(lambda T, A: getattr(A, cls)(model(T, nets, "relu")).attribute(
        T.tensor(X), target=tgt(T, "list")))
    # the ReLU hooks really act: the result is not the plain gradient, and they are removed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = captum_attr.Saliency(nets["relu"][0]).attribute(
            torch.tensor(X), target=[1, 9], abs=False)
    assert not np.allclose(plain.numpy(), t.numpy())
    em = nets["relu"][1]
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in em.modules())


def test_guided_backprop_no_relu_modules_is_gradient(nets):
    # the seed's Net applies F.relu: nothing is hooked, guided backprop = gradient
    run_both(lambda T, A: A.GuidedBackprop(model(T, nets)).attribute(T.tensor(X), target=2))


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_guided_grad_cam(nets, mode):
    def fn(T, A):
        net = model(T, nets, "relu")
        return A.GuidedGradCam(net, net.conv2).attribute(T.tensor(X), target=tgt(T, "list"),
                                                         interpolate_mode=mode)
    run_both(fn)


# ---- perturbation methods ----

OCC_CASES = {
    # the tutorial's window and strides: the last window hangs over the edge (clipped)
    "tutorial": (dict(sliding_window_shapes=(3, 15, 15), strides=(3, 8, 8), baselines=0),
                 "int"),
    "per-channel": (dict(sliding_window_shapes=(1, 12, 12), strides=(1, 10, 10),
                         perturbations_per_eval=9), "list"),
    "ppe-scalar-baseline": (dict(sliding_window_shapes=(3, 8, 8), strides=(3, 8, 8),
                                 baselines=0.25, perturbations_per_eval=5), "list"),
    "tensor-baseline": (dict(sliding_window_shapes=(2, 16, 16), strides=(1, 16, 16),
                             baselines="tensor1", perturbations_per_eval=4), "int"),
}


@pytest.mark.parametrize("case", list(OCC_CASES))
def test_occlusion(nets, case):
    kw, target = OCC_CASES[case]

    def fn(T, A):
        k = dict(kw)
        if "baselines" in k:
            k["baselines"] = _baseline(T, k["baselines"])
        return A.Occlusion(model(T, nets)).attribute(T.tensor(X), target=tgt(T, target), **k)
    run_both(fn)


def _patch_mask(patch=16):
    # one feature per (patch x patch) square, shared by the three channels
    ids = np.arange(32 // patch)
    return (ids[:, None] * (32 // patch) + ids[None, :]).repeat(patch, 0).repeat(patch, 1)[
        None, None].repeat(3, axis=1)


@pytest.mark.parametrize("ppe", [1, 3])
def test_feature_ablation_mask(nets, ppe):
    mask = _patch_mask()
    run_both(lambda T, A: A.FeatureAblation(model(T, nets)).attribute(
        T.tensor(X), target=tgt(T, "list"), feature_mask=T.tensor(mask),
        perturbations_per_eval=ppe, baselines=T.tensor(images(1, seed=3))))


def test_feature_ablation_per_example_mask(nets):
    mask = np.stack([_patch_mask(16)[0], _patch_mask(32)[0] + 2])
    run_both(lambda T, A: A.FeatureAblation(model(T, nets)).attribute(
        T.tensor(X), target=4, feature_mask=T.tensor(mask), baselines=-0.5))


def test_feature_ablation_default_mask_small():
    # every scalar its own feature, two inputs, features numbered across them
    w = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)

    def fn(T, A):
        wt = T.tensor(w)
        f = lambda a, b: T.tanh(a @ wt[:3]) + b @ wt[3:]
        x = (T.tensor(images(2)[:, 0, 0, :3]), T.tensor(images(2)[:, 1, 0, :2]))
        return A.FeatureAblation(f).attribute(x, target=[0, 3], perturbations_per_eval=2)
    run_both(fn)


# ---- NoiseTunnel (the noise is torch's after the same seed) ----

NT_CASES = {
    "saliency-smoothgrad": ("Saliency", dict(nt_type="smoothgrad", nt_samples=4,
                                             stdevs=0.2), {}),
    "ig-smoothgrad_sq-batched": ("IntegratedGradients",
                                 dict(nt_type="smoothgrad_sq", nt_samples=3,
                                      nt_samples_batch_size=2, stdevs=0.1),
                                 dict(n_steps=3, baselines=0.0)),
    "ixg-vargrad": ("InputXGradient", dict(nt_type="vargrad", nt_samples=3, stdevs=0.3), {}),
    "occlusion-vargrad": ("Occlusion", dict(nt_type="vargrad", nt_samples=2, stdevs=0.5),
                          dict(sliding_window_shapes=(3, 16, 16), strides=(3, 16, 16),
                               perturbations_per_eval=4)),
}


@pytest.mark.parametrize("case", list(NT_CASES))
def test_noise_tunnel(nets, case):
    method, nt_kw, kw = NT_CASES[case]
    run_both(lambda T, A: A.NoiseTunnel(getattr(A, method)(model(T, nets))).attribute(
        T.tensor(X), target=tgt(T, "list"), **nt_kw, **kw), seed=7)


def test_noise_tunnel_delta(nets):
    def fn(T, A):
        nt = A.NoiseTunnel(A.IntegratedGradients(model(T, nets)))
        return nt.attribute(T.tensor(X), nt_samples=3, stdevs=0.1, target=2, n_steps=3,
                            return_convergence_delta=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(3)
        ta, td = fn(torch, captum_attr)
        ember.manual_seed(3)
        ea, ed = fn(ember, EA)
    assert_close(ea, ta)
    assert ed.shape == td.shape == (6,)
    assert_close(ed, td, atol_rel=1e-3)


# ---- layer methods ----

@pytest.mark.parametrize("layer,kw", [
    ("conv2", {}), ("conv1", dict(relu_attributions=True)),
    ("conv2", dict(attribute_to_layer_input=True)), ("conv1", dict(attr_dim_summation=False)),
    ("fc1", {})])
def test_layer_grad_cam(nets, layer, kw):
    def fn(T, A):
        net = model(T, nets)
        return A.LayerGradCam(net, getattr(net, layer)).attribute(
            T.tensor(X), target=tgt(T, "list"), **kw)
    run_both(fn)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area"])
def test_layer_attribution_interpolate(nets, mode):
    # the tutorial upsamples the Grad-CAM map to the input's size
    def fn(T, A):
        net = model(T, nets)
        lgc = A.LayerGradCam(net, net.conv2).attribute(T.tensor(X), target=3)
        return A.LayerAttribution.interpolate(lgc, T.tensor(X).shape[2:], mode)
    run_both(fn)


def test_layer_activation(nets):
    def fn(T, A):
        net = model(T, nets)
        one = A.LayerActivation(net, net.conv2).attribute(T.tensor(X))
        inp = A.LayerActivation(net, net.fc1).attribute(T.tensor(X),
                                                       attribute_to_layer_input=True)
        many = A.LayerActivation(net, [net.conv1, net.fc3]).attribute(T.tensor(X))
        return (one, inp, tuple(many))
    run_both(fn)


@pytest.mark.parametrize("layer,kw", [
    ("conv2", dict(n_steps=5)),
    ("conv1", dict(n_steps=4, method="riemann_trapezoid", baselines="tensor1")),
    ("fc1", dict(n_steps=5, internal_batch_size=5)),
    ("fc2", dict(n_steps=3, attribute_to_layer_input=True))])
def test_layer_conductance(nets, layer, kw):
    def fn(T, A):
        net = model(T, nets)
        k = dict(kw)
        if "baselines" in k:
            k["baselines"] = _baseline(T, k["baselines"])
        return A.LayerConductance(net, getattr(net, layer)).attribute(
            T.tensor(X), target=tgt(T, "list"), return_convergence_delta=True, **k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (ea, ed), (ta, td) = fn(ember, EA), fn(torch, captum_attr)
    assert_close(ea, ta)
    assert_close(ed, td, atol_rel=1e-3)


@pytest.mark.parametrize("layer,kw", [
    ("conv2", dict(n_steps=5)), ("fc1", dict(n_steps=4, baselines=0.1,
                                             method="riemann_middle")),
    ("conv1", dict(n_steps=4, attribute_to_layer_input=True, internal_batch_size=4))])
def test_layer_integrated_gradients(nets, layer, kw):
    def fn(T, A):
        net = model(T, nets)
        return A.LayerIntegratedGradients(net, getattr(net, layer)).attribute(
            T.tensor(X), target=tgt(T, "int"), return_convergence_delta=True, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (ea, ed), (ta, td) = fn(ember, EA), fn(torch, captum_attr)
    assert_close(ea, ta)
    assert_close(ed, td, atol_rel=1e-3)


def _branches(T):
    nn = T.nn

    class Branches(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(4, 3), nn.Linear(4, 3)

        def forward(self, x):
            return T.relu(self.a(x)) * self.b(x)

    T.manual_seed(4)
    return Branches()


def test_layer_integrated_gradients_two_layers():
    x = images(2)[:, 0, 0, :4]

    def fn(T, A):
        m = _branches(T)
        return tuple(A.LayerIntegratedGradients(m, [m.a, m.b]).attribute(
            T.tensor(x), target=1, n_steps=4))
    run_both(fn)


def test_layer_integrated_gradients_dependent_layers_error(nets):
    # the second layer's substitute cuts the first out of the graph: autograd's error
    msgs = []
    for T, A in ((torch, captum_attr), (ember, EA)):
        net = model(T, nets)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(RuntimeError) as ex:
                A.LayerIntegratedGradients(net, [net.conv1, net.fc2]).attribute(
                    T.tensor(X), target=1, n_steps=2)
        msgs.append(str(ex.value))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("multiply", [True, False])
def test_layer_gradient_x_activation(nets, multiply):
    def fn(T, A):
        net = model(T, nets)
        return A.LayerGradientXActivation(net, net.fc2, multiply_by_inputs=multiply) \
            .attribute(T.tensor(X), target=tgt(T, "tensor"))
    run_both(fn)


# ---- DeepLift ----

@pytest.mark.parametrize("baselines", ["tensor1", "tensorN"])
def test_deep_lift(nets, baselines):
    # (tensor baselines: a constant one ties the max-pool windows of the baseline pass, see
    # IG_CASES; the default baseline is covered by the closed-form tests)
    def fn(T, A):
        return A.DeepLift(model(T, nets, "deeplift")).attribute(
            T.tensor(X), baselines=_baseline(T, baselines), target=tgt(T, "list"),
            return_convergence_delta=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (ea, ed), (ta, td) = fn(ember, EA), fn(torch, captum_attr)
    assert_close(ea, ta, atol_rel=1e-4)
    assert_close(ed, td, atol_rel=1e-3)


def test_deep_lift_warning(nets):
    run_both(lambda T, A: A.DeepLift(model(T, nets, "deeplift")).attribute(
        T.tensor(X), baselines=_baseline(T, "tensor1"), target=2), atol_rel=1e-4)


def test_deep_lift_shap(nets):
    base = images(3, seed=11) * 0.2
    run_both(lambda T, A: A.DeepLiftShap(model(T, nets, "deeplift")).attribute(
        T.tensor(X), baselines=T.tensor(base), target=6), atol_rel=1e-4)


def test_deep_lift_reused_module_error(nets):
    # the seed's Net calls one MaxPool2d twice: DeepLift refuses, as Captum does
    errs = []
    for T, A in ((torch, captum_attr), (ember, EA)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(RuntimeError) as ex:
                A.DeepLift(model(T, nets, "relu")).attribute(T.tensor(X), target=1)
        errs.append(str(ex.value).replace("torch.nn", "").replace("ember.nn", ""))
    assert errs[0] == errs[1]
    # hooks are gone after the failure
    assert all(not m._forward_hooks for m in nets["relu"][1].modules())


# ---- errors: Captum's assertion messages ----

ERROR_CASES = {
    "no-target": lambda T, A, net: A.Saliency(net).attribute(T.tensor(X)),
    "bad-method": lambda T, A, net: A.IntegratedGradients(net).attribute(
        T.tensor(X), target=1, method="simpson"),
    "target-list-length": lambda T, A, net: A.InputXGradient(net).attribute(
        T.tensor(X), target=[1, 2, 3]),
    "stride": lambda T, A, net: A.Occlusion(net).attribute(
        T.tensor(X), sliding_window_shapes=(1, 3, 3), strides=2, target=0),
    "window-too-big": lambda T, A, net: A.Occlusion(net).attribute(
        T.tensor(X), sliding_window_shapes=(3, 33, 3), target=0),
    "nt-type": lambda T, A, net: A.NoiseTunnel(A.Saliency(net)).attribute(
        T.tensor(X), nt_type="smooth", target=0),
    "nt-stdevs": lambda T, A, net: A.NoiseTunnel(A.Saliency(net)).attribute(
        T.tensor(X), stdevs=1, target=0),
    "baseline-shape": lambda T, A, net: A.IntegratedGradients(net).attribute(
        T.tensor(X), baselines=T.zeros(3, 3, 32, 32), target=0),
    "target-tuple-too-long": lambda T, A, net: A.Saliency(net).attribute(
        T.tensor(X), target=(1, 2)),
    "ppe": lambda T, A, net: A.FeatureAblation(net).attribute(
        T.tensor(X), target=0, perturbations_per_eval=0),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_errors(nets, case):
    msgs = []
    for T, A in ((torch, captum_attr), (ember, EA)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as ex:
                ERROR_CASES[case](T, A, model(T, nets))
        msgs.append((type(ex.value).__name__,
                     str(ex.value).replace("torch.Size", "Size").replace("torch.", "")))
    assert msgs[0] == msgs[1]


# ---- output modes and in-place modules (small models) ----

W42 = np.random.default_rng(1).standard_normal((4, 2)).astype(np.float32)
X4 = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
FORWARDS = {
    # one number for the whole batch (Captum's "aggregation" mode)
    "aggregate": lambda T: lambda z: T.tanh(z @ T.tensor(W42)).sum(),
    # no target: one attribution row per output element
    "multi-output": lambda T: lambda z: T.tanh(z @ T.tensor(W42)),
    # a Python float becomes a float64 tensor
    "python-float": lambda T: lambda z: float(T.tanh(z @ T.tensor(W42)).sum()),
}


@pytest.mark.parametrize("kind", list(FORWARDS))
def test_feature_ablation_output_modes(kind):
    run_both(lambda T, A: A.FeatureAblation(FORWARDS[kind](T)).attribute(T.tensor(X4)))


def test_occlusion_aggregate_output():
    run_both(lambda T, A: A.Occlusion(FORWARDS["aggregate"](T)).attribute(
        T.tensor(X4), sliding_window_shapes=(2,)))


def test_noise_tunnel_feature_ablation_per_example_mask():
    mask = np.array([[0, 0, 1, 1], [0, 1, 1, 2], [2, 2, 2, 0]])
    run_both(lambda T, A: A.NoiseTunnel(A.FeatureAblation(FORWARDS["multi-output"](T)))
             .attribute(T.tensor(X4), nt_samples=3, stdevs=0.2, target=[0, 1, 0],
                        feature_mask=T.tensor(mask), baselines=T.tensor(X4 * 0.5)), seed=2)


def _inplace_mlp(T):
    nn = T.nn
    T.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(inplace=True), nn.Linear(8, 8),
                         nn.ReLU(inplace=True), nn.Linear(8, 3))


@pytest.mark.parametrize("method", ["GuidedBackprop", "Deconvolution", "DeepLift",
                                    "LayerGradCam", "LayerConductance"])
def test_inplace_relu_models(method):
    def fn(T, A):
        m = _inplace_mlp(T)
        if method.startswith("Layer"):
            return getattr(A, method)(m, m[1]).attribute(T.tensor(X4), target=1)
        return getattr(A, method)(m).attribute(T.tensor(X4), target=[0, 1, 2])
    run_both(fn)


def test_occlusion_two_inputs_windows_cross_tensors():
    # one window shape and stride per input; a chunk of perturbations spans both tensors
    a = np.random.default_rng(3).standard_normal((2, 3, 6)).astype(np.float32)
    b = np.random.default_rng(4).standard_normal((2, 5)).astype(np.float32)

    def fn(T, A):
        f = lambda x, y: T.tanh(x.sum(1) @ T.tensor(W42[:, :1].repeat(6, 0)[:6])) + y[:, :1]  # noqa
        return A.Occlusion(f).attribute((T.tensor(a), T.tensor(b)),
                                        sliding_window_shapes=((2, 3), (2,)),
                                        strides=((1, 2), 2), baselines=(0.5, T.tensor(b[:1])),
                                        target=0, perturbations_per_eval=4)
    run_both(fn)
