"""Recipe "Timer quick start" (recipes/recipes/timer_quick_start): torch.utils.benchmark.Timer,
blocked_autorange and Measurement. Wall times differ run to run (and between torch and ember),
so timing prints are replaced by what is deterministic: the task description, the counts'
invariants, and Measurements built from fixed raw times."""
import torch
from torch.utils.benchmark import Measurement, Timer

# 1. Defining a Timer
timer = Timer(
    # The computation which will be run in a loop and timed.
    stmt="x * y",
    # `setup` will be run before calling the measurement loop, and is used to
    # populate any state which is needed by `stmt`
    setup="""
        x = torch.ones((128,))
        y = torch.ones((128,))
    """,
    # Control the number of threads that PyTorch uses. (Default: 1)
    num_threads=1,
)

# 2. Wall time: Timer.blocked_autorange(...)
# the recipe uses min_run_time=1; a shorter run keeps the test fast
m: Measurement = timer.blocked_autorange(min_run_time=0.05)
# print(m) shows the median time: print its deterministic lines instead
print(type(m))
print(m.task_spec.summarize())
print(m.number_per_run > 0, len(m.raw_times) > 0, sum(m.raw_times) >= 0.05)
print(m.median > 0, m.iqr >= 0, len(m.times) == len(m.raw_times))
print(m.title, "|", m.num_threads, "thread")

# the same Measurement repr, from fixed times
fixed = Measurement(number_per_run=1000, raw_times=[2.34e-3, 2.31e-3, 2.38e-3, 2.36e-3, 2.33e-3],
                    task_spec=m.task_spec)
print(fixed)
print(f"{fixed.median * 1e6:.3f} us, IQR {fixed.iqr * 1e6:.3f} us, mean {fixed.mean * 1e6:.3f} us")
print(fixed.significant_figures, fixed.has_warnings)
noisy = Measurement(number_per_run=1, raw_times=[1e-6, 3e-6, 2e-6, 9e-6], task_spec=m.task_spec)
print(noisy)

# the statement being timed
x = torch.ones((128,))
y = torch.ones((128,))
print((x * y)[:4], (x * y).sum())

# 3. C++ snippets / 4-6. Callgrind instruction counts: these compile a C++ snippet against
# libtorch and run valgrind, which this environment does not provide; not reproduced.

# 8. Footnotes: implied `import torch`
m2 = Timer("torch.empty(())").timeit(10)
print(m2.number_per_run, len(m2.raw_times), m2.task_spec.stmt)
print(Timer("np.zeros(())", "import numpy as np").timeit(5).number_per_run)
