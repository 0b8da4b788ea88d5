"""torch.nn.utils: gradient clipping and parameter/vector conversion (rnn packing lives in
utils/rnn.py)."""
# ruff: noqa: F401  (this file re-exports torch.nn names)
from .clip_grad import clip_grad_norm_, clip_grad_norm, clip_grad_value_, \
    get_total_norm, clip_grads_with_norm_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from . import rnn  # noqa: E402  (PackedSequence, pack_padded_sequence, ...: see utils/rnn.py)
# parametrizations, old-style weight/spectral norm hooks, functional_call, fusion (prune is
# imported on its own, as in torch: `import torch.nn.utils.prune`)
from . import fusion, parametrizations, parametrize, stateless
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, \
    fuse_linear_bn_weights
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm
