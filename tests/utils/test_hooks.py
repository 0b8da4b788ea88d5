"""utils.hooks.RemovableHandle is the handle nn.Module's register_*_hook returns."""
import ember
from tests.nn.utils._both import both


def test_removable_handle():
    def prog(T, sub):
        H = sub("utils.hooks")
        m = T.nn.Linear(2, 2)
        calls = []
        h = m.register_forward_hook(lambda *a: calls.append(1))
        out = [isinstance(h, H.RemovableHandle), type(h).__name__]
        m(T.ones(2))
        h.remove()
        m(T.ones(2))
        with m.register_forward_pre_hook(lambda *a: calls.append(2)):
            m(T.ones(2))
        m(T.ones(2))
        from collections import OrderedDict
        d = OrderedDict()
        h2 = H.RemovableHandle(d)
        d[h2.id] = "x"
        h2.remove()
        f = H.unserializable_hook(lambda g: g)
        return out + [calls, dict(d), f.__torch_unserializable__]
    both(prog)
    assert ember.utils.hooks.RemovableHandle is ember.nn.modules.module.RemovableHandle
