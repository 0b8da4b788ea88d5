"""One row per op: how to call it, its input domain, dtypes, tolerance and gradient orders.

tests/ops/test_ops.py turns every row into differential tests against torch (values, dtype,
shape, first and second gradients, and the same for each dtype listed), JAX-style."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

FLOATS = ("float32", "float64")
ALL_FLOATS = ("float16", "bfloat16", "float32", "float64")
INTS = ("uint8", "int8", "int16", "int32", "int64")
NUMERIC = FLOATS + ("int32", "int64")


@dataclass
class OpInfo:
    name: str
    fn: Callable                    # fn(T, *inputs)
    arity: int = 1
    domain: tuple = (-2.0, 2.0)     # input range for floats
    positive: bool = False          # inputs strictly positive
    dtypes: tuple = FLOATS
    grad: bool = True
    gradgrad: bool = True
    rtol: float | None = None
    atol: float | None = None
    shapes: list = field(default_factory=lambda: [[(3, 4)], [()], [(2, 1, 4)]])


def _u(name, **kw):
    return OpInfo(name, lambda T, x, _n=name: getattr(T, _n)(x), **kw)


def _m(name, *args, **kw):
    """Tensor method call with fixed extra args."""
    extra = kw.pop("kwargs", {})
    return OpInfo(name + (str(args) if args else "") + (str(extra) if extra else ""),
                  lambda T, x, _n=name: getattr(x, _n)(*args, **extra), **kw)


BINARY_SHAPES = [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 4), (3, 1)], [(), (3,)], [(5,), ()]]

OPS = [
    # unary math
    _u("exp", dtypes=ALL_FLOATS + ("int64",)), _u("exp2"), _u("expm1"),
    _u("log", positive=True, dtypes=FLOATS + ("int64",)), _u("log2", positive=True),
    _u("log10", positive=True), _u("log1p", positive=True),
    _u("sqrt", positive=True, dtypes=ALL_FLOATS), _u("rsqrt", positive=True),
    _u("sin", dtypes=ALL_FLOATS + ("int32",)), _u("cos"), _u("tan", domain=(-1.2, 1.2)),
    _u("asin", domain=(-0.9, 0.9)), _u("acos", domain=(-0.9, 0.9)), _u("atan"),
    _u("sinh"), _u("cosh"), _u("tanh", dtypes=ALL_FLOATS), _u("asinh"),
    _u("acosh", domain=(1.2, 3.0)), _u("atanh", domain=(-0.9, 0.9)),
    _u("sigmoid", dtypes=ALL_FLOATS), _u("erf"), _u("erfc"), _u("erfinv", domain=(-0.9, 0.9)),
    _u("reciprocal", positive=True), _u("neg", dtypes=NUMERIC), _u("abs", dtypes=NUMERIC),
    _u("sign", dtypes=NUMERIC, gradgrad=False), _u("ceil", dtypes=NUMERIC),
    _u("floor", dtypes=NUMERIC), _u("round", dtypes=NUMERIC), _u("trunc", dtypes=NUMERIC),
    _u("frac"), _u("square", dtypes=NUMERIC), _u("lgamma", positive=True, gradgrad=False),
    _u("logit", domain=(0.1, 0.9)),
    OpInfo("clamp", lambda T, x: T.clamp(x, -0.5, 0.7)),
    OpInfo("clamp_min", lambda T, x: T.clamp(x, min=0.1)),
    OpInfo("clamp_max", lambda T, x: x.clamp(max=0.1)),
    OpInfo("pow2", lambda T, x: x ** 2, dtypes=NUMERIC),
    OpInfo("pow3", lambda T, x: x.pow(3)),
    OpInfo("pow_frac", lambda T, x: x ** 1.5, positive=True),
    OpInfo("pow_neg", lambda T, x: x ** -2, positive=True),
    OpInfo("rpow", lambda T, x: 2 ** x),
    OpInfo("scalar_mul", lambda T, x: x * 2.5, dtypes=NUMERIC),
    OpInfo("scalar_add", lambda T, x: 1 + x, dtypes=NUMERIC),
    OpInfo("scalar_rsub", lambda T, x: 1 - x, dtypes=NUMERIC),
    OpInfo("scalar_div", lambda T, x: x / 3, dtypes=NUMERIC),
    OpInfo("scalar_rdiv", lambda T, x: 3 / x, positive=True),
    OpInfo("int_by_float", lambda T, x: x * 1.5, dtypes=INTS + ("bool",), grad=False),
    OpInfo("nan_to_num", lambda T, x: T.nan_to_num(x / (x > 0))),
    # binary
    OpInfo("add", lambda T, a, b: a + b, 2, dtypes=ALL_FLOATS + INTS, shapes=BINARY_SHAPES),
    OpInfo("sub", lambda T, a, b: a - b, 2, dtypes=FLOATS + INTS, shapes=BINARY_SHAPES),
    OpInfo("mul", lambda T, a, b: a * b, 2, dtypes=ALL_FLOATS + INTS + ("bool",),
           shapes=BINARY_SHAPES),
    OpInfo("div", lambda T, a, b: a / b, 2, positive=True, dtypes=FLOATS + ("int64",),
           shapes=BINARY_SHAPES),
    OpInfo("add_alpha", lambda T, a, b: T.add(a, b, alpha=2), 2, shapes=BINARY_SHAPES),
    OpInfo("sub_alpha", lambda T, a, b: T.sub(a, b, alpha=0.5), 2, shapes=BINARY_SHAPES),
    OpInfo("pow_tt", lambda T, a, b: a ** b, 2, positive=True, shapes=BINARY_SHAPES),
    OpInfo("atan2", lambda T, a, b: T.atan2(a, b), 2, shapes=BINARY_SHAPES),
    OpInfo("maximum", lambda T, a, b: T.maximum(a, b), 2, shapes=BINARY_SHAPES,
           dtypes=NUMERIC),
    OpInfo("minimum", lambda T, a, b: T.minimum(a, b), 2, shapes=BINARY_SHAPES,
           dtypes=NUMERIC),
    OpInfo("remainder", lambda T, a, b: a % b, 2, positive=True, shapes=BINARY_SHAPES,
           dtypes=FLOATS),
    OpInfo("fmod", lambda T, a, b: T.fmod(a, b), 2, positive=True, shapes=BINARY_SHAPES),
    OpInfo("floor_divide", lambda T, a, b: a // b, 2, positive=True, shapes=BINARY_SHAPES,
           dtypes=FLOATS + ("int64",), grad=False),
    OpInfo("div_trunc", lambda T, a, b: T.div(a, b, rounding_mode="trunc"), 2,
           dtypes=("float32", "int64"), grad=False, shapes=[[(3, 4), (3, 4)]],
           positive=True),
    OpInfo("lerp", lambda T, a, b: T.lerp(a, b, 0.3), 2, shapes=BINARY_SHAPES),
    OpInfo("lerp_t", lambda T, a, b, w: T.lerp(a, b, w), 3,
           shapes=[[(3, 4), (3, 4), (3, 4)], [(3, 4), (4,), (3, 1)]]),
    OpInfo("where", lambda T, a, b: T.where(a > 0, a, b), 2, shapes=BINARY_SHAPES,
           dtypes=NUMERIC),
    OpInfo("clamp_t", lambda T, a, lo, hi: T.clamp(a, lo, hi), 3,
           shapes=[[(3, 4), (3, 4), (4,)]]),
    # comparisons and predicates (no grad)
    OpInfo("eq", lambda T, a, b: a == b, 2, dtypes=NUMERIC, grad=False, shapes=BINARY_SHAPES),
    OpInfo("lt", lambda T, a, b: a < b, 2, dtypes=NUMERIC, grad=False, shapes=BINARY_SHAPES),
    OpInfo("ge", lambda T, a, b: T.ge(a, b), 2, dtypes=NUMERIC, grad=False,
           shapes=BINARY_SHAPES),
    OpInfo("gt_scalar", lambda T, a: a > 0.5, dtypes=NUMERIC, grad=False),
    OpInfo("isnan", lambda T, a: T.isnan(a / a), grad=False, dtypes=NUMERIC),
    OpInfo("isfinite", lambda T, a: T.isfinite(1 / a), grad=False),
    OpInfo("bitwise_xor", lambda T, a, b: T.bitwise_xor(a, b), 2, dtypes=INTS + ("bool",),
           grad=False, shapes=BINARY_SHAPES),
    OpInfo("and", lambda T, a, b: a & b, 2, dtypes=INTS + ("bool",), grad=False,
           shapes=BINARY_SHAPES),
    OpInfo("invert", lambda T, a: ~a, dtypes=INTS + ("bool",), grad=False),
    OpInfo("logical_and", lambda T, a, b: T.logical_and(a, b), 2, dtypes=NUMERIC + ("bool",),
           grad=False, shapes=BINARY_SHAPES),
    # reductions
    _m("sum", dtypes=ALL_FLOATS + INTS + ("bool",)), _m("sum", 0), _m("sum", (0, -1), True),
    _m("mean", dtypes=ALL_FLOATS), _m("mean", 1, True), _m("mean", (0, 1)),
    _m("prod"), _m("prod", 0), _m("std"), _m("std", 0), _m("var", 1, kwargs={"correction": 0}),
    _m("max"), _m("min"), _m("amax", 0), _m("amin", (0, 1)),
    OpInfo("max_dim", lambda T, x: T.max(x, 0), shapes=[[(3, 4)], [(2, 1, 4)]]),
    OpInfo("min_dim_keep", lambda T, x: x.min(-1, keepdim=True), shapes=[[(3, 4)]]),
    OpInfo("argmax", lambda T, x: x.argmax(), grad=False, dtypes=NUMERIC),
    OpInfo("argmax_dim", lambda T, x: x.argmax(1), grad=False, shapes=[[(3, 4)]]),
    OpInfo("argmin_dim", lambda T, x: T.argmin(x, 0, keepdim=True), grad=False,
           shapes=[[(3, 4)]]),
    OpInfo("logsumexp", lambda T, x: T.logsumexp(x, 0), shapes=[[(3, 4)], [(2, 1, 4)]]),
    OpInfo("norm", lambda T, x: x.norm()), OpInfo("norm_dim", lambda T, x: T.norm(x, dim=0),
                                                  shapes=[[(3, 4)]]),
    OpInfo("norm_1", lambda T, x: T.norm(x, p=1, dim=1), shapes=[[(3, 4)]], gradgrad=False),
    OpInfo("linalg_vector_norm", lambda T, x: T.linalg.vector_norm(x, 3)),
    OpInfo("cumsum", lambda T, x: x.cumsum(0), shapes=[[(3, 4)], [(5,)]],
           dtypes=FLOATS + ("int64",)),
    OpInfo("cumprod", lambda T, x: x.cumprod(1), shapes=[[(3, 4)]]),
    OpInfo("sort", lambda T, x: T.sort(x, 1), shapes=[[(3, 4)]]),
    OpInfo("sort_desc", lambda T, x: x.sort(0, descending=True), shapes=[[(3, 4)]]),
    OpInfo("argsort", lambda T, x: x.argsort(1), grad=False, shapes=[[(3, 4)]]),
    OpInfo("topk", lambda T, x: T.topk(x, 2), shapes=[[(3, 4)]]),
    OpInfo("topk_small", lambda T, x: x.topk(2, 0, largest=False), shapes=[[(3, 4)]]),
    OpInfo("median", lambda T, x: x.median(), shapes=[[(3, 4)], [(5,)]]),
    OpInfo("median_dim", lambda T, x: x.median(1), shapes=[[(3, 4)]]),
    OpInfo("std_mean", lambda T, x: T.std_mean(x), shapes=[[(3, 4)]]),
    OpInfo("var_mean_dim", lambda T, x: T.var_mean(x, 0), shapes=[[(3, 4)]]),
    OpInfo("all", lambda T, x: (x > 0).all(), grad=False),
    OpInfo("any_dim", lambda T, x: (x > 0).any(1), grad=False, shapes=[[(3, 4)]]),
    OpInfo("count_nonzero", lambda T, x: T.count_nonzero(x > 0, dim=0), grad=False,
           shapes=[[(3, 4)]]),
    # shape and views
    OpInfo("view", lambda T, x: x.view(4, 3), shapes=[[(3, 4)]]),
    OpInfo("reshape_t", lambda T, x: x.t().reshape(-1), shapes=[[(3, 4)]]),
    OpInfo("flatten", lambda T, x: x.flatten(), shapes=[[(3, 4)], [(2, 1, 4)]]),
    OpInfo("unflatten", lambda T, x: x.unflatten(1, (2, 2)), shapes=[[(3, 4)]]),
    OpInfo("transpose", lambda T, x: x.transpose(0, 1), shapes=[[(3, 4)], [(2, 1, 4)]]),
    OpInfo("permute", lambda T, x: x.permute(2, 0, 1), shapes=[[(2, 1, 4)]]),
    OpInfo("movedim", lambda T, x: T.movedim(x, 0, -1), shapes=[[(2, 1, 4)]]),
    OpInfo("squeeze", lambda T, x: x.squeeze(), shapes=[[(2, 1, 4)]]),
    OpInfo("unsqueeze", lambda T, x: x.unsqueeze(1), shapes=[[(3, 4)]]),
    OpInfo("expand", lambda T, x: x.expand(2, 3, 4), shapes=[[(3, 4)], [(1, 4)]]),
    OpInfo("repeat", lambda T, x: x.repeat(2, 1, 3), shapes=[[(3, 4)]]),
    OpInfo("flip", lambda T, x: x.flip(0, 1), shapes=[[(3, 4)]]),
    OpInfo("roll", lambda T, x: x.roll(1, 1), shapes=[[(3, 4)]]),
    OpInfo("tril", lambda T, x: x.tril(), shapes=[[(3, 4)]]),
    OpInfo("triu", lambda T, x: x.triu(1), shapes=[[(3, 4)]]),
    OpInfo("diagonal", lambda T, x: x.diagonal(), shapes=[[(3, 4)]]),
    OpInfo("diag_embed", lambda T, x: T.diag(x), shapes=[[(4,)]]),
    OpInfo("narrow", lambda T, x: x.narrow(1, 1, 2), shapes=[[(3, 4)]]),
    OpInfo("select", lambda T, x: x.select(1, -1), shapes=[[(3, 4)]]),
    OpInfo("split", lambda T, x: x.split(2, 1), shapes=[[(3, 4)]]),
    OpInfo("split_sizes", lambda T, x: T.split(x, [1, 3], 1), shapes=[[(3, 4)]]),
    OpInfo("chunk", lambda T, x: x.chunk(3, 0), shapes=[[(3, 4)]]),
    OpInfo("unbind", lambda T, x: x.unbind(1), shapes=[[(3, 4)]]),
    OpInfo("cat", lambda T, a, b: T.cat([a, b], 0), 2, shapes=[[(3, 4), (2, 4)]]),
    OpInfo("cat1", lambda T, a, b: T.cat((a, b), -1), 2, shapes=[[(3, 4), (3, 1)]]),
    OpInfo("stack", lambda T, a, b: T.stack([a, b], 1), 2, shapes=[[(3, 4), (3, 4)]]),
    OpInfo("hstack", lambda T, a, b: T.hstack([a, b]), 2, shapes=[[(3, 4), (3, 2)]]),
    OpInfo("vstack", lambda T, a, b: T.vstack([a, b]), 2, shapes=[[(4,), (4,)]]),
    OpInfo("unfold", lambda T, x: x.unfold(1, 2, 1), shapes=[[(3, 4)]]),
    # indexing
    OpInfo("getitem_basic", lambda T, x: x[1:, ::2], shapes=[[(3, 4)]]),
    OpInfo("getitem_int", lambda T, x: x[1, 2], shapes=[[(3, 4)]]),
    OpInfo("getitem_none", lambda T, x: x[:, None, 1], shapes=[[(3, 4)]]),
    OpInfo("getitem_ellipsis", lambda T, x: x[..., 0], shapes=[[(2, 1, 4)]]),
    OpInfo("getitem_list", lambda T, x: x[[0, 2, 2]], shapes=[[(3, 4)]]),
    OpInfo("getitem_range", lambda T, x: x[range(3), [0, 1, 3]], shapes=[[(3, 4)]]),
    OpInfo("getitem_mask", lambda T, x: x[x > 0], shapes=[[(3, 4)]]),
    OpInfo("getitem_tensor", lambda T, x: x[:, T.tensor([3, 0])], shapes=[[(3, 4)]]),
    OpInfo("gather", lambda T, x: x.gather(1, T.tensor([[0, 1], [3, 3], [2, 0]])),
           shapes=[[(3, 4)]]),
    OpInfo("scatter_add", lambda T, x, s: x.scatter_add(0, T.tensor([[0, 1, 2, 0]]), s), 2,
           shapes=[[(3, 4), (1, 4)]]),
    OpInfo("scatter", lambda T, x, s: T.scatter(x, 1, T.tensor([[1], [0], [2]]), s), 2,
           shapes=[[(3, 4), (3, 1)]]),
    OpInfo("index_select", lambda T, x: x.index_select(1, T.tensor([0, 3, 3])),
           shapes=[[(3, 4)]]),
    OpInfo("masked_fill", lambda T, x: x.masked_fill(x > 0.5, -1.0)),
    OpInfo("masked_select", lambda T, x: x.masked_select(x > 0)),
    OpInfo("take", lambda T, x: T.take(x, T.tensor([0, 5, 11])), shapes=[[(3, 4)]]),
    OpInfo("index_put", lambda T, x, v: x.index_put((T.tensor([0, 2]),), v), 2,
           shapes=[[(3, 4), (4,)]]),
    OpInfo("nonzero", lambda T, x: T.nonzero(x > 0), grad=False, shapes=[[(3, 4)]]),
    # linear algebra
    OpInfo("matmul_mm", lambda T, a, b: a @ b, 2, shapes=[[(3, 4), (4, 2)]]),
    OpInfo("matmul_mv", lambda T, a, b: a @ b, 2, shapes=[[(3, 4), (4,)]]),
    OpInfo("matmul_vm", lambda T, a, b: T.matmul(a, b), 2, shapes=[[(4,), (4, 3)]]),
    OpInfo("matmul_dot", lambda T, a, b: T.matmul(a, b), 2, shapes=[[(4,), (4,)]]),
    OpInfo("matmul_bmm", lambda T, a, b: a @ b, 2, shapes=[[(2, 3, 4), (2, 4, 5)]]),
    OpInfo("matmul_bcast", lambda T, a, b: a @ b, 2, shapes=[[(2, 3, 4), (4, 5)],
                                                             [(1, 3, 4), (2, 4, 2)]]),
    OpInfo("addmm", lambda T, c, a, b: T.addmm(c, a, b, beta=0.5, alpha=2), 3,
           shapes=[[(3,), (2, 4), (4, 3)]]),
    OpInfo("outer", lambda T, a, b: T.outer(a, b), 2, shapes=[[(3,), (4,)]]),
    OpInfo("einsum", lambda T, a, b: T.einsum("ij,jk->ik", a, b), 2,
           shapes=[[(3, 4), (4, 2)]]),
    OpInfo("einsum_batch", lambda T, a, b: T.einsum("bij,bkj->bik", a, b), 2,
           shapes=[[(2, 3, 4), (2, 5, 4)]]),
    OpInfo("tensordot", lambda T, a, b: T.tensordot(a, b, dims=([1], [0])), 2,
           shapes=[[(3, 4), (4, 2)]]),
    OpInfo("det", lambda T, a: T.det(a), shapes=[[(3, 3)]], gradgrad=False),
    OpInfo("inverse", lambda T, a: T.inverse(a + 3 * T.eye(3)), shapes=[[(3, 3)]]),
    OpInfo("solve", lambda T, a, b: T.linalg.solve(a + 3 * T.eye(3), b), 2,
           shapes=[[(3, 3), (3, 2)]]),
    OpInfo("trace", lambda T, a: T.trace(a), shapes=[[(3, 3)]]),
    OpInfo("cross", lambda T, a, b: T.linalg.cross(a, b), 2, shapes=[[(4, 3), (4, 3)]]),
    OpInfo("svdvals", lambda T, a: T.linalg.svdvals(a), shapes=[[(4, 3)]], gradgrad=False),
    OpInfo("eigvalsh", lambda T, a: T.linalg.eigvalsh(a + a.mT), shapes=[[(3, 3)]],
           gradgrad=False),
    # composites (ember builds these from other ops)
    OpInfo("addcmul", lambda T, a, b, c: T.addcmul(a, b, c, value=0.5), 3,
           shapes=[[(3, 4), (3, 4), (4,)]]),
    OpInfo("addcdiv", lambda T, a, b, c: a.addcdiv(b, c, value=2), 3, positive=True,
           shapes=[[(3, 4), (3, 4), (3, 4)]]),
    OpInfo("hypot", lambda T, a, b: T.hypot(a, b), 2, shapes=BINARY_SHAPES),
    OpInfo("logaddexp", lambda T, a, b: T.logaddexp(a, b), 2, shapes=BINARY_SHAPES),
    OpInfo("xlogy", lambda T, a, b: T.xlogy(a, b), 2, positive=True, shapes=BINARY_SHAPES),
    OpInfo("sinc", lambda T, a: T.sinc(a)),
    OpInfo("diff", lambda T, a: T.diff(a, dim=0), shapes=[[(3, 4)]]),
    OpInfo("diff2", lambda T, a: a.diff(n=2), shapes=[[(3, 4)]]),
    OpInfo("quantile", lambda T, a: T.quantile(a, 0.3), shapes=[[(3, 4)]], gradgrad=False),
    OpInfo("quantile_dim", lambda T, a: a.quantile(T.tensor([0.25, 0.5], dtype=a.dtype), dim=1,
                                                   keepdim=True), shapes=[[(3, 4)]],
           gradgrad=False),
    OpInfo("cov", lambda T, a: T.cov(a), shapes=[[(3, 4)]]),
    OpInfo("corrcoef", lambda T, a: T.corrcoef(a), shapes=[[(3, 4)]]),
    OpInfo("logcumsumexp", lambda T, a: T.logcumsumexp(a, 1), shapes=[[(3, 4)]]),
    OpInfo("dist", lambda T, a, b: T.dist(a, b), 2, shapes=[[(3, 4), (3, 4)]]),
    OpInfo("renorm", lambda T, a: a.renorm(2, 0, 1.0), shapes=[[(3, 4)]], gradgrad=False),
    OpInfo("copysign", lambda T, a, b: T.copysign(a, b), 2, shapes=[[(3, 4), (3, 4)]]),
    # conversions
    OpInfo("to_double", lambda T, x: x.double()),
    OpInfo("to_half", lambda T, x: x.half(), gradgrad=False),
    OpInfo("to_int", lambda T, x: (x * 3).int(), grad=False),
    OpInfo("to_bool", lambda T, x: x.bool(), grad=False, dtypes=NUMERIC),
]
