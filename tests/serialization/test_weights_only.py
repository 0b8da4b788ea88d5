"""weights_only=True (the default): only tensors, containers, primitives and allow-listed names
load; anything else is refused with torch's error text, and no code from the file runs."""
import io
import os
import pickle
from collections import OrderedDict

import pytest
import torch

import ember

from ._util import assert_tree, load_bytes, same_error, save_bytes

CALLED = []


def side_effect(*args):
    """What a malicious checkpoint would call; the tests check it never runs."""
    CALLED.append(args)
    return "ran"


class Payload:
    def __reduce__(self):
        return (side_effect, ("pwned",))


class EvalPayload:
    def __reduce__(self):
        return (eval, ("1 + 1",))


class SystemPayload:
    def __reduce__(self):
        return (os.system, ("true",))


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return type(other) is Point and (self.x, self.y) == (other.x, other.y)


@pytest.fixture(autouse=True)
def _clean():
    CALLED.clear()
    yield
    torch.serialization.clear_safe_globals()
    ember.serialization.clear_safe_globals()


def both_load(data, **kw):
    return (lambda: load_bytes(torch, data, **kw)), (lambda: load_bytes(ember, data, **kw))


@pytest.mark.parametrize("payload", [Payload, EvalPayload, SystemPayload, Point])
def test_forbidden_globals_refused_like_torch(payload):
    obj = {"w": torch.ones(2), "x": payload(1, 2) if payload is Point else payload()}
    data = save_bytes(torch, obj)
    msg = same_error(*both_load(data))
    assert msg.startswith("Weights only load failed")
    assert CALLED == []                                 # nothing from the file ran
    if payload is Payload:
        assert load_bytes(ember, data, weights_only=False)["x"] == "ran"
        assert CALLED == [("pwned",)]                   # ... though the payload is live


def test_ember_written_payload_refused():
    data = save_bytes(ember, [ember.ones(1), Payload()])
    same_error(*both_load(data))
    assert CALLED == []
    legacy = save_bytes(ember, [Payload()], _use_new_zipfile_serialization=False)
    same_error(*both_load(legacy))
    assert CALLED == []


def test_safe_globals_allow_listed_class():
    data = save_bytes(torch, {"p": Point(1, [torch.arange(3)])})
    same_error(*both_load(data))
    for T in (torch, ember):
        T.serialization.add_safe_globals([Point])
    assert ember.serialization.get_safe_globals() == [Point]
    assert_tree(load_bytes(ember, data)["p"].y, load_bytes(torch, data)["p"].y)
    for T in (torch, ember):
        T.serialization.clear_safe_globals()
    assert ember.serialization.get_safe_globals() == []
    with torch.serialization.safe_globals([Point]), ember.serialization.safe_globals([Point]):
        e, t = load_bytes(ember, data)["p"], load_bytes(torch, data)["p"]
        assert e.x == t.x == 1
    assert ember.serialization.get_safe_globals() == []
    same_error(*both_load(data))


def test_safe_globals_with_explicit_name():
    data = save_bytes(torch, Point(3, 4))
    name = f"{Point.__module__}.{Point.__qualname__}"
    for T in (torch, ember):
        T.serialization.add_safe_globals([(Point, name)])
    assert load_bytes(ember, data) == load_bytes(torch, data) == Point(3, 4)


def test_blocked_module_even_if_allow_listed():
    data = save_bytes(torch, [SystemPayload()])
    for T in (torch, ember):
        T.serialization.add_safe_globals([os.system])
    same_error(*both_load(data))


def test_protocol_4_file_needs_full_unpickler():
    data = save_bytes(torch, {"a": torch.ones(2)}, pickle_protocol=4)
    with pytest.warns(UserWarning, match="Detected pickle protocol 4"):
        same_error(*both_load(data))
    assert_tree(load_bytes(ember, data, weights_only=False), load_bytes(torch, data,
                                                                       weights_only=False))


def test_explicit_pickle_module_with_weights_only():
    data = save_bytes(torch, [1])
    same_error(*both_load(data, pickle_module=pickle, weights_only=True))
    assert load_bytes(ember, data, pickle_module=pickle) == [1]


def test_get_unsafe_globals_in_checkpoint(tmp_path):
    p = tmp_path / "x.pt"
    torch.save({"a": torch.ones(1), "b": Payload(), "c": EvalPayload(), "d": OrderedDict()}, p)
    for T in (torch, ember):
        found = sorted(T.serialization.get_unsafe_globals_in_checkpoint(p))
        assert found == ["builtins.eval", f"{__name__}.side_effect"], T
    same_error(lambda: torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(b"x")),
               lambda: ember.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(b"x")))


def test_force_weights_only_environment(monkeypatch):
    data = save_bytes(torch, [Payload()])
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "1")
    same_error(*both_load(data, weights_only=False))
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    same_error(*both_load(data))
    assert CALLED == []


def test_storage_objects_and_legacy_tensor_classes():
    import warnings
    t = torch.arange(4.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)    # torch: TypedStorage is deprecated
        data = save_bytes(torch, {"typed": t._typed_storage(),
                                  "untyped": t.clone().untyped_storage()})
        expected = repr(load_bytes(torch, data)["typed"])
    e = load_bytes(ember, data)
    assert isinstance(e["typed"], ember.serialization.TypedStorage)
    assert repr(e["typed"]) == expected
    assert e["untyped"].tolist() == list(t.untyped_storage())
    assert e["typed"].dtype is ember.float32 and len(e["typed"]) == 4
