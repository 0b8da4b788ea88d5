"""autograd.graph.saved_tensors_hooks / save_on_cpu / disable_saved_tensors_hooks vs torch."""
import ember
from tests.nn.utils._both import both


def test_pack_unpack_counts_and_grads():
    def prog(T, sub):
        log = []

        def pack(t):
            log.append(("p", tuple(t.shape)))
            return t * 1      # ops inside a pack hook are not hooked again

        def unpack(t):
            log.append("u")
            return t
        x = T.tensor([1., 2., 3.], requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = (x * x).exp().sum()
            z = T.tanh(x).sin().sum()
        y.backward()
        z.backward()
        out = [x.grad, len(log), log.count("u")]
        with T.autograd.graph.save_on_cpu():
            w = (x.sigmoid() * x).sum()
        w.backward()
        out.append(x.grad)
        T.manual_seed(0)
        m = T.nn.Linear(3, 2)
        with T.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone() * 2,
                                                  lambda t: t / 2):
            o = m(x).relu().sum()
        o.backward()
        out.append(m.weight.grad)
        try:
            o.backward()
        except RuntimeError as e:
            out.append(str(e))
        with T.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            try:
                with T.autograd.graph.saved_tensors_hooks(pack, unpack):
                    pass
            except RuntimeError as e:
                out.append(str(e))
        return out
    both(prog)


def test_hooks_off_restores_plain_methods():
    from ember.autograd.op import LAYERED, Op
    plain = Op.__dict__["save_inputs"]
    with ember.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        with ember.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            assert Op.__dict__["save_inputs"] is not plain
        assert LAYERED[0]
    assert Op.__dict__["save_inputs"] is plain and not LAYERED[0]
