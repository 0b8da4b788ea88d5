"""add_embedding: the projector files (tensors.tsv, metadata.tsv, sprite.png,
projector_config.pbtxt) match torch's writer byte for byte and parse as the projector reads
them."""
import os

import numpy as np
import pytest

import ember
from ember.utils.tensorboard import SummaryWriter

from .helpers import TorchSummaryWriter, needs_torch_writer, torch


def _files(root):
    out = {}
    for d, _dirs, files in os.walk(root):
        for f in files:
            if not f.startswith("events.out.tfevents"):
                p = os.path.join(d, f)
                with open(p, "rb") as fh:
                    out[os.path.relpath(p, root)] = fh.read()
    return out


def _log(T, w, data):
    mat, imgs, imgs8, labels = data
    w.add_embedding(T.from_numpy(mat), metadata=labels, label_img=T.from_numpy(imgs))
    w.add_embedding(T.from_numpy(mat[:5]),
                    metadata=[[i, f"l{i}"] for i in range(5)], metadata_header=["n", "name"],
                    tag='odd/tag "q" \u00e9%', global_step=3)
    w.add_embedding(mat[:4].astype(np.float64), global_step=12, tag="np")
    w.add_embedding(T.from_numpy(mat[:7]), label_img=T.from_numpy(imgs8[:7]), global_step=5)
    w.add_embedding(T.from_numpy(np.arange(6).reshape(3, 2)), metadata=["a", "b\tc", "d"],
                    global_step=6)


def _data():
    rng = np.random.default_rng(0)
    mat = rng.standard_normal((10, 4)).astype(np.float32)
    imgs = rng.random((10, 3, 5, 7)).astype(np.float32)
    imgs8 = rng.integers(0, 2, (10, 1, 6, 6), dtype=np.uint8)
    labels = [f"class{i % 3}" for i in range(10)]
    return mat, imgs, imgs8, labels


@needs_torch_writer
def test_projector_files_match_torch(tmp_path):
    data = _data()
    for name, T, W in (("ember", ember, SummaryWriter), ("torch", torch, TorchSummaryWriter)):
        with W(str(tmp_path / name)) as w:
            _log(T, w, data)
    e, t = _files(tmp_path / "ember"), _files(tmp_path / "torch")
    assert sorted(e) == sorted(t)
    for k in t:
        assert e[k] == t[k], k


def test_projector_files_content(tmp_path, capsys):
    from google.protobuf import text_format
    from PIL import Image
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig
    mat, imgs, _, labels = _data()
    with SummaryWriter(str(tmp_path)) as w:
        w.add_embedding(ember.from_numpy(mat), metadata=labels,
                        label_img=ember.from_numpy(imgs))
        w.add_embedding(ember.from_numpy(mat), metadata=labels)   # same step and tag again
    assert "Embedding dir exists" in capsys.readouterr().out
    cfg = text_format.Parse((tmp_path / "projector_config.pbtxt").read_text(), ProjectorConfig())
    assert [e.tensor_name for e in cfg.embeddings] == ["default:00000", "default:00000"]
    first = cfg.embeddings[0]
    assert first.tensor_path == "00000/default/tensors.tsv"
    assert first.metadata_path == "00000/default/metadata.tsv"
    assert first.sprite.image_path == "00000/default/sprite.png"
    assert list(first.sprite.single_image_dim) == [7, 5]
    assert text_format.MessageToString(cfg) == (tmp_path / "projector_config.pbtxt").read_text()
    values = np.loadtxt(tmp_path / "00000/default/tensors.tsv", delimiter="\t", dtype=np.float64)
    np.testing.assert_array_equal(values.astype(np.float32), mat)
    assert (tmp_path / "00000/default/metadata.tsv").read_text().split("\n")[:-1] == labels
    sprite = np.asarray(Image.open(tmp_path / "00000/default/sprite.png"))
    assert sprite.shape == (4 * 7, 4 * 7, 3)    # 10 images -> a 4 x 4 grid, made square
    expect = np.uint8((imgs[5].transpose(1, 2, 0) * 255).clip(0, 255))   # row 1, column 1
    np.testing.assert_array_equal(sprite[5:10, 7:14], expect)
    assert (sprite[3 * 5:] == 0).all()


def test_embedding_errors(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(AssertionError, match="#labels should equal with #data points"):
            w.add_embedding(ember.zeros(3, 2), metadata=["a"])
        with pytest.raises(AssertionError, match="#images should equal with #data points"):
            w.add_embedding(ember.zeros(3, 2), label_img=ember.zeros(2, 1, 2, 2), global_step=1)
        with pytest.raises(AssertionError, match="mat should be 2D"):
            w.add_embedding(ember.zeros(3), global_step=2)
        (tmp_path / "00009").mkdir()
        (tmp_path / "00009" / "default").write_text("x")
        with pytest.raises(NotADirectoryError, match="exists, but is a file"):
            w.add_embedding(ember.zeros(3, 2), global_step=9)
