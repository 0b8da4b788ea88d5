"""torch.distributions on ember: Distribution and every family torch has, with torch's sampling
(the same numbers after manual_seed, ATen's rejection samplers included), log_prob, entropy,
moments, cdf/icdf, reparameterized gradients, validation messages, expand, transforms,
constraints, biject_to / transform_to and kl_divergence."""
from __future__ import annotations

from . import constraints, transforms
from .basic import Bernoulli, Categorical, Normal, Uniform
from .constraint_registry import biject_to, transform_to
from .continuous import Cauchy, StudentT
from .discrete import Binomial, Geometric, Multinomial, NegativeBinomial, Poisson
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .extra_continuous import ContinuousBernoulli, FisherSnedecor, GeneralizedPareto, \
    HalfCauchy, InverseGamma, Kumaraswamy, LogisticNormal, Pareto, Weibull
from .gamma import Beta, Chi2, Dirichlet, Gamma
from .kl import kl_divergence, register_kl
from . import kl_more as _kl_more  # noqa: F401  (registers the pairs)
from . import kl_extra as _kl_extra  # noqa: F401  (registers the pairs)
from .mixture import MixtureSameFamily
from .more import Exponential, Independent, Laplace, MultivariateNormal, OneHotCategorical, \
    OneHotCategoricalStraightThrough
from .multivariate import LKJCholesky, LowRankMultivariateNormal, Wishart
from .transformed_distribution import Gumbel, HalfNormal, LogNormal, RelaxedBernoulli, \
    RelaxedOneHotCategorical, TransformedDistribution
from .transforms import AbsTransform, AffineTransform, CatTransform, ComposeTransform, \
    CorrCholeskyTransform, CumulativeDistributionTransform, ExpTransform, \
    IndependentTransform, LowerCholeskyTransform, PositiveDefiniteTransform, PowerTransform, \
    ReshapeTransform, SigmoidTransform, SoftmaxTransform, SoftplusTransform, StackTransform, \
    StickBreakingTransform, TanhTransform, Transform, identity_transform
from .von_mises import VonMises

__all__ = ["AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "CatTransform",
           "Categorical", "Cauchy", "Chi2", "ComposeTransform", "ContinuousBernoulli",
           "CorrCholeskyTransform", "CumulativeDistributionTransform", "Dirichlet",
           "Distribution", "ExpTransform", "Exponential", "ExponentialFamily",
           "FisherSnedecor", "Gamma", "GeneralizedPareto", "Geometric", "Gumbel",
           "HalfCauchy", "HalfNormal", "Independent", "IndependentTransform", "InverseGamma",
           "Kumaraswamy", "LKJCholesky", "Laplace", "LogNormal", "LogisticNormal",
           "LowRankMultivariateNormal", "LowerCholeskyTransform", "MixtureSameFamily",
           "Multinomial", "MultivariateNormal", "NegativeBinomial", "Normal",
           "OneHotCategorical", "OneHotCategoricalStraightThrough", "Pareto", "Poisson",
           "PositiveDefiniteTransform", "PowerTransform", "RelaxedBernoulli",
           "RelaxedOneHotCategorical", "ReshapeTransform", "SigmoidTransform",
           "SoftmaxTransform", "SoftplusTransform", "StackTransform", "StickBreakingTransform",
           "StudentT", "TanhTransform", "Transform", "TransformedDistribution", "Uniform",
           "VonMises", "Weibull", "Wishart", "biject_to", "constraints", "identity_transform",
           "kl_divergence", "register_kl", "transform_to", "transforms"]


def __getattr__(name):
    raise AttributeError(f"module 'ember.distributions' has no attribute '{name}' (ember does "
                         f"not implement torch.distributions.{name})")
