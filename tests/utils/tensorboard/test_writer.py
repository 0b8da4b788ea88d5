"""SummaryWriter read back with tensorboard's EventAccumulator: tags, steps, wall times and
values; event file naming, default log dirs, flushing, the background writer thread, purge_step,
and torch's errors."""
import os
import re
import socket
import struct
import threading
import time

import numpy as np
import pytest

import ember
from ember.utils.tensorboard import FileWriter, SummaryWriter
from ember.utils.tensorboard import writer as writer_mod

from .helpers import TorchSummaryWriter, accumulator, event_files, read_events, torch


def test_scalars_read_back(tmp_path):
    values = [0.1, 2.5, -3.75, 1e-3, 12345.678]
    t0 = time.time()
    with SummaryWriter(str(tmp_path)) as w:
        for i, v in enumerate(values):
            w.add_scalar("train/loss", v, i * 10)
            w.add_scalar("train/acc", ember.tensor(v / 10), i * 10)
        w.add_scalar("fixed_time", 1.0, 0, walltime=42.0)
    acc = accumulator(tmp_path)
    assert sorted(acc.Tags()["scalars"]) == ["fixed_time", "train/acc", "train/loss"]
    loss = acc.Scalars("train/loss")
    assert [e.step for e in loss] == [0, 10, 20, 30, 40]
    assert [e.value for e in loss] == [float(np.float32(v)) for v in values]   # exact float32
    assert all(t0 - 1 <= e.wall_time <= time.time() + 1 for e in loss)
    assert [e.value for e in acc.Scalars("train/acc")] == [float(np.float32(v / 10))
                                                           for v in values]
    assert acc.Scalars("fixed_time")[0].wall_time == 42.0


def test_new_style_scalars_are_tensors(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalar("f", 0.1, 1, new_style=True)
        w.add_scalar("d", 0.1, 2, new_style=True, double_precision=True)
    acc = accumulator(tmp_path)
    f, = acc.Tensors("f")
    d, = acc.Tensors("d")
    assert f.step == 1 and f.tensor_proto.float_val[0] == float(np.float32(0.1))
    assert d.step == 2 and d.tensor_proto.double_val[0] == 0.1
    assert acc.SummaryMetadata("f").plugin_data.plugin_name == "scalars"


def test_add_scalars_sub_runs(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        for step in range(4):
            w.add_scalars("Training vs. Validation Loss",
                          {"Training": 1.0 / (step + 1), "Validation": 0.5 / (step + 1)}, step)
    for key, scale in (("Training", 1.0), ("Validation", 0.5)):
        acc = accumulator(tmp_path / f"Training vs. Validation Loss_{key}")
        assert acc.Tags()["scalars"] == ["Training vs. Validation Loss"]
        ev = acc.Scalars("Training vs. Validation Loss")
        assert [e.step for e in ev] == [0, 1, 2, 3]
        assert [e.value for e in ev] == [float(np.float32(scale / (s + 1))) for s in range(4)]


def test_histogram_image_text_read_back(tmp_path):
    import io

    from PIL import Image
    x = np.random.default_rng(0).standard_normal(500)
    img = np.random.default_rng(1).random((3, 6, 9)).astype(np.float32)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_histogram("weights", ember.from_numpy(x), 7)
        w.add_image("img", ember.from_numpy(img), 2)
        w.add_text("note", "a *markdown* note", 5)
    acc = accumulator(tmp_path)
    h, = acc.Histograms("weights")
    hv = h.histogram_value
    assert h.step == 7
    assert (hv.min, hv.max, hv.num) == (x.min(), x.max(), 500)
    assert hv.sum == pytest.approx(x.sum()) and hv.sum_squares == pytest.approx(x.dot(x))
    assert sum(hv.bucket) == 500 and len(hv.bucket) == len(hv.bucket_limit)
    # every value lies at or below its bucket's right edge and above the previous one
    edges = np.array(hv.bucket_limit)
    counts = np.histogram(x, bins=np.concatenate([[edges[0] - 1e-9 * abs(edges[0])], edges]))[0]
    assert counts[1:].tolist() == list(hv.bucket)[1:]
    im, = acc.Images("img")
    assert (im.step, im.width, im.height) == (2, 9, 6)
    pixels = np.asarray(Image.open(io.BytesIO(im.encoded_image_string)))
    np.testing.assert_array_equal(pixels, (img.transpose(1, 2, 0) * 255).astype(np.uint8))
    t, = acc.Tensors("note/text_summary")
    assert t.step == 5 and t.tensor_proto.string_val == [b"a *markdown* note"]
    assert acc.SummaryMetadata("note/text_summary").plugin_data.plugin_name == "text"


def test_hparams_and_pr_curve_read_back(tmp_path):
    from tensorboard.plugins.hparams import plugin_data_pb2
    with SummaryWriter(str(tmp_path)) as w:
        w.add_hparams({"lr": 0.01, "optim": "adam"}, {"hparam/accuracy": 0.75}, run_name="a")
        w.add_pr_curve("pr", np.array([0, 1, 1, 0]), np.array([0.1, 0.9, 0.6, 0.4]), 3,
                       num_thresholds=5)
    acc = accumulator(tmp_path / "a")
    assert acc.Scalars("hparam/accuracy")[0].value == 0.75
    meta = acc.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(meta["_hparams_/session_start_info"])
    assert start.session_start_info.hparams["lr"].number_value == 0.01
    assert start.session_start_info.hparams["optim"].string_value == "adam"
    exp = plugin_data_pb2.HParamsPluginData.FromString(meta["_hparams_/experiment"]).experiment
    assert [h.name for h in exp.hparam_infos] == ["lr", "optim"]
    assert [m.name.tag for m in exp.metric_infos] == ["hparam/accuracy"]
    pr, = accumulator(tmp_path).Tensors("pr")
    data = np.array(pr.tensor_proto.float_val).reshape(6, 5)
    # thresholds 0, .25, .5, .75, 1: true positives = positives predicted at or above each
    np.testing.assert_array_equal(data[0], [2, 2, 2, 1, 0])
    np.testing.assert_array_equal(data[1], [2, 1, 0, 0, 0])


def test_event_file_name_and_first_event(tmp_path):
    t0 = int(time.time())
    w = SummaryWriter(str(tmp_path), filename_suffix=".suffix")
    w.close()
    f, = event_files(tmp_path)
    m = re.fullmatch(r"events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d+)\.suffix",
                     os.path.basename(f))
    assert m, f
    assert t0 - 1 <= int(m.group(1)) <= time.time() + 1
    assert m.group(2) == socket.gethostname() and int(m.group(3)) == os.getpid()
    first, = read_events(tmp_path)
    assert first.file_version == "brain.Event:2" and first.wall_time > 0
    assert first.source_metadata.writer == "ember.utils.tensorboard"


def test_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    w.close()
    run, = os.listdir(tmp_path / "runs")
    assert re.fullmatch(r"[A-Z][a-z]{2}\d\d_\d\d-\d\d-\d\d_" + re.escape(socket.gethostname())
                        + "_lr0.1", run), run
    assert w.get_logdir() == os.path.join("runs", run)


def test_flush_and_close_write_everything(tmp_path):
    w = SummaryWriter(str(tmp_path), flush_secs=3600)
    for i in range(5):
        w.add_scalar("x", float(i), i)
    w.flush()
    assert [e.step for e in read_events(tmp_path)[1:]] == [0, 1, 2, 3, 4]
    w.add_scalar("x", 5.0, 5)
    w.close()
    w.close()   # a second close does nothing
    assert [e.step for e in read_events(tmp_path)[1:]] == [0, 1, 2, 3, 4, 5]
    # after close, logging starts a new event file in the same directory
    w.add_scalar("x", 6.0, 6)
    w.close()
    assert len(event_files(tmp_path)) == 2
    assert accumulator(tmp_path).Scalars("x")[-1].value == 6.0
    assert [e.step for e in read_events(tmp_path) if e.HasField("summary")] == list(range(7))


def test_flush_secs_flushes_in_background(tmp_path):
    w = SummaryWriter(str(tmp_path), flush_secs=0.2)
    w.add_scalar("x", 1.0, 1)
    deadline = time.time() + 10
    while time.time() < deadline and len(read_events(tmp_path)) < 2:
        time.sleep(0.05)
    assert [e.step for e in read_events(tmp_path)] == [0, 1]
    w.close()


def test_writer_thread_does_not_block_logging(tmp_path):
    """The caller only encodes and enqueues: with a disk that takes 20 ms per write, 50 calls
    still return at once; flush() then waits for the thread and everything is on disk."""
    w = SummaryWriter(str(tmp_path), max_queue=1000)
    ew = w.file_writer.event_writer
    real_write = ew._file.write
    started = threading.Event()

    def slow_write(data):
        started.set()
        time.sleep(0.02)
        return real_write(data)

    ew._file.write = slow_write
    try:
        t = time.perf_counter()
        for i in range(50):
            w.add_scalar("x", float(i), i)
        spent = time.perf_counter() - t
        assert spent < 0.5, spent          # 50 synchronous writes would take >= 1 s
        w.flush()
        assert started.is_set()
    finally:
        ew._file.write = real_write
    w.close()
    assert [e.step for e in accumulator(tmp_path).Scalars("x")] == list(range(50))


def test_add_scalar_throughput(tmp_path):
    n = 3000
    with SummaryWriter(str(tmp_path), max_queue=n + 10, flush_secs=3600) as w:
        w.add_scalar("warmup", 0.0, 0)
        t = time.perf_counter()
        for i in range(n):
            w.add_scalar("loss", 0.5, i)
        rate = n / (time.perf_counter() - t)
    print(f"add_scalar: {rate:,.0f} calls/s")
    assert rate > 2000     # a few microseconds per call, far under a training step
    assert len(accumulator(tmp_path).Scalars("loss")) == n


def test_small_queue_applies_backpressure(tmp_path):
    with SummaryWriter(str(tmp_path), max_queue=1) as w:
        for i in range(200):
            w.add_scalar("x", float(i), i)
    assert [e.step for e in accumulator(tmp_path).Scalars("x")] == list(range(200))


def test_writer_thread_errors_surface(tmp_path):
    w = SummaryWriter(str(tmp_path))
    ew = w.file_writer.event_writer

    def broken(data):
        raise OSError("disk full")

    ew._file.write = broken
    w.add_scalar("x", 1.0, 1)
    with pytest.raises(OSError, match="disk full"):
        w.flush()
    with pytest.raises(OSError, match="disk full"):
        w.add_scalar("x", 2.0, 2)
    del ew._file.write
    with pytest.raises(OSError, match="disk full"):
        w.close()


def test_purge_step_hides_later_events(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        for i in range(10):
            w.add_scalar("x", float(i), i)
    time.sleep(0.01)
    # a restart from step 5: TensorBoard drops the old events at steps >= 5
    with SummaryWriter(str(tmp_path), purge_step=5) as w:
        for i in range(5, 8):
            w.add_scalar("x", 100.0 + i, i)
    ev = accumulator(tmp_path).Scalars("x")
    assert [e.step for e in ev] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert [e.value for e in ev[5:]] == [105.0, 106.0, 107.0]


def test_file_writer_and_events(tmp_path):
    from ember.utils.tensorboard import _proto as P
    from ember.utils.tensorboard.summary import scalar
    fw = FileWriter(tmp_path)
    assert fw.get_logdir() == str(tmp_path)
    fw.add_summary(scalar("s", 3.0), global_step=np.int64(4), walltime=7.0)
    fw.add_event(P.Event(session_log=P.SessionLog(status=P.SessionLog.STOP)), step=9)
    with pytest.raises(TypeError, match="Expected an event_pb2.Event proto"):
        fw.event_writer.add_event(b"raw bytes")
    fw.close()
    with pytest.raises(OSError, match="Writer is closed"):
        fw.event_writer.add_event(P.Event())
    fw.reopen()
    fw.add_summary(scalar("s", 5.0), 5)
    fw.close()
    events = read_events(tmp_path)
    kinds = [e.WhichOneof("what") for e in events]
    assert kinds == ["file_version", "summary", "session_log", "file_version", "summary"]
    assert (events[1].step, events[1].wall_time, events[1].summary.value[0].simple_value) == \
        (4, 7.0, 3.0)
    assert (events[2].step, events[2].session_log.status) == (9, 2)


def test_add_summary_takes_protobuf_messages(tmp_path):
    from tensorboard.compat.proto.summary_pb2 import Summary

    from ember.utils.tensorboard.summary import hparams
    with SummaryWriter(str(tmp_path)) as w:
        w.file_writer.add_summary(Summary(value=[Summary.Value(tag="pb", simple_value=2.5)]), 3)
        exp, ssi, sei = hparams({"lr": 0.1}, {"m": 1.0})   # the log-hparams-in-place idiom
        for s in (exp, ssi, sei):
            w.file_writer.add_summary(s)
    acc = accumulator(tmp_path)
    assert [(e.step, e.value) for e in acc.Scalars("pb")] == [(3, 2.5)]
    assert set(acc.PluginTagToContent("hparams")) == {
        "_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"}


def test_video(tmp_path):
    import io

    from PIL import Image
    rng = np.random.default_rng(3)
    vid = rng.integers(0, 256, (3, 4, 3, 8, 10), dtype=np.uint8)   # N T C H W
    with SummaryWriter(str(tmp_path)) as w:
        w.add_video("clip", ember.from_numpy(vid), 1, fps=5)
    im, = accumulator(tmp_path).Images("clip")
    gif = Image.open(io.BytesIO(im.encoded_image_string))
    assert gif.format == "GIF" and gif.n_frames == 4
    assert gif.size == (4 * 10, 8)    # 3 clips padded to 4, on 2**(floor(log2 3)//2) = 1 row
    assert gif.info["duration"] == 200
    assert (im.width, im.height) == (40, 8)
    frame2 = np.asarray(gif.convert("RGB")) if gif.seek(0) is None else None
    assert frame2.shape == (8, 40, 3)


def test_audio_read_back(tmp_path):
    import io
    import wave
    snd = np.sin(np.linspace(0, 30, 1000)).astype(np.float32)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_audio("tone", ember.from_numpy(snd[None]), 0, sample_rate=16000)
    a, = accumulator(tmp_path).Audio("tone")
    assert (a.sample_rate, a.length_frames, a.content_type) == (16000, 1000, "audio/wav")
    with wave.open(io.BytesIO(a.encoded_audio_string)) as f:
        pcm = np.frombuffer(f.readframes(1000), dtype="<i2")
    np.testing.assert_array_equal(pcm, (snd * 32767).astype(np.int16))


# ---- errors: torch's types and messages ----

def _both_raise(fn):
    """fn(T, writer) raises the same exception type and message with torch's writer and ours."""
    import tempfile
    errs = []
    for T, W in ((ember, SummaryWriter), (torch, TorchSummaryWriter)):
        if W is None:
            pytest.skip("torch.utils.tensorboard is not importable")
        with tempfile.TemporaryDirectory() as d, W(d) as w:
            with pytest.raises(Exception) as info:
                fn(T, w)
            errs.append((type(info.value), str(info.value).split("\n")[0]))
    assert errs[0] == errs[1]


@pytest.mark.parametrize("fn", [
    lambda T, w: w.add_scalar("x", T.zeros(3)),
    lambda T, w: w.add_scalar("x", [1.0, 2.0]),
    lambda T, w: w.add_scalar("x", "abc"),
    lambda T, w: w.add_image("x", T.zeros(3, 4, 4), dataformats="CHH"),
    lambda T, w: w.add_image("x", T.zeros(3, 4), dataformats="CHW"),
    lambda T, w: w.add_images("x", T.zeros(2, 4, 3, 3)),
    lambda T, w: w.add_histogram("x", T.zeros(0)),
    lambda T, w: w.add_histogram_raw("x", 0, 1, 2, 1, 1, [1.0, 2.0], [1.0]),
    lambda T, w: w.add_hparams([("lr", 1)], {}),
    lambda T, w: w.add_hparams({"lr": [1, 2]}, {}),
    lambda T, w: w.add_hparams({"lr": 0.1}, {}, hparam_domain_discrete={"lr": [1, "a"]}),
    lambda T, w: w.add_hparams({"lr": 0.1}, {}, hparam_domain_discrete=[1]),
    lambda T, w: w.add_custom_scalars_marginchart(["a", "b"]),
    lambda T, w: w.add_custom_scalars({"c": {"t": ["Margin", ["a", "b"]]}}),
    lambda T, w: w.add_tensor("x", T.zeros(2, dtype=T.uint16)),
    lambda T, w: w.add_audio("x", T.zeros(2, 3)),
    lambda T, w: w.add_embedding(T.zeros(3, 2), metadata=[[1, 2]] * 3, metadata_header=["a"]),
    lambda T, w: w.add_mesh("m", T.zeros(4, 3)),
])
def test_errors_match_torch(fn):
    _both_raise(fn)


def test_add_scalar_step_is_int(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalar("x", 1.0, 3.9)          # int(step), as torch
        w.add_scalar("y", 1.0, ember.tensor(12))
    acc = accumulator(tmp_path)
    assert acc.Scalars("x")[0].step == 3 and acc.Scalars("y")[0].step == 12


def test_onnx_graph_is_not_implemented(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(NotImplementedError, match="onnx"):
            w.add_onnx_graph("model.onnx")


def test_atexit_closes_open_writers(tmp_path):
    w = SummaryWriter(str(tmp_path), flush_secs=3600)
    w.add_scalar("x", 1.0, 1)
    writer_mod._close_open_writers()
    assert [e.step for e in read_events(tmp_path)] == [0, 1]


def test_records_are_crc_framed(tmp_path):
    from ember.utils.tensorboard._record import masked_crc32c
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalar("x", 1.0, 1)
    with open(event_files(tmp_path)[0], "rb") as f:
        raw = f.read()
    n, = struct.unpack("<Q", raw[:8])
    assert struct.unpack("<I", raw[8:12])[0] == masked_crc32c(raw[:8])
    assert struct.unpack("<I", raw[12 + n:16 + n])[0] == masked_crc32c(raw[12:12 + n])
