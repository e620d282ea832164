"""POST /v1/<job> taken straight to its handler (GradserveApp.direct) answers exactly as through FastAPI's
stack: success, bad bodies, a core's ServiceError, an unexpected exception (500 with the request id).
In-process: the app over httpx's ASGI transport, with the core's `run` replaced (no pools started)."""
from __future__ import annotations

import asyncio
import logging

import httpx
import numpy as np
import pytest

from fake_core import fake_app
from service.core import JobResult
from service.errors import Overloaded
from service.settings import Settings

GOOD = {"graph_id": "sha256:" + "0" * 64, "inputs": [{"shape": [2], "datatype": "FP32", "data": [1.0, 2.0]}]}


def make_app(run, **settings):
    return fake_app(run, **settings)[1]


async def ok_run(req):
    x = req.inputs[0]
    return JobResult([("out0", np.asarray(x.sum())), ("out1", 2 * x)], [0, 1], "sha256:g", "cpu:0", {"compute_ms": 0.1})


async def overloaded_run(req):
    raise Overloaded("pool 'cpu' is full: retry after 3s", retry_after=3)


async def broken_run(req):
    raise RuntimeError("a bug in the core")


def post_all(app, cases):
    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t") as c:
            return [await c.post(path, content=body, headers=headers) for path, body, headers in cases]

    return asyncio.run(main())


def answers(run, cases, **settings):
    """(direct, through FastAPI) responses to the same requests."""
    app = make_app(run, **settings)
    assert set(app.direct) == {f"/v1/{k}" for k in ("eval", "grad", "jvp", "vjp", "jacobian", "hessian", "hvp")}
    direct = post_all(app, cases)
    app.direct = {}  # the same app, every request through the middleware stack and the router
    return direct, post_all(app, cases)


def same(a: httpx.Response, b: httpx.Response) -> None:
    def body(r):
        if not r.content:
            return None
        d = r.json()
        d.pop("timing", None)  # (measured times differ)
        return d

    assert (a.status_code, body(a)) == (b.status_code, body(b))
    for h in ("content-type", "x-request-id", "retry-after"):
        assert a.headers.get(h) == b.headers.get(h), h


import json  # noqa: E402

CASES = [
    ("/v1/eval", json.dumps(GOOD).encode(), {"x-request-id": "r-ok"}),
    ("/v1/grad", json.dumps(GOOD).encode(), {"x-request-id": "r-grad"}),
    ("/v1/eval", b"{not json", {"x-request-id": "r-json"}),
    ("/v1/eval", json.dumps({**GOOD, "nope": 1}).encode(), {"x-request-id": "r-field"}),
    ("/v1/eval", json.dumps({**GOOD, "inputs": [{"shape": [3], "datatype": "FP32", "data": [1.0]}]}).encode(),
     {"x-request-id": "r-shape"}),
]


def test_direct_answers_as_the_stack_does():
    direct, stack = answers(ok_run, CASES)
    for a, b in zip(direct, stack):
        same(a, b)
    assert [r.status_code for r in direct] == [200, 200, 400, 400, 400]
    assert direct[0].json()["outputs"][1]["data"] == [2.0, 4.0]
    assert direct[3].json()["error"]["detail"]["request_id"] == "r-field"


def test_a_core_error_and_an_unexpected_one(caplog):
    direct, stack = answers(overloaded_run, CASES[:1])
    same(direct[0], stack[0])
    assert direct[0].status_code == 429 and direct[0].headers["retry-after"] == "3"
    with caplog.at_level(logging.ERROR, logger="gradserve.http"):
        direct, stack = answers(broken_run, CASES[:1])
    assert direct[0].status_code == stack[0].status_code == 500
    for r in (direct[0], stack[0]):
        err = r.json()["error"]
        assert err["code"] == "internal" and "a bug in the core" in err["message"]
        assert err["detail"]["request_id"] == "r-ok"
    assert sum("internal error on /v1/eval" in m for m in caplog.messages) == 2  # logged, both ways


AUTH_CASES = [(path, CASES[0][1], dict(h, **{"x-request-id": f"r-auth{i}"})) for i, (path, h) in enumerate([
    ("/v1/eval", {}),  # no key
    ("/v1/eval", {"authorization": "Bearer nope"}),  # a wrong key
    ("/v1/grad", {"authorization": "Basic k1"}),  # the right key in the wrong scheme
    ("/v1/eval", {"authorization": "Bearer k1"}),
    ("/v1/grad", {"authorization": "bearer  k2 "}),  # scheme in any case, the token trimmed
    ("/v1/eval", {"authorization": "Bearer k1k2"}),
])]


def test_with_api_keys_the_direct_path_checks_the_key_as_the_stack_does():
    direct, stack = answers(ok_run, AUTH_CASES, api_keys="k1,k2")
    for a, b in zip(direct, stack):
        same(a, b)
        assert a.headers.get("www-authenticate") == b.headers.get("www-authenticate")
    assert [r.status_code for r in direct] == [401, 401, 401, 200, 200, 401]
    bad = direct[0].json()["error"]
    assert bad["code"] == "unauthorized" and bad["detail"]["request_id"] == "r-auth0"
    assert direct[0].headers["www-authenticate"] == "Bearer"


def test_with_api_keys_a_refused_job_is_not_run():
    ran = []

    async def run(req):
        ran.append(req)
        return await ok_run(req)

    app = make_app(run, api_keys="k1")
    r, good = post_all(app, AUTH_CASES[1:2] + AUTH_CASES[3:4])
    assert (r.status_code, good.status_code, len(ran)) == (401, 200, 1)


@pytest.mark.parametrize("path", ["/v1/eval/", "/v1/evals"])
def test_other_paths_are_the_routers(path):
    direct, stack = answers(ok_run, [(path, CASES[0][1], {"x-request-id": "r-path"})])
    same(direct[0], stack[0])
    assert direct[0].status_code in (404, 307)


@pytest.mark.parametrize("body, path", [
    ({**GOOD, "inputs": [{"shape": [-2], "datatype": "FP32", "data": []}]}, "$.inputs[0].shape[0]"),
    ({**GOOD, "params": {"w": {"shape": [1], "datatype": "FP32", "data": [1.0], "x": 1}}}, "$.params.w.x"),
    ({**GOOD, "device": 3}, "$.device"),  # well-formed tensors: pydantic still checks the job's own fields
    ({**GOOD, "sens": {"shape": [2], "datatype": "FP32", "data": [1.0, 1.0]}}, "$.sens"),  # not an eval field
])
def test_decode_names_pydantics_path_with_or_without_tensors_set_aside(body, path):
    from service.errors import InvalidRequest
    from service.http_app import decode_job

    with pytest.raises(InvalidRequest) as ei:
        decode_job("eval", json.dumps(body).encode(), None, Settings())
    assert ei.value.detail["path"] == path, ei.value.detail


def test_decode_keeps_every_tensor_when_pydantic_sees_none():
    from service.http_app import decode_job

    t = {"shape": [2], "datatype": "FP32", "data": [3.0, 4.0]}
    body = {**GOOD, "params": {"w": t}, "sens": [t], "grad_position": [0]}
    req, binary = decode_job("grad", json.dumps(body).encode(), None, Settings())
    assert not binary and req.options["grad_position"] == [0]
    assert [a.tolist() for a in (req.inputs[0], req.params["w"], req.options["sens"][0])] == [[1, 2], [3, 4], [3, 4]]
