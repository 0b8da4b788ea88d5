"""torch.func's autodiff transforms (grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian,
linearize) on ember's tape: each call differentiates w.r.t. fresh stand-ins of its inputs.

A level's stand-in is `x.detach().requires_grad_()`, or an alias `x.view_as(x)` when x already
requires grad outside (so the outer graph stays connected). Its backward runs with
create_graph only when the outputs reach a leaf of some outer graph (an enclosing transform's
stand-in, or a closure tensor that requires grad): nested levels keep the graph they need,
and an outermost transform returns plain tensors, as functorch's level unwrapping does.
jvp is the double-vjp trick (J^T u is linear in u; its vjp w.r.t. u along t is J t), which
works because ember's backward formulas are recorded ember ops.
"""
from __future__ import annotations

import functools

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.engine import grad as _engine_grad
from ..autograd.grad_mode import GRAD
from ..autograd.function import TRANSFORMS
from ..autograd.op import AccumulateGrad
from ._pytree import tree_flatten, tree_map, tree_unflatten, treespec_pprint

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "linearize"]

_JVP = "jvp(f, primals, tangents)"


# ---- argnums (torch's validation and messages) ------------------------------------------------

def _wrap_argnum(argnum, num_args):
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _slice_argnums(args, argnums, as_tuple=True):
    """The differentiated arguments: args[argnums] (a tuple of them for tuple argnums)."""
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if isinstance(argnums, int):
        i = _wrap_argnum(argnums, len(args))
        return (args[i],) if as_tuple else args[i]
    argnums = tuple(_wrap_argnum(a, len(args)) for a in argnums)
    if len(argnums) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(argnums)) != len(argnums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return tuple(args[i] for i in argnums)


def _replace_args(args, new, argnums):
    """args with the differentiated ones replaced by their stand-ins."""
    if isinstance(argnums, int):
        i = _wrap_argnum(argnums, len(args))
        return tuple(new if k == i else a for k, a in enumerate(args))
    idx = [_wrap_argnum(a, len(args)) for a in argnums]
    out = list(args)
    for i, v in zip(idx, new):
        out[i] = v
    return tuple(out)


# ---- one differentiation level ----------------------------------------------------------------

def _stand_ins(flat, outer):
    """Fresh differentiable stand-ins for the leaves `flat`; also whether one of them is an
    alias that keeps an outer graph (the input required grad outside)."""
    out = []
    aliased = False
    for x in flat:
        if not isinstance(x, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        if outer and x._rg:
            out.append(x.view_as(x))
            aliased = True
        else:
            t = x.detach()
            t.requires_grad_()
            out.append(t)
    return out, aliased


def _reaches_outer(tensors, own):
    """Does the graph behind `tensors` reach a leaf requiring grad other than the `own`
    stand-ins (so the transform's result must stay differentiable for an outer level)?"""
    own_ids = {id(t) for t in own}
    seen = set()
    stack = []
    for t in tensors:
        if not isinstance(t, Tensor):
            continue
        fn = t.grad_fn
        if fn is None:
            if t._rg and id(t) not in own_ids:
                return True
            continue
        stack.append(fn)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.__class__ is AccumulateGrad:
            if id(node.variable) not in own_ids:
                return True
            continue
        for nxt, _ in node.next_functions:
            if nxt is not None and id(nxt) not in seen:
                stack.append(nxt)
    return False


def _keep_graph(outer, aliased, tensors, own):
    return outer and (aliased or _reaches_outer(tensors, own))


def _plain(tree):
    """Detach every tensor of a pytree (an outermost level's results carry no graph)."""
    return tree_map(lambda t: t.detach() if isinstance(t, Tensor) else t, tree)


def _check_tensors(tree):
    """torch unwraps a level's aux outputs leaf by leaf: only tensors may be there."""
    for t in tree_flatten(tree)[0]:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(t)}")


def _autograd_grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False):
    """engine.grad over the outputs that require grad; zeros for inputs nothing reaches."""
    if grad_outputs is None:
        pairs = [(o, None) for o in outputs if o._rg]
    else:
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o._rg]
    grads = None
    if pairs:
        outs = [o for o, _ in pairs]
        gos = None if grad_outputs is None else [g for _, g in pairs]
        grads = _engine_grad(outs, inputs, gos, retain_graph=retain_graph,
                             create_graph=create_graph, allow_unused=True)
    if grads is None:
        return tuple(x.new_zeros(x.shape) for x in inputs)
    return tuple(x.new_zeros(x.shape) if g is None else g for g, x in zip(grads, inputs))


class _Level:
    """Run func on stand-ins of the differentiated arguments (grad enabled inside, as torch's
    transforms do), remembering what a later backward needs."""

    def __init__(self, args, argnums):
        self.outer = GRAD[0]
        diff = args if argnums is None else _slice_argnums(args, argnums, as_tuple=False)
        flat, self.spec = tree_flatten(diff)
        self.leaves, self.aliased = _stand_ins(flat, self.outer)
        new = tree_unflatten(self.leaves, self.spec)
        self.args = new if argnums is None else _replace_args(args, new, argnums)

    def call(self, func, kwargs=None, kinds=("grad",)):
        # kinds: the functorch levels torch would have open around func (jacfwd is vmap over
        # jvp); custom autograd.Functions check them (autograd/function.py)
        prev = GRAD[0]
        GRAD[0] = True
        TRANSFORMS.extend(kinds)
        try:
            return func(*self.args, **(kwargs or {}))
        finally:
            GRAD[0] = prev
            del TRANSFORMS[len(TRANSFORMS) - len(kinds):]

    def keep(self, *trees):
        tensors = [t for tree in trees for t in tree_flatten(tree)[0]]
        return _keep_graph(self.outer, self.aliased, tensors, self.leaves)


def _split_aux(output, has_aux, api):
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) "
                           "if has_aux is True")
    return output


def _assert_tensor_outputs(flat, api):
    if (len(flat) == 1 and flat[0] is None) or len(flat) < 1:
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output "
                           f"(got output = {flat})")
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")


def _error_if_complex(api, tree, is_input):
    for i, t in enumerate(tree_flatten(tree)[0]):
        if isinstance(t, Tensor) and t.is_complex():
            what = "inputs" if is_input else "outputs"
            raise RuntimeError(f"{api}: Expected all {what} to be real but received complex "
                               f"tensor at flattened input idx: {i}")


# ---- grad / grad_and_value --------------------------------------------------------------------

def _grad_and_value_impl(func, argnums, has_aux, args, kwargs):
    api = "grad_and_value(f)(*args)"
    lv = _Level(args, argnums)
    output = lv.call(func, kwargs)
    output, aux = _split_aux(output, has_aux, api)
    if not isinstance(output, Tensor):
        raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got {type(output)}")
    if output.dim() != 0:
        raise RuntimeError(f"{api}: Expected f(*args) to return a scalar Tensor, got tensor "
                           f"with {output.dim()} dims. Maybe you wanted to use the vjp or "
                           "jacrev APIs instead?")
    keep = lv.keep(output, aux)
    grads = _autograd_grad([output], lv.leaves, create_graph=keep)
    grads = tree_unflatten(list(grads), lv.spec)
    if has_aux:
        _check_tensors(aux)
    if not keep:
        output, aux = output.detach(), _plain(aux)
    return grads, ((output, aux) if has_aux else output)


def grad_and_value(func, argnums=0, has_aux=False):
    """(gradient, value) of a scalar function; see torch.func.grad_and_value."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _grad_and_value_impl(func, argnums, has_aux, args, kwargs)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of a scalar function w.r.t. args[argnums]; see torch.func.grad."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = _grad_and_value_impl(func, argnums, has_aux, args, kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


# ---- vjp --------------------------------------------------------------------------------------

def _vjp_with_argnums(func, *primals, argnums=None, has_aux=False):
    lv = _Level(primals, argnums)
    out = lv.call(func)
    out, aux = _split_aux(out, has_aux, "vjp(f, *primals)")
    if has_aux:
        _check_tensors(aux)
    flat_out, out_spec = tree_flatten(out)
    _assert_tensor_outputs(flat_out, "vjp(f, *primals)")
    for o in flat_out:
        if not (o.is_floating_point() or o.is_complex()):
            raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or complex "
                               f"Tensors, got Tensor with dtype {o.dtype}")
    keep = lv.keep(flat_out, aux)
    leaves, spec = lv.leaves, lv.spec

    def wrapper(cotangents, retain_graph=True, create_graph=None):
        flat_ct, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {treespec_pprint(ct_spec)}, primal "
                f"output: {treespec_pprint(out_spec)}")
        if create_graph is None:
            create_graph = GRAD[0]
        cg = create_graph and (keep or any(isinstance(c, Tensor) and c._rg for c in flat_ct))
        res = _autograd_grad(flat_out, leaves, flat_ct, retain_graph=retain_graph,
                             create_graph=cg)
        return tree_unflatten(list(res), spec)

    results = out if keep else _plain(out)
    if has_aux:
        return results, wrapper, (aux if keep else _plain(aux))
    return results, wrapper


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn) where vjp_fn(cotangents) is the vector-Jacobian product;
    see torch.func.vjp."""
    return _vjp_with_argnums(func, *primals, has_aux=has_aux)


# ---- jvp (double vjp) -------------------------------------------------------------------------

def _double_vjp(flat_out, leaves, flat_tangents, keep, strict=False):
    """J t for each output: differentiate u -> J^T u (recorded with create_graph) along t."""
    res = [None] * len(flat_out)
    diff = [i for i, o in enumerate(flat_out) if o._rg]
    if diff:
        us = [flat_out[i].new_zeros(flat_out[i].shape).requires_grad_() for i in diff]
        g = _engine_grad([flat_out[i] for i in diff], leaves, us, retain_graph=True,
                         create_graph=True, allow_unused=True)
        pairs = [(gi, t) for gi, t in zip(g, flat_tangents) if gi is not None]
        for gi, _ in pairs:
            if not gi._rg:
                raise NotImplementedError(
                    "jvp: a backward formula on this path is not differentiable in ember, so "
                    "the forward-mode product (computed as a double vjp) is unavailable")
        if pairs:
            tout = _engine_grad([p[0] for p in pairs], us, [p[1] for p in pairs],
                                retain_graph=True, create_graph=keep, allow_unused=True)
            for i, t in zip(diff, tout):
                res[i] = t
    for i, o in enumerate(flat_out):
        if res[i] is None:
            if strict:
                raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is "
                                   "independent of the inputs. This is not allowed with "
                                   "strict=True.")
            res[i] = o.new_zeros(o.shape)
    return res


def _check_tensor_list(flat, argname):
    if len(flat) == 0:
        raise RuntimeError(f"{_JVP}: Expected {argname} to contain at least one Tensor.")
    for x in flat:
        if not isinstance(x, Tensor):
            raise RuntimeError(f"{_JVP}: Expected {argname} to only contain Tensors, got "
                               f"{type(x)}")


def _jvp_prepare(primals, tangents, argnums):
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid "
                           "to call f(*primals).")
    diff = primals if argnums is None else _slice_argnums(primals, argnums)
    flat_p, p_spec = tree_flatten(diff)
    flat_t, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(
            f"{_JVP}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure {p_spec} and tangents with structure {t_spec}")
    _check_tensor_list(flat_p, "primals")
    _check_tensor_list(flat_t, "tangents")
    return flat_t


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """(func(*primals), J(primals) @ tangents); see torch.func.jvp. ember computes the
    Jacobian-vector product as a double vjp (no forward-mode AD)."""
    flat_t = _jvp_prepare(primals, tangents, None)
    lv = _Level(primals, None)
    out = lv.call(func, kinds=("jvp",))
    out, aux = _split_aux(out, has_aux, _JVP)
    if has_aux:
        _check_tensors(aux)
    flat_out, spec = tree_flatten(out)
    _assert_tensor_outputs(flat_out, _JVP)
    keep = lv.outer and (lv.keep(flat_out, aux) or any(t._rg for t in flat_t))
    t_out = _double_vjp(flat_out, lv.leaves, flat_t, keep, strict)
    if not keep:
        flat_out = [o.detach() for o in flat_out]
        t_out = [t.detach() for t in t_out]
        aux = _plain(aux)
    res = (tree_unflatten(flat_out, spec), tree_unflatten(t_out, spec))
    return res + (aux,) if has_aux else res


def linearize(func, *primals):
    """(func(*primals), jvp_fn) with jvp_fn(*tangents) = J(primals) @ tangents; see
    torch.func.linearize (here a double vjp over one recorded forward pass)."""
    lv = _Level(primals, None)
    out = lv.call(func, kinds=("jvp",))
    flat_out, spec = tree_flatten(out)
    _assert_tensor_outputs(flat_out, "linearize")
    keep = lv.keep(flat_out)
    leaves = lv.leaves

    def jvp_fn(*tangents):
        flat_t, t_spec = tree_flatten(tangents)
        if t_spec != lv.spec:
            raise RuntimeError(f"Expected the tangents {t_spec} to have the same argspec as the "
                               f"primals {lv.spec}")
        for i, (t, p) in enumerate(zip(flat_t, leaves)):
            if tuple(t.shape) != tuple(p.shape):
                raise RuntimeError(f"linearize: tangent:{i} with shape {t.shape} in flattened "
                                   f"pytree doesn't match the shape {p.shape} of the "
                                   "corresponding primal.")
        k = keep or (GRAD[0] and any(t._rg for t in flat_t))
        t_out = _double_vjp(flat_out, leaves, flat_t, k)
        return tree_unflatten(t_out if k else [t.detach() for t in t_out], spec)

    return (out if keep else _plain(out)), jvp_fn


# ---- Jacobians --------------------------------------------------------------------------------

def _jacobian_rows(flat_out, leaves, keep, zero_dtype_from_out):
    """J[i][j] (shape out_i.shape + leaf_j.shape) one output element at a time (vjps)."""
    from ..ops.shape import stack
    J = []
    for o in flat_out:
        n = o.numel()
        if not o._rg:
            J.append([_zeros(o, x, zero_dtype_from_out) for x in leaves])
            continue
        eye = np.eye(n, dtype=o._data.dtype)
        rows = [[] for _ in leaves]
        for k in range(n):
            gs = _engine_grad([o], leaves, [_wrap(eye[k].reshape(o._data.shape))],
                              retain_graph=True, create_graph=keep, allow_unused=True)
            for r, g in zip(rows, gs):
                r.append(g)
        blocks = []
        for x, r in zip(leaves, rows):
            shape = tuple(o.shape) + tuple(x.shape)
            if all(g is None for g in r):
                blocks.append(_zeros(o, x, zero_dtype_from_out))
            elif keep:
                r = [x.new_zeros(x.shape) if g is None else g for g in r]
                blocks.append(stack(r).reshape(shape))
            else:
                a = np.zeros((n,) + tuple(x.shape), x._data.dtype)
                for k, g in enumerate(r):
                    if g is not None:
                        a[k] = g._data
                blocks.append(_wrap(a.reshape(shape)))
        J.append(blocks)
    return J


def _jacobian_cols(flat_out, leaves, keep, zero_dtype_from_out):
    """J[i][j] one input element at a time: u -> J^T u is recorded once (create_graph), then
    differentiated w.r.t. u along each unit vector (a double vjp per column). None where a
    backward formula on the path is not differentiable (the caller then uses rows)."""
    from ..ops.shape import stack
    diff = [i for i, o in enumerate(flat_out) if o._rg]
    us = [flat_out[i].new_zeros(flat_out[i].shape).requires_grad_() for i in diff]
    g = _engine_grad([flat_out[i] for i in diff], leaves, us, retain_graph=True,
                     create_graph=True, allow_unused=True) if diff else [None] * len(leaves)
    if any(gj is not None and not gj._rg for gj in g):
        return None
    J = [[None] * len(leaves) for _ in flat_out]
    for j, (x, gj) in enumerate(zip(leaves, g)):
        if gj is None:
            for i, o in enumerate(flat_out):
                J[i][j] = _zeros(o, x, zero_dtype_from_out)
            continue
        n = x.numel()
        eye = np.eye(n, dtype=gj._data.dtype)
        cols = [[] for _ in diff]
        for k in range(n):
            cs = _engine_grad([gj], us, [_wrap(eye[k].reshape(gj._data.shape))],
                              retain_graph=True, create_graph=keep, allow_unused=True)
            for c, col in zip(cols, cs):
                c.append(col)
        for i, o in enumerate(flat_out):
            if i not in diff:
                J[i][j] = _zeros(o, x, zero_dtype_from_out)
                continue
            c = cols[diff.index(i)]
            shape = tuple(o.shape) + tuple(x.shape)
            if keep:
                c = [o.new_zeros(o.shape) if t is None else t for t in c]
                J[i][j] = stack(c, dim=-1).reshape(shape)
            else:
                a = np.zeros(tuple(o.shape) + (n,), o._data.dtype)
                for k, t in enumerate(c):
                    if t is not None:
                        a[..., k] = t._data
                J[i][j] = _wrap(a.reshape(shape))
    return J


def _zeros(o, x, dtype_from_out):
    src = o if dtype_from_out else x
    return _wrap(np.zeros(tuple(o.shape) + tuple(x.shape), src._data.dtype))


def _jacobian(flat_out, leaves, keep, forward=False):
    """jacrev's rows (a vjp per output element) or jacfwd's columns (a double vjp per input
    element): the order torch computes them in, so even the signs of zeros agree. Columns
    fall back to rows where a backward formula on the path is not differentiable."""
    if forward:
        J = _jacobian_cols(flat_out, leaves, keep, True)
        if J is not None:
            return J
    return _jacobian_rows(flat_out, leaves, keep, forward)


def _assemble(J, out_spec, args, argnums):
    """Nest the blocks as torch does: the output's structure, each leaf holding the
    structure of the differentiated arguments."""
    p_spec = tree_flatten(_slice_argnums(args, argnums))[1]
    per_out = [tree_unflatten(row, p_spec) for row in J]
    if isinstance(argnums, int):
        per_out = [r[0] for r in per_out]
    return tree_unflatten(per_out, out_spec)


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of func w.r.t. args[argnums] by reverse mode; see torch.func.jacrev.
    (chunk_size only bounds memory in torch; ember computes one row or column at a time.)"""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper_fn(*args):
        _error_if_complex("jacrev", args, True)
        _slice_argnums(args, argnums)  # validate before running func
        lv = _Level(args, argnums)
        out = lv.call(func)
        out, aux = _split_aux(out, has_aux, "vjp(f, *primals)")
        if has_aux:
            _check_tensors(aux)
        flat_out, out_spec = tree_flatten(out)
        _assert_tensor_outputs(flat_out, "vjp(f, *primals)")
        for o in flat_out:
            if not (o.is_floating_point() or o.is_complex()):
                raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or "
                                   f"complex Tensors, got Tensor with dtype {o.dtype}")
        _error_if_complex("jacrev", flat_out, False)
        keep = lv.keep(flat_out, aux)
        res = _assemble(_jacobian(flat_out, lv.leaves, keep), out_spec, args, argnums)
        if has_aux:
            return res, (aux if keep else _plain(aux))
        return res

    return wrapper_fn


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of func w.r.t. args[argnums]; see torch.func.jacfwd. ember has no
    forward mode: the same matrix comes from vjps or double vjps, whichever is cheaper."""
    from ._vmap import _check_randomness_arg, _random_mode

    @functools.wraps(func)
    def wrapper_fn(*args):
        _error_if_complex("jacfwd", args, True)
        diff = _slice_argnums(args, argnums)
        _check_tensor_list(tree_flatten(diff)[0], "primals")
        _check_randomness_arg(randomness)  # torch checks it when the basis goes through vmap
        if randomness == "different":
            return _jacfwd_per_column(func, argnums, has_aux, args)
        lv = _Level(args, argnums)
        # torch pushes the basis through vmap: random ops see vmap's randomness mode
        with _random_mode(randomness):
            out = lv.call(func, kinds=("vmap", "jvp"))
        out, aux = _split_aux(out, has_aux, _JVP)
        if has_aux:
            _check_tensors(aux)
        flat_out, out_spec = tree_flatten(out)
        _assert_tensor_outputs(flat_out, _JVP)
        _error_if_complex("jacfwd", flat_out, False)
        keep = lv.keep(flat_out, aux)
        J = _jacobian(flat_out, lv.leaves, keep, forward=True)
        _zero_negative_argnums(J, flat_out, lv.leaves, args, argnums)
        res = _assemble(J, out_spec, args, argnums)
        if has_aux:
            return res, (aux if keep else _plain(aux))
        return res

    return wrapper_fn


def _zero_negative_argnums(J, flat_out, leaves, args, argnums):
    """NOTE: torch's jacfwd places the tangents by comparing positions with argnums as given,
    so an argument named by a negative argnum gets no tangent and a zero Jacobian block; ember
    follows torch."""
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if all(a >= 0 for a in nums):
        return
    k = 0
    for a, arg in zip(nums, _slice_argnums(args, argnums)):
        n = len(tree_flatten(arg)[0])
        if a < 0:
            for i, o in enumerate(flat_out):
                for j in range(k, k + n):
                    J[i][j] = _zeros(o, leaves[j], True)
        k += n


def _jacfwd_per_column(func, argnums, has_aux, args):
    """jacfwd with randomness='different': one forward pass (and double vjp) per basis vector,
    so every column sees its own random draws, as vmap over the basis gives in torch."""
    from ..ops.shape import stack
    diff = _slice_argnums(args, argnums)
    flat_p, p_spec = tree_flatten(diff)
    cols_per_out = None
    aux = None
    out_spec = None
    for j, p in enumerate(flat_p):
        n = p.numel()
        eye = np.eye(n, dtype=p._data.dtype)
        for k in range(n):
            tangents = [_wrap(eye[k].reshape(p._data.shape)) if jj == j else q.new_zeros(q.shape)
                        for jj, q in enumerate(flat_p)]
            new = tree_unflatten(tangents, p_spec)
            lv = _Level(args, argnums)
            out = lv.call(func, kinds=("vmap", "jvp"))
            out, aux = _split_aux(out, has_aux, _JVP)
            flat_out, out_spec = tree_flatten(out)
            _assert_tensor_outputs(flat_out, _JVP)
            keep = lv.keep(flat_out, aux)
            t_out = _double_vjp(flat_out, lv.leaves, tree_flatten(new)[0], keep)
            if cols_per_out is None:
                cols_per_out = [[[] for _ in flat_p] for _ in flat_out]
            for i, t in enumerate(t_out):
                cols_per_out[i][j].append(t if keep else t.detach())
    J = []
    for i, per_in in enumerate(cols_per_out):
        row = []
        for j, cols in enumerate(per_in):
            o_shape = tuple(cols[0].shape)
            row.append(stack(cols, dim=-1).reshape(o_shape + tuple(flat_p[j].shape)))
        J.append(row)
    res = _assemble(J, out_spec, args, argnums)
    return (res, _plain(aux)) if has_aux else res


def hessian(func, argnums=0):
    """jacfwd(jacrev(func, argnums), argnums); see torch.func.hessian."""
    return jacfwd(jacrev(func, argnums), argnums)
