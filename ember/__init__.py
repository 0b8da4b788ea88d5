"""ember: PyTorch's API and behaviour, in Python on NumPy (CPU) and CuPy (CUDA).

`import ember as torch` and a PyTorch program runs, prints the same things and learns the same
weights. This file only gathers torch's top-level names; the code lives in the modules below.
"""
import math as _math

import numpy as _np

# torch never warns about overflow, invalid values or division by zero: neither does ember
_np.seterr(all="ignore")

from . import _dtype
from ._dtype import (dtype, promote_types, result_type, get_default_dtype, finfo, iinfo,
                     can_cast)
from ._dtype import (bool_ as bool, uint8, int8, int16, int32, int64, float16, bfloat16,
                     float32, float64, complex64, complex128, uint16, uint32, uint64)
from ._device import device
from ._size import Size
from ._tensor import Tensor
from . import _tensor_methods as _tm

_tm.install()

from . import return_types
from ._legacy_types import (tensortype, FloatTensor, DoubleTensor, HalfTensor,
                            BFloat16Tensor, LongTensor, IntTensor, ShortTensor, CharTensor,
                            ByteTensor, BoolTensor)
from ._printing import set_printoptions, get_printoptions, printoptions
from ._creation import (tensor, as_tensor, asarray, from_numpy, zeros, ones, empty, full,
                        zeros_like, ones_like, empty_like, full_like, empty_strided, arange,
                        linspace, logspace, eye, rand, randn, randint, randperm, rand_like,
                        randn_like, randint_like, normal, bernoulli, multinomial, poisson,
                        scalar_tensor, set_default_device, get_default_device)
from ._creation import range_ as range
from ._random import manual_seed, seed, initial_seed
from ._generator import Generator, default_generator, get_rng_state, set_rng_state
from .autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,
                                 is_grad_enabled, is_inference_mode_enabled)
from .autograd.anomaly_mode import (is_anomaly_enabled, is_anomaly_check_nan_enabled,
                                    set_anomaly_enabled)
from .ops.elementwise import (add, sub, subtract, rsub, mul, multiply, div, divide, true_divide,
                              floor_divide, neg, negative, pow, float_power, remainder, fmod,
                              exp, exp2, expm1, log, log2, log10, log1p, sqrt, rsqrt, sin, cos,
                              tan, asin, acos, atan, arcsin, arccos, arctan, sinh, cosh, tanh,
                              asinh, acosh, atanh, arcsinh, arccosh, arctanh, sigmoid, logit,
                              erf, erfc, erfinv, lgamma, digamma, polygamma, reciprocal, abs,
                              absolute,
                              sign, sgn, ceil, floor, trunc, fix, frac, round, clamp, clip,
                              clamp_min, clamp_max, maximum, minimum, fmax, fmin, atan2,
                              arctan2, lerp, where, nan_to_num, square, eq, ne, lt, le, gt, ge,
                              not_equal, less, less_equal, greater, greater_equal, equal, isnan,
                              isinf, isfinite, isposinf, isneginf, isreal, signbit, isclose,
                              allclose, logical_and, logical_or, logical_xor, logical_not,
                              bitwise_and, bitwise_or, bitwise_xor, bitwise_not,
                              bitwise_left_shift, bitwise_right_shift)
from .ops.reduction import (sum, nansum, mean, nanmean, prod, var, std, std_mean, var_mean, max,
                            min, amax, amin, aminmax, argmax, argmin, all, any, count_nonzero,
                            logsumexp, norm, cumsum, cumprod, cummax, cummin, sort, argsort,
                            msort, topk, kthvalue, median, nanmedian, mode, unique,
                            unique_consecutive, bincount, histc)
from .ops.shape import (reshape, flatten, unflatten,
                        clone, squeeze, unsqueeze, transpose, swapaxes, swapdims, t, permute,
                        movedim, moveaxis, broadcast_to, broadcast_tensors, tile,
                        repeat_interleave, select, narrow, split, chunk, tensor_split, unbind,
                        cat, concat, concatenate, stack, hstack, vstack, row_stack, dstack,
                        column_stack, atleast_1d, atleast_2d, atleast_3d, flip, fliplr, flipud,
                        roll, rot90, tril, triu, diagonal, diag, diag_embed, as_strided)
from .ops._broadcast import broadcast_shapes
from .ops.indexing import (gather, scatter, scatter_add, scatter_reduce, index_select,
                           index_add, index_copy, index_fill, index_put, masked_fill,
                           masked_select, masked_scatter, nonzero, argwhere, take,
                           take_along_dim)
from .ops.linalg import (matmul, mm, bmm, mv, dot, vdot, addmm, addmv, baddbmm, addbmm, addr,
                         outer, ger, tensordot, einsum, det, slogdet, logdet, inverse, cholesky,
                         pinv, matrix_power, trace, kron, cross, svd, qr, cdist, chain_matmul)
from .ops.linalg import inner_dot as inner
from .ops.composite import (addcmul, addcdiv, hypot, logaddexp, logaddexp2, xlogy, sinc,
                            deg2rad, rad2deg, copysign, heaviside, positive, diff, ravel, dist,
                            renorm, diagflat, split_with_sizes, vsplit, hsplit, dsplit,
                            logcumsumexp, quantile, nanquantile, cov, corrcoef, relu, relu_,
                            softmax, log_softmax, is_same_size, put, meshgrid,
                            cartesian_prod, block_diag, unravel_index)
from .ops.extra import (isin, bucketize, searchsorted, histogram, tril_indices, triu_indices,
                        combinations, vander, trapezoid, cumulative_trapezoid, complex, polar,
                        view_as_real, view_as_complex, typename, set_float32_matmul_precision,
                        get_float32_matmul_precision)
from . import linalg, cuda, accelerator, autograd, backend

# torch's top-level in-place functions (torch.sin_(t) is t.sin_())
for _n in ("abs_ acos_ acosh_ arccos_ arcsin_ arctan_ asin_ asinh_ atan_ atanh_ ceil_ clamp_ "
           "clamp_max_ clamp_min_ clip_ cos_ cosh_ detach_ erf_ erfc_ exp2_ exp_ expm1_ fill_ "
           "fix_ floor_ frac_ index_put_ log10_ log1p_ log2_ log_ logit_ nan_to_num_ neg_ "
           "negative_ reciprocal_ resize_as_ round_ rsqrt_ sigmoid_ sin_ sinh_ sqrt_ square_ "
           "tan_ tanh_ trunc_ zero_").split():
    globals()[_n] = getattr(Tensor, _n)
del _n

strided = "torch.strided"
Tensor.layout = strided


from ._memory_format import (memory_format, contiguous_format, channels_last,  # noqa: E402
                             channels_last_3d, preserve_format)

# torch's dtype aliases, as the same objects
float = float32
double = float64
half = float16
cfloat = complex64
cdouble = complex128
short = int16
int = int32
long = int64


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_storage(obj):
    return False


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins_bool(input.item())


def numel(input):
    return input.numel()


def set_default_dtype(d):
    from .autograd.op import clear_promote_cache
    _dtype.set_default_dtype(d)
    clear_promote_cache()


def set_default_tensor_type(t):
    name = t if isinstance(t, str) else t.__name__
    set_default_dtype(float64 if "Double" in name else float32)


from ._deterministic import (use_deterministic_algorithms, are_deterministic_algorithms_enabled,
                             is_deterministic_algorithms_warn_only_enabled,
                             set_deterministic_debug_mode, get_deterministic_debug_mode)


def get_num_threads():
    """The BLAS thread count (torch's intra-op threads); the CPU count if no BLAS is known."""
    import os
    from .backend import _threads
    return _threads.get_num_threads() or os.cpu_count() or 1


def set_num_threads(n):
    """Set the BLAS thread count (see torch.set_num_threads)."""
    import builtins  # `int` and `bool` here are ember's dtypes
    if not isinstance(n, builtins.int) or isinstance(n, builtins.bool) or n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    from .backend import _threads
    _threads.set_num_threads(n)


def compile(model=None, **kwargs):
    """torch.compile: ember has no compiler; the model runs as written."""
    if model is None:
        return lambda m: m
    return model


from builtins import bool as builtins_bool  # noqa: E402

# Subpackages load on first use, so `import ember` stays fast (torch imports everything).
_LAZY_MODULES = {"nn", "optim", "utils", "profiler", "serialization", "hub", "testing", "compat",
                 "functional", "jit", "distributions", "special", "fft", "overrides", "types",
                 "multiprocessing", "amp", "cpu", "random", "version", "backends", "library",
                 "onnx", "vision", "attr", "func"}
_LAZY_ATTRS = {"save": "serialization", "load": "serialization", "vmap": "func"}
_LAZY_ATTRS.update({n: "_torch_ns" for n in (
    "conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d dropout dropout_ "
    "alpha_dropout feature_alpha_dropout batch_norm layer_norm group_norm instance_norm "
    "embedding max_pool1d max_pool2d max_pool3d max_pool1d_with_indices avg_pool1d "
    "adaptive_avg_pool1d adaptive_max_pool1d pixel_shuffle pixel_unshuffle prelu selu selu_ "
    "celu celu_ threshold threshold_ rrelu hardshrink bilinear cosine_similarity "
    "pairwise_distance pdist kl_div binary_cross_entropy_with_logits cosine_embedding_loss "
    "hinge_embedding_loss margin_ranking_loss poisson_nll_loss triplet_margin_loss ctc_loss "
    "hamming_window hann_window blackman_window bartlett_window kaiser_window gcd lcm ldexp "
    "frexp nextafter real imag angle mvlgamma pinverse nuclear_norm cholesky_solve "
    "cholesky_inverse detach get_device is_signed set_warn_always is_warn_always_enabled "
    "get_num_interop_threads set_num_interop_threads set_flush_denormal conj conj_physical "
    "resolve_conj resolve_neg is_conj is_neg matrix_exp geqrf orgqr spmm").split()})
_LAZY_ATTRS["GradScaler"] = "amp"
# ember/ops/sweep2.py's TOP_LEVEL (tests/ops/test_api_sweep2.py checks that they agree)
SWEEP2_TOP_LEVEL = tuple("""index_reduce gradient histogramdd slice_scatter select_scatter
    diagonal_scatter as_strided_scatter trapz nonzero_static fill frobenius_norm constant_pad_nd
    channel_shuffle rms_norm adjoint narrow_copy unsafe_chunk unsafe_split
    unsafe_split_with_sizes symeig eig lstsq solve matrix_rank lu lu_solve lu_unpack
    triangular_solve empty_permuted frombuffer from_dlpack cudnn_is_acceptable is_inference
    is_vulkan_available addmv_ arccosh_ arcsinh_ arctanh_ deg2rad_ rad2deg_ gcd_ lcm_ ldexp_
    sinc_ xlogy_ conj_physical_ alpha_dropout_ feature_alpha_dropout_ feature_dropout
    feature_dropout_ rrelu_ alias_copy as_strided_copy detach_copy diagonal_copy expand_copy
    permute_copy select_copy slice_copy split_copy split_with_sizes_copy squeeze_copy t_copy
    transpose_copy unbind_copy unfold_copy unsqueeze_copy view_copy view_as_real_copy
    view_as_complex_copy stft istft as_strided_""".split())
_LAZY_ATTRS.update({n: "ops.sweep2" for n in SWEEP2_TOP_LEVEL})
_LAZY_ATTRS.update({n: "ops.special_fns" for n in ("i0", "i0_", "igamma", "igammac")})
_LAZY_ATTRS.update({n: "ops.weight_norm" for n in ("_weight_norm", "norm_except_dim")})
_LAZY_ATTRS.update({n: "amp.autocast_mode" for n in (
    "autocast", "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype",
    "set_autocast_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
    "clear_autocast_cache", "autocast_increment_nesting", "autocast_decrement_nesting",
    "is_autocast_cpu_enabled", "get_autocast_cpu_dtype", "get_autocast_gpu_dtype")})


def __getattr__(name):
    import importlib
    if name in _LAZY_MODULES:
        try:
            return importlib.import_module(f"ember.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"ember.{name}":
                raise
            raise AttributeError(f"module 'ember' has no attribute '{name}' (ember does not "
                                 f"implement torch.{name} yet)") from None
    if name in _LAZY_ATTRS:
        return getattr(importlib.import_module(f"ember.{_LAZY_ATTRS[name]}"), name)
    raise AttributeError(f"module 'ember' has no attribute '{name}' (ember does not implement "
                         f"torch.{name})")

__version__ = "2.13.0+ember"
pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan
newaxis = None
