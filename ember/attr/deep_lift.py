"""DeepLift (Shrikumar et al., Rescale rule) and DeepLiftShap, with Captum's semantics.

The model runs once on inputs and baselines concatenated; every non-linear leaf module
(ReLU, ELU, LeakyReLU, Sigmoid, Tanh, Softplus, Softmax, MaxPool1d/2d/3d) gets hooks that
replace its input gradient by the multiplier delta_out / delta_in (gradient where delta_in
is ~0). Attributions are (input - baseline) * multipliers. Modules applied more than once,
and functional non-linearities (F.relu), are not rescaled, as in Captum.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable

from .. import _creation as C
from .. import nn
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..nn import functional as F
from ..ops import elementwise as _ew
from ..ops import shape as _shape
from ._utils.attribution import GradientAttribution
from ._utils.common import (
    _call_custom_attribution_func,
    _expand_additional_forward_args,
    _expand_target,
    _format_additional_forward_args,
    _format_baseline,
    _format_callable_baseline,
    _format_output,
    _format_tensor_into_tuples,
    _is_tuple,
    _run_forward,
    _select_targets,
    _tensorize_baseline,
    _validate_input,
)
from ._utils.gradient import (
    _register_backward_hook,
    apply_gradient_requirements,
    undo_gradient_requirements,
)


def _compute_diffs(inputs: Tensor, outputs: Tensor) -> tuple[Tensor, Tensor]:
    # rows [0, N) are the inputs' pass, [N, 2N) the baselines'; both halves get the deltas
    inp, inp_ref = inputs.chunk(2)
    out, out_ref = outputs.chunk(2)
    return _shape.cat(2 * [inp - inp_ref]), _shape.cat(2 * [out - out_ref])


def nonlinear(module, inputs, outputs, grad_input, grad_output, eps: float = 1e-10):
    """Rescale rule: grad_output * delta_out / delta_in."""
    delta_in, delta_out = _compute_diffs(inputs, outputs)
    return _ew.where(delta_in.abs() < eps, grad_input, grad_output * delta_out / delta_in)


def softmax(module, inputs, outputs, grad_input, grad_output, eps: float = 1e-10):
    """Rescale rule, then the multipliers centred (they sum to zero)."""
    delta_in, delta_out = _compute_diffs(inputs, outputs)
    unnorm = _ew.where(delta_in.abs() < eps, grad_input, grad_output * delta_out / delta_in)
    return unnorm - unnorm.sum() * 1 / grad_input.numel()


def maxpool(module, pool_func, unpool_func, inputs, outputs, grad_input, grad_output,
            eps: float = 1e-10):
    """Max pooling: the cross maximum of the input and baseline passes routes the output
    deltas back through the input pass's argmax positions."""
    with no_grad():
        inp, inp_ref = inputs.chunk(2)
        out, out_ref = outputs.chunk(2)
        delta_in = _shape.cat(2 * [inp - inp_ref])
        xmax = _ew.maximum(out, out_ref)
        delta_out = _shape.cat([xmax - out_ref, out - xmax])
        _, indices = pool_func(module.input, module.kernel_size, module.stride,
                               module.padding, module.dilation, module.ceil_mode, True)
        d, d_ref = unpool_func(grad_output * delta_out, indices, module.kernel_size,
                               module.stride, module.padding,
                               list(module.input.shape)).chunk(2)
    unpool_delta = _shape.cat(2 * [d + d_ref])
    if grad_input.shape != inputs.shape:
        raise AssertionError(
            "A problem occurred during maxpool modul's backward pass. "
            "The gradients with respect to inputs include only a "
            "subset of inputs. More details about this issue can "
            "be found here: "
            "https://pytorch.org/docs/stable/"
            "nn.html#torch.nn.Module.register_backward_hook "
            "This can happen for example if you attribute to the outputs of a "
            "MaxPool. As a workaround, please, attribute to the inputs of "
            "the following layer.")
    # NOTE: Captum falls back to grad_input[0] (the first row, broadcast) where delta_in ~ 0;
    # kept so that attributions match Captum's.
    return _ew.where(delta_in.abs() < eps, grad_input[0], unpool_delta / delta_in)


def _pool_rule(dim: int) -> Callable:
    def rule(module, inputs, outputs, grad_input, grad_output, eps: float = 1e-10):
        pool = getattr(F, f"max_pool{dim}d")
        unpool = getattr(F, f"max_unpool{dim}d", None)
        if unpool is None:
            raise NotImplementedError(
                f"DeepLift through nn.MaxPool{dim}d needs F.max_unpool{dim}d, which ember "
                "does not implement yet")
        return maxpool(module, pool, unpool, inputs, outputs, grad_input, grad_output, eps)
    return rule


maxpool1d, maxpool2d, maxpool3d = _pool_rule(1), _pool_rule(2), _pool_rule(3)

SUPPORTED_NON_LINEAR: dict[type, Callable] = {
    nn.ReLU: nonlinear, nn.ELU: nonlinear, nn.LeakyReLU: nonlinear, nn.Sigmoid: nonlinear,
    nn.Tanh: nonlinear, nn.Softplus: nonlinear, nn.MaxPool1d: maxpool1d,
    nn.MaxPool2d: maxpool2d, nn.MaxPool3d: maxpool3d, nn.Softmax: softmax,
}


class DeepLift(GradientAttribution):
    """DeepLift with the Rescale rule; see captum.attr.DeepLift."""

    def __init__(self, model, multiply_by_inputs: bool = True, eps: float = 1e-10) -> None:
        GradientAttribution.__init__(self, model)
        self.model = model
        self.eps = eps
        self.forward_handles: list = []
        self.backward_handles: list = []
        self._multiply_by_inputs = multiply_by_inputs

    def has_convergence_delta(self) -> bool:
        return True

    @property
    def multiplies_by_inputs(self) -> bool:
        return self._multiply_by_inputs

    def attribute(self, inputs, baselines=None, target=None,
                  additional_forward_args: object | None = None,
                  return_convergence_delta: bool = False,
                  custom_attribution_func: Callable | None = None):
        """Attributions like the inputs (and the completeness delta if asked)."""
        is_inputs_tuple = _is_tuple(inputs)
        inputs_tuple = _format_tensor_into_tuples(inputs)
        baselines = _format_baseline(baselines, inputs_tuple)
        gradient_mask = apply_gradient_requirements(inputs_tuple)
        _validate_input(inputs_tuple, baselines)
        warnings.warn("""Setting forward, backward hooks and attributes on non-linear
               activations. The hooks and attributes will be removed
            after the attribution is finished""", stacklevel=2)
        baselines = _tensorize_baseline(inputs_tuple, baselines)
        main_hooks = []
        try:
            main_hooks = self._hook_main_model()
            self.model.apply(self._register_hooks)
            additional_forward_args = _format_additional_forward_args(additional_forward_args)
            expanded_target = _expand_target(target, 2)
            forward_fn = self._construct_forward_func(self.model, (inputs_tuple, baselines),
                                                      expanded_target, additional_forward_args)
            gradients = self.gradient_func(forward_fn, inputs_tuple)
            if custom_attribution_func is None:
                attributions = tuple((i - b) * g for i, b, g in
                                     zip(inputs_tuple, baselines, gradients)) \
                    if self.multiplies_by_inputs else gradients
            else:
                attributions = _call_custom_attribution_func(custom_attribution_func,
                                                             gradients, inputs_tuple, baselines)
        finally:
            self._remove_hooks(main_hooks)
        undo_gradient_requirements(inputs_tuple, gradient_mask)
        if return_convergence_delta:
            delta = self.compute_convergence_delta(attributions, baselines, inputs_tuple,
                                                   additional_forward_args=additional_forward_args,
                                                   target=target)
            return _format_output(is_inputs_tuple, attributions), delta
        return _format_output(is_inputs_tuple, attributions)

    @staticmethod
    def _construct_forward_func(forward_func, inputs, target=None,
                                additional_forward_args=None) -> Callable[[], Tensor]:
        def forward_fn() -> Tensor:
            model_out = _run_forward(forward_func, inputs, None, additional_forward_args)
            return _select_targets(_shape.cat((model_out[:, 0], model_out[:, 1])), target)
        return forward_fn

    # ---- hooks ----
    def _forward_pre_hook(self, module, inputs) -> None:
        # in-place modules (ReLU(inplace=True)) overwrite their input: copy it first
        module.input = _format_tensor_into_tuples(inputs)[0].clone().detach()

    def _forward_hook(self, module, inputs, outputs) -> None:
        module.output = _format_tensor_into_tuples(outputs)[0].clone().detach()

    def _backward_hook(self, module, grad_input, grad_output):
        if not (hasattr(module, "input") and hasattr(module, "output")):
            raise RuntimeError(
                "A Module {} was detected that does not contain some of "
                "the input/output attributes that are required for DeepLift "
                "computations. This can occur, for example, if "
                "your module is being used more than once in the network."
                "Please, ensure that module is being used only once in the "
                "network.".format(module))
        multipliers = SUPPORTED_NON_LINEAR[type(module)](
            module, module.input, module.output, grad_input, grad_output, eps=self.eps)
        del module.input
        del module.output
        return multipliers

    def _can_register_hook(self, module) -> bool:
        is_container = "nn.modules.container" in str(type(module))
        return not (is_container or len(module._backward_hooks) > 0
                    or type(module) not in SUPPORTED_NON_LINEAR)

    def _register_hooks(self, module, attribute_to_layer_input: bool = True) -> None:
        if not self._can_register_hook(module) or (
                not attribute_to_layer_input and module is getattr(self, "layer", None)):
            return
        self.forward_handles.append(module.register_forward_hook(self._forward_hook))
        self.forward_handles.append(module.register_forward_pre_hook(self._forward_pre_hook))
        self.backward_handles.extend(_register_backward_hook(module, self._backward_hook, self))

    def _remove_hooks(self, extra) -> None:
        for h in list(extra) + self.forward_handles + self.backward_handles:
            h.remove()
        self.forward_handles = []
        self.backward_handles = []

    def _hook_main_model(self) -> list:
        """The model is called as model(inputs, baselines, *args): the pre-hook turns that
        into one batch [inputs; baselines], the forward hook into (N, 2, ...) outputs."""
        def pre_hook(module, args):
            inputs, baselines = args[0], args[1]
            extra = args[2:] if len(args) > 2 else None
            batch = tuple(_shape.cat([i, b]) for i, b in zip(inputs, baselines))
            if extra is not None:
                return (*batch, *_expand_additional_forward_args(extra, 2))
            return batch

        def forward_hook(module, inputs, outputs):
            return _shape.stack(outputs.chunk(2), dim=1)

        model = self.model.module if isinstance(self.model, getattr(nn, "DataParallel", ())) \
            else self.model
        return [model.register_forward_pre_hook(pre_hook),
                model.register_forward_hook(forward_hook)]


class DeepLiftShap(DeepLift):
    """DeepLift averaged over a distribution of baselines; see captum.attr.DeepLiftShap."""

    def __init__(self, model, multiply_by_inputs: bool = True) -> None:
        DeepLift.__init__(self, model, multiply_by_inputs=multiply_by_inputs)

    def attribute(self, inputs, baselines, target=None,
                  additional_forward_args: object | None = None,
                  return_convergence_delta: bool = False,
                  custom_attribution_func: Callable | None = None):
        """DeepLift attributions against every baseline row, averaged per input row."""
        formatted_baselines = _format_callable_baseline(baselines, inputs)
        assert isinstance(formatted_baselines[0], Tensor) and \
            formatted_baselines[0].shape[0] > 1, (
                "Baselines distribution has to be provided in form of a torch.Tensor"
                " with more than one example but found: {}."
                " If baselines are provided in shape of scalars or with a single"
                " baseline example, `DeepLift`"
                " approach can be used instead.".format(formatted_baselines[0]))
        is_inputs_tuple = _is_tuple(inputs)
        inputs_tuple = _format_tensor_into_tuples(inputs)
        inp_bsz = inputs_tuple[0].shape[0]
        base_bsz = formatted_baselines[0].shape[0]
        exp_inp = tuple(i.repeat_interleave(base_bsz, dim=0).requires_grad_()
                        for i in inputs_tuple)
        exp_base = tuple(b.repeat((inp_bsz,) + (1,) * (b.dim() - 1)).requires_grad_()
                         for b in formatted_baselines)
        exp_tgt = _expand_target(target, base_bsz, expansion_type="repeat_interleave")
        exp_args = (_expand_additional_forward_args(
            _format_additional_forward_args(additional_forward_args), base_bsz,
            expansion_type="repeat_interleave") if additional_forward_args is not None
            else None)
        attributions = DeepLift.attribute(self, exp_inp, exp_base, target=exp_tgt,
                                          additional_forward_args=exp_args,
                                          return_convergence_delta=return_convergence_delta,
                                          custom_attribution_func=custom_attribution_func)
        delta = C.tensor(0)
        if return_convergence_delta:
            attributions, delta = attributions
        attributions = tuple(self._compute_mean_across_baselines(inp_bsz, base_bsz, a)
                             for a in attributions)
        out = _format_output(is_inputs_tuple, attributions)
        return (out, delta) if return_convergence_delta else out

    @staticmethod
    def _compute_mean_across_baselines(inp_bsz: int, base_bsz: int, attribution: Tensor
                                       ) -> Tensor:
        shape = (inp_bsz, base_bsz) + tuple(attribution.shape[1:])
        return attribution.view(shape).mean(dim=1, keepdim=False)
