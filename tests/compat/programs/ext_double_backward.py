# "Double Backward with Custom Functions" (intermediate/custom_function_double_backward_tutorial):
# Square, Exp saving its output, Sinh saving intermediate results as extra outputs, the SinhBad
# anti-pattern and Cube with a custom backward Function. torchviz graphs omitted; results of
# gradcheck/gradgradcheck and the gradients are printed instead. Seeded.
import torch

torch.manual_seed(0)


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        # Because we are saving one of the inputs use `save_for_backward`
        # Save non-tensors and non-inputs/non-outputs directly on ctx
        ctx.save_for_backward(x)
        return x**2

    @staticmethod
    def backward(ctx, grad_out):
        # A function support double backward automatically if autograd
        # is able to record the computations performed in backward
        x, = ctx.saved_tensors
        return grad_out * 2 * x


# Use double precision because finite differencing method magnifies errors
x = torch.rand(3, 3, requires_grad=True, dtype=torch.double)
print(torch.autograd.gradcheck(Square.apply, x))
# Use gradcheck to verify second-order derivatives
print(torch.autograd.gradgradcheck(Square.apply, x))

out = Square.apply(x)
print(out.grad_fn)
grad_x, = torch.autograd.grad(out.sum(), x, create_graph=True)
print(grad_x)
print(grad_x.grad_fn)
grad_x.sum().backward()
print(x.grad)


class Exp(torch.autograd.Function):
    # Simple case where everything goes well
    @staticmethod
    def forward(ctx, x):
        # This time we save the output
        result = torch.exp(x)
        # Note that we should use `save_for_backward` here when
        # the tensor saved is an ouptut (or an input).
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_out):
        result, = ctx.saved_tensors
        return result * grad_out


x = torch.tensor(1., requires_grad=True, dtype=torch.double).clone()
# Validate our gradients using gradcheck
print(torch.autograd.gradcheck(Exp.apply, x))
print(torch.autograd.gradgradcheck(Exp.apply, x))
out = Exp.apply(x)
g, = torch.autograd.grad(out, x, create_graph=True)
gg, = torch.autograd.grad(g, x)
print(out, g, gg)


class Sinh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        expx = torch.exp(x)
        expnegx = torch.exp(-x)
        ctx.save_for_backward(expx, expnegx)
        # In order to be able to save the intermediate results, a trick is to
        # include them as our outputs, so that the backward graph is constructed
        return (expx - expnegx) / 2, expx, expnegx

    @staticmethod
    def backward(ctx, grad_out, _grad_out_exp, _grad_out_negexp):
        expx, expnegx = ctx.saved_tensors
        grad_input = grad_out * (expx + expnegx) / 2
        # We cannot skip accumulating these even though we won't use the outputs
        # directly. They will be used later in the second backward.
        grad_input += _grad_out_exp * expx
        grad_input -= _grad_out_negexp * expnegx
        return grad_input


def sinh(x):
    # Create a wrapper that only returns the first output
    return Sinh.apply(x)[0]


x = torch.rand(3, 3, requires_grad=True, dtype=torch.double)
print(torch.autograd.gradcheck(sinh, x))
print(torch.autograd.gradgradcheck(sinh, x))
out = sinh(x)
print(out.grad_fn, out.grad_fn.next_functions)
g, = torch.autograd.grad(out.sum(), x, create_graph=True)
print(g)
print(torch.autograd.grad(g.sum(), x)[0])
print(torch.sinh(x))


class SinhBad(torch.autograd.Function):
    # This is an example of what NOT to do!
    @staticmethod
    def forward(ctx, x):
        expx = torch.exp(x)
        expnegx = torch.exp(-x)
        ctx.expx = expx
        ctx.expnegx = expnegx
        return (expx - expnegx) / 2

    @staticmethod
    def backward(ctx, grad_out):
        expx = ctx.expx
        expnegx = ctx.expnegx
        grad_input = grad_out * (expx + expnegx) / 2
        return grad_input


x = torch.rand(3, requires_grad=True, dtype=torch.double)
out = SinhBad.apply(x)
g, = torch.autograd.grad(out.sum(), x, create_graph=True)
# the saved intermediates are not part of the graph: the gradient has no history
print(g)
print(g.requires_grad, g.grad_fn)
print(torch.autograd.gradcheck(SinhBad.apply, x))
try:
    torch.autograd.gradgradcheck(SinhBad.apply, x)
except RuntimeError as e:
    print(type(e).__name__, str(e).splitlines()[0])


class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = x**3
        # In order for the intermediate result to be used in the backward pass,
        # the input is saved and dx is computed in another custom Function
        ctx.save_for_backward(x)
        return result

    @staticmethod
    def backward(ctx, grad_out):
        x, = ctx.saved_tensors
        return CubeBackward.apply(grad_out, x)


class CubeBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, grad_out, x):
        ctx.save_for_backward(x, grad_out)
        return grad_out * 3 * x**2

    @staticmethod
    def backward(ctx, grad_out):
        x, grad_out_prev = ctx.saved_tensors
        return grad_out * 3 * x**2, grad_out * 6 * x * grad_out_prev


x = torch.tensor(2., requires_grad=True, dtype=torch.double)
print(torch.autograd.gradcheck(Cube.apply, x))
print(torch.autograd.gradgradcheck(Cube.apply, x))
out = Cube.apply(x)
g, = torch.autograd.grad(out, x, create_graph=True)
print(g, g.grad_fn)
gg, = torch.autograd.grad(g, x, create_graph=True)
print(gg, gg.grad_fn)
