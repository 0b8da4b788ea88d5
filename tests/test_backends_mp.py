"""torch.backends probes and flags, torch.multiprocessing.spawn."""
import pytest
import torch

import ember
import ember.multiprocessing as emp


def test_backends_probes_match_a_cpu_torch_where_ember_has_no_library():
    import ember.backends.cudnn as cudnn
    assert ember.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert ember.backends.mps.is_built() is torch.backends.mps.is_built()
    assert cudnn.is_available() is torch.backends.cudnn.is_available()
    assert cudnn.version() == torch.backends.cudnn.version()
    assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic) == (
        torch.backends.cudnn.enabled, torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic)
    assert ember.backends.cuda.is_built() is torch.backends.cuda.is_built()
    assert ember.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    cudnn.benchmark = True
    assert ember.backends.cudnn.benchmark is True
    cudnn.benchmark = False


def _ok(i, path):
    with open(f"{path}/{i}", "w") as f:
        f.write(str(i * i))


def _fail(i):
    if i == 1:
        raise ValueError("boom in child")


def test_spawn_runs_each_rank(tmp_path):
    # fork: the spawn start method would leave multiprocessing's resource-tracker process
    # running for the rest of the session (the DataLoader tests check for stray children)
    assert emp.start_processes(_ok, args=(str(tmp_path),), nprocs=2,
                               start_method="fork") is None
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["0", "1"]


def test_spawn_reports_child_error_like_torch():
    with pytest.raises(emp.ProcessRaisedException, match="ValueError: boom in child") as ei:
        emp.start_processes(_fail, nprocs=2, start_method="fork")
    assert "-- Process 1 terminated with the following error:" in str(ei.value)
    assert emp.get_sharing_strategy() == torch.multiprocessing.get_sharing_strategy()
    assert emp.get_all_sharing_strategies() == torch.multiprocessing.get_all_sharing_strategies()
    assert emp.cpu_count() == torch.multiprocessing.cpu_count()
