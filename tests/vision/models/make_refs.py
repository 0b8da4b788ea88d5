"""Make the reference data under ref/ from real torchvision -- run ONCE by hand, never by the
test suite (torchvision cannot be imported beside the torch 2.13 oracle):

    python3 -m venv /tmp/tv-venv   # (optional argument: structure / numerics / init)
    /tmp/tv-venv/bin/pip install torch==2.14.1 torchvision==0.29.1
    /tmp/tv-venv/bin/python tests/vision/models/make_refs.py

It writes, for the models in _refs.MODELS (plus a few variants):
  ref/structure.json.gz  state_dict keys, shapes, dtypes in order, and repr(model)
  ref/numerics.json      eval-mode output and input-gradient fingerprints (_refs.stats) with the
                         deterministic weights of _refs.fill_value loaded into the model
  ref/init.json.gz         with torch.manual_seed(0), fingerprints of the freshly initialised
                         state dict (torch 2.14's CPU generator is torch 2.13's)
Only these small files are committed; no torchvision code or checkpoint is.
"""
import gzip
import json
import os
import sys

import torch
import torchvision
from torchvision import models as M

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _refs import MODELS, all_numeric_cases, fill_value, init_fingerprint, make_input, \
    make_out_grad, stats  # noqa: E402

REF = os.path.join(HERE, "ref")
# structure is checked for the models and a few more of the same families
STRUCTURE = list(MODELS) + ["mobilenet_v3_large", "shufflenet_v2_x0_5", "efficientnet_b1",
                            "efficientnet_v2_s", "densenet169", "resnext101_64x4d",
                            "convnext_small", "vit_b_32"]
INIT = ["resnet18", "vgg11", "squeezenet1_1", "mobilenet_v3_small", "shufflenet_v2_x1_0",
        "efficientnet_b0", "densenet121", "convnext_tiny", "alexnet"]


def load_filled(model):
    sd = model.state_dict()
    new = {k: (v if not v.is_floating_point()
               else torch.from_numpy(fill_value(k, v.shape)))
           for k, v in sd.items()}
    model.load_state_dict(new)
    return model


def main(parts=("structure", "numerics", "init")):
    torch.set_num_threads(1)  # single-threaded sums: reproducible fingerprints
    os.makedirs(REF, exist_ok=True)
    print("torch", torch.__version__, "torchvision", torchvision.__version__)

    if "structure" in parts:
        make_structure()
    if "numerics" in parts:
        make_numerics()
    if "init" in parts:
        make_init()


def make_structure():
    structure = {}
    for name in dict.fromkeys(STRUCTURE):
        m = M.get_model(name)
        structure[name] = {"keys": [[k, list(v.shape), str(v.dtype).replace("torch.", "")]
                                    for k, v in m.state_dict().items()],
                           "repr": repr(m),
                           "num_params": sum(p.numel() for p in m.parameters())}
        print("structure", name)
    with gzip.open(os.path.join(REF, "structure.json.gz"), "wt") as f:
        json.dump(structure, f, separators=(",", ":"))


def make_numerics():
    numerics = {}
    for case, (name, kwargs, hw, batch, _slow) in all_numeric_cases().items():
        m = load_filled(M.get_model(name, **kwargs)).eval()
        x = torch.from_numpy(make_input(hw, batch)).requires_grad_(True)
        out = m(x)
        out.backward(torch.from_numpy(make_out_grad(tuple(out.shape))))
        numerics[case] = stats(out.detach().numpy(), x.grad.numpy())
        print("numerics", case, tuple(out.shape))
    with open(os.path.join(REF, "numerics.json"), "w") as f:
        json.dump(numerics, f, indent=0, separators=(",", ":"))


def make_init():
    init = {}
    for name in INIT:
        torch.manual_seed(0)
        m = M.get_model(name)
        init[name] = {k: init_fingerprint(v.numpy()) for k, v in m.state_dict().items()
                      if v.is_floating_point()}
        print("init", name)
    with gzip.open(os.path.join(REF, "init.json.gz"), "wt") as f:
        json.dump(init, f, separators=(",", ":"))


if __name__ == "__main__":
    main(sys.argv[1:] or ("structure", "numerics", "init"))
