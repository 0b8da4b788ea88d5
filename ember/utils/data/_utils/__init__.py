"""Helpers behind the DataLoader (see torch.utils.data._utils): collate, fetch, worker loop,
pin_memory and the shared-memory transport between worker and main process.
"""
import atexit

# seconds: the main process's default wait for one result, and its wait for workers to stop
MP_STATUS_CHECK_INTERVAL = 5.0

# set at interpreter exit: loaders then skip their orderly shutdown (queues may be gone)
python_exit_status = False


def _set_python_exit_flag():
    global python_exit_status
    python_exit_status = True


atexit.register(_set_python_exit_flag)

from . import collate, fetch, pin_memory, worker  # noqa: E402, F401
