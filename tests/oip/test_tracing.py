"""--otel: a server span per HTTP request, continuing the caller's W3C trace (console exporter)."""
from __future__ import annotations

import json
import re

import httpx

from e2e.server import server_in
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_a_span_per_request_in_the_callers_trace(tmp_path_factory, repo_dir):
    env = {"GRADSERVE_MODEL_REPOSITORY": str(repo_dir), "GRADSERVE_CPU_WORKERS": "1",
           "OTEL_TRACES_EXPORTER": "console", "OTEL_SERVICE_NAME": "gradserve-test"}
    with server_in(tmp_path_factory, "tracing", devices="cpu", args=["--otel"], env=env) as s:
        r = httpx.get(s.url + "/v2/models/seed_grad", headers={
            "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01", "X-Request-ID": "rid-trace"})
        assert r.status_code == 200
    # (stopped: the stop flushes the spans)
    text = s.log_path.read_text()
    spans = [json.loads(m) for m in re.findall(r"^\{\n.*?^\}$", text, re.S | re.M)]
    mine = [sp for sp in spans if sp.get("name") == "GET /v2/models/seed_grad"]
    assert mine, text[-3000:]
    sp = mine[0]
    assert sp["context"]["trace_id"] == "0x" + TRACE_ID and sp["kind"] == "SpanKind.SERVER"
    assert sp["attributes"]["http.response.status_code"] == 200
    assert sp["attributes"]["gradserve.request_id"] == "rid-trace"
    assert sp["resource"]["attributes"]["service.name"] == "gradserve-test"
