"""The model registry and weight enums of torchvision.models (see torchvision/models/_api.py):
`Weights` (url, transforms, meta), `WeightsEnum` (ResNet18_Weights.DEFAULT ...), and
`register_model` / `list_models` / `get_model` / `get_model_builder` / `get_model_weights` /
`get_weight`. Weight files come through ember.hub's cache (no network: see ember/hub.py).
"""
from __future__ import annotations

import fnmatch
import importlib
import inspect
import sys
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any, Callable, Optional, Union, get_args

__all__ = ["WeightsEnum", "Weights", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models"]


@dataclass
class Weights:
    """What comes with one set of pretrained weights: where the file lives (`url`), a
    constructor of its preprocessing (`transforms`) and facts about it (`meta`)."""
    url: str
    transforms: Callable
    meta: dict[str, Any]

    def __eq__(self, other: Any) -> bool:
        # partial objects compare by identity, and Enum rebuilds members by equality when
        # deep-copying or unpickling: compare a partial by its parts instead (as torchvision).
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        a, b = self.transforms, other.transforms
        if isinstance(a, partial) and isinstance(b, partial):
            return a.func == b.func and a.args == b.args and a.keywords == b.keywords
        return a == b


class WeightsEnum(Enum):
    """Base of every model's weight enum; each member's value is a `Weights`."""

    @classmethod
    def verify(cls, obj: Any) -> Any:
        """None, a member, or its name ("IMAGENET1K_V1" / "ResNet18_Weights.IMAGENET1K_V1")."""
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but "
                                f"received {obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The state dict behind `url`, from the hub cache; see
        ember.hub.load_state_dict_from_url."""
        from ...hub import load_state_dict_from_url
        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


def get_weight(name: str) -> WeightsEnum:
    """A weight enum member by its full name, e.g. "ResNet50_Weights.IMAGENET1K_V1"."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.")
    base = importlib.import_module(__name__.rsplit(".", 1)[0])
    # the models package and its sub-packages (torchvision also searches detection, ...)
    candidates = [base] + [m for _, m in inspect.getmembers(base, inspect.ismodule)
                           if getattr(m, "__file__", "").endswith("__init__.py")]
    for m in candidates:
        cls = m.__dict__.get(enum_name)
        if isinstance(cls, type) and issubclass(cls, WeightsEnum):
            return cls[value_name]
    raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be "
                     "retrieved.")


def get_model_weights(name: Union[Callable, str]) -> type[WeightsEnum]:
    """The weight enum class of a model builder (or of the model registered under `name`)."""
    fn = get_model_builder(name) if isinstance(name, str) else name
    return _get_enum_from_fn(fn)


def _get_enum_from_fn(fn: Callable) -> type[WeightsEnum]:
    # the enum is read from the builder's `weights` annotation, as torchvision does
    sig = inspect.signature(fn)
    if "weights" not in sig.parameters:
        raise ValueError("The method is missing the 'weights' argument.")
    ann = sig.parameters["weights"].annotation
    if isinstance(ann, str):  # postponed annotations: resolve in the builder's module
        ann = eval(ann, sys.modules[fn.__module__].__dict__)
    if isinstance(ann, type) and issubclass(ann, WeightsEnum):
        return ann
    for t in get_args(ann):
        if isinstance(t, type) and issubclass(t, WeightsEnum):
            return t
    raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved. "
                     "Make sure the typing info is correct.")


BUILTIN_MODELS: dict[str, Callable] = {}


def register_model(name: Optional[str] = None) -> Callable:
    """Decorator: record a builder under `name` (default: the function's name)."""
    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn
    return wrapper


def list_models(module=None, include=None, exclude=None) -> list[str]:
    """Sorted names of registered models, optionally from one module and filtered by
    fnmatch patterns (`include` unions, `exclude` removes); see torchvision.models.list_models."""
    all_models = {k for k, v in BUILTIN_MODELS.items()
                  if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__}
    if include:
        models: set[str] = set()
        for pattern in [include] if isinstance(include, str) else include:
            models |= set(fnmatch.filter(all_models, pattern))
    else:
        models = all_models
    if exclude:
        for pattern in [exclude] if isinstance(exclude, str) else exclude:
            models -= set(fnmatch.filter(all_models, pattern))
    return sorted(models)


def get_model_builder(name: str) -> Callable:
    """The builder function registered under `name` (case-insensitive)."""
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}")


def get_model(name: str, **config: Any):
    """Build the model registered under `name` with `config` passed to its builder."""
    return get_model_builder(name)(**config)
