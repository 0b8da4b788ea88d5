"""grad_fn._saved_<name> / _raw_saved_<name> (SavedTensor.register_hooks), torch's pack order
and which tensors torch keeps, pack/unpack hook errors, and post-accumulate-grad hooks, vs
torch (from the "Hooks for autograd saved tensors" tutorial and the autograd-mechanics note)."""
import pytest

from tests.nn.utils._both import both
from tests.oracle import check_raises


def test_saved_attributes_identity_and_values():
    def prog(T, sub):
        T.manual_seed(0)
        a = T.randn(5, requires_grad=True)
        b = T.ones(5, requires_grad=True)
        y = a * b
        out = [y.grad_fn._saved_self, y.grad_fn._saved_other,
               y.grad_fn._saved_self is a, y.grad_fn._saved_other is b]
        x = T.randn(4, requires_grad=True)
        y = x.pow(2)
        out += [y.grad_fn._saved_self is x, y.grad_fn._saved_exponent,
                type(y.grad_fn._saved_exponent).__name__]
        y = x.exp()
        r = y.grad_fn._saved_result
        out += [r, r is y, r.equal(y), type(y.grad_fn._raw_saved_result).__name__,
                repr(y.grad_fn._raw_saved_result)[:35]]
        y = x.pow(x.detach() + 1)
        out += [y.grad_fn._saved_self is x, y.grad_fn._saved_result.equal(y),
                y.grad_fn._saved_exponent]
        m = T.randn(2, 4, requires_grad=True)
        y = m @ T.randn(4, 3)
        out += [y.grad_fn.name(), y.grad_fn._saved_self is None, y.grad_fn._saved_mat2]
        return out
    both(prog)


def test_saved_attributes_not_kept_freed_and_missing():
    def prog(T, sub):
        out = []
        a = T.ones(3, requires_grad=True)
        y = a * T.full((3,), 2.)      # torch keeps only `other` (self is needed for no grad)
        out += [y.grad_fn._saved_self, y.grad_fn._saved_other]
        y = a.exp()
        y.sum().backward()
        for name in ("_saved_result", "_saved_foo", "_raw_saved_foo"):
            try:
                getattr(y.grad_fn, name)
            except (RuntimeError, AttributeError) as e:
                out.append(f"{type(e).__name__}: {e}")
        out.append(type(y.grad_fn._raw_saved_result).__name__)
        try:
            y.grad_fn._raw_saved_result.register_hooks(lambda t: t, lambda t: t)
        except RuntimeError as e:
            out.append(str(e))
        try:
            a.grad_fn._saved_self
        except AttributeError as e:
            out.append(str(e))
        return out
    both(prog)


def test_modified_saved_input_error_only_when_torch_kept_it():
    def prog(T, sub):
        out = []
        a = T.tensor([0.5, -1., 2.], requires_grad=True)
        b = a.sigmoid()
        c = b * 2        # torch does not keep b here: only sigmoid's check fires
        b.mul_(2)
        try:
            c.sum().backward()
            b.sum().backward()
        except RuntimeError as e:
            out.append(str(e))
        x = T.ones(3, requires_grad=True)
        w = T.ones(3) * 3
        y = x * w        # w is kept (x's grad needs it): modifying it is an error
        w.add_(1)
        try:
            y.sum().backward()
        except RuntimeError as e:
            out.append(str(e))
        v = x * 1
        z = v.pow(2)
        with T.no_grad():
            v.add_(1)
        try:
            z.grad_fn._saved_self
        except RuntimeError as e:
            out.append(str(e))
        return out
    both(prog)


def test_register_hooks_on_raw_saved_tensor():
    def prog(T, sub):
        log = []

        def pack(t):
            log.append(("pack", t.requires_grad, T.is_grad_enabled(), t.clone()))
            return t

        def unpack(t):
            log.append(("unpack", T.is_grad_enabled()))
            return t
        x = T.tensor([1., -2., 3.], requires_grad=True)
        y = x.pow(2)
        y.grad_fn._raw_saved_self.register_hooks(pack, unpack)
        s = y.grad_fn._saved_self
        log.append((s.requires_grad, s is x, s.grad_fn))
        try:
            y.grad_fn._raw_saved_self.register_hooks(pack, unpack)
        except RuntimeError as e:
            log.append(str(e))
        y.sum().backward()
        log.append(x.grad)
        y = x.exp()
        y.grad_fn._raw_saved_result.register_hooks(lambda t: t * 10, lambda t: t / 10)
        r = y.grad_fn._saved_result
        log.append((r, r.grad_fn.name()))
        g, = T.autograd.grad(y.sum(), x, create_graph=True)
        log.append(T.autograd.grad(g.sum(), x)[0])
        return log
    both(prog)


def test_hooked_pack_order_and_unpacked_identity():
    def prog(T, sub):
        log = []

        def pack(t):
            log.append(("pack", t.clone(), t.grad_fn is not None))
            return t

        def unpack(t):
            log.append(("unpack", t.clone()))
            return t
        a = T.ones(3, requires_grad=True)
        b = T.ones(3, requires_grad=True) * 2
        with T.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = a * b                             # torch packs `other` before `self`
            z = a / b
            m = T.ones(2, 3, requires_grad=True) @ T.full((3, 2), 3.)   # only mat2 is kept
        log.append((y.grad_fn._saved_self.requires_grad, y.grad_fn._saved_self is a,
                    y.grad_fn._saved_other.grad_fn.name()))
        (y.sum() + z.sum() + m.sum()).backward()
        log.append(a.grad)
        return log
    both(prog)


def test_default_hooks_gradients_with_unconventional_pack_results():
    def prog(T, sub):
        storage = []

        def pack(t):
            storage.append(t)
            return len(storage) - 1
        x = T.tensor([1., 2., -3.], requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(pack, lambda i: storage[i]):
            y = (x * x).tanh().sum()
        y.backward()
        out = [x.grad.clone(), len(storage)]
        with T.autograd.graph.saved_tensors_hooks(lambda t: repr(t),
                                                  lambda s: eval("T." + s, {"T": T})):
            y = (x * x).sum()
        x.grad = None
        y.backward()
        out.append(x.grad)
        return out
    both(prog)


@pytest.mark.parametrize("case", ["unpack_int", "pack_inplace", "default_then_register",
                                  "register_bad_args"])
def test_hook_errors(case):
    def fn(T):
        x = T.ones(3, requires_grad=True)
        if case == "unpack_int":
            with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
                y = x.pow(3)
            y.grad_fn._saved_self
        elif case == "pack_inplace":
            with T.autograd.graph.saved_tensors_hooks(lambda t: t.mul_(2), lambda t: t):
                x.sin()
        elif case == "default_then_register":
            with T.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                y = x.pow(2)
                y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
        else:
            x.pow(2).grad_fn._raw_saved_self.register_hooks(1, 2)
    check_raises(fn, match_message=case != "register_bad_args")


def test_post_accumulate_grad_hook():
    def prog(T, sub):
        log = []
        a = T.tensor([1., 2.], requires_grad=True)
        h = a.register_post_accumulate_grad_hook(lambda p: log.append(("post", p.grad.clone())))
        a.register_hook(lambda g: g * 10)
        (a * 3).sin().sum().backward()
        (a * a).sum().backward()
        log.append(T.autograd.grad((a * 2).sum(), a))   # nothing accumulated: no post hook
        h.remove()
        a.sum().backward()
        log.append(a.grad)
        for t in (T.ones(2), (a * 2)):
            try:
                t.register_post_accumulate_grad_hook(lambda p: None)
            except RuntimeError as e:
                log.append(str(e))
        return log
    both(prog)
