"""The tensor store's limits as a server advertises them (reliab9): the SDK's by-hash registration
(gradserve._weights_by_hash.register, driven here call by call as the client drives it) tells a model larger than
what the server keeps for one client from pieces other clients evicted by the share the server's missing-tensors
answer names; only an older server's answer (no limits) leaves it to its own default share of the error's
tensor_store_bytes. A server whose store is off (501 / UNIMPLEMENTED) or older (no route, 404) gets the graph whole."""
from __future__ import annotations

import base64
import hashlib

import numpy as np
import pytest

from gradserve import _weights_by_hash as wbh
from gradserve import errors

W = np.arange(4096, dtype=np.float32)  # 16 KiB of values: one piece
DOC = {"format": "gradserve.graph/1", "inputs": [], "nodes": [], "outputs": "w",
       "params": [{"name": "w", "shape": [4096], "dtype": "float32",
                   "value": {"shape": [4096], "dtype": "float32", "b64": base64.b64encode(W.tobytes()).decode()}}]}
STORE = 1 << 30  # the tensor_store_bytes the refusal names: its default share (half) would fit W many times


def _not_kept() -> errors.NotFound:
    return errors.from_response(404, {"error": {"code": "tensor_not_found", "message": "evicted", "detail": {
        "limit": "tensor_store_bytes", "value": STORE}}})


def test_a_model_past_the_advertised_client_share_is_refused_after_one_try():
    ops = _run({"store_bytes": 2 * W.nbytes, "client_bytes": W.nbytes - 1})
    assert ops == ["missing_tensors", "put_tensors", "register_graph"]


def test_within_the_advertised_share_an_evicted_piece_is_sent_again_up_to_the_tries():
    ops = _run({"store_bytes": 4 * W.nbytes, "client_bytes": 2 * W.nbytes})
    assert ops == ["missing_tensors", "put_tensors", "register_graph"] * wbh.REGISTER_TRIES


def test_an_older_servers_answer_leaves_the_sdks_default_share_of_the_errors_store():
    assert W.nbytes < STORE * wbh.STORE_SHARE
    ops = _run({})
    assert ops == ["missing_tensors", "put_tensors", "register_graph"] * wbh.REGISTER_TRIES


def _run(missing_answer: dict) -> list[str]:
    """The operations one registration sends while each of its registrations is refused (tensor_not_found, the
    error naming STORE) and each missing-tensors question is answered `missing_answer` plus the piece: their
    names, in order, until it raises."""
    ops: list[str] = []
    gen = wbh.register(DOC)
    reply, throw = None, None
    with pytest.raises(errors.NotFound) as e:
        while len(ops) <= 32:
            op = gen.throw(throw) if throw else gen.send(reply)
            ops.append(op[0])
            reply, throw = None, None
            if op[0] == "missing_tensors":
                reply = {"missing": list(op[1]["sha256"]), **missing_answer}
            elif op[0] == "put_tensors":
                reply = {"sha256": [_key(t) for t in op[1]["tensors"]], "stored": len(op[1]["tensors"])}
            else:
                throw = _not_kept()
    assert e.value.code == "tensor_not_found"
    return ops


def _key(piece) -> str:
    return hashlib.sha256(np.asarray(piece).data).hexdigest()


@pytest.mark.parametrize("status,code", [(501, "not_implemented"), (404, "not_found")])
def test_a_server_without_a_store_gets_the_graph_whole(status, code):
    gen = wbh.register(DOC)
    assert gen.send(None)[0] == "missing_tensors"
    op = gen.throw(errors.from_response(status, {"error": {"code": code, "message": "no store"}}))
    assert op[0] == "register_graph" and op[1]["graph"] == DOC
    with pytest.raises(StopIteration) as done:
        gen.send({"graph_id": "g"})
    assert done.value.value == {"graph_id": "g"}
