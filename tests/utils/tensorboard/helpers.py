"""Shared helpers for the TensorBoard writer tests: read event files back with tensorboard's own
reader (the test-time oracle), and run the same logging code with torch's SummaryWriter and
ember's to compare the decoded events field by field."""
from __future__ import annotations

import glob
import os

import numpy as np
import pytest

tb = pytest.importorskip("tensorboard", reason="the tensorboard package is the test-time reader")

from tensorboard.backend.event_processing import event_accumulator as ea  # noqa: E402
from tensorboard.backend.event_processing import event_file_loader  # noqa: E402
from tensorboard.compat.proto import event_pb2  # noqa: E402

import ember  # noqa: E402
from ember.utils.tensorboard import SummaryWriter  # noqa: E402

try:
    import torch
    from torch.utils.tensorboard import SummaryWriter as TorchSummaryWriter
except ImportError:  # pragma: no cover - the oracle venv has both
    torch = TorchSummaryWriter = None

needs_torch_writer = pytest.mark.skipif(TorchSummaryWriter is None,
                                        reason="torch.utils.tensorboard is not importable")

KEEP_ALL = {ea.COMPRESSED_HISTOGRAMS: 0, ea.IMAGES: 0, ea.AUDIO: 0, ea.SCALARS: 0,
            ea.HISTOGRAMS: 0, ea.TENSORS: 0, ea.GRAPH: 0}


def accumulator(path):
    acc = ea.EventAccumulator(str(path), size_guidance=KEEP_ALL)
    acc.Reload()
    return acc


def event_files(logdir):
    return sorted(glob.glob(os.path.join(str(logdir), "events.out.tfevents.*")))


def read_events(logdir):
    """Every Event (protobuf) in the event files directly under logdir, in file order."""
    out = []
    for f in event_files(logdir):
        out.extend(event_file_loader.LegacyEventFileLoader(f).Load())
    return out


def runs(logdir):
    """{relative run dir: [events]} for every directory under logdir holding event files."""
    found = {}
    for root, _dirs, _files in os.walk(str(logdir)):
        if event_files(root):
            found[os.path.relpath(root, str(logdir))] = read_events(root)
    return found


def strip(events):
    """Events without what legitimately differs between two writers: wall time and the
    writer's name in the first (file_version) event."""
    out = []
    for e in events:
        e = event_pb2.Event.FromString(e.SerializeToString())
        e.ClearField("wall_time")
        e.ClearField("source_metadata")
        for v in e.summary.value:
            if v.metadata.plugin_data.plugin_name == "hparams":
                # a map field: protobuf writes its entries in hash order, so compare the
                # content re-serialized deterministically (keys sorted)
                from tensorboard.plugins.hparams.plugin_data_pb2 import (
                    HParamsPluginData,
                )
                content = HParamsPluginData.FromString(v.metadata.plugin_data.content)
                v.metadata.plugin_data.content = content.SerializeToString(deterministic=True)
        out.append(e)
    return out


def write_both(tmp_path, fn, **writer_kw):
    """Run fn(T, writer) with T=torch (torch's SummaryWriter) and T=ember (ember's) into two
    log dirs; returns ({run: events} for ember, the same for torch)."""
    results = []
    for name, T, W in (("ember", ember, SummaryWriter), ("torch", torch, TorchSummaryWriter)):
        d = tmp_path / name
        with W(str(d), **writer_kw) as w:
            fn(T, w)
        results.append({k: strip(v) for k, v in runs(d).items()})
    return results


def assert_same_events(e_runs, t_runs):
    assert sorted(e_runs) == sorted(t_runs)
    for run in t_runs:
        ev, tv = e_runs[run], t_runs[run]
        assert len(ev) == len(tv), f"{run}: {len(ev)} events vs torch's {len(tv)}"
        for i, (a, b) in enumerate(zip(ev, tv)):
            assert a == b, f"{run} event {i}:\nember:\n{a}\ntorch:\n{b}"


def arrays(seed, *shapes, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]
