"""The pytrees torch.func transforms flatten: tensors (any non-container is a leaf) inside
tuples, lists, dicts, OrderedDicts, defaultdicts, deques and namedtuples, as
torch.utils._pytree sees them. TreeSpec's repr and treespec_pprint are torch's, since they
appear in torch.func's error messages; `broadcast_to_and_flatten` is vmap's in_dims rule.
"""
from __future__ import annotations

from collections import OrderedDict, defaultdict, deque

__all__ = ["TreeSpec", "LeafSpec", "tree_flatten", "tree_unflatten", "tree_map",
           "tree_leaves", "broadcast_to_and_flatten", "treespec_pprint"]


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _node_kind(x):
    """The container kind of x (its type, or "namedtuple"), or None for a leaf."""
    t = type(x)
    if t in _FLATTEN:
        return t
    if _is_namedtuple(x):
        return "namedtuple"
    return None


_FLATTEN = {
    tuple: lambda x: (list(x), None),
    list: lambda x: (list(x), None),
    dict: lambda x: (list(x.values()), list(x.keys())),
    OrderedDict: lambda x: (list(x.values()), list(x.keys())),
    defaultdict: lambda x: (list(x.values()), [x.default_factory, list(x.keys())]),
    deque: lambda x: (list(x), x.maxlen),
}


def _unflatten_node(kind, context, children):
    if kind is tuple:
        return tuple(children)
    if kind is list:
        return list(children)
    if kind is dict:
        return dict(zip(context, children))
    if kind is OrderedDict:
        return OrderedDict(zip(context, children))
    if kind is defaultdict:
        return defaultdict(context[0], zip(context[1], children))
    if kind is deque:
        return deque(children, maxlen=context)
    return context(*children)  # namedtuple: the context is its class


class TreeSpec:
    """The structure of a pytree: a container kind, its context (dict keys, namedtuple class)
    and one spec per child."""
    __slots__ = ("kind", "context", "children", "num_leaves")

    def __init__(self, kind, context, children):
        self.kind = kind
        self.context = context
        self.children = children
        self.num_leaves = sum(c.num_leaves for c in children)

    def is_leaf(self):
        return False

    @property
    def type(self):
        return self.kind

    def _type_name(self):
        return "namedtuple" if self.kind == "namedtuple" else self.kind.__name__

    def __repr__(self, indent=0):
        # torch's layout: the first child on the same line, each other one on its own line
        s = f"TreeSpec({self._type_name()}, {self.context}, ["
        if self.children:
            indent += 2
            s += self.children[0].__repr__(indent)
            if len(self.children) > 1:
                s += ","
            s += ",".join("\n" + " " * indent + c.__repr__(indent) for c in self.children[1:])
        return s + "])"

    def __eq__(self, other):
        if self is other:
            return True
        if not isinstance(other, TreeSpec) or isinstance(other, LeafSpec):
            return False
        return (self._type_name() == other._type_name() and self.context == other.context
                and self.children == other.children)

    def __hash__(self):
        return id(self)


class LeafSpec(TreeSpec):
    """The spec of one leaf (printed `*`)."""
    __slots__ = ()

    def __init__(self):
        self.kind = None
        self.context = None
        self.children = []
        self.num_leaves = 1

    def is_leaf(self):
        return True

    def __repr__(self, indent=0):
        return "*"

    def __eq__(self, other):
        return isinstance(other, LeafSpec)

    def __hash__(self):
        return 0


_LEAF = LeafSpec()


def tree_flatten(tree):
    """(leaves in order, TreeSpec); see torch.utils._pytree.tree_flatten."""
    leaves = []
    return leaves, _flatten_into(tree, leaves)


def _flatten_into(tree, leaves):
    kind = _node_kind(tree)
    if kind is None:
        leaves.append(tree)
        return _LEAF
    if kind == "namedtuple":
        children, context = list(tree), type(tree)
    else:
        children, context = _FLATTEN[kind](tree)
    return TreeSpec(kind, context, [_flatten_into(c, leaves) for c in children])


def tree_unflatten(leaves, spec):
    """The pytree of `spec`'s structure holding `leaves`."""
    it = iter(leaves)
    out = _build(spec, it)
    return out


def _build(spec, it):
    if spec.is_leaf():
        return next(it)
    return _unflatten_node(spec.kind, spec.context, [_build(c, it) for c in spec.children])


def tree_leaves(tree):
    return tree_flatten(tree)[0]


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_to_and_flatten(prefix, spec):
    """Expand `prefix` (a pytree whose leaves stand for whole subtrees of `spec`) to one value
    per leaf of `spec`; None where prefix does not fit spec's structure (vmap's in_dims)."""
    out = []
    return out if _broadcast(prefix, spec, out) else None


def _broadcast(prefix, spec, out):
    if spec.is_leaf():
        if _node_kind(prefix) is not None:
            return False
        out.append(prefix)
        return True
    kind = _node_kind(prefix)
    if kind is None:
        out.extend([prefix] * spec.num_leaves)
        return True
    pspec_kind = "namedtuple" if kind == "namedtuple" else kind
    if pspec_kind != spec.kind:
        return False
    if kind == "namedtuple":
        children, context = list(prefix), type(prefix)
    else:
        children, context = _FLATTEN[kind](prefix)
    if len(children) != len(spec.children) or context != spec.context:
        return False
    return all(_broadcast(p, s, out) for p, s in zip(children, spec.children))


class _Asterisk:
    def __repr__(self):
        return "*"


def treespec_pprint(spec):
    """The structure drawn with `*` for each leaf, as torch prints it in error messages."""
    return repr(tree_unflatten([_Asterisk()] * spec.num_leaves, spec))
