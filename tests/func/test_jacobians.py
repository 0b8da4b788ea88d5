"""torch.func.jacrev / jacfwd / hessian against torch: argnums, pytree inputs and outputs,
has_aux, composition with vmap and with each other, graph kept only where torch keeps it."""
import pytest

from ._util import arr, both, raises_same

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")


def T_in(T, *shape, seed=0, rg=False):
    t = T.tensor(arr(*shape, seed=seed))
    return t.requires_grad_() if rg else t


def predict(weight, bias, x):
    return (x @ weight.T + bias).tanh()


def wbx(T, din=5, dout=3, batch=None):
    x = T_in(T, din, seed=3) if batch is None else T_in(T, batch, din, seed=3)
    return T_in(T, dout, din, seed=1), T_in(T, dout, seed=2), x


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("argnums", [2, 0, (0, 1), (2, 0), -1])
def test_jacobian_argnums(jac, argnums):
    r, _ = both(lambda T: getattr(T.func, jac)(predict, argnums=argnums)(*wbx(T)))
    for t in (r if isinstance(r, tuple) else (r,)):
        assert t.grad_fn is None and not t.requires_grad


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_jacobian_pytrees_and_aux(jac):
    def f(d, y):
        return {"p": d["a"] * y, "q": [(d["b"] ** 2).sum(), y.exp()]}, {"aux": y.sum()}

    def run(T):
        d = {"a": T_in(T, 3), "b": T_in(T, 2, 2, seed=1)}
        return getattr(T.func, jac)(f, argnums=(0, 1), has_aux=True)(d, T_in(T, 3, seed=4))
    both(run)
    both(lambda T: getattr(T.func, jac)(lambda x: x.sum(0))(T_in(T, 2, 3)))
    both(lambda T: getattr(T.func, jac)(lambda x: x * 3)(T_in(T)))


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_jacobian_of_unused_input_and_constant_output(jac):
    both(lambda T: getattr(T.func, jac)(lambda x, y: y.sin(), argnums=(0, 1))(T_in(T, 2),
                                                                             T_in(T, 3)))
    both(lambda T: getattr(T.func, jac)(lambda x: (x * 0).sum() + T.ones(2))(T_in(T, 3)))


def test_hessians_agree_with_torch_and_each_other():
    for fn in ("hessian", "fwdfwd", "revrev", "revfwd"):
        def run(T, fn=fn):
            F = T.func
            h = {"hessian": lambda: F.hessian(predict, argnums=2),
                 "fwdfwd": lambda: F.jacfwd(F.jacfwd(predict, argnums=2), argnums=2),
                 "revrev": lambda: F.jacrev(F.jacrev(predict, argnums=2), argnums=2),
                 "revfwd": lambda: F.jacrev(F.jacfwd(predict, argnums=2), argnums=2)}[fn]()
            return h(*wbx(T, 4, 3))
        r, _ = both(run, atol=1e-5)
        assert r.shape == (3, 4, 4) and r.grad_fn is None
    both(lambda T: T.func.hessian(lambda x: (x.sin() * x.roll(1)).sum())(T_in(T, 5)))
    both(lambda T: T.func.hessian(lambda a, b: (a * b.exp()).sum(), argnums=(0, 1))(
        T_in(T, 2), T_in(T, 2, seed=1)))


def test_batch_jacobian_and_hessian_with_vmap():
    both(lambda T: T.func.vmap(T.func.jacrev(predict, argnums=2), in_dims=(None, None, 0))(
        *wbx(T, batch=4)))
    both(lambda T: T.func.vmap(T.func.hessian(predict, argnums=2), in_dims=(None, None, 0))(
        *wbx(T, 3, 2, batch=3)), atol=1e-5)


def test_jacobian_inputs_requiring_grad_outside():
    def run(T):
        w, b, x = wbx(T)
        w.requires_grad_()
        J = T.func.jacrev(predict, argnums=2)(w, b, x)
        assert J.requires_grad
        J.pow(2).sum().backward()
        return J, w.grad
    both(run)


def test_jacobian_errors():
    raises_same(lambda T: T.func.jacrev(predict, chunk_size=0))
    raises_same(lambda T: T.func.jacrev(predict, argnums=3)(*wbx(T)))
    raises_same(lambda T: T.func.jacfwd(predict, argnums=(1, 1))(*wbx(T)))
    raises_same(lambda T: T.func.jacrev(lambda x: x > 0)(T_in(T, 2)))
    raises_same(lambda T: T.func.jacrev(lambda x: [x, 1])(T_in(T, 2)))
    raises_same(lambda T: T.func.jacfwd(lambda x: [x, 1])(T_in(T, 2)))
    raises_same(lambda T: T.func.jacrev(lambda x: x, has_aux=True)(T_in(T, 2)))
    raises_same(lambda T: T.func.jacfwd(lambda x: x, has_aux=True)(T_in(T, 2)))
    raises_same(lambda T: T.func.jacrev(lambda x: x)(T_in(T, 2).to(T.complex64)))
    raises_same(lambda T: T.func.jacfwd(lambda x: x)(T_in(T, 2).to(T.complex64)))
    raises_same(lambda T: T.func.jacfwd(lambda x: x, randomness="sometimes")(T_in(T, 2)))
    raises_same(lambda T: T.func.jacfwd(lambda x: T.nn.functional.dropout(x))(T_in(T, 3)))
    raises_same(lambda T: T.func.jacrev(lambda x: x.sum())(2.0))


def test_jacfwd_randomness():
    def run(T, mode):
        T.manual_seed(0)
        return T.func.jacfwd(lambda x: x * T.rand(3), randomness=mode)(T_in(T, 3))
    both(lambda T: run(T, "same"))
    both(lambda T: run(T, "different").shape)


def test_identity_functions():
    x = lambda T: T_in(T, 3)
    both(lambda T: T.func.jacrev(lambda x: x)(x(T)))
    both(lambda T: T.func.jacfwd(lambda x: x)(x(T)))
    both(lambda T: T.func.hessian(lambda x: x.sum())(x(T)))
    both(lambda T: T.func.jvp(lambda x: x, (x(T),), (T.ones(3),)))
    both(lambda T: T.func.vjp(lambda x: x, x(T))[1](T.ones(3)))
    both(lambda T: T.func.grad(lambda x: x)(T.tensor(2.0)))
    both(lambda T: T.func.jacrev(lambda x, y: y, argnums=(0, 1))(x(T), x(T)))
