"""torch.optim.swa_utils against torch: the averaging functions, AveragedModel (SWA and EMA,
with and without buffers) and update_bn. SWALR's lr sequence is in test_lr_scheduler."""
import numpy as np
import pytest
import torch

import ember
from oracle import check_raises


def _nn_or_skip():
    try:
        ember.nn.Linear
        ember.nn.BatchNorm1d
    except Exception:
        pytest.skip("ember.nn (Linear, BatchNorm1d) is not importable yet")


def _model(T):
    T.manual_seed(0)
    return T.nn.Sequential(T.nn.Linear(3, 4), T.nn.BatchNorm1d(4), T.nn.Linear(4, 2))


def _perturb(T, model, k):
    with T.no_grad():
        for i, p in enumerate(model.parameters()):
            p.mul_(0.9).add_(T.tensor(np.full(tuple(p.shape), 0.1 * (k + i), np.float32)))


@pytest.mark.parametrize("how", ["swa", "ema_multi", "ema", "swa_multi", "buffers"])
def test_averaged_model(how):
    _nn_or_skip()
    res = {}
    for T in (torch, ember):
        model = _model(T)
        su = T.optim.swa_utils
        kw = {"ema_multi": dict(multi_avg_fn=su.get_ema_multi_avg_fn(0.8)),
              "ema": dict(avg_fn=su.get_ema_avg_fn(0.7)),
              "swa_multi": dict(multi_avg_fn=su.get_swa_multi_avg_fn()),
              "buffers": dict(use_buffers=True, multi_avg_fn=su.get_ema_multi_avg_fn(0.5)),
              "swa": {}}[how]
        avg = su.AveragedModel(model, **kw)
        x = T.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
        for k in range(5):
            _perturb(T, model, k)
            model(x)          # moves the BatchNorm running statistics
            avg.update_parameters(model)
        res[T] = ({k: v.detach().numpy().copy() for k, v in avg.state_dict().items()},
                  avg.eval()(x).detach().numpy().copy())
    se, st = res[ember][0], res[torch][0]
    assert list(se) == list(st)
    for k in st:
        np.testing.assert_allclose(se[k], st[k], rtol=1e-5, atol=1e-6, err_msg=k)
        assert se[k].dtype == st[k].dtype, k
    np.testing.assert_allclose(res[ember][1], res[torch][1], rtol=1e-5, atol=1e-6)


def test_update_bn():
    _nn_or_skip()
    res = {}
    for T in (torch, ember):
        model = _model(T)
        data = [T.tensor(np.linspace(-2, 3, 24, dtype=np.float32).reshape(8, 3) * (i + 1))
                for i in range(3)]
        loader = [(d, 0) for d in data]
        model.eval()
        T.optim.swa_utils.update_bn(loader, model)
        bn = model[1]
        res[T] = (bn.running_mean.numpy().copy(), bn.running_var.numpy().copy(),
                  int(bn.num_batches_tracked), bn.momentum, model.training)
    for a, b in zip(res[ember][:2], res[torch][:2]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert res[ember][2:] == res[torch][2:]


def test_avg_fns_on_tensors():
    res = {}
    for T in (torch, ember):
        su = T.optim.swa_utils
        a = T.tensor([1.0, 2.0, -3.0])
        b = T.tensor([0.5, 4.0, 1.0])
        out = [su.get_ema_avg_fn(0.9)(a, b, 3), su.get_swa_avg_fn()(a, b, T.tensor(3))]
        ea, eb = [a.clone(), (a * 2).clone()], [b.clone(), b.clone()]
        su.get_swa_multi_avg_fn()(ea, eb, T.tensor(2))
        out += ea
        ea = [a.clone()]
        su.get_ema_multi_avg_fn(0.75)(ea, [b], 1)
        out += ea
        res[T] = [o.numpy().copy() for o in out]
    for e, t in zip(res[ember], res[torch]):
        np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-7)
    check_raises(lambda T: T.optim.swa_utils.get_ema_avg_fn(1.5))
    check_raises(lambda T: T.optim.swa_utils.get_ema_multi_avg_fn(-0.1))
