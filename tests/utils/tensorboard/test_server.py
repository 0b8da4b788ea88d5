"""The real TensorBoard server reads ember's log dir: its HTTP API lists the runs, the scalar tags
and values, and the image/histogram/text/graph/projector data. Skipped, saying why, where the
server cannot start (no tensorboard binary, no loopback sockets)."""
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest

import ember
from ember.utils.tensorboard import SummaryWriter

from .helpers import tb  # noqa: F401  (skips without the tensorboard package)
from .test_graph import lenet

START_TIMEOUT = 25.0


def _get(port, path, **query):
    url = f"http://127.0.0.1:{port}{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read().decode())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(port, logdir) of one tensorboard server on 127.0.0.1 over a freshly written log dir."""
    tmp_path = tmp_path_factory.mktemp("tb_server")
    logdir = tmp_path / "logs"
    with SummaryWriter(str(logdir)) as w:
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)
            w.add_scalars("Training vs. Validation Loss",
                          {"Training": 0.5 / (step + 1), "Validation": 0.75 / (step + 1)}, step)
        w.add_image("grid", np.random.default_rng(0).random((3, 8, 8)), 0)
        w.add_histogram("weights", np.arange(100.0), 0)
        w.add_text("note", "hello", 0)
        w.add_graph(lenet(ember), ember.randn(2, 1, 28, 28))
        w.add_embedding(ember.randn(6, 3), metadata=list("abcdef"))
    err_path = tmp_path / "tb.err"
    cmd = [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--port", "0",
           "--host", "127.0.0.1", "--load_fast=false", "--reload_interval", "1"]
    with open(err_path, "wb") as err:
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err,
                                    env={**os.environ, "PYTHONWARNINGS": "ignore"})
        except OSError as e:
            pytest.skip(f"cannot run the tensorboard server: {e}")
    try:
        port = None
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline and port is None:
            if proc.poll() is not None:
                pytest.skip("the tensorboard server exited at start: "
                            + err_path.read_text(errors="replace")[-500:])
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", err_path.read_text(errors="replace"))
            if m:
                port = int(m.group(1))
            else:
                time.sleep(0.2)
        if port is None:
            pytest.skip(f"the tensorboard server did not come up within {START_TIMEOUT:.0f} s: "
                        + err_path.read_text(errors="replace")[-500:])
        # wait until the first load of the log dir has found every run
        while time.time() < deadline:
            try:
                if len(_get(port, "/data/runs")) >= 3:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        yield port, logdir
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_server_lists_runs_and_scalars(server):
    port, _ = server
    runs = _get(port, "/data/runs")
    assert sorted(runs) == [".", "Training vs. Validation Loss_Training",
                            "Training vs. Validation Loss_Validation"]
    tags = _get(port, "/data/plugin/scalars/tags")
    assert set(tags["."]) == {"loss"}
    assert set(tags["Training vs. Validation Loss_Validation"]) == {"Training vs. Validation Loss"}
    rows = _get(port, "/data/plugin/scalars/scalars", run=".", tag="loss")
    assert [r[1] for r in rows] == [0, 1, 2, 3, 4]
    assert [r[2] for r in rows] == [float(np.float32(1.0 / (s + 1))) for s in range(5)]
    assert all(r[0] > 1e9 for r in rows)                      # wall times (seconds)
    val = _get(port, "/data/plugin/scalars/scalars", run="Training vs. Validation Loss_Validation",
               tag="Training vs. Validation Loss")
    assert [r[2] for r in val] == [float(np.float32(0.75 / (s + 1))) for s in range(5)]


def test_server_reads_other_plugins(server):
    port, _ = server
    assert "grid" in _get(port, "/data/plugin/images/tags")["."]
    assert "weights" in _get(port, "/data/plugin/histograms/tags")["."]
    hist = _get(port, "/data/plugin/histograms/histograms", run=".", tag="weights")
    assert hist[0][1] == 0
    assert "note/text_summary" in _get(port, "/data/plugin/text/tags")["."]
    text = _get(port, "/data/plugin/text/text", run=".", tag="note/text_summary")
    assert "hello" in text[0]["text"]
    assert _get(port, "/data/plugin/graphs/info")["."]["run_graph"] is True
    listing = _get(port, "/data/plugins_listing")
    assert listing["graphs"]["enabled"] and listing["scalars"]["enabled"]
