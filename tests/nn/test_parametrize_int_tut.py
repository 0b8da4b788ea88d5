"""Parametrizations as the intermediate "Parametrizations Tutorial" uses them: the class that
register_parametrization swaps in (`Parametrized<Class>`) carries torch's module path under the
import alias, as `print(type(layer))` shows; state_dict keys and the module repr match torch."""
import os
import subprocess
import sys

import torch
from oracle import check_repr

import ember

SCRIPT = r'''
import torch
import torch.nn as nn
import torch.nn.utils.parametrize as parametrize

class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

layer = nn.Linear(3, 3)
parametrize.register_parametrization(layer, "weight", Symmetric())
print(type(layer))
print(type(layer).__mro__[1])
print(parametrize.type_before_parametrizations(layer))
print(type(torch.nn.utils.parametrizations.orthogonal(nn.Linear(2, 2))))
'''


def test_parametrized_class_module_path(tmp_path):
    path = os.path.join(tmp_path, "param_names.py")
    with open(path, "w") as f:
        f.write(SCRIPT)
    runs = [subprocess.run([sys.executable] + args, capture_output=True, text=True, timeout=120,
                           check=False,
                           cwd=tmp_path) for args in ([path], ["-m", "ember", "run", path])]
    for r in runs:
        assert r.returncode == 0, r.stderr
    assert runs[1].stdout == runs[0].stdout
    assert "torch.nn.utils.parametrize.ParametrizedLinear" in runs[0].stdout


def test_parametrized_class_module_without_alias():
    layer = ember.nn.Linear(2, 2)
    ember.nn.utils.parametrize.register_parametrization(layer, "weight", ember.nn.Identity())
    assert type(layer).__name__ == "ParametrizedLinear"
    assert type(layer).__module__ == ember.nn.utils.parametrize.ParametrizationList.__module__


def _sym_layer(T):
    class Symmetric(T.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    layer = T.nn.Linear(3, 3)
    T.nn.utils.parametrize.register_parametrization(layer, "weight", Symmetric())
    T.nn.utils.parametrize.register_parametrization(layer, "bias", T.nn.Identity())
    return layer


def test_parametrized_repr_and_state_dict_keys():
    check_repr(_sym_layer)
    assert list(_sym_layer(ember).state_dict()) == list(_sym_layer(torch).state_dict())
