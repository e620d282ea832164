"""POST /v1/tensors/missing (service.tensor_http) without a server: its body, a list of sha256 hex digests, is
read within what that list can take (tensor_store.MAX_ENTRIES digests) and within the server's body budget, as
every other route that inflates a body is: a few KiB of gzip inflated to max_body_bytes (256 MiB) per
connection, outside the budget, before."""
from __future__ import annotations

import gzip
import json
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.body_budget import BodyBudget
from service.errors import NotImplementedFeature, Overloaded, PayloadTooLarge
from service.parse_share import ParseShare
from service.settings import Settings
from service.tensor_http import router
from service.tensor_store import TensorStore

MIB = 1 << 20
GZ = {"content-type": "application/json", "content-encoding": "gzip"}


def _client(budget: BodyBudget, store_bytes: int = MIB) -> TestClient:
    s = Settings()
    core = SimpleNamespace(body_budget=budget, tensors=TensorStore(store_bytes), settings=s,
                           parse_share=ParseShare(s.parse_share, s.parse_burst_s, s.retry_after_s))  # (inflations)
    app = FastAPI()
    app.include_router(router(core, Settings(), []))
    return TestClient(app)  # (raises the route's own exception)


def _padded(size: int) -> bytes:
    """{"sha256": ["0" * 64]} led by whitespace up to `size` bytes (valid JSON; gzip makes it ~1000x smaller)."""
    raw = json.dumps({"sha256": ["0" * 64]}).encode()
    return gzip.compress(b" " * (size - len(raw)) + raw, compresslevel=9)


def test_a_small_question_is_answered():
    r = _client(BodyBudget(64 * MIB)).post("/v1/tensors/missing", content=_padded(4096), headers=GZ)
    # (and what the store keeps: in all, and for one client, half of it: tensor_store_bytes' documentation)
    assert r.status_code == 200 and r.json() == {"missing": ["0" * 64], "store_bytes": MIB, "client_bytes": MIB // 2}


@pytest.mark.parametrize("route", ["/v1/tensors/missing", "/v1/tensors"])
def test_with_the_store_off_questions_and_uploads_are_refused_as_not_implemented_naming_the_setting(route):
    with pytest.raises(NotImplementedFeature) as e:
        _client(BodyBudget(64 * MIB), store_bytes=0).post(route, content=_padded(4096), headers=GZ)
    assert e.value.detail["limit"] == "tensor_store_bytes" and "tensor_store_bytes=0" in str(e.value)


def test_a_body_larger_than_any_list_of_digests_is_refused_naming_its_limit():
    assert Settings().max_body_bytes >= 64 * MIB  # (the default this body was read within before)
    with pytest.raises(PayloadTooLarge) as e:
        _client(BodyBudget(1 << 30)).post("/v1/tensors/missing", content=_padded(40 * MIB), headers=GZ)
    assert e.value.detail["limit"] == "missing_body_bytes"
    assert 262144 * 67 <= e.value.detail["value"] < 40 * MIB  # (MAX_ENTRIES digests as JSON fit)


def test_its_inflated_body_is_charged_to_the_body_budget():
    budget = BodyBudget(8 * MIB)
    budget.take(8 * MIB)  # (other requests' bodies hold the whole budget)
    with pytest.raises(Overloaded) as e:
        _client(budget).post("/v1/tensors/missing", content=_padded(4 * MIB), headers=GZ)
    assert e.value.detail["limit"] == "body_budget_bytes"
