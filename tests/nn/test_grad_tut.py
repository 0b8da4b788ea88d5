"""torch.nn.grad (conv{1,2,3}d_input / conv{1,2,3}d_weight, used by the "Fusing Convolution
and Batch Norm" tutorial) vs torch, with stride/padding/dilation/groups, and their own
gradients."""
import pytest

from tests.oracle import check, random_array


@pytest.mark.parametrize("nd,kw", [
    (1, {}),
    (2, {}),
    (2, {"stride": 2, "padding": 1}),
    (2, {"dilation": 2, "groups": 2}),
    (3, {"padding": (1, 0, 1)}),
])
def test_conv_input_and_weight_grads(nd, kw):
    sp = (7,) * nd
    x_shape, w_shape = (2, 4) + sp, (6, 4 // kw.get("groups", 1)) + (3,) * nd

    def out_shape(T, x, w):
        F = T.nn.functional
        return getattr(F, f"conv{nd}d")(x, w, **kw).shape

    def f_input(T, w, gy):
        return getattr(T.nn.grad, f"conv{nd}d_input")(x_shape, w, gy, **kw)

    def f_weight(T, x, gy):
        return getattr(T.nn.grad, f"conv{nd}d_weight")(x, w_shape, gy, **kw)

    import torch
    gy_shape = tuple(out_shape(torch, torch.zeros(x_shape), torch.zeros(w_shape)))
    w, gy, x = (random_array(s, seed=i) for i, s in enumerate((w_shape, gy_shape, x_shape)))
    check(f_input, [w, gy], grad=True)
    check(f_weight, [x, gy], grad=True)


def test_matches_autograd_conv_gradients():
    def fn(T, x, w, gy):
        x, w = x.requires_grad_(), w.requires_grad_()
        out = T.nn.functional.conv2d(x, w, stride=2, padding=1)
        gx, gw = T.autograd.grad(out, (x, w), gy)
        return (gx, gx - T.nn.grad.conv2d_input(x.shape, w, gy, stride=2, padding=1),
                gw - T.nn.grad.conv2d_weight(x, w.shape, gy, stride=2, padding=1))
    check(fn, [random_array(s, seed=i) for i, s in
               enumerate([(2, 3, 6, 6), (5, 3, 3, 3), (2, 5, 3, 3)])], grad=False)


def test_functional_grad_is_the_nn_grad_module():
    import torch

    import ember
    for T in (torch, ember):
        assert T.nn.functional.grad is T.nn.grad
        assert [n for n in dir(T.nn.grad) if n.startswith("conv")] == \
            [n for n in dir(torch.nn.grad) if n.startswith("conv")]
