"""Integral approximation rules of the path methods (IntegratedGradients, LayerConductance).

Step sizes and alphas are what Captum computes: the riemann rules take their alphas from a
float32 `linspace` (so they carry float32 rounding), gauss-legendre from numpy's `leggauss`
rescaled from [-1, 1] to [0, 1].
"""
from __future__ import annotations

from collections.abc import Callable
from enum import Enum

import numpy as np


class Riemann(Enum):
    left = 1
    right = 2
    middle = 3
    trapezoid = 4


SUPPORTED_RIEMANN_METHODS = ["riemann_left", "riemann_right", "riemann_middle",
                             "riemann_trapezoid"]
SUPPORTED_METHODS: list[str] = SUPPORTED_RIEMANN_METHODS + ["gausslegendre"]

Builders = tuple[Callable[[int], list[float]], Callable[[int], list[float]]]


def approximation_parameters(method: str) -> Builders:
    """(step_sizes(n), alphas(n)) for `method`; see captum's approximation_parameters."""
    if method in SUPPORTED_RIEMANN_METHODS:
        return riemann_builders(method=Riemann[method.split("_")[-1]])
    if method == "gausslegendre":
        return gauss_legendre_builders()
    raise ValueError("Invalid integral approximation method name: {}".format(method))


def riemann_builders(method: Riemann = Riemann.trapezoid) -> Builders:
    """Equal steps 1/n (halved at both ends for the trapezoid rule); alphas in [0, 1]."""
    from ..._creation import linspace

    def step_sizes(n: int) -> list[float]:
        assert n > 1, "The number of steps has to be larger than one"
        deltas = [1 / n] * n
        if method == Riemann.trapezoid:
            deltas[0] /= 2
            deltas[-1] /= 2
        return deltas

    def alphas(n: int) -> list[float]:
        assert n > 1, "The number of steps has to be larger than one"
        if method == Riemann.trapezoid:
            return linspace(0, 1, n).tolist()
        if method == Riemann.left:
            return linspace(0, 1 - 1 / n, n).tolist()
        if method == Riemann.middle:
            return linspace(1 / (2 * n), 1 - 1 / (2 * n), n).tolist()
        if method == Riemann.right:
            return linspace(1 / n, 1, n).tolist()
        raise AssertionError("Provided Reimann approximation method is not valid.")

    return step_sizes, alphas


def gauss_legendre_builders() -> Builders:
    """Gauss-Legendre nodes and weights, rescaled from [-1, 1] (weights sum 2) to [0, 1]."""

    def step_sizes(n: int) -> list[float]:
        assert n > 0, "The number of steps has to be larger than zero"
        return (0.5 * np.polynomial.legendre.leggauss(n)[1]).tolist()

    def alphas(n: int) -> list[float]:
        assert n > 0, "The number of steps has to be larger than zero"
        return (0.5 * (1 + np.polynomial.legendre.leggauss(n)[0])).tolist()

    return step_sizes, alphas
