"""A graph whose node attribute is a list of lists nested ~1000 deep (under the body's 1024, which orjson parses)
was a 500 internal: the canonical JSON the graph id hashes (json.dumps) ran out of Python's recursion. Now 400
invalid_graph naming $.graph, registered or sent inline with a job, over the HTTP app in process."""
from __future__ import annotations

import asyncio
import json

import httpx
import numpy as np
import orjson
import pytest

from benchmarks.graph_stall import chain
from fake_core import fake_app
from service.core import JobRequest
from service.errors import InvalidRequest

DEPTH = 1000


def deep_graph_body(extra: dict) -> bytes:
    """chain(3) with {"k": [[[...1...]]]} (DEPTH lists) as its first node's attrs (written by hand: json.dumps of it
    recurses as deep), plus `extra` fields."""
    text = json.dumps({"graph": chain(3), **extra})
    deep = '{"k": ' + "[" * DEPTH + "1" + "]" * DEPTH + "}"
    return text.replace('"attrs": {}', '"attrs": ' + deep, 1).encode()


def test_a_graph_attribute_nested_1000_deep_is_a_400_not_a_500():
    _, app = fake_app(None)
    core = app.state.core

    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                     base_url="http://t") as c:
            return await c.post("/v1/graphs", content=deep_graph_body({}), headers={"content-type": "application/json"})

    r = asyncio.run(main())
    assert r.status_code == 400, r.text[:300]
    err = r.json()["error"]
    assert err["code"] == "invalid_graph" and err["detail"]["path"] == "$.graph", err
    assert "nested too deeply" in err["message"]
    # the same graph inline with a job: refused by the core's prepare, before anything runs
    graph = orjson.loads(deep_graph_body({}))["graph"]
    with pytest.raises(InvalidRequest, match="nested too deeply") as e:
        asyncio.run(core.prepare(JobRequest(kind="eval", graph=graph, inputs=[np.zeros(4, np.float32)])))
    assert e.value.code == "invalid_graph" and e.value.detail["path"] == "$.graph"
