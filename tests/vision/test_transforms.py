"""ember.vision.transforms against references computed by hand: Pillow for PIL images,
torch/NumPy for tensor images (torchvision's formulas written out), and torch's own generator for
the random parameters (ember's generator is torch's, so the same seed gives the same draws).
Reprs are torchvision 0.29's, checked by hand."""
import math
import random

import numpy as np
import pytest
import torch
from oracle import assert_same
from PIL import Image, ImageEnhance, ImageOps

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F

rng = np.random.RandomState(0)
RGB = Image.fromarray(rng.randint(0, 256, (13, 17, 3), dtype=np.uint8))
GRAY = Image.fromarray(rng.randint(0, 256, (11, 9), dtype=np.uint8))
SEED_MEAN, SEED_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def same_pil(a, b):
    assert isinstance(a, Image.Image) and a.mode == b.mode and a.size == b.size
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def torch_tensor(img):
    """torchvision's to_tensor written out with torch."""
    a = np.asarray(img)
    a = a[:, :, None] if a.ndim == 2 else a
    return torch.from_numpy(a.transpose(2, 0, 1).copy()).float().div(255)


# ---- conversions ------------------------------------------------------------------------------

@pytest.mark.parametrize("img", [RGB, GRAY, RGB.convert("RGBA"), GRAY.convert("1")])
def test_to_tensor(img):
    ref = torch_tensor(img) if img.mode != "1" else \
        torch.from_numpy(np.asarray(img)[None].astype(np.uint8) * 255).float().div(255)
    assert_same(T.ToTensor()(img), ref, rtol=0, atol=0)
    assert_same(F.to_tensor(np.asarray(img)), torch_tensor(img) if img.mode != "1"
                else torch.from_numpy(np.asarray(img)[None].copy()))


def test_to_tensor_other_modes_and_errors():
    f = Image.fromarray(rng.rand(3, 4).astype(np.float32))
    assert_same(F.to_tensor(f), torch.from_numpy(np.asarray(f)[None].copy()))
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray. Got <class 'list'>"):
        F.to_tensor([1])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions."):
        F.to_tensor(np.zeros(3))


def test_pil_to_tensor_and_back():
    t = T.PILToTensor()(RGB)
    assert t.dtype == ember.uint8 and tuple(t.shape) == (3, 13, 17)
    np.testing.assert_array_equal(t.numpy(), np.asarray(RGB).transpose(2, 0, 1))
    same_pil(T.ToPILImage()(t), RGB)
    same_pil(F.to_pil_image(F.to_tensor(RGB)), RGB)
    same_pil(F.to_pil_image(F.to_tensor(GRAY)), GRAY)
    x = ember.rand(3, 4, 5)
    expect = (x.numpy().transpose(1, 2, 0) * 255).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(F.to_pil_image(x)), expect)
    assert F.to_pil_image(ember.rand(1, 4, 5), mode="F").mode == "F"
    assert F.to_pil_image(ember.zeros(2, 3, 3, dtype=ember.uint8)).mode == "LA"
    with pytest.raises(ValueError, match=r"Only modes \['RGB', 'YCbCr', 'HSV'\] are supported"):
        F.to_pil_image(ember.zeros(3, 2, 2), mode="L")
    with pytest.raises(TypeError, match="pic should be Tensor or ndarray"):
        F.to_pil_image([1])


@pytest.mark.parametrize("src,dst", [("uint8", "float32"), ("uint8", "float64"),
                                     ("float32", "uint8"), ("uint8", "int32"),
                                     ("int32", "uint8"), ("float64", "int16")])
def test_convert_image_dtype(src, dst):
    a = rng.randint(0, 200, (3, 4, 5)) if "int" in src else rng.rand(3, 4, 5)
    t = torch.from_numpy(a.astype(src))
    e = ember.from_numpy(a.astype(src))
    tdt, edt = getattr(torch, dst), getattr(ember, dst)
    # torchvision's formulas, by hand
    if src.startswith("float") and dst.startswith("float"):
        ref = t.to(tdt)
    elif src.startswith("float"):
        ref = t.mul(float(torch.iinfo(tdt).max) + 1.0 - 1e-3).to(tdt)
    elif dst.startswith("float"):
        ref = t.to(tdt) / float(torch.iinfo(t.dtype).max)
    else:
        imax, omax = torch.iinfo(t.dtype).max, torch.iinfo(tdt).max
        if imax > omax:
            ref = torch.div(t, (imax + 1) // (omax + 1), rounding_mode="floor").to(tdt)
        else:
            ref = t.to(tdt) * ((omax + 1) // (imax + 1))
    assert_same(T.ConvertImageDtype(edt)(e), ref)
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(ember.zeros(1, 2, 2), ember.int64)


# ---- Normalize (the seed's constants) ---------------------------------------------------------

@pytest.mark.parametrize("mean,std", [(SEED_MEAN, SEED_STD), ((0.5,) * 3, (0.5,) * 3)])
def test_normalize_seed_constants(mean, std):
    x = torch_tensor(RGB)
    ref = (x - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    tr = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
    assert_same(tr(RGB), ref, rtol=0, atol=0)
    e = ember.from_numpy(x.numpy().copy())
    out = F.normalize(e, mean, std, inplace=True)
    assert out is e
    assert_same(e, ref, rtol=0, atol=0)


def test_normalize_keeps_autograd_and_errors():
    x = ember.rand(3, 2, 2, requires_grad=True)
    F.normalize(x, (0.5,) * 3, (0.25,) * 3).sum().backward()
    assert_same(x.grad, torch.full((3, 2, 2), 4.0))
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got "
                                        "torch.uint8."):
        F.normalize(ember.zeros(3, 2, 2, dtype=ember.uint8), (0,), (1,))
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to "
                                         "torch.float32, leading to division by zero."):
        F.normalize(ember.zeros(3, 2, 2), (0,) * 3, (1, 0, 1))
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size "
                                         r"\(\.\.\., C, H, W\). Got tensor.size\(\) = "
                                         r"torch.Size\(\[2, 2\]\)"):
        F.normalize(ember.zeros(2, 2), (0,), (1,))
    with pytest.raises(TypeError, match="img should be Tensor Image. Got"):
        F.normalize(RGB, (0,), (1,))


# ---- geometry ---------------------------------------------------------------------------------

@pytest.mark.parametrize("size,expect_wh", [((7, 23), (23, 7)), (5, (6, 5)), ([20], (26, 20)),
                                            (13, None)])
@pytest.mark.parametrize("interp,pil", [(T.InterpolationMode.BILINEAR, Image.BILINEAR),
                                        (T.InterpolationMode.NEAREST, Image.NEAREST),
                                        (T.InterpolationMode.BICUBIC, Image.BICUBIC),
                                        (T.InterpolationMode.LANCZOS, Image.LANCZOS),
                                        (2, Image.BILINEAR)])
def test_resize_pil(size, expect_wh, interp, pil):
    out = T.Resize(size, interpolation=interp)(RGB)
    if expect_wh is None:                  # already the requested size: the same image
        assert out is RGB
    else:
        same_pil(out, RGB.resize(expect_wh, pil))


def test_resize_max_size_and_errors():
    same_pil(F.resize(RGB, 10, max_size=12), RGB.resize((12, 9), Image.BILINEAR))
    with pytest.raises(ValueError, match="max_size = 10 must be strictly greater"):
        F.resize(RGB, 10, max_size=10)
    with pytest.raises(TypeError, match="Size should be int or sequence. Got <class 'float'>"):
        T.Resize(2.5)
    with pytest.raises(ValueError, match="If size is a sequence, it should have 1 or 2 values"):
        T.Resize((1, 2, 3))
    with pytest.warns(UserWarning, match="Anti-alias option is always applied for PIL Image"):
        F.resize(RGB, 5, antialias=False)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest"])
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("size", [(7, 23), (5, 6), (30, 12)])
def test_resize_tensor_is_torch_interpolate(mode, antialias, size):
    x = torch_tensor(RGB)
    aa = antialias and mode != "nearest"
    ref = torch.nn.functional.interpolate(x[None], size=size, mode=mode, antialias=aa,
                                          align_corners=None if mode == "nearest" else False)[0]
    imode = T.InterpolationMode(mode)
    out = T.Resize(size, interpolation=imode, antialias=antialias)(ember.from_numpy(x.numpy()))
    assert_same(out, ref, atol=2e-6, rtol=0)
    # uint8 images: computed in float32, rounded back (allow one step on a tie)
    u = torch.from_numpy(np.asarray(RGB).transpose(2, 0, 1).copy())
    ref8 = torch.nn.functional.interpolate(u[None].float(), size=size, mode=mode, antialias=aa,
                                           align_corners=None if mode == "nearest" else False)[0]
    if mode == "bicubic":
        ref8 = ref8.clamp(0, 255)
    ref8 = ref8.round().to(torch.uint8)
    out8 = F.resize(ember.from_numpy(u.numpy()), list(size), imode, antialias=antialias)
    assert out8.dtype == ember.uint8
    assert np.abs(out8.numpy().astype(int) - ref8.numpy().astype(int)).max() <= 1


@pytest.mark.parametrize("size", [8, (5, 9), (20, 21), [13]])
def test_center_crop(size):
    h, w = (size, size) if isinstance(size, int) else (size * 2 if len(size) == 1 else size)
    img = RGB
    if h > 13 or w > 17:
        pl, pt = max(w - 17, 0) // 2, max(h - 13, 0) // 2
        pr, pb = (max(w - 17, 0) + 1) // 2, (max(h - 13, 0) + 1) // 2
        img = ImageOps.expand(RGB, border=(pl, pt, pr, pb), fill=(0, 0, 0))
    top, left = int(round((img.height - h) / 2.0)), int(round((img.width - w) / 2.0))
    ref = img.crop((left, top, left + w, top + h))
    same_pil(T.CenterCrop(size)(RGB), ref)
    np.testing.assert_array_equal(T.CenterCrop(size)(F.pil_to_tensor(RGB)).numpy(),
                                  np.asarray(ref).transpose(2, 0, 1))


@pytest.mark.parametrize("padding,mode", [(3, "constant"), ((1, 2), "edge"),
                                          ((1, 2, 3, 4), "reflect"), ([2], "symmetric"),
                                          ((-1, 2, 1, -2), "edge")])
def test_pad(padding, mode):
    fill = (1, 2, 3)
    out = T.Pad(padding, fill=fill, padding_mode=mode)(RGB)
    p = [padding] * 4 if isinstance(padding, int) else (
        padding * 4 if len(padding) == 1 else (list(padding) * 2 if len(padding) == 2
                                               else list(padding)))
    l, t, r, b = p
    if mode == "constant":
        ref = ImageOps.expand(RGB, border=tuple(padding) if isinstance(padding, tuple)
                              else padding, fill=fill)
        same_pil(out, ref)
    else:
        a = np.asarray(RGB)[max(-t, 0):13 - max(-b, 0), max(-l, 0):17 - max(-r, 0)]
        ref = np.pad(a, ((max(t, 0), max(b, 0)), (max(l, 0), max(r, 0)), (0, 0)), mode)
        np.testing.assert_array_equal(np.asarray(out), ref)
        tout = F.pad(F.pil_to_tensor(RGB), list(padding) if not isinstance(padding, int)
                     else padding, padding_mode=mode)
        np.testing.assert_array_equal(tout.numpy(), ref.transpose(2, 0, 1))
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, "
                                         "not a 3 element tuple"):
        T.Pad((1, 2, 3))
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect "
                                         "or symmetric"):
        T.Pad(1, padding_mode="wrap")


@pytest.mark.parametrize("kw", [dict(size=9, padding=2), dict(size=(20, 20), pad_if_needed=True,
                                                              fill=7), dict(size=(13, 17))])
def test_random_crop_draws_like_torchvision(kw):
    ember.manual_seed(3)
    got = [T.RandomCrop(**kw)(RGB) for _ in range(4)]
    torch.manual_seed(3)
    th, tw = (kw["size"], kw["size"]) if isinstance(kw["size"], int) else kw["size"]
    for g in got:
        img = RGB
        if "padding" in kw:
            img = ImageOps.expand(img, border=kw["padding"], fill=(0, 0, 0))
        if kw.get("pad_if_needed"):
            img = ImageOps.expand(img, border=(th - 17, 0), fill=(7, 7, 7))
            img = ImageOps.expand(img, border=(0, th - 13), fill=(7, 7, 7))
        if (img.height, img.width) == (th, tw):
            i = j = 0
        else:
            i = torch.randint(0, img.height - th + 1, size=(1,)).item()
            j = torch.randint(0, img.width - tw + 1, size=(1,)).item()
        same_pil(g, img.crop((j, i, j + tw, i + th)))
    with pytest.raises(ValueError, match=r"Required crop size \(20, 20\) is larger than input "
                                         r"image size \(13, 17\)"):
        T.RandomCrop(20)(RGB)


@pytest.mark.parametrize("cls,pil_op,axis", [(T.RandomHorizontalFlip, Image.FLIP_LEFT_RIGHT, -1),
                                             (T.RandomVerticalFlip, Image.FLIP_TOP_BOTTOM, -2)])
def test_random_flips(cls, pil_op, axis):
    ember.manual_seed(11)
    t = cls(p=0.5)
    got = [t(RGB) for _ in range(8)]
    torch.manual_seed(11)
    for g in got:
        same_pil(g, RGB.transpose(pil_op) if torch.rand(1) < 0.5 else RGB)
    x = F.pil_to_tensor(RGB)
    np.testing.assert_array_equal(cls(p=1.0)(x).numpy(), np.flip(x.numpy(), axis))


def _rrc_params(h, w, scale, ratio):
    """torchvision's RandomResizedCrop.get_params, written out with torch."""
    area = h * w
    log_ratio = torch.log(torch.tensor(ratio))
    for _ in range(10):
        target = area * torch.empty(1).uniform_(scale[0], scale[1]).item()
        ar = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
        cw, ch = int(round(math.sqrt(target * ar))), int(round(math.sqrt(target / ar)))
        if 0 < cw <= w and 0 < ch <= h:
            return (torch.randint(0, h - ch + 1, size=(1,)).item(),
                    torch.randint(0, w - cw + 1, size=(1,)).item(), ch, cw)
    raise AssertionError("fallback not expected here")


def test_random_resized_crop():
    ember.manual_seed(5)
    t = T.RandomResizedCrop((6, 12), scale=(0.5, 1.0))
    got = [t(RGB) for _ in range(4)]
    torch.manual_seed(5)
    for g in got:
        i, j, h, w = _rrc_params(13, 17, (0.5, 1.0), (3 / 4, 4 / 3))
        same_pil(g, RGB.crop((j, i, j + w, i + h)).resize((12, 6), Image.BILINEAR))
    # a ratio no crop can have: the fallback centre crop
    i, j, h, w = T.RandomResizedCrop.get_params(RGB, (0.9, 1.0), (10.0, 11.0))
    assert (i, j, h, w) == ((13 - 2) // 2, 0, 2, 17)


def test_random_rotation():
    ember.manual_seed(2)
    t = T.RandomRotation((10, 50), expand=True, fill=5)
    got = [t(RGB) for _ in range(3)]
    torch.manual_seed(2)
    for g in got:
        angle = float(torch.empty(1).uniform_(10.0, 50.0).item())
        same_pil(g, RGB.rotate(angle, Image.NEAREST, True, None, fillcolor=(5, 5, 5)))
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive."):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match="degrees should be a sequence of length 2."):
        T.RandomRotation([1, 2, 3])


def test_rotate_tensor():
    x = ember.arange(16.).reshape(1, 4, 4)
    np.testing.assert_array_equal(F.rotate(x, 90.0).numpy(), np.rot90(x.numpy(), 1, (1, 2)))
    # torchvision 0.29's output for this case (its sampling grid, recorded by hand)
    ref = [[4, 4, 14, 14, 0], [4, 4, 14, 14, 0], [2, 2, 12, 12, 0], [2, 2, 12, 12, 0],
           [0, 0, 10, 10, 0], [0, 0, 10, 10, 0]]
    out = F.rotate(ember.arange(20.).reshape(1, 4, 5), 90.0, expand=True)
    np.testing.assert_array_equal(out.numpy()[0], ref)


def test_color_jitter():
    ember.manual_seed(9)
    t = T.ColorJitter(0.4, 0.4, 0.4, 0.1)
    got = [t(RGB) for _ in range(3)]
    torch.manual_seed(9)
    for g in got:
        order = torch.randperm(4).tolist()
        fs = [float(torch.empty(1).uniform_(a, b)) for a, b in
              [(0.6, 1.4), (0.6, 1.4), (0.6, 1.4), (-0.1, 0.1)]]
        img = RGB
        for k in order:
            if k == 3:
                h, s, v = img.convert("HSV").split()
                nh = (np.asarray(h).astype(np.int64) + int(fs[3] * 255)) % 256
                img = Image.merge("HSV", (Image.fromarray(nh.astype(np.uint8)), s, v)) \
                    .convert("RGB")
            else:
                enh = (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color)[k]
                img = enh(img).enhance(fs[k])
        same_pil(g, img)
    with pytest.raises(ValueError, match=r"hue values should be between \(-0.5, 0.5\), but got "
                                         r"\[-0.7, 0.7\]."):
        T.ColorJitter(hue=0.7)
    assert T.ColorJitter(brightness=0).brightness is None


def test_color_adjust_tensors_follow_torchvision_formulas():
    u = torch.from_numpy(np.asarray(RGB).transpose(2, 0, 1).copy())
    e = ember.from_numpy(u.numpy().copy())
    gray = (0.2989 * u[0].float() + 0.587 * u[1].float() + 0.114 * u[2].float()).to(torch.uint8)

    def blend(a, b, r):
        return (r * a.float() + (1.0 - r) * b.float()).clamp(0, 255).to(torch.uint8)
    assert_same(F.adjust_brightness(e, 1.3), blend(u, torch.zeros_like(u), 1.3))
    assert_same(F.adjust_saturation(e, 0.4), blend(u, gray[None], 0.4))
    mean = gray.float().mean()
    assert_same(F.adjust_contrast(e, 1.7), blend(u, mean, 1.7))
    assert_same(F.rgb_to_grayscale(e), gray[None])
    assert_same(F.rgb_to_grayscale(e, 3), gray[None].expand(3, 13, 17))
    with pytest.raises(ValueError, match=r"brightness_factor \(-1\) is not non-negative."):
        F.adjust_brightness(e, -1)


@pytest.mark.parametrize("n", [1, 3])
def test_grayscale(n):
    ref = RGB.convert("L")
    if n == 3:
        a = np.asarray(ref)
        ref = Image.fromarray(np.dstack([a, a, a]))
    same_pil(T.Grayscale(n)(RGB), ref)
    ember.manual_seed(1)
    got = [T.RandomGrayscale(0.5)(RGB) for _ in range(6)]
    torch.manual_seed(1)
    for g in got:
        if torch.rand(1) < 0.5:
            a = np.asarray(RGB.convert("L"))
            same_pil(g, Image.fromarray(np.dstack([a, a, a])))
        else:
            assert g is RGB


def test_lambda_apply_choice_order():
    assert T.Lambda(lambda x: x + 1)(1) == 2
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)
    add1, dbl = T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 2)
    ember.manual_seed(4)
    got = [T.RandomApply([add1, dbl], p=0.5)(3) for _ in range(8)]
    torch.manual_seed(4)
    assert got == [3 if 0.5 < torch.rand(1) else 8 for _ in range(8)]
    random.seed(0)
    got = [T.RandomChoice([add1, dbl], p=[0.3, 0.7])(5) for _ in range(8)]
    random.seed(0)
    assert got == [random.choices([6, 10], weights=[0.3, 0.7])[0] for _ in range(8)]
    random.seed(1)
    got = [T.RandomOrder([add1, dbl])(5) for _ in range(8)]
    random.seed(1)
    ref = []
    for _ in range(8):
        order = [0, 1]
        random.shuffle(order)
        ref.append((5 + 1) * 2 if order == [0, 1] else 5 * 2 + 1)
    assert got == ref


def test_random_erasing():
    x = F.to_tensor(RGB)
    ember.manual_seed(3)
    got = [T.RandomErasing(p=1.0, value=(0.1, 0.2, 0.3))(x) for _ in range(3)]
    torch.manual_seed(3)
    tx = torch_tensor(RGB)
    for g in got:
        assert torch.rand(1) < 1.0
        log_ratio = torch.log(torch.tensor((0.3, 3.3)))
        for _ in range(10):
            area = 13 * 17 * torch.empty(1).uniform_(0.02, 0.33).item()
            ar = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
            h, w = int(round(math.sqrt(area * ar))), int(round(math.sqrt(area / ar)))
            if h < 13 and w < 17:
                break
        i = torch.randint(0, 13 - h + 1, size=(1,)).item()
        j = torch.randint(0, 17 - w + 1, size=(1,)).item()
        ref = tx.clone()
        ref[:, i:i + h, j:j + w] = torch.tensor([0.1, 0.2, 0.3])[:, None, None]
        assert_same(g, ref)
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.erase(RGB, 0, 0, 1, 1, 0)
    with pytest.raises(AttributeError):     # torchvision fails the same way on a PIL image
        T.RandomErasing(p=1.0)(RGB)
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        T.RandomErasing(value="x")


def test_gaussian_blur_tensor_and_pil():
    x = torch_tensor(RGB)
    ks, sigma = (5, 3), (1.1, 0.7)

    def k1(n, s):
        t = torch.linspace(-(n - 1) * 0.5, (n - 1) * 0.5, steps=n)
        p = torch.exp(-0.5 * (t / s).pow(2))
        return p / p.sum()
    kernel = torch.mm(k1(ks[1], sigma[1])[:, None], k1(ks[0], sigma[0])[None, :])
    pad = torch.nn.functional.pad(x[None], [2, 2, 1, 1], mode="reflect")
    ref = torch.nn.functional.conv2d(pad, kernel.expand(3, 1, 3, 5), groups=3)[0]
    out = F.gaussian_blur(ember.from_numpy(x.numpy()), list(ks), list(sigma))
    assert_same(out, ref, atol=1e-6, rtol=0)
    ref8 = np.round(ref.numpy() * 0 + torch.nn.functional.conv2d(
        torch.nn.functional.pad(F_u8(RGB)[None], [2, 2, 1, 1], mode="reflect"),
        kernel.expand(3, 1, 3, 5), groups=3)[0].numpy())
    got = np.asarray(F.gaussian_blur(RGB, list(ks), list(sigma))).transpose(2, 0, 1)
    assert np.abs(got.astype(int) - ref8.astype(int)).max() <= 1
    ember.manual_seed(0)
    s = T.GaussianBlur(3).get_params(0.1, 2.0)
    torch.manual_seed(0)
    assert s == torch.empty(1).uniform_(0.1, 2.0).item()
    with pytest.raises(ValueError, match="Kernel size value should be an odd and positive"):
        T.GaussianBlur(4)


def F_u8(img):
    return torch.from_numpy(np.asarray(img).transpose(2, 0, 1).copy()).float()


def test_small_pil_ops_are_pillow():
    same_pil(F.invert(RGB), ImageOps.invert(RGB))
    same_pil(F.posterize(RGB, 3), ImageOps.posterize(RGB, 3))
    same_pil(F.solarize(RGB, 100), ImageOps.solarize(RGB, 100))
    same_pil(F.autocontrast(RGB), ImageOps.autocontrast(RGB))
    same_pil(F.equalize(RGB), ImageOps.equalize(RGB))
    same_pil(F.adjust_sharpness(RGB, 2.0), ImageEnhance.Sharpness(RGB).enhance(2.0))
    tl, tr, bl, br, c = F.five_crop(RGB, 5)
    same_pil(br, RGB.crop((12, 8, 17, 13)))
    u = F.pil_to_tensor(RGB)
    np.testing.assert_array_equal(F.invert(u).numpy(), 255 - u.numpy())
    np.testing.assert_array_equal(F.posterize(u, 3).numpy(), u.numpy() & 0b11100000)


REPRS = {
    "T.Compose([T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])":
        "Compose(\n    ToTensor()\n    Normalize(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))\n)",
    "T.Resize(20, interpolation=T.InterpolationMode.BICUBIC)":
        "Resize(size=20, interpolation=bicubic, max_size=None, antialias=True)",
    "T.CenterCrop(8)": "CenterCrop(size=(8, 8))",
    "T.Pad((1, 2, 3, 4), padding_mode='reflect')":
        "Pad(padding=(1, 2, 3, 4), fill=0, padding_mode=reflect)",
    "T.RandomCrop(9, padding=2)": "RandomCrop(size=(9, 9), padding=2)",
    "T.RandomHorizontalFlip()": "RandomHorizontalFlip(p=0.5)",
    "T.RandomResizedCrop(10)": "RandomResizedCrop(size=(10, 10), scale=(0.08, 1.0), "
                               "ratio=(0.75, 1.3333), interpolation=bilinear, antialias=True)",
    "T.RandomRotation((10, 50), expand=True, fill=5)":
        "RandomRotation(degrees=[10.0, 50.0], interpolation=nearest, expand=True, fill=5)",
    "T.ColorJitter(0.4, 0.4, 0.4, 0.1)":
        "ColorJitter(brightness=(0.6, 1.4), contrast=(0.6, 1.4), saturation=(0.6, 1.4), "
        "hue=(-0.1, 0.1))",
    "T.Grayscale(3)": "Grayscale(num_output_channels=3)",
    "T.RandomGrayscale(0.5)": "RandomGrayscale(p=0.5)",
    "T.GaussianBlur(3)": "GaussianBlur(kernel_size=(3, 3), sigma=(0.1, 2.0))",
    "T.RandomErasing(1.0)": "RandomErasing(p=1.0, scale=(0.02, 0.33), ratio=(0.3, 3.3), "
                            "value=0, inplace=False)",
    "T.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=10)":
        "RandomAffine(degrees=[-20.0, 20.0], translate=(0.1, 0.2), scale=(0.8, 1.2), "
        "shear=[-10.0, 10.0])",
    "T.RandomApply([T.Grayscale()], p=0.3)":
        "RandomApply(\n    p=0.3\n    Grayscale(num_output_channels=1)\n)",
    "T.ToPILImage()": "ToPILImage()",
    "T.Lambda(abs)": "Lambda()",
    "T.RandomPosterize(3, 1.0)": "RandomPosterize(bits=3,p=1.0)",
    "T.ConvertImageDtype(ember.float32)": "ConvertImageDtype()",
}


@pytest.mark.parametrize("expr", list(REPRS))
def test_reprs_match_torchvision(expr):
    assert repr(eval(expr)) == REPRS[expr]
