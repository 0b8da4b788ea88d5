"""The old forward-pre-hook nn.utils.weight_norm / spectral_norm (and their removal) vs torch."""
import warnings

import pytest

from tests.nn.utils._both import both
from tests.oracle import check_raises


def test_weight_norm_hook():
    def prog(T, sub):
        T.manual_seed(0)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m = T.nn.utils.weight_norm(T.nn.Linear(4, 3), name="weight")
        out = [[(x.category.__name__, str(x.message)) for x in w]]
        out += [[n for n, _ in m.named_parameters()], m.weight_g, m.weight_v, m.weight,
                m.weight.grad_fn.name(), list(m.state_dict())]
        x = T.randn(2, 4)
        m(x).pow(2).sum().backward()
        out += [m.weight_g.grad, m.weight_v.grad]
        T.nn.utils.remove_weight_norm(m)
        out += [[n for n, _ in m.named_parameters()], m.weight, len(m._forward_pre_hooks)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            c = T.nn.utils.weight_norm(T.nn.Conv1d(2, 3, 2), dim=None)
        out += [c.weight_g, c.weight]
        return out
    both(prog)


def test_weight_norm_hook_errors():
    def twice(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            T.nn.utils.weight_norm(T.nn.utils.weight_norm(T.nn.Linear(2, 2)))
    check_raises(twice)
    check_raises(lambda T: T.nn.utils.remove_weight_norm(T.nn.Linear(2, 2)))
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        import ember
        ember.nn.utils.weight_norm(ember.nn.Linear(2, 2))


def test_spectral_norm_hook():
    def prog(T, sub):
        T.manual_seed(0)
        m = T.nn.utils.spectral_norm(T.nn.Linear(5, 4))
        out = [[n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()],
               m.weight_u, m.weight_v, m.weight, list(m.state_dict())]
        sd = m.state_dict()
        out.append(sorted(sd._metadata[""].items()))
        x = T.randn(3, 5)
        for _ in range(3):
            y = m(x)
            y.sum().backward()
        out += [y, m.weight_u, m.weight_orig.grad, m.weight.grad_fn.name()]
        m.eval()
        out += [m(x), m.weight_u]
        m2 = T.nn.utils.spectral_norm(T.nn.Linear(5, 4))
        m2.load_state_dict(sd)
        out.append(m2.weight_v)
        T.nn.utils.remove_spectral_norm(m)
        out += [[n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()],
                m.weight]
        ct = T.nn.utils.spectral_norm(T.nn.ConvTranspose1d(2, 3, 2), n_power_iterations=3)
        ct(T.randn(1, 2, 4))
        out += [ct.weight_u, ct.weight]
        return out
    both(prog)


def test_spectral_norm_hook_errors():
    check_raises(lambda T: T.nn.utils.spectral_norm(T.nn.Linear(2, 2), n_power_iterations=0))
    check_raises(lambda T: T.nn.utils.spectral_norm(T.nn.utils.spectral_norm(
        T.nn.Linear(2, 2))))
    check_raises(lambda T: T.nn.utils.spectral_norm(T.nn.Linear(2, 2, bias=False), "bias"))
    check_raises(lambda T: T.nn.utils.remove_spectral_norm(T.nn.Linear(2, 2)))
