"""torch.distributions: Normal, Uniform, Bernoulli, Categorical, OneHotCategorical, Exponential,
Laplace, Independent and MultivariateNormal with torch's sampling (same numbers after manual_seed), log_prob,
entropy, validation messages and kl_divergence. The other families (Beta, Gamma, Poisson,
transforms, ...) are not implemented yet."""
from __future__ import annotations

from . import constraints
from .basic import Bernoulli, Categorical, Normal, Uniform
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .more import Exponential, Independent, Laplace, MultivariateNormal, OneHotCategorical

__all__ = ["Bernoulli", "Categorical", "Distribution", "Exponential", "Independent", "Laplace",
           "MultivariateNormal", "Normal", "OneHotCategorical", "Uniform", "constraints", "kl_divergence",
           "register_kl"]


def __getattr__(name):
    raise AttributeError(f"module 'ember.distributions' has no attribute '{name}' (ember does "
                         f"not implement torch.distributions.{name})")
