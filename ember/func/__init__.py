"""torch.func for ember: composable function transforms (grad, vjp, jvp, jacrev, jacfwd,
hessian, vmap) and the module helpers functional_call / stack_module_state.

The autodiff transforms are levels over ember's tape autograd (_transforms.py); vmap is a loop
over the batch with torch's argument checks (_vmap.py); pytrees follow torch.utils._pytree.
"""
from ._functional_call import functional_call, stack_module_state
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from ._vmap import vmap

__all__ = ["grad", "grad_and_value", "vmap", "hessian", "jacfwd", "jacrev", "jvp", "linearize",
           "vjp", "functional_call", "stack_module_state"]
