"""ember's SummaryWriter against torch's: the same calls must give the same decoded events
(every field but wall time), read back with tensorboard's own event file loader."""
import numpy as np
import pytest

from .helpers import arrays, assert_same_events, needs_torch_writer, write_both

pytestmark = needs_torch_writer


def T_(T, a):
    """The numpy array `a` as a T tensor (torch or ember)."""
    return T.from_numpy(np.array(a))


def test_scalars(tmp_path):
    def log(T, w):
        for i, v in enumerate([0.0, 1.5, -2.25, 1e-40, 3.4e38, 1e300, -0.0, float("nan"),
                               float("inf")]):
            w.add_scalar("loss", v, i)
        w.add_scalar("int", 7, 3, walltime=123.5)
        w.add_scalar("tensor", T_(T, np.float64(0.1)), 4)
        w.add_scalar("np", np.float32(2.5), np.int64(5))
        w.add_scalar("one_elem", T_(T, [[3.25]]), 6)
        w.add_scalar("new", 0.3, 7, new_style=True)
        w.add_scalar("new_double", 0.3, 8, new_style=True, double_precision=True)
        w.add_scalar("negstep", 1.0, -3)
        w.add_scalar("nostep", 2.0)
    assert_same_events(*write_both(tmp_path, log))


def test_add_scalars(tmp_path):
    def log(T, w):
        for step in range(3):
            w.add_scalars("Training vs. Validation Loss",
                          {"Training": 1.0 / (step + 1), "Validation": 2.0 / (step + 1)},
                          step * 1000 + 999, walltime=1000.0 + step)
        w.add_scalars("a/b", {"x": 1.0}, 0)
    e, t = write_both(tmp_path, log)
    assert sorted(t) == [".", "Training vs. Validation Loss_Training",
                         "Training vs. Validation Loss_Validation", "a_b_x"]
    assert_same_events(e, t)


@pytest.mark.parametrize("bins", ["tensorflow", "auto", "fd", 10, [-1.0, 0.0, 0.5, 2.0]])
def test_histogram(tmp_path, bins):
    (x,) = arrays(1, (40, 25))

    def log(T, w):
        w.add_histogram("h", T_(T, x), 1, bins=bins)
        w.add_histogram("h_np", x * 3 + 1, 2, bins=bins)
        w.add_histogram("h_int", T_(T, np.arange(-5, 17)), 3, bins=bins)
    assert_same_events(*write_both(tmp_path, log))


def test_histogram_max_bins_and_raw(tmp_path):
    (x,) = arrays(2, (1000,))

    def log(T, w):
        w.add_histogram("mb", T_(T, x), 0, bins=100, max_bins=7)
        w.add_histogram("mb_tf", T_(T, x), 0, max_bins=30)
        w.add_histogram("single", T_(T, [0.5]), 0)
        w.add_histogram("zeros", T_(T, np.zeros(4)), 0)
        w.add_histogram("f16", T_(T, x[:50].astype(np.float16)), 0)
        counts, limits = np.histogram(x, bins=12)
        w.add_histogram_raw("raw", x.min(), x.max(), len(x), x.sum(), x.dot(x),
                            limits[1:].tolist(), counts.tolist(), global_step=4)
    assert_same_events(*write_both(tmp_path, log))


def test_bfloat16_histogram(tmp_path):
    (x,) = arrays(3, (64,))

    def log(T, w):
        w.add_histogram("bf16", T_(T, x).to(T.bfloat16), 0)
    assert_same_events(*write_both(tmp_path, log))


def test_images(tmp_path):
    rng = np.random.default_rng(4)
    chw = rng.random((3, 9, 13)).astype(np.float32)
    hwc8 = rng.integers(0, 256, (7, 5, 3), dtype=np.uint8)
    gray = rng.random((6, 11)) * 1.4 - 0.2          # out of [0, 1]: clipped
    batch = rng.random((5, 1, 4, 6)).astype(np.float32)
    rgba = rng.random((8, 8, 4)).astype(np.float32)

    def log(T, w):
        w.add_image("chw", T_(T, chw), 0)
        w.add_image("hwc_uint8", T_(T, hwc8), 1, dataformats="HWC")
        w.add_image("hw", gray, 2, dataformats="HW")
        w.add_image("wh", T_(T, gray), 3, dataformats="WH")
        w.add_image("one_channel", T_(T, batch[0]), 4)
        w.add_images("batch", T_(T, batch), 5)
        w.add_images("batch_nhwc", T_(T, batch.transpose(0, 2, 3, 1).copy()), 6,
                     dataformats="NHWC")
        w.add_image("rgba", rgba, 7, dataformats="HWC")
    assert_same_events(*write_both(tmp_path, log))


def test_image_with_boxes(tmp_path):
    img = np.random.default_rng(5).random((3, 40, 60)).astype(np.float32)
    boxes = np.array([[2, 3, 20, 30], [10, 5, 50, 35]], dtype=np.float32)

    def log(T, w):
        w.add_image_with_boxes("boxes", T_(T, img), T_(T, boxes), 0)
        w.add_image_with_boxes("labelled", T_(T, img), T_(T, boxes), 1, labels=["cat", "dog"])
        w.add_image_with_boxes("scaled", img, boxes, 2, rescale=0.5)
    assert_same_events(*write_both(tmp_path, log))


def test_figure(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")

    def log(T, w):
        fig = plt.figure(figsize=(2, 1.5), dpi=50)
        plt.plot([0, 1, 2], [2, 0, 1])
        w.add_figure("fig", fig, 0)
        assert not plt.fignum_exists(fig.number)   # close=True
        figs = [plt.figure(figsize=(1, 1), dpi=40) for _ in range(2)]
        w.add_figure("figs", figs, 1, close=False)
        assert all(plt.fignum_exists(f.number) for f in figs)
        plt.close("all")
    import matplotlib
    matplotlib.use("Agg")
    assert_same_events(*write_both(tmp_path, log))


def test_text_tensor_audio(tmp_path):
    wave = np.sin(np.linspace(0, 20, 400)).astype(np.float32)

    def log(T, w):
        w.add_text("notes", "hello **world** \u00e9\u4e2d", 3)
        w.add_text("a/b", "", 4)
        w.add_tensor("t32", T_(T, np.arange(6, dtype=np.float32).reshape(2, 3)), 0)
        w.add_tensor("t64", T_(T, np.arange(3, dtype=np.int64) - 1), 1)
        w.add_tensor("ti8", T_(T, np.array([-3, 4], dtype=np.int8)), 1)
        w.add_tensor("tu8", T_(T, np.array([3, 250], dtype=np.uint8)), 1)
        w.add_tensor("tbool", T_(T, np.array([True, False])), 1)
        w.add_tensor("tf16", T_(T, np.array([1.5, -2], dtype=np.float16)), 1)
        w.add_tensor("tf64", T_(T, np.array([[1e-300]])), 1)
        w.add_tensor("tc64", T_(T, np.array([1 + 2j, -3j], dtype=np.complex64)), 1)
        w.add_audio("wave", T_(T, wave[None]), 2, sample_rate=8000)
    assert_same_events(*write_both(tmp_path, log))


def test_pr_curves(tmp_path):
    rng = np.random.default_rng(6)
    labels = rng.integers(0, 2, 200)
    preds = rng.random(200).astype(np.float32)
    weights = rng.random(200)

    def log(T, w):
        w.add_pr_curve("pr", T_(T, labels), T_(T, preds), 0)
        w.add_pr_curve("pr_np", labels, preds, 1, num_thresholds=11)
        w.add_pr_curve("pr_cap", labels, preds, 2, num_thresholds=500)
        w.add_pr_curve("pr_w", labels, preds, 3, num_thresholds=20, weights=weights)
        n = 5
        tp, fp = np.arange(n, 0, -1.0), np.arange(2 * n, n, -1.0)
        tn, fn = 10 - fp, 5 - tp
        w.add_pr_curve_raw("raw", tp, fp, tn, fn, tp / (tp + fp), tp / 5, 4, num_thresholds=n)
    assert_same_events(*write_both(tmp_path, log))


def test_custom_scalars_and_mesh(tmp_path):
    verts = np.array([[[1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]]], dtype=np.float32)
    colors = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 0, 255]]],
                      dtype=np.int32)
    faces = np.array([[[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]]], dtype=np.int32)

    def log(T, w):
        w.add_custom_scalars({"Taiwan": {"twse": ["Multiline", ["twse/0050", "twse/2330"]]},
                              "USA": {"dow": ["Margin", ["dow/aaa", "dow/bbb", "dow/ccc"]],
                                      "nasdaq": ["Margin", ["n/a", "n/b", "n/c"]]}})
        w.add_custom_scalars_multilinechart(["a", "b"], category="c", title="t")
        w.add_custom_scalars_marginchart(["a", "b", "c"])
        w.add_mesh("mesh", T_(T, verts), colors=T_(T, colors), faces=T_(T, faces),
                   global_step=1)
        w.add_mesh("cloud", T_(T, verts), config_dict={"camera": {"fov": 75}}, global_step=2)
    assert_same_events(*write_both(tmp_path, log))


def test_hparams(tmp_path):
    def log(T, w):
        w.add_hparams({"lr": 0.1, "bsize": 4, "opt": "sgd", "flag": True, "none": None,
                       "t": T_(T, [0.25])},
                      {"hparam/accuracy": 0.9, "hparam/loss": 1.5},
                      hparam_domain_discrete={"opt": ["sgd", "adam"], "bsize": [4, 8]},
                      run_name="run1", global_step=3)
        w.add_hparams({"lr": 0.01}, {"hparam/accuracy": 0.5}, run_name="run2")
    assert_same_events(*write_both(tmp_path, log))


def test_purge_step_and_suffix(tmp_path):
    def log(T, w):
        w.add_scalar("x", 1.0, 10)
    e, t = write_both(tmp_path, log, purge_step=7, filename_suffix=".v2")
    assert_same_events(e, t)
    assert t["."][1].step == 7 and t["."][2].session_log.status == 1


@pytest.mark.filterwarnings("ignore:`torch.jit.trace:DeprecationWarning")
def test_graph_events_layout(tmp_path):
    # the graph itself differs (torch's comes from the JIT tracer); the events around it do not
    from tensorboard.compat.proto.config_pb2 import RunMetadata

    def log(T, w):
        lin = T.nn.Linear(3, 2)
        w.add_graph(lin, T.zeros(4, 3))
    e, t = write_both(tmp_path, log)
    ev, tv = e["."], t["."]
    assert [x.WhichOneof("what") for x in ev] == [x.WhichOneof("what") for x in tv] == \
        ["file_version", "graph_def", "tagged_run_metadata"]
    assert ev[2] == tv[2]
    assert RunMetadata.FromString(ev[2].tagged_run_metadata.run_metadata).step_stats \
        .dev_stats[0].device == "/device:CPU:0"
