"""ember.vision.datasets on small files the tests write in the real on-disk formats: a CIFAR
tar.gz of pickled batches (md5s patched in), IDX files (plain and .gz), an image folder, plus
corrupted and truncated versions that must fail with clear errors. FakeData against torch's
generator; Digits against the embedded CSV."""
import gzip
import hashlib
import os
import pickle
import tarfile

import numpy as np
import pytest
import torch
from oracle import assert_same
from PIL import Image

import ember
from ember.vision import datasets
from ember.vision import transforms as T
from ember.vision.datasets import utils as dutils


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def load_pickle(path):
    with open(path, "rb") as f:
        return pickle.load(f)


# ---- CIFAR ------------------------------------------------------------------------------------

def write_cifar(root, n_per_batch=3, hundred=False, archive=True, folder=True):
    """A tiny CIFAR-10 (or -100) in the real format; returns the md5 table to patch in."""
    rs = np.random.RandomState(1)
    base = "cifar-100-python" if hundred else "cifar-10-batches-py"
    names = ["train", "test"] if hundred else [f"data_batch_{i}" for i in range(1, 6)] + \
        ["test_batch"]
    tmp = root / "_build" / base
    tmp.mkdir(parents=True)
    for k, name in enumerate(names):
        data = rs.randint(0, 256, (n_per_batch, 3072), dtype=np.uint8)
        labels = [int(x) for x in rs.randint(0, 10, n_per_batch) + k % 2]
        entry = {"batch_label": name, "data": data,
                 ("fine_labels" if hundred else "labels"): labels}
        with open(tmp / name, "wb") as f:
            pickle.dump(entry, f)
    meta_name, key = ("meta", "fine_label_names") if hundred else ("batches.meta",
                                                                    "label_names")
    classes = [f"class{i}" for i in range(11)]
    with open(tmp / meta_name, "wb") as f:
        pickle.dump({key: classes}, f)
    table = {name: md5(tmp / name) for name in names}
    table["meta"] = md5(tmp / meta_name)
    fname = "cifar-100-python.tar.gz" if hundred else "cifar-10-python.tar.gz"
    with tarfile.open(root / "_build" / fname, "w:gz") as tar:
        tar.add(tmp, arcname=base)
    table["tgz"] = md5(root / "_build" / fname)
    if archive:
        os.replace(root / "_build" / fname, root / fname)
    if folder:
        os.replace(tmp, root / base)
    return table


@pytest.fixture
def cifar_cls(monkeypatch):
    """CIFAR10/100 subclasses whose md5 tables are those of the tiny files."""
    def make(table, hundred=False):
        base = datasets.CIFAR100 if hundred else datasets.CIFAR10
        attrs = dict(train_list=[[n, table[n]] for n, _ in base.train_list],
                     test_list=[[n, table[n]] for n, _ in base.test_list],
                     meta=dict(base.meta, md5=table["meta"]), tgz_md5=table["tgz"])
        return type(base.__name__, (base,), attrs)
    return make


def test_cifar10_reads_real_format(tmp_path, cifar_cls, capsys):
    table = write_cifar(tmp_path)
    C = cifar_cls(table)
    ds = C(str(tmp_path), train=True, transform=T.ToTensor(), target_transform=lambda y: y * 10)
    assert len(ds) == 15 and ds.data.shape == (15, 32, 32, 3) and ds.data.dtype == np.uint8
    raw = load_pickle(tmp_path / "cifar-10-batches-py" / "data_batch_2")
    np.testing.assert_array_equal(ds.data[3], raw["data"][0].reshape(3, 32, 32)
                                  .transpose(1, 2, 0))
    assert ds.targets[3:6] == raw["labels"]
    assert ds.classes[:2] == ["class0", "class1"] and ds.class_to_idx["class2"] == 2
    x, y = ds[3]
    assert tuple(x.shape) == (3, 32, 32) and y == raw["labels"][0] * 10
    assert_same(x, torch.from_numpy(raw["data"][0].reshape(3, 32, 32)).float() / 255)
    img, _ = C(str(tmp_path), train=False)[0]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32)
    assert repr(C(str(tmp_path), train=False)) == (
        f"Dataset CIFAR10\n    Number of datapoints: 3\n    Root location: {tmp_path}\n"
        "    Split: Test")
    C(str(tmp_path), download=True)
    assert capsys.readouterr().out == "Files already downloaded and verified\n"


def test_cifar100_fine_labels(tmp_path, cifar_cls):
    table = write_cifar(tmp_path, hundred=True)
    ds = cifar_cls(table, hundred=True)(str(tmp_path), train=True)
    raw = load_pickle(tmp_path / "cifar-100-python" / "train")
    assert ds.targets == raw["fine_labels"] and len(ds) == 3


def test_cifar_extracts_local_archive(tmp_path, cifar_cls, capsys):
    table = write_cifar(tmp_path, folder=False)
    ds = cifar_cls(table)(str(tmp_path), train=False, download=True)
    out = capsys.readouterr().out
    archive = os.path.join(str(tmp_path), "cifar-10-python.tar.gz")
    assert out == (f"Using downloaded and verified file: {archive}\n"
                   f"Extracting {archive} to {tmp_path}\n")
    assert len(ds) == 3


def test_cifar_download_from_a_local_server(tmp_path, cifar_cls, capsys):
    import functools
    import http.server
    import threading
    served = tmp_path / "served"
    served.mkdir()
    table = write_cifar(served, folder=False)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        C = cifar_cls(table)
        C.url = f"http://127.0.0.1:{server.server_address[1]}/cifar-10-python.tar.gz"
        root = tmp_path / "data"
        ds = C(str(root), train=True, download=True)
    finally:
        server.shutdown()
        server.server_close()
    out = capsys.readouterr().out.splitlines()
    archive = os.path.join(str(root), "cifar-10-python.tar.gz")
    assert out == [f"Downloading {C.url} to {archive}", f"Extracting {archive} to {root}"]
    assert len(ds) == 15 and md5(archive) == table["tgz"]


def test_cifar_offline_download_names_url_and_path(tmp_path, cifar_cls):
    table = write_cifar(tmp_path, archive=False, folder=False)
    C = cifar_cls(table)
    C.url = "http://127.0.0.1:9/cifar-10-python.tar.gz"   # nothing listens on port 9
    with pytest.raises(RuntimeError) as ei:
        C(str(tmp_path), download=True)
    msg = str(ei.value)
    assert "http://127.0.0.1:9/cifar-10-python.tar.gz" in msg
    assert str(tmp_path / "cifar-10-python.tar.gz") in msg and table["tgz"] in msg
    assert not list(tmp_path.glob("*.part"))
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted. You can use "
                                           "download=True to download it"):
        C(str(tmp_path))


def test_cifar_corrupted_and_truncated(tmp_path, cifar_cls):
    table = write_cifar(tmp_path)
    C = cifar_cls(table)
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    data = bytearray(batch.read_bytes())
    data[100] ^= 0xFF
    batch.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        C(str(tmp_path))
    # a truncated archive (whose md5 is what the table says) fails clearly when extracted
    os.remove(batch)
    arc = tmp_path / "cifar-10-python.tar.gz"
    arc.write_bytes(arc.read_bytes()[:2000])
    C2 = cifar_cls(dict(table, tgz=md5(arc)))
    with pytest.raises(RuntimeError, match="corrupted or truncated"):
        C2(str(tmp_path), download=True)
    # a batch that is not a pickle, with its md5 patched in
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    table = write_cifar(fresh)
    batch = fresh / "cifar-10-batches-py" / "data_batch_3"
    batch.write_bytes(b"not a pickle")
    C3 = cifar_cls(dict(table, data_batch_3=md5(batch)))
    with pytest.raises(RuntimeError, match="Could not read the CIFAR batch .*data_batch_3"):
        C3(str(fresh))


# ---- MNIST ------------------------------------------------------------------------------------

def idx_bytes(arr, ty=0x08):
    arr = np.asarray(arr)
    head = bytes([0, 0, ty, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_mnist(root, name="MNIST", n=6, gz=False):
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    rs = np.random.RandomState(2)
    out = {}
    for split, k in (("train", n), ("t10k", n // 2)):
        imgs = rs.randint(0, 256, (k, 5, 4), dtype=np.uint8)
        labels = rs.randint(0, 10, k).astype(np.uint8)
        for kind, arr in (("images-idx3", imgs), ("labels-idx1", labels)):
            path = raw / f"{split}-{kind}-ubyte"
            data = idx_bytes(arr)
            if gz:
                with gzip.open(str(path) + ".gz", "wb") as f:
                    f.write(data)
            else:
                path.write_bytes(data)
        out[split] = (imgs, labels)
    return out


@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST, datasets.KMNIST])
@pytest.mark.parametrize("gz", [False, True])
def test_mnist_family(tmp_path, cls, gz):
    ref = write_mnist(tmp_path, cls.__name__, gz=gz)
    ds = cls(str(tmp_path), train=True, target_transform=lambda y: -y)
    assert ds.data.dtype == ember.uint8 and tuple(ds.data.shape) == (6, 5, 4)
    assert ds.targets.dtype == ember.int64
    np.testing.assert_array_equal(ds.data.numpy(), ref["train"][0])
    img, y = ds[2]
    assert img.mode == "L" and img.size == (4, 5) and y == -int(ref["train"][1][2])
    np.testing.assert_array_equal(np.asarray(img), ref["train"][0][2])
    assert len(cls(str(tmp_path), train=False)) == 3
    assert ds.class_to_idx[ds.classes[3]] == 3 and len(ds.classes) == 10
    assert repr(ds).splitlines()[1:] == ["    Number of datapoints: 6",
                                         f"    Root location: {tmp_path}", "    Split: Train",
                                         "    StandardTransform",
                                         "Target transform: " + repr(ds.target_transform)]


def test_mnist_errors(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True"):
        datasets.MNIST(str(tmp_path))
    write_mnist(tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    f = raw / "train-images-idx3-ubyte"
    f.write_bytes(f.read_bytes()[:-7])
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte is truncated or corrupted: "
                                           r"its header promises shape \(6, 5, 4\)"):
        datasets.MNIST(str(tmp_path))
    f.write_bytes(b"\x12\x34\x08\x03" + b"\0" * 20)
    with pytest.raises(RuntimeError, match="is not an IDX file: bad magic number 12340803"):
        datasets.MNIST(str(tmp_path))
    f.write_bytes(idx_bytes(np.zeros((2, 3), np.int32), ty=0x0C))
    with pytest.raises(TypeError, match="x should be of dtype torch.uint8 instead of "
                                        "torch.int32"):
        datasets.MNIST(str(tmp_path))


def test_mnist_offline_download_error(tmp_path):
    class M(datasets.MNIST):
        mirrors = ["http://127.0.0.1:9/a/", "http://127.0.0.1:9/b/"]
    with pytest.raises(RuntimeError) as ei:
        M(str(tmp_path), download=True)
    msg = str(ei.value)
    assert msg.startswith("Error downloading train-images-idx3-ubyte.gz:\nTried "
                          "http://127.0.0.1:9/a/, got:\n")
    assert "Tried http://127.0.0.1:9/b/, got:" in msg


def test_idx_reader_dtypes(tmp_path):
    for ty, dt in ((0x0B, np.int16), (0x0D, np.float32), (0x0E, np.float64), (0x09, np.int8)):
        a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dt)
        p = tmp_path / f"x{ty}"
        p.write_bytes(idx_bytes(a, ty))
        t = datasets.mnist.read_sn3_pascalvincent_tensor(str(p))
        np.testing.assert_array_equal(t.numpy(), a)


# ---- image folders ----------------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path):
    rs = np.random.RandomState(3)

    def img(path, mode="RGB", fmt=None):
        path.parent.mkdir(parents=True, exist_ok=True)
        a = rs.randint(0, 256, (4, 6, 3) if mode == "RGB" else (4, 6), dtype=np.uint8)
        Image.fromarray(a).save(path, format=fmt)
        return a
    arrays = {"cat/b.png": img(tmp_path / "cat" / "b.png"),
              "cat/a.PNG": img(tmp_path / "cat" / "a.PNG"),
              "dog/x.bmp": img(tmp_path / "dog" / "x.bmp", "L"),
              "dog/sub/y.png": img(tmp_path / "dog" / "sub" / "y.png")}
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    (tmp_path / "README").write_text("top-level files are ignored")
    return tmp_path, arrays


def test_image_folder(folder):
    root, arrays = folder
    ds = datasets.ImageFolder(str(root), transform=T.PILToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    rel = [os.path.relpath(p, root) for p, _ in ds.samples]
    # torchvision's order: sorted(os.walk(...)) lists a folder's files before its sub-folders'
    assert rel == ["cat/a.PNG", "cat/b.png", "dog/x.bmp", "dog/sub/y.png"]
    assert ds.targets == [0, 0, 1, 1] and ds.imgs is ds.samples
    x, y = ds[2]
    g = arrays["dog/x.bmp"]
    np.testing.assert_array_equal(x.numpy(), np.stack([g, g, g]))   # loaded as RGB
    assert y == 1


def test_dataset_folder_options(folder):
    root, _ = folder
    ds = datasets.DatasetFolder(str(root), loader=lambda p: os.path.basename(p),
                                extensions=(".txt", ".bmp"), allow_empty=True)
    assert [s for s, _ in ds] == ["notes.txt", "x.bmp"]
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes cat. "
                                                "Supported extensions are: .txt, .bmp"):
        datasets.DatasetFolder(str(root), loader=str, extensions=(".txt", ".bmp"))
    ok = datasets.ImageFolder(str(root), is_valid_file=lambda p: p.endswith("b.png"),
                              allow_empty=True)
    assert len(ok) == 1
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None or "
                                         "not None at the same time"):
        datasets.DatasetFolder(str(root), loader=str)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        datasets.ImageFolder(str(root / "cat"))


def test_corrupted_image_names_the_file(folder):
    root, _ = folder
    bad = root / "cat" / "c.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    ds = datasets.ImageFolder(str(root))
    with pytest.raises(OSError, match="c.png"):
        ds[2]
    good = root / "cat" / "b.png"
    good.write_bytes(good.read_bytes()[:60])          # truncated PNG
    with pytest.raises(OSError, match="b.png"):
        ds[1]


# ---- FakeData and Digits ----------------------------------------------------------------------

def test_fakedata_matches_torch_generator():
    ds = datasets.FakeData(size=5, image_size=(3, 6, 5), num_classes=7, random_offset=3)
    ember.manual_seed(99)
    got = [ds[i] for i in range(5)]
    after = ember.rand(1).item()
    torch.manual_seed(99)
    for i, (img, y) in enumerate(got):
        state = torch.get_rng_state()
        torch.manual_seed(i + 3)
        x = torch.randn(3, 6, 5)
        target = torch.randint(0, 7, size=(1,), dtype=torch.long)[0]
        torch.set_rng_state(state)
        ref = (x.permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        np.testing.assert_array_equal(np.asarray(img), ref)
        assert y == target.item()
    assert after == torch.rand(1).item()       # the global stream is untouched
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[5]


def test_digits_embedded_dataset():
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    assert len(train) == 1438 and len(test) == 359
    here = os.path.dirname(datasets.digits.__file__)
    with gzip.open(os.path.join(here, "..", "_data", "digits.csv.gz")) as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.int64)
    assert rows.shape == (1797, 65)
    np.testing.assert_array_equal(test.data[0], ((rows[4, :64] * 255 + 8) // 16)
                                  .reshape(8, 8))
    assert test.targets[:3] == rows[[4, 9, 14], 64].tolist()
    assert train.targets[:4] == rows[[0, 1, 2, 3], 64].tolist()
    assert sorted(set(train.targets)) == list(range(10)) and train.classes[7] == "7"
    img, y = train[0]
    assert img.mode == "L" and img.size == (8, 8) and y == rows[0, 64]
    assert int(train.data.max()) == 255 and int(train.data.min()) == 0
    assert os.path.isfile(os.path.join(here, "..", "_data", "CREDITS.md"))
    with pytest.raises(ValueError, match="split should be an integer >= 2"):
        datasets.Digits(split=1)


def test_digits_through_the_loader():
    tf = T.Compose([T.Resize(32), T.Grayscale(3), T.ToTensor(), T.Normalize((0.5,) * 3,
                                                                            (0.5,) * 3)])
    dl = ember.utils.data.DataLoader(datasets.Digits(transform=tf), batch_size=4, shuffle=True,
                                     num_workers=2)
    x, y = next(iter(dl))
    assert tuple(x.shape) == (4, 3, 32, 32) and x.dtype == ember.float32
    assert y.dtype == ember.int64 and float(x.min()) >= -1 and float(x.max()) <= 1


def test_download_helpers(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"abc")
    assert dutils.check_integrity(str(p), hashlib.md5(b"abc").hexdigest())
    assert not dutils.check_integrity(str(p), "0" * 32)
    assert not dutils.check_integrity(str(tmp_path / "missing"))
    g = tmp_path / "x.txt.gz"
    with gzip.open(g, "wb") as f:
        f.write(b"hello")
    assert dutils.extract_archive(str(g)) == str(tmp_path / "x.txt")
    assert (tmp_path / "x.txt").read_bytes() == b"hello"
    g.write_bytes(g.read_bytes()[:12])
    with pytest.raises(RuntimeError, match="corrupted or truncated"):
        dutils.extract_archive(str(g))
    with pytest.raises(RuntimeError, match="Unknown compression or archive type: '.foo'"):
        dutils.extract_archive(str(tmp_path / "a.foo"))
    with pytest.raises(ValueError, match="Unknown value 'x' for argument split. Valid values "
                                         "are {'a', 'b'}."):
        dutils.verify_str_arg("x", "split", ("a", "b"))
