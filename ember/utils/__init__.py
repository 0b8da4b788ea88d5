"""torch.utils: `ember.utils.data` (datasets, samplers, DataLoader) and friends.

Subpackages load on first attribute access, so `import ember.utils` stays cheap and a later
`ember.utils.tensorboard` (or any other subpackage) becomes importable without editing this file.
"""
import importlib as _importlib

_SUBMODULES = {"data", "tensorboard", "checkpoint", "hooks", "benchmark", "model_zoo",
               "cpp_extension", "dlpack", "mobile_optimizer", "bottleneck", "deterministic"}


def __getattr__(name):
    if name in _SUBMODULES:
        try:
            return _importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 'ember.utils' has no attribute '{name}' (ember does "
                                 f"not implement torch.utils.{name} yet)") from None
    raise AttributeError(f"module 'ember.utils' has no attribute '{name}'")
