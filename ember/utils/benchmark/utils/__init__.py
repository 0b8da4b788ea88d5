"""torch.utils.benchmark.utils: common (TaskSpec, Measurement), timer, compare, fuzzer and the
Callgrind containers (valgrind_wrapper)."""
