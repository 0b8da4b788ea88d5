"""internal_batch_size for the path methods: split the integration steps into chunks that
each run one forward/backward on at most internal_batch_size rows, and add the chunks up.

Each chunk gets its slice of the full rule's step sizes and alphas, so the sum equals the
unbatched result (up to float rounding order), as in Captum's _batch_attribution.
"""
from __future__ import annotations

import warnings
from typing import Any

from ..._tensor import Tensor
from .approximation_methods import approximation_parameters


def _batch_attribution(attr_method, num_examples: int, internal_batch_size: int, n_steps: int,
                       include_endpoint: bool = False, **kwargs: Any):
    """Run attr_method._attribute over chunks of steps and sum the results.

    include_endpoint makes consecutive chunks share one step (LayerConductance takes
    differences between consecutive steps)."""
    if internal_batch_size < num_examples:
        warnings.warn("Internal batch size cannot be less than the number of input examples. "
                      "Defaulting to internal batch size of %d equal to the number of examples."
                      % num_examples, stacklevel=1)
    step_count = max(1, internal_batch_size // num_examples)
    if include_endpoint and step_count < 2:
        step_count = 2
        warnings.warn("This method computes finite differences between evaluations at "
                      "consecutive steps, so internal batch size must be at least twice "
                      "the number of examples. Defaulting to internal batch size of %d"
                      " equal to twice the number of examples." % (2 * num_examples),
                      stacklevel=1)
    step_sizes_func, alphas_func = approximation_parameters(kwargs["method"])
    full_step_sizes = step_sizes_func(n_steps)
    full_alphas = alphas_func(n_steps)
    total_attr = None
    cumulative = 0
    while cumulative < n_steps:
        start = cumulative
        end = min(start + step_count, n_steps)
        batch_steps = end - start - (1 if include_endpoint else 0)
        current = attr_method._attribute(
            **kwargs, n_steps=batch_steps,
            step_sizes_and_alphas=(full_step_sizes[start:end], full_alphas[start:end]))
        if total_attr is None:
            total_attr = current
        elif isinstance(total_attr, Tensor):
            total_attr = total_attr + current.detach()
        else:
            total_attr = tuple(c.detach() + p for c, p in zip(current, total_attr))
        cumulative = end - 1 if include_endpoint and end < n_steps else end
    return total_attr
