"""Model-zoo cost: forward + backward of resnet18 (batch 8, 3x224x224, train mode) ember vs torch.

torchvision cannot be imported beside the torch 2.13 oracle, so the torch side is the same
architecture written here with torch.nn (module for module what torchvision builds); the ember
side is ember.vision.models.resnet18 with the torch model's weights copied in. Run
`python bench/bench_models.py` (or through bench/run.py: CASES). Goal: ember <= 1.5x torch.
"""
from __future__ import annotations

import os
import sys

import numpy as np


def _torch_resnet18():
    import torch.nn as nn

    class BasicBlock(nn.Module):
        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = downsample

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += identity
            return self.relu(out)

    class ResNet18(nn.Module):
        def __init__(self, num_classes=1000):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            layers, inplanes = [], 64
            for planes, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
                down = None
                if stride != 1 or inplanes != planes:
                    down = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                         nn.BatchNorm2d(planes))
                layers.append(nn.Sequential(BasicBlock(inplanes, planes, stride, down),
                                            BasicBlock(planes, planes)))
                inplanes = planes
            self.layer1, self.layer2, self.layer3, self.layer4 = layers
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(self.avgpool(x).flatten(1))

    return ResNet18()


def _resnet18_case(batch=8, hw=224):
    def build():
        import torch
        import ember
        torch.manual_seed(0)
        tm = _torch_resnet18()
        em = ember.vision.models.resnet18()
        # same weights on both sides (the key lists are torchvision's on both)
        em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
        x = np.random.default_rng(0).standard_normal((batch, 3, hw, hw)).astype(np.float32)
        tx, ex = torch.tensor(x), ember.tensor(x)

        def step(m, inp):
            m.zero_grad(set_to_none=True)
            m(inp).sum().backward()
        return {"torch": lambda: step(tm, tx), "ember": lambda: step(em, ex),
                "_repeats": 5, "_target": 0.0}
    return build


CASES = {"resnet18_fwd_bwd": _resnet18_case()}


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None,
                    help="torch intra-op threads and ember's BLAS threads (default: each "
                         "library's default)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=8)
    args = ap.parse_args(argv)
    import torch
    import ember
    if args.threads:
        torch.set_num_threads(args.threads)
        ember.set_num_threads(args.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from run import compare, fmt
    spec = _resnet18_case(args.batch)()
    spec.pop("_repeats"), spec.pop("_target")
    res = compare(spec, repeats=args.repeats, target=0.0)
    print(f"resnet18 fwd+bwd b{args.batch} 224x224: torch {fmt(res['torch'])}  ember "
          f"{fmt(res['ember'])}  ember/torch {res['ember'] / res['torch']:.2f}")


if __name__ == "__main__":
    main()
