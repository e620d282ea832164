"""A binary job header met before (service.head_memo) decodes to what a first decode gives: the same
options, the same arrays (this body's values, not the first one's), the same errors; headers whose
tensors are not all plain binary ones are decoded every time."""
from __future__ import annotations

import json

import numpy as np
import pytest

from service import head_memo, http_app
from service.errors import InvalidRequest
from service.settings import Settings

GID = "sha256:" + "1" * 64


def binary_body(arrays: dict, **fields) -> tuple[bytes, str]:
    """A binary-extension body: {field: [arrays] | {name: array} | array} then the raw bytes in order."""
    head, raws = dict(fields, graph_id=GID), []

    def env(a):
        raws.append(a.tobytes())
        return {"shape": list(a.shape), "datatype": {"float32": "FP32", "float64": "FP64", "int32": "INT32"}[a.dtype.name],
                "parameters": {"binary_data_size": a.nbytes}}

    for field, v in arrays.items():
        head[field] = {k: env(a) for k, a in v.items()} if isinstance(v, dict) else \
            [env(a) for a in v] if isinstance(v, list) else env(v)
    h = json.dumps(head).encode()
    return h + b"".join(raws), str(len(h))


def decoded(req) -> dict:
    return {"inputs": [(a.dtype.str, a.shape, a.tolist()) for a in req.inputs],
            "params": [(k, a.dtype.str, a.shape, a.tolist()) for k, a in req.params.items()],
            "options": {k: [(a.dtype.str, a.shape, a.tolist()) for a in v] if k in ("sens", "tangents", "v") else v
                        for k, v in req.options.items()},
            "rest": (req.kind, req.graph_id, req.device, req.deadline_s, req.size_hint, req.graph_strict,
                     req.output_format)}


rng = np.random.default_rng(0)
CASES = [  # (kind, arrays, options)
    ("eval", {"inputs": [rng.random((32, 3), np.float32), np.float32(2.5).reshape(()), rng.random(4)],
              "params": {"w": rng.random((3, 2), np.float32), "b": np.arange(2, dtype=np.int32)}},
     {"binary_output": True, "deadline_ms": 500}),
    ("vjp", {"inputs": [rng.random(3, np.float32)], "v": rng.random(3, np.float32)}, {"device": "cpu:0"}),
    ("grad", {"inputs": [rng.random(3, np.float32)], "sens": [rng.random((), np.float32)]}, {"grad_position": [0]}),
    ("jvp", {"inputs": [rng.random(3, np.float32)], "tangents": []}, {}),
]


@pytest.mark.parametrize("kind, arrays, options", CASES)
def test_a_header_met_before_decodes_as_the_first_time(kind, arrays, options, monkeypatch):
    s, memo = Settings(), head_memo.HeadMemo()
    body, hl = binary_body(arrays, **options)
    first = decoded(http_app.decode_job(kind, body, hl, s, None, memo)[0])
    assert first == decoded(http_app.decode_job(kind, body, hl, s)[0])  # (no memo)
    assert len(memo.heads) == 1
    # the same header with other values: the memo's path (no JSON parse, no pydantic), this body's values
    other = {f: {k: a + 1 for k, a in v.items()} if isinstance(v, dict) else [a + 1 for a in v]
             if isinstance(v, list) else v + 1 for f, v in arrays.items()}
    body2, hl2 = binary_body(other, **options)
    assert hl2 == hl and body2[:int(hl)] == body[:int(hl)]
    monkeypatch.setattr(http_app, "validate", lambda *a: pytest.fail("a known header was validated again"))
    monkeypatch.setattr(http_app.codec, "loads", lambda *a, **k: pytest.fail("a known header was parsed again"))
    req, binary = http_app.decode_job(kind, body2, hl, s, None, memo)
    monkeypatch.undo()
    assert decoded(req) == decoded(http_app.decode_job(kind, body2, hl, s)[0]) != first
    assert binary == bool(options.get("binary_output"))
    assert all(not a.flags.writeable for a in req.inputs)  # views of the body, as a first decode gives


@pytest.mark.parametrize("kind, arrays, options", CASES + [
    ("grad", {"inputs": [rng.random(3, np.float32)]}, {"inner": [{"grad_position": [0]}], "grad_position": [0]})])
def test_each_hit_of_a_header_is_its_own_job_request(kind, arrays, options):
    """A header's hits build their JobRequests from the fields kept for it (jobs.request_template): each one equal
    to a first decode's, field by field, with options of its own (what one job's path changes in it, no other
    job sees), and a header that differs in a field (its deadline here) decodes to its own."""
    s, memo = Settings(), head_memo.HeadMemo()
    for deadline in (None, 250, 5):
        body, hl = binary_body(arrays, **dict(options, deadline_ms=deadline))
        reqs = [http_app.decode_job(kind, body, hl, s, None, memo)[0] for _ in range(3)]
        want = http_app.decode_job(kind, body, hl, s)[0]
        for req in reqs:
            assert decoded(req) == decoded(want) and req.deadline_s == (deadline / 1e3 if deadline else None)
            assert {k: v for k, v in vars(req).items() if k not in ("inputs", "params", "options", "recipe")} == \
                {k: v for k, v in vars(want).items() if k not in ("inputs", "params", "options", "recipe")}
        reqs[1].options["mutated"] = True
        reqs[1].params["mutated"] = True
        assert "mutated" not in reqs[2].options and "mutated" not in reqs[2].params
        assert "mutated" not in http_app.decode_job(kind, body, hl, s, None, memo)[0].options
    known = next(iter(memo.heads.values()))
    assert (known.template is None) == ("inner" in options)  # (nested specs: each request its own copies)


def test_a_known_header_with_a_wrong_tail_is_refused_as_always():
    s, memo = Settings(), head_memo.HeadMemo()
    body, hl = binary_body({"inputs": [np.ones(4, np.float32)]})
    http_app.decode_job("eval", body, hl, s, None, memo)
    for bad in (body[:-1], body + b"\0"):
        errs = []
        for m in (memo, None):
            with pytest.raises(InvalidRequest) as ei:
                http_app.decode_job("eval", bad, hl, s, None, m)
            errs.append((ei.value.message, ei.value.detail))
        assert errs[0] == errs[1], errs


def test_headers_that_are_not_all_binary_are_not_kept():
    s, memo = Settings(), head_memo.HeadMemo()
    body, hl = binary_body({"inputs": [np.ones(2, np.float32)]})
    head = json.loads(body[:int(hl)])
    head["inputs"].append({"shape": [1], "datatype": "FP32", "data": [3.0]})
    h = json.dumps(head).encode()
    req, _ = http_app.decode_job("eval", h + body[int(hl):], str(len(h)), s, None, memo)
    assert [a.tolist() for a in req.inputs] == [[1, 1], [3]] and not memo.heads
    head["inputs"][0] = {"shape": [2], "datatype": "FP32", "data": [1.0, 1.0]}
    http_app.decode_job("eval", json.dumps(head).encode(), None, s, None, memo)  # a JSON body: no tail
    assert not memo.heads


def test_the_memo_is_bounded():
    memo = head_memo.HeadMemo()
    for i in range(head_memo.MAX_ENTRIES + 3):
        memo.put("eval", b"%d" % i, object())
    assert len(memo.heads) <= head_memo.MAX_ENTRIES
    assert memo.key(memoryview(b"x" * (head_memo.MAX_HEAD + 1))) is None


def test_the_job_route_answers_a_repeated_binary_body_as_the_first():
    from tests.service.test_http_direct import make_app, ok_run, post_all

    app = make_app(ok_run)
    cases = []
    for k in range(3):
        body, hl = binary_body({"inputs": [np.arange(4, dtype=np.float32) + k]}, binary_output=False)
        cases.append(("/v1/eval", body, {"content-type": "application/octet-stream",
                                         "inference-header-content-length": hl}))
    got = post_all(app, cases)
    assert [r.status_code for r in got] == [200] * 3, got[0].text
    assert [r.json()["outputs"][1]["data"] for r in got] == [[2 * (i + k) for i in range(4)] for k in range(3)]


def _shm_obj():
    import os
    import uuid

    name = f"t_{uuid.uuid4().hex[:12]}"
    fd = os.open(f"/dev/shm/{name}", os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    os.ftruncate(fd, 1 << 16)
    return name, fd


def test_a_header_with_shared_memory_tensors_is_kept_and_each_hit_reads_and_checks_the_region(monkeypatch):
    """W2's header: an input in a client region and a binary one, outputs into a region. A hit reads the
    region's current bytes and checks it again (peer, registered, the same object), as a first decode does."""
    import os

    from service import client_shm, shm

    s, memo = Settings(), head_memo.HeadMemo()
    name, fd = _shm_obj()
    regs = client_shm.Regions()
    try:
        regs.register("in", "/" + name, 0, 1 << 16, "127.0.0.1")
        small = np.arange(3, dtype=np.float32)
        head = {"graph_id": GID, "binary_output": True,
                "shared_memory_output": {"region": "in", "offset": 4096, "byte_size": 4096},
                "inputs": [{"shape": [2, 8], "datatype": "FP32",
                            "parameters": {"shared_memory_region": "in", "shared_memory_offset": 64,
                                           "shared_memory_byte_size": 64}},
                           {"shape": [3], "datatype": "FP32", "parameters": {"binary_data_size": 12}}]}
        h = json.dumps(head).encode()

        def decode(values, memo_, peer="127.0.0.1"):
            os.pwrite(fd, values.astype("<f4").tobytes(), 64)
            io = client_shm.RegionIO(regs, peer)
            try:  # (closed however the decode ends, as the server's handler does)
                req = http_app.decode_job("grad", h + small.tobytes(), str(len(h)), s, io, memo_)[0]
                got = decoded(req)
                return got, io.target()
            finally:
                io.close()

        x = np.arange(16, dtype=np.float32).reshape(2, 8)
        first = decode(x, memo)
        assert len(memo.heads) == 1 and first == decode(x, None)
        assert first[1] == ("in", name, regs.regions["in"].ident, 0, 4096, 4096)
        monkeypatch.setattr(http_app, "validate", lambda *a: pytest.fail("a known header was validated again"))
        hit = decode(x * 3, memo)
        assert hit[0]["inputs"][0][2] == (x * 3).tolist() and hit[0]["inputs"][1][2] == small.tolist()
        monkeypatch.undo()
        assert hit == decode(x * 3, None)
        # what can change between requests is checked on the memo's path too, with the same errors
        for peer, match in (("192.0.2.2", "only for clients on the server's host"),):
            with pytest.raises(InvalidRequest, match=match):
                decode(x, memo, peer)
        shm.unlink_name(name)  # the client removed its object: no longer the one registered
        errs = []
        for m in (memo, None):
            with pytest.raises(InvalidRequest) as ei:
                decode(x, m)
            errs.append((ei.value.message, ei.value.detail))
        assert errs[0] == errs[1] and "removed or replaced" in errs[0][0]
        regs.unregister("in", "127.0.0.1")
        with pytest.raises(InvalidRequest, match="unknown shared memory region 'in'"):
            decode(x, memo)
    finally:
        os.close(fd)
        shm.unlink_name(name)
        regs.close()


def test_a_shared_memory_header_is_not_used_without_regions():
    """A request that cannot read regions (no RegionIO) decodes in full: the usual refusal."""
    import os

    from service import client_shm, shm

    s, memo = Settings(), head_memo.HeadMemo()
    name, fd = _shm_obj()
    regs = client_shm.Regions()
    try:
        regs.register("in", "/" + name, 0, 1 << 16, "127.0.0.1")
        h = json.dumps({"graph_id": GID, "inputs": [{"shape": [4], "datatype": "FP32", "parameters": {
            "shared_memory_region": "in", "shared_memory_offset": 0, "shared_memory_byte_size": 16}}]}).encode()
        http_app.decode_job("eval", h, str(len(h)), s, client_shm.RegionIO(regs, "127.0.0.1"), memo)
        assert len(memo.heads) == 1
        with pytest.raises(InvalidRequest, match="accepted only by the job and inference routes"):
            http_app.decode_job("eval", h, str(len(h)), s, None, memo)
    finally:
        os.close(fd)
        shm.unlink_name(name)
        regs.close()


# -- JSON bodies: the validated model kept by the head's light key (service.http_app._light_key) ------------

def json_body(**fields) -> bytes:
    return json.dumps(dict(fields, graph_id=GID)).encode()


def tensor(values) -> dict:
    return {"shape": [len(values)], "datatype": "FP32", "data": values}


def test_a_json_body_met_before_decodes_its_own_values_from_the_kept_model():
    memo, s = head_memo.HeadMemo(), Settings()
    first, _ = http_app.decode_job("grad", json_body(inputs=[tensor([1.0, 2.0])], get_all=True), None, s, memo=memo)
    assert len(memo.models) == 1
    again, _ = http_app.decode_job("grad", json_body(inputs=[tensor([3.0, 4.5])], get_all=True), None, s, memo=memo)
    assert len(memo.models) == 1  # a hit: nothing new kept
    fresh, _ = http_app.decode_job("grad", json_body(inputs=[tensor([3.0, 4.5])], get_all=True), None, s)
    assert decoded(again) == decoded(fresh) and decoded(again) != decoded(first)
    assert again.inputs[0].tolist() == [3.0, 4.5] and again.options["get_all"] is True


@pytest.mark.parametrize("value", [1, 1.0, "true"])
def test_a_field_equal_but_of_another_type_is_validated_again(value):
    """true == 1 == 1.0 in Python: the key carries each field's type, so a StrictBool still refuses 1."""
    memo, s = head_memo.HeadMemo(), Settings()
    http_app.decode_job("grad", json_body(inputs=[tensor([1.0])], get_all=True), None, s, memo=memo)
    with pytest.raises(InvalidRequest, match=r"\$\.get_all"):
        http_app.decode_job("grad", json_body(inputs=[tensor([1.0])], get_all=value), None, s, memo=memo)


def test_a_bad_tensor_envelope_is_worded_by_the_model_after_a_hit():
    memo, s = head_memo.HeadMemo(), Settings()
    http_app.decode_job("eval", json_body(inputs=[tensor([1.0])]), None, s, memo=memo)
    bad = dict(tensor([1.0]), name=7)  # a name must be a string: decode_tensor alone would not say so
    with pytest.raises(InvalidRequest, match=r"\$\.inputs\[0\]\.name"):
        http_app.decode_job("eval", json_body(inputs=[bad]), None, s, memo=memo)


def test_heads_with_more_than_scalars_are_validated_every_time():
    memo, s = head_memo.HeadMemo(), Settings()
    for _ in range(2):
        req, _ = http_app.decode_job("grad", json_body(inputs=[tensor([1.0]), tensor([2.0])], grad_position=[0, 1]),
                                     None, s, memo=memo)
        assert req.options["grad_position"] == [0, 1]
    assert not memo.models
