"""The SDK codec's memos (gradserve._wire): a binary job body's head memoised by its layout, a small binary
answer's layout memoised by its head less timing. Every body and answer is checked against an independent
writer / reader (stdlib json, the server's codec), on the call that learns the memo and on the ones that use it."""
from __future__ import annotations

import json

import numpy as np
import pytest

from gradserve import _wire
from service import codec

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(autouse=True)
def empty_memos(monkeypatch):
    monkeypatch.setattr(_wire, "_HEADS", {})
    monkeypatch.setattr(_wire, "_LAYOUTS", {})


def expected_body(body: dict) -> tuple[dict, bytes]:
    """(the JSON head, the tensor bytes) a binary body must have: stdlib json, little-endian bytes in order."""
    chunks = []

    def walk(x):
        if isinstance(x, np.ndarray):
            raw = np.ascontiguousarray(x, x.dtype.newbyteorder("<")).tobytes()
            chunks.append(raw)
            return {"shape": list(x.shape), "datatype": _wire.v2_datatype(x.dtype),
                    "parameters": {"binary_data_size": len(raw)}}
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [walk(v) for v in x]
        return x

    return walk(body), b"".join(chunks)


def check_body(body: dict) -> None:
    content, headers = _wire.encode_request(body, binary=True)
    n = int(headers[_wire.HEADER_LENGTH])
    head, tail = expected_body(body)
    assert json.loads(content[:n]) == head and content[n:] == tail
    assert headers["content-type"] == "application/octet-stream"


def job(w, b, x, **flags) -> dict:
    return {"graph_id": "sha256:ab", "inputs": [x], "params": {"w": w, "b": b}, "device": "cpu", **flags}


def test_a_body_is_right_when_its_head_is_learnt_and_when_it_is_reused():
    rng = np.random.default_rng(0)
    for _ in range(3):  # new values, one layout: the same head, the new bytes
        check_body(job(rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal(4).astype(np.float32),
                       rng.standard_normal((2, 3)).astype(np.float32), binary_output=True))
    assert len(_wire._HEADS) == 1


@pytest.mark.parametrize("other", [
    {"binary_output": 1},  # equal to True, not the same JSON
    {"binary_output": False},
    {"deadline_ms": 250},
    {"y": None, "grad_position": [0, 1], "weights": ("w", "b")},
])
def test_layouts_that_compare_equal_but_write_other_json_are_kept_apart(other):
    w, b, x = np.ones((4, 3), np.float32), np.zeros(4, np.float32), np.ones((2, 3), np.float32)
    check_body(job(w, b, x, binary_output=True))
    check_body(job(w, b, x, **other))
    check_body(job(w, b, x, binary_output=True))


def test_shape_dtype_and_byte_order_are_part_of_the_layout():
    w, b = np.ones((4, 3), np.float32), np.zeros(4, np.float32)
    for x in [np.ones((2, 3), np.float32), np.ones((3, 2), np.float32), np.ones((2, 3), np.float64),
              np.arange(6, dtype=">f4").reshape(2, 3), np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2],
              np.zeros((0, 3), np.float32), np.array(2.5, np.float32)]:
        check_body(job(w, b, x))
        check_body(job(w, b, x))


def test_what_the_walk_checks_is_still_checked():
    x = np.ones(3, np.float32)
    for _ in range(2):
        with pytest.raises(TypeError, match="datetime64"):
            _wire.encode_request({"inputs": [np.zeros(3, "datetime64[s]")]}, binary=True)
        with pytest.raises(ValueError):  # a float outside a tensor: the walk writes (and refuses) it
            _wire.encode_request({"inputs": [x], "f": float("nan")}, binary=True)
    check_body({"inputs": [x], "f": 0.5, "sens": [np.float32(1.5)], "nested": {"a": [x]}})
    assert not _wire._HEADS  # none of these has a memoisable layout


def answer(outputs: list, timing: dict, structure=None, device="cpu") -> tuple[bytes, str]:
    """A binary answer as the server writes it (service.codec)."""
    header = {"structure": structure if structure is not None else list(range(len(outputs))),
              "graph_id": "sha256:ab", "device": device, "timing": timing}
    body, headers = codec.encode_response(header, outputs, True)
    return body, headers.get(_wire.HEADER_LENGTH.lower())


def check_answer(body: bytes, hl: str, outputs: list) -> dict:
    got = _wire.decode_response(body, hl)
    n = int(hl)
    head = json.loads(body[:n])
    for t in got["outputs"]:
        assert t.pop("array").flags.writeable
    assert got == head
    got = _wire.decode_response(body, hl)
    for t, (name, a) in zip(got["outputs"], outputs):
        assert t["name"] == name and t["array"].dtype == a.dtype and np.array_equal(t["array"], a)
    return got


def test_an_answer_is_right_when_its_layout_is_learnt_and_when_it_is_reused():
    rng = np.random.default_rng(1)
    kept = []
    for k in range(4):  # one program: new values and a new timing each call
        outs = [("out0", np.float32(rng.standard_normal())), ("out1", rng.standard_normal((3, 2)).astype(np.float32)),
                ("out2", np.arange(k, k + 3, dtype=np.int32)), ("out3", np.zeros((0, 2), np.float64))]
        body, hl = answer(outs, {"compute_ms": 0.1 * k, "lane": "inline", "threads": k}, [0, [1, 2, 3]])
        got = check_answer(body, hl, outs)
        assert got["timing"] == {"compute_ms": 0.1 * k, "lane": "inline", "threads": k}
        assert got["structure"] == [0, [1, 2, 3]] and got["device"] == "cpu"
        got["structure"][1].append(9)  # the caller's own: the next answer is not changed by it
        kept.append((got["outputs"][1]["array"], outs[1][1]))
    assert len([v for v in _wire._LAYOUTS.values() if v is not None]) == 1
    for a, want in kept:  # each call's arrays are its own: later calls did not overwrite them
        assert np.array_equal(a, want)


def test_answers_that_are_not_plain_small_binary_ones_decode_in_full():
    big = np.arange(20000, dtype=np.float32)  # over the one-copy size: an array per output, as before
    misaligned = [("out0", np.ones(3, np.float32)), ("out1", np.arange(2, dtype=np.int64))]  # an int64 at byte 12
    for outs in ([("out0", big)], misaligned):
        body, hl = answer(outs, {"compute_ms": 1.0})
        check_answer(body, hl, outs)
    head = b'{"outputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[1.5,2.5]}],"timing":{"x":1}}'
    for _ in range(2):  # JSON numbers in a binary answer
        assert _wire.decode_response(head, str(len(head)))["outputs"][0]["array"].tolist() == [1.5, 2.5]
    head = b'{"outputs":[{"name":"a","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}],' \
           b'"timing":{"x":1},"device":"cpu"}'  # timing not last
    for _ in range(2):
        got = _wire.decode_response(head + np.float32(3).tobytes(), str(len(head)))
        assert got["outputs"][0]["array"].tolist() == [3.0] and got["device"] == "cpu"


def test_a_tail_that_disagrees_with_a_known_layout_is_refused_as_before():
    outs = [("out0", np.ones((2, 3), np.float32))]
    body, hl = answer(outs, {"compute_ms": 1.0})
    check_answer(body, hl, outs)
    with pytest.raises(ValueError):  # a byte short: the layout does not fit; the full decode refuses it
        _wire.decode_response(body[:-1], hl)
    longer = answer([("out0", np.ones((2, 3), np.float32))], {"compute_ms": 1.0})[0] + b"\0" * 4
    got = _wire.decode_response(longer, hl)  # extra bytes after the tensors: ignored, as the full decode does
    assert np.array_equal(got["outputs"][0]["array"], np.ones((2, 3), np.float32))


def test_a_kept_layouts_check_in_place_agrees_with_known_answer():
    """answer_timing (the SDK lane's check of an answer against the layout it pinned) gives known_answer's
    timing exactly when known_answer finds that layout: other values, timings, layouts, sizes, heads whose
    timing is not last, not closed, or whose timing holds the marker itself."""
    outs = [("out0", np.float32(2.0)), ("out1", np.arange(3, dtype=np.float32))]
    body, hl = answer(outs, {"compute_ms": 1.0})
    lay, _ = _wire.known_answer(memoryview(body), int(hl))
    assert lay.key == body[:int(hl)][:body[:int(hl)].rfind(b',"timing":')]
    variants = [answer(outs, {"compute_ms": 2.5, "lane": "inline"}),
                answer([(n, a * 3) for n, a in outs], {"compute_ms": 0.5}),
                answer([("out0", np.float32(2.0)), ("out1", np.arange(4, dtype=np.float32))], {"compute_ms": 1.0}),
                answer([("outX", np.float32(2.0)), ("out1", np.arange(3, dtype=np.float32))], {"compute_ms": 1.0}),
                answer(outs, {"compute_ms": 1.0}, [1, 0]), answer(outs, {"note": ',"timing":{}'})]
    head, kinds = body[:int(hl)], []
    bad = [(head[:-1] + b" }", hl), (head[:-1], str(len(head) - 1)), (head[:-1] + b',"x":1}', str(len(head) + 6)),
           (head.replace(b'"compute_ms":1.0', b'"compute_ms":1.0,'), str(len(head) + 1))]
    for raw, n in variants + [(head + body[int(hl):] + b"\0", hl), (body[:-1], hl)] + \
            [(h + body[int(hl):], n2) for h, n2 in bad]:
        n = int(n)
        known = _wire.known_answer(memoryview(raw), n)
        want = known[1] if known is not None and known[0] is lay else _wire.NOT_OF
        for content in (raw, bytearray(raw)):
            got = _wire.answer_timing(content, n, lay)
            assert got is want if want is _wire.NOT_OF else got == want
        kinds.append(want is _wire.NOT_OF)
    assert kinds.count(False) == 3 and kinds.count(True) == 9  # (both answers met: the check can fail both ways)
    assert _wire.answer_timing(body, int(hl), lay) == {"compute_ms": 1.0}
