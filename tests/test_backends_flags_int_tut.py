"""torch.backends.cudnn.flags / mkldnn.flags (the NTK tutorial wraps its comparison in
`with torch.backends.cudnn.flags(allow_tf32=False)`): the flags inside the block, what the
block yields, restoring afterwards, and the CPU defaults, compared with torch."""
import warnings

import torch

import ember

CUDNN = ("enabled", "benchmark", "deterministic", "allow_tf32", "benchmark_limit",
         "fp32_precision", "depthwise_kernel")


def _cudnn(T):
    return tuple(getattr(T.backends.cudnn, k) for k in CUDNN)


def test_cudnn_defaults():
    assert _cudnn(ember) == _cudnn(torch)


def test_cudnn_flags_block():
    for kw in ({"allow_tf32": False}, {}, {"enabled": True, "deterministic": True,
                                          "benchmark": True}):
        before = _cudnn(ember)
        with torch.backends.cudnn.flags(**kw) as ft, ember.backends.cudnn.flags(**kw) as fe:
            assert fe is ft is None
            assert _cudnn(ember) == _cudnn(torch)
        assert _cudnn(ember) == _cudnn(torch) == before


def test_mkldnn_flags_block():
    def state(T):
        return T.backends.mkldnn.enabled, T.backends.mkldnn.deterministic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that oneDNN TF32 needs an Intel GPU
        with torch.backends.mkldnn.flags(enabled=False), ember.backends.mkldnn.flags(enabled=False):
            assert state(ember) == state(torch)
    assert state(ember) == state(torch) == (True, False)
