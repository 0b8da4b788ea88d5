"""gradcheck / gradgradcheck: analytical gradients (the engine's) against central finite
differences (see torch.autograd.gradcheck).

The numerical Jacobian perturbs one input element at a time in place (in the input's own array,
as torch perturbs `input.data`); the analytical one is built row by row with autograd.grad and
one-hot output gradients, twice, to check that backward is deterministic. fast_mode compares
the scalar v^T J u for random u, v instead of whole Jacobians.
"""
from __future__ import annotations

import warnings

import numpy as np

from .grad_mode import no_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "get_numerical_jacobian",
           "get_analytical_jacobian"]


class GradcheckError(RuntimeError):
    """Error raised by gradcheck and gradgradcheck."""


_NONDET_NOTE = """

NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""


def _Tensor():
    from .._tensor import Tensor
    return Tensor


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _differentiable_outputs(x):
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _diff_inputs(inputs):
    Tensor = _Tensor()
    return [(i, t) for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _check_inputs(inputs):
    any_rg = False
    for idx, t in _diff_inputs(inputs):
        if t._data.dtype.kind == "c":
            raise NotImplementedError("ember's gradcheck does not support complex inputs "
                                      "(Wirtinger derivatives)")
        if t._data.dtype != np.float64:
            warnings.warn(f"Input #{idx} requires gradient and is not a double precision "
                          "floating point or complex. This check will likely fail if all the "
                          "inputs are not of double precision floating point or complex. ",
                          UserWarning, stacklevel=4)
        if not all(st > 0 or sz <= 1 for st, sz in zip(t.stride(), t.shape)):
            raise RuntimeError(f"The {idx}th input has a dimension with stride 0. gradcheck "
                               "only supports inputs that are non-overlapping to be able to "
                               "compute the numerical gradients correctly. You should call "
                               ".contiguous on the input before passing it to gradcheck.")
        any_rg = True
    if not any_rg:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")


def _numerical_columns(func, inputs, t, eps):
    """For input t: an iterator over (flat index, [d out_k / d t[index] for each output k])."""
    a = t._data
    for n, idx in enumerate(np.ndindex(a.shape)):
        orig = a[idx].copy()
        a[idx] = orig - eps
        outa = [o._data.copy() for o in _as_tuple(func(*inputs))]
        a[idx] = orig + eps
        outb = [o._data.copy() for o in _as_tuple(func(*inputs))]
        a[idx] = orig
        cols = []
        for x, y in zip(outa, outb):
            if x.shape != y.shape:
                raise AssertionError("Expected `func` to return outputs with the same shape when "
                                     f"inputs are perturbed by {eps}, but got: shapes "
                                     f"{x.shape} and {y.shape}.")
            cols.append(((y - x) / (2 * eps)).reshape(-1))
        yield n, cols


def _numerical_jacobian(func, inputs, outputs, eps):
    """numerical[j_in][k_out]: an (input numel, output numel) array, for every output."""
    result = []
    for _, t in _diff_inputs(inputs):
        jac = [np.zeros((t._data.size, o._data.size), _real_dtype(o._data.dtype, t))
               for o in outputs]
        for n, cols in _numerical_columns(func, inputs, t, eps):
            for j, c in zip(jac, cols):
                j[n] = c
        result.append(jac)
    return result


def _real_dtype(dt, like):
    return dt if dt.kind in "fc" else like._data.dtype


def _analytical_rows(inputs, output):
    """The Jacobian of one output w.r.t. every differentiable input, by one backward per
    output element (grad_output one-hot); also whether sizes and dtypes came back right."""
    from .engine import grad as _grad
    from .._tensor import _wrap
    diff = [t for _, t in _diff_inputs(inputs)]
    out = output.clone()  # as torch: the rows are taken from a clone of the output
    m = out._data.size
    jacs = [np.zeros((t._data.size, m), t._data.dtype) for t in diff]
    sizes_ok = types_ok = True
    for k in range(m):
        g = np.zeros(out._data.shape, out._data.dtype)
        g.reshape(-1)[k] = 1
        gi = _grad(out, diff, _wrap(g), retain_graph=True, allow_unused=True)
        for jac, t, gr in zip(jacs, diff, gi):
            if gr is None:
                continue
            if gr._data.shape != t._data.shape:
                sizes_ok = False
                continue
            if gr._data.dtype != t._data.dtype:
                types_ok = False
            jac[:, k] = gr._data.reshape(-1)
    return jacs, sizes_ok, types_ok


def _check_analytical(inputs, output, nondet_tol, check_grad_dtypes):
    j1, sizes_ok, types_ok = _analytical_rows(inputs, output)
    j2, _, _ = _analytical_rows(inputs, output)
    reentrant = all(a.size == 0 or np.abs(a - b).max() <= nondet_tol for a, b in zip(j1, j2))
    if not types_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    if not reentrant:
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with same input and grad_output "
            "multiple times gives different values, although analytical gradient matches "
            f"numerical gradient.The tolerance for nondeterminism was {nondet_tol}."
            + _NONDET_NOTE)
    return j1


def _allclose(a, n, rtol, atol):
    dt = np.result_type(a.dtype, n.dtype)
    return bool(np.allclose(a.astype(dt), n.astype(dt), rtol=rtol, atol=atol))


def _mismatch(a, n, out_idx, in_idx):
    from .._tensor import _wrap
    return (f"Jacobian mismatch for output {out_idx:d} with respect to input {in_idx:d},\n"
            f"numerical:{_wrap(n)!r}\nanalytical:{_wrap(a)!r}\n")


def _slow_gradcheck(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes,
                    nondet_tol):
    all_out = _as_tuple(func_out)
    if not outputs:
        for jac in _numerical_jacobian(func, inputs, all_out, eps):
            for j in jac:
                if np.any(j != 0):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    numerical = _numerical_jacobian(func, inputs, outputs, eps)
    for i, o in enumerate(outputs):
        analytical = _check_analytical(inputs, o, nondet_tol, check_grad_dtypes)
        for j, a in enumerate(analytical):
            n = numerical[j][i]
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(_mismatch(a, n, i, j))
    return True


def _forward_ad_check(func, func_out, inputs, eps, rtol, atol):
    """Forward mode: the Jacobian column by column (a one-hot tangent per input element, as
    torch builds it) against the numerical one."""
    from . import forward_ad as fwAD
    from .._tensor import _wrap
    Tensor = _Tensor()
    outs = [o for o in _as_tuple(func_out) if isinstance(o, Tensor) and
            o._data.dtype.kind in "fc"]
    numerical = _numerical_jacobian(func, inputs, outs, eps)
    diff = [i for i, _ in _diff_inputs(inputs)]
    jacs = [[np.zeros((inputs[i]._data.size, o._data.size), o._data.dtype) for o in outs]
            for i in diff]
    with fwAD.dual_level():
        duals = list(inputs)
        tangents = []
        for i in diff:
            x = inputs[i]
            duals[i] = fwAD.make_dual(x.detach(), _wrap(np.zeros_like(x._data)))
            tangents.append(fwAD.unpack_dual(duals[i]).tangent)
        for j, t in enumerate(tangents):
            flat = t._data.reshape(-1)   # (a view: make_dual kept t's layout, made here)
            for n in range(flat.size):
                flat[n] = 1
                res = [o for o in _as_tuple(func(*duals)) if isinstance(o, Tensor) and
                       o._data.dtype.kind in "fc"]
                for k, o in enumerate(res):
                    tan = fwAD.unpack_dual(o).tangent
                    if tan is not None:
                        jacs[j][k][n] = tan._data.reshape(-1)
                flat[n] = 0
    for j in range(len(diff)):
        for k in range(len(outs)):
            a, n = jacs[j][k], numerical[j][k]
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(_mismatch(a, n, k, j).replace(
                    "Jacobian mismatch", "Jacobian computed with forward mode mismatch"))


def _fast_gradcheck(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes,
                    nondet_tol):
    """Compare v^T J u: J u by one central difference along u, v^T J by one backward."""
    from .engine import grad as _grad
    from .._tensor import _wrap
    rng = np.random.default_rng(0)  # its own generator: the user's RNG state is left alone
    diff = _diff_inputs(inputs)
    us = [rng.uniform(0, 1, t._data.shape).astype(t._data.dtype) for _, t in diff]
    us = [u / max(np.linalg.norm(u), 1e-30) for u in us]
    if not outputs:
        outs = _as_tuple(func_out)
    else:
        outs = outputs
    vs = [rng.uniform(0, 1, o._data.shape).astype(o._data.dtype) for o in outs]
    # numerical: J_k u for each input, each output, by perturbing the whole input along u
    numerical = []
    for (_, t), u in zip(diff, us):
        a = t._data
        orig = a.copy()
        a[...] = orig - eps * u
        outa = [o._data.copy() for o in _as_tuple(func(*inputs))]
        a[...] = orig + eps * u
        outb = [o._data.copy() for o in _as_tuple(func(*inputs))]
        a[...] = orig
        if not outputs:
            for x, y in zip(outa, outb):
                if np.any((y - x) != 0):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
            continue
        jus = [(y - x) / (2 * eps) for x, y in zip(outa, outb)]
        numerical.append([np.asarray(np.sum(ju * v)) for ju, v in zip(jus, vs)])
    if not outputs:
        return True
    for i, (o, v) in enumerate(zip(outputs, vs)):
        vjs = []
        for _ in range(2):
            gi = _grad(o.clone(), [t for _, t in diff], _wrap(v.copy()), retain_graph=True,
                       allow_unused=True)
            vjs.append([np.zeros(t._data.shape, t._data.dtype) if g is None else g._data
                        for (_, t), g in zip(diff, gi)])
        for a1, a2 in zip(*vjs):
            if a1.shape != a2.shape or (a1.size and np.abs(a1 - a2).max() > nondet_tol):
                raise GradcheckError(
                    "Backward is not reentrant, i.e., running backward with same input and "
                    "grad_output multiple times gives different values, although analytical "
                    "gradient matches numerical gradient.The tolerance for nondeterminism was "
                    f"{nondet_tol}." + _NONDET_NOTE)
        for j, (vj, u) in enumerate(zip(vjs[0], us)):
            if vj.shape != u.shape:
                raise GradcheckError("Analytical gradient has incorrect size")
            a = np.asarray(np.sum(vj * u))
            n = numerical[j][i]
            # torch's adjusted atol for the scalar products: atol * sum(v) * sum(u)
            adj = atol * float(np.sum(v)) * float(np.sum(u))
            if not _allclose(a, n, rtol, adj):
                raise GradcheckError(
                    _mismatch(a, n, i, j) + "\nThe above quantities relating the numerical and "
                    "analytical jacobians are computed in fast mode. See: "
                    "https://github.com/pytorch/pytorch/issues/53876 for more background about "
                    "fast mode. Below, we recompute numerical and analytical jacobians in slow "
                    "mode:\n\n" + _slow_message(func, inputs, outputs, i, j, rtol, atol, eps))
    return True


def _slow_message(func, inputs, outputs, i, j, rtol, atol, eps):
    numerical = _numerical_jacobian(func, inputs, outputs, eps)[j][i]
    analytical = _analytical_rows(inputs, outputs[i])[0][j]
    from .._tensor import _wrap
    msg = f"Numerical:\n {_wrap(numerical)!r}\nAnalytical:\n{_wrap(analytical)!r}\n\n"
    if not _allclose(analytical, numerical, rtol, atol):
        msg += ("The max per-element difference (slow mode) is: "
                f"{np.abs(numerical - analytical).max()}.\n")
    return msg


def _test_backward_mul_by_grad_output(outputs, inputs):
    """With zero output gradients every input gradient must be zero (or None)."""
    from .engine import grad as _grad
    from .._creation import zeros_like
    diff = [t for _, t in _diff_inputs(inputs)]
    gis = _grad(outputs, diff, [zeros_like(o) for o in outputs], allow_unused=True)
    for gi, di in zip(gis, diff):
        if gi is None:
            continue
        if np.any(gi._data != 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if gi._data.dtype != di._data.dtype:
            raise GradcheckError("grad is incorrect type")
        if gi.device != di.device:
            raise GradcheckError("grad is incorrect device")
        if gi._data.shape != di._data.shape:
            raise GradcheckError("grad is incorrect size")
    return True


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    """Check backward's gradients against finite differences (see torch.autograd.gradcheck).

    Returns True, or raises GradcheckError (returns False when raise_exception=False).
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad "
                             "to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to "
                             "be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires "
                             "check_forward_ad to be True")
    if check_batched_forward_grad:
        raise NotImplementedError("ember's gradcheck: check_batched_forward_grad needs vmap, "
                                  "which ember does not implement")
    if check_batched_grad:
        raise NotImplementedError("ember's gradcheck: check_batched_grad needs vmap, which "
                                  "ember does not implement")
    try:
        tupled = _as_tuple(inputs)
        _check_inputs(tupled)
        func_out = func(*tupled)
        outputs = _differentiable_outputs(func_out)
        for o in _as_tuple(func_out):
            if o._data.dtype.kind == "c":
                raise NotImplementedError("ember's gradcheck does not support complex outputs")
        if check_backward_ad:
            check = _fast_gradcheck if fast_mode else _slow_gradcheck
            check(func, func_out, tupled, outputs, eps, rtol, atol, check_grad_dtypes,
                  nondet_tol)
        if check_forward_ad:
            _forward_ad_check(func, func_out, tupled, eps, rtol, atol)
        if outputs and check_backward_ad:
            # this also covers check_undefined_grad: ember's engine hands zeros (never an
            # "undefined" gradient) to a node whose output received no gradient
            _test_backward_mul_by_grad_output(outputs, tupled)
    except GradcheckError:
        if not raise_exception:
            return False
        raise
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """gradcheck of the gradients: second derivatives against finite differences of the first
    (see torch.autograd.gradgradcheck). Random grad_outputs come from ember's global RNG, as
    torch's come from torch's."""
    from .engine import grad as _grad
    from .. import _creation
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev "
                             "to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to "
                             "be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be "
                             "True")
    tupled = _as_tuple(inputs)
    if grad_outputs is None:
        outs = _differentiable_outputs(func(*tupled))
        gos = []
        for x in outs:
            dt = x.dtype if x.is_floating_point() or x.is_complex() else None
            with no_grad():
                g = _creation.empty(tuple(x.shape), dtype=dt or _float64()).uniform_(-1, 1)
            g.requires_grad_(True)
            gos.append(g)
        tupled_go = tuple(gos)
    else:
        tupled_go = _as_tuple(grad_outputs)
    n_out = len(tupled_go)
    diff_in = {i for i, x in enumerate(tupled) if getattr(x, "requires_grad", False)}
    diff_go = {i for i, x in enumerate(tupled_go) if getattr(x, "requires_grad", False)}

    def new_func(*args):
        in_args = tuple(x.requires_grad_() if i in diff_in else x
                        for i, x in enumerate(args[:-n_out]))
        outs = _differentiable_outputs(func(*in_args))
        gos = tuple(x.requires_grad_() if i in diff_go else x
                    for i, x in enumerate(args[-n_out:]))
        diff_args = tuple(x for i, x in enumerate(in_args) if i in diff_in)
        gi = _grad(outs, diff_args, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gi if g is not None)

    return gradcheck(new_func, tupled + tupled_go, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad,
                     fast_mode=fast_mode, check_forward_ad=check_fwd_over_rev,
                     check_backward_ad=check_rev_over_rev, masked=masked)


def _float64():
    from .. import _dtype
    return _dtype.float64


def get_numerical_jacobian(fn, inputs, target=None, eps=1e-3, grad_out=1.0):
    """Deprecated torch helper: numerical Jacobians of fn(*inputs) w.r.t. inputs requiring
    grad, as a tuple per input of (input numel, output numel) tensors."""
    from .._tensor import _wrap
    if grad_out != 1.0:
        raise ValueError("Expected grad_out to be 1.0. get_numerical_jacobian no longer "
                         "supports values of grad_out != 1.0.")
    if target is not None:
        raise NotImplementedError("ember's get_numerical_jacobian: only target=None (the "
                                  "inputs) is supported")
    tupled = _as_tuple(inputs)
    outs = _as_tuple(fn(*tupled))
    return [tuple(_wrap(j) for j in jac) for jac in _numerical_jacobian(fn, tupled, outs, eps)]


def get_analytical_jacobian(inputs, output, nondet_tol=0.0, grad_out=1.0):
    """Deprecated torch helper: (jacobians, reentrant, correct_grad_sizes, correct_grad_types)."""
    from .._tensor import _wrap
    if grad_out != 1.0:
        raise ValueError("Expected grad_out to be 1.0. get_analytical_jacobian no longer "
                         "supports values of grad_out != 1.0.")
    tupled = _as_tuple(inputs)
    j1, sizes_ok, types_ok = _analytical_rows(tupled, output)
    j2, _, _ = _analytical_rows(tupled, output)
    reentrant = all(a.size == 0 or np.abs(a - b).max() <= nondet_tol for a, b in zip(j1, j2))
    return tuple(_wrap(j) for j in j1), reentrant, sizes_ok, types_ok
