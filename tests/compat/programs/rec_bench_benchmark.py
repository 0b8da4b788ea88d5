"""Recipe "PyTorch Benchmark" (recipes/recipes/benchmark): timeit vs torch.utils.benchmark.Timer,
num_threads, blocked_autorange, Compare tables, pickled A/B results and the Fuzzer.
Wall times differ run to run (and between torch and ember), so every timing print is replaced
by what is deterministic: the benchmarked results, Measurement reprs with the time masked,
count invariants, table layouts with the cells masked, and tables of fixed Measurements.
Sizes and min_run_time are smaller than the recipe's to keep the test fast."""
import pickle
import re
import timeit
from itertools import product

import torch
import torch.utils.benchmark as benchmark

torch.manual_seed(0)


def batched_dot_mul_sum(a, b):
    '''Computes batched dot by multiplying and summing'''
    return a.mul(b).sum(-1)


def batched_dot_bmm(a, b):
    '''Computes batched dot by reducing to ``bmm``'''
    a = a.reshape(-1, 1, a.shape[-1])
    b = b.reshape(-1, b.shape[-1], 1)
    return torch.bmm(a, b).flatten(-3)


def masked(m):
    """A Measurement's repr with its times (which vary) replaced by <t>."""
    text = re.sub(r"-?\d+\.\d\d (ns|us|ms|s)\b", "<t>", repr(m))
    return re.sub(r"\(<t> to <t>\)", "(<t> to <t>)", text)


def table_shape(compare):
    """Compare's table with every timed cell shown as # (blank cells stay blank)."""
    for line in str(compare).splitlines():
        if line.startswith("["):
            print("[", line.strip("[]- "), "]")
        elif "threads:" in line:
            print(line.split(":")[0] + ":")
        elif "|" in line:
            cells = line.split("|")
            print(cells[0].strip(), "|", " | ".join(
                "#" if c.strip() else "" for c in cells[1:]) if cells[0].strip()
                else " | ".join(c.strip() for c in cells[1:]))
        elif line.startswith("Times are in"):
            print("Times are in <unit>")  # the unit follows the fastest cell
        else:
            print(line)


# Input for benchmarking
x = torch.randn(10000, 64)

# Ensure that both functions compute the same output
assert batched_dot_mul_sum(x, x).allclose(batched_dot_bmm(x, x))
print(batched_dot_mul_sum(x, x)[:4])
print(batched_dot_bmm(x, x)[:4])

# 2. Benchmarking with timeit.Timer (times printed as a positive check)
t0 = timeit.Timer(stmt='batched_dot_mul_sum(x, x)',
                  setup='from __main__ import batched_dot_mul_sum', globals={'x': x})
t1 = timeit.Timer(stmt='batched_dot_bmm(x, x)',
                  setup='from __main__ import batched_dot_bmm', globals={'x': x})
print('mul_sum(x, x) > 0:', t0.timeit(10) / 10 * 1e6 > 0)
print('bmm(x, x) > 0:    ', t1.timeit(10) / 10 * 1e6 > 0)

# 3. Benchmarking with torch.utils.benchmark.Timer
t0 = benchmark.Timer(stmt='batched_dot_mul_sum(x, x)',
                     setup='from __main__ import batched_dot_mul_sum', globals={'x': x})
t1 = benchmark.Timer(stmt='batched_dot_bmm(x, x)',
                     setup='from __main__ import batched_dot_bmm', globals={'x': x})
print(masked(t0.timeit(20)))
print(masked(t1.timeit(20)))

num_threads = torch.get_num_threads()
print(f'Benchmarking on {num_threads} threads')
t0 = benchmark.Timer(stmt='batched_dot_mul_sum(x, x)',
                     setup='from __main__ import batched_dot_mul_sum', globals={'x': x},
                     num_threads=num_threads, label='Multithreaded batch dot',
                     sub_label='Implemented using mul and sum')
t1 = benchmark.Timer(stmt='batched_dot_bmm(x, x)',
                     setup='from __main__ import batched_dot_bmm', globals={'x': x},
                     num_threads=num_threads, label='Multithreaded batch dot',
                     sub_label='Implemented using bmm')
print(masked(t0.timeit(20)))
print(masked(t1.timeit(20)))
# (the recipe's CUDA section needs a GPU: not reproduced)

# 4. Benchmarking with Blocked Autorange (recipe: default min_run_time=0.2)
m0 = t0.blocked_autorange(min_run_time=0.05)
m1 = t1.blocked_autorange(min_run_time=0.05)
for m in (m0, m1):
    print(m.task_spec.title, "|", m.number_per_run > 0, sum(m.raw_times) >= 0.05)
    print(f"Mean > 0: {m.mean * 1e6 > 0}, Median > 0: {m.median * 1e6 > 0}")

# 5. Comparing benchmark results (recipe: sizes up to 10000, threads up to 32, 1 s each)
results = []
sizes = [1, 64, 512]
for b, n in product(sizes, sizes):
    label = 'Batched dot'
    sub_label = f'[{b}, {n}]'
    x = torch.ones((b, n))
    for num_threads in [1, 2]:
        results.append(benchmark.Timer(
            stmt='batched_dot_mul_sum(x, x)', setup='from __main__ import batched_dot_mul_sum',
            globals={'x': x}, num_threads=num_threads, label=label, sub_label=sub_label,
            description='mul/sum').blocked_autorange(min_run_time=0.005))
        results.append(benchmark.Timer(
            stmt='batched_dot_bmm(x, x)', setup='from __main__ import batched_dot_bmm',
            globals={'x': x}, num_threads=num_threads, label=label, sub_label=sub_label,
            description='bmm').blocked_autorange(min_run_time=0.005))

compare = benchmark.Compare(results)
table_shape(compare)
compare.trim_significant_figures()
compare.colorize()
table_shape(compare)

# the same tables from fixed measurements: exact text
fixed = []
for i, (b, n) in enumerate(product(sizes, sizes)):
    for th in (1, 4):
        for j, desc in enumerate(("mul/sum", "bmm")):
            base = 5.9e-6 * (1 + i * i * 0.7) * (1 + j * 0.9) / (1 + (th > 1) * i * 0.3)
            raw = [base * 1000 * (1 + 0.004 * ((k * 3 + i) % 5 - 2)) for k in range(7)]
            spec = benchmark.TaskSpec(stmt=f"f{j}(x, x)", setup="pass", label="Batched dot",
                                      sub_label=f"[{b}, {n}]", description=desc,
                                      num_threads=th)
            fixed.append(benchmark.Measurement(1000, raw, spec))
compare = benchmark.Compare(fixed)
compare.print()
compare.trim_significant_figures()
compare.colorize()
compare.print()
compare.colorize(rowwise=True)
compare.highlight_warnings()
compare.print()

# 6. Saving/Loading benchmark results
ab_test_results = []
for env in ('environment A: mul/sum', 'environment B: bmm'):
    for b, n in ((1, 1), (64, 1024), (1024, 1)):
        x = torch.ones((b, n))
        dot_fn = (batched_dot_mul_sum if env == 'environment A: mul/sum' else batched_dot_bmm)
        m = benchmark.Timer(
            stmt='batched_dot(x, x)', globals={'x': x, 'batched_dot': dot_fn},
            num_threads=1, label='Batched dot', description=f'[{b}, {n}]', env=env,
        ).blocked_autorange(min_run_time=0.005)
        ab_test_results.append(pickle.dumps(m))

ab_results = [pickle.loads(i) for i in ab_test_results]
print(type(ab_results[0]), ab_results[0].env, ab_results[-1].description)
compare = benchmark.Compare(ab_results)
compare.trim_significant_figures()
compare.colorize()
table_shape(compare)

ab_fixed = pickle.loads(pickle.dumps([
    benchmark.Measurement(100, [t * (1 + 0.001 * k) for k in range(6)], benchmark.TaskSpec(
        stmt='batched_dot(x, x)', setup="pass", label='Batched dot', description=d, env=e))
    for e, scale in (('environment A: mul/sum', 1.0), ('environment B: bmm', 2.1))
    for d, t in (('[1, 1]', 7e-4 * scale), ('[1024, 10000]', 3.6 * scale), ('[10000, 1]', 2.1e-3))]))
compare = benchmark.Compare(ab_fixed)
compare.trim_significant_figures()
compare.colorize()
compare.print()

# And just to show that we can round trip all of the results from earlier:
round_tripped_results = pickle.loads(pickle.dumps(results))
print(str(benchmark.Compare(results)) == str(benchmark.Compare(round_tripped_results)))

# 7. Generating inputs with Fuzzed Parameters (recipe: up to 10M elements, 1 s per timing)
from torch.utils.benchmark import Fuzzer, FuzzedParameter, FuzzedTensor, ParameterAlias

example_fuzzer = Fuzzer(
    parameters=[
        FuzzedParameter('k0', minval=1, maxval=10000, distribution='loguniform'),
        FuzzedParameter('k1', minval=1, maxval=10000, distribution='loguniform'),
    ],
    tensors=[
        FuzzedTensor('x', size=('k0', 'k1'), min_elements=128, max_elements=100000,
                     probability_contiguous=0.6)
    ],
    seed=0,
)

results = []
for tensors, tensor_params, params in example_fuzzer.take(10):
    sub_label = (f"{params['k0']:<6} x {params['k1']:<4} "
                 f"{'' if tensor_params['x']['is_contiguous'] else '(discontiguous)'}")
    print(sub_label, tensors['x'].shape, tensors['x'].stride(), f"{tensors['x'].sum():.3f}")
    results.append(benchmark.Timer(
        stmt='batched_dot_mul_sum(x, x)', setup='from __main__ import batched_dot_mul_sum',
        globals=tensors, label='Batched dot', sub_label=sub_label, description='mul/sum',
    ).blocked_autorange(min_run_time=0.005))
    results.append(benchmark.Timer(
        stmt='batched_dot_bmm(x, x)', setup='from __main__ import batched_dot_bmm',
        globals=tensors, label='Batched dot', sub_label=sub_label, description='bmm',
    ).blocked_autorange(min_run_time=0.005))

compare = benchmark.Compare(results)
compare.trim_significant_figures()
table_shape(compare)

# the built-in fuzzers: torch 2.13 rejects their (normalized) dict distributions
from torch.utils.benchmark.op_fuzzers import binary
try:
    binary.BinaryOpFuzzer(seed=0)
except AssertionError as e:
    print("BinaryOpFuzzer:", type(e).__name__, e)

# 8. Collecting instruction counts with Callgrind: needs valgrind and a C++ extension built
# with cpp_extension.load_inline; not reproduced.
