# "Extending torch.func with autograd.Function" (notes/extending.func): setup_context-style
# Functions calling into NumPy (NumpySort/NumpyTake, with and without vmap staticmethods),
# custom gradient rules (MyCube), generate_vmap_rule=True, and a jvp staticmethod, used with
# torch.func.grad / vmap / jacrev / jvp. The error cases print type and message. Seeded.
import numpy as np
import torch

torch.manual_seed(0)


def to_numpy(tensor):
    return tensor.cpu().numpy()


class NumpySort(torch.autograd.Function):
    # Note that forward does not take ctx
    @staticmethod
    def forward(x, dim):
        device = x.device
        x = to_numpy(x)
        ind = np.argsort(x, axis=dim)
        ind_inv = np.argsort(ind, axis=dim)
        result = np.take_along_axis(x, ind, axis=dim)
        # Any intermediates to be saved in backward must be returned as
        # outputs.
        return (
            # The desired output
            torch.tensor(result, device=device),
            # intermediate to save for backward
            torch.tensor(ind, device=device),
            # intermediate to save for backward
            torch.tensor(ind_inv, device=device),
        )

    # setup_context is responsible for calling methods and/or assigning to
    # the ctx object. Please do not do additional compute (e.g. add
    # Tensors together) in setup_context.
    @staticmethod
    def setup_context(ctx, inputs, output):
        x, dim = inputs
        _, ind, ind_inv = output
        ctx.mark_non_differentiable(ind, ind_inv)
        # Tensors must be saved via ctx.save_for_backward. Please do not
        # assign them directly onto the ctx object.
        ctx.save_for_backward(ind, ind_inv)
        # Non-tensors may be saved by assigning them as attributes on the ctx object.
        ctx.dim = dim

    @staticmethod
    def backward(ctx, grad_output, _0, _1):
        ind, ind_inv = ctx.saved_tensors
        return NumpyTake.apply(grad_output, ind_inv, ind, ctx.dim), None

    # The signature of the vmap staticmethod is:
    # vmap(info, in_dims: Tuple[Optional[int]], *args)
    # where *args is the same as the arguments to `forward`.
    @staticmethod
    def vmap(info, in_dims, x, dim):
        x_bdim, _ = in_dims
        x = x.movedim(x_bdim, 0)
        # Handle negative dims correctly
        dim = dim if dim >= 0 else dim + x.dim() - 1
        return NumpySort.apply(x, dim + 1), (0, 0, 0)


class NumpyTake(torch.autograd.Function):
    @staticmethod
    def forward(x, ind, ind_inv, dim):
        device = x.device
        x = to_numpy(x)
        ind = to_numpy(ind)
        return torch.tensor(np.take_along_axis(x, ind, dim), device=device)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, ind, ind_inv, dim = inputs
        ctx.save_for_backward(ind, ind_inv)
        ctx.dim = dim

    @staticmethod
    def backward(ctx, grad_output):
        ind, ind_inv = ctx.saved_tensors
        result = NumpyTake.apply(grad_output, ind_inv, ind, ctx.dim)
        return result, None, None, None

    @staticmethod
    def vmap(info, in_dims, x, ind, ind_inv, dim):
        x_bdim, ind_bdim, ind_inv_bdim, _ = in_dims

        # Handle negative dims by wrapping them to be positive
        logical_dim = x.dim() if x_bdim is None else x_bdim - 1
        dim = dim if dim >= 0 else dim + logical_dim

        def maybe_expand_bdim_at_front(x, x_bdim):
            if x_bdim is None:
                return x.expand(info.batch_size, *x.shape)
            return x.movedim(x_bdim, 0)

        x = maybe_expand_bdim_at_front(x, x_bdim)
        ind = maybe_expand_bdim_at_front(ind, ind_bdim)
        ind_inv = maybe_expand_bdim_at_front(ind_inv, ind_inv_bdim)
        return NumpyTake.apply(x, ind, ind_inv, dim + 1), 0


def numpy_sort(x, dim=-1):
    result, _, _ = NumpySort.apply(x, dim)
    return result


x = torch.randn(2, 3)
grad_x = torch.func.grad(lambda x: numpy_sort(x).sum())(x)
print(grad_x)
print(torch.allclose(grad_x, torch.ones_like(x)))
w = torch.randn(2, 3)
print(torch.func.grad(lambda x: (numpy_sort(x) * w).sum())(x))
print(numpy_sort(x))
result = torch.vmap(numpy_sort)(x)
print(result)
print(torch.allclose(result, numpy_sort(result, 1)))
print(torch.func.jacrev(numpy_sort)(torch.tensor([3., 1., 2.])))
print(torch.vmap(torch.func.grad(lambda x: (numpy_sort(x) * w[0]).sum()))(x))
s, ind, ind_inv = NumpySort.apply(x.clone().requires_grad_(), 1)
print(s.grad_fn, ind.requires_grad, ind_inv.dtype)


class MyCube(torch.autograd.Function):
    @staticmethod
    def forward(x):
        result = x ** 3
        # In regular PyTorch, if we had just run y = x ** 3, then the backward
        # pass computes dx = 3 * x ** 2. In this autograd.Function, we've done
        # that computation here in the forward pass instead.
        dx = 3 * x ** 2
        return result, dx

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, = inputs
        result, dx = output
        ctx.save_for_backward(x, dx)

    @staticmethod
    def backward(ctx, grad_output, grad_dx):
        x, dx = ctx.saved_tensors
        # In order for the autograd.Function to work with higher-order
        # gradients, we must add the gradient contribution of `dx`.
        result = grad_output * dx + grad_dx * 6 * x
        return result


def my_cube(x):
    result, _ = MyCube.apply(x)
    return result


x = torch.randn([])
ggx = torch.func.grad(torch.func.grad(my_cube))(x)
print(x, ggx)
print(torch.allclose(ggx, 6 * x))
try:
    torch.vmap(my_cube)(torch.randn(3))
except RuntimeError as e:
    print("RuntimeError:", e)


class MyCubeV(torch.autograd.Function):
    # Set generate_vmap_rule to True to ask PyTorch to automatically generate
    # a vmap rule.
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        result = x ** 3
        dx = 3 * x ** 2
        return result, dx

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, = inputs
        result, dx = output
        ctx.save_for_backward(x, dx)

    @staticmethod
    def backward(ctx, grad_output, grad_dx):
        x, dx = ctx.saved_tensors
        result = grad_output * dx + grad_dx * 6 * x
        return result


def my_cube_v(x):
    result, dx = MyCubeV.apply(x)
    return result


x = torch.randn(3)
result = torch.vmap(my_cube_v)(x)
print(result)
print(torch.allclose(result, x ** 3))
print(torch.func.jacrev(my_cube_v)(x))
print(torch.vmap(torch.func.grad(my_cube_v))(x))
print(torch.func.jacrev(torch.func.jacrev(lambda x: my_cube_v(x).sum()))(x))
try:
    # hessian is jacfwd(jacrev(f)): forward-mode AD needs a jvp staticmethod
    torch.func.hessian(lambda x: my_cube_v(x).sum())(x)
except NotImplementedError as e:
    print("NotImplementedError:", e)


# forward-mode AD: a jvp staticmethod (save_for_forward keeps tensors for it)
class MySin(torch.autograd.Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return torch.sin(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, = inputs
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * torch.cos(x)

    @staticmethod
    def jvp(ctx, x_t):
        x, = ctx.saved_tensors
        return x_t * torch.cos(x)


x = torch.randn(4)
t = torch.ones(4)
out, jvp_out = torch.func.jvp(MySin.apply, (x,), (t,))
print(out)
print(jvp_out)
print(torch.allclose(jvp_out, torch.cos(x)))
print(torch.func.jacfwd(MySin.apply)(x))
print(torch.func.jacrev(MySin.apply)(x))


# the ctx-style forward cannot be used with function transforms
class OldStyle(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


print(OldStyle.apply(torch.ones(2, requires_grad=True)))
try:
    torch.func.grad(lambda x: OldStyle.apply(x).sum())(torch.ones(2))
except RuntimeError as e:
    print("RuntimeError:", e)


# no jvp staticmethod: forward-mode AD through it fails
class NoJvp(torch.autograd.Function):
    @staticmethod
    def forward(x):
        return x * 2

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, g):
        return g * 2


print(torch.func.grad(lambda x: NoJvp.apply(x).sum())(torch.ones(2)))
try:
    torch.func.jvp(NoJvp.apply, (torch.ones(2),), (torch.ones(2),))
except NotImplementedError as e:
    print("NotImplementedError:", e)
