"""ember.attr: Captum's attribution methods (captum.attr names and semantics) on ember models.

Gradient methods (Saliency, InputXGradient, IntegratedGradients, GuidedBackprop, DeepLift,
...), perturbation methods (FeatureAblation, Occlusion), layer methods (LayerGradCam,
LayerActivation, LayerConductance, ...), NoiseTunnel around any of them, and `visualization`
(matplotlib, imported when first used).
"""
from ._utils.attribution import (
    Attribution,
    GradientAttribution,
    LayerAttribution,
    NeuronAttribution,
    PerturbationAttribution,
)
from .deep_lift import DeepLift, DeepLiftShap
from .feature_ablation import FeatureAblation
from .guided_backprop import Deconvolution, GuidedBackprop
from .guided_grad_cam import GuidedGradCam
from .input_x_gradient import InputXGradient
from .integrated_gradients import IntegratedGradients
from .layer import (
    LayerActivation,
    LayerConductance,
    LayerGradCam,
    LayerGradientXActivation,
    LayerIntegratedGradients,
)
from .noise_tunnel import NoiseTunnel
from .occlusion import Occlusion
from .saliency import Saliency

__all__ = ["Attribution", "GradientAttribution", "PerturbationAttribution", "LayerAttribution",
           "NeuronAttribution", "IntegratedGradients", "Saliency", "InputXGradient",
           "GuidedBackprop", "Deconvolution", "GuidedGradCam", "FeatureAblation", "Occlusion",
           "NoiseTunnel", "LayerGradCam", "LayerActivation", "LayerConductance",
           "LayerGradientXActivation", "LayerIntegratedGradients", "DeepLift", "DeepLiftShap",
           "visualization"]


def __getattr__(name):
    # visualization needs matplotlib: load it only when asked for
    if name == "visualization":
        import importlib
        mod = importlib.import_module(".visualization", __name__)
        globals()["visualization"] = mod
        return mod
    raise AttributeError(f"module 'ember.attr' has no attribute '{name}'")
