"""The main job, `python -m ember.examples.lenet`, in a short run: the tutorial's output format
(sample labels, loss log, "Finished Training", accuracy line) and a loadable checkpoint."""
import os
import re
import subprocess
import sys

import ember


def test_main_job_short_run(tmp_path):
    out = tmp_path / "net.pth"
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(ember.__file__)))
    p = subprocess.run([sys.executable, "-m", "ember.examples.lenet", "--epochs", "1",
                        "--max-batches", "40", "--output", str(out)],
                       capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert re.fullmatch(r"( {4}\d)( {5}\d){3}", lines[0]), lines[0]   # '%5s' labels, as the seed
    # 40 of 360 batches: the seed's every-2000-of-12500 proportion gives a line every 6
    losses = [ln for ln in lines if ln.startswith("[")]
    assert [int(re.fullmatch(r"\[1, +(\d+)\] loss: \d+\.\d{3}", ln).group(1))
            for ln in losses] == [6, 12, 18, 24, 30, 36]
    assert losses[0] == "[1,     6] loss: " + losses[0].split(": ")[1]   # '%5d'
    assert "Finished Training" in lines
    acc = [ln for ln in lines if ln.startswith("Accuracy")]
    assert re.fullmatch(r"Accuracy of the network on the 359 test images: \d+ %", acc[0])
    state = ember.load(str(out))
    assert list(state) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                           "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight",
                           "fc3.bias"]
    assert tuple(state["fc1.weight"].shape) == (120, 400)
