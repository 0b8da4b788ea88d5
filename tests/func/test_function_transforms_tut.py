"""autograd.Function under torch.func transforms (the "Extending torch.func with
autograd.Function" note): forward sees tensors that do not require grad (NumPy inside works),
torch's errors for Functions without setup_context / vmap support / jvp, and numpy() on a
tensor requiring grad under no_grad, vs torch."""
import numpy as np
import pytest

from tests.nn.utils._both import both
from tests.oracle import check_raises

# torch's functorch warns on its first jvp (a torch.jit.script inside torch)
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")


def _functions(T):
    class NumpySort(T.autograd.Function):
        @staticmethod
        def forward(x, dim):
            ind = np.argsort(x.numpy(), axis=dim)
            ind_inv = np.argsort(ind, axis=dim)
            return (T.tensor(np.take_along_axis(x.numpy(), ind, axis=dim)), T.tensor(ind),
                    T.tensor(ind_inv))

        @staticmethod
        def setup_context(ctx, inputs, output):
            _, ind, ind_inv = output
            ctx.mark_non_differentiable(ind, ind_inv)
            ctx.save_for_backward(ind, ind_inv)
            ctx.dim = inputs[1]

        @staticmethod
        def backward(ctx, g, _0, _1):
            ind, ind_inv = ctx.saved_tensors
            return NumpyTake.apply(g, ind_inv, ind, ctx.dim), None

        @staticmethod
        def vmap(info, in_dims, x, dim):
            x = x.movedim(in_dims[0], 0)
            dim = dim if dim >= 0 else dim + x.dim() - 1
            return NumpySort.apply(x, dim + 1), (0, 0, 0)

    class NumpyTake(T.autograd.Function):
        @staticmethod
        def forward(x, ind, ind_inv, dim):
            return T.tensor(np.take_along_axis(x.numpy(), ind.numpy(), dim))

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[1], inputs[2])
            ctx.dim = inputs[3]

        @staticmethod
        def backward(ctx, g):
            ind, ind_inv = ctx.saved_tensors
            return NumpyTake.apply(g, ind_inv, ind, ctx.dim), None, None, None

        @staticmethod
        def vmap(info, in_dims, x, ind, ind_inv, dim):
            logical_dim = x.dim() if in_dims[0] is None else in_dims[0] - 1
            dim = dim if dim >= 0 else dim + logical_dim

            def front(t, d):
                return t.expand(info.batch_size, *t.shape) if d is None else t.movedim(d, 0)
            x, ind, ind_inv = (front(t, d) for t, d in zip((x, ind, ind_inv), in_dims))
            return NumpyTake.apply(x, ind, ind_inv, dim + 1), 0

    class Cube(T.autograd.Function):
        @staticmethod
        def forward(x):
            return x ** 3, 3 * x ** 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0], output[1])

        @staticmethod
        def backward(ctx, g, gdx):
            x, dx = ctx.saved_tensors
            return g * dx + gdx * 6 * x

    class CubeV(Cube):
        generate_vmap_rule = True

    class CubeBoth(CubeV):
        @staticmethod
        def vmap(info, in_dims, x):
            return CubeBoth.apply(x), (0, 0)

    class Old(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    return NumpySort, Cube, CubeV, CubeBoth, Old


def test_numpy_functions_under_grad_vmap_jacrev():
    def prog(T, sub):
        NumpySort, Cube, CubeV, _, _ = _functions(T)
        x = T.tensor([[3., 1., 2.], [0.5, -1., 4.]])
        w = T.tensor([1., 2., 3.])

        def srt(x):
            return NumpySort.apply(x, -1)[0]
        seen = []

        class Probe(T.autograd.Function):
            generate_vmap_rule = True

            @staticmethod
            def forward(x):
                seen.append(x.requires_grad)
                return x * 2

            @staticmethod
            def setup_context(ctx, inputs, output):
                pass

            @staticmethod
            def backward(ctx, g):
                return g * 2
        out = [T.func.grad(lambda x: (srt(x) * w).sum())(x),
               T.vmap(srt)(x),
               T.func.jacrev(srt)(x[0]),
               T.vmap(T.func.grad(lambda r: (srt(r) * w).sum()))(x),
               T.func.grad(T.func.grad(lambda t: Cube.apply(t)[0]))(T.tensor(1.5)),
               T.vmap(lambda t: CubeV.apply(t)[0])(x[0]),
               T.func.grad(lambda t: Probe.apply(t).sum())(x)]
        Probe.apply(x.clone().requires_grad_())
        out.append(seen)
        return out
    both(prog)


@pytest.mark.parametrize("case", ["vmap_no_rule", "vmap_both", "old_style_grad",
                                  "old_style_vmap", "jvp_missing", "hessian_missing_jvp"])
def test_function_transform_errors(case):
    def fn(T):
        _, Cube, CubeV, CubeBoth, Old = _functions(T)
        x = T.tensor([1., 2.])
        if case == "vmap_no_rule":
            T.vmap(lambda t: Cube.apply(t)[0])(x)
        elif case == "vmap_both":
            T.vmap(lambda t: CubeBoth.apply(t)[0])(x)
        elif case == "old_style_grad":
            T.func.grad(lambda t: Old.apply(t).sum())(x)
        elif case == "old_style_vmap":
            T.vmap(Old.apply)(x)
        elif case == "jvp_missing":
            T.func.jvp(lambda t: CubeV.apply(t)[0], (x,), (T.ones(2),))
        else:
            T.func.hessian(lambda t: CubeV.apply(t)[0].sum())(x)
    check_raises(fn)


def test_jvp_not_needed_for_constants_inside_jvp():
    def prog(T, sub):
        _, _, CubeV, _, _ = _functions(T)
        c = T.tensor([1., 2.])
        return list(T.func.jvp(lambda t: CubeV.apply(c)[0] + t, (T.ones(2),), (T.ones(2),)))
    both(prog)


def test_numpy_of_requires_grad_tensor_under_no_grad():
    def prog(T, sub):
        x = T.ones(2, requires_grad=True)
        with T.no_grad():
            out = [x.numpy().tolist()]
        try:
            x.numpy()
        except RuntimeError as e:
            out.append(str(e))
        return out
    both(prog)
