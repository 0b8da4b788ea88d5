"""torch.distributions on ember: Distribution and its families with torch's sampling (the same
numbers after manual_seed, ATen's rejection samplers included), log_prob, entropy, moments,
cdf/icdf, reparameterized gradients, validation messages, expand, transforms and
kl_divergence. Families torch has that are not listed in __all__ are not implemented."""
from __future__ import annotations

from . import constraints, transforms
from .basic import Bernoulli, Categorical, Normal, Uniform
from .continuous import Cauchy, StudentT
from .discrete import Binomial, Geometric, Multinomial, Poisson
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .gamma import Beta, Chi2, Dirichlet, Gamma
from .kl import kl_divergence, register_kl
from . import kl_more as _kl_more  # noqa: F401  (registers the pairs)
from .mixture import MixtureSameFamily
from .more import Exponential, Independent, Laplace, MultivariateNormal, OneHotCategorical
from .transformed_distribution import Gumbel, HalfNormal, LogNormal, RelaxedBernoulli, \
    RelaxedOneHotCategorical, TransformedDistribution
from .transforms import AbsTransform, AffineTransform, ComposeTransform, ExpTransform, \
    IndependentTransform, PowerTransform, SigmoidTransform, SoftmaxTransform, \
    SoftplusTransform, TanhTransform, Transform

__all__ = ["AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical",
           "Cauchy", "Chi2", "ComposeTransform", "Dirichlet", "Distribution", "ExpTransform",
           "Exponential", "ExponentialFamily", "Gamma", "Geometric", "Gumbel", "HalfNormal",
           "Independent", "IndependentTransform", "Laplace", "LogNormal",
           "MixtureSameFamily", "Multinomial", "MultivariateNormal", "Normal",
           "OneHotCategorical", "Poisson", "PowerTransform", "RelaxedBernoulli",
           "RelaxedOneHotCategorical", "SigmoidTransform", "SoftmaxTransform",
           "SoftplusTransform", "StudentT", "TanhTransform", "TransformedDistribution",
           "Uniform", "constraints", "kl_divergence", "register_kl", "transforms"]


def __getattr__(name):
    raise AttributeError(f"module 'ember.distributions' has no attribute '{name}' (ember does "
                         f"not implement torch.distributions.{name})")
