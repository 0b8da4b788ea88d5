"""NumPy-only helpers shared by make_refs.py (run once beside torchvision) and the tests: the
model table, deterministic weights for a state dict, the fixed inputs, and the compact
statistics stored for an output / input gradient. Nothing here imports torch or ember.
"""
import zlib

import numpy as np

# name -> (builder kwargs, input height/width, batch, slow): every model the issue names
MODELS = {
    "resnet18": ({}, 64, 2, False),
    "resnet34": ({}, 64, 2, True),
    "resnet50": ({}, 64, 2, True),
    "resnet101": ({}, 32, 1, True),
    "resnet152": ({}, 32, 1, True),
    "resnext50_32x4d": ({}, 64, 2, True),
    "wide_resnet50_2": ({}, 32, 1, True),
    "vgg11": ({}, 32, 2, True),
    "vgg11_bn": ({}, 32, 2, True),
    "vgg13": ({}, 32, 1, True),
    "vgg13_bn": ({}, 32, 1, True),
    "vgg16": ({}, 32, 1, True),
    "vgg16_bn": ({}, 32, 1, True),
    "vgg19": ({}, 32, 1, True),
    "vgg19_bn": ({}, 32, 1, True),
    "alexnet": ({}, 64, 2, True),
    "squeezenet1_0": ({}, 64, 2, True),
    "squeezenet1_1": ({}, 64, 2, False),
    "mobilenet_v2": ({}, 64, 2, True),
    "mobilenet_v3_small": ({}, 64, 2, False),
    "mobilenet_v3_large": ({}, 64, 2, True),
    "densenet121": ({}, 32, 1, True),
    "efficientnet_b0": ({}, 64, 2, False),
    "shufflenet_v2_x1_0": ({}, 64, 2, False),
    "convnext_tiny": ({}, 32, 1, True),
    "vit_b_16": ({}, 224, 1, True),
}
# fast numerics stand-ins for the slow ones (same code paths, smaller shapes)
FAST_VARIANTS = {
    "vit_b_16@64": ("vit_b_16", {"image_size": 64}, 64, 2, False),
    "vgg11@10": ("vgg11", {"num_classes": 10}, 32, 2, True),
    "convnext_tiny@10": ("convnext_tiny", {"num_classes": 10}, 32, 1, False),
    "resnet50@10": ("resnet50", {"num_classes": 10}, 32, 1, False),
    "densenet121@10": ("densenet121", {"num_classes": 10}, 32, 1, False),
}


def all_numeric_cases():
    """case name -> (builder name, kwargs, hw, batch, slow)."""
    cases = {k: (k,) + v for k, v in MODELS.items()}
    cases.update(FAST_VARIANTS)
    return cases


def fill_value(name, shape, dtype_kind="f"):
    """The deterministic value of one state-dict entry (float32), seeded by its key."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    shape = tuple(shape)
    if name.endswith("running_var"):
        v = 0.5 + rng.random(shape)
    elif name.endswith("running_mean"):
        v = 0.1 * rng.standard_normal(shape)
    elif name.endswith("layer_scale"):
        v = 0.1 + 0.05 * rng.random(shape)
    elif len(shape) >= 2:
        fan_in = int(np.prod(shape[1:]))
        v = rng.standard_normal(shape) / np.sqrt(fan_in)
    elif name.endswith("weight"):
        v = 1.0 + 0.1 * rng.standard_normal(shape)
    else:
        v = 0.1 * rng.standard_normal(shape)
    return v.astype(np.float32)


def make_input(hw, batch):
    return np.random.default_rng(1234).standard_normal((batch, 3, hw, hw)).astype(np.float32)


def make_out_grad(shape):
    return np.random.default_rng(4321).standard_normal(shape).astype(np.float32)


def _proj(v, k=4):
    p = np.random.default_rng(99).standard_normal((v.size, k))
    return (v.reshape(-1).astype(np.float64) @ p).tolist()


def stats(out, grad):
    """Compact fingerprints of the eval-mode output and the input gradient."""
    out = np.asarray(out, np.float64)
    grad = np.asarray(grad, np.float64)
    return {"out_shape": list(out.shape), "out_head": out.reshape(out.shape[0], -1)[:, :6].tolist(),
            "out_norm": float(np.linalg.norm(out)), "out_proj": _proj(out),
            "grad_shape": list(grad.shape), "grad_head": grad[0, 0, 0, :6].tolist(),
            "grad_norm": float(np.linalg.norm(grad)), "grad_proj": _proj(grad)}


def init_fingerprint(arr):
    """Exact fingerprints of freshly initialised weights: the float64 sum and 8 values at
    fixed positions (first, last, evenly spaced); a constant tensor as its value."""
    flat = np.asarray(arr).reshape(-1)
    if flat.size and (flat == flat[0]).all():
        return {"const": float(flat[0]), "n": int(flat.size)}
    idx = np.unique(np.linspace(0, flat.size - 1, 8).astype(np.int64))
    return {"sum": float(flat.astype(np.float64).sum()), "idx": idx.tolist(),
            "vals": [float(x) for x in flat[idx]]}
