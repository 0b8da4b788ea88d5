"""`python -m ember run SCRIPT.py [args]`: run a PyTorch program with ember in torch's place."""
from __future__ import annotations

import runpy
import sys

USAGE = "usage: python -m ember run SCRIPT.py [args...]   (or: python -m ember run -m module)"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 2 or argv[0] != "run":
        print(USAGE, file=sys.stderr)
        return 2
    from ember import compat
    compat.install()
    if argv[1] == "-m":
        if len(argv) < 3:
            print(USAGE, file=sys.stderr)
            return 2
        sys.argv = argv[2:]
        runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
        return 0
    sys.argv = argv[1:]
    sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(argv[1])))
    runpy.run_path(argv[1], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
