"""SummaryWriter and FileWriter: torch.utils.tensorboard's API, writing TensorBoard event files.

Events are encoded in the caller (summary.py, _proto.py) and handed to a bounded queue; one
background thread per event file frames them as TFRecords with masked CRC32C (_record.py),
writes them, and flushes every `flush_secs` - torch's EventFileWriter design, so logging does not
wait on the disk. `flush()` / `close()` drain the queue. add_graph is in _graph.py, the projector
files of add_embedding in _embedding.py.
"""
from __future__ import annotations

import atexit
import itertools
import os
import socket
import threading
import time
import weakref

from . import _proto as P
from ._record import frame
from ._utils import figure_to_image, make_np
from .summary import (audio, custom_scalars, default_bins, histogram, histogram_raw, hparams,
                      image, image_boxes, mesh, pr_curve, pr_curve_raw, scalar, tensor_proto,
                      text, video)

__all__ = ["FileWriter", "SummaryWriter"]

# written into the file_version event's source_metadata (torch's says which library wrote it)
_WRITER_NAME = "ember.utils.tensorboard"
_file_ids = itertools.count()      # the <n> in event file names, unique within the process
_open_writers: weakref.WeakSet[EventFileWriter] = weakref.WeakSet()


class EventFileWriter:
    """One event file `events.out.tfevents.<time>.<host>.<pid>.<n><suffix>` in `logdir`, fed
    asynchronously; it starts with the file_version event "brain.Event:2".

    add_event encodes in the caller and appends to a pending list; the writer thread wakes when
    max_queue events are pending, when flush() asks, or every flush_secs, and frames + writes
    the whole batch at once (few thread switches per event). A caller that gets 2 * max_queue
    events ahead of the thread waits for it (max_queue <= 0: no limit, timer-driven only).
    """

    def __init__(self, logdir, max_queue_size=10, flush_secs=120, filename_suffix=""):
        self._logdir = logdir
        self._max_queue = max_queue_size
        self._flush_secs = flush_secs
        self._suffix = filename_suffix
        self._open()

    def _open(self):
        os.makedirs(self._logdir, exist_ok=True)
        name = "events.out.tfevents.%010d.%s.%s.%s" % (
            time.time(), socket.gethostname(), os.getpid(), next(_file_ids))
        self._file_name = os.path.join(self._logdir, name) + self._suffix
        self._file = open(self._file_name, "wb")
        self._cond = threading.Condition(threading.Lock())
        self._pending = []
        self._queued = self._written = self._flushed = self._flush_wanted = 0
        self._closed = self._stop = False
        self._error = None
        self._worker = threading.Thread(target=self._run, name="ember-tensorboard-writer",
                                        daemon=True)
        self._worker.start()
        _open_writers.add(self)
        self.add_event(P.Event(wall_time=time.time(), file_version="brain.Event:2",
                               source_metadata=_WRITER_NAME))
        self.flush()

    def get_logdir(self):
        return self._logdir

    def get_filename(self):
        return self._file_name

    # ---- the caller's side ----
    def add_event(self, event):
        """Encode `event` here and hand its bytes to the writer thread."""
        if not isinstance(event, P.Event):
            raise TypeError(f"Expected an event_pb2.Event proto,  but got {type(event)}")
        data = event.SerializeToString()
        cond = self._cond
        with cond:
            if self._error is not None:
                raise self._error
            if self._closed:
                raise OSError("Writer is closed")
            pending = self._pending
            pending.append(data)
            self._queued += 1
            mq = self._max_queue
            if mq > 0 and len(pending) >= mq:
                cond.notify_all()
                while len(self._pending) >= 2 * mq and self._error is None:
                    cond.wait()   # the thread is behind (a slow disk): wait for it

    def flush(self):
        """Block until every event added so far is written and flushed to the OS."""
        cond = self._cond
        with cond:
            if self._error is not None:
                raise self._error
            if self._closed:
                raise OSError("Writer is closed")
            target = self._queued
            if self._flushed >= target:
                return
            self._flush_wanted = max(self._flush_wanted, target)
            cond.notify_all()
            while self._flushed < target and self._error is None:
                cond.wait()
            if self._error is not None:
                raise self._error

    def close(self):
        """Write what is pending, stop the thread, close the file (a second close does nothing)."""
        with self._cond:
            if self._closed:
                return
            self._closed = self._stop = True
            self._cond.notify_all()
        self._worker.join()
        self._file.close()
        _open_writers.discard(self)
        if self._error is not None:
            raise self._error

    def reopen(self):
        """After close(): start a new event file in the same directory."""
        if self._closed:
            self._open()

    # ---- the writer thread ----
    def _run(self):
        try:
            self._loop()
        except BaseException as e:   # surfaced to the caller on its next add/flush/close
            with self._cond:
                self._error = e
                self._pending = []
                self._cond.notify_all()

    def _loop(self):
        cond, f = self._cond, self._file
        # flush_secs <= 0 means "as soon as possible": poll at 20 Hz rather than spin
        period = max(self._flush_secs, 0.05)
        next_flush = time.monotonic() + period
        while True:
            with cond:
                while not self._stop:
                    n = len(self._pending)
                    if (n and 0 < self._max_queue <= n) or self._flush_wanted > self._flushed:
                        break
                    wait = next_flush - time.monotonic()
                    if wait <= 0:
                        break
                    cond.wait(wait)
                batch, self._pending = self._pending, []
                upto = self._queued
                stop = self._stop
                flush = stop or self._flush_wanted > self._flushed
                cond.notify_all()   # callers waiting for room
            if batch:
                f.write(b"".join([frame(b) for b in batch]))
            now = time.monotonic()
            if flush or now >= next_flush:
                f.flush()
                next_flush = now + period
                flush = True
            with cond:
                self._written = upto
                if flush:
                    self._flushed = upto
                cond.notify_all()
            if stop:
                return


@atexit.register
def _close_open_writers():
    # the thread is a daemon (it must not keep a script alive), so write what is still queued
    for w in list(_open_writers):
        try:
            w.close()
        except Exception:
            pass


class FileWriter:
    """Writes Event protos (and Summary protos wrapped in Events) to an event file in log_dir."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        log_dir = str(log_dir)
        self.event_writer = EventFileWriter(log_dir, max_queue, flush_secs, filename_suffix)

    def get_logdir(self):
        """The directory the event file is in."""
        return self.event_writer.get_logdir()

    def add_event(self, event, step=None, walltime=None):
        """Stamp `event` with walltime (default: now) and step, and queue it."""
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None):
        """Wrap an encoded Summary in an Event and queue it."""
        self.add_event(P.Event(summary=summary), global_step, walltime)

    def add_graph(self, graph_profile, walltime=None):
        """A (GraphDef, RunMetadata) pair: the graph event and the 'step1' run metadata."""
        graph, stepstats = graph_profile
        self.add_event(P.Event(graph_def=graph.SerializeToString()), None, walltime)
        self.add_event(P.Event(tagged_run_metadata=("step1", stepstats.SerializeToString())),
                       None, walltime)

    def add_onnx_graph(self, graph, walltime=None):
        self.add_event(P.Event(graph_def=graph.SerializeToString()), None, walltime)

    def flush(self):
        self.event_writer.flush()

    def close(self):
        self.event_writer.close()

    def reopen(self):
        self.event_writer.reopen()


class SummaryWriter:
    """Writes scalars, histograms, images, graphs, embeddings, ... to event files under log_dir
    for TensorBoard (see torch.utils.tensorboard.SummaryWriter).

    log_dir=None gives runs/<Mon>DD_HH-MM-SS_<hostname><comment>. Writing is asynchronous: a
    bounded queue (max_queue events) feeds a background thread that flushes every flush_secs;
    flush() and close() (also on leaving a `with` block) write everything out.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if not log_dir:
            from datetime import datetime
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = list(default_bins())

    def _get_file_writer(self):
        """The main FileWriter, recreated (a new event file) after close()."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs,
                                          self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                # a restart marker: TensorBoard drops earlier events with step >= purge_step
                step = self.purge_step
                self.file_writer.add_event(P.Event(step=step, file_version="brain.Event:2"))
                self.file_writer.add_event(
                    P.Event(step=step, session_log=P.SessionLog(status=P.SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        """The directory event files are written to."""
        return self.log_dir

    # ---- scalars ----
    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """One value of the series `tag` at `global_step`."""
        summary = scalar(tag, scalar_value, new_style=new_style,
                         double_precision=double_precision)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several series on one chart: each key gets its own run directory
        `<log_dir>/<main_tag>_<key>` holding the tag `main_tag`."""
        walltime = time.time() if walltime is None else walltime
        fw_logdir = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            fw_tag = fw_logdir + "/" + main_tag.replace("/", "_") + "_" + tag
            if self.all_writers is None:
                raise AssertionError("self.all_writers is None")
            fw = self.all_writers.get(fw_tag)
            if fw is None:
                fw = self.all_writers[fw_tag] = FileWriter(fw_tag, self.max_queue,
                                                           self.flush_secs, self.filename_suffix)
            fw.add_summary(scalar(main_tag, value), global_step, walltime)

    def add_tensor(self, tag, tensor, global_step=None, walltime=None):
        """A whole tensor (TensorProto) under the tensor plugin."""
        self._get_file_writer().add_summary(tensor_proto(tag, tensor), global_step, walltime)

    # ---- histograms ----
    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        """A histogram of `values`; bins='tensorflow' uses TensorFlow's exponential buckets,
        anything else is a numpy.histogram bin spec ('auto', 'fd', an int, edges...)."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._get_file_writer().add_summary(histogram(tag, values, bins, max_bins=max_bins),
                                            global_step, walltime)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits,
                          bucket_counts, global_step=None, walltime=None):
        """A histogram from precomputed statistics and buckets (right edges)."""
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
        self._get_file_writer().add_summary(
            histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts),
            global_step, walltime)

    # ---- images, figures, video, audio ----
    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image (CHW by default; HWC, HW, ... via dataformats), float in [0, 1] or uint8."""
        self._get_file_writer().add_summary(image(tag, img_tensor, dataformats=dataformats),
                                            global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of images, shown as one grid image."""
        self._get_file_writer().add_summary(image(tag, img_tensor, dataformats=dataformats),
                                            global_step, walltime)

    def add_image_with_boxes(self, tag, img_tensor, box_tensor, global_step=None, walltime=None,
                             rescale=1, dataformats="CHW", labels=None):
        """An image with bounding boxes (N x 4: xmin, ymin, xmax, ymax) and optional labels."""
        if labels is not None:
            if isinstance(labels, str):
                labels = [labels]
            if len(labels) != box_tensor.shape[0]:
                labels = None
        self._get_file_writer().add_summary(
            image_boxes(tag, img_tensor, box_tensor, rescale=rescale, dataformats=dataformats,
                        labels=labels), global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them, as a grid) rendered to an image."""
        if isinstance(figure, list):
            self.add_image(tag, figure_to_image(figure, close), global_step, walltime,
                           dataformats="NCHW")
        else:
            self.add_image(tag, figure_to_image(figure, close), global_step, walltime,
                           dataformats="CHW")

    def add_video(self, tag, vid_tensor, global_step=None, fps=4, walltime=None):
        """A (N, T, C, H, W) video batch as an animated GIF (encoded with Pillow)."""
        self._get_file_writer().add_summary(video(tag, vid_tensor, fps), global_step, walltime)

    def add_audio(self, tag, snd_tensor, global_step=None, sample_rate=44100, walltime=None):
        """A (1, L) mono clip in [-1, 1] as a WAV."""
        self._get_file_writer().add_summary(audio(tag, snd_tensor, sample_rate=sample_rate),
                                            global_step, walltime)

    # ---- text, graphs, embeddings ----
    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """A string (markdown) for the Text dashboard."""
        self._get_file_writer().add_summary(text(tag, text_string), global_step, walltime)

    def add_onnx_graph(self, prototxt):
        raise NotImplementedError("ember.utils.tensorboard: add_onnx_graph needs the onnx "
                                  "package, which ember does not use; log the model with "
                                  "add_graph(model, input_to_model) instead")

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """The model's op graph from one traced forward pass (TensorBoard's Graphs tab); ops
        are grouped by module as torch names them (Net/Conv2d[conv1]/...)."""
        from ._graph import graph
        self._get_file_writer().add_graph(graph(model, input_to_model, verbose,
                                                use_strict_trace))

    @staticmethod
    def _encode(rawstr):
        # a tag as one path component: % / and \ percent-escaped
        return rawstr.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None, tag="default",
                      metadata_header=None):
        """Projector data: mat (N, D) rows, optional labels (metadata) and images (N, C, H, W),
        written to <log_dir>/<step:05>/<tag>/ plus projector_config.pbtxt."""
        from . import _embedding as E
        mat = make_np(mat)
        if global_step is None:
            global_step = 0
        subdir = f"{str(global_step).zfill(5)}/{self._encode(tag)}"
        logdir = self._get_file_writer().get_logdir()
        save_path = os.path.join(logdir, subdir)
        if os.path.exists(save_path):
            if os.path.isdir(save_path):
                print("warning: Embedding dir exists, did you set global_step for "
                      "add_embedding()?")
            else:
                raise NotADirectoryError(f"Path: `{save_path}` exists, but is a file. "
                                         "Cannot proceed.")
        else:
            os.makedirs(save_path)
        if metadata is not None:
            if mat.shape[0] != len(metadata):
                raise AssertionError("#labels should equal with #data points")
            E.make_tsv(metadata, save_path, metadata_header=metadata_header)
        if label_img is not None:
            if mat.shape[0] != label_img.shape[0]:
                raise AssertionError("#images should equal with #data points")
            E.make_sprite(label_img, save_path)
        if mat.ndim != 2:
            raise AssertionError("mat should be 2D, where mat.size(0) is the number of data "
                                 "points")
        E.make_mat(mat, save_path)
        # the config lists every embedding so far; the file is rewritten whole each time
        if not hasattr(self, "_projector_config"):
            self._projector_config = []
        self._projector_config.append(
            E.get_embedding_info(metadata, label_img, subdir, global_step, tag))
        E.write_pbtxt(logdir, E.config_pbtxt(self._projector_config))

    # ---- PR curves, hparams, layouts, meshes ----
    def add_pr_curve(self, tag, labels, predictions, global_step=None, num_thresholds=127,
                     weights=None, walltime=None):
        """A precision-recall curve of binary labels against predicted probabilities."""
        labels, predictions = make_np(labels), make_np(predictions)
        self._get_file_writer().add_summary(
            pr_curve(tag, labels, predictions, num_thresholds, weights), global_step, walltime)

    def add_pr_curve_raw(self, tag, true_positive_counts, false_positive_counts,
                         true_negative_counts, false_negative_counts, precision, recall,
                         global_step=None, num_thresholds=127, weights=None, walltime=None):
        """A precision-recall curve from precomputed counts."""
        self._get_file_writer().add_summary(
            pr_curve_raw(tag, true_positive_counts, false_positive_counts,
                         true_negative_counts, false_negative_counts, precision, recall,
                         num_thresholds, weights), global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """One HParams-dashboard session: a sub-run (run_name, default the time) holding the
        hparams and the metric values as scalars."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        exp, ssi, sei = hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if not run_name:
            run_name = str(time.time())
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name)
        with SummaryWriter(log_dir=logdir) as w_hp:
            w_hp.file_writer.add_summary(exp, global_step)
            w_hp.file_writer.add_summary(ssi, global_step)
            w_hp.file_writer.add_summary(sei, global_step)
            for k, v in metric_dict.items():
                w_hp.add_scalar(k, v, global_step)

    def add_custom_scalars_multilinechart(self, tags, category="default", title="untitled"):
        """A Custom Scalars chart with the given tags as lines."""
        self._get_file_writer().add_summary(
            custom_scalars({category: {title: ["Multiline", tags]}}))

    def add_custom_scalars_marginchart(self, tags, category="default", title="untitled"):
        """A Custom Scalars margin chart: tags = [value, lower, upper]."""
        if len(tags) != 3:
            raise AssertionError(f"Expected 3 tags, got {len(tags)}.")
        self._get_file_writer().add_summary(
            custom_scalars({category: {title: ["Margin", tags]}}))

    def add_custom_scalars(self, layout):
        """The Custom Scalars layout {category: {chart: ["Multiline"|"Margin", tags]}}."""
        self._get_file_writer().add_summary(custom_scalars(layout))

    def add_mesh(self, tag, vertices, colors=None, faces=None, config_dict=None,
                 global_step=None, walltime=None):
        """A mesh / point cloud (B, N, 3) for the Mesh dashboard."""
        self._get_file_writer().add_summary(mesh(tag, vertices, colors, faces, config_dict),
                                            global_step, walltime)

    # ---- lifetime ----
    def flush(self):
        """Write every pending event of every file (main and add_scalars runs) to disk."""
        if self.all_writers is None:
            return
        for w in self.all_writers.values():
            w.flush()

    def close(self):
        """Flush and close all event files; a later add_* starts a new file."""
        if self.all_writers is None:
            return
        writers = list(self.all_writers.values())
        self.file_writer = self.all_writers = None
        errors = []
        for w in writers:
            # every file gets closed even if one fails (e.g. its disk is full)
            try:
                try:
                    w.flush()
                finally:
                    w.close()
            except Exception as e:
                errors.append(e)
        if errors:
            raise errors[0]

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()
