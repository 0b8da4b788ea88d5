"""Lines of code per package (tinygrad's sz.py): growth is seen in every CI run.

Prints code lines (non-blank, non-comment) and doc lines per ember subpackage, and checks the
budgets DESIGN.md sets for the engine (autograd/engine.py + op.py) and the backend."""
from __future__ import annotations

import io
import os
import sys
import tokenize

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ember")
BUDGETS = {("autograd/engine.py", "autograd/op.py"): 700, ("backend/__init__.py",): 300}


def count(path):
    code = doc = 0
    with open(path, "rb") as f:
        src = f.read()
    lines_doc = set()
    try:
        for tok in tokenize.tokenize(io.BytesIO(src).readline):
            if tok.type == tokenize.STRING and tok.line.strip().startswith(('"""', "'''", 'r"""')):
                lines_doc.update(range(tok.start[0], tok.end[0] + 1))
            elif tok.type == tokenize.COMMENT:
                lines_doc.add(tok.start[0])
    except tokenize.TokenError:
        pass
    for i, line in enumerate(src.decode("utf8").splitlines(), 1):
        if not line.strip():
            continue
        if i in lines_doc and (line.strip().startswith("#") or line.strip().startswith(
                ('"""', "'''")) or not line.strip().startswith(("def", "class"))):
            doc += 1
        else:
            code += 1
    return code, doc


def main():
    per_pkg = {}
    per_file = {}
    for dirpath, _, files in os.walk(ROOT):
        for fn in files:
            if fn.endswith(".py"):
                p = os.path.join(dirpath, fn)
                rel = os.path.relpath(p, ROOT).replace(os.sep, "/")
                c, d = count(p)
                per_file[rel] = c
                pkg = rel.split("/")[0] if "/" in rel else "(top)"
                a = per_pkg.setdefault(pkg, [0, 0])
                a[0] += c
                a[1] += d
    total_c = sum(v[0] for v in per_pkg.values())
    total_d = sum(v[1] for v in per_pkg.values())
    print(f"{'package':<16}{'code':>8}{'doc':>8}{'doc%':>7}")
    for k in sorted(per_pkg):
        c, d = per_pkg[k]
        print(f"{k:<16}{c:>8}{d:>8}{100 * d / max(c + d, 1):>6.0f}%")
    print(f"{'total':<16}{total_c:>8}{total_d:>8}{100 * total_d / max(total_c + total_d, 1):>6.0f}%")
    ok = True
    for files, budget in BUDGETS.items():
        n = sum(per_file.get(f, 0) for f in files)
        status = "ok" if n <= budget else "OVER BUDGET"
        print(f"budget {'+'.join(files)}: {n}/{budget} {status}")
        ok &= n <= budget
    if not ok:
        # a report, not a gate: growth past a budget is shown in every CI log
        print("warning: a line budget is exceeded (see above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
