"""NoiseTunnel: average any attribution method over noisy copies of the inputs
(smoothgrad: mean, smoothgrad_sq: mean of squares, vargrad: variance). Captum's semantics;
the noise is drawn as Captum draws it (`normal(0, stdev repeated to the expanded shape)`,
one tensor per input, in order), so after the same manual_seed the noise is torch's noise.
"""
from __future__ import annotations

from enum import Enum
from typing import Any

import numpy as np

from .. import _creation as C
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..ops import shape as _shape
from ._utils.attribution import Attribution, GradientAttribution
from ._utils.common import (
    _expand_additional_forward_args,
    _expand_target,
    _format_additional_forward_args,
    _format_baseline,
    _format_output,
    _format_tensor_into_tuples,
    _is_tuple,
    _validate_input_basic,
)


class NoiseTunnelType(Enum):
    smoothgrad = 1
    smoothgrad_sq = 2
    vargrad = 3


SUPPORTED_NOISE_TUNNEL_TYPES: list[str] = list(NoiseTunnelType.__members__.keys())


def _expand_partial(n: int, kwargs: dict[str, Any], inputs: tuple[Tensor, ...],
                    draw_baseline_from_distrib: bool) -> None:
    """Repeat every per-example argument of the wrapped method n times, row by row."""
    if kwargs.get("additional_forward_args") is not None:
        args = _format_additional_forward_args(kwargs["additional_forward_args"])
        kwargs["additional_forward_args"] = _expand_additional_forward_args(
            args, n, expansion_type="repeat_interleave")
    if "target" in kwargs:
        kwargs["target"] = _expand_target(kwargs["target"], n,
                                          expansion_type="repeat_interleave")
    if "baselines" in kwargs:
        baselines = _format_baseline(kwargs["baselines"], inputs)
        _validate_input_basic(inputs, baselines, draw_baseline_from_distrib)
        if draw_baseline_from_distrib:
            bsz = inputs[0].shape[0]
            # Captum draws the reference rows with numpy's global generator
            baselines = tuple(
                b[np.random.choice(b.shape[0], n * bsz).tolist()] if isinstance(b, Tensor)
                else b for b in baselines)
        else:
            baselines = tuple(
                b.repeat_interleave(n, dim=0) if isinstance(b, Tensor)
                and b.shape[0] == inp.shape[0] and b.shape[0] > 1 else b
                for inp, b in zip(inputs, baselines))
        kwargs["baselines"] = baselines
    if kwargs.get("feature_mask") is not None:
        fm = kwargs["feature_mask"]
        was_tuple = _is_tuple(fm)
        fm = tuple(m.repeat_interleave(n, dim=0) if m.size(0) > 1 else m
                   for m in _format_tensor_into_tuples(fm))
        kwargs["feature_mask"] = _format_output(was_tuple, fm)


class NoiseTunnel(Attribution):
    """SmoothGrad / SmoothGrad-squared / VarGrad around an attribution method; see
    captum.attr.NoiseTunnel."""

    def __init__(self, attribution_method: Attribution) -> None:
        self.attribution_method = attribution_method
        self.is_delta_supported = attribution_method.has_convergence_delta()
        self._multiply_by_inputs = attribution_method.multiplies_by_inputs
        self.is_gradient_method = isinstance(attribution_method, GradientAttribution)
        Attribution.__init__(self, attribution_method.forward_func)

    @property
    def multiplies_by_inputs(self) -> bool:
        return self._multiply_by_inputs

    def has_convergence_delta(self) -> bool:
        return self.is_delta_supported

    def attribute(self, inputs, nt_type: str = "smoothgrad", nt_samples: int = 5,
                  nt_samples_batch_size: int | None = None,
                  stdevs: float | tuple[float, ...] = 1.0,
                  draw_baseline_from_distrib: bool = False, **kwargs):
        """The wrapped method's attribute(**kwargs) on nt_samples noisy copies, combined."""
        return_delta = bool(kwargs.get("return_convergence_delta", False))
        with no_grad():
            batch = nt_samples if nt_samples_batch_size is None else \
                min(nt_samples, nt_samples_batch_size)
            partitions = nt_samples // batch
            is_inputs_tuple = isinstance(inputs, tuple)
            inputs = _format_tensor_into_tuples(inputs)
            assert nt_type in SUPPORTED_NOISE_TUNNEL_TYPES, (
                "Noise types must be either `smoothgrad`, `smoothgrad_sq` or `vargrad`. "
                "Given {}".format(nt_type))
            kwargs_copy = kwargs.copy()
            _expand_partial(batch, kwargs_copy, inputs, draw_baseline_from_distrib)
            sums: list[Tensor | None] = []
            sums_sq: list[Tensor | None] = []
            deltas: list[Tensor] = []
            is_attrib_tuple = is_inputs_tuple
            for _ in range(partitions):
                noisy = self._add_noise_to_inputs(batch, inputs, stdevs)
                attrs, is_attrib_tuple, delta = self._compute_partial_attribution(
                    noisy, kwargs_copy, is_inputs_tuple, return_delta)
                if not sums:
                    sums = [None] * len(attrs)
                    sums_sq = [None] * len(attrs)
                self._update(attrs, delta, sums, sums_sq, deltas, batch, return_delta)
            remaining = nt_samples - partitions * batch
            if remaining > 0:
                noisy = self._add_noise_to_inputs(remaining, inputs, stdevs)
                _expand_partial(remaining, kwargs, inputs, draw_baseline_from_distrib)
                attrs, is_attrib_tuple, delta = self._compute_partial_attribution(
                    noisy, kwargs, is_inputs_tuple, return_delta)
                self._update(attrs, delta, sums, sums_sq, deltas, remaining, return_delta)
            expected = tuple(s * 1 / nt_samples for s in sums)
            expected_sq = tuple(s * 1 / nt_samples for s in sums_sq)
            kind = NoiseTunnelType[nt_type]
            if kind == NoiseTunnelType.smoothgrad:
                attributions = expected
            elif kind == NoiseTunnelType.smoothgrad_sq:
                attributions = expected_sq
            else:
                attributions = tuple(sq - e * e for e, sq in zip(expected, expected_sq))
            delta = _shape.cat(deltas, dim=0) if self.is_delta_supported and return_delta \
                else None
        out = _format_output(is_attrib_tuple, attributions)
        if self.is_delta_supported and return_delta:
            return out, delta
        return out

    def _add_noise_to_inputs(self, n: int, inputs: tuple[Tensor, ...], stdevs):
        if isinstance(stdevs, tuple):
            assert len(stdevs) == len(inputs), (
                "The number of input tensors "
                "in {} must be equal to the number of stdevs values {}".format(
                    len(inputs), len(stdevs)))
        else:
            assert isinstance(stdevs, float), \
                "stdevs must be type float. " "Given: {}".format(type(stdevs))
            stdevs = (stdevs,) * len(inputs)
        out = []
        for inp, stdev in zip(inputs, stdevs):
            noisy = self._add_noise_to_input(inp, stdev, n)
            out.append(noisy.requires_grad_() if self.is_gradient_method else noisy)
        return tuple(out)

    @staticmethod
    def _add_noise_to_input(inp: Tensor, stdev: float, n: int) -> Tensor:
        """Each example repeated n times (row by row) plus N(0, stdev^2) noise."""
        size = (inp.shape[0] * n,) + tuple(inp.shape[1:])
        std = C.tensor(stdev, device=inp.device).repeat(size)
        noise = C.normal(0, std)
        return inp.repeat_interleave(n, dim=0) + noise

    def _compute_partial_attribution(self, noisy, kwargs, is_inputs_tuple, return_delta):
        attributions = self.attribution_method.attribute(
            noisy if is_inputs_tuple else noisy[0], **kwargs)
        delta = None
        if self.is_delta_supported and return_delta:
            attributions, delta = attributions
        is_attrib_tuple = _is_tuple(attributions)
        return _format_tensor_into_tuples(attributions), is_attrib_tuple, delta

    def _update(self, attrs, delta, sums, sums_sq, deltas, n, return_delta) -> None:
        for i, a in enumerate(attrs):
            bsz = a.shape[0] // n
            a = a.view((bsz, n) + tuple(a.shape[1:]))
            s = a.sum(dim=1, keepdim=False)
            sq = (a ** 2).sum(dim=1, keepdim=False)
            sums[i] = s if sums[i] is None else sums[i] + s
            sums_sq[i] = sq if sums_sq[i] is None else sums_sq[i] + sq
        if self.is_delta_supported and return_delta:
            deltas.append(delta)
