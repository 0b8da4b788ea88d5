# "Forward-mode Automatic Differentiation (Beta)" (PyTorch tutorial): the code cells, with prints
# of what they compute added (the tutorial itself only asserts). Its last part used functorch's
# `jvp` and `make_functional_with_buffers`; torch.func's `jvp` and `functional_call` are their
# successors in torch 2.x and are used here.
import functools

import torch
import torch.autograd.forward_ad as fwAD
import torch.nn as nn

torch.manual_seed(0)

# ---- Basic Usage ----
primal = torch.randn(10, 10)
tangent = torch.randn(10, 10)


def fn(x, y):
    return x ** 2 + y ** 2


with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    assert fwAD.unpack_dual(dual_input).tangent is tangent

    dual_input_alt = fwAD.make_dual(primal, tangent.T)
    assert fwAD.unpack_dual(dual_input_alt).tangent is not tangent
    print(fwAD.unpack_dual(dual_input_alt).tangent.stride(), tangent.T.stride())

    plain_tensor = torch.randn(10, 10)
    dual_output = fn(dual_input, plain_tensor)

    jvp = fwAD.unpack_dual(dual_output).tangent
    print(type(fwAD.unpack_dual(dual_output)).__name__, fwAD.unpack_dual(dual_output)._fields)
    print(jvp[:2])
    print(torch.allclose(jvp, 2 * primal * tangent))
    small = fwAD.make_dual(primal[0, :3].clone(), tangent[0, :3].clone())
    print(small)
    print(small * 2)

assert fwAD.unpack_dual(dual_output).tangent is None
print(fwAD.unpack_dual(dual_output).tangent)

# ---- Usage with Modules ----
model = nn.Linear(5, 5)
input = torch.randn(16, 5)

params = {name: p for name, p in model.named_parameters()}
tangents = {name: torch.rand_like(p) for name, p in params.items()}

with fwAD.dual_level():
    for name, p in params.items():
        delattr(model, name)
        setattr(model, name, fwAD.make_dual(p, tangents[name]))

    out = model(input)
    jvp = fwAD.unpack_dual(out).tangent
print(out.shape, out.requires_grad, jvp.requires_grad)
print(jvp[:3])

# ---- Using the functional Module API (beta) ----
from torch.func import functional_call

model = nn.Linear(5, 5)

dual_params = {}
with fwAD.dual_level():
    for name, p in params.items():
        dual_params[name] = fwAD.make_dual(p, tangents[name])
    out = functional_call(model, dual_params, input)
    jvp2 = fwAD.unpack_dual(out).tangent

assert torch.allclose(jvp, jvp2)
print(torch.allclose(jvp, jvp2), jvp2.sum())


# ---- Custom autograd Function ----
class Fn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, foo):
        result = torch.exp(foo)
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, gI):
        gO = gI * ctx.result
        del ctx.result
        return gO


fn = Fn.apply

primal = torch.randn(10, 10, dtype=torch.double, requires_grad=True)
tangent = torch.randn(10, 10)

with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    dual_output = fn(dual_input)
    jvp = fwAD.unpack_dual(dual_output).tangent
print(jvp.dtype, jvp[0, :4])
print(dual_output.grad_fn.__class__.__name__, dual_output.requires_grad)

print(torch.autograd.gradcheck(Fn.apply, (primal,), check_forward_ad=True,
                               check_backward_ad=False, check_undefined_grad=False,
                               check_batched_grad=False))

# ---- Functional API (beta) ----
import torch.func as ft

primal0 = torch.randn(10, 10)
tangent0 = torch.randn(10, 10)
primal1 = torch.randn(10, 10)
tangent1 = torch.randn(10, 10)


def fn(x, y):
    return x ** 2 + y ** 2


primal_out, tangent_out = ft.jvp(fn, (primal0, primal1), (tangent0, tangent1))
print(tangent_out[0, :4], primal_out[0, :4])

primal = torch.randn(10, 10)
tangent = torch.randn(10, 10)
y = torch.randn(10, 10)

new_fn = functools.partial(fn, y=y)
primal_out, tangent_out = ft.jvp(new_fn, (primal,), (tangent,))
print(tangent_out[0, :4])

# ---- Using the functional API with Modules ----
model = nn.Linear(5, 5)
input = torch.randn(16, 5)
params = dict(model.named_parameters())
tangents = {name: torch.rand_like(p) for name, p in params.items()}


def func_params_only(params):
    return functional_call(model, params, input)


model_output, jvp_out = ft.jvp(func_params_only, (params,), (tangents,))
# (.detach(): torch's tangent here carries a grad_fn because the parameters require grad;
# ember's torch.func.jvp, a double vjp, returns it without one)
print(model_output.shape, jvp_out[:2].detach())
