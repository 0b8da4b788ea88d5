"""Strides and memory formats against torch: channels_last(_3d), the preserve_format rule of
clone and *_like, Tensor.to/contiguous/is_contiguous with formats, TensorIterator's output
layout for mixed layouts, conv/norm/pool outputs and grads, views, storage offsets and
as_strided. Each case runs one lambda on torch and on ember and compares layout and values."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from oracle import assert_same, check_raises, check_repr


def _layout(r):
    """What a result says about its layout: strides, contiguity flags, values."""
    if isinstance(r, (tuple, list)):
        return [_layout(x) for x in r]
    if isinstance(r, (torch.Tensor, ember.Tensor)):
        T = torch if isinstance(r, torch.Tensor) else ember
        info = (tuple(r.shape), r.stride(), r.storage_offset(), r.is_contiguous())
        if r.dim() == 4:
            info += (r.is_contiguous(memory_format=T.channels_last),)
        if r.dim() == 5:
            info += (r.is_contiguous(memory_format=T.channels_last_3d),)
        return info
    return r


def same_layout(fn, values=True):
    """fn(T) on torch and ember: equal strides, offsets, contiguity flags (and values)."""
    rt, re_ = fn(torch), fn(ember)
    assert _layout(re_) == _layout(rt), f"\nember: {_layout(re_)}\ntorch: {_layout(rt)}"
    if values:
        assert_same(re_, rt)


def _x(T, shape=(2, 3, 4, 5), seed=0):
    g = np.random.default_rng(seed)
    return T.tensor(g.standard_normal(shape).astype(np.float32))


def _cl(T, shape=(2, 3, 4, 5), seed=0):
    return _x(T, shape, seed).to(memory_format=T.channels_last)


# ---- the format objects ------------------------------------------------------------------

def test_format_objects():
    for name in ("channels_last", "channels_last_3d", "contiguous_format", "preserve_format"):
        check_repr(lambda T: getattr(T, name))
    check_repr(lambda T: type(T.channels_last))
    assert isinstance(ember.channels_last, ember.memory_format)
    check_raises(lambda T: T.memory_format())


# ---- to / contiguous / is_contiguous -----------------------------------------------------

@pytest.mark.parametrize("shape", [(10, 3, 32, 32), (4, 1, 4, 4), (2, 3, 1, 1), (1, 3, 1, 5),
                                   (0, 3, 4, 5)])
def test_to_channels_last_and_back(shape):
    same_layout(lambda T: _x(T, shape).to(memory_format=T.channels_last))
    same_layout(lambda T: _x(T, shape).contiguous(memory_format=T.channels_last))
    same_layout(lambda T: _cl(T, shape).to(memory_format=T.contiguous_format))
    same_layout(lambda T: _cl(T, shape).contiguous())
    same_layout(lambda T: [_x(T, shape).is_contiguous(memory_format=f) for f in (
        T.channels_last, T.contiguous_format, T.preserve_format, T.channels_last_3d)])


def test_channels_last_3d():
    same_layout(lambda T: _x(T, (2, 3, 4, 5, 6)).to(memory_format=T.channels_last_3d))
    same_layout(lambda T: T.empty(2, 3, 4, 5, 6, memory_format=T.channels_last_3d),
                values=False)
    same_layout(lambda T: _x(T, (2, 3, 4, 5, 6)).contiguous(
        memory_format=T.channels_last_3d).clone())


def test_to_returns_self_when_nothing_changes():
    for T in (torch, ember):
        x = _cl(T)
        assert x.to(memory_format=T.channels_last) is x
        assert x.contiguous(memory_format=T.channels_last) is x
        assert x.to(memory_format=T.preserve_format) is x
        y = _x(T)
        assert y.to(memory_format=T.contiguous_format) is y
        assert y.contiguous(memory_format=T.preserve_format) is y
        assert y.to(memory_format=T.channels_last) is not y


def test_to_dtype_preserves_layout():
    same_layout(lambda T: _cl(T).double())
    same_layout(lambda T: _cl(T).to(T.float64))
    same_layout(lambda T: _x(T).to(T.float64, memory_format=T.channels_last))
    same_layout(lambda T: _x(T, (3, 4)).t().to(T.float64))


def test_format_errors():
    check_raises(lambda T: T.empty(2, 3, 4, memory_format=T.channels_last))
    check_raises(lambda T: _x(T, (2, 3, 4)).to(memory_format=T.channels_last))
    check_raises(lambda T: _x(T, (2, 3, 4)).contiguous(memory_format=T.channels_last))
    check_raises(lambda T: _x(T, (2, 3, 4, 5)).to(memory_format=T.channels_last_3d))
    check_raises(lambda T: _cl(T).contiguous(memory_format=T.preserve_format))
    check_raises(lambda T: T.empty(2, 3, 4, 5, memory_format=T.preserve_format))
    check_raises(lambda T: T.empty(2, 3, 4, 5, memory_format=1))
    check_raises(lambda T: T.zeros_like(_x(T, (3, 4)), memory_format=T.channels_last))


def test_empty_memory_format():
    same_layout(lambda T: T.empty(10, 3, 32, 32, memory_format=T.channels_last), values=False)
    same_layout(lambda T: T.empty(2, 3, 0, 5, memory_format=T.channels_last), values=False)
    same_layout(lambda T: T.empty(2, 3, 4, 5, memory_format=T.contiguous_format),
                values=False)


# ---- preserve_format: clone and *_like ---------------------------------------------------

_SOURCES = {
    "t": lambda T: _x(T, (3, 4)).t(),
    "cl": lambda T: _cl(T),
    "permute": lambda T: _x(T).permute(0, 2, 3, 1),
    "slice_cols": lambda T: _x(T, (3, 4))[:, 1:3],
    "step": lambda T: _x(T, (3, 4))[:, ::2],
    "cl_step": lambda T: _cl(T)[:, :, ::2],
    "expand": lambda T: _x(T, (3, 1)).expand(3, 4),
    "size1": lambda T: _x(T, (3, 4))[:, 0:1],
    "transpose3": lambda T: _x(T, (2, 3, 4)).transpose(0, 2),
}


@pytest.mark.parametrize("src", sorted(_SOURCES))
def test_clone_preserves(src):
    same_layout(lambda T: _SOURCES[src](T).clone())
    same_layout(lambda T: _SOURCES[src](T).clone(memory_format=T.contiguous_format))
    same_layout(lambda T: _SOURCES[src](T).contiguous())


@pytest.mark.parametrize("src", sorted(_SOURCES))
def test_like_preserves(src):
    same_layout(lambda T: T.empty_like(_SOURCES[src](T)), values=False)
    same_layout(lambda T: T.zeros_like(_SOURCES[src](T)))
    same_layout(lambda T: T.ones_like(_SOURCES[src](T), dtype=T.float64))
    same_layout(lambda T: T.full_like(_SOURCES[src](T), 2.5))


def test_like_with_format():
    same_layout(lambda T: T.zeros_like(_x(T), memory_format=T.channels_last))
    same_layout(lambda T: T.ones_like(_cl(T), memory_format=T.contiguous_format))
    same_layout(lambda T: _x(T).clone(memory_format=T.channels_last))
    same_layout(lambda T: T.empty_like(_x(T, (2, 3, 4, 5, 6)),
                                       memory_format=T.channels_last_3d), values=False)


@pytest.mark.parametrize("fn", ["rand_like", "randn_like"])
@pytest.mark.parametrize("src", ["cl", "t", "permute"])
def test_random_like_draws_in_memory_order(fn, src):
    def run(T):
        x = _SOURCES[src](T)
        T.manual_seed(3)
        return getattr(T, fn)(x)
    same_layout(run)


def test_randint_like_channels_last():
    def run(T):
        T.manual_seed(5)
        return T.randint_like(_cl(T), 10)
    same_layout(run)


# ---- elementwise ops: TensorIterator's output layout -------------------------------------

_BINARY = {
    "cl+c": lambda T: _cl(T) + _x(T, seed=1),
    "c+cl": lambda T: _x(T, seed=1) + _cl(T),
    "cl*c": lambda T: _cl(T) * _x(T, seed=1),
    "cl-c": lambda T: _cl(T) - _x(T, seed=1),
    "cl/c": lambda T: _cl(T) / (_x(T, seed=1).abs() + 1),
    "cl+cl": lambda T: _cl(T) + _cl(T, seed=1),
    "cl+1": lambda T: _cl(T) + 1,
    "1+cl": lambda T: 1 + _cl(T),
    "cl+row": lambda T: _cl(T) + _x(T, (5,), seed=1),
    "row+cl": lambda T: _x(T, (5,), seed=1) + _cl(T),
    "chan+cl": lambda T: _x(T, (3, 1, 1), seed=1) + _cl(T),
    "t+c": lambda T: _x(T, (4, 3)).t() + _x(T, (3, 4), seed=1),
    "c+t": lambda T: _x(T, (3, 4), seed=1) + _x(T, (4, 3)).t(),
    "t+vec": lambda T: _x(T, (4, 3)).t() + _x(T, (4,), seed=1),
    "perm*perm": lambda T: _x(T).permute(0, 2, 3, 1) * _x(T, seed=1).permute(0, 2, 3, 1),
    "step*2": lambda T: _cl(T)[:, :, ::2] * 2,
    "transpose*c": lambda T: _x(T, (2, 3, 4)).transpose(0, 2) * _x(T, (4, 3, 2), seed=1),
    "cl+c64": lambda T: _cl(T) + _x(T, seed=1).double(),
    "cl+c_alpha": lambda T: T.add(_cl(T), _x(T, seed=1), alpha=2),
    "cl-c_alpha": lambda T: T.sub(_cl(T), _x(T, seed=1), alpha=0.5),
    "cl_grad*c": lambda T: _cl(T).requires_grad_() * _x(T, seed=1),
    "cl_int+c": lambda T: _cl(T).long() + _x(T, seed=1),
}


@pytest.mark.parametrize("case", sorted(_BINARY))
def test_binary_layout(case):
    same_layout(_BINARY[case])


@pytest.mark.parametrize("fn", ["relu", "sigmoid", "exp", "neg", "abs", "tanh"])
@pytest.mark.parametrize("src", ["cl", "t", "permute", "step"])
def test_unary_layout(fn, src):
    same_layout(lambda T: getattr(T, fn)(_SOURCES[src](T)))


def test_cat_and_where_layout():
    same_layout(lambda T: T.cat([_cl(T), _cl(T, seed=1)], dim=1))
    same_layout(lambda T: T.where(_cl(T) > 0, _cl(T), 0.0))


# ---- nn layers on channels_last ----------------------------------------------------------

def _model(T):
    T.manual_seed(0)
    nn = T.nn
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(8, 4, 3), nn.AdaptiveAvgPool2d(1))


def test_module_to_channels_last():
    def run(T):
        m = _model(T).to(memory_format=T.channels_last)
        return [p for p in m.parameters()] + [b for b in m.buffers()]
    same_layout(run)
    same_layout(lambda T: T.nn.Linear(3, 4).to(memory_format=T.channels_last).weight)


def test_layers_keep_channels_last():
    def run(T):
        m = _model(T).to(memory_format=T.channels_last)
        h = _cl(T, (2, 3, 8, 8))
        outs = []
        for layer in m:
            h = layer(h)
            outs.append(h)
        return outs
    same_layout(run)


def test_contiguous_model_on_channels_last_input():
    def run(T):
        m = _model(T)
        return m(_cl(T, (2, 3, 8, 8)))
    same_layout(run)


@pytest.mark.parametrize("which", ["input", "weight"])
def test_conv_follows_input_or_weight(which):
    def run(T):
        x, w = _x(T, (2, 3, 6, 6)), _x(T, (4, 3, 3, 3), seed=1)
        if which == "input":
            x = x.to(memory_format=T.channels_last)
        else:
            w = w.to(memory_format=T.channels_last)
        return T.nn.functional.conv2d(x, w)
    same_layout(run)


def test_conv_transpose_follows_input():
    same_layout(lambda T: T.nn.functional.conv_transpose2d(
        _cl(T, (2, 3, 5, 5)), _x(T, (3, 2, 3, 3), seed=1)))


def test_pool_functions_keep_channels_last():
    F = {T: T.nn.functional for T in (torch, ember)}
    same_layout(lambda T: F[T].avg_pool2d(_cl(T), 2))
    same_layout(lambda T: F[T].max_pool2d(_cl(T), 2, return_indices=True))
    same_layout(lambda T: F[T].adaptive_avg_pool2d(_cl(T), 2))
    same_layout(lambda T: F[T].adaptive_max_pool2d(_cl(T), 2, return_indices=True))
    same_layout(lambda T: F[T].batch_norm(_cl(T), T.zeros(3), T.ones(3)))


def test_grads_follow_the_layout_contract():
    def run(T):
        T.manual_seed(0)
        m = T.nn.Conv2d(3, 4, 3).to(memory_format=T.channels_last)
        x = _cl(T, (2, 3, 6, 6)).requires_grad_()
        m(x).sum().backward()
        return [m.weight.grad, m.bias.grad, x.grad]
    same_layout(run)


# ---- views, offsets, as_strided ----------------------------------------------------------

def test_view_on_channels_last_raises():
    check_raises(lambda T: _cl(T).view(2, -1))
    same_layout(lambda T: _cl(T).reshape(2, -1))
    same_layout(lambda T: _cl(T).view(2, 3, 4, 5))
    same_layout(lambda T: _cl(T).permute(0, 2, 3, 1).view(2, -1))


def test_permute_transpose_strides():
    same_layout(lambda T: [_x(T).permute(0, 2, 3, 1), _x(T).permute(3, 1, 0, 2),
                           _x(T, (3, 4)).t(), _x(T, (3, 4)).T, _x(T).transpose(1, 3),
                           _cl(T).permute(0, 2, 3, 1), _x(T).unsqueeze(2), _x(T).mT])


def test_storage_offset_and_data_ptr():
    def run(T):
        base = _x(T, (3, 4))
        views = [base[1], base[:, 1:3], base[1:, 2:], base.t()[1:], base[:, 2]]
        return [v.storage_offset() for v in views] + [
            (v.data_ptr() - base.data_ptr()) // 4 for v in views] + views
    same_layout(run)


def test_as_strided():
    same_layout(lambda T: T.as_strided(T.arange(12.).reshape(3, 4), (2, 2), (1, 4), 1))
    same_layout(lambda T: T.arange(12.).reshape(3, 4).t().as_strided((3, 2), (2, 1)))
    same_layout(lambda T: T.arange(24.).reshape(1, 2, 3, 4).to(
        memory_format=T.channels_last).as_strided((2, 3), (1, 2)))
    same_layout(lambda T: T.arange(24.).reshape(2, 3, 4)[1].as_strided((2, 2), (4, 1), 2))


def test_as_strided_on_channels_last_shares_memory():
    for T in (torch, ember):
        x = T.arange(24.).reshape(1, 2, 3, 4).to(memory_format=T.channels_last)
        x.as_strided((2,), (1,), 0).fill_(-1.0)
        assert x[0, :, 0, 0].tolist() == [-1.0, -1.0]
