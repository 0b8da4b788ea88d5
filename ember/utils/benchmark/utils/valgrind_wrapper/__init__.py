"""torch.utils.benchmark.utils.valgrind_wrapper: Callgrind result containers (timer_interface)."""
