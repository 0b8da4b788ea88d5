"""The model registry, weight enums, the legacy `pretrained=` interface (torchvision's warning
texts) and pretrained weights read from a torch-hub cache written by real torch.save -- the
format of torchvision's published checkpoints.
"""
import os
import re
import urllib.error

import numpy as np
import pytest
import torch

import ember
from ember.vision import models as M

from ._helpers import load_ref
from ._refs import fill_value, make_input, make_out_grad, stats
from .test_zoo import _check_stats

# torchvision 0.29's registered names for these families
TV_NAMES = [
    "alexnet", "convnext_base", "convnext_large", "convnext_small", "convnext_tiny",
    "densenet121", "densenet161", "densenet169", "densenet201", "efficientnet_b0",
    "efficientnet_b1", "efficientnet_b2", "efficientnet_b3", "efficientnet_b4", "efficientnet_b5",
    "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_l", "efficientnet_v2_m",
    "efficientnet_v2_s", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "resnet101",
    "resnet152", "resnet18", "resnet34", "resnet50", "resnext101_32x8d", "resnext101_64x4d",
    "resnext50_32x4d", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5",
    "shufflenet_v2_x2_0", "squeezenet1_0", "squeezenet1_1", "vgg11", "vgg11_bn", "vgg13",
    "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "vit_b_16", "vit_b_32", "vit_h_14",
    "vit_l_16", "vit_l_32", "wide_resnet101_2", "wide_resnet50_2"]


def test_registry():
    assert M.list_models() == TV_NAMES
    assert M.list_models(module=M) == TV_NAMES
    assert M.list_models(include="resnet*") == ["resnet101", "resnet152", "resnet18",
                                                 "resnet34", "resnet50"]
    assert M.list_models(include=["vgg1?", "alexnet"], exclude="vgg13") == [
        "alexnet", "vgg11", "vgg16", "vgg19"]
    assert M.get_model_builder("ResNet18") is M.resnet18
    with pytest.raises(ValueError, match="^Unknown model foo$"):
        M.get_model("foo")
    assert M.get_model_weights("resnet50") is M.ResNet50_Weights
    assert M.get_model_weights(M.vit_b_16) is M.ViT_B_16_Weights
    assert M.get_weight("ResNet50_Weights.IMAGENET1K_V2") is M.ResNet50_Weights.IMAGENET1K_V2
    with pytest.raises(ValueError, match=re.escape("Invalid weight name provided: 'resnet'.")):
        M.get_weight("resnet")
    with pytest.raises(ValueError, match="The weight enum 'Foo_Weights' for the specific"):
        M.get_weight("Foo_Weights.X")


def test_weight_enums():
    w = M.ResNet50_Weights
    assert w.DEFAULT is w.IMAGENET1K_V2 and list(w) == [w.IMAGENET1K_V1, w.IMAGENET1K_V2]
    assert repr(w.DEFAULT) == "ResNet50_Weights.IMAGENET1K_V2"
    assert w.IMAGENET1K_V1.url == "https://download.pytorch.org/models/resnet50-0676ba61.pth"
    meta = M.ResNet18_Weights.DEFAULT.meta
    assert len(meta["categories"]) == 1000 and meta["categories"][:2] == ["tench", "goldfish"]
    assert meta["num_params"] == 11689512 and meta["min_size"] == (1, 1)
    assert meta["_metrics"]["ImageNet-1K"] == {"acc@1": 69.758, "acc@5": 89.078}
    assert w.verify("IMAGENET1K_V1") is w.IMAGENET1K_V1
    assert w.verify("ResNet50_Weights.DEFAULT") is w.IMAGENET1K_V2
    assert w.verify(None) is None
    with pytest.raises(TypeError, match="^Invalid Weight class provided; expected ResNet50_Weights"
                                        " but received ResNet18_Weights.$"):
        w.verify(M.ResNet18_Weights.DEFAULT)
    # num_params of the meta is the model's (structure refs come from torchvision)
    structure = load_ref("structure.json.gz")
    for name in ("resnet18", "mobilenet_v3_small", "vit_b_16", "efficientnet_b0", "vgg16"):
        enum = M.get_model_weights(name)
        assert enum.DEFAULT.meta["num_params"] == structure[name]["num_params"], name


def test_transforms_preset():
    t = M.ResNet50_Weights.DEFAULT.transforms()
    assert repr(t) == ("ImageClassification(\n    crop_size=[224]\n    resize_size=[232]\n"
                       "    mean=[0.485, 0.456, 0.406]\n    std=[0.229, 0.224, 0.225]\n"
                       "    interpolation=InterpolationMode.BILINEAR\n)")
    assert "interpolation=InterpolationMode.BICUBIC" in repr(
        M.ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1.transforms())
    # a constant uint8 image stays constant through resize/crop: the result is exact
    img = ember.full((3, 300, 260), 200, dtype=ember.uint8)
    out = t(img)
    assert out.shape == (3, 224, 224) and out.dtype == ember.float32
    mean, std = np.array(t.mean, np.float32), np.array(t.std, np.float32)
    want = (np.float32(200) / np.float32(255) - mean) / std
    np.testing.assert_allclose(out.numpy()[:, 0, 0], want, rtol=1e-6)
    assert np.ptp(out.numpy(), axis=(1, 2)).max() < 1e-5


def test_legacy_pretrained_false_and_positional():
    msg1 = ("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the "
            "future, please use 'weights' instead.")
    msg2 = ("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 "
            "and may be removed in the future. The current behavior is equivalent to passing "
            "`weights=None`.")
    with pytest.warns(UserWarning) as rec:
        m = M.squeezenet1_1(pretrained=False, num_classes=7)
    assert [str(r.message) for r in rec] == [msg1, msg2]
    assert m.classifier[1].out_channels == 7
    with pytest.warns(UserWarning, match=re.escape("Using 'weights' and 'progress' as positional "
                                                   "parameter(s) is deprecated since 0.13")):
        M.squeezenet1_1(None, True)


def _write_checkpoint(home, url, sd):
    path = os.path.join(home, "hub", "checkpoints", os.path.basename(url))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(sd, path)  # torchvision's checkpoints are plain torch.save'd state dicts
    return path


def _filled_torch_state_dict(name, rename=lambda k: k):
    ref = load_ref("structure.json.gz")[name]
    sd = {}
    for k, shape, dtype in ref["keys"]:
        sd[rename(k)] = (torch.zeros(shape, dtype=getattr(torch, dtype)) if dtype == "int64"
                         else torch.from_numpy(fill_value(k, shape)))
    return sd


def _check_numerics(model, case):
    name, hw, batch = case
    x = ember.from_numpy(make_input(hw, batch)).requires_grad_(True)
    out = model.eval()(x)
    out.backward(ember.from_numpy(make_out_grad(tuple(out.shape))))
    _check_stats(stats(out.detach().numpy(), x.grad.numpy()), load_ref("numerics.json")[name])


def test_pretrained_weights_from_torch_hub_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    url = M.ResNet18_Weights.IMAGENET1K_V1.url
    _write_checkpoint(str(tmp_path), url, _filled_torch_state_dict("resnet18"))
    m = M.resnet18(weights=M.ResNet18_Weights.DEFAULT)
    _check_numerics(m, ("resnet18", 64, 2))
    # the same file through the string forms and the legacy flag
    m2 = M.get_model("resnet18", weights="DEFAULT")
    assert ember.equal(m2.fc.weight, m.fc.weight)
    with pytest.warns(UserWarning) as rec:
        m3 = M.resnet18(pretrained=True)
    assert len(rec) == 2 and str(rec[1].message).endswith(
        "`weights=ResNet18_Weights.IMAGENET1K_V1`. You can also use "
        "`weights=ResNet18_Weights.DEFAULT` to get the most up-to-date weights.")
    assert ember.equal(m3.layer4[1].bn2.running_var, m.layer4[1].bn2.running_var)
    assert capsys.readouterr().out == ""  # cached: nothing downloaded
    with pytest.raises(ValueError, match="^The parameter 'num_classes' expected value 1000 but "
                                         "got 10 instead.$"):
        M.resnet18(weights="DEFAULT", num_classes=10)


def test_densenet_checkpoint_with_old_key_names(tmp_path, monkeypatch):
    # the published DenseNet files say 'denselayer1.norm.1.weight' for 'denselayer1.norm1.weight'
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    old = re.compile(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.")
    sd = _filled_torch_state_dict("densenet121", lambda k: old.sub(r"\1.\2.", k))
    # those files predate BatchNorm's num_batches_tracked (BatchNorm fills it in when missing)
    sd = {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}
    assert "features.denseblock1.denselayer1.norm.1.weight" in sd
    _write_checkpoint(str(tmp_path), M.DenseNet121_Weights.DEFAULT.url, sd)
    _check_numerics(M.densenet121(weights="DEFAULT"), ("densenet121", 32, 1))


def test_missing_weights_name_file_and_url(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def offline(*a, **k):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(ember.hub, "urlopen", offline)
    url = M.MobileNet_V3_Small_Weights.DEFAULT.url
    target = os.path.join(str(tmp_path), "hub", "checkpoints", os.path.basename(url))
    with pytest.raises(urllib.error.URLError) as info:
        M.mobilenet_v3_small(weights="DEFAULT")
    assert url in str(info.value) and target in str(info.value)
    assert capsys.readouterr().out == f'Downloading: "{url}" to {target}\n'
    assert os.listdir(os.path.dirname(target)) == []  # no partial file left behind
