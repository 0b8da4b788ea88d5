"""The backward engine: torch.autograd.backward and torch.autograd.grad.

micrograd's shape — find the graph, then walk it backwards calling each node's backward — with
torch's extras as named steps: dependency counts (a node runs once all its consumers have
sent their gradient), a priority queue on creation order (torch's execution order, so sums of
several gradients round the same way), hooks, retain_graph (free saved tensors as we go unless
asked not to), create_graph (backward formulas are ember ops, so running them with grad mode
on records a graph of the backward pass), and capture of the `inputs` for `grad()`.
"""
from __future__ import annotations

import heapq

import numpy as np

from .grad_mode import GRAD
from .op import AccumulateGrad, Op

__all__ = ["backward", "grad"]


def _tensor():
    from .._tensor import Tensor
    return Tensor


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
    Tensor = _tensor()
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
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    grads = _make_grads(tensors, grad_tensors)
    roots = [(_root_edge(t, i), g) for i, (t, g) in enumerate(zip(tensors, grads))]
    if inputs is None:
        _run(roots, retain_graph, create_graph, None, True)
        return
    edges = [_input_edge(t) for t in inputs]
    captured = _run(roots, retain_graph, create_graph, edges, True)
    for t, g in zip(inputs, captured):
        if g is not None and t.grad_fn is not None:
            # a non-leaf input gets its gradient accumulated like a leaf would
            _accumulate_into(t, g, create_graph)


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
    for t, g in zip(inputs, captured):
        if g is None:
            if materialize_grads:
                from .._creation import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        result.append(g)
    return tuple(result)


def _accumulate_into(var, g, create_graph):
    """AccumulateGrad's work: hooks, then .grad = g (a copy) or .grad += g."""
    hooks = getattr(var, "_hooks", None)
    if hooks:
        for h in list(hooks.values()):
            r = h(g)
            if r is not None:
                g = r
    old = getattr(var, "_grad", None)
    if old is None:
        if create_graph:
            var._grad = g
        else:
            t = g.detach()
            t._data = t._data.copy()
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
        n = stack.pop()
        for nxt, _ in n.next_functions:
            if nxt is None:
                continue
            c = deps.get(nxt)
            if c is None:
                deps[nxt] = 1
                stack.append(nxt)
            else:
                deps[nxt] = c + 1
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
    deps = _toposort(roots)
    need = None
    cap_at = {}
    captured = None
    if capture is not None:
        captured = [None] * len(capture)
        for i, (node, nr) in enumerate(capture):
            cap_at.setdefault(node, []).append((nr, i))
        need = _needed(roots, deps, cap_at)
    buffers = {}
    for (node, nr), g in roots:
        buf = buffers.setdefault(node, {})
        buf[nr] = g if nr not in buf else buf[nr] + g
    heap = []
    tick = 0
    for node in buffers:
        if deps[node] == 0 and (need is None or need[node]):
            heapq.heappush(heap, (-node._seq, tick, node))
            tick += 1
    prev_mode = GRAD[0]
    try:
        while heap:
            node = heapq.heappop(heap)[2]
            buf = buffers.pop(node, None)
            if type(node) is AccumulateGrad:
                if buf is None:
                    continue
                g = buf[0]
                if node in cap_at:
                    for _, i in cap_at[node]:
                        captured[i] = g
                if accumulate and (capture is None or node in cap_at):
                    GRAD[0] = create_graph
                    _accumulate_into(node.variable, g, create_graph)
                    GRAD[0] = prev_mode
                continue
            if buf is not None:
                grads = _gather(node, buf)
                th = getattr(node, "_tensor_hooks", None)
                if th:
                    GRAD[0] = create_graph
                    for nr, hooks in th.items():
                        if grads[nr] is not None:
                            for h in list(hooks.values()):
                                r = h(grads[nr])
                                if r is not None:
                                    grads[nr] = r
                    GRAD[0] = prev_mode
                if node in cap_at:
                    for nr, i in cap_at[node]:
                        captured[i] = grads[nr]
                if need is not None and not _any_needed_below(node, need):
                    res = None
                else:
                    pre = getattr(node, "_pre_hooks", None)
                    if pre:
                        for h in list(pre.values()):
                            r = h(tuple(grads))
                            if r is not None:
                                grads = list(r)
                    GRAD[0] = create_graph
                    try:
                        res = node.backward(*grads)
                    finally:
                        GRAD[0] = prev_mode
                    if type(res) is not tuple:
                        res = (res,)
                    post = getattr(node, "_hooks", None)
                    if post:
                        for h in list(post.values()):
                            r = h(res, tuple(grads))
                            if r is not None:
                                res = tuple(r)
                    if not retain_graph:
                        node._release()
            else:
                res = None
            dts = getattr(node, "_in_dt", None)
            for k, (nxt, nr) in enumerate(node.next_functions):
                if nxt is None:
                    continue
                if res is not None:
                    g = res[k] if k < len(res) else None
                    if g is not None:
                        if dts is not None:
                            dt = dts[k]
                            if dt is not None and g._data.dtype != dt:
                                g = g.to(_dtype_of(dt))
                        b = buffers.get(nxt)
                        if b is None:
                            buffers[nxt] = {nr: g}
                        elif nr in b:
                            GRAD[0] = create_graph
                            b[nr] = b[nr] + g
                            GRAD[0] = prev_mode
                        else:
                            b[nr] = g
                c = deps[nxt] - 1
                deps[nxt] = c
                if c == 0 and (need is None or need[nxt]):
                    heapq.heappush(heap, (-nxt._seq, tick, nxt))
                    tick += 1
    finally:
        GRAD[0] = prev_mode
    return captured


def _any_needed_below(node, need):
    return any(n is not None and need.get(n, False) for n, _ in node.next_functions)


def _dtype_of(npdt):
    from .._dtype import _FROM_NP
    return _FROM_NP[npdt]


def _gather(node, buf):
    """The node's output gradients in order; a missing one becomes zeros (or None if nondiff)."""
    meta = node._out_meta if isinstance(node, Op) else None
    if meta is None:
        return [buf.get(0)]
    from .._tensor import _wrap
    grads = []
    nd = node.nondiff_outputs
    for i, (shape, dt) in enumerate(meta):
        g = buf.get(i)
        if g is None and i not in nd and dt.kind in "fcV":
            g = _wrap(np.zeros(shape, dt))
        grads.append(g)
    return grads
