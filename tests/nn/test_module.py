"""nn.Module and nn.Parameter against torch: registration, iteration order, state_dict,
load_state_dict errors, hooks (forward, pre, full backward), conversion, repr, pickling."""
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
from oracle import assert_same, check_raises, check_repr


def both(fn):
    return fn(torch), fn(ember)


def _net(T):
    nn = T.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 4)
            self.register_buffer("running", T.zeros(4))
            self.register_buffer("tmp", T.ones(2), persistent=False)
            self.scale = nn.Parameter(T.ones(1))

        def forward(self, x):
            return self.lin(x) * self.scale + self.running

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = Block()
            self.seq = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))
            self.b = self.a  # shared child
            self.register_parameter("none_param", None)

        def forward(self, x):
            return self.seq(self.a(x))
    T.manual_seed(0)
    return Net()


def test_named_members_order():
    t, e = both(_net)
    for name in ("named_parameters", "named_buffers", "named_children", "named_modules"):
        assert [n for n, _ in getattr(e, name)()] == [n for n, _ in getattr(t, name)()], name
    for kw in ({"prefix": "m"}, {"recurse": False}, {"remove_duplicate": False}):
        assert [n for n, _ in e.named_parameters(**kw)] == \
            [n for n, _ in t.named_parameters(**kw)]
        assert [n for n, _ in e.named_buffers(**kw)] == [n for n, _ in t.named_buffers(**kw)]
    assert [n for n, _ in e.named_modules(prefix="p", remove_duplicate=False)] == \
        [n for n, _ in t.named_modules(prefix="p", remove_duplicate=False)]
    assert len(list(e.parameters())) == len(list(t.parameters()))
    assert len(list(e.modules())) == len(list(t.modules()))
    assert len(list(e.children())) == len(list(t.children()))


def test_state_dict_and_metadata():
    t, e = both(_net)
    st, se = t.state_dict(), e.state_dict()
    assert type(se).__name__ == "OrderedDict"
    assert list(se) == list(st)
    assert dict(se._metadata) == dict(st._metadata)
    for k in st:
        assert_same(se[k], st[k])
        assert not se[k].requires_grad
    kv = e.state_dict(keep_vars=True)
    assert kv["a.lin.weight"] is e.a.lin.weight
    assert list(e.state_dict(prefix="x.")) == list(t.state_dict(prefix="x."))


def test_load_state_dict_roundtrip_and_errors():
    t, e = both(_net)
    sd = {k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()}
    res = e.load_state_dict(sd)
    assert repr(res) == "<All keys matched successfully>"
    assert_same(e.a.lin.weight, t.a.lin.weight)

    def missing(T):
        m = _net(T)
        sd = m.state_dict()
        del sd["a.lin.bias"]
        sd["extra"] = T.zeros(1)
        m.load_state_dict(sd)
    ee, et = check_raises(missing)
    assert str(ee) == str(et)

    def size(T):
        m = _net(T)
        sd = m.state_dict()
        sd["seq.1.weight"] = T.zeros(3, 3)
        m.load_state_dict(sd)
    ee, et = check_raises(size)
    assert str(ee) == str(et)

    for T in (torch, ember):
        m = _net(T)
        sd = m.state_dict()
        del sd["a.lin.bias"]
        sd["extra"] = T.zeros(1)
        r = m.load_state_dict(sd, strict=False)
        assert r.missing_keys == ["a.lin.bias"] and r.unexpected_keys == ["extra"]
    rt = _net(torch).load_state_dict({"a.lin.weight": torch.zeros(4, 3)}, strict=False)
    re_ = _net(ember).load_state_dict({"a.lin.weight": ember.zeros(4, 3)}, strict=False)
    assert repr(re_) == repr(rt)
    check_raises(lambda T: _net(T).load_state_dict([1, 2]))


def test_load_state_dict_assign():
    for T in (torch, ember):
        m = T.nn.Linear(2, 2)
        w = T.ones(2, 2)
        m.load_state_dict({"weight": w, "bias": T.zeros(2)}, assign=True)
        assert isinstance(m.weight, T.nn.Parameter) and m.weight.requires_grad


def test_setattr_semantics_and_errors():
    def param_to_tensor(T):
        m = T.nn.Linear(2, 2)
        m.weight = T.zeros(2, 2)
    check_raises(param_to_tensor)

    def module_to_tensor(T):
        m = T.nn.Sequential(T.nn.ReLU())
        setattr(m, "0", T.zeros(1))
    check_raises(module_to_tensor)

    def before_init(T):
        class M(T.nn.Module):
            def __init__(self):
                self.w = T.nn.Parameter(T.ones(1))
        M()
    check_raises(before_init)

    def mod_before_init(T):
        class M(T.nn.Module):
            def __init__(self):
                self.l = T.nn.ReLU()
        M()
    check_raises(mod_before_init)

    def buf_bad(T):
        m = T.nn.Module()
        m.register_buffer("b", T.ones(1))
        m.b = 3
    check_raises(buf_bad)
    check_raises(lambda T: T.nn.Module().register_buffer("a.b", T.ones(1)))
    check_raises(lambda T: T.nn.Module().register_buffer("", T.ones(1)))
    check_raises(lambda T: T.nn.Module().register_buffer("x", 3))
    check_raises(lambda T: T.nn.Linear(1, 1).register_buffer("weight", T.ones(1)))
    check_raises(lambda T: T.nn.Module().register_parameter("p", T.ones(1)))
    check_raises(lambda T: T.nn.Module().add_module("m", 3))
    check_raises(lambda T: T.nn.Module().add_module("a.b", T.nn.ReLU()))
    check_raises(lambda T: T.nn.Linear(1, 1).nonexistent)
    check_raises(lambda T: T.nn.Module(3))
    check_raises(lambda T: T.nn.Module(foo=3))

    def nonleaf(T):
        m = T.nn.Module()
        p = T.nn.Parameter(T.ones(2))
        m.register_parameter("q", p * 2)
    check_raises(nonleaf)

    for T in (torch, ember):
        m = T.nn.Linear(2, 2)
        m.bias = None
        assert m.bias is None and "bias" in m._parameters
        m.extra = T.nn.Parameter(T.ones(1))
        assert "extra" in dict(m.named_parameters())
        del m.extra
        assert "extra" not in dict(m.named_parameters())
        m.register_buffer("buf", T.ones(1))
        m.buf = T.zeros(1)  # reassigning a buffer keeps it a buffer
        assert "buf" in dict(m.named_buffers())
        m.buf = None
        assert m.buf is None
        m.sub = T.nn.ReLU()
        m.sub = None
        assert "sub" in m._modules
        m.plain = 3
        assert m.plain == 3 and "plain" in m.__dict__


def test_buffer_class():
    for T in (torch, ember):
        m = T.nn.Module()
        m.b = T.nn.Buffer(T.ones(2), persistent=False)
        assert "b" in dict(m.named_buffers()) and "b" not in m.state_dict()
        assert isinstance(m.b, T.Tensor)


def test_get_submodule_parameter_buffer():
    t, e = both(_net)
    assert type(e.get_submodule("a.lin")).__name__ == "Linear"
    assert e.get_parameter("a.lin.weight") is e.a.lin.weight
    assert e.get_buffer("a.running") is e.a.running
    assert e.get_submodule("") is e
    check_raises(lambda T: _net(T).get_submodule("a.nope"))
    check_raises(lambda T: _net(T).get_submodule("a.scale"))
    check_raises(lambda T: _net(T).get_parameter("a.running"))
    check_raises(lambda T: _net(T).get_buffer("a.scale"))
    for T in (torch, ember):
        m = _net(T)
        m.set_submodule("a.lin", T.nn.Identity())
        assert type(m.a.lin).__name__ == "Identity"
    check_raises(lambda T: _net(T).set_submodule("", T.nn.ReLU()))


def test_train_eval_zero_grad_requires_grad_apply():
    t, e = both(_net)
    for m in (t, e):
        m.eval()
        assert all(not x.training for x in m.modules())
        m.train()
        assert all(x.training for x in m.modules())
    check_raises(lambda T: _net(T).train("yes"))
    for T, m in ((torch, t), (ember, e)):
        out = m(T.ones(2, 3)).sum()
        out.backward()
        assert m.a.lin.weight.grad is not None
        m.zero_grad(set_to_none=False)
        assert float(m.a.lin.weight.grad.abs().sum()) == 0.0
        m.zero_grad()
        assert m.a.lin.weight.grad is None
        m.requires_grad_(False)
        assert not any(p.requires_grad for p in m.parameters())
        names = []
        m.apply(lambda mod: names.append(type(mod).__name__))
        assert names
    names_t, names_e = [], []
    t.apply(lambda mod: names_t.append(type(mod).__name__))
    e.apply(lambda mod: names_e.append(type(mod).__name__))
    assert names_t == names_e


def test_to_dtype_and_conversions():
    for T in (torch, ember):
        m = _net(T)
        w = m.a.lin.weight
        m.double()
        assert m.a.lin.weight is w and w.dtype == T.float64
        assert m.a.running.dtype == T.float64
        m.float()
        assert w.dtype == T.float32
        m.to(T.float64)
        assert w.dtype == T.float64
        m.to("cpu")
        m.half()
        assert w.dtype == T.float16
        m.bfloat16()
        assert w.dtype == T.bfloat16
        m.type(T.float32)
        assert w.dtype == T.float32
        assert m.cpu() is m
        assert m.share_memory() is m
    check_raises(lambda T: T.nn.Linear(2, 2).to(T.int64))


def test_to_keeps_grad():
    for T in (torch, ember):
        m = T.nn.Linear(2, 1)
        m(T.ones(1, 2)).sum().backward()
        m.double()
        assert m.weight.grad.dtype == T.float64


def test_repr_nested_and_extra_repr():
    check_repr(lambda T: _net(T))
    check_repr(lambda T: T.nn.Module())

    def custom(T):
        class M(T.nn.Module):
            def extra_repr(self):
                return "a=1\nb=2"
        m = T.nn.Sequential(M(), T.nn.Linear(2, 3, bias=False))
        return m
    check_repr(custom)


def test_dir_and_version():
    t, e = both(_net)
    assert "a" in dir(e) and "scale" in dir(e.a) and "running" in dir(e.a)
    assert ember.nn.Module._version == torch.nn.Module._version
    assert not [k for k in dir(e.seq) if k.isdigit()]


def test_forward_hooks():
    log = {}
    for T in (torch, ember):
        calls = []
        m = T.nn.Linear(2, 2)

        def pre(mod, args):
            calls.append("pre")
            return (args[0] * 2,)

        def pre_kw(mod, args, kwargs):
            calls.append("prekw")
            return args, kwargs

        def fwd(mod, args, out):
            calls.append("fwd")
            return out + 1

        def fwd_kw(mod, args, kwargs, out):
            calls.append("fwdkw")

        h1 = m.register_forward_pre_hook(pre)
        h2 = m.register_forward_pre_hook(pre_kw, with_kwargs=True, prepend=True)
        h3 = m.register_forward_hook(fwd)
        h4 = m.register_forward_hook(fwd_kw, with_kwargs=True)
        T.manual_seed(0)
        m.weight.data.fill_(0.5)
        m.bias.data.fill_(0.1)
        out = m(T.ones(1, 2))
        log[T] = (calls, out.detach().numpy().tolist())
        for h in (h1, h2, h3, h4):
            h.remove()
        assert not m._forward_hooks and not m._forward_pre_hooks
    assert log[torch] == log[ember]


def test_forward_hook_always_call():
    for T in (torch, ember):
        calls = []

        class Bad(T.nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        m = Bad()
        m.register_forward_hook(lambda *a: calls.append(1), always_call=True)
        with pytest.raises(ValueError):
            m(T.ones(1))
        assert calls == [1]


def test_full_backward_hooks():
    res = {}
    for T in (torch, ember):
        log = []
        T.manual_seed(0)
        m = T.nn.Linear(3, 2)

        def bw(mod, gin, gout):
            log.append(("bw", [None if g is None else g.numpy().round(5).tolist()
                               for g in gin], [g.numpy().round(5).tolist() for g in gout]))
            return (gin[0] * 2,)

        def bw_pre(mod, gout):
            log.append(("pre", [g.numpy().round(5).tolist() for g in gout]))
            return (gout[0] * 3,)
        m.register_full_backward_hook(bw)
        m.register_full_backward_pre_hook(bw_pre)
        x = T.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        m(x).sum().backward()
        res[T] = (log, x.grad.numpy().round(5).tolist(), m.weight.grad.numpy().round(5).tolist())
    assert res[torch] == res[ember]


def test_full_backward_hook_no_input_grad_warns():
    for T in (torch, ember):
        m = T.nn.Linear(3, 2)
        seen = []
        m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))
        with pytest.warns(UserWarning, match="Full backward hook is firing"):
            m(T.ones(1, 3)).sum().backward()
        assert seen == [(None,)]


def test_backward_hook_mixing_errors():
    def mix(T):
        m = T.nn.Linear(1, 1)
        m.register_full_backward_hook(lambda *a: None)
        m.register_backward_hook(lambda *a: None)
    check_raises(mix)


def test_global_forward_hook():
    for T in (torch, ember):
        seen = []
        h = T.nn.modules.module.register_module_forward_hook(
            lambda m, i, o: seen.append(type(m).__name__))
        try:
            T.nn.Sequential(T.nn.ReLU())(T.ones(1))
        finally:
            h.remove()
        assert seen == ["ReLU", "Sequential"]


def test_state_dict_hooks():
    for T in (torch, ember):
        m = T.nn.Linear(1, 1)
        m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: sd.pop("bias") and None)
        assert list(m.state_dict()) == ["weight"]
        seen = []
        m.register_load_state_dict_post_hook(lambda mod, keys: seen.append(tuple(keys)))
        m.load_state_dict({"weight": T.ones(1, 1), "bias": T.ones(1)})
        assert seen == [([], [])]


def test_extra_state():
    for T in (torch, ember):
        class M(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.v = 1

            def get_extra_state(self):
                return {"v": self.v}

            def set_extra_state(self, s):
                self.v = s["v"]
        m = M()
        sd = m.state_dict()
        assert sd["_extra_state"] == {"v": 1}
        m2 = M()
        m2.v = 5
        m2.load_state_dict(sd)
        assert m2.v == 1


def test_pickle_and_deepcopy():
    ember.manual_seed(0)
    p = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU())
    p.register_buffer("b", ember.ones(2))
    p2 = pickle.loads(pickle.dumps(p))
    assert_same(p2[0].weight, torch.tensor(p[0].weight.detach().numpy()))
    assert isinstance(p2[0].weight, ember.nn.Parameter) and p2[0].weight.requires_grad
    assert repr(p2) == repr(p) and list(p2.state_dict()) == list(p.state_dict())
    e = _net(ember)
    e3 = copy.deepcopy(e)
    assert e3.a.lin.weight is not e.a.lin.weight
    assert e3.b is e3.a
    assert np.array_equal(e3.a.lin.weight.detach().numpy(), e.a.lin.weight.detach().numpy())


def test_parameter_basics():
    check_repr(lambda T: T.nn.Parameter(T.tensor([1.0, 2.0])))
    check_repr(lambda T: T.nn.Parameter(T.tensor([1.0, 2.0]), requires_grad=False))
    check_repr(lambda T: T.nn.Parameter())
    for T in (torch, ember):
        p = T.nn.Parameter(T.ones(2))
        assert isinstance(p, T.Tensor) and isinstance(p, T.nn.Parameter)
        assert p.requires_grad and p.is_leaf
        q = copy.deepcopy(p)
        assert type(q) is T.nn.Parameter and q is not p and q.requires_grad
        assert type(p * 2) is T.Tensor
        assert type(p.detach()) is T.Tensor
        assert type(p.data) is T.Tensor
        with T.no_grad():
            assert T.nn.Parameter(T.ones(1)).requires_grad
        r = pickle.loads(pickle.dumps(p))
        assert type(r) is T.nn.Parameter
    with pytest.raises(RuntimeError):
        ember.nn.Parameter(ember.ones(2, dtype=ember.int64))


def test_incompatible_keys_namedtuple():
    r = ember.nn.Linear(1, 1).load_state_dict({"weight": ember.ones(1, 1)}, strict=False)
    assert r == (["bias"], [])
    assert "missing_keys=['bias']" in repr(r)


def test_call_runs_forward_without_hooks_fast_path():
    m = ember.nn.Identity()
    x = ember.ones(2)
    assert m(x) is x


def test_unimplemented_forward():
    check_raises(lambda T: T.nn.Module()(T.ones(1)))


def test_state_dict_positional_warns():
    with pytest.warns(FutureWarning):
        ember.nn.Linear(1, 1).state_dict(None, "p.")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.nn.Linear(1, 1).state_dict(prefix="p.")


def test_non_full_backward_hook():
    res = {}
    for T in (torch, ember):
        T.manual_seed(0)
        m = T.nn.Linear(3, 2)
        seen = []
        m.register_backward_hook(lambda mod, gi, go: seen.append(
            ([None if g is None else g.numpy().round(4).tolist() for g in gi],
             [g.numpy().round(4).tolist() for g in go])))
        x = T.ones(4, 3, requires_grad=True)
        with pytest.warns(FutureWarning, match="non-full backward hook when the forward "
                                               "contains multiple autograd Nodes"):
            m(x).sum().backward()
        res[T] = seen
    assert res[ember] == res[torch]


def test_module_without_init_call():
    def fn(T):
        class M(T.nn.Module):
            def __init__(self):
                pass

            def forward(self, x):
                return x
        M()(T.ones(1))
    check_raises(fn)
