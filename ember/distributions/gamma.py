"""Gamma, Chi2, Dirichlet and Beta: samples from ATen's Marsaglia-Tsang sampler on ember's
torch-identical generator (see _samplers), reparameterized gradients by torch's
_standard_gamma_grad / _dirichlet_grad, and torch's log_prob / entropy / moment formulas.
Gamma.cdf needs the regularized incomplete gamma (torch.special.gammainc), computed here."""
from __future__ import annotations

import numbers

import numpy as np

import ember as _e

from ..autograd.function import Function, once_differentiable
from ..autograd.op import Op
from . import constraints
from ._samplers import _dirichlet_grad, _sample_dirichlet, _standard_gamma
from .exp_family import ExponentialFamily
from .utils import broadcast_all

# ------------------------------------------------------------------------------------------------
# torch.special.gammainc (regularized lower incomplete gamma P(a, x))
# ------------------------------------------------------------------------------------------------

def _lgamma(a):
    return _e.lgamma(_e.from_numpy(np.ascontiguousarray(a)))._data


def _gammainc_array(a, x):
    """P(a, x) in float64: the power series where x < a + 1, else 1 - Q with Q from the
    Legendre continued fraction (modified Lentz), with torch's special values."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.full(a.shape, np.nan)
    eps, tiny = np.finfo(np.float64).eps, 1e-300
    with np.errstate(all="ignore"):
        ok = (a >= 0) & (x >= 0)
        out[ok & (a == 0) & (x > 0)] = 1.0
        out[ok & (a > 0) & (x == 0)] = 0.0
        out[ok & np.isinf(a) & np.isfinite(x)] = 0.0
        out[ok & np.isfinite(a) & (a > 0) & np.isinf(x)] = 1.0
        reg = ok & (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
        ser = reg & (x < a + 1)
        cfm = reg & ~ser
        if ser.any():
            av, xv = a[ser], x[ser]
            term = 1.0 / av
            total = term.copy()
            ap = av.copy()
            for _ in range(100000):
                ap += 1
                term *= xv / ap
                total += term
                if np.all(np.abs(term) < np.abs(total) * eps):
                    break
            out[ser] = total * np.exp(-xv + av * np.log(xv) - _lgamma(av))
        if cfm.any():
            av, xv = a[cfm], x[cfm]
            b = xv + 1 - av
            c = np.full(av.shape, 1 / tiny)
            d = 1 / b
            h = d.copy()
            for i in range(1, 100000):
                an = -i * (i - av)
                b = b + 2
                d = an * d + b
                d = np.where(np.abs(d) < tiny, tiny, d)
                c = b + an / c
                c = np.where(np.abs(c) < tiny, tiny, c)
                d = 1 / d
                delta = d * c
                h = h * delta
                if np.all(np.abs(delta - 1) < eps):
                    break
            out[cfm] = 1 - np.exp(-xv + av * np.log(xv) - _lgamma(av)) * h
    return out


class Igamma(Op):
    """torch.special.gammainc(a, x); d/dx = x^(a-1) e^-x / Gamma(a), no derivative in a."""
    promote = 2

    def forward(self, a, x):
        self.save_inputs(0, 1)
        return _gammainc_array(a, x).astype(np.result_type(a, x))

    def backward(self, grad):
        a, x = self.saved_inputs()
        if self.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'igamma: input' is not implemented.")
        from ..ops._broadcast import sum_to
        g = grad * _e.exp((a - 1) * _e.log(x) - x - _e.lgamma(a))
        return None, sum_to(g, x.shape)


def gammainc(input, other):
    """Regularized lower incomplete gamma function (see torch.special.gammainc)."""
    return Igamma.apply(input, other)


# ------------------------------------------------------------------------------------------------
# distributions
# ------------------------------------------------------------------------------------------------

class Gamma(ExponentialFamily):
    """Gamma(concentration, rate) (see torch.distributions.Gamma)."""
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        if isinstance(concentration, numbers.Number) and isinstance(rate, numbers.Number):
            batch_shape = _e.Size()
        else:
            batch_shape = self.concentration.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = _e.Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Gamma, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=_e.finfo(value.dtype).tiny)   # not recorded in the graph
        return value

    def log_prob(self, value):
        value = _e.as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        return (_e.xlogy(self.concentration, self.rate)
                + _e.xlogy(self.concentration - 1, value)
                - self.rate * value - _e.lgamma(self.concentration))

    def entropy(self):
        return (self.concentration - _e.log(self.rate) + _e.lgamma(self.concentration)
                + (1.0 - self.concentration) * _e.digamma(self.concentration))

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return _e.lgamma(x + 1) + (x + 1) * _e.log(-y.reciprocal())

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return gammainc(self.concentration, self.rate * value)


class Chi2(Gamma):
    """Chi-squared with df degrees of freedom: Gamma(df / 2, 1 / 2) (see
    torch.distributions.Chi2)."""
    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self):
        return self.concentration * 2


class _Dirichlet(Function):
    """Dirichlet sampling with the implicit reparameterization gradient (torch's
    _Dirichlet autograd function; its node prints as _DirichletBackward)."""

    @staticmethod
    def forward(ctx, concentration):
        x = _sample_dirichlet(concentration)
        ctx.save_for_backward(x, concentration)
        return x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        x, concentration = ctx.saved_tensors
        total = concentration.sum(-1, True).expand_as(concentration)
        grad = _dirichlet_grad(x, concentration, total)
        return grad * (grad_output - (x * grad_output).sum(-1, True))


class Dirichlet(ExponentialFamily):
    """Dirichlet(concentration) over the last dim (see torch.distributions.Dirichlet)."""
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = _e.Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        super(Dirichlet, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return _Dirichlet.apply(self.concentration.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (_e.xlogy(self.concentration - 1.0, value).sum(-1)
                + _e.lgamma(self.concentration.sum(-1))
                - _e.lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        cm1 = (self.concentration - 1).clamp(min=0.0)
        mode = cm1 / cm1.sum(-1, True)
        mask = (self.concentration < 1).all(dim=-1)
        mode[mask] = _e.nn.functional.one_hot(mode[mask].argmax(dim=-1), cm1.shape[-1]).to(mode)
        return mode

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (_e.lgamma(self.concentration).sum(-1) - _e.lgamma(a0)
                - (k - a0) * _e.digamma(a0)
                - ((self.concentration - 1.0) * _e.digamma(self.concentration)).sum(-1))

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - _e.lgamma(x.sum(-1))


class Beta(ExponentialFamily):
    """Beta(concentration1, concentration0), sampled as the first coordinate of a Dirichlet
    (see torch.distributions.Beta)."""
    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        if isinstance(concentration1, numbers.Number) and \
                isinstance(concentration0, numbers.Number):
            both = _e.tensor([float(concentration1), float(concentration0)])
        else:
            concentration1, concentration0 = broadcast_all(concentration1, concentration0)
            both = _e.stack([concentration1, concentration0], -1)
        self._dirichlet = Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = _e.Size(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        super(Beta, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        heads_tails = _e.stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(heads_tails)

    def entropy(self):
        return self._dirichlet.entropy()

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    @property
    def _natural_params(self):
        return (self.concentration1, self.concentration0)

    def _log_normalizer(self, x, y):
        return _e.lgamma(x) + _e.lgamma(y) - _e.lgamma(x + y)
