"""ember's glibc malloc tuning: repeated multi-MB temporaries reuse heap memory instead of
faulting in fresh pages every time (EMBER_MALLOC_TUNE=0 turns it off)."""
from __future__ import annotations

import subprocess
import sys

import pytest

_PROBE = """
import resource, numpy as np, ember, ember.backend._malloc as m
sizes = [300_000, 900_000, 2_000_000, 5_000_000, 600_000]
def step():   # a training step's pattern: temporaries of several sizes, some kept a while
    keep = []
    for s in sizes:
        keep.append(np.ones(s, np.float32))
        b = np.ones(s // 2, np.float32)
        del b
    del keep
step()
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(m.tuned, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0)
"""


def _faults(env_value):
    env = {"EMBER_MALLOC_TUNE": env_value, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    return out[0] == "True", int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc only")
def test_tuned_heap_reuses_large_blocks():
    tuned, faults = _faults("1")
    off, faults_off = _faults("0")
    assert tuned and not off
    # untuned: the multi-MB blocks are fresh mmaps, faulted in page by page (~75,000)
    assert faults_off > 10_000
    assert faults < faults_off // 20
