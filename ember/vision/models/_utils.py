"""Helpers shared by the model builders (see torchvision/models/_utils.py): the legacy
`pretrained=` interface with torchvision's deprecation warnings, keyword checks against a weight
enum's meta, `_make_divisible` for the mobile nets, and `IntermediateLayerGetter`.
"""
from __future__ import annotations

import functools
import inspect
import warnings
from collections import OrderedDict
from typing import Any, Callable, Optional

from ... import nn
from ._api import WeightsEnum


def _sequence_to_str(seq, separate_last: str = "") -> str:
    # "'a', 'b' and 'c'" -- the wording of torchvision's positional-argument warning
    if not seq:
        return ""
    if len(seq) == 1:
        return f"'{seq[0]}'"
    head = "'" + "', '".join(str(item) for item in seq[:-1]) + "'"
    tail = f"{'' if separate_last and len(seq) == 2 else ','} {separate_last}'{seq[-1]}'"
    return head + tail


class IntermediateLayerGetter(nn.ModuleDict):
    """Runs a model's direct children in order and returns the outputs of `return_layers`
    ({child name: output name}) as an OrderedDict; see torchvision's IntermediateLayerGetter."""
    _version = 2

    def __init__(self, model: nn.Module, return_layers: dict[str, str]) -> None:
        if not set(return_layers).issubset([name for name, _ in model.named_children()]):
            raise ValueError("return_layers are not present in model")
        orig_return_layers = return_layers
        remaining = {str(k): str(v) for k, v in return_layers.items()}
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            remaining.pop(name, None)
            if not remaining:  # nothing after the last requested layer is kept
                break
        super().__init__(layers)
        self.return_layers = orig_return_layers

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out


def _make_divisible(v: float, divisor: int, min_value: Optional[int] = None) -> int:
    """The nearest multiple of `divisor` to v, at least min_value and never more than 10% below
    v (the channel rounding of the TF mobile nets)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def kwonly_to_pos_or_kw(fn: Callable) -> Callable:
    """Let keyword-only parameters be passed positionally again, with torchvision's
    deprecation warning (builders were positional before 0.13)."""
    params = inspect.signature(fn).parameters
    try:
        start = next(i for i, p in enumerate(params.values()) if p.kind == p.KEYWORD_ONLY)
    except StopIteration:
        raise TypeError(f"Found no keyword-only parameter on function '{fn.__name__}'") from None
    kw_names = tuple(params)[start:]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any):
        args, extra = args[:start], args[start:]
        if extra:
            extra_kwargs = dict(zip(kw_names, extra))
            warnings.warn(f"Using {_sequence_to_str(tuple(extra_kwargs), separate_last='and ')} "
                          "as positional parameter(s) is deprecated since 0.13 and may be removed "
                          "in the future. Please use keyword parameter(s) instead.")
            kwargs.update(extra_kwargs)
        return fn(*args, **kwargs)
    return wrapper


def handle_legacy_interface(**weights: tuple[str, Any]):
    """Decorator mapping the old `pretrained=True/False` (and positional use) of a builder onto
    `weights=` with torchvision's UserWarnings. `weights={param: (legacy name, default)}`, the
    default being a weight enum member, None, or a callable of the keyword arguments."""
    def outer_wrapper(builder: Callable) -> Callable:
        @kwonly_to_pos_or_kw
        @functools.wraps(builder)
        def inner_wrapper(*args: Any, **kwargs: Any):
            for weights_param, (pretrained_param, default) in weights.items():
                sentinel = object()
                weights_arg = kwargs.get(weights_param, sentinel)
                if ((weights_param not in kwargs and pretrained_param not in kwargs)
                        or isinstance(weights_arg, WeightsEnum)
                        or (isinstance(weights_arg, str) and weights_arg != "legacy")
                        or weights_arg is None):
                    continue
                # a positional `pretrained` arrives under the new name (kwonly_to_pos_or_kw
                # only knows the current signature)
                pretrained_positional = weights_arg is not sentinel
                if pretrained_positional:
                    kwargs[pretrained_param] = pretrained_arg = kwargs.pop(weights_param)
                else:
                    pretrained_arg = kwargs[pretrained_param]
                if pretrained_arg:
                    default_weights_arg = default(kwargs) if callable(default) else default
                    if not isinstance(default_weights_arg, WeightsEnum):
                        raise ValueError(f"No weights available for model {builder.__name__}")
                else:
                    default_weights_arg = None
                if not pretrained_positional:
                    warnings.warn(f"The parameter '{pretrained_param}' is deprecated since 0.13 "
                                  "and may be removed in the future, please use "
                                  f"'{weights_param}' instead.")
                msg = (f"Arguments other than a weight enum or `None` for '{weights_param}' are "
                       "deprecated since 0.13 and may be removed in the future. The current "
                       "behavior is equivalent to passing "
                       f"`{weights_param}={default_weights_arg}`.")
                if pretrained_arg:
                    msg = (f"{msg} You can also use `{weights_param}="
                           f"{type(default_weights_arg).__name__}.DEFAULT` to get the most "
                           "up-to-date weights.")
                warnings.warn(msg)
                del kwargs[pretrained_param]
                kwargs[weights_param] = default_weights_arg
            return builder(*args, **kwargs)
        return inner_wrapper
    return outer_wrapper


def _ovewrite_named_param(kwargs: dict[str, Any], param: str, new_value: Any) -> None:
    # (sic: torchvision's spelling) the weights fix e.g. num_classes; a conflicting value fails
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got "
                             f"{kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _ovewrite_value_param(param: str, actual: Any, expected: Any) -> Any:
    if actual is not None and actual != expected:
        raise ValueError(f"The parameter '{param}' expected value {expected} but got {actual} "
                         "instead.")
    return expected
