"""torch.distributions.ExponentialFamily: entropy (and, in kl_more, the same-family KL) from
the log-normalizer's gradient, as torch computes them (Bregman divergence through autograd)."""
from __future__ import annotations

import ember as _e

from .distribution import Distribution


class ExponentialFamily(Distribution):
    """Base of distributions p(x) = h(x) exp(<t(x), theta> - F(theta)) (see
    torch.distributions.ExponentialFamily)."""

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = _e.autograd.grad(lg_normal.sum(), nparams, create_graph=True)
        result += lg_normal
        for p, g in zip(nparams, gradients):
            result -= (p * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
