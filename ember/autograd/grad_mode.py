"""Grad mode: no_grad, enable_grad, set_grad_enabled, inference_mode (context managers and
decorators). The flag is one list cell, GRAD[0], read directly by Op.apply on every call."""
from __future__ import annotations

import functools
import inspect

GRAD = [True]        # grad mode: record graphs when an input requires grad
INFERENCE = [False]  # inference mode (grad off, and tensors made here are inference tensors)

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


def is_grad_enabled():
    return GRAD[0]


def is_inference_mode_enabled():
    return INFERENCE[0]


class _DecoratorContextManager:
    """Context manager that can also decorate functions (and generator functions)."""

    def __call__(self, func):
        if inspect.isclass(func):
            raise RuntimeError("Cannot decorate a class with a grad mode context manager")
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                try:
                    with self.clone():
                        response = gen.send(None)
                    while True:
                        try:
                            request = yield response
                        except GeneratorExit:
                            with self.clone():
                                gen.close()
                            raise
                        except BaseException as e:
                            with self.clone():
                                response = gen.throw(e)
                        else:
                            with self.clone():
                                response = gen.send(request)
                except StopIteration as e:
                    # the wrapped generator finished: finish too, with its return value
                    return e.value
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_DecoratorContextManager):
    """Disable graph recording inside the block (see torch.no_grad)."""

    def __init__(self):
        self.prev = False

    def __enter__(self):
        self.prev = GRAD[0]
        GRAD[0] = False

    def __exit__(self, *exc):
        GRAD[0] = self.prev


class enable_grad(_DecoratorContextManager):
    """Enable graph recording inside the block (see torch.enable_grad)."""

    def __enter__(self):
        self.prev = GRAD[0]
        GRAD[0] = True

    def __exit__(self, *exc):
        GRAD[0] = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """Set grad mode; takes effect at once (as a function) or for the block (as a context)."""

    def __init__(self, mode):
        self.prev = GRAD[0]
        self.mode = bool(mode)
        GRAD[0] = self.mode

    def __call__(self, func):
        GRAD[0] = self.prev
        return super().__call__(func)

    def __enter__(self):
        GRAD[0] = self.mode

    def __exit__(self, *exc):
        GRAD[0] = self.prev

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like no_grad, plus the inference-mode flag (see torch.inference_mode)."""

    def __init__(self, mode=True):
        self.mode = mode

    def __new__(cls, mode_or_fn=True):
        if callable(mode_or_fn) and not isinstance(mode_or_fn, bool):
            return cls()(mode_or_fn)
        return super().__new__(cls)

    def __enter__(self):
        self.prev = (GRAD[0], INFERENCE[0])
        if self.mode:
            GRAD[0] = False
            INFERENCE[0] = True

    def __exit__(self, *exc):
        GRAD[0], INFERENCE[0] = self.prev

    def clone(self):
        return self.__class__(self.mode)
