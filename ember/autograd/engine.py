"""The backward engine: torch.autograd.backward and torch.autograd.grad.

micrograd's shape — find the graph, then walk it backwards calling each node's backward — with
torch's extras as named steps: dependency counts (a node runs once all its consumers have
sent their gradient), a priority queue on creation order (torch's execution order, so sums of
several gradients round the same way), hooks, retain_graph (free saved tensors as we go unless
asked not to), create_graph (backward formulas are ember ops, so running them with grad mode
on records a graph of the backward pass), and capture of the `inputs` for `grad()`.
"""
from __future__ import annotations

from heapq import heappush, heappop
from itertools import repeat
from sys import getrefcount

import warnings

import ml_dtypes
import numpy as np

from .._dtype import _FROM_NP
from .grad_mode import GRAD
from .op import AccumulateGrad, PROFILER
from . import op as _opmod

ndarray = np.ndarray
from . import anomaly_mode
from .anomaly_mode import ANOMALY

__all__ = ["backward", "grad"]


def _tensor():
    return _opmod.Tensor


_REAL_FLOAT = frozenset(np.dtype(t) for t in ("float16", "float32", "float64")) | {
    np.dtype(ml_dtypes.bfloat16)}


def _make_grads(outputs, grads, is_grads_batched=False):
    from .._creation import ones_like
    Tensor = _tensor()
    out = []
    for i, t in enumerate(outputs):
        g = grads[i] if grads is not None else None
        if g is None:
            if t._rg:
                if t._data.size != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if t.dtype.category < 2:
                    raise RuntimeError("grad can be implicitly created only for real scalar "
                                       "outputs but got " + str(t.dtype))
                g = ones_like(t)
            out.append(g)
            continue
        if not isinstance(g, Tensor):
            from .._creation import tensor
            g = tensor(g, dtype=t.dtype)
        if g._data.shape != t._data.shape and not is_grads_batched:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {t.shape}.")
        out.append(g)
    return out


def _root_edge(t, i):
    if t.grad_fn is not None:
        return (t.grad_fn, t._out_nr)
    if t._rg:
        return (t._accumulator(), 0)
    raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                       "grad_fn")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """torch.autograd.backward: accumulate d(tensors)/d(leaf) into every reachable leaf's .grad."""
    Tensor = _opmod.Tensor
    if tensors.__class__ is Tensor and grad_tensors is None and grad_variables is None and \
            not create_graph and inputs is None:
        # loss.backward(): the root gradient is an array of ones, made here directly
        fn = tensors.grad_fn
        x = tensors._data
        if fn is not None and x.__class__ is ndarray and x.size == 1 and x.dtype in _REAL_FLOAT:
            _run((((fn, tensors._out_nr), np.ones(x.shape, x.dtype)),), retain_graph, False,
                 None, True)
            return
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    tensors = tuple(tensors)
    if grad_tensors is None:
        grad_tensors = grad_variables
    if isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,)
    if grad_tensors is not None:
        grad_tensors = tuple(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        if isinstance(inputs, Tensor):
            inputs = (inputs,)
        inputs = tuple(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    grads = _make_grads(tensors, grad_tensors)
    roots = [(_root_edge(t, i), g) for i, (t, g) in enumerate(zip(tensors, grads))]
    if create_graph and not _WARNED_CREATE_GRAPH[0]:
        _WARNED_CREATE_GRAPH[0] = True   # torch warns once per process
        warnings.warn(_CREATE_GRAPH_MSG, UserWarning, stacklevel=3)
    if inputs is None:
        _run(roots, retain_graph, create_graph, None, True)
        return
    edges = [_input_edge(t) for t in inputs]
    captured = _run(roots, retain_graph, create_graph, edges, True)
    for t, g in zip(inputs, captured):
        if g is not None and t.grad_fn is not None:
            # a non-leaf input gets its gradient accumulated like a leaf would
            _accumulate_into(t, g, create_graph)


_WARNED_CREATE_GRAPH = [False]
_CREATE_GRAPH_MSG = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter"
    " and its gradient which can cause a memory leak. We recommend using autograd.grad when "
    "creating the graph to avoid this. If you have to use this function, make sure to reset the"
    " .grad fields of your parameters to None after use to break the cycle and avoid the leak.")


def _input_edge(t):
    if t.grad_fn is not None:
        return (t.grad_fn, t._out_nr)
    if not t._rg:
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    return (t._accumulator(), 0)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """torch.autograd.grad: d(outputs)/d(inputs), returned instead of accumulated."""
    Tensor = _tensor()
    if is_grads_batched:
        raise NotImplementedError("ember's autograd.grad has no is_grads_batched (vmap) mode")
    if isinstance(outputs, Tensor):
        outputs = (outputs,)
    outputs = tuple(outputs)
    single_input = isinstance(inputs, Tensor)
    inputs = (inputs,) if single_input else tuple(inputs)
    if isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    if grad_outputs is not None:
        grad_outputs = tuple(grad_outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads"
                         "=True, but got: allow_unused=False.")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(outputs, grad_outputs)
    roots = []
    for i, (t, g) in enumerate(zip(outputs, grads)):
        roots.append((_root_edge(t, i), g))
    edges = [_input_edge(t) for t in inputs]
    captured = _run(roots, retain_graph, create_graph, edges, False)
    result = []
    for i, (t, g) in enumerate(zip(inputs, captured)):
        if g is None:
            if materialize_grads:
                from .._creation import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is "
                                   "the desired behavior.")
        result.append(g)
    return tuple(result)


class PostAccumulateGradHook:
    """A Tensor.register_post_accumulate_grad_hook hook, kept among the leaf's tensor hooks
    (so the engine takes the hooked accumulation path) but run after .grad is updated."""
    __slots__ = ("fn",)
    __torch_unserializable__ = True   # torch does not warn about these when pickling

    def __init__(self, fn):
        self.fn = fn


def _accumulate_into(var, g, create_graph):
    """AccumulateGrad's work: hooks, then .grad = g (a copy) or .grad += g, then post hooks."""
    hooks = getattr(var, "_hooks", None)
    post = False
    if hooks:
        for h in list(hooks.values()):
            if h.__class__ is PostAccumulateGradHook:
                post = True
                continue
            r = h(g)
            if r is not None:
                g = r
    _accumulate_grad(var, g, create_graph)
    if post:
        for h in list(hooks.values()):
            if h.__class__ is PostAccumulateGradHook:
                h.fn(var)


def _accumulate_grad(var, g, create_graph):
    old = getattr(var, "_grad", None)
    if old is None:
        if create_graph:
            var._grad = g
        else:
            t = g.detach()
            t._data = t._data.copy()
            if not var._data.flags.c_contiguous:
                from .._memory_format import grad_layout
                t._data = grad_layout(t._data, var._data)
            t._ver = None
            t._base = None
            var._grad = t
    elif create_graph or GRAD[0] and old._rg:
        var._grad = old + g
    else:
        od = old._data
        gd = g._data
        if od.shape == gd.shape and od.flags.writeable:
            od += gd
            old._bump()
        else:
            var._grad = old + g.detach()


def _toposort(roots):
    """Dependency counts: how many edges lead into each node from the graph above it."""
    deps = {}
    stack = []
    for (node, _), _g in roots:
        if node not in deps:
            deps[node] = 0
            stack.append(node)
    while stack:
        node = stack.pop()
        while True:
            nf = node.next_functions
            if len(nf) == 1:
                # a chain of one-input nodes is followed without the stack
                nxt = nf[0][0]
                if nxt is None:
                    break
                c = deps.get(nxt)
                if c is None:
                    deps[nxt] = 1
                    node = nxt
                    continue
                deps[nxt] = c + 1
                break
            for nxt, _ in nf:
                if nxt is not None:
                    c = deps.get(nxt)
                    if c is None:
                        deps[nxt] = 1
                        stack.append(nxt)
                    else:
                        deps[nxt] = c + 1
            break
    return deps


def _needed(roots, deps, targets):
    """Nodes from which some target node can be reached (only they need to run)."""
    order = []
    d = dict(deps)
    ready = [n for n, c in d.items() if c == 0]
    while ready:
        n = ready.pop()
        order.append(n)
        for nxt, _ in n.next_functions:
            if nxt is not None:
                d[nxt] -= 1
                if d[nxt] == 0:
                    ready.append(nxt)
    need = {}
    for n in reversed(order):
        need[n] = n in targets or any(nxt is not None and need.get(nxt, False)
                                      for nxt, _ in n.next_functions)
    return need


def _run(roots, retain_graph, create_graph, capture, accumulate):
    """Run the graph above `roots` ((edge, grad) pairs) backwards. Grads for the `capture`
    edges are returned (grad()); with `accumulate`, leaves get .grad (backward()).

    In the common case (no graph of the backward pass, no profiler, no anomaly mode) gradients
    travel between nodes as bare arrays and a plain node's array `vjp` runs inline: that loop
    body is paid per node, so it is kept lean. Everything else a node may need (hooks, capture,
    Tensor-level backward, several outputs) is `_run_node`'s work."""
    anomaly = ANOMALY[0]
    prof = PROFILER[0]
    fast = not create_graph and prof is None and not anomaly
    deps = _toposort(roots)
    need = cap_at = captured = None
    if capture is not None:
        captured = [None] * len(capture)
        cap_at = {}
        for i, (node, nr) in enumerate(capture):
            cap_at.setdefault(node, []).append((nr, i))
        need = _needed(roots, deps, cap_at)
    inline = fast and cap_at is None
    # grads waiting at each node: the grad itself for single-output nodes (_out_meta None),
    # {output nr: grad} for multi-output ones
    buffers = {}
    for (node, nr), g in roots:
        if g.__class__ is not ndarray:
            if fast and g.grad_fn is None:
                g = g._data
        elif not fast:
            g = _T(g)
        _add_grad(buffers, node, nr, g)
    heap = []
    tick = 0
    for node in buffers:
        if deps[node] == 0 and (need is None or need[node]):
            heappush(heap, (-node._seq, tick, node))
            tick += 1
    prev_mode = GRAD[0]
    # everything below (backward formulas, hooks, accumulation) runs in create_graph's mode
    GRAD[0] = create_graph
    node = heappop(heap)[2] if heap else None
    buf = buffers.pop(node, None)
    try:
        while node is not None:
            if node.__class__ is AccumulateGrad:
                if buf is not None:
                    if inline:
                        _accumulate_leaf(node.variable, buf)
                    else:
                        _run_leaf(node, buf, accumulate, create_graph, prof, cap_at, captured)
                if heap:
                    node = heappop(heap)[2]
                    buf = buffers.pop(node, None)
                else:
                    node = None
                continue
            if buf is None:
                res = ()
            elif inline and buf.__class__ is ndarray and not node._hk:
                res = node.vjp(buf)
                if not retain_graph:
                    node._saved = node._saved_out = None
                    node._released = True   # grad_fn._saved_* now report the freed error
                nf = node.next_functions
                if res.__class__ is ndarray and (len(nf) == 1 or len(nf) == 2 and
                                                  nf[1][0] is None):
                    # one array grad for the only input with an edge (a unary op, or a binary
                    # one with a constant operand): the commonest step, done inline
                    nxt, nr = nf[0]
                    dts = node._in_dt
                    if dts is not None:
                        dt = dts[0]
                        if dt is not None and res.dtype is not dt and res.dtype != dt:
                            res = _cast_grad(res, dt)
                    if nxt is not None:
                        c = deps[nxt] - 1
                        deps[nxt] = c
                        if nxt._out_meta is None:
                            if c == 0 and not heap:
                                b = buffers.pop(nxt, None)
                                node = nxt
                                buf = res if b is None else _sum(b, res)
                                continue
                            b = buffers.get(nxt)
                            buffers[nxt] = res if b is None else _sum(b, res)
                        else:
                            _add_grad(buffers, nxt, nr, res)
                        if c == 0:
                            heappush(heap, (-nxt._seq, tick, nxt))
                            tick += 1
                    if heap:
                        node = heappop(heap)[2]
                        buf = buffers.pop(node, None)
                    else:
                        node = None
                    continue
                if res.__class__ is not tuple:
                    res = (res,)
            else:
                res = _run_node(node, buf, retain_graph, fast, prof, anomaly, cap_at, captured,
                                need)
            # send the grads along the edges. A node whose last consumer this was is ready;
            # the first such one is run next directly (its grad carried along, not buffered)
            # unless others wait in the heap, which orders them by creation, newest first
            nf = node.next_functions
            if len(res) < len(nf):
                res = res + (None,) * (len(nf) - len(res))
            dts = node._in_dt
            ready = rbuf = None
            for (nxt, nr), g, dt in zip(nf, res, _NO_DTS if dts is None else dts):
                if nxt is None:
                    continue
                if g is not None:
                    if g.__class__ is not ndarray:
                        g = _as_array_grad(g) if fast else _as_tensor_grad(g, dt)
                    if dt is not None and g.__class__ is ndarray and g.dtype is not dt and \
                            g.dtype != dt:
                        g = _cast_grad(g, dt)
                c = deps[nxt] - 1
                deps[nxt] = c
                if need is not None and not need[nxt]:
                    continue
                if nxt._out_meta is None:
                    if c == 0 and ready is None:
                        b = buffers.pop(nxt, None)
                        rbuf = g if b is None else b if g is None else _sum(b, g)
                        ready = nxt
                        continue
                    if g is not None:
                        b = buffers.get(nxt)
                        buffers[nxt] = g if b is None else _sum(b, g)
                elif g is not None:
                    _add_grad(buffers, nxt, nr, g)
                if c == 0:
                    heappush(heap, (-nxt._seq, tick, nxt))
                    tick += 1
            if ready is not None:
                if heap:
                    if rbuf is not None:
                        buffers[ready] = rbuf
                    heappush(heap, (-ready._seq, tick, ready))
                    tick += 1
                    node = heappop(heap)[2]
                    buf = buffers.pop(node, None)
                else:
                    node = ready
                    buf = rbuf
            elif heap:
                node = heappop(heap)[2]
                buf = buffers.pop(node, None)
            else:
                node = None
    finally:
        GRAD[0] = prev_mode
    return captured


def _cast_grad(g, dt):
    """A grad array in its input's dtype; a real input takes the real part of a complex grad
    (as torch does, without NumPy's discarded-imaginary-part warning)."""
    if g.dtype.kind == "c" and dt.kind != "c":
        g = g.real
    return g.astype(dt)


_NO_DTS = repeat(None)   # the dtypes of a node that needs no casts (see Op._in_dt)


def _as_array_grad(g):
    """A gradient returned by a node as an array (a NumPy scalar or a Tensor's array: no
    graph of the backward pass is being made here)."""
    if isinstance(g, np.generic):
        return np.asarray(g)
    return g._data


def _as_tensor_grad(g, dt):
    """A gradient returned by a node as a Tensor of the input's dtype (create_graph, profiler
    or anomaly mode: grads stay Tensors so the backward pass can be recorded and timed)."""
    if isinstance(g, np.generic):
        return np.asarray(g)
    if dt is not None:
        gdt = g._data.dtype
        if gdt is not dt and gdt != dt:
            g = (g.real if g.is_complex() and dt.kind != "c" else g).to(_FROM_NP[dt])
    return g


def _run_node(node, buf, retain_graph, fast, prof, anomaly, cap_at, captured, need):
    """One node's backward the general way: tensor hooks, capture for grad(), pre-hooks, the
    array `vjp` (no graph wanted) or the Tensor-level backward, anomaly checks, post-hooks.
    Returns the grads for the inputs as a tuple."""
    meta = node._out_meta
    grads = [buf] if meta is None else _gather(node, buf, meta)
    grads = [_T(g) for g in grads]
    th = node._tensor_hooks
    if th:
        _run_tensor_hooks(th, grads)
    if cap_at and node in cap_at:
        for nr, i in cap_at[node]:
            captured[i] = grads[nr]
    if need is not None and not _any_needed_below(node, need):
        return ()
    pre = node._pre_hooks
    if pre:
        for h in list(pre.values()):
            r = h(tuple(grads))
            if r is not None:
                grads = list(r)
    vjp = node.vjp if fast else None
    try:
        if vjp is not None:
            res = vjp(*[g if g is None else g._data for g in grads])
        elif prof is None:
            res = node.backward(*grads)
        else:
            res = prof.run_node(node, grads)
        if res.__class__ is not tuple:
            res = (res,)
        if anomaly and ANOMALY[1]:
            anomaly_mode.check_nan(node, tuple(_T(r) for r in res))
    except Exception:
        if anomaly:
            anomaly_mode.warn_error(node)
        raise
    post = node._hooks
    if post:
        # grad_inputs: one per edge (an Op with edge_inputs returns grads for more inputs)
        res = tuple(_T(r) for r in res[:len(node.next_functions)])
        for h in list(post.values()):
            r = h(res, tuple(grads))
            if r is not None:
                res = tuple(r)
    if not retain_graph:
        node._release()
    return res


def _run_leaf(node, buf, accumulate, create_graph, prof, cap_at, captured):
    """AccumulateGrad the general way: grad() captures (after the leaf's tensor hooks), and
    backward() accumulates (only into `inputs` when those are given)."""
    buf = _T(buf)
    var = node.variable
    if cap_at is not None and node in cap_at:
        if not accumulate:
            for h in list((getattr(var, "_hooks", None) or {}).values()):
                if h.__class__ is PostAccumulateGradHook:
                    continue   # nothing is accumulated: post-accumulate hooks do not run
                r = h(buf)
                if r is not None:
                    buf = r
        for _, i in cap_at[node]:
            captured[i] = buf
    if accumulate and (cap_at is None or node in cap_at):
        if prof is None:
            _accumulate_into(var, buf, create_graph)
        else:
            prof.run_accumulate(_accumulate_into, var, buf, create_graph)


def _accumulate_leaf(var, g):
    """AccumulateGrad on an array gradient (backward() without create_graph)."""
    own = g.__class__ is ndarray   # a Tensor's array is never taken over as .grad
    if not own:
        if g.grad_fn is not None or getattr(var, "_hooks", None):
            _accumulate_into(var, g, False)
            return
        g = g._data
    if getattr(var, "_hooks", None):
        _accumulate_into(var, _opmod._wrap(g), False)
        return
    old = getattr(var, "_grad", None)
    if old is None:
        # a fresh array nobody else holds becomes .grad as it is (torch steals it too);
        # anything else (a view, a broadcast, an array also sent elsewhere) is copied
        if not (own and g.base is None and g.flags.c_contiguous and g.flags.writeable and
                getrefcount(g) <= 3):
            g = g.copy()
        if not var._data.flags.c_contiguous:   # a channels_last/permuted leaf: its strides
            from .._memory_format import grad_layout
            g = grad_layout(g, var._data)
        t = _opmod._wrap(g)
        var._grad = t
    elif GRAD[0] and old._rg:
        var._grad = old + _opmod._wrap(g)
    else:
        od = old._data
        if od.shape == g.shape and od.flags.writeable:
            od += g
            old._bump()
        else:
            var._grad = old + _opmod._wrap(g)


def _T(g):
    """A gradient as a Tensor (arrays travel bare between array-vjp nodes)."""
    if g is None or g.__class__ is not ndarray:
        return g
    return _opmod._wrap(g)


def _sum(b, g):
    """b + g for gradients that are arrays or Tensors (arrays only without create_graph)."""
    if b.__class__ is ndarray:
        r = b + (g if g.__class__ is ndarray else g._data)
    elif g.__class__ is ndarray:
        r = b._data + g
    else:
        return b + g
    return r if r.__class__ is ndarray else np.asarray(r)  # 0-dim sums come back as scalars


def _add_grad(buffers, node, nr, g):
    """Add grad g for output nr of node into the buffers (summing with what is there)."""
    if node._out_meta is None:
        b = buffers.get(node)
        buffers[node] = g if b is None else _sum(b, g)
        return
    b = buffers.get(node)
    if b is None:
        buffers[node] = {nr: g}
    elif nr in b:
        b[nr] = _sum(b[nr], g)
    else:
        b[nr] = g


def _run_tensor_hooks(th, grads):
    """Tensor.register_hook hooks of a node's outputs: each may replace its gradient."""
    for nr, hooks in th.items():
        if grads[nr] is not None:
            for h in list(hooks.values()):
                r = h(grads[nr])
                if r is not None:
                    grads[nr] = r


def _any_needed_below(node, need):
    return any(n is not None and need.get(n, False) for n, _ in node.next_functions)


def _gather(node, buf, meta):
    """A multi-output node's gradients in order; a missing one becomes zeros (or None if
    nondiff)."""
    from .._tensor import _wrap
    nd = node.nondiff_outputs
    if nd is None:  # a custom Function's node: zeros for every tensor output, or None
        return node._materialize(buf)
    grads = []
    for i, (shape, dt) in enumerate(meta):
        g = buf.get(i)
        if g is None and i not in nd and dt.kind in "fcV":
            g = _wrap(np.zeros(shape, dt))
        grads.append(g)
    return grads
