"""An in-process stand-in for the service (tests only): /v1/graphs and /v1/eval over the engine,
as an httpx.MockTransport handler. Follows docs/API.md closely enough for the SDK's tests; the
end-to-end tests use the real `gradserve-server`."""
from __future__ import annotations

import base64
import json

import httpx
import numpy as np

from engine.api import Engine
from engine.errors import EngineError
from engine.ir import tree_flatten
from engine.serialize import graph_from_json, graph_hash
from engine.shape_rules import complex_as_pairs, pairs_as_complex

V2 = {"float16": "FP16", "float32": "FP32", "float64": "FP64", "int32": "INT32", "int64": "INT64", "bool": "BOOL",
      "complex64": "COMPLEX64", "complex128": "COMPLEX128", "int8": "INT8", "int16": "INT16", "uint8": "UINT8",
      "uint16": "UINT16", "uint32": "UINT32", "uint64": "UINT64", "bfloat16": "BF16"}
NP = {v: k for k, v in V2.items()}


class FakeServer:
    def __init__(self):
        self.graphs: dict[str, dict] = {}
        self.engine = Engine()
        self.requests: list[tuple[str, dict]] = []
        self.forget = False  # answer graph_not_found for ids (a replica that has not seen them)

    def _err(self, status, code, msg, headers=None):
        return httpx.Response(status, json={"error": {"code": code, "message": msg, "detail": {}}}, headers=headers)

    def _decode_inputs(self, body, tail):
        """inputs, then params (in the body's order, as the binary tail holds them)."""
        arrays, off = [], 0
        for t in list(body.get("inputs", [])) + list((body.get("params") or {}).values()):
            dt = np.dtype(NP[t["datatype"]])
            if "parameters" in t:
                n = t["parameters"]["binary_data_size"]
                arrays.append(np.frombuffer(tail[off:off + n], dtype=dt).reshape(t["shape"]))
                off += n
            elif "b64" in t:  # (the SDK's JSON form of an array holding NaN / Inf: docs/API.md)
                arrays.append(np.frombuffer(base64.b64decode(t["b64"]), dtype=dt.newbyteorder("<")).astype(dt)
                              .reshape(t["shape"]))
            else:
                data = pairs_as_complex(np.asarray(t["data"]), dt.name) if dt.kind == "c" else np.asarray(t["data"], dt)
                arrays.append(data.reshape(t["shape"]))
        return arrays

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        raw = request.content
        hl = request.headers.get("inference-header-content-length")
        head, tail = (json.loads(raw[:int(hl)]), raw[int(hl):]) if hl else (json.loads(raw) if raw else {}, b"")
        self.requests.append((path, head))
        if path == "/v2/health/ready" or path == "/v2/health/live":
            return httpx.Response(200, json={"ready": True})
        if path == "/v1/graphs":
            gid = graph_hash(head["graph"])
            self.graphs[gid] = head["graph"]
            return httpx.Response(201, json={"graph_id": gid, "signature": {}})
        if path != "/v1/eval":
            return self._err(404, "not_found", path)
        if "graph" in head:
            gdoc = head["graph"]
            gid = graph_hash(gdoc)
        else:
            gid = head["graph_id"]
            if self.forget or gid not in self.graphs:
                return self._err(404, "graph_not_found", f"unknown graph {gid}")
            gdoc = self.graphs[gid]
        try:
            g = graph_from_json(gdoc)
            arrays = self._decode_inputs(head, tail)
            n_in = len(head.get("inputs", []))
            out = self.engine.run(g, arrays[:n_in], dict(zip(head.get("params") or {}, arrays[n_in:])), key=gid)
        except EngineError as e:
            d = e.to_dict()
            return httpx.Response(400, json={"error": d})
        flat = tree_flatten(out)
        counter = iter(range(len(flat)))

        def struct(t):
            return [struct(s) for s in t] if isinstance(t, tuple) else next(counter)

        outputs = [{"name": f"out{i}", "shape": list(np.shape(a)), "datatype": V2[np.asarray(a).dtype.name],
                    "data": _flat(np.asarray(a))} for i, a in enumerate(flat)]
        body = {"outputs": outputs, "structure": struct(out), "graph_id": gid,
                "device": head.get("device", "cpu") + ":0", "timing": {}}
        # NaN / Infinity as the real server writes them (Python json's tokens; httpx's json= refuses them)
        return httpx.Response(200, content=json.dumps(body).encode(), headers={"content-type": "application/json"})


def _flat(a: np.ndarray) -> list:
    """JSON data: flat row-major, a complex element as its [re, im] pair."""
    return (complex_as_pairs(a).reshape(-1, 2) if a.dtype.kind == "c" else a.reshape(-1)).tolist()
