"""make_grid / save_image against torchvision's algorithm written out with torch, and tensors
handed straight to matplotlib (skipped where matplotlib is not installed)."""
import math

import numpy as np
import pytest
import torch
from oracle import assert_same
from PIL import Image

import ember
from ember.vision import utils as vutils


def ref_grid(t, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
             pad_value=0.0):
    """torchvision.utils.make_grid, by hand with torch."""
    if isinstance(t, list):
        t = torch.stack(t)
    if t.dim() == 2:
        t = t[None]
    if t.dim() == 3:
        if t.size(0) == 1:
            t = torch.cat((t, t, t), 0)
        t = t[None]
    if t.size(1) == 1:
        t = torch.cat((t, t, t), 1)
    if normalize:
        t = t.clone()

        def norm(img, lo, hi):
            img.clamp_(min=lo, max=hi)
            img.sub_(lo).div_(max(hi - lo, 1e-5))
        parts = t if scale_each else [t]
        for p in parts:
            if value_range is not None:
                norm(p, *value_range)
            else:
                norm(p, float(p.min()), float(p.max()))
    if t.size(0) == 1:
        return t.squeeze(0)
    n = t.size(0)
    xm = min(nrow, n)
    ym = int(math.ceil(n / xm))
    h, w = t.size(2) + padding, t.size(3) + padding
    grid = t.new_full((t.size(1), h * ym + padding, w * xm + padding), pad_value)
    k = 0
    for y in range(ym):
        for x in range(xm):
            if k >= n:
                break
            grid.narrow(1, y * h + padding, h - padding).narrow(2, x * w + padding,
                                                                 w - padding).copy_(t[k])
            k += 1
    return grid


CASES = [dict(), dict(nrow=2, padding=3, pad_value=0.5), dict(normalize=True),
         dict(normalize=True, scale_each=True), dict(normalize=True, value_range=(0.2, 0.8)),
         dict(nrow=10, padding=0)]


@pytest.mark.parametrize("kw", CASES)
@pytest.mark.parametrize("shape", [(5, 3, 4, 6), (3, 1, 4, 4), (1, 3, 5, 5), (2, 7)])
def test_make_grid(kw, shape):
    a = np.random.RandomState(0).rand(*shape).astype(np.float32) * 3 - 1
    ref = ref_grid(torch.from_numpy(a), **kw)
    assert_same(vutils.make_grid(ember.from_numpy(a.copy()), **kw), ref)


def test_make_grid_list_and_errors():
    imgs = [ember.rand(3, 4, 4) for _ in range(3)]
    ref = ref_grid([torch.from_numpy(i.numpy()) for i in imgs])
    assert_same(vutils.make_grid(imgs), ref)
    with pytest.raises(TypeError, match="tensor or list of tensors expected, got <class 'int'>"):
        vutils.make_grid(3)
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        vutils.make_grid(ember.rand(2, 3, 4, 4), normalize=True, value_range=[0, 1])


def test_save_image_roundtrip(tmp_path):
    a = np.random.RandomState(1).rand(4, 3, 5, 6).astype(np.float32)
    vutils.save_image(ember.from_numpy(a), tmp_path / "g.png", nrow=2)
    grid = ref_grid(torch.from_numpy(a), nrow=2)
    ref = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()
    with Image.open(tmp_path / "g.png") as img:
        np.testing.assert_array_equal(np.asarray(img), ref)


def test_tensors_work_with_matplotlib(tmp_path):
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt
    img = vutils.make_grid(ember.rand(4, 3, 8, 8))
    img = img / 2 + 0.5
    npimg = img.numpy()
    plt.imshow(np.transpose(npimg, (1, 2, 0)))
    a = ember.linspace(0., 2 * math.pi, steps=25, requires_grad=True)
    b = ember.sin(a)
    plt.plot(a.detach(), b.detach())
    plt.savefig(tmp_path / "fig.png")
    plt.close("all")
    assert (tmp_path / "fig.png").stat().st_size > 0
