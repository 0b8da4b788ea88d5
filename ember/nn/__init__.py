"""torch.nn for ember: Module and Parameter, every layer (modules/), the functional API,
initialisers and utilities. `import ember.nn as nn` gives what `import torch.nn as nn` gives."""
# ruff: noqa: F401  (this file re-exports torch.nn names)
from .parameter import (Parameter, Buffer, UninitializedParameter, UninitializedBuffer)
from .modules import *  # noqa: F401,F403
from .modules import Module
from . import functional, init, parameter, utils, modules
from . import parallel
from .parallel import DataParallel
from .modules.module import (register_module_forward_pre_hook, register_module_forward_hook,
                             register_module_full_backward_pre_hook,
                             register_module_backward_hook,
                             register_module_full_backward_hook,
                             register_module_buffer_registration_hook,
                             register_module_module_registration_hook,
                             register_module_parameter_registration_hook)

# ---- the other nn engineer's names ----


from .._missing import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("ember.nn", "torch.nn")
