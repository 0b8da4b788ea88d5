"""Every learning-rate scheduler against torch: the lr (and momentum) sequence over 50
epochs, closed-form stepping, chained and sequential combinations, state_dict round trips,
warnings and errors."""
import math
import pickle
import warnings

import pytest
import torch

import ember
from oracle import check_raises

EPOCHS = 50


def _opt(T, name="SGD", groups=2, **kw):
    ps = [T.zeros(2, requires_grad=True) for _ in range(groups)]
    spec = [{"params": [ps[0]], "lr": 0.1}] + [{"params": [p], "lr": 0.05 * (i + 2)}
                                                  for i, p in enumerate(ps[1:])]
    kw.setdefault("lr", 0.1)
    if name == "SGD":
        kw.setdefault("momentum", 0.9)
    return getattr(T.optim, name)(spec, **kw)


def _trace(T, make, epochs=EPOCHS, metrics=None, name="SGD"):
    """lrs (and momenta/betas) after construction and after each optimizer+scheduler step,
    plus the warnings raised on the way (compared with torch's too)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt = _opt(T, name)
        sched = make(T, opt)

        def snap():
            row = [g["lr"] for g in opt.param_groups]
            row += [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]
            return row + list(sched.get_last_lr())
        out = [snap()]
        for e in range(epochs):
            opt.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[e])
            out.append(snap())
    out.append([str(w.message)[:60] for w in caught])
    return out, sched


def _same_rows(a, b):
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        assert len(x) == len(y), i
        for u, v in zip(x, y):
            if isinstance(v, str) or v is None:
                assert u == v, i
            elif v is None:
                assert u is None, i
            else:
                # the recurrences are computed in the same order: equal to the last bit
                assert u == v or math.isclose(u, v, rel_tol=1e-15, abs_tol=1e-18), (i, x, y)


SCHEDULERS = {
    "LambdaLR": lambda T, o: T.optim.lr_scheduler.LambdaLR(o, lambda e: 0.95 ** e),
    "LambdaLR-list": lambda T, o: T.optim.lr_scheduler.LambdaLR(
        o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** (e // 3)]),
    "MultiplicativeLR": lambda T, o: T.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.97),
    "StepLR": lambda T, o: T.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.3),
    "MultiStepLR": lambda T, o: T.optim.lr_scheduler.MultiStepLR(o, [5, 12, 12, 30], 0.5),
    "ConstantLR": lambda T, o: T.optim.lr_scheduler.ConstantLR(o, factor=0.3, total_iters=9),
    "LinearLR": lambda T, o: T.optim.lr_scheduler.LinearLR(o, 0.2, 0.9, total_iters=13),
    "LinearLR-default": lambda T, o: T.optim.lr_scheduler.LinearLR(o),
    "ExponentialLR": lambda T, o: T.optim.lr_scheduler.ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda T, o: T.optim.lr_scheduler.PolynomialLR(o, total_iters=20, power=2.5),
    "CosineAnnealingLR": lambda T, o: T.optim.lr_scheduler.CosineAnnealingLR(o, T_max=12,
                                                                            eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda T, o:
        T.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-4),
    "CosineAnnealingWarmRestarts-1": lambda T, o:
        T.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=7),
    "CyclicLR-triangular": lambda T, o: T.optim.lr_scheduler.CyclicLR(
        o, 0.01, 0.1, step_size_up=4, step_size_down=6),
    "CyclicLR-triangular2": lambda T, o: T.optim.lr_scheduler.CyclicLR(
        o, [0.01, 0.02], [0.1, 0.3], step_size_up=5, mode="triangular2", base_momentum=0.7,
        max_momentum=0.95),
    "CyclicLR-exp_range": lambda T, o: T.optim.lr_scheduler.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.97, cycle_momentum=False),
    "CyclicLR-scale_fn": lambda T, o: T.optim.lr_scheduler.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 1 / (x + 1), scale_mode="iterations"),
    "OneCycleLR": lambda T, o: T.optim.lr_scheduler.OneCycleLR(o, 0.5, total_steps=EPOCHS),
    "OneCycleLR-linear-3": lambda T, o: T.optim.lr_scheduler.OneCycleLR(
        o, [0.5, 1.0], epochs=5, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, div_factor=10.0, final_div_factor=100.0),
    "SequentialLR": lambda T, o: T.optim.lr_scheduler.SequentialLR(
        o, [T.optim.lr_scheduler.LinearLR(o, 0.1, total_iters=5),
            T.optim.lr_scheduler.ExponentialLR(o, 0.9),
            T.optim.lr_scheduler.CosineAnnealingLR(o, 10)], milestones=[5, 20]),
    "ChainedScheduler": lambda T, o: T.optim.lr_scheduler.ChainedScheduler(
        [T.optim.lr_scheduler.ConstantLR(o, 0.5, total_iters=4),
         T.optim.lr_scheduler.ExponentialLR(o, 0.9),
         T.optim.lr_scheduler.StepLR(o, 10, 0.5)]),
    "Sequential-of-chained": lambda T, o: T.optim.lr_scheduler.SequentialLR(
        o, [T.optim.lr_scheduler.ChainedScheduler([
            T.optim.lr_scheduler.LinearLR(o, 0.5, total_iters=3),
            T.optim.lr_scheduler.ExponentialLR(o, 0.95)]),
            T.optim.lr_scheduler.StepLR(o, 5, 0.5)], milestones=[10]),
    "SWALR": lambda T, o: T.optim.swa_utils.SWALR(o, swa_lr=0.01, anneal_epochs=7),
    "SWALR-linear-0": lambda T, o: T.optim.swa_utils.SWALR(o, swa_lr=[0.01, 0.02],
                                                           anneal_epochs=0,
                                                           anneal_strategy="linear"),
}


@pytest.mark.parametrize("key", list(SCHEDULERS))
def test_lr_sequence(key):
    te, se = _trace(ember, SCHEDULERS[key])
    tt, st = _trace(torch, SCHEDULERS[key])
    _same_rows(te, tt)
    assert [k for k in se.state_dict()] == [k for k in st.state_dict()]


@pytest.mark.parametrize("key", ["CyclicLR-triangular", "OneCycleLR"])
def test_cycle_momentum_uses_adam_betas(key):
    te, _ = _trace(ember, SCHEDULERS[key], name="Adam")
    tt, _ = _trace(torch, SCHEDULERS[key], name="Adam")
    _same_rows(te, tt)


def test_reduce_lr_on_plateau():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.8, 0.81, 0.82, 0.83, 0.79, 0.79, 0.79] * 4
    for kw in [dict(patience=2), dict(mode="max", factor=0.5, patience=1, cooldown=2),
               dict(threshold_mode="abs", threshold=0.05, patience=0, min_lr=[0.01, 0.02]),
               dict(patience=1, min_lr=0.04, eps=1e-3)]:
        def make(T, o, kw=kw):
            return T.optim.lr_scheduler.ReduceLROnPlateau(o, **kw)
        te, se = _trace(ember, make, epochs=len(metrics), metrics=metrics)
        tt, st = _trace(torch, make, epochs=len(metrics), metrics=metrics)
        _same_rows(te, tt)
        assert se.state_dict() == st.state_dict()


def test_reduce_lr_on_plateau_tensor_metric_and_errors():
    for T in (torch, ember):
        o = _opt(T)
        s = T.optim.lr_scheduler.ReduceLROnPlateau(o, patience=0)
        s.step(T.tensor(1.0))
        s.step(T.tensor(2.0))
        assert s.get_last_lr() == [0.010000000000000002, 0.010000000000000002]
    check_raises(lambda T: T.optim.lr_scheduler.ReduceLROnPlateau(_opt(T), factor=1.0))
    check_raises(lambda T: T.optim.lr_scheduler.ReduceLROnPlateau(_opt(T), mode="up"))
    check_raises(lambda T: T.optim.lr_scheduler.ReduceLROnPlateau(_opt(T),
                                                                 threshold_mode="x"))
    check_raises(lambda T: T.optim.lr_scheduler.ReduceLROnPlateau(_opt(T), min_lr=[0.1]))
    check_raises(lambda T: T.optim.lr_scheduler.ReduceLROnPlateau(object()))


@pytest.mark.parametrize("key", ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
                                 "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
                                 "LambdaLR", "CosineAnnealingWarmRestarts"])
def test_closed_form_epochs(key):
    """step(epoch) (deprecated: warns, except CosineAnnealingWarmRestarts where fractional
    epochs are the documented use) jumps with the closed form."""
    res = {}
    for T in (torch, ember):
        opt = _opt(T)
        sched = SCHEDULERS[key](T, opt)
        lrs = []
        for epoch in [3, 4, 10, 2, 17, 30, 7.5 if "Warm" in key else 8]:
            opt.step()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                sched.step(epoch)
            lrs.append([g["lr"] for g in opt.param_groups] + [str(w.message)[:30]
                                                                for w in caught])
        res[T] = lrs
    _same_rows(res[ember], res[torch])


def test_warm_restarts_fractional_epochs():
    res = {}
    for T in (torch, ember):
        opt = _opt(T)
        sched = T.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
        lrs = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in range(6):
                for i in range(4):
                    opt.step()
                    sched.step(epoch + i / 4)
                    lrs.append([g["lr"] for g in opt.param_groups])
        res[T] = lrs
    _same_rows(res[ember], res[torch])
    check_raises(lambda T: T.optim.lr_scheduler.CosineAnnealingWarmRestarts(_opt(T), 3).step(-1))


def _strip(sd):
    """Drop what cannot compare across libraries (function objects)."""
    return {k: v for k, v in sd.items() if not callable(v)}


@pytest.mark.parametrize("key", list(SCHEDULERS))
def test_state_dict_round_trip(key):
    """state_dict after 13 epochs equals torch's; loading it into a fresh scheduler continues
    the same sequence."""
    res = {}
    for T in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # compared in test_lr_sequence
            res[T] = _round_trip(T, key)
    _same_rows(res[ember][1], res[torch][1])
    se, st = res[ember][0], res[torch][0]
    assert list(se) == list(st)
    if "_schedulers" in st:
        assert [list(s) for s in se["_schedulers"]] == [list(s) for s in st["_schedulers"]]
    else:
        assert _strip(se) == _strip(st)


def _round_trip(T, key):
    if True:
        opt = _opt(T)
        sched = SCHEDULERS[key](T, opt)
        for _ in range(13):
            opt.step()
            sched.step()
        sd = sched.state_dict()
        osd = opt.state_dict()
        opt2 = _opt(T)
        sched2 = SCHEDULERS[key](T, opt2)
        sched2.load_state_dict(pickle.loads(pickle.dumps(sd)) if "lambda" not in str(sd)
                               else sd)
        opt2.load_state_dict(osd)
        lrs = []
        for _ in range(20):
            opt2.step()
            sched2.step()
            lrs.append([g["lr"] for g in opt2.param_groups] + sched2.get_last_lr())
        return sd, lrs


def test_step_order_warnings():
    for T in (torch, ember):
        opt = _opt(T)
        sched = T.optim.lr_scheduler.StepLR(opt, 2)
        with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before "
                                             r"`optimizer.step\(\)`"):
            sched.step()
        opt = _opt(T)
        sched = T.optim.lr_scheduler.StepLR(opt, 2)
        opt.step = lambda closure=None: None
        with pytest.warns(UserWarning, match="Seems like `optimizer.step\\(\\)` has been "
                                             "overridden after learning rate scheduler"):
            sched.step()
        opt = _opt(T)
        sched = T.optim.lr_scheduler.StepLR(opt, 2)
        with pytest.warns(UserWarning, match="To get the last learning rate computed by the "
                                             "scheduler, please use `get_last_lr\\(\\)`."):
            sched.get_lr()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            opt.step()
            sched.step()
            sched.step()


def test_errors():
    import ember.optim.lr_scheduler as lrs_module
    assert lrs_module is ember.optim.lr_scheduler
    cases = [
        lambda T: T.optim.lr_scheduler.StepLR(object(), 3),
        lambda T: T.optim.lr_scheduler.StepLR(_opt(T), 3, last_epoch=4),
        lambda T: T.optim.lr_scheduler.ConstantLR(_opt(T), factor=1.5),
        lambda T: T.optim.lr_scheduler.LinearLR(_opt(T), start_factor=0),
        lambda T: T.optim.lr_scheduler.LinearLR(_opt(T), end_factor=2),
        lambda T: T.optim.lr_scheduler.LambdaLR(_opt(T), [lambda e: 1.0]),
        lambda T: T.optim.lr_scheduler.MultiplicativeLR(_opt(T), 0.9),
        lambda T: T.optim.lr_scheduler.SequentialLR(_opt(T), [], []),
        lambda T: T.optim.lr_scheduler.SequentialLR(
            _opt(T), [T.optim.lr_scheduler.StepLR(_opt(T), 2)], []),
        lambda T: T.optim.lr_scheduler.ChainedScheduler([]),
        lambda T: (lambda o: T.optim.lr_scheduler.SequentialLR(
            o, [T.optim.lr_scheduler.StepLR(o, 2)], [3]))(_opt(T)),
        lambda T: (lambda o: T.optim.lr_scheduler.ChainedScheduler(
            [T.optim.lr_scheduler.ReduceLROnPlateau(o)]))(_opt(T)),
        lambda T: T.optim.lr_scheduler.CosineAnnealingWarmRestarts(_opt(T), T_0=0),
        lambda T: T.optim.lr_scheduler.CosineAnnealingWarmRestarts(_opt(T), 2, T_mult=1.5),
        lambda T: T.optim.lr_scheduler.CosineAnnealingWarmRestarts(_opt(T), 2, eta_min="a"),
        lambda T: T.optim.lr_scheduler.CyclicLR(_opt(T), 0.1, 1.0, mode="bad"),
        lambda T: T.optim.lr_scheduler.CyclicLR(_opt(T, "Adagrad"), 0.1, 1.0),
        lambda T: T.optim.lr_scheduler.CyclicLR(_opt(T), [0.1], 1.0),
        lambda T: T.optim.lr_scheduler.OneCycleLR(_opt(T), 0.1),
        lambda T: T.optim.lr_scheduler.OneCycleLR(_opt(T), 0.1, total_steps=0),
        lambda T: T.optim.lr_scheduler.OneCycleLR(_opt(T), 0.1, epochs=2, steps_per_epoch=-1),
        lambda T: T.optim.lr_scheduler.OneCycleLR(_opt(T), 0.1, total_steps=5, pct_start=1.5),
        lambda T: T.optim.lr_scheduler.OneCycleLR(_opt(T), 0.1, total_steps=5,
                                                  anneal_strategy="x"),
        lambda T: T.optim.lr_scheduler.OneCycleLR(_opt(T, "Adagrad"), 0.1, total_steps=5),
        lambda T: T.optim.swa_utils.SWALR(_opt(T), 0.1, anneal_strategy="x"),
        lambda T: T.optim.swa_utils.SWALR(_opt(T), 0.1, anneal_epochs=-1),
    ]
    for fn in cases:
        check_raises(fn)

    def too_many(T):
        opt = _opt(T)
        s = T.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(4):
                opt.step()
                s.step()
    check_raises(too_many)


def test_resume_with_last_epoch():
    res = {}
    for T in (torch, ember):
        opt = _opt(T)
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
        sched = T.optim.lr_scheduler.StepLR(opt, 3, 0.5, last_epoch=7)
        lrs = []
        for _ in range(6):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        res[T] = (lrs, sched.last_epoch)
    assert res[ember] == res[torch]


def test_lambda_objects_state():
    """Callable objects save their __dict__ (functions save None) and load it back."""
    class Decay:
        def __init__(self):
            self.factor = 0.9

        def __call__(self, epoch):
            return self.factor ** epoch
    for T in (torch, ember):
        opt = _opt(T)
        s = T.optim.lr_scheduler.LambdaLR(opt, Decay())
        sd = s.state_dict()
        assert sd["lr_lambdas"] == [{"factor": 0.9}, {"factor": 0.9}]
        sd["lr_lambdas"] = [{"factor": 0.5}, {"factor": 0.5}]
        s.load_state_dict(sd)
        assert s.lr_lambdas[0].factor == 0.5
        assert T.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0).state_dict()["lr_lambdas"] \
            == [None, None]
