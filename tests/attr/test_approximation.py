"""The integration rules' step sizes and alphas are Captum's, number for number (the riemann
alphas come from a float32 linspace, so ember's linspace must round exactly as torch's)."""
import pytest

from ember.attr._utils.approximation_methods import SUPPORTED_METHODS, approximation_parameters

captum_approx = pytest.importorskip("captum.attr._utils.approximation_methods")

NS = list(range(2, 40)) + [50, 64, 99, 200]


@pytest.mark.parametrize("method", SUPPORTED_METHODS)
def test_step_sizes_and_alphas_exact(method):
    es, ea = approximation_parameters(method)
    cs, ca = captum_approx.approximation_parameters(method)
    for n in NS:
        assert es(n) == cs(n), (method, n)
        assert ea(n) == ca(n), (method, n)


def test_errors():
    for fn in (lambda m: approximation_parameters(m), ):
        with pytest.raises(ValueError, match="Invalid integral approximation method name: x"):
            fn("x")
    with pytest.raises(AssertionError, match="larger than one"):
        approximation_parameters("riemann_left")[1](1)
    with pytest.raises(AssertionError, match="larger than zero"):
        approximation_parameters("gausslegendre")[0](0)
