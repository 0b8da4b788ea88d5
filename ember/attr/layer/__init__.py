"""Layer attribution methods: attributions over a hidden layer's units (LayerGradCam,
LayerActivation, LayerConductance, LayerGradientXActivation, LayerIntegratedGradients)."""
from .grad_cam import LayerGradCam
from .layer_activation import LayerActivation
from .layer_conductance import LayerConductance
from .layer_gradient_x_activation import LayerGradientXActivation
from .layer_integrated_gradients import LayerIntegratedGradients

__all__ = ["LayerGradCam", "LayerActivation", "LayerConductance", "LayerGradientXActivation",
           "LayerIntegratedGradients"]
