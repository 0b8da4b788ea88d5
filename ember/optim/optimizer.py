"""Optimizer: the base of every ember.optim algorithm (torch.optim.Optimizer's behaviour).

It owns `param_groups` (dicts in torch's key order), `state` (a defaultdict keyed by parameter),
`zero_grad`, the step hooks, and `state_dict`/`load_state_dict` in torch's exact layout. The
algorithms (sgd.py, adam.py, ...) add a `step` whose update is a plain function on arrays.
"""
from __future__ import annotations

import functools
import itertools
import warnings
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import GRAD

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook",
           "required"]


class _RequiredParameter:
    """Marks a hyperparameter every param group must give (torch.optim.optimizer.required)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class RemovableHandle:
    """Removes one hook from its (ordered) dict; see torch.utils.hooks.RemovableHandle."""
    _next_id = itertools.count()

    def __init__(self, hooks_dict):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._next_id)

    def remove(self):
        hooks = self.hooks_dict_ref()
        if hooks is not None and self.id in hooks:
            del hooks[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_global_optimizer_pre_hooks: OrderedDict = OrderedDict()
_global_optimizer_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """hook(optimizer, args, kwargs) -> None | (args, kwargs) before every optimizer's step."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """hook(optimizer, args, kwargs) after every optimizer's step."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


from ..ops.extra import typename as _typename  # noqa: E402  (torch.typename)


def _get_scalar_dtype(is_fused=None):
    """dtype of the 'step' counters: float64 under a float64 default dtype, else float32."""
    if is_fused:
        return D.float32
    return D.float64 if D.get_default_dtype() is D.float64 else D.float32


def _step_tensor(value=0.0):
    """A fresh 0-dim 'step' (or 'mu_product') tensor, as torch.tensor(value, dtype=...)."""
    return _wrap(np.array(value, dtype=_get_scalar_dtype().np))


def _incr(step_t):
    """`step_t += 1` on a 0-dim 'step' tensor; returns the new count (torch's .item()). The
    Python-side add rounds exactly as the float32 add (one rounding of an exact sum) and is
    ten times cheaper than a NumPy 0-dim in-place add."""
    a = step_t._data
    a[()] = float(a) + 1
    return float(a)


def _to_scalar(x):
    """A 1-element tensor hyperparameter as a 0-dim tensor (torch.optim.optimizer._to_scalar)."""
    if isinstance(x, Tensor) and x.dim() != 0:
        return x.squeeze()
    return x


def _value(x):
    """A hyperparameter for the array update: Python numbers stay as they are (NumPy casts them
    to the array's dtype, as torch casts a Python scalar); a tensor becomes a NumPy scalar of
    its own dtype, so Python arithmetic on it rounds as torch's 0-dim tensor arithmetic does."""
    if isinstance(x, Tensor):
        a = x._data
        if type(a) is not np.ndarray:
            from ..backend import to_numpy
            a = to_numpy(a)
        return a.reshape(())[()]
    return x


def _real(a):
    """A complex array seen as (real, imag) pairs, shape a.shape + (2,), sharing memory
    (torch.view_as_real), so updates act per component; other arrays unchanged."""
    if a.dtype.kind != "c":
        return a
    r = a.real
    return np.lib.stride_tricks.as_strided(r, a.shape + (2,), r.strides + (r.itemsize,))


# the dtype torch computes a scalar in ("opmath"): half types use float32, complex their reals
_OPMATH = {np.dtype(np.complex64): np.dtype(np.float32),
           np.dtype(np.complex128): np.dtype(np.float64),
           np.dtype(np.float16): np.dtype(np.float32)}
try:
    import ml_dtypes as _ml
    _OPMATH[np.dtype(_ml.bfloat16)] = np.dtype(np.float32)
except ImportError:  # pragma: no cover
    pass


def _consts(a, *values):
    """Hyperparameters as 0-dim arrays of the dtype torch casts a Python scalar to when it
    meets array `a` (NumPy applies 0-dim operands faster than Python floats, and with the
    same rounding). Computed once per group (and step), not per element."""
    dt = _OPMATH.get(a.dtype, a.dtype)
    if type(a) is np.ndarray:
        return tuple([np.array(v, dt) for v in values])
    return tuple([dt.type(v) for v in values])


def _lerp_consts(a, weight):
    """(small, k) for _lerp_: torch picks the formula on |weight| < 0.5 in the opmath dtype."""
    dt = _OPMATH.get(a.dtype, a.dtype)
    w = dt.type(weight)
    small = bool(abs(w) < 0.5)
    k = w if small else dt.type(1) - w
    return small, (np.array(k, dt) if type(a) is np.ndarray else k)


def _lerp_(a, end, lc, t):
    """a.lerp_(end, weight) with lc = _lerp_consts(a, weight) and t a temporary like a:
    torch's two formulas, a + w * (end - a) for |w| < 0.5, else end - (end - a) * (1 - w),
    so that both ends are exact."""
    small, k = lc
    np.subtract(end, a, out=t)
    t *= k
    if small:
        a += t
    else:
        np.subtract(end, t, out=a)


class _Scratch:
    """Reusable temporaries for the in-place updates: one flat buffer per (dtype, slot),
    grown as needed, so a step over large parameters does not allocate. Small arrays just
    allocate (NumPy's small-array cache is cheaper than the bookkeeping)."""
    __slots__ = ("bufs",)

    def __init__(self):
        self.bufs = {}

    def __call__(self, a, slot=0):
        n = a.size
        if n < 2048 or type(a) is not np.ndarray:
            return np.empty_like(a)
        key = (a.dtype, slot)
        buf = self.bufs.get(key)
        if buf is None or buf.size < n:
            buf = self.bufs[key] = np.empty(n, a.dtype)
        return buf[:n].reshape(a.shape)


def _state_steps_to_tensors(opt, extra=()):
    """__setstate__ helper: old checkpoints stored 'step' (and NAdam's 'mu_product') as Python
    numbers; torch 2.x keeps them as 0-dim tensors."""
    for group in opt.param_groups:
        for p in group["params"]:
            st = opt.state.get(p, [])
            if len(st) == 0:
                continue
            for key in ("step",) + tuple(extra):
                if key in st and not isinstance(st[key], Tensor):
                    st[key] = _step_tensor(float(st[key]))


def _not_differentiable(group):
    if group["differentiable"]:
        raise NotImplementedError(
            "ember.optim does not implement differentiable=True (autograd through the "
            "optimizer step); the update runs on arrays in place")


def _use_grad(step):
    """Run step() with grad mode off (torch's _use_grad_for_differentiable); the closure, if
    any, re-enables it itself."""
    @functools.wraps(step)
    def _use_grad_step(self, *args, **kwargs):
        prev = GRAD[0]
        GRAD[0] = bool(self.defaults["differentiable"])
        try:
            return step(self, *args, **kwargs)
        finally:
            GRAD[0] = prev
    return _use_grad_step


def _call_closure(closure):
    if closure is None:
        return None
    prev = GRAD[0]
    GRAD[0] = True
    try:
        return closure()
    finally:
        GRAD[0] = prev


try:  # the profiler labels steps as torch does, at the cost of one list read when it is off
    from ..profiler._record import ACTIVE as _PROFILING, record_function as _record_function
except ImportError:  # pragma: no cover
    _PROFILING = [None]
    _record_function = None


def _hook_step(func):
    """Wrap a class's step with the global and per-instance step pre/post hooks (and, while a
    profiler runs, a "Optimizer.step#<Class>.step" range)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if _PROFILING[0] is not None:
            with _record_function(f"Optimizer.step#{type(args[0]).__name__}.step"):
                return _run_hooked(func, args, kwargs)
        return _run_hooked(func, args, kwargs)
    wrapper.hooked = True
    return wrapper


def _run_hooked(func, args, kwargs):
    self = args[0]
    pre = self._optimizer_step_pre_hooks
    if pre or _global_optimizer_pre_hooks:
        for hook in chain(list(_global_optimizer_pre_hooks.values()), list(pre.values())):
            result = hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{func} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
    out = func(*args, **kwargs)
    post = self._optimizer_step_post_hooks
    if post or _global_optimizer_post_hooks:
        for hook in chain(list(post.values()), list(_global_optimizer_post_hooks.values())):
            hook(self, args, kwargs)
    return out


class Optimizer:
    """Base class for all optimizers; see torch.optim.Optimizer.

    params: an iterable of tensors, of (name, tensor) pairs, or of dicts (param groups);
    defaults: the hyperparameters a group gets when it does not set them.
    """

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        self._scratch = _Scratch()
        self._patch_step_function()

        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))

        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)
        self._warned_capturable_if_run_uncaptured = True

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        if "_scratch" not in self.__dict__:
            self._scratch = _Scratch()
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"

    def _patch_step_function(self):
        self._zero_grad_profile_name = f"Optimizer.zero_grad#{self.__class__.__name__}.zero_grad"
        cls = self.__class__
        if not getattr(cls.step, "hooked", None):
            cls.step = _hook_step(cls.step)

    def _accelerator_graph_capture_health_check(self):
        """CUDA graph capture does not exist in ember: nothing to check."""

    _cuda_graph_capture_health_check = _accelerator_graph_capture_health_check

    def _optimizer_step_code(self):
        """Entry point torch's profiler hooks into; kept for code that calls it."""

    @staticmethod
    def profile_hook_step(func):
        """Wrap `func` (a step) with the optimizer step hooks; see Optimizer.profile_hook_step."""
        return _hook_step(func)

    # ---- hooks ----
    def register_step_pre_hook(self, hook):
        """hook(optimizer, args, kwargs) -> None | (args, kwargs), called before step()."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        """hook(optimizer, args, kwargs), called after step()."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def _register(self, hooks, hook, prepend):
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook, prepend: bool = False):
        """hook(optimizer), called before state_dict()."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False):
        """hook(optimizer, state_dict) -> state_dict | None, called after state_dict()."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False):
        """hook(optimizer, state_dict) -> state_dict | None, before load_state_dict()."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False):
        """hook(optimizer), called after load_state_dict()."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---- state dict ----
    def state_dict(self) -> dict[str, Any]:
        """{'state': {index: {...}}, 'params_groups': [...]}, params replaced by their index in
        group order; see torch.optim.Optimizer.state_dict (tensors are not copied)."""
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping: dict[int, int] = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        packed_state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups,
                                                 key=None):
        # state tensors follow the parameter's dtype and device, except the 'step' counter
        # (unless fused/capturable, where it is float32 on the parameter's device)
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        if key == "step":
            if capturable or fused:
                return value.to(dtype=D.float32, device=param.device)
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load what state_dict() returned; see torch.optim.Optimizer.load_state_dict."""
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        saved_pg = state_dict["param_groups"]

        def cast(param, value, param_id, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(
                    param, value, param_id, saved_pg, key)
            if isinstance(value, dict):
                return {k: cast(param, v, param_id, k) for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
                return type(value)(cast(param, v, param_id) for v in value)
            return value

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v, k)
            else:
                state[k] = v

        param_groups = []
        for group, new_group in zip(groups, saved_groups):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            param_groups.append(new_group)
        self.__setstate__({"state": state, "param_groups": param_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    # ---- gradients and groups ----
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's .grad: to None, or (set_to_none=False) to zeros in place,
        detached; see torch.optim.Optimizer.zero_grad."""
        if _PROFILING[0] is not None:
            with _record_function(self._zero_grad_profile_name):
                return self._zero_grad(set_to_none)
        return self._zero_grad(set_to_none)

    def _zero_grad(self, set_to_none):
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._rg = False
                    g._data.fill(0)
                    g._bump()

    def step(self, closure=None):
        """Perform one optimization step (defined by each algorithm)."""
        raise NotImplementedError

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Append a param group (a dict with 'params' and optional hyperparameters)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (
                    param.grad_fn is None or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)

        if len(tensors) != len(set(tensors)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)

        seen: set = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)
