"""One error table (service.errors.CODES): the gRPC adapter, docs/API.md and the SDK agree with it."""
from __future__ import annotations

import re
from pathlib import Path

import grpc

from gradserve import errors as sdk_errors
from gradserve._transport import grpc as sdk_grpc
from service.errors import CODES, HTTP_ONLY, from_engine, http_status
from service.grpc_server import grpc_code

DOCS = Path(__file__).resolve().parents[2] / "docs" / "API.md"


def test_the_adapters_use_the_table():
    for code, (http, name) in CODES.items():
        assert http_status(code) == http and grpc_code(code) == getattr(grpc.StatusCode, name), code
    assert http_status("some_new_engine_code") == 500 and grpc_code("some_new_engine_code") == grpc.StatusCode.INTERNAL


def test_docs_table_is_the_table():
    text = DOCS.read_text()
    rows = re.findall(r"^\| `(\w+)` \| (\d+) \| ([A-Z_]+) \|", text, re.M)
    assert {c: (int(h), g) for c, h, g in rows} == CODES


def test_sdk_maps_every_code_to_the_same_status():
    """The SDK's exception for each code, from HTTP and from gRPC, carries the table's HTTP status."""
    for code, (http, name) in CODES.items():
        body = {"error": {"code": code, "message": code, "detail": {}}}
        e = sdk_errors.from_response(http, body)
        assert e.status == http and e.code == code, code
        if code in sdk_errors.BY_CODE:
            assert isinstance(e, sdk_errors.BY_CODE[code])
        else:  # a code the SDK has no class for: the class of its status
            assert isinstance(e, sdk_errors.BY_STATUS.get(http, sdk_errors.InvalidRequest if http < 500 else
                                                         sdk_errors.APIStatusError)), code
        if code in HTTP_ONLY:
            continue
        got = 429 if code == "overloaded" else sdk_grpc.HTTP_BY_GRPC[getattr(grpc.StatusCode, name)]
        assert got == http, (code, name, got)


def test_engine_codes_are_in_the_table():
    for code in ("invalid_graph", "unknown_op", "shape_error", "differentiation_error", "limit_exceeded",
                 "backend_unavailable", "execution_error", "engine_error"):
        assert code in CODES and from_engine({"code": code, "message": "m"}).code == code
