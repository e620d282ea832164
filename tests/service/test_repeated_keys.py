"""codec.loads refuses an object that repeats a key (service.repeated_keys), naming the key and the path of
its object; strings that look like keys to the fast count are no repeats. Expected paths by hand."""
from __future__ import annotations

import pytest

from service import codec
from service.errors import InvalidRequest


@pytest.mark.parametrize("raw, key, path", [
    (b'{"a": 1, "a": 2}', "a", "$"),
    (b'{"x": [1, {"b": {"c": 1, "c" : 2}}]}', "c", "$.x[1].b"),
    (b'{"k\\\\": 1, "k\\\\": 2}', "k\\", "$"),  # a key ending in an escaped backslash
    (b'{"a": NaN, "a": 1}', "a", "$"),  # the json (non-strict) path too
    (b'{"a": [{"q": 1}, {"q": 1}], "b": [[{"z": 1,\n "z"\n: 2}]]}', "z", "$.b[0][0]"),
    (b'{"p": {"u": 1, "v": 2, "u": 3}}', "u", "$.p"),
])
def test_a_repeated_key_is_named_with_its_path(raw, key, path):
    for body in (raw, memoryview(b"--" + raw)[2:]):
        with pytest.raises(InvalidRequest) as e:
            codec.loads(body)
        assert e.value.detail == {"path": path, "key": key}, e.value.detail
        assert f"repeats the key {key!r} in the object at {path}" in e.value.message


def test_a_prefix_names_where_the_json_sits():
    with pytest.raises(InvalidRequest) as e:
        codec.loads(b'{"nodes": [{"op": "sin", "op": "cos"}]}', "graph_json", "$.graph")
    assert e.value.detail["path"] == "$.graph.nodes[0]" and e.value.message.startswith("graph_json repeats")


@pytest.mark.parametrize("raw, want", [
    (b'{"a": ":x", "b": "\\":"}', {"a": ":x", "b": '":'}),  # colons after quotes inside strings
    (b'{"a": {"a": {"a": 1}}}', {"a": {"a": {"a": 1}}}),  # the same key in nested objects
    (b'[{"a": 1}, {"a": 2}]', [{"a": 1}, {"a": 2}]),  # ... in sibling objects
    (b'{"a" : 1, "b":\t2}', {"a": 1, "b": 2}),
])
def test_what_only_looks_repeated_is_read(raw, want):
    assert codec.loads(raw)[0] == want
