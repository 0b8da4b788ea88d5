"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm) vs torch."""
import pytest

from tests.nn.utils._both import both
from tests.oracle import check_raises


def _symmetric(T):
    class Symmetric(T.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

        def right_inverse(self, A):
            return A.triu()
    return Symmetric


def test_register_remove_repr_state_dict():
    def prog(T, sub):
        P = sub("nn.utils.parametrize")
        T.manual_seed(0)
        m = T.nn.Linear(3, 3)
        out = []
        P.register_parametrization(m, "weight", _symmetric(T)())
        out += [repr(m), list(m.state_dict()), m.weight, type(m).__name__,
                P.is_parametrized(m), P.is_parametrized(m, "bias"),
                P.type_before_parametrizations(m).__name__, m.weight.grad_fn.name()]
        with P.cached():
            out.append(m.weight is m.weight)
        out.append(m.weight is m.weight)
        m(T.ones(2, 3)).sum().backward()
        out.append(m.parametrizations.weight.original.grad)
        A = T.rand(3, 3)
        m.weight = A + A.T                       # through right_inverse
        out += [m.weight, m.parametrizations.weight.original]
        P.register_parametrization(m, "weight", _symmetric(T)())   # a second one, chained
        out += [repr(m), list(m.state_dict())]
        P.remove_parametrizations(m, "weight")
        out += [repr(m), type(m).__name__, list(m.state_dict()), m.weight,
                type(m.weight).__name__, hasattr(m, "parametrizations")]
        n = T.nn.Linear(2, 2)
        P.register_parametrization(n, "weight", _symmetric(T)())
        P.remove_parametrizations(n, "weight", leave_parametrized=False)
        out.append(n.weight)
        return out
    both(prog)


def test_parametrization_errors():
    def no_such(T):
        T.nn.utils.parametrize.register_parametrization(T.nn.Linear(2, 2), "foo",
                                                        _symmetric(T)())
    check_raises(no_such)

    class Shape:
        def __call__(self, T):
            class Bad(T.nn.Module):
                def forward(self, X):
                    return X[0]
            T.nn.utils.parametrize.register_parametrization(T.nn.Linear(2, 2), "weight", Bad())
    check_raises(Shape())
    check_raises(lambda T: T.nn.utils.parametrize.remove_parametrizations(
        T.nn.Linear(2, 2), "weight"))

    def pickle_it(T):
        import pickle
        m = T.nn.utils.parametrizations.weight_norm(T.nn.Linear(2, 2))
        pickle.dumps(m)
    check_raises(pickle_it)


@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_weight_norm_parametrization(dim):
    def prog(T, sub):
        T.manual_seed(0)
        m = T.nn.utils.parametrizations.weight_norm(T.nn.Linear(4, 3), dim=dim)
        x = T.randn(2, 4)
        y = m(x)
        (y * y).sum().backward()
        p = m.parametrizations.weight
        return [repr(m), list(m.state_dict()), m.weight, y, m.weight.grad_fn.name(),
                p.original0, p.original0.grad, p.original1.grad]
    both(prog)


def test_weight_norm_conv_and_old_state_dict():
    def prog(T, sub):
        T.manual_seed(0)
        c = T.nn.utils.parametrizations.weight_norm(T.nn.Conv2d(2, 3, 3), dim=1)
        x = T.randn(1, 2, 5, 5)
        c(x).sum().backward()
        out = [c.weight, c.weight.grad_fn.name(), c.parametrizations.weight.original1.grad]
        # a state dict saved with the old hook (weight_g / weight_v) loads into the new one
        sd = {"weight_g": T.ones(3, 1), "weight_v": T.ones(3, 4), "bias": T.zeros(3)}
        m = T.nn.utils.parametrizations.weight_norm(T.nn.Linear(4, 3))
        m.load_state_dict(sd)
        out.append(m.weight)
        return out
    both(prog)


def test_weight_norm_double_backward():
    # NOTE: torch's own double backward through WeightNormInterfaceBackward0 is wrong (its
    # gradcheck fails); the oracle for second order is torch's unfused v * (g / ||v||)
    def prog(T, sub):
        T.manual_seed(0)
        v = T.randn(3, 4, dtype=T.float64, requires_grad=True)
        g = T.randn(3, 1, dtype=T.float64, requires_grad=True)
        if T.__name__ == "torch":
            w = v * (g / T.norm_except_dim(v, 2, 0))
        else:
            w = T._weight_norm(v, g, 0)
            assert w.grad_fn.name() == "WeightNormInterfaceBackward0"
        gv, gg = T.autograd.grad((w.sin()).sum(), (v, g), create_graph=True)
        hv, hg = T.autograd.grad((gv * gv).sum() + gg.sum(), (v, g))
        v3 = T.randn(2, 3, 4, dtype=T.float64, requires_grad=True)
        w3 = T._weight_norm(v3, T.norm_except_dim(v3, 2, 1).detach().requires_grad_(), 1)
        return [w, gv, gg, hv, hg, T.norm_except_dim(v, 2, 1), T.norm_except_dim(v, 2, -1),
                w3, w3.grad_fn.name()]
    both(prog)


@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
def test_spectral_norm_parametrization(kind):
    def prog(T, sub):
        T.manual_seed(0)
        m = {"linear": lambda: T.nn.Linear(5, 4), "conv": lambda: T.nn.Conv2d(3, 4, 2),
             "convT": lambda: T.nn.ConvTranspose2d(3, 4, 2)}[kind]()
        m = T.nn.utils.parametrizations.spectral_norm(m)
        p = m.parametrizations.weight[0]
        out = [repr(m), list(m.state_dict()), p._u, p._v, m.weight]
        x = T.randn(2, 5) if kind == "linear" else T.randn(1, 3, 4, 4)
        for _ in range(2):
            y = m(x)
            y.pow(2).sum().backward()
        out += [y, p._u, m.parametrizations.weight.original.grad]
        m.eval()
        out += [m.weight, p._u]
        return out
    both(prog)


def test_spectral_norm_errors():
    check_raises(lambda T: T.nn.utils.parametrizations.spectral_norm(
        T.nn.Linear(2, 2), n_power_iterations=0))
    check_raises(lambda T: T.nn.utils.parametrizations.spectral_norm(T.nn.Linear(2, 2), dim=3))
    check_raises(lambda T: T.nn.utils.parametrizations.spectral_norm(T.nn.Linear(2, 2), "foo"))
