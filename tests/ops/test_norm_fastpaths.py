"""Layer norm / group norm fast paths against torch: the vjp for a broadcast grad (a sum or
mean loss right after the norm: every row of the grad the same), strided grads, and the
general path, with and without the affine parameters, float32/float64/float16."""
import numpy as np
import pytest

from tests.oracle import check

R = np.random.default_rng(7)
# above 65536 elements ember's sum backward hands out a broadcast view (stride 0), not a copy
X = (R.standard_normal((6, 50, 256)) * 2 + 0.5).astype(np.float32)
W, B = R.uniform(0.5, 1.5, 256).astype(np.float32), R.standard_normal(256).astype(np.float32)


def F(T):
    return T.nn.functional


@pytest.fixture
def rows_path(monkeypatch):
    """Counts the calls of layer norm's broadcast-grad vjp."""
    from ember.ops import norm_ops
    calls = []
    orig = norm_ops.NativeLayerNorm._vjp_rows

    def spy(self, *a):
        calls.append(1)
        return orig(self, *a)
    monkeypatch.setattr(norm_ops.NativeLayerNorm, "_vjp_rows", spy)
    return calls


@pytest.mark.parametrize("affine", ["wb", "w", "b", ""])
@pytest.mark.parametrize("loss", ["sum", "mean", "colsum"])
def test_layer_norm_broadcast_grad(affine, loss, rows_path):
    def fn(T, x, w, b):
        y = F(T).layer_norm(x, (256,), w if "w" in affine else None,
                            b if "b" in affine else None)
        if loss == "colsum":          # grad: a (256,) row broadcast, not a scalar
            return y.sum(dim=(0, 1))
        return getattr(y, loss)()
    check(fn, [X, W, B])
    assert rows_path


def test_layer_norm_broadcast_grad_2d_shape_and_double(rows_path):
    w = R.uniform(0.5, 1.5, (16, 16))
    check(lambda T, x, w: F(T).layer_norm(x, (16, 16), w).sum(),
          [X.reshape(6, 50, 16, 16).astype(np.float64), w])
    assert rows_path


def test_layer_norm_broadcast_grad_half():
    check(lambda T, x: F(T).layer_norm(x, (256,)).sum(), [X.astype(np.float16)],
          rtol=1e-2, atol=1e-2)


def test_layer_norm_strided_grad():
    # the grad of a transpose: not contiguous, taken through one copy
    check(lambda T, x, w, b: F(T).layer_norm(x, (256,), w, b).transpose(0, 1) * 1.5,
          [X, W, B])


def test_layer_norm_column_broadcast_grad():
    # grad constant along the normalized dim but not across rows: strides (s, 0)
    check(lambda T, x, w: F(T).layer_norm(x, (256,), w).sum(-1), [X, W])


def test_layer_norm_backward_twice_retain_graph():
    import torch

    import ember
    grads = []
    for T in (torch, ember):
        x = T.tensor(X, requires_grad=True)
        y = F(T).layer_norm(x, (256,), T.tensor(W), T.tensor(B))
        loss = y.sum()
        loss.backward(retain_graph=True)
        loss.backward()
        grads.append(x.grad.detach().numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-5, atol=1e-5)


def test_layer_norm_broadcast_grad_double_backward():
    check(lambda T, x, w, b: F(T).layer_norm(x, (256,), w, b).sum(),
          [X[:2, :4].astype(np.float64), W.astype(np.float64), B.astype(np.float64)],
          gradgrad=True)
