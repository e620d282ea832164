"""Triton's load with a `config` override (tritonclient's load_model(name, config=<JSON>)): a model configuration
in Triton's JSON form, applied where it maps onto a model here, refused by name where it does not (never ignored:
the client would believe it applied).

    parameters        {"<option>": {"string_value": "..."}}: the model's config.json options over the folder's
                      (kind, device, output_names and the kind's options; a value that reads as JSON is that value),
                      as GET .../config writes them
    name              the model's own (Triton loads the folder it names)
    platform, backend what the model's config answers (gradserve_<kind>, gradserve)
    max_batch_size    0 (the models here take fixed shapes, no batch dimension)
    input, output     what the loaded model has (name, data_type, dims): checked after the load
Anything else (dynamic_batching: the server's --batch-delay-ms; instance_group, sequence_batching, ...) is refused.
A later load without override reads the folder again (as Triton's undoes an override).
"""
from __future__ import annotations

import json
from typing import Any

from .errors import InvalidRequest, NotImplementedFeature

KNOWN = {"name", "platform", "backend", "max_batch_size", "input", "output", "parameters"}
WHY = {"dynamic_batching": "dynamic batching is the server's (--batch-delay-ms), not a model's",
       "sequence_batching": "sequences are not supported", "instance_group": "workers are the server's (--cpu-workers)"}
FILE = "file:"  # Triton's prefix of a file override's parameter names


def check_value_types(params: dict, path: str, file_type: type) -> None:
    """Each load / unload parameter Triton reads, of the type it reads (`file_type`: a file's, base64 text over HTTP,
    bytes over gRPC), refused in Triton's words: over HTTP its JSON reader's (TritonJson), over gRPC its servicer's
    (grpc_server.cc). A JSON null config was a load without override."""
    http = file_type is str
    for k, v in params.items():
        if k == "unload_dependents":
            ok, want = isinstance(v, bool), "bool"
        elif k == "config":
            ok, want = isinstance(v, str), "string"
        elif k.startswith(FILE):
            ok, want = isinstance(v, file_type), "string" if http else "bytes"
        else:
            continue
        if not ok:
            raise InvalidRequest(_wrong_type(k, want, http), path=f"{path}.{k}")


# Triton's HTTP text (http_server.cc), which Triton sends as INTERNAL / 500; here a 400: the fault is the
# request's, and a 5xx tells clients and their retry policies that the server failed (they would retry it)
UNEXPECTED = "unexpected error on creating Triton parameter"


def check_load_params(params: dict, path: str, file_type: type) -> None:
    """A load's parameters one by one in the order given, as Triton's HandleRepositoryControl (HTTP) and
    RepositoryModelLoad (gRPC) read them, the first at fault refused: its value's type first, then a name that
    is neither `config` nor `file:<path>` (HTTP: 400 with Triton's text, which Triton sends as a 500; gRPC: INVALID_ARG "unrecognized
    load parameter 'x'."). Over HTTP every value must be a string (Triton reads each with MemberAsString)."""
    http = file_type is str
    for k, v in params.items():
        at = f"{path}.{k}"
        if http and not isinstance(v, str):
            raise InvalidRequest(_wrong_type(k, "string", http), path=at)
        known = k == "config" or k.startswith(FILE)
        if not known:
            raise InvalidRequest(UNEXPECTED if http else f"unrecognized load parameter '{k}'.", path=at)
        check_value_types({k: v}, path, file_type)


def _wrong_type(key: str, want: str, http: bool) -> str:
    if http:
        return ("Unable to parse 'unload_dependents': attempt to access JSON non-boolean as boolean" if want == "bool"
                else "attempt to access JSON non-string as string")
    return ("invalid value type for 'unload_dependents' parameter, expected bool_param." if want == "bool"
            else f"invalid value type for load parameter '{key}', expected {want}_param.")


def refuse_files(params: dict, path: str) -> None:
    """Refuses a load with file overrides (their values' types checked by check_value_types)."""
    files = sorted(k for k in params if k.startswith(FILE))
    if not files:
        return
    if "config" not in params:  # (Triton's core, its localizing agent: INVALID_ARG)
        raise InvalidRequest("Load parameter 'config' must be specified for model file override", path=path)
    raise NotImplementedFeature(
        f"model file override is not supported ({', '.join(files)}): a model here is its repository folder "
        "(graph.json, config.json), not files sent with the load; put them there and load, or load with the "
        "config override alone", path=path)


def _bad(message: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid config override: {message}", path="$.parameters.config")


def parse(text: Any, name: str) -> dict:
    """The override as a dict, its keys checked; the options it sets (by its `parameters`)."""
    if not isinstance(text, str):
        raise _bad("the config parameter must be a string (the model configuration's JSON)")
    try:
        d = json.loads(text)
    except ValueError as e:
        raise _bad(f"not JSON: {e}") from None
    if not isinstance(d, dict):
        raise _bad("must be a JSON object")
    extra = sorted(set(d) - KNOWN)
    if extra:
        why = "; ".join(WHY[k] for k in extra if k in WHY)
        raise _bad(f"{extra} cannot be applied here" + (f" ({why})" if why else f" (applied: {sorted(KNOWN)})"))
    if d.get("name", name) != name:
        raise _bad(f"name {d['name']!r} is not the model's ({name!r})")
    mbs = d.get("max_batch_size", 0)
    if isinstance(mbs, str) and mbs.lstrip("-").isdigit():  # (protobuf's JSON writes an int as a string too)
        mbs = int(mbs)
    if mbs != 0:
        raise _bad(f"max_batch_size {mbs!r} cannot be applied: the models here have no batch dimension "
                   "(max_batch_size 0, fixed shapes)")
    return d


def options(d: dict) -> dict:
    """config.json's entries set by the override's parameters."""
    params = d.get("parameters", {})
    if not isinstance(params, dict):
        raise _bad("parameters must be an object")
    out = {}
    for k, v in params.items():
        if not isinstance(v, dict) or set(v) != {"string_value"} or not isinstance(v["string_value"], str):
            raise _bad(f"parameters.{k} must be {{\"string_value\": \"...\"}}")
        s = v["string_value"]
        try:
            out[k] = s if k in ("kind", "device") else json.loads(s)
        except ValueError:
            out[k] = s
    return out


def check_model(d: dict, model) -> None:
    """The override's platform, backend, input and output against the model loaded with it."""
    if d.get("platform", model.metadata()["platform"]) != model.metadata()["platform"]:
        raise _bad(f"platform {d['platform']!r} is not the model's ({model.metadata()['platform']!r})")
    if d.get("backend", "gradserve") != "gradserve":
        raise _bad(f"backend {d['backend']!r} is not the model's ('gradserve')")
    for key, specs in (("input", model.inputs), ("output", model.outputs)):
        if key not in d:
            continue
        has = {t.name: (f"TYPE_{t.datatype}", list(t.shape)) for t in specs}
        given = d[key] if isinstance(d[key], list) else [None]
        for t in given:
            ok = isinstance(t, dict) and isinstance(t.get("dims"), list) and all(
                (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, str) and x.lstrip("-").isdigit())
                for x in t["dims"])
            got = (t.get("data_type"), [int(x) for x in t["dims"]]) if ok else None
            if not ok or t.get("name") not in has or got != has[t["name"]]:
                raise _bad(f"{key} {t!r} is not one of the model's ({has})")
