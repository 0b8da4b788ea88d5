"""The seed's TensorBoard chapter end to end: programs/seed_tensorboard.py runs with torch and
through `python -m ember run`; both print the same, and their log dirs hold the same runs, tags,
steps, images and projector files, with the logged losses equal to float32 rounding."""
import os
import subprocess
import sys

import numpy as np

from .helpers import accumulator, needs_torch_writer, runs

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM = os.path.join(HERE, "programs", "seed_tensorboard.py")


def _files(root):
    out = {}
    for d, _dirs, files in os.walk(root):
        for f in files:
            if not f.startswith("events.out.tfevents"):
                with open(os.path.join(d, f), "rb") as fh:
                    out[os.path.relpath(os.path.join(d, f), root)] = fh.read()
    return out


@needs_torch_writer
def test_seed_tensorboard_chapter(tmp_path):
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONWARNINGS="ignore")
    t_dir, e_dir = str(tmp_path / "torch"), str(tmp_path / "ember")
    # both at once: the torch run spends most of its time importing torch
    procs = [subprocess.Popen([sys.executable, PROGRAM, t_dir], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, cwd=HERE),
             subprocess.Popen([sys.executable, "-m", "ember", "run", PROGRAM, e_dir],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env, cwd=HERE)]
    (t_out, t_err), (e_out, e_err) = [p.communicate(timeout=300) for p in procs]
    assert procs[0].returncode == 0, t_err
    assert procs[1].returncode == 0, e_err
    assert e_out == t_out
    assert "Batch 12" in e_out and "Finished Training" in e_out

    t_runs, e_runs = runs(t_dir), runs(e_dir)
    assert sorted(e_runs) == sorted(t_runs) == [
        ".", "Training vs. Validation Loss_Training", "Training vs. Validation Loss_Validation"]
    for run in t_runs:
        assert [e.WhichOneof("what") for e in e_runs[run]] == \
            [e.WhichOneof("what") for e in t_runs[run]]
        ta, ea = accumulator(os.path.join(t_dir, run)), accumulator(os.path.join(e_dir, run))
        assert ea.Tags()["scalars"] == ta.Tags()["scalars"]
        for tag in ta.Tags()["scalars"]:
            tv, ev = ta.Scalars(tag), ea.Scalars(tag)
            assert [x.step for x in ev] == [x.step for x in tv] == [3, 7, 11]
            np.testing.assert_allclose([x.value for x in ev], [x.value for x in tv], rtol=1e-5)
    ta, ea = accumulator(t_dir), accumulator(e_dir)
    t_img, = ta.Images("Four Fashion-MNIST Images")
    e_img, = ea.Images("Four Fashion-MNIST Images")
    assert (e_img.width, e_img.height) == (122, 32)
    assert e_img.encoded_image_string == t_img.encoded_image_string
    assert ea.Tags()["graph"] and ea.Tags()["run_metadata"] == ["step1"]
    names = [n.name for n in ea.Graph().node]
    assert "input/x" in names and "output/output.1" in names
    assert any(n.startswith("Net/Conv2d[conv1]/") for n in names)
    assert _files(e_dir) == _files(t_dir)     # projector config, tensors, metadata, sprite
    assert sorted(_files(e_dir)) == ["00000/default/metadata.tsv", "00000/default/sprite.png",
                                     "00000/default/tensors.tsv", "projector_config.pbtxt"]
