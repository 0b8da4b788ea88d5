"""The Tensor itself vs torch: creation, metadata, views sharing memory, in-place ops and out=,
Python protocols, conversions, devices, and the errors users hit."""
from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import ember
from oracle import assert_same, check, check_raises, check_repr, random_array


def both(fn):
    """fn(T) for torch and ember, compared (or the same error from both)."""
    try:
        t = fn(torch)
    except Exception:  # noqa: BLE001
        check_raises(fn)
        return None, None
    e = fn(ember)
    assert_same(e, t)
    return e, t


# ---- creation -------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    [1, 2, 3], [1.0, 2, 3], [True, False], [[1, 2], [3, 4]], ((2, 4, 6), [3, 6, 9]), 3.5, 7,
    True, [], [[]], [1 + 2j, 3], [[1.5, 2.5]], [np.float64(1.5)], np.float32(2.0),
    [True, 2], [2 ** 40], np.array([1, 2], dtype=np.int16), np.ones((2, 2)),
])
def test_tensor_inference(data):
    both(lambda T: T.tensor(data))
    check_repr(lambda T: T.tensor(data))


@pytest.mark.parametrize("dtype", ["float64", "int16", "bool", "float16", "bfloat16", "uint8"])
def test_tensor_dtype_arg(dtype):
    both(lambda T: T.tensor([[1.7, -2.2], [0.0, 3.9]], dtype=getattr(T, dtype)))


def test_tensor_errors():
    check_raises(lambda T: T.tensor([[1, 2], [3]]))
    check_raises(lambda T: T.tensor("abc"))
    check_raises(lambda T: T.tensor([1, 2], dtype=T.int64, requires_grad=True))
    check_raises(lambda T: T.tensor(2 ** 70))


def test_tensor_copies():
    a = np.ones(3)
    t = ember.tensor(a)
    a[0] = 5
    assert t[0].item() == 1.0


@pytest.mark.parametrize("fn", [
    lambda T: T.zeros(2, 3), lambda T: T.zeros((2, 3)), lambda T: T.zeros([2, 3]),
    lambda T: T.zeros(T.Size([2, 3])), lambda T: T.ones(4, dtype=T.int16),
    lambda T: T.zeros(size=(1, 2)), lambda T: T.full((2, 2), 7), lambda T: T.full((2,), 2.5),
    lambda T: T.full((2,), True), lambda T: T.zeros(0, 3), lambda T: T.ones(()),
    lambda T: T.arange(5), lambda T: T.arange(1, 4), lambda T: T.arange(0, 1, 0.1),
    lambda T: T.arange(10, 0, -3), lambda T: T.arange(0.5, 3), lambda T: T.arange(5, dtype=T.float64),
    lambda T: T.linspace(0, 1, 5), lambda T: T.linspace(-3, 7, 11), lambda T: T.linspace(0, 2 * math.pi, 25),
    lambda T: T.linspace(0, 10, 4, dtype=T.int64), lambda T: T.linspace(2, 2, 1),
    lambda T: T.logspace(0, 3, 4), lambda T: T.logspace(0, 3, 4, base=2),
    lambda T: T.eye(3), lambda T: T.eye(2, 4), lambda T: T.eye(3, dtype=T.int32),
    lambda T: T.zeros_like(T.ones(2, 3, dtype=T.int8)), lambda T: T.ones_like(T.ones(2), dtype=T.float64),
    lambda T: T.full_like(T.ones(2, 2), 3.0),
])
def test_factories(fn):
    both(fn)
    check_repr(fn)


def test_tensor_with_float64_dtype_is_exact():
    assert ember.tensor([1.7], dtype=ember.float64).item() == 1.7


def test_factory_errors():
    check_raises(lambda T: T.zeros(-1, 2))
    check_raises(lambda T: T.arange(0, 10, 0))
    check_raises(lambda T: T.arange(10, 0, 1))
    check_raises(lambda T: T.rand(2, 2, device="gpu"))
    check_raises(lambda T: T.rand(2, dtype=T.int64))


def test_requires_grad_keyword():
    for fn in ["zeros", "ones", "rand", "randn", "empty"]:
        e = getattr(ember, fn)(2, 2, requires_grad=True)
        assert e.requires_grad and e.is_leaf
    assert ember.linspace(0, 1, 3, requires_grad=True).requires_grad


def test_from_numpy_shares_memory():
    a = np.ones((2, 3))
    t = ember.from_numpy(a)
    assert t.dtype is ember.float64
    a[1, 1] = 23
    assert t[1, 1].item() == 23
    t[0, 0] = 7
    assert a[0, 0] == 7
    r = ember.rand(2, 3)
    n = r.numpy()
    r[1, 1] = 17
    assert n[1, 1] == 17
    check_raises(lambda T: T.from_numpy(np.ones(3)[::-1]))


def test_as_tensor():
    a = np.arange(4.0)
    t = ember.as_tensor(a)
    a[0] = 9
    assert t[0].item() == 9
    t2 = ember.as_tensor(a, dtype=ember.float32)
    a[1] = 9
    assert t2[1].item() == 1
    x = ember.ones(2)
    assert ember.as_tensor(x) is x
    both(lambda T: T.as_tensor([1, 2, 3]))


# ---- metadata -------------------------------------------------------------------------------

def test_size_and_shape():
    e, t = ember.rand(2, 3, 4), torch.rand(2, 3, 4)
    assert repr(e.shape) == repr(t.shape) == "torch.Size([2, 3, 4])"
    assert e.size() == t.size() and e.size(1) == t.size(1) and e.size(-1) == t.size(-1)
    assert isinstance(e.shape, tuple) and e.shape[1:] == ember.Size([3, 4])
    assert repr(e.shape[1:]) == repr(t.shape[1:])
    assert e.dim() == 3 and e.ndim == 3 and e.numel() == 24 and len(e) == 2
    assert e.element_size() == 4 and e.nbytes == t.nbytes
    assert e.stride() == t.stride()
    assert e.transpose(0, 2).stride() == t.transpose(0, 2).stride()
    assert e[:, 1].stride() == t[:, 1].stride()
    assert e[:, 1].storage_offset() == t[:, 1].storage_offset()
    assert e.expand(5, 2, 3, 4).stride() == t.expand(5, 2, 3, 4).stride()
    assert e.is_contiguous() and not e.transpose(0, 1).is_contiguous()
    check_raises(lambda T: T.rand(2, 3).size(2))
    check_raises(lambda T: len(T.tensor(1.0)))


# ---- views share memory exactly where torch's do -------------------------------------------

@pytest.mark.parametrize("make_view", [
    lambda x: x.view(6, 2), lambda x: x[1], lambda x: x[:, 1:3], lambda x: x.t(),
    lambda x: x.transpose(0, 1), lambda x: x.reshape(12), lambda x: x.unsqueeze(0),
    lambda x: x.squeeze(), lambda x: x.permute(1, 0), lambda x: x.narrow(1, 1, 2),
    lambda x: x.select(0, 2), lambda x: x.diagonal(), lambda x: x.split(1)[1],
    lambda x: x.chunk(2, 1)[0], lambda x: x.unbind()[0], lambda x: x.flatten(),
    lambda x: x.detach(), lambda x: x.view(-1), lambda x: x[None], lambda x: x[..., ::2],
])
def test_views_share_memory(make_view):
    for T in (torch, ember):
        x = T.zeros(3, 4)
        v = make_view(x)
        if v.numel():
            v.fill_(2.0)
        assert x.sum().item() == 2.0 * v.numel(), T


@pytest.mark.parametrize("make_copy", [
    lambda x: x.clone(), lambda x: x[[0, 1]], lambda x: x[x > -1], lambda x: x.t().reshape(12),
    lambda x: x.flip(0), lambda x: x.contiguous() + 0, lambda x: x.repeat(1, 1),
    lambda x: x.index_select(0, torch.tensor([0]) if isinstance(x, torch.Tensor) else
                             ember.tensor([0])),
])
def test_copies_do_not_share(make_copy):
    for T in (torch, ember):
        x = T.zeros(3, 4)
        c = make_copy(x)
        c.fill_(1.0)
        assert x.sum().item() == 0, T


def test_seed_copy_semantics():
    a = ember.ones(2, 2)
    b = a
    a[0][1] = 561
    assert b[0, 1].item() == 561
    a = ember.ones(2, 2)
    b = a.clone()
    a[0][1] = 561
    assert b[0, 1].item() == 1


def test_version_counter_shared_by_views():
    x = ember.zeros(3)
    v = x[1:]
    assert x._version == 0
    v.add_(1)
    assert x._version == 1 and v._version == 1
    x.mul_(2)
    assert v._version == 2


# ---- indexing -------------------------------------------------------------------------------

IDX = [
    lambda T: 1, lambda T: -1, lambda T: slice(1, None, 2), lambda T: (slice(None), 2),
    lambda T: (None, 1), lambda T: (Ellipsis, 0), lambda T: [0, 2], lambda T: ([0, 2], [1, 3]),
    lambda T: (range(3), [0, 1, 3]), lambda T: T.tensor([2, 0]), lambda T: T.tensor(1),
    lambda T: (slice(None), T.tensor([True, False, True, False])),
    lambda T: T.tensor([[0, 1], [2, 2]]), lambda T: (1, slice(None), None),
]


@pytest.mark.parametrize("k", IDX)
def test_getitem(k):
    both(lambda T: T.tensor(np.arange(12.0).reshape(3, 4))[k(T)])


@pytest.mark.parametrize("k", IDX)
def test_setitem(k):
    def f(T):
        x = T.tensor(np.arange(12.0).reshape(3, 4))
        x[k(T)] = -1.0
        return x
    both(f)


def test_setitem_tensor_values_and_masks():
    def f(T):
        x = T.tensor(np.arange(12).reshape(3, 4))
        x[x > 6] = 0
        x[:, 1] = T.tensor([7, 8, 9])
        x[0] = T.tensor([1.9, 2.9, 3.9, 4.9])  # cast to int64, truncating
        return x
    both(f)


def test_index_errors():
    check_raises(lambda T: T.ones(2)[5])
    check_raises(lambda T: T.ones(2, 3)[0, 0, 0])
    check_raises(lambda T: T.ones(2, 3)[T.tensor([3])])
    check_raises(lambda T: T.ones(2, 3)[1.5])
    check_raises(lambda T: T.ones(2, 3).__setitem__((slice(None), 0), T.ones(3)))


# ---- in-place and out= ----------------------------------------------------------------------

def test_inplace_returns_self_and_modifies():
    for name, args in [("add_", (2.0,)), ("mul_", (3.0,)), ("sub_", (1,)), ("div_", (4.0,)),
                       ("sin_", ()), ("clamp_", (0.1, 0.5)), ("zero_", ()), ("fill_", (7,)),
                       ("pow_", (2,)), ("abs_", ()), ("exp_", ()), ("sqrt_", ())]:
        def f(T):
            x = T.tensor([[0.2, 0.4], [0.9, 0.1]])
            r = getattr(x, name)(*args)
            assert r is x
            return x
        both(f)


def test_inplace_type_rules():
    check_raises(lambda T: T.ones(2, dtype=T.int64).add_(1.5))
    check_raises(lambda T: T.ones(2, dtype=T.int64).add_(T.ones(2)))
    check_raises(lambda T: T.ones(2, 3).add_(T.ones(3, 3)))
    check_raises(lambda T: T.ones(1, 3).add_(T.ones(2, 3)))
    both(lambda T: T.ones(2, 3).add_(T.ones(3)))
    both(lambda T: T.ones(2).add_(T.ones(2, dtype=T.int32)))
    check_raises(lambda T: T.ones(3).expand(2, 3).add_(1))


def test_out_keyword():
    for T in (torch, ember):
        a, b = T.ones(2, 2), T.ones(2, 2) * 2
        c = T.zeros(2, 2)
        d = T.matmul(a, b, out=c)
        assert c is d and c.sum().item() == 16
        T.rand(2, 2, out=c)
        e = T.add(a, b, out=c)
        assert e is c and c.sum().item() == 12
    check_raises(lambda T: T.add(T.ones(2), T.ones(2), out=T.zeros(2, dtype=T.int64)))


def test_seed_in_place_cells():
    for T in (torch, ember):
        b = T.tensor([0, math.pi / 4, math.pi / 2, 3 * math.pi / 4])
        T.sin_(b)
    both(lambda T: T.sin_(T.tensor([0, math.pi / 4, math.pi / 2])))


# ---- Python protocols -----------------------------------------------------------------------

def test_scalars_and_bool():
    assert ember.tensor(2.5).item() == 2.5 and isinstance(ember.tensor(3).item(), int)
    assert ember.tensor([True]).item() is True
    assert float(ember.tensor([2.0])) == 2.0 and int(ember.tensor(3.7)) == 3
    check_raises(lambda T: bool(T.ones(2)))
    check_raises(lambda T: T.ones(2).item())
    check_raises(lambda T: float(T.ones(2)))
    check_raises(lambda T: bool(T.ones(0)))
    assert [1, 2, 3][ember.tensor(1)] == 2
    check_raises(lambda T: [1, 2][T.tensor(1.0)])
    assert ember.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert [repr(x) for x in ember.arange(3)] == [repr(x) for x in torch.arange(3)]
    check_raises(lambda T: iter(T.tensor(1.0)))
    assert 2 in ember.tensor([1, 2]) and 5 not in ember.tensor([1, 2])
    s = {ember.ones(1), ember.ones(1)}
    assert len(s) == 2  # hashed by identity


def test_array_protocol_and_format():
    e = ember.tensor([[1.5, 2.0]])
    assert np.asarray(e).tolist() == [[1.5, 2.0]]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch's old __array_wrap__
        t = np.add(torch.tensor([[1.5, 2.0]]), 1)
    r = np.add(e, 1)  # a NumPy ufunc on a tensor gives a tensor back, as with torch
    assert type(r).__name__ == type(t).__name__ == "Tensor" and r.tolist() == t.tolist()
    assert f"{ember.tensor(2.5):.2f}" == f"{torch.tensor(2.5):.2f}"
    assert "%5s" % ember.tensor(3) == "%5s" % torch.tensor(3)


def test_numpy_requires_grad_error():
    check_raises(lambda T: T.ones(2, requires_grad=True).numpy())
    check_raises(lambda T: T.ones(2, dtype=T.bfloat16).numpy())
    assert ember.ones(2, requires_grad=True).detach().numpy().tolist() == [1.0, 1.0]


def test_to_and_type():
    x = ember.rand(2, 3, dtype=ember.float64) * 20.0
    assert x.to(ember.int32).dtype is ember.int32
    assert x.to(ember.float64) is x
    assert x.to("cpu") is x and x.cpu() is x
    assert x.to(x) is x
    assert x.to(ember.float32, copy=True) is not x
    assert x.to(ember.float64, copy=True) is not x
    assert x.type() == "torch.DoubleTensor"
    assert x.type(ember.float32).dtype is ember.float32
    assert x.type("torch.IntTensor").dtype is ember.int32
    assert x.float().dtype is ember.float32 and x.long().dtype is ember.int64
    assert x.half().dtype is ember.float16 and x.bool().dtype is ember.bool
    assert x.int().dtype is ember.int32 and x.double() is x
    for T in (torch, ember):
        assert T.ones(2).type() == "torch.FloatTensor"


def test_devices():
    for s in ["cpu", "cuda", "cuda:1", "meta"]:
        assert repr(ember.device(s)) == repr(torch.device(s)) and str(ember.device(s)) == \
            str(torch.device(s))
    assert ember.device("cuda", 0) == ember.device("cuda:0")
    check_raises(lambda T: T.device("gpu"))
    check_raises(lambda T: T.device("cuda:x"))
    assert ember.ones(2).device == ember.device("cpu")
    assert ember.cuda.is_available() is False and ember.cuda.device_count() == 0
    assert ember.accelerator.is_available() is False
    assert ember.accelerator.current_accelerator() is None


def test_pickle_and_deepcopy():
    x = ember.rand(3, requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.requires_grad and y.tolist() == x.tolist()
    z = copy.deepcopy(x)
    assert z.requires_grad and z is not x and z.tolist() == x.tolist()
    check_raises(lambda T: copy.deepcopy(T.ones(2, requires_grad=True) * 2))


# ---- hypothesis: broadcasting and elementwise ops over random shapes -------------------------

shape_st = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


@st.composite
def broadcastable(draw):
    a = draw(shape_st)
    b = list(a[len(a) - draw(st.integers(0, len(a))):])
    b = [1 if draw(st.booleans()) else s for s in b]
    if draw(st.booleans()) and len(b) >= len(a):
        b = [draw(st.integers(1, 3))] + b
    return a, tuple(b)


@given(broadcastable(), st.sampled_from(["add", "sub", "mul", "div", "maximum", "atan2"]),
       st.sampled_from(["float32", "float64"]))
def test_broadcast_binary_hypothesis(shapes, op, dt):
    sa, sb = shapes
    a = random_array(sa, dt, seed=1)
    b = random_array(sb, dt, 0.5, 2.0, seed=2)
    check(lambda T, x, y: getattr(T, op)(x, y), [a, b])


@given(shape_st, shape_st)
def test_broadcast_error_hypothesis(sa, sb):
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        check_raises(lambda T: T.ones(sa) + T.ones(sb))
    else:
        both(lambda T: (T.ones(sa) + T.ones(sb)).shape)


@given(shape_st, st.sampled_from(["sum", "mean", "amax", "prod", "std"]), st.data())
def test_reductions_hypothesis(shape, op, data):
    a = random_array(shape, "float64", seed=3)
    nd = len(shape)
    dim = data.draw(st.one_of(st.none(), st.integers(-max(nd, 1), max(nd, 1) - 1)))
    keep = data.draw(st.booleans())
    if dim is None:
        fn = (lambda T, x: getattr(x, op)()) if op != "amax" else (lambda T, x: x.amax())
    else:
        fn = lambda T, x: getattr(x, op)(dim, keepdim=keep)  # noqa: E731
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check(fn, [a], grad=op != "std" or (a.size > 1))


def test_iteration_gives_tensors():
    for T in (torch, ember):
        items = list(T.tensor([1.0, 2.0]))
        assert [repr(x) for x in items] == ["tensor(1.)", "tensor(2.)"]
        assert [(x + 1).item() for x in items] == [2.0, 3.0]
    e = list(ember.tensor([[1, 2], [3, 4]]))
    e[0][0] = 9  # views, as torch's unbind
    check_repr(lambda T: list(T.arange(3)))


def test_missing_attribute():
    # no __getattr__ on Tensor: it would slow every attribute read ~3x
    with pytest.raises(AttributeError, match="no attribute 'definitely_missing'"):
        ember.ones(1).definitely_missing
