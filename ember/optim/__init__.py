"""ember.optim: torch.optim's optimizers and learning-rate schedulers on ember tensors.

Each algorithm is a class (param groups, state, state_dict from optimizer.Optimizer) plus a
plain in-place update on arrays; lr_scheduler changes the groups' 'lr' between steps.
"""
from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

# like torch, the algorithm modules are not attributes of the package (import them by path)
del adadelta, adagrad, adam, adamax, adamw, asgd, lbfgs, nadam, optimizer, radam, rmsprop  # noqa
del rprop, sgd  # noqa: F821

__all__ = ["Adadelta", "Adagrad", "Adam", "Adamax", "AdamW", "ASGD", "LBFGS", "lr_scheduler",
           "NAdam", "Optimizer", "RAdam", "RMSprop", "Rprop", "SGD", "swa_utils"]


from .._missing import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("ember.optim", "torch.optim")
