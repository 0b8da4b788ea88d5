"""Base classes of the attribution methods, with Captum's names: Attribution,
GradientAttribution (completeness-axiom convergence delta), PerturbationAttribution,
LayerAttribution (+ interpolate, to upsample a layer map to the input's size) and
NeuronAttribution.
"""
from __future__ import annotations

from collections.abc import Callable

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops import shape as _shape
from .common import (
    _format_additional_forward_args,
    _format_input_baseline,
    _format_tensor_into_tuples,
    _run_forward,
    _sum_rows,
    _tensorize_baseline,
    _validate_input_basic,
    _validate_target,
)
from .gradient import compute_gradients


class Attribution:
    """Every attribution method: holds the forward function (a model or any callable)."""

    def __init__(self, forward_func: Callable) -> None:
        self.forward_func = forward_func

    @property
    def multiplies_by_inputs(self) -> bool:
        return False

    def has_convergence_delta(self) -> bool:
        """Whether compute_convergence_delta is meaningful for this method."""
        return False

    @classmethod
    def get_name(cls) -> str:
        """'IntegratedGradients' -> 'Integrated Gradients'."""
        return "".join(ch if ch.islower() or i == 0 else " " + ch
                       for i, ch in enumerate(cls.__name__))

    def attribute_future(self, *args, **kwargs):
        raise NotImplementedError(
            f"attribute_future is not implemented for {type(self).__name__}")


class GradientAttribution(Attribution):
    """Gradient-based methods; gradients come from `self.gradient_func`."""

    def __init__(self, forward_func: Callable) -> None:
        Attribution.__init__(self, forward_func)
        self.gradient_func = compute_gradients

    def compute_convergence_delta(self, attributions, start_point, end_point, target=None,
                                  additional_forward_args: object | None = None) -> Tensor:
        """Completeness: sum(attributions) - (F(end_point) - F(start_point)), per example."""
        end_point, start_point = _format_input_baseline(end_point, start_point)
        additional_forward_args = _format_additional_forward_args(additional_forward_args)
        start_point = _tensorize_baseline(end_point, start_point)
        attributions = _format_tensor_into_tuples(attributions)
        for attribution, end_tensor in zip(attributions, end_point):
            assert end_tensor.shape[0] == attribution.shape[0], (
                "Attributions tensor and the end_point must match on the first"
                " dimension but found attribution: {} and end_point: {}".format(
                    attribution.shape[0], end_tensor.shape[0]))
        num_samples = end_point[0].shape[0]
        _validate_input_basic(end_point, start_point)
        _validate_target(num_samples, target)
        with no_grad():
            start_sum = _sum_rows(_run_forward(self.forward_func, start_point, target,
                                               additional_forward_args))
            end_sum = _sum_rows(_run_forward(self.forward_func, end_point, target,
                                             additional_forward_args))
            row_sums = [_sum_rows(a) for a in attributions]
            attr_sum = _shape.stack([sum(r) for r in zip(*row_sums)])
            return attr_sum - (end_sum - start_sum)


class PerturbationAttribution(Attribution):
    """Perturbation-based methods (they compare outputs, so they multiply by inputs)."""

    @property
    def multiplies_by_inputs(self) -> bool:
        return True


class InternalAttribution(Attribution):
    """Methods tied to a layer of the model (Layer* and Neuron*)."""

    def __init__(self, forward_func: Callable, layer, device_ids: None | list[int] = None
                 ) -> None:
        Attribution.__init__(self, forward_func)
        self.layer = layer
        self.device_ids = device_ids


class LayerAttribution(InternalAttribution):
    """Attributions over a layer's output (or input) units."""

    @staticmethod
    def interpolate(layer_attribution: Tensor, interpolate_dims, interpolate_mode: str = "nearest"
                    ) -> Tensor:
        """Upsample a (N, C, *spatial) layer map to `interpolate_dims`; see F.interpolate."""
        from ...nn import functional as F
        return F.interpolate(layer_attribution, interpolate_dims, mode=interpolate_mode)


class NeuronAttribution(InternalAttribution):
    """Attributions of one neuron of a layer over the inputs."""
