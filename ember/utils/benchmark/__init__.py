"""torch.utils.benchmark for ember: Timer (timeit-based, torch's autorange rules), Measurement,
Compare tables, the Fuzzer input generators, and Callgrind result containers (collecting
instruction counts raises NotImplementedError). The code lives in utils/, mirroring torch's
module paths so printed and pickled names read torch.utils.benchmark.utils.*.
"""
from .utils.common import *
from .utils.timer import *
from .utils.compare import *
from .utils.fuzzer import *
from .utils.valgrind_wrapper.timer_interface import *
from .utils.sparse_fuzzer import *
