"""ember.vision.io: small images written here with Pillow, decoded by ember and compared with
Pillow's own decoding and with torchvision's conversion rules (checked once against
torchvision 0.29: PNG RGB->GRAY is libpng's truncating 9794/19234/3740 sum, JPEG GRAY is the
decoder's luma plane, a missing alpha is 255, UNCHANGED keeps palette indices)."""
import io

import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision import io as vio
from ember.vision.io import ImageReadMode as RM

pytestmark = pytest.mark.filterwarnings("ignore:The image decoding and encoding capabilities"
                                        ":DeprecationWarning")
RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (9, 11, 3), dtype=np.uint8)
RGBA = RNG.integers(0, 256, (9, 11, 4), dtype=np.uint8)
GRAY = RNG.integers(0, 256, (9, 11), dtype=np.uint8)
LA = RNG.integers(0, 256, (9, 11, 2), dtype=np.uint8)


def encoded(a, mode, fmt="PNG", **kw):
    b = io.BytesIO()
    Image.fromarray(a, mode).save(b, fmt, **kw)
    return b.getvalue()


def as_tensor(data):
    return ember.tensor(np.frombuffer(data, dtype=np.uint8).copy())


def chw(a):
    a = a[:, :, None] if a.ndim == 2 else a
    return a.transpose(2, 0, 1)


def libpng_gray(rgb):
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return ((9794 * r + 19234 * g + 3740 * b) >> 15).astype(np.uint8)


def check(t, want):
    assert isinstance(t, ember.Tensor) and t.dtype == ember.uint8
    np.testing.assert_array_equal(t.numpy(), want)


def test_png_modes():
    rgb, rgba, gray, la = (as_tensor(encoded(RGB, "RGB")), as_tensor(encoded(RGBA, "RGBA")),
                           as_tensor(encoded(GRAY, "L")), as_tensor(encoded(LA, "LA")))
    opaque = np.full(GRAY.shape, 255, np.uint8)
    check(vio.decode_png(rgb), chw(RGB))
    check(vio.decode_png(rgb, RM.GRAY), libpng_gray(RGB)[None])
    check(vio.decode_png(rgb, RM.GRAY_ALPHA), np.stack([libpng_gray(RGB), opaque]))
    check(vio.decode_png(rgb, RM.RGB_ALPHA), np.concatenate([chw(RGB), opaque[None]]))
    check(vio.decode_png(rgba), chw(RGBA))
    check(vio.decode_png(rgba, "rgb"), chw(RGBA[..., :3]))
    check(vio.decode_png(rgba, RM.GRAY_ALPHA), np.stack([libpng_gray(RGBA), RGBA[..., 3]]))
    check(vio.decode_png(rgba, RM.RGBA), chw(RGBA))
    check(vio.decode_png(gray), GRAY[None])
    check(vio.decode_png(gray, RM.RGB), np.stack([GRAY] * 3))
    check(vio.decode_png(la), chw(LA))
    check(vio.decode_png(la, RM.GRAY), LA[None, :, :, 0])
    check(vio.decode_png(la, RM.RGB_ALPHA), np.stack([LA[..., 0]] * 3 + [LA[..., 1]]))
    # palette: indices unchanged, colours on request; 1-bit: 0 / 255
    pal = Image.fromarray(RGB).quantize(200)
    b = io.BytesIO()
    pal.save(b, "PNG")
    check(vio.decode_png(as_tensor(b.getvalue())), np.asarray(pal)[None])
    check(vio.decode_png(as_tensor(b.getvalue()), RM.RGB), chw(np.asarray(pal.convert("RGB"))))
    bw = RNG.integers(0, 2, (5, 7)).astype(bool)
    b = io.BytesIO()
    Image.fromarray(bw).save(b, "PNG")
    check(vio.decode_png(as_tensor(b.getvalue())), np.where(bw, 255, 0).astype(np.uint8)[None])
    # 16-bit gray keeps its depth as uint16
    a16 = RNG.integers(0, 65536, (4, 3), dtype=np.uint16)
    b = io.BytesIO()
    Image.fromarray(a16).save(b, "PNG")
    t = vio.decode_png(as_tensor(b.getvalue()))
    assert t.dtype == ember.uint16 and t.shape == (1, 4, 3)
    np.testing.assert_array_equal(t.numpy()[0], a16)


def test_jpeg_modes():
    data = encoded(RGB, "RGB", "JPEG", quality=90)
    pil = Image.open(io.BytesIO(data))
    check(vio.decode_jpeg(as_tensor(data)), chw(np.asarray(pil)))
    luma = Image.open(io.BytesIO(data))
    luma.draft("L", luma.size)
    check(vio.decode_jpeg(as_tensor(data), RM.GRAY), np.asarray(luma)[None])
    check(vio.decode_image(as_tensor(data), "RGB"), chw(np.asarray(pil)))
    gdata = encoded(GRAY, "L", "JPEG", quality=90)
    gpil = np.asarray(Image.open(io.BytesIO(gdata)))
    check(vio.decode_jpeg(as_tensor(gdata)), gpil[None])
    check(vio.decode_jpeg(as_tensor(gdata), RM.RGB), np.stack([gpil] * 3))
    outs = vio.decode_jpeg([as_tensor(data), as_tensor(gdata)])
    assert [tuple(o.shape) for o in outs] == [(3, 9, 11), (1, 9, 11)]
    with pytest.raises(RuntimeError, match="^The provided mode is not supported for JPEG files$"):
        vio.decode_jpeg(as_tensor(data), RM.RGB_ALPHA)


def test_files_and_encoders(tmp_path):
    img = ember.tensor(chw(RGB).copy())
    vio.write_png(img, str(tmp_path / "a.png"))
    check(vio.read_image(str(tmp_path / "a.png")), chw(RGB))
    check(vio.read_image(tmp_path / "a.png", RM.GRAY), libpng_gray(RGB)[None])
    raw = vio.read_file(str(tmp_path / "a.png"))
    assert raw.dtype == ember.uint8 and raw.dim() == 1
    assert bytes(raw.numpy()) == (tmp_path / "a.png").read_bytes()
    vio.write_file(str(tmp_path / "copy.png"), raw)
    assert (tmp_path / "copy.png").read_bytes() == (tmp_path / "a.png").read_bytes()
    # JPEG: Pillow's encoder at the same quality (torchvision's libjpeg gives the same bytes)
    enc = vio.encode_jpeg(img, quality=80)
    assert bytes(enc.numpy()) == encoded(RGB, "RGB", "JPEG", quality=80)
    vio.write_jpeg(ember.tensor(GRAY[None].copy()), str(tmp_path / "g.jpg"), quality=95)
    back = vio.read_image(str(tmp_path / "g.jpg"))
    assert back.shape == (1, 9, 11)
    assert np.abs(back.numpy()[0].astype(int) - GRAY).mean() < 8
    assert len(vio.encode_jpeg([img, img])) == 2
    # GIF and WebP through decode_image
    check(vio.decode_image(as_tensor(encoded(RGB, "RGB", "GIF"))),
          chw(np.asarray(Image.open(io.BytesIO(encoded(RGB, "RGB", "GIF"))).convert("RGB"))))
    webp = encoded(RGB, "RGB", "WEBP", lossless=True)
    check(vio.decode_image(as_tensor(webp)), chw(RGB))


def test_errors():
    png = as_tensor(encoded(RGB, "RGB"))
    with pytest.raises(RuntimeError, match="^Content is not png!$"):
        vio.decode_png(as_tensor(encoded(RGB, "RGB", "JPEG")))
    with pytest.raises(RuntimeError, match="^Not a JPEG file: starts with 0x89 0x50$"):
        vio.decode_jpeg(png)
    with pytest.raises(RuntimeError, match="^Unsupported image file. Only jpeg, png, webp and "
                                           "gif are currently supported."):
        vio.decode_image(ember.arange(12).to(ember.uint8))
    with pytest.raises(RuntimeError, match="^Input tensor must have uint8 data type, got Float$"):
        vio.decode_png(png.float())
    with pytest.raises(RuntimeError, match="^Input tensor must be 1-dimensional and non-empty, "
                                           "got 2 dims  and"):
        vio.decode_png(png.reshape(1, -1))
    with pytest.raises(RuntimeError, match="No such file or directory: '/nonexistent/x.png'$"):
        vio.read_file("/nonexistent/x.png")
    with pytest.raises(RuntimeError, match="^The number of channels should be 1 or 3, got: 2$"):
        vio.encode_png(ember.zeros(2, 5, 7, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="^Input tensor dtype should be uint8$"):
        vio.encode_jpeg(ember.zeros(3, 5, 7))
    with pytest.raises(RuntimeError, match="^Input data should be a 3-dimensional tensor$"):
        vio.encode_png(ember.zeros(5, 7, dtype=ember.uint8))
    with pytest.raises(ValueError, match="^Image quality should be a positive number between 1 "
                                         "and 100$"):
        vio.encode_jpeg(ember.zeros(3, 5, 7, dtype=ember.uint8), 0)
    with pytest.raises(NotImplementedError, match="AVIF and HEIC"):
        vio.decode_avif(png)


@pytest.mark.filterwarnings("default")
def test_deprecation_warning_as_torchvision_0_29():
    with pytest.warns(DeprecationWarning, match="^The image decoding and encoding capabilities "
                                                "of TorchVision are deprecated since torchvision"):
        vio.decode_png(as_tensor(encoded(GRAY, "L")))
    assert ember.vision.io is vio and vio.ImageReadMode.RGBA is RM.RGB_ALPHA
