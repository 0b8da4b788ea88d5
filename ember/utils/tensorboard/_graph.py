"""add_graph: trace one forward pass of a Module into a TensorBoard GraphDef.

Every op goes through Op.apply, so the tracer installs an apply layer (autograd/op.py's
set_apply_layer) that records each call - op class, tensor inputs, outputs - while forward
hooks on the model's modules keep a scope stack. Nodes are named with torch's scoping
convention (`Net/Conv2d[conv1]/convolution.1`, parameters `Net/Linear[fc1]/weight`, IO nodes
`input/x` and `output/output.1`), op kinds are aten names, and `_output_shapes` carry shapes.
"""
from __future__ import annotations

import contextlib
import inspect
import re
import threading
import warnings

from . import _proto as P

_LAYER = "tensorboard_graph"

# torch's op names where the grad_fn name does not give them (ExpBackward0 -> aten::exp)
_ATEN = {"ToCopy": "aten::_to_copy", "CopySlices": "aten::copy_", "Copy": "aten::copy_",
         "LogSoftmax": "aten::_log_softmax", "Softmax": "aten::_softmax",
         "MaxPool2DWithIndices": "aten::max_pool2d_with_indices",
         "MaxPool3DWithIndices": "aten::max_pool3d_with_indices",
         "NativeLayerNorm": "aten::native_layer_norm",
         "NativeBatchNorm": "aten::native_batch_norm", "UnsafeView": "aten::_unsafe_view",
         "NllLoss": "aten::nll_loss"}
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_KIND_CACHE: dict = {}


def _kind(cls):
    """aten name of an Op class: AddmmBackward0 -> aten::addmm (or the class's aten_name)."""
    k = _KIND_CACHE.get(cls)
    if k is None:
        k = cls.__dict__.get("aten_name")
        if k is None:
            base = re.sub(r"Backward\d*$", "", cls.__name__)
            k = _ATEN.get(base) or "aten::" + _CAMEL.sub(r"_\1", base).lower()
        _KIND_CACHE[cls] = k
    return k


class TracerWarning(Warning):
    """torch.jit.TracerWarning: the trace may not generalise (e.g. a list output)."""


_CONTAINER_MSG = ("Encountering a {} at the output of the tracer might cause the trace to be "
                  "incorrect, this is only valid if the container structure does not change "
                  "based on the module's inputs. Consider using a constant container instead "
                  "(e.g. for `list`, use a `tuple` instead. for `dict`, use a `NamedTuple` "
                  "instead). If you absolutely need this and know the side effects, pass "
                  "strict=False to trace() to allow this behavior.")


def _simple(v):
    if isinstance(v, (bool, int, float, str)) or v is None:
        return True
    return isinstance(v, (tuple, list)) and len(v) <= 8 and all(
        isinstance(x, (bool, int, float)) for x in v)


def _attr_string(params):
    # torch writes a node's attributes as str(dict) with quotes blanked out
    return str({k: v for k, v in params.items() if _simple(v)}).replace("'", " ")


class _Node:
    __slots__ = ("name", "op", "inputs", "shapes", "attr")

    def __init__(self, name, op, inputs=(), shapes=None, attr=""):
        self.name = name
        self.op = op
        self.inputs = list(inputs)
        self.shapes = shapes      # one shape per output, or None
        self.attr = attr

    def encode(self):
        attrs = [("attr", P.attr_value_s(self.attr.encode("utf-8")))]
        if self.shapes is not None:
            attrs.append(("_output_shapes", P.attr_value_shapes(self.shapes)))
        return P.node_def(self.name, self.op, self.inputs, attrs)


class _Tracer:
    """Records the ops of one forward pass and names them by module scope."""

    def __init__(self, model):
        from ..._tensor import Tensor
        self.Tensor = Tensor
        self.model = model
        self.root = type(model).__name__
        self.scopes = {}                    # id(module) -> scope name
        self.owner = {}                     # id(param or buffer) -> (scope, attr name)
        named = dict(model.named_modules())
        for qual, mod in named.items():
            if qual == "":
                scope = self.root
            else:
                parent, _, last = qual.rpartition(".")
                scope = f"{self.scopes[id(named[parent])]}/{type(mod).__name__}[{last}]"
            self.scopes.setdefault(id(mod), scope)
        for qual, mod in named.items():
            for pname, p in list(mod.named_parameters(recurse=False)) + list(
                    mod.named_buffers(recurse=False)):
                if p is not None:
                    self.owner.setdefault(id(p), (self.scopes[id(mod)], pname))
        self.stack = [self.root]
        self.nodes = []
        self.by_fn = {}       # (id(grad_fn), output nr) -> node name
        self.by_id = {}       # id(tensor) -> node name (leaves, non-differentiable outputs)
        self.keep = []        # everything whose id is a key above stays alive while tracing
        self.counts = {}
        self.thread = threading.get_ident()

    # ---- naming ----
    def _unique(self, base):
        n = self.counts.get(base, 0) + 1
        self.counts[base] = n
        return f"{base}.{n}"

    def _name_of(self, t):
        """The node that produced tensor t (creating parameter/constant nodes on first use)."""
        fn = t.grad_fn
        if fn is not None:
            name = self.by_fn.get((id(fn), t._out_nr))
            if name is not None:
                return name
        name = self.by_id.get(id(t))
        if name is not None:
            return name
        owner = self.owner.get(id(t))
        if owner is not None:
            scope, attr = owner
            name = f"{scope}/{attr}"
            self.nodes.append(_Node(name, "prim::GetAttr", (), [list(t.shape)],
                                    f"{{ name :  {attr} }}"))
        else:
            base = getattr(t, "_base", None)
            if base is not None and base is not t:   # a view made off the op path
                return self._name_of(base)
            name = self._unique(f"{self.stack[-1]}/constant")
            self.nodes.append(_Node(name, "prim::Constant", (), [list(t.shape)]))
        self.by_id[id(t)] = name
        self.keep.append(t)
        return name

    def _register_output(self, t, name):
        fn = t.grad_fn
        if fn is not None:
            self.by_fn[(id(fn), t._out_nr)] = name
            self.keep.append(fn)
        else:
            self.by_id[id(t)] = name
        self.keep.append(t)

    # ---- recording ----
    def _tensors(self, args):
        for a in args:
            if isinstance(a, self.Tensor):
                yield a
            elif isinstance(a, (list, tuple)):
                yield from self._tensors(a)

    def record(self, cls, args, params, result):
        # tensors passed as keyword parameters (batch norm's running stats) are inputs too
        inputs = [self._name_of(t) for t in self._tensors(args)]
        if params:
            inputs += [self._name_of(t) for t in self._tensors(params.values())]
        outs = list(self._tensors(result if isinstance(result, (tuple, list)) else (result,)))
        kind = _kind(cls)
        name = self._unique(f"{self.stack[-1]}/{kind.split('::')[-1]}")
        self.nodes.append(_Node(name, kind, inputs, [list(o.shape) for o in outs],
                                _attr_string(params)))
        for i, o in enumerate(outs):
            self._register_output(o, name if i == 0 else f"{name}:{i}")

    def layer(self, inner):
        tracer = self

        def apply(cls, *args, **params):
            result = inner(cls, *args, **params)
            if threading.get_ident() == tracer.thread:
                tracer.record(cls, args, params, result)
            return result
        return apply

    # ---- the pass ----
    def run(self, args, strict):
        from ...autograd import op as _op
        from ...autograd.grad_mode import enable_grad
        names = _arg_names(self.model, len(args))
        traced_args = []
        with enable_grad():
            for a, nm in zip(args, names):
                if isinstance(a, self.Tensor):
                    if a.is_floating_point() or a.is_complex():
                        # a non-leaf that requires grad: every op on it takes the recorded path
                        # (no no-grad shortcut), and in-place ops on it stay legal
                        a = a.detach().requires_grad_(True).clone()
                    name = f"input/{nm}"
                    self.nodes.append(_Node(name, "IO Node", (), [list(a.shape)]))
                    self._register_output(a, name)
                traced_args.append(a)
            handles = []
            for mod in dict(self.model.named_modules()).values():
                handles.append(mod.register_forward_pre_hook(self._enter))
                handles.append(mod.register_forward_hook(self._leave, always_call=True))
            _op.set_apply_layer(_LAYER, self.layer)
            try:
                out = self.model(*traced_args)
            finally:
                _op.set_apply_layer(_LAYER, None)
                for h in handles:
                    h.remove()
        if isinstance(out, dict):
            if strict:
                raise RuntimeError(_CONTAINER_MSG.format("dict"))
            out = list(out.values())
        elif isinstance(out, list) and strict:
            warnings.warn(_CONTAINER_MSG.format("list"), TracerWarning, stacklevel=4)
        for i, t in enumerate(self._tensors(out if isinstance(out, (tuple, list)) else (out,))):
            self.nodes.append(_Node(f"output/output.{i + 1}", "IO Node", [self._name_of(t)],
                                    [list(t.shape)]))
        return self.nodes

    def _enter(self, module, args):
        self.stack.append(self.scopes.get(id(module), self.stack[-1]))

    def _leave(self, module, args, output):
        if len(self.stack) > 1:
            self.stack.pop()


def _arg_names(model, n):
    try:
        params = [p for p in inspect.signature(model.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params[:n]]
    return names + [f"input.{i + 1}" for i in range(len(names), n)]


@contextlib.contextmanager
def _eval_mode(model):
    training = model.training
    model.train(False)
    try:
        yield
    finally:
        model.train(training)


def graph(model, args, verbose=False, use_strict_trace=True):
    """(GraphDef, RunMetadata) for `model` run on `args` (a tensor or a tuple of them)."""
    from ..._tensor import Tensor
    try:
        if args is None:
            raise RuntimeError("example_kwarg_inputs should be a dict")
        if isinstance(args, (Tensor, dict)):
            args = (args,)
        elif not isinstance(args, tuple):
            args = tuple(args)
        with _eval_mode(model):
            nodes = _Tracer(model).run(args, use_strict_trace)
    except RuntimeError as e:
        print(e)
        print("Error occurs, No graph saved")
        raise
    if verbose:
        for n in nodes:
            shapes = "" if n.shapes is None else " " + " ".join(str(s) for s in n.shapes)
            print(f"{n.name} = {n.op}({', '.join(n.inputs)}){shapes}")
    # NOTE: the device is always reported as CPU (torch does the same)
    return P.graph_def([n.encode() for n in nodes]), P.run_metadata("/device:CPU:0")
