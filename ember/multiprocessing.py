"""torch.multiprocessing: Python's multiprocessing under torch's name, plus torch's `spawn` /
`start_processes` (run fn(i, *args) in nprocs processes and report the first failure).

ember's tensors pickle by value, so no special sharing strategy is needed; the strategy
functions exist for programs that call them."""
from __future__ import annotations

import multiprocessing as _mp
import traceback
from multiprocessing import *  # noqa: F401,F403  (torch re-exports the whole module)

_STRATEGY = ["file_descriptor"]


def get_all_sharing_strategies():
    return {"file_descriptor", "file_system"}


def get_sharing_strategy():
    return _STRATEGY[0]


def set_sharing_strategy(new_strategy):
    if new_strategy not in get_all_sharing_strategies():
        raise AssertionError(new_strategy)
    _STRATEGY[0] = new_strategy


class ProcessException(Exception):
    def __init__(self, msg, error_index, pid):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.pid = pid


class ProcessRaisedException(ProcessException):
    """A spawned process raised: the message carries its traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process died with a non-zero exit code or a signal."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name


def _wrap(fn, i, args, error_queue):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        error_queue.put(traceback.format_exc())
        raise SystemExit(1)


class ProcessContext:
    """The processes started by spawn(join=False); join() waits and raises on failure."""

    def __init__(self, processes, error_queues):
        self.processes = processes
        self.error_queues = error_queues

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        """Wait for every process; True when all are done. A failure terminates the others
        and raises ProcessRaisedException / ProcessExitedException."""
        for i, p in enumerate(self.processes):
            p.join(timeout)
            if p.exitcode not in (None, 0):
                for q in self.processes:
                    if q.is_alive():
                        q.terminate()
                if not self.error_queues[i].empty():
                    tb = self.error_queues[i].get()
                    raise ProcessRaisedException(
                        f"\n\n-- Process {i} terminated with the following error:\n{tb}", i,
                        p.pid)
                if p.exitcode < 0:
                    import signal
                    name = signal.Signals(-p.exitcode).name
                    raise ProcessExitedException(f"process {i} terminated with signal {name}",
                                                 i, p.pid, p.exitcode, name)
                raise ProcessExitedException(
                    f"process {i} terminated with exit code {p.exitcode}", i, p.pid, p.exitcode)
        return all(p.exitcode is not None for p in self.processes)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run fn(i, *args) for i in range(nprocs), each in its own process (see
    torch.multiprocessing.start_processes)."""
    ctx = _mp.get_context(start_method)
    processes, queues = [], []
    for i in range(nprocs):
        q = ctx.SimpleQueue()
        p = ctx.Process(target=_wrap, args=(fn, i, args, q), daemon=daemon)
        p.start()
        processes.append(p)
        queues.append(q)
    context = ProcessContext(processes, queues)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """start_processes with the 'spawn' start method (see torch.multiprocessing.spawn)."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
