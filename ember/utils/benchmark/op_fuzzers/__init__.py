"""torch.utils.benchmark.op_fuzzers for ember: ready-made Fuzzers for unary and binary ops."""
