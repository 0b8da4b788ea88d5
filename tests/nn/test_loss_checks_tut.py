"""nll_loss / cross_entropy validate their arguments in torch's order (found running the
"Learn the Basics" / 60-minute-blitz tutorials with a float class-index target)."""
import itertools

import pytest

from tests.oracle import check, check_raises, check_repr, random_array as A

_X = [(4, 10), (10,), (4, 10, 3, 3), (4, 10, 3), (4, 10, 3, 3, 2)]
_T = [(4,), (3,), (), (1,), (10,), (4, 5), (4, 3, 3), (4, 3), (4, 3, 2), (4, 3, 3, 2)]
_W = [None, ("float64", 10), ("float32", 3)]
_DT = ["int64", "int32", "float32"]


def _weight(T, w):
    return None if w is None else T.ones(w[1], dtype=getattr(T, w[0]))


def _call(T, fn, xs, ts, dt, w, **kw):
    x = T.zeros(xs)
    t = T.zeros(ts, dtype=getattr(T, dt))
    return getattr(T.nn.functional, fn)(x, t, weight=_weight(T, w), **kw)


def _raises(T, fn, xs, ts, dt, w):
    try:
        _call(T, fn, xs, ts, dt, w)
    except Exception as e:  # noqa: BLE001
        return e
    return None


@pytest.mark.parametrize("fn", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("xs", _X)
def test_argument_errors_in_torch_order(fn, xs):
    import torch
    for ts, dt, w in itertools.product(_T, _DT, _W):
        if _raises(torch, fn, xs, ts, dt, w) is None:
            continue
        check_raises(lambda T: _call(T, fn, xs, ts, dt, w))


def test_float_class_index_target():
    # the tutorial-style mistake: labels built as floats
    check_raises(lambda T: T.nn.CrossEntropyLoss()(T.ones(4, 10), T.ones(4)))
    check_raises(lambda T: T.nn.functional.cross_entropy(T.ones(10), T.ones(4)))
    check_raises(lambda T: T.nn.functional.cross_entropy(T.ones(10), T.zeros(10).long()))
    check_raises(lambda T: T.nn.functional.cross_entropy(T.ones(4, 10), T.rand(4, 10),
                                                         ignore_index=3))
    check_raises(lambda T: T.nn.functional.cross_entropy(T.ones(4, 10), T.rand(4, 10),
                                                         weight=T.ones(3)))
    check_raises(lambda T: T.nn.functional.cross_entropy(T.ones(()), T.ones(())))


@pytest.mark.parametrize("smoothing", [-0.5, 0.0, 0.2])
def test_cross_entropy_label_smoothing_values(smoothing):
    # torch ignores a negative label_smoothing (no smoothing) rather than raising
    check(lambda T, x: T.nn.functional.cross_entropy(x, T.tensor([1, 2, 3, 4]),
                                                     label_smoothing=smoothing), [A((4, 10))])
    check(lambda T, x, p: T.nn.functional.cross_entropy(x, p.softmax(1),
                                                        label_smoothing=smoothing),
          [A((4, 10)), A((4, 10), seed=1)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probabilities_graph(reduction):
    # mean divides by a number (DivBackward1), sum and none end in a negation
    check_repr(lambda T: T.nn.functional.cross_entropy(
        T.ones(4, 10, requires_grad=True), T.full((4, 10), 0.1), reduction=reduction).grad_fn
        .name())
    check(lambda T, x, p: T.nn.functional.cross_entropy(x, p, reduction=reduction,
                                                        weight=T.arange(10.) / 10),
          [A((4, 10, 3)), A((4, 10, 3), seed=1)])


def test_nll_loss_2d_weight_read_flat():
    check(lambda T, x: T.nn.functional.nll_loss(x, T.zeros(4, 3, 3, dtype=T.long),
                                                weight=T.arange(10.).view(2, 5)),
          [A((4, 10, 3, 3))])


def _next_names(fn):
    return [None if f is None else f.name() for f, _ in fn.next_functions]


@pytest.mark.parametrize("shape", [(4, 10), (4, 10, 2, 2), (4, 10, 3)])
def test_nll_loss_node_has_one_edge(shape):
    # target and weight are not differentiable: torch's NllLoss node has only the input edge
    def fn(T):
        x = T.zeros(shape, requires_grad=True)
        t = T.zeros((shape[0],) + shape[2:], dtype=T.long)
        return _next_names(T.nn.functional.cross_entropy(x, t, weight=T.ones(10)).grad_fn)
    check_repr(fn)

    def hooked(T):
        x = T.zeros(shape, requires_grad=True)
        t = T.zeros((shape[0],) + shape[2:], dtype=T.long)
        loss = T.nn.functional.cross_entropy(x, t)
        seen = []
        loss.grad_fn.register_hook(lambda gi, go: seen.append((len(gi), len(go))))
        loss.backward()
        return seen
    check_repr(hooked)


@pytest.mark.parametrize("shape", [(4, 10), (4, 10, 2, 2), (4, 10, 3)])
def test_weight_requiring_grad_is_refused(shape):
    def fn(T, no_grad=False):
        x = T.zeros(shape)
        t = T.zeros((shape[0],) + shape[2:], dtype=T.long)
        w = T.ones(10, requires_grad=True)
        if no_grad:
            with T.no_grad():
                return T.nn.functional.nll_loss(x, t, weight=w)
        return T.nn.functional.nll_loss(x, t, weight=w)
    check_raises(fn)
    check(lambda T: fn(T, True), [], grad=False)
