"""nn.functional against torch: values, gradients (and some second gradients), grad_fn names,
argument handling and error messages."""
import numpy as np
import pytest
import torch

import ember
from oracle import check, check_raises, random_array as ra


def names(T, y):
    fn = y.grad_fn
    return type(fn).__name__ if T is ember else fn.name()


GRAD_FN = [
    ("relu", lambda T, x: T.nn.functional.relu(x)),
    ("relu6", lambda T, x: T.nn.functional.relu6(x)),
    ("leaky", lambda T, x: T.nn.functional.leaky_relu(x, 0.1)),
    ("elu", lambda T, x: T.nn.functional.elu(x)),
    ("selu", lambda T, x: T.nn.functional.selu(x)),
    ("celu", lambda T, x: T.nn.functional.celu(x)),
    ("gelu", lambda T, x: T.nn.functional.gelu(x)),
    ("silu", lambda T, x: T.nn.functional.silu(x)),
    ("mish", lambda T, x: T.nn.functional.mish(x)),
    ("hardtanh", lambda T, x: T.nn.functional.hardtanh(x)),
    ("hardsigmoid", lambda T, x: T.nn.functional.hardsigmoid(x)),
    ("hardswish", lambda T, x: T.nn.functional.hardswish(x)),
    ("softplus", lambda T, x: T.nn.functional.softplus(x)),
    ("softsign", lambda T, x: T.nn.functional.softsign(x)),
    ("tanhshrink", lambda T, x: T.nn.functional.tanhshrink(x)),
    ("threshold", lambda T, x: T.nn.functional.threshold(x, 0.1, 2.0)),
    ("hardshrink", lambda T, x: T.nn.functional.hardshrink(x)),
    ("softshrink", lambda T, x: T.nn.functional.softshrink(x)),
    ("logsigmoid", lambda T, x: T.nn.functional.logsigmoid(x)),
    ("softmax", lambda T, x: T.nn.functional.softmax(x, 1)),
    ("log_softmax", lambda T, x: T.nn.functional.log_softmax(x, 1)),
    ("softmin", lambda T, x: T.nn.functional.softmin(x, 1)),
    ("glu", lambda T, x: T.nn.functional.glu(x, 1)),
    ("linear", lambda T, x: T.nn.functional.linear(x[0, 0], T.ones(3, 4), T.ones(3))),
    ("linear_nobias", lambda T, x: T.nn.functional.linear(x[0, 0], T.ones(3, 4))),
    ("linear_3d", lambda T, x: T.nn.functional.linear(x[0], T.ones(3, 4), T.ones(3))),
    ("linear_3d_nobias", lambda T, x: T.nn.functional.linear(x[0], T.ones(3, 4))),
    ("conv2d", lambda T, x: T.nn.functional.conv2d(x, T.ones(1, 2, 2, 2))),
    ("max_pool2d", lambda T, x: T.nn.functional.max_pool2d(x, 2)),
    ("max_pool1d", lambda T, x: T.nn.functional.max_pool1d(x[0], 2)),
    ("avg_pool2d", lambda T, x: T.nn.functional.avg_pool2d(x, 2)),
    ("avg_pool1d", lambda T, x: T.nn.functional.avg_pool1d(x[0], 2)),
    ("adaptive_avg", lambda T, x: T.nn.functional.adaptive_avg_pool2d(x, 3)),
    ("adaptive_avg_1", lambda T, x: T.nn.functional.adaptive_avg_pool2d(x, 1)),
    ("adaptive_max", lambda T, x: T.nn.functional.adaptive_max_pool2d(x, 3)),
    ("dropout", lambda T, x: T.nn.functional.dropout(x, 0.5)),
    ("pad_const", lambda T, x: T.nn.functional.pad(x, (1, 1))),
    ("pad_reflect", lambda T, x: T.nn.functional.pad(x, (1, 1, 1, 1), mode="reflect")),
    ("pad_replicate", lambda T, x: T.nn.functional.pad(x, (1, 1, 1, 1), mode="replicate")),
    ("interp_nearest", lambda T, x: T.nn.functional.interpolate(x, scale_factor=2)),
    ("interp_bilinear", lambda T, x: T.nn.functional.interpolate(x, scale_factor=2,
                                                                 mode="bilinear")),
    ("interp_bicubic", lambda T, x: T.nn.functional.interpolate(x, size=5, mode="bicubic")),
    ("interp_nearest_exact", lambda T, x: T.nn.functional.interpolate(x, size=5,
                                                                      mode="nearest-exact")),
    ("unfold", lambda T, x: T.nn.functional.unfold(x, 2)),
    ("pixel_unshuffle", lambda T, x: T.nn.functional.pixel_unshuffle(x, 2)),
    ("cross_entropy", lambda T, x: T.nn.functional.cross_entropy(x[0, 0], T.tensor([1, 0, 1, 1]))),
    ("nll_4d", lambda T, x: T.nn.functional.nll_loss(x, T.zeros(2, 4, 4, dtype=T.int64))),
    ("mse", lambda T, x: T.nn.functional.mse_loss(x, T.zeros(2, 2, 4, 4))),
    ("l1", lambda T, x: T.nn.functional.l1_loss(x, T.zeros(2, 2, 4, 4))),
    ("smooth_l1", lambda T, x: T.nn.functional.smooth_l1_loss(x, T.zeros(2, 2, 4, 4))),
    ("huber", lambda T, x: T.nn.functional.huber_loss(x, T.zeros(2, 2, 4, 4))),
    ("bce_logits", lambda T, x: T.nn.functional.binary_cross_entropy_with_logits(
        x, T.ones(2, 2, 4, 4))),
    ("bce", lambda T, x: T.nn.functional.binary_cross_entropy(x.sigmoid(), T.ones(2, 2, 4, 4))),
    ("soft_margin", lambda T, x: T.nn.functional.soft_margin_loss(x, T.ones(2, 2, 4, 4))),
    ("multi_margin", lambda T, x: T.nn.functional.multi_margin_loss(x[0, 0], T.tensor([1, 0, 2,
                                                                                        3]))),
    ("normalize", lambda T, x: T.nn.functional.normalize(x)),
]


@pytest.mark.parametrize("name,fn", GRAD_FN, ids=[g[0] for g in GRAD_FN])
def test_grad_fn_names(name, fn):
    res = {}
    for T in (torch, ember):
        T.manual_seed(0)
        x = T.tensor(ra((2, 2, 4, 4), seed=3), requires_grad=True)
        y = fn(T, x)
        res[T] = names(T, y)
    assert res[ember] == res[torch]


def test_print_loss_grad_fn():
    outs = {}
    for T in (torch, ember):
        x = T.tensor(ra((3, 4), seed=1), requires_grad=True)
        y = T.tensor([0, 3, 1])
        outs[T] = (repr(T.nn.CrossEntropyLoss()(x, y)), repr(T.nn.MSELoss()(x, x.detach() * 2)),
                   repr(T.nn.L1Loss()(x, x.detach() * 2)),
                   repr(T.nn.NLLLoss()(T.nn.functional.log_softmax(x, 1), y)),
                   repr(T.nn.BCEWithLogitsLoss()(x, T.ones(3, 4))))
    assert outs[ember] == outs[torch]


def test_linear_weight_goes_through_t():
    for T in (torch, ember):
        w = T.ones(3, 4, requires_grad=True)
        y = T.nn.functional.linear(T.ones(2, 4), w, T.ones(3, requires_grad=True))
        nxt = [n.name() if T is torch else type(n).__name__
               for n, _ in y.grad_fn.next_functions if n is not None]
        assert nxt[-1] == "TBackward0"


X = ra((2, 3, 6, 6), seed=0)
X2 = ra((4, 5), seed=1)
P = ra((4, 5), seed=2, low=0.05, high=0.95)
TGT = np.array([1, 0, 4, 2])


def _p(T, x):
    """The probability-like target P in x's dtype."""
    return T.tensor(P, dtype=x.dtype)


def _w(T, x):
    """Class weights in x's dtype."""
    return T.tensor([1., 2, 3, 4, 5], dtype=x.dtype)


SMOOTH = [
    ("gelu", lambda T, x: T.nn.functional.gelu(x)),
    ("gelu_tanh", lambda T, x: T.nn.functional.gelu(x, approximate="tanh")),
    ("silu", lambda T, x: T.nn.functional.silu(x)),
    ("mish", lambda T, x: T.nn.functional.mish(x)),
    ("elu", lambda T, x: T.nn.functional.elu(x)),
    ("softplus", lambda T, x: T.nn.functional.softplus(x, 2.0, 3.0)),
    ("logsigmoid", lambda T, x: T.nn.functional.logsigmoid(x)),
    ("softmax", lambda T, x: T.nn.functional.softmax(x, -1)),
    ("log_softmax", lambda T, x: T.nn.functional.log_softmax(x, 0)),
    ("glu", lambda T, x: T.nn.functional.glu(x, -1)),
    ("relu", lambda T, x: T.nn.functional.relu(x)),
    ("leaky", lambda T, x: T.nn.functional.leaky_relu(x, 0.2)),
    ("hardswish", lambda T, x: T.nn.functional.hardswish(x)),
    ("conv2d", lambda T, x: T.nn.functional.conv2d(x.reshape(1, 1, 4, 6),
                                                   x[:2, :2].reshape(1, 1, 2, 2) * 1.0,
                                                   padding=1, stride=(1, 2))),
    ("conv_t", lambda T, x: T.nn.functional.conv_transpose2d(x.reshape(1, 2, 2, 6),
                                                             x[:2, :2].reshape(2, 1, 1, 2),
                                                             stride=2)),
    ("max_pool", lambda T, x: T.nn.functional.max_pool2d(x.reshape(1, 1, 4, 6), 2, 1)),
    ("avg_pool", lambda T, x: T.nn.functional.avg_pool2d(x.reshape(1, 1, 4, 6), 2, 1,
                                                         padding=1)),
    ("adaptive_avg", lambda T, x: T.nn.functional.adaptive_avg_pool2d(x.reshape(1, 1, 4, 6),
                                                                      (3, 4))),
    ("interp", lambda T, x: T.nn.functional.interpolate(x.reshape(1, 1, 4, 6), scale_factor=2,
                                                        mode="bilinear")),
    ("pad_reflect", lambda T, x: T.nn.functional.pad(x.reshape(1, 4, 6), (2, 1),
                                                     mode="reflect")),
    ("mse", lambda T, x: T.nn.functional.mse_loss(x, x.detach() * 0.5)),
    ("bce_logits", lambda T, x: T.nn.functional.binary_cross_entropy_with_logits(
        x, (x.detach() > 0).to(x.dtype), pos_weight=T.ones(6) * 2)),
    ("cross_entropy", lambda T, x: T.nn.functional.cross_entropy(x, T.tensor([1, 0, 5, 2]))),
    ("huber", lambda T, x: T.nn.functional.huber_loss(x, x.detach() * 0.1, delta=0.5)),
    ("smooth_l1", lambda T, x: T.nn.functional.smooth_l1_loss(x, x.detach() * 0.1, beta=0.5)),
]


@pytest.mark.parametrize("name,fn", SMOOTH, ids=[s[0] for s in SMOOTH])
def test_second_order(name, fn):
    check(fn, [ra((4, 6), seed=4, dtype="float64")], gradgrad=True)


def test_softmax_dtype_and_errors():
    check(lambda T, x: T.nn.functional.softmax(x, 1, dtype=T.float64), [X])
    check(lambda T, x: T.nn.functional.log_softmax(x, -1, dtype=T.float64), [X])
    check(lambda T, x: T.nn.functional.softmax(x, 0), [ra((), seed=1)])
    check(lambda T, x: T.nn.functional.log_softmax(x, 0), [ra((), seed=1)])
    check_raises(lambda T: T.nn.functional.softmax(T.ones(2, 3), 2))
    check_raises(lambda T: T.nn.functional.softmax(T.ones(2, 3, dtype=T.int64), 1))
    check_raises(lambda T: T.nn.functional.log_softmax(T.ones(2, 3, dtype=T.int32), 0))
    check(lambda T, x: T.nn.functional.softmax(x, 1), [np.array([[1e4, -1e4, 0.0],
                                                                 [-np.inf, 0.0, 1.0]],
                                                                np.float32)])


def test_softmax_large_values_stable():
    check(lambda T, x: T.nn.functional.log_softmax(x, 1),
          [np.array([[1000.0, 1001.0, -1000.0]], np.float32)])


LOSSES = [
    ("ce", lambda T, x: T.nn.functional.cross_entropy(x, T.tensor(TGT))),
    ("ce_sum", lambda T, x: T.nn.functional.cross_entropy(x, T.tensor(TGT), reduction="sum")),
    ("ce_none", lambda T, x: T.nn.functional.cross_entropy(x, T.tensor(TGT), reduction="none")),
    ("ce_weight", lambda T, x: T.nn.functional.cross_entropy(x, T.tensor(TGT),
                                                             weight=_w(T, x))),
    ("ce_ignore", lambda T, x: T.nn.functional.cross_entropy(x, T.tensor([1, -100, 4, 2]))),
    ("ce_ignore_custom", lambda T, x: T.nn.functional.cross_entropy(
        x, T.tensor([1, 3, 4, 3]), ignore_index=3, weight=_w(T, x))),
    ("ce_smooth", lambda T, x: T.nn.functional.cross_entropy(x, T.tensor(TGT),
                                                             label_smoothing=0.1)),
    ("ce_smooth_w_ignore", lambda T, x: T.nn.functional.cross_entropy(
        x, T.tensor([1, -100, 4, 2]), weight=_w(T, x), label_smoothing=0.2)),
    ("ce_smooth_none", lambda T, x: T.nn.functional.cross_entropy(
        x, T.tensor([1, -100, 4, 2]), label_smoothing=0.2, reduction="none")),
    ("ce_smooth_sum", lambda T, x: T.nn.functional.cross_entropy(
        x, T.tensor(TGT), label_smoothing=0.3, reduction="sum")),
    ("ce_probs", lambda T, x: T.nn.functional.cross_entropy(x, _p(T, x))),
    ("ce_probs_w_smooth", lambda T, x: T.nn.functional.cross_entropy(
        x, _p(T, x), weight=_w(T, x), label_smoothing=0.1)),
    ("ce_probs_none", lambda T, x: T.nn.functional.cross_entropy(x, _p(T, x),
                                                                 reduction="none")),
    ("ce_1d", lambda T, x: T.nn.functional.cross_entropy(x[0], T.tensor(3))),
    ("ce_nd", lambda T, x: T.nn.functional.cross_entropy(x.reshape(2, 5, 2),
                                                         T.tensor([[0, 4], [2, 1]]))),
    ("ce_nd_none", lambda T, x: T.nn.functional.cross_entropy(x.reshape(1, 5, 2, 2),
                                                              T.tensor([[[0, 4], [2, 1]]]),
                                                              reduction="none")),
    ("ce_nd_probs", lambda T, x: T.nn.functional.cross_entropy(
        x.reshape(2, 5, 2), T.tensor(P.reshape(2, 5, 2), dtype=x.dtype))),
    ("nll", lambda T, x: T.nn.functional.nll_loss(x, T.tensor(TGT))),
    ("nll_weight_sum", lambda T, x: T.nn.functional.nll_loss(x, T.tensor(TGT), reduction="sum",
                                                             weight=_w(T, x))),
    ("nll_5d", lambda T, x: T.nn.functional.nll_loss(x.reshape(1, 5, 2, 1, 2),
                                                     T.tensor([[[[0, 4]], [[2, 1]]]]),
                                                     reduction="none")),
    ("mse", lambda T, x: T.nn.functional.mse_loss(x, _p(T, x))),
    ("mse_sum", lambda T, x: T.nn.functional.mse_loss(x, _p(T, x), reduction="sum")),
    ("mse_none", lambda T, x: T.nn.functional.mse_loss(x, _p(T, x), reduction="none")),
    ("l1", lambda T, x: T.nn.functional.l1_loss(x, _p(T, x))),
    ("l1_none", lambda T, x: T.nn.functional.l1_loss(x, _p(T, x), reduction="none")),
    ("smooth_l1", lambda T, x: T.nn.functional.smooth_l1_loss(x, _p(T, x), beta=0.5)),
    ("smooth_l1_b0", lambda T, x: T.nn.functional.smooth_l1_loss(x, _p(T, x), beta=0.0)),
    ("huber", lambda T, x: T.nn.functional.huber_loss(x, _p(T, x), delta=0.7,
                                                      reduction="sum")),
    ("bce", lambda T, x: T.nn.functional.binary_cross_entropy(x.sigmoid(), _p(T, x))),
    ("bce_weight", lambda T, x: T.nn.functional.binary_cross_entropy(
        x.sigmoid(), _p(T, x), weight=_w(T, x), reduction="none")),
    ("bce_clamp", lambda T, x: T.nn.functional.binary_cross_entropy(
        (x * 0).clamp(0, 1), _p(T, x))),
    ("bce_logits", lambda T, x: T.nn.functional.binary_cross_entropy_with_logits(x, _p(T, x))),
    ("bce_logits_w_pw", lambda T, x: T.nn.functional.binary_cross_entropy_with_logits(
        x * 30, _p(T, x), weight=_w(T, x),
        pos_weight=T.tensor([0.5, 1, 2, 3, 4], dtype=x.dtype), reduction="sum")),
    ("kl", lambda T, x: T.nn.functional.kl_div(x.log_softmax(1), _p(T, x),
                                               reduction="batchmean")),
    ("kl_sum", lambda T, x: T.nn.functional.kl_div(x.log_softmax(1), _p(T, x),
                                                   reduction="sum")),
    ("kl_none_logt", lambda T, x: T.nn.functional.kl_div(x, _p(T, x).log(), reduction="none",
                                                         log_target=True)),
    ("kl_zero_target", lambda T, x: T.nn.functional.kl_div(x, _p(T, x) * (_p(T, x) > 0.5),
                                                           reduction="sum")),
    ("cosine_emb", lambda T, x: T.nn.functional.cosine_embedding_loss(
        x, x.flip(0) * 2, T.tensor([1, -1, 1, -1]), margin=0.1)),
    ("margin_rank", lambda T, x: T.nn.functional.margin_ranking_loss(
        x[0], x[1], T.tensor([1., -1, 1, -1, 1], dtype=x.dtype), margin=0.2)),
    ("triplet", lambda T, x: T.nn.functional.triplet_margin_loss(x, x.flip(0), x * 0.5)),
    ("triplet_swap_p1", lambda T, x: T.nn.functional.triplet_margin_loss(
        x, x.flip(0), x * 0.5, p=1, swap=True, reduction="none")),
    ("triplet_dist", lambda T, x: T.nn.functional.triplet_margin_with_distance_loss(
        x, x.flip(0), x * 0.5, distance_function=lambda a, b: (a - b).abs().sum(-1))),
    ("multilabel_soft", lambda T, x: T.nn.functional.multilabel_soft_margin_loss(
        x, T.tensor((P > 0.5).astype(np.float32), dtype=x.dtype), weight=_w(T, x))),
    ("multilabel_margin", lambda T, x: T.nn.functional.multilabel_margin_loss(
        x, T.tensor([[3, 0, -1, 1, 1], [1, 2, 3, 4, -1], [0, -1, 2, 2, 2],
                     [-1, 1, 1, 1, 1]]))),
    ("soft_margin", lambda T, x: T.nn.functional.soft_margin_loss(
        x, T.tensor([[1., -1, 1, -1, 1]] * 4, dtype=x.dtype))),
    ("hinge", lambda T, x: T.nn.functional.hinge_embedding_loss(
        x, T.tensor([[1., -1, 1, -1, 1]] * 4, dtype=x.dtype), margin=0.5)),
    ("multi_margin", lambda T, x: T.nn.functional.multi_margin_loss(x, T.tensor(TGT))),
    ("multi_margin_p2_w", lambda T, x: T.nn.functional.multi_margin_loss(
        x, T.tensor(TGT), p=2, margin=0.5, weight=_w(T, x),
        reduction="none")),
    ("poisson", lambda T, x: T.nn.functional.poisson_nll_loss(x, _p(T, x) * 3)),
    ("poisson_full", lambda T, x: T.nn.functional.poisson_nll_loss(
        x.exp(), _p(T, x) * 3, log_input=False, full=True)),
    ("gaussian", lambda T, x: T.nn.functional.gaussian_nll_loss(x, _p(T, x),
                                                                _p(T, x) + 0.1)),
    ("gaussian_full_float", lambda T, x: T.nn.functional.gaussian_nll_loss(
        x, _p(T, x), 0.5, full=True, reduction="sum")),
    ("gaussian_hetero", lambda T, x: T.nn.functional.gaussian_nll_loss(
        x, _p(T, x), T.ones(4, 1, dtype=x.dtype), reduction="none")),
]


@pytest.mark.parametrize("name,fn", LOSSES, ids=[ls[0] for ls in LOSSES])
def test_loss(name, fn):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's 'mean' notice is tested separately
        check(fn, [X2])
        check(fn, [X2.astype("float64")])


LOSS_MODULES = [
    ("CrossEntropyLoss", lambda T: T.nn.CrossEntropyLoss(weight=T.tensor([1., 2, 3, 4, 5]),
                                                         label_smoothing=0.05), "cls"),
    ("NLLLoss", lambda T: T.nn.NLLLoss(reduction="sum", ignore_index=2), "cls"),
    ("MSELoss", lambda T: T.nn.MSELoss(), "reg"),
    ("L1Loss", lambda T: T.nn.L1Loss(reduction="none"), "reg"),
    ("SmoothL1Loss", lambda T: T.nn.SmoothL1Loss(beta=0.3), "reg"),
    ("HuberLoss", lambda T: T.nn.HuberLoss(delta=2.0), "reg"),
    ("BCELoss", lambda T: T.nn.BCELoss(), "prob"),
    ("BCEWithLogitsLoss", lambda T: T.nn.BCEWithLogitsLoss(pos_weight=T.ones(5) * 2), "prob"),
    ("KLDivLoss", lambda T: T.nn.KLDivLoss(reduction="batchmean"), "prob"),
    ("SoftMarginLoss", lambda T: T.nn.SoftMarginLoss(), "sign"),
    ("HingeEmbeddingLoss", lambda T: T.nn.HingeEmbeddingLoss(), "sign"),
    ("MultiLabelSoftMarginLoss", lambda T: T.nn.MultiLabelSoftMarginLoss(), "prob"),
    ("MultiMarginLoss", lambda T: T.nn.MultiMarginLoss(), "cls"),
    ("PoissonNLLLoss", lambda T: T.nn.PoissonNLLLoss(), "prob"),
]


@pytest.mark.parametrize("name,make,kind", LOSS_MODULES, ids=[m[0] for m in LOSS_MODULES])
def test_loss_modules(name, make, kind):
    targets = {"cls": TGT, "reg": P, "prob": P, "sign": np.sign(P - 0.5).astype(np.float32)}

    def fn(T, x):
        m = make(T)
        inp = x.sigmoid() if name == "BCELoss" else x
        return m(inp, T.tensor(targets[kind]))
    check(fn, [X2])
    for T in (torch, ember):
        assert repr(make(T)) == repr(make(torch))
        assert list(make(T).state_dict()) == list(make(torch).state_dict())


def test_legacy_reduction_args_warn():
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, "
                                             "please use reduction='sum' instead."):
            m = T.nn.MSELoss(size_average=False)
        assert m.reduction == "sum"
        with pytest.warns(UserWarning, match="reduction='none'"):
            r = T.nn.functional.l1_loss(T.ones(2), T.zeros(2), reduce=False)
        assert r.shape == (2,)


def test_kl_div_mean_warns():
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss"):
            T.nn.functional.kl_div(T.zeros(2), T.ones(2))


def test_mse_size_warning():
    for T in (torch, ember):
        with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[4\]\)\) that "
                                             r"is different to the input size"):
            T.nn.functional.mse_loss(T.ones(3, 4), T.ones(4))


def test_loss_errors():
    F = "nn.functional"
    del F
    check_raises(lambda T: T.nn.functional.cross_entropy(T.ones(4, 5), T.tensor([1, 2, 3])))
    check_raises(lambda T: T.nn.functional.cross_entropy(T.ones(4, 5), T.tensor([1, 2, 3, 7])))
    check_raises(lambda T: T.nn.functional.cross_entropy(T.ones(4, 5), T.tensor([-1, 2, 3, 1])))
    check_raises(lambda T: T.nn.functional.cross_entropy(T.ones(4, 5), T.rand(4, 4)))
    check_raises(lambda T: T.nn.functional.cross_entropy(T.ones(4, 5),
                                                         T.tensor([1, 2, 3, 4],
                                                                  dtype=T.int32)))
    check_raises(lambda T: T.nn.functional.cross_entropy(T.ones(4, 5, 3),
                                                         T.zeros(4, 2, dtype=T.int64)))
    check_raises(lambda T: T.nn.functional.cross_entropy(T.ones(4, 5), T.tensor([1, 2, 3, 4]),
                                                         reduction="foo"))
    check_raises(lambda T: T.nn.functional.cross_entropy(T.ones(4, 5), T.tensor([1, 2, 3, 4]),
                                                         label_smoothing=1.5))
    check_raises(lambda T: T.nn.functional.nll_loss(T.ones(4, 5), T.rand(4)))
    check_raises(lambda T: T.nn.functional.nll_loss(T.tensor(1.0), T.tensor(0)))
    check_raises(lambda T: T.nn.functional.nll_loss(T.ones(4, 5), T.tensor([1, 2, 3, 4]),
                                                    weight=T.rand(3)))
    check_raises(lambda T: T.nn.functional.mse_loss(T.ones(4, 5), T.ones(3, 5)),
                 match_message=True) if False else None
    check_raises(lambda T: T.nn.functional.binary_cross_entropy(T.rand(4, 5), T.rand(4, 4)))
    check_raises(lambda T: T.nn.functional.binary_cross_entropy(T.rand(4, 5) + 1, T.rand(4, 5)))
    check_raises(lambda T: T.nn.functional.binary_cross_entropy_with_logits(T.rand(4, 5),
                                                                            T.rand(4, 4)))
    check_raises(lambda T: T.nn.functional.mse_loss(T.rand(4), T.rand(4), reduction="foo"))
    check_raises(lambda T: T.nn.functional.triplet_margin_loss(T.ones(2), T.ones(2), T.ones(2),
                                                               margin=0))
    check_raises(lambda T: T.nn.functional.margin_ranking_loss(T.ones(2), T.ones(2),
                                                               T.ones(2, 1)))
    check_raises(lambda T: T.nn.functional.multi_margin_loss(T.ones(2, 3), T.tensor([0, 1]),
                                                             p=3))
    check_raises(lambda T: T.nn.functional.gaussian_nll_loss(T.ones(2, 3), T.ones(2, 3),
                                                             T.ones(3, 3)))
    check_raises(lambda T: T.nn.functional.gaussian_nll_loss(T.ones(2, 3), T.ones(2, 3),
                                                             -T.ones(2, 3)))
    check_raises(lambda T: T.nn.functional.poisson_nll_loss(T.ones(2), T.ones(2),
                                                            reduction="x"))
    with pytest.warns(UserWarning):
        check_raises(lambda T: T.nn.functional.mse_loss(T.ones(4, 5), T.ones(3, 5)))


def test_ce_all_ignored_is_nan():
    check(lambda T, x: T.nn.functional.cross_entropy(x, T.tensor([-100] * 4)), [X2], grad=False)
    check(lambda T, x: T.nn.functional.cross_entropy(x, T.tensor([-100] * 4), reduction="sum"),
          [X2])


CONV = [
    ("conv1d", lambda T, x, w: T.nn.functional.conv1d(x[0], w[:, :, 0], stride=2, padding=1),
     (4, 3, 3, 3)),
    ("conv2d", lambda T, x, w: T.nn.functional.conv2d(x, w, padding=(1, 2), dilation=(2, 1)),
     (4, 3, 3, 3)),
    ("conv2d_groups", lambda T, x, w: T.nn.functional.conv2d(x, w, groups=3, stride=2),
     (6, 1, 2, 2)),
    ("conv2d_same", lambda T, x, w: T.nn.functional.conv2d(x, w, padding="same", dilation=2),
     (2, 3, 3, 3)),
    ("conv2d_bias", lambda T, x, w: T.nn.functional.conv2d(x, w, T.tensor([0.5, -1.0],
                                                                          dtype=x.dtype)),
     (2, 3, 2, 2)),
    ("conv3d", lambda T, x, w: T.nn.functional.conv3d(x.reshape(1, 3, 2, 6, 6), w, padding=1),
     (2, 3, 2, 2, 2)),
    ("conv_t1d", lambda T, x, w: T.nn.functional.conv_transpose1d(x[0], w[:, :, 0], stride=2,
                                                                  output_padding=1),
     (3, 2, 3, 3)),
    ("conv_t2d", lambda T, x, w: T.nn.functional.conv_transpose2d(x, w, stride=(2, 3),
                                                                  padding=1, dilation=2),
     (3, 2, 3, 3)),
    ("conv_t2d_groups", lambda T, x, w: T.nn.functional.conv_transpose2d(x, w, groups=3),
     (3, 2, 2, 2)),
    ("conv_t3d", lambda T, x, w: T.nn.functional.conv_transpose3d(x.reshape(1, 3, 2, 6, 6), w,
                                                                  stride=2),
     (3, 1, 2, 2, 2)),
    ("unfold", lambda T, x, w: T.nn.functional.unfold(x, (2, 3), dilation=1, padding=1,
                                                      stride=2) * w.sum(), (1,)),
    ("fold", lambda T, x, w: T.nn.functional.fold(x.reshape(2, 12, 9), (4, 4), 2,
                                                  stride=1) * w.sum(), (1,)),
]


@pytest.mark.parametrize("name,fn,wshape", CONV, ids=[c[0] for c in CONV])
def test_conv_functional(name, fn, wshape):
    check(fn, [X, ra(wshape, seed=9)])
    check(fn, [X.astype("float64"), ra(wshape, seed=9, dtype="float64")], gradgrad=True)


def test_pooling_functional_variants():
    check(lambda T, x: T.nn.functional.max_pool2d(x, (3, 2), (2, 1), (1, 0), (1, 2), True,
                                                  True), [X])
    check(lambda T, x: T.nn.functional.max_pool1d(x[0], 3, 2, 1, 1, False, True), [X])
    check(lambda T, x: T.nn.functional.max_pool3d(x.reshape(1, 3, 2, 6, 6), 2, 1, 1), [X])
    check(lambda T, x: T.nn.functional.adaptive_max_pool1d(x[0], 4, True), [X])
    check(lambda T, x: T.nn.functional.adaptive_max_pool2d(x, (5, 4), True), [X])
    check(lambda T, x: T.nn.functional.avg_pool2d(x, 3, 2, 1, True, False, None), [X])
    check(lambda T, x: T.nn.functional.avg_pool2d(x, 4, 3, 2, True, True), [X])
    check(lambda T, x: T.nn.functional.avg_pool3d(x.reshape(1, 3, 2, 6, 6), (1, 2, 2),
                                                  divisor_override=2), [X])
    check(lambda T, x: T.nn.functional.lp_pool2d(x.abs(), float("inf"), 2), [X])


def test_max_pool_ties_nan_and_int():
    tie = np.array([[[[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [2.0, 2.0, 2.0]]]], np.float32)
    check(lambda T, x: T.nn.functional.max_pool2d(x, 2, 1, return_indices=True), [tie])
    nan = tie.copy()
    nan[0, 0, 0, 1] = np.nan
    nan[0, 0, 1, 0] = np.nan
    check(lambda T, x: T.nn.functional.max_pool2d(x, 2, 1, return_indices=True), [nan])
    check(lambda T, x: T.nn.functional.max_pool2d(x, 2), [ra((1, 2, 4, 4), dtype="int64")])


def test_max_pool_second_order_with_overlap():
    check(lambda T, x: T.nn.functional.max_pool2d(x, 3, 1, 1),
          [ra((1, 2, 5, 5), seed=3, dtype="float64")], gradgrad=True)


INTERP = [
    ("nearest_scale", dict(scale_factor=1.6)),
    ("nearest_size", dict(size=(7, 3))),
    ("nearest_exact", dict(size=(7, 11), mode="nearest-exact")),
    ("bilinear", dict(scale_factor=(1.5, 0.7), mode="bilinear")),
    ("bilinear_ac", dict(size=(9, 4), mode="bilinear", align_corners=True)),
    ("bilinear_recompute", dict(scale_factor=1.3, mode="bilinear",
                                recompute_scale_factor=True)),
    ("bicubic", dict(scale_factor=2, mode="bicubic")),
    ("bicubic_ac", dict(size=(5, 8), mode="bicubic", align_corners=True)),
    ("area", dict(size=(4, 5), mode="area")),
    ("area_scale", dict(scale_factor=0.5, mode="area")),
]


@pytest.mark.parametrize("name,kw", INTERP, ids=[i[0] for i in INTERP])
def test_interpolate(name, kw):
    check(lambda T, x: T.nn.functional.interpolate(x, **kw), [X])
    check(lambda T, x: T.nn.functional.interpolate(x, **kw), [X.astype("float64")])


def test_interpolate_1d_3d():
    check(lambda T, x: T.nn.functional.interpolate(x[0], scale_factor=2.5, mode="linear"), [X])
    check(lambda T, x: T.nn.functional.interpolate(x[0], size=4, mode="linear",
                                                   align_corners=True), [X])
    check(lambda T, x: T.nn.functional.interpolate(x.reshape(1, 3, 2, 6, 6), size=(3, 4, 5),
                                                   mode="trilinear"), [X])
    check(lambda T, x: T.nn.functional.interpolate(x.reshape(1, 3, 2, 6, 6), scale_factor=2),
          [X])


def test_interpolate_errors():
    x = lambda T: T.ones(1, 2, 4, 4)  # noqa: E731
    check_raises(lambda T: T.nn.functional.interpolate(x(T)))
    check_raises(lambda T: T.nn.functional.interpolate(x(T), size=4, scale_factor=2))
    check_raises(lambda T: T.nn.functional.interpolate(T.ones(2, 3, 4), scale_factor=2,
                                                       mode="bilinear"))
    check_raises(lambda T: T.nn.functional.interpolate(x(T), scale_factor=2, mode="foo"))
    check_raises(lambda T: T.nn.functional.interpolate(x(T), scale_factor=2,
                                                       align_corners=True))
    check_raises(lambda T: T.nn.functional.interpolate(x(T), size=(2, 3, 4)))
    check_raises(lambda T: T.nn.functional.interpolate(x(T), scale_factor=(2, 3, 4)))
    check_raises(lambda T: T.nn.functional.interpolate(x(T), size=(2.5, 3)))


PADS = [
    ("const", (1, 2), "constant", 1.5),
    ("const_neg", (-1, 2, 1, -2), "constant", None),
    ("const_all_dims", (1, 1, 0, 1, 1, 0, 2, 1), "constant", 0.0),
    ("reflect1", (2, 3), "reflect", None),
    ("reflect2", (2, 3, 1, 0), "reflect", None),
    ("reflect_neg", (-1, 2, 1, 1), "reflect", None),
    ("replicate2", (4, 3, 1, 5), "replicate", None),
    ("replicate_neg", (-2, 1, 0, 3), "replicate", None),
    ("circular1", (2, 3), "circular", None),
    ("circular2", (2, 3, 6, 1), "circular", None),
    ("circular_neg", (-1, 3, 2, -2), "circular", None),
]


@pytest.mark.parametrize("name,pad,mode,value", PADS, ids=[p[0] for p in PADS])
def test_pad(name, pad, mode, value):
    check(lambda T, x: T.nn.functional.pad(x, pad, mode=mode, value=value), [X])


def test_pad_3d_modes():
    x5 = ra((1, 2, 3, 4, 5), seed=2)
    for mode in ("reflect", "replicate", "circular"):
        check(lambda T, x: T.nn.functional.pad(x, (1, 2, 2, 1, 1, 1), mode=mode), [x5])
        check(lambda T, x: T.nn.functional.pad(x[0], (1, 2, 2, 1, 1, 1), mode=mode), [x5])


def test_pad_errors():
    x = lambda T: T.ones(2, 3, 8, 8)  # noqa: E731
    check_raises(lambda T: T.nn.functional.pad(x(T), (1,)))
    check_raises(lambda T: T.nn.functional.pad(x(T), (8, 8), mode="reflect"))
    check_raises(lambda T: T.nn.functional.pad(x(T), (1, 1, 8, 8), mode="reflect"))
    check_raises(lambda T: T.nn.functional.pad(x(T), (1, 1), mode="foo"))
    check_raises(lambda T: T.nn.functional.pad(x(T), (9, 1, 1, 1), mode="circular"))
    check_raises(lambda T: T.nn.functional.pad(x(T), (1, 1) * 5))
    check_raises(lambda T: T.nn.functional.pad(x(T), (-5, -5)))
    check_raises(lambda T: T.nn.functional.pad(x(T), (-9, 1)))
    check_raises(lambda T: T.nn.functional.pad(x(T), (1, 1, 1, 1), mode="reflect", value=2))


def test_misc_functional():
    check(lambda T, x: T.nn.functional.normalize(x, p=1, dim=0), [X2])
    check(lambda T, x: T.nn.functional.normalize(x * 0, dim=1), [X2])
    check(lambda T, x: T.nn.functional.cosine_similarity(x, x.flip(0), dim=1, eps=1e-3), [X2])
    check(lambda T, x: T.nn.functional.cosine_similarity(x, x[:1] * 2, dim=-1), [X2])
    check(lambda T, x: T.nn.functional.pairwise_distance(x, x.flip(0), p=1.5), [X2])
    check(lambda T, x: T.nn.functional.pdist(x), [X2])
    check(lambda T, x: T.nn.functional.pixel_shuffle(x.reshape(1, 12, 3, 2), 2), [X])
    check(lambda T, x: T.nn.functional.channel_shuffle(x, 3), [X])
    check(lambda T, x: T.nn.functional.bilinear(x, x * 2, T.ones(3, 5, 5), T.ones(3)), [X2])
    check(lambda T, x: T.nn.functional.local_response_norm(x, 2), [X])
    check(lambda T, x: T.nn.functional.local_response_norm(x[0], 3), [X])
    check(lambda T, x: T.nn.functional.rrelu(x), [X2])
    check(lambda T, x: T.nn.functional.prelu(x, T.tensor([0.1, 0.2, 0.3, 0.4, 0.5])), [X2])
    check(lambda T, x: T.nn.functional.gelu(x, approximate="tanh"), [X2])
    for T in (torch, ember):
        assert T.nn.functional.one_hot(T.tensor([0, 2, 1])).tolist() == [[1, 0, 0], [0, 0, 1],
                                                                          [0, 1, 0]]
        assert tuple(T.nn.functional.one_hot(T.tensor([[1], [2]]), 4).shape) == (2, 1, 4)
        assert T.nn.functional.one_hot(T.tensor([1])).dtype == T.int64
    check_raises(lambda T: T.nn.functional.one_hot(T.tensor([-1, 2])))
    check_raises(lambda T: T.nn.functional.one_hot(T.tensor([1., 2])))
    check_raises(lambda T: T.nn.functional.one_hot(T.tensor([1, 5]), 3))
    check_raises(lambda T: T.nn.functional.glu(T.ones(3, 5)))
    check_raises(lambda T: T.nn.functional.glu(T.tensor(1.0)))
    check_raises(lambda T: T.nn.functional.pixel_shuffle(T.ones(1, 3, 2, 2), 2))
    check_raises(lambda T: T.nn.functional.hardtanh(T.ones(2), 2.0, 1.0))
    check_raises(lambda T: T.nn.functional.gelu(T.ones(2), approximate="foo"))
    check_raises(lambda T: T.nn.functional.unfold(T.ones(2, 3), 2))
    check_raises(lambda T: T.nn.functional.unfold(T.ones(3), 2))
    check_raises(lambda T: T.nn.functional.unfold(T.ones(1, 1, 3, 3, 3), 2))
    check_raises(lambda T: T.nn.functional.fold(T.ones(1, 5, 9), (4, 4), 2))


def test_conv_errors():
    x = lambda T: T.ones(2, 3, 8, 8)  # noqa: E731
    check_raises(lambda T: T.nn.functional.conv2d(T.ones(2, 3), T.ones(6, 3, 3, 3)))
    check_raises(lambda T: T.nn.functional.conv2d(x(T), T.ones(6, 2, 3, 3)))
    check_raises(lambda T: T.nn.functional.conv2d(T.ones(1, 3, 2, 2), T.ones(6, 3, 3, 3)))
    check_raises(lambda T: T.nn.functional.conv2d(x(T), T.ones(5, 1, 3, 3), groups=3))
    check_raises(lambda T: T.nn.functional.conv1d(x(T), T.ones(6, 3, 3)))
    check_raises(lambda T: T.nn.functional.conv2d(x(T), T.ones(6, 3, 3)))
    check_raises(lambda T: T.nn.functional.conv2d(x(T), T.ones(6, 3, 3, 3), T.ones(5)))
    check_raises(lambda T: T.nn.functional.conv2d(x(T), T.ones(6, 3, 3, 3), stride=2,
                                                  padding="same"))
    check_raises(lambda T: T.nn.functional.conv2d(x(T), T.ones(6, 3, 3, 3), padding="foo"))
    check_raises(lambda T: T.nn.functional.conv2d(x(T), T.ones(6, 3, 3, 3), padding=-1))
    check_raises(lambda T: T.nn.functional.conv2d(x(T), T.ones(6, 3, 3, 3), stride=0))
    check_raises(lambda T: T.nn.functional.conv2d(x(T).double(), T.ones(6, 3, 3, 3)))
    check_raises(lambda T: T.nn.functional.conv2d(x(T).double(), T.ones(6, 3, 3, 3).double(),
                                                  T.ones(6)))
    check_raises(lambda T: T.nn.functional.nll_loss(T.ones(2, 3).double(), T.tensor([0, 1]),
                                                    weight=T.ones(3)))
    check_raises(lambda T: T.nn.functional.binary_cross_entropy(T.rand(2, 3).double(),
                                                                T.rand(2, 3)))
    check_raises(lambda T: T.nn.functional.conv_transpose2d(x(T), T.ones(4, 3, 3, 3)))
    check_raises(lambda T: T.nn.functional.linear(T.ones(4, 5), T.ones(3, 4)))
    check_raises(lambda T: T.nn.functional.linear(T.ones(2, 4, 5), T.ones(3, 4)))
    check_raises(lambda T: T.nn.functional.linear(T.ones(5), T.ones(3, 4)))
    check_raises(lambda T: T.nn.functional.linear(T.ones(4, 5).double(), T.ones(3, 5)))
    check_raises(lambda T: T.nn.functional.linear(T.ones(4, 5), T.ones(3, 5), T.ones(4)))
    check_raises(lambda T: T.nn.functional.max_pool2d(T.ones(1, 6, 1, 1), 2))
    check_raises(lambda T: T.nn.functional.max_pool2d(x(T), 2, padding=2))
    check_raises(lambda T: T.nn.functional.avg_pool2d(T.ones(8, 8), 2))
    check_raises(lambda T: T.nn.functional.avg_pool2d(T.ones(1, 6, 1, 1), 2))
    check_raises(lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(2), 2))
    check_raises(lambda T: T.nn.functional.dropout(x(T), 1.5))
    check_raises(lambda T: T.nn.functional.dropout1d(x(T)))


def test_functional_namespace_has_torch_names():
    missing = [n for n in ("relu", "relu_", "conv2d", "max_pool2d", "avg_pool2d", "linear",
                           "bilinear", "softmax", "log_softmax", "softmin", "dropout", "pad",
                           "interpolate", "one_hot", "normalize", "cosine_similarity",
                           "pairwise_distance", "unfold", "fold", "pixel_shuffle", "gelu",
                           "silu", "mish", "hardtanh", "elu", "leaky_relu", "softplus",
                           "logsigmoid", "glu", "threshold", "cross_entropy", "nll_loss",
                           "mse_loss", "l1_loss", "binary_cross_entropy",
                           "binary_cross_entropy_with_logits", "kl_div", "huber_loss",
                           "smooth_l1_loss", "adaptive_avg_pool2d", "adaptive_max_pool2d",
                           "conv_transpose2d", "dropout2d", "alpha_dropout", "hardswish",
                           "relu6", "selu", "celu", "tanhshrink", "softsign", "softshrink",
                           "hardshrink", "sigmoid", "tanh", "max_unpool2d", "lp_pool2d",
                           "upsample", "gumbel_softmax", "triplet_margin_loss")
               if not hasattr(ember.nn.functional, n)]
    assert not missing
