"""A job body sent as something other than JSON (multipart/form-data, a form, text) that does not parse was a 400
"the body is not valid JSON: Expecting value ..." that did not say why; now a 415 naming its Content-Type
(service.media_type). JSON (with or without a Content-Type, with a charset) and the binary tensor extension
(application/octet-stream) are read as before, and so is a JSON body under another type (`curl -d`'s form type).
Against the e2e session server."""
from __future__ import annotations

import json

import numpy as np
import pytest

from .helpers import DX, X, Y, decode, matmul_net


def _body() -> dict:
    return {"graph": matmul_net(), "inputs": [
        {"name": n, "shape": list(a.shape), "datatype": "FP32", "data": a.ravel().tolist()} for n, a in
        (("x", X), ("y", Y))]}


@pytest.mark.parametrize("route, pad", [("/v1/eval", 0), ("/v1/grad", 0), ("/v1/grad", 2 << 20)])
def test_multipart_body_is_415_naming_content_type(client, route, pad):
    """(pad: a body over 1 MiB, parsed in a decoder process: service.json_decoder)"""
    files = {"body": ("body.json", json.dumps(_body()).encode(), "application/json"), "pad": ("p", b" " * pad)}
    r = client.post(route, files=files)
    assert r.status_code == 415, r.text[:300]
    err = r.json()["error"]
    assert err["code"] == "unsupported_media_type"
    assert err["message"].startswith(f"Content-Type multipart/form-data is not read by POST {route}: send the "
                                      "body as application/json"), err["message"]


@pytest.mark.parametrize("ctype", ["text/plain", "application/msgpack", "application/x-www-form-urlencoded"])
def test_unparsed_body_of_another_type_is_415(client, ctype):
    r = client.post("/v1/grad", content=b"x=1&y=2", headers={"Content-Type": ctype})
    assert r.status_code == 415, r.text[:300]
    assert r.json()["error"]["message"].startswith(f"Content-Type {ctype} is not read by POST /v1/grad")


@pytest.mark.parametrize("ctype", [None, "application/json", "application/json; charset=utf-8"])
def test_json_not_parsing_is_still_400(client, ctype):
    headers = {"Content-Type": ctype} if ctype else {}
    r = client.post("/v1/eval", content=b"x=1&y=2", headers=headers)
    assert r.status_code == 400, r.text[:300]
    assert "the body is not valid JSON" in r.json()["error"]["message"]


@pytest.mark.parametrize("ctype", [None, "application/json; charset=utf-8", "application/x-www-form-urlencoded",
                                   "application/vnd.api+json"])
def test_json_body_is_read_whatever_its_type(client, ctype):
    headers = {"Content-Type": ctype} if ctype else {}
    r = client.post("/v1/grad", content=json.dumps(_body()).encode(), headers=headers)
    np.testing.assert_allclose(decode(r)["outputs"][0]["array"], DX, rtol=1e-6)
