"""Under the import alias ember's classes carry torch's module paths: `print(type(model))`
prints `<class 'torch.nn.modules.container.Sequential'>` and a whole pickled model names
torch's globals, as PyTorch does (found running the "Save and Load the Model" tutorial)."""
import io
import json
import os
import pickletools
import subprocess
import sys
import zipfile

import torch

SCRIPT = r'''
import io, json, sys
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
objs = [m, m[0], torch.optim.SGD(m.parameters(), lr=0.1), DataLoader(TensorDataset(torch.ones(2))),
        torch.Size([1]), torch.float32, torch.device("cpu"), torch.ones(1), nn.Parameter(torch.ones(1)),
        torch.finfo(torch.float32), torch.nn.functional.relu]
buf = io.BytesIO()
torch.save(m, buf)
from ember import compat
out = {"types": [str(type(o)) for o in objs], "save": buf.getvalue().hex()}
compat.uninstall()
import ember
out["after"] = [str(type(ember.nn.Linear(1, 1))), str(ember.Size), str(ember.Tensor)]
print(json.dumps(out))
'''


def _globals(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        pkl = z.read([n for n in z.namelist() if n.endswith("data.pkl")][0])
    return sorted({a for op, a, _ in pickletools.genops(pkl) if op.name == "GLOBAL"})


def test_types_and_pickled_globals_read_as_torch(tmp_path):
    path = os.path.join(tmp_path, "names.py")
    with open(path, "w") as f:
        f.write(SCRIPT)
    r = subprocess.run([sys.executable, "-m", "ember", "run", path], capture_output=True,
                       text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    objs = [m, m[0], torch.optim.SGD(m.parameters(), lr=0.1),
            DataLoader(TensorDataset(torch.ones(2))), torch.Size([1]), torch.float32,
            torch.device("cpu"), torch.ones(1), nn.Parameter(torch.ones(1)),
            torch.finfo(torch.float32), torch.nn.functional.relu]
    assert got["types"] == [str(type(o)) for o in objs]
    buf = io.BytesIO()
    torch.save(m, buf)
    assert _globals(bytes.fromhex(got["save"])) == _globals(buf.getvalue())
    # and real torch loads the model ember pickled
    loaded = torch.load(io.BytesIO(bytes.fromhex(got["save"])), weights_only=False)
    assert type(loaded) is nn.Sequential and type(loaded[0]) is nn.Linear
    # uninstall gives the classes their ember paths back
    assert got["after"] == ["<class 'ember.nn.modules.linear.Linear'>",
                            "<class 'ember._size.Size'>", "<class 'ember.Tensor'>"]
