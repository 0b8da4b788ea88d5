"""ember.distributions vs torch.distributions: seeded samples, log_prob, entropy, moments,
grads through rsample/log_prob, reprs, validation errors and kl_divergence."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import ember

PROGRAM = textwrap.dedent('''
    import torch
    from torch.distributions import Normal, Categorical, Bernoulli, Uniform, kl_divergence
    torch.manual_seed(0)
    n = Normal(torch.tensor([0., 1.]), torch.tensor([1., 2.]))
    print(n, n.batch_shape, n.event_shape)
    print(n.sample(), n.sample((3,)), n.rsample())
    print(n.log_prob(torch.tensor([0.5, 0.5])), n.entropy(), n.mean, n.stddev, n.variance,
          n.cdf(torch.tensor([0., 0.])), n.icdf(torch.tensor([0.3, 0.6])))
    c = Categorical(probs=torch.tensor([0.2, 0.3, 0.5]))
    print(c)
    print(c.sample(), c.sample((4,)), c.log_prob(torch.tensor(1)), c.entropy(), c.probs,
          c.logits)
    print(c, c.mode, c.enumerate_support())
    c2 = Categorical(logits=torch.tensor([[1., 2., 3.], [0., 0., 0.]]))
    print(c2, c2.sample(), c2.batch_shape, c2.param_shape, c2.sample((2,)))
    b = Bernoulli(probs=torch.tensor([0.3, 0.9]))
    print(b, b.sample(), b.log_prob(torch.tensor([1., 0.])), b.entropy(), b.enumerate_support())
    b2 = Bernoulli(logits=torch.tensor(0.3))
    print(b2, b2.probs, b2.mean, b2.variance)
    u = Uniform(0., 2.)
    print(u, u.sample((2,)), u.log_prob(torch.tensor(1.)), u.entropy(), u.rsample(), u.mean,
          u.stddev)
    print(kl_divergence(n, Normal(0., 1.)), kl_divergence(c, Categorical(logits=torch.zeros(3))),
          kl_divergence(b, Bernoulli(0.5)), kl_divergence(Uniform(0., 1.), Uniform(-1., 2.)),
          kl_divergence(n, u))
    loc = torch.tensor(0.5, requires_grad=True)
    d = Normal(loc, 1.0)
    s = d.rsample((3,))
    lp = d.log_prob(s).sum()
    lp.backward()
    print(s, lp, loc.grad)
    logits = torch.tensor([0.1, 0.2, 0.7], requires_grad=True)
    cc = Categorical(logits=logits)
    a = cc.sample()
    (-cc.log_prob(a)).backward()
    print(a, logits.grad)
    for f in [lambda: Normal(0., -1.),
              lambda: Categorical(probs=torch.tensor([0.2, 0.3]), logits=torch.tensor([1., 2.])),
              lambda: n.log_prob(torch.tensor([1., 2., 3.])),
              lambda: u.log_prob(torch.tensor(2.)), lambda: Bernoulli(1.5),
              lambda: Categorical(torch.tensor(1.)), lambda: c.log_prob(torch.tensor(3)),
              lambda: Uniform(1., 0.), lambda: kl_divergence(u, n)]:
        try:
            print(f())
        except Exception as e:
            print(type(e).__name__, e)
''')


PROGRAM2 = 'import torch\nfrom torch.distributions import Exponential, Laplace, OneHotCategorical, Independent, Normal\ntorch.manual_seed(0)\ne = Exponential(torch.tensor([0.5, 2.0])); print(e, e.sample(), e.rsample((2,)), e.log_prob(torch.tensor([1., 2.])), e.entropy(), e.mean, e.cdf(torch.tensor([1., 1.])), e.icdf(torch.tensor([0.5, 0.5])))\nl = Laplace(0., 2.); print(l, l.sample((3,)), l.log_prob(torch.tensor(1.)), l.entropy(), l.cdf(torch.tensor(1.)), l.icdf(torch.tensor(0.3)), l.stddev)\no = OneHotCategorical(torch.tensor([0.1, 0.2, 0.7])); print(o, o.sample(), o.sample((2,)), o.log_prob(torch.tensor([0., 0., 1.])), o.entropy(), o.mode, o.enumerate_support().shape, o.event_shape)\ni = Independent(Normal(torch.zeros(3, 2), torch.ones(3, 2)), 1); print(i, i.batch_shape, i.event_shape, i.sample().shape, i.log_prob(torch.zeros(3, 2)), i.entropy())\nfor f in [lambda: Exponential(-1.), lambda: e.log_prob(torch.tensor([-1., 1.])), lambda: Independent(Normal(0., 1.), 1), lambda: o.log_prob(torch.tensor([0.5, 0.5, 0.]))]:\n    try: print(f())\n    except Exception as ex: print(type(ex).__name__, ex)\n'


PROGRAM3 = 'import torch\nfrom torch.distributions import MultivariateNormal\ntorch.manual_seed(0)\ncov = torch.tensor([[2., 0.5], [0.5, 1.]])\nm = MultivariateNormal(torch.zeros(2), cov); print(m, m.batch_shape, m.event_shape)\nprint(m.sample(), m.sample((3,)), m.rsample(), m.log_prob(torch.tensor([0.5, -0.5])), m.entropy(), m.variance, m.mean)\nprint(m.scale_tril, m.precision_matrix, m)\nm2 = MultivariateNormal(torch.zeros(3, 2), scale_tril=torch.linalg.cholesky(cov)); print(m2, m2.batch_shape, m2.sample().shape, m2.log_prob(torch.ones(3, 2)), m2.entropy())\nm3 = MultivariateNormal(torch.tensor([1., 2.]), precision_matrix=torch.inverse(cov)); print(m3, m3.covariance_matrix, m3.log_prob(torch.zeros(2)))\nloc = torch.tensor([0.1, 0.2], requires_grad=True)\nlp = MultivariateNormal(loc, cov).log_prob(torch.tensor([1., 1.])); lp.backward(); print(lp, loc.grad)\nfor f in [lambda: MultivariateNormal(torch.zeros(2), torch.tensor([[1., 2.], [2., 1.]])), lambda: MultivariateNormal(torch.zeros(2)), lambda: MultivariateNormal(torch.zeros(2), torch.tensor([[1., 0.], [0.5, 1.]])), lambda: MultivariateNormal(torch.tensor(0.), cov), lambda: m.log_prob(torch.zeros(3))]:\n    try: print(f())\n    except Exception as ex: print(type(ex).__name__, ex)\n'


@pytest.mark.parametrize("program", [PROGRAM, PROGRAM2, PROGRAM3])
def test_program_prints_what_torch_prints(tmp_path, program):
    path = tmp_path / "prog.py"
    path.write_text(program)
    t = subprocess.run([sys.executable, str(path)], capture_output=True, text=True)
    e = subprocess.run([sys.executable, "-m", "ember", "run", str(path)], capture_output=True,
                       text=True)
    assert t.returncode == 0, t.stderr
    assert e.returncode == 0, e.stderr
    assert e.stdout == t.stdout


@pytest.mark.parametrize("seed", [0, 1])
def test_seeded_samples_match_bit_for_bit(seed):
    out = {}
    for T in (torch, ember):
        T.manual_seed(seed)
        D = T.distributions
        loc = T.linspace(-1, 1, 7)
        out[T] = [D.Normal(loc, T.ones(7) * 0.5).sample((5,)),
                  D.Normal(loc, 2.0).rsample((2, 3)),
                  D.Uniform(T.zeros(3), T.tensor([1., 2., 3.])).sample((4,)),
                  D.Bernoulli(T.tensor([0.1, 0.5, 0.9])).sample((6,)),
                  D.Categorical(logits=T.randn(4, 5)).sample((8,))]
    for e, t in zip(out[ember], out[torch]):
        assert e.dtype == getattr(ember, str(t.dtype).split(".")[1])
        assert np.array_equal(e.numpy(), t.numpy())


def test_missing_family_names_itself():
    with pytest.raises(AttributeError, match="torch.distributions.Weibul"):
        ember.distributions.Weibul
