"""The model repository: DIR/<model>/graph.json + config.json, each model a fixed job of the core.

    config.json = {"kind": "grad"|"jvp"|"vjp"|"jacobian"|"hessian"|"hvp"|"eval", ...options}

The options are those of the matching /v1/<kind> body (service.models), without tensors and
without the graph: a grad that takes a sens declares `"sens_param": true` (MindSpore's spelling),
and the sens / tangent / v tensors become inputs of the model. `"output_names": [...]` names the
outputs (as a Triton model configuration does), in their order; without it they are named as derived.
A model is derived once when it loads (so a bad one fails the load, naming its folder) and every
inference is a plain
`JobRequest` for `Core.run`: the protocol adapters (service.oip_http, service.oip_grpc,
service.umbridge) add no engine path of their own.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from engine.ir import Graph

from . import config_override, models
from .codec import NP_TO_V2
from .core import KINDS, Core, JobRequest
from .derivation import spec_of
from .errors import InvalidRequest, NotFound, ServiceError, Unavailable
from .model_stats import ModelStats
from .routing import route
from .triton_settings import TritonSettings

log = logging.getLogger("gradserve.repository")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")  # (fullmatch: "$" let a trailing newline pass)
# request-body keys that a config cannot set: the graph is graph.json, tensors are model inputs
NOT_IN_CONFIG = {"graph": "the graph is graph.json", "graph_id": "the graph is graph.json",
                 "inputs": "inputs are the graph's", "params": "parameter values are the graph's",
                 "sens": "declare \"sens_param\": true; the sens is then an input",
                 "tangents": "tangents are inputs of a jvp model", "v": "v is an input of the model",
                 "binary_output": "clients choose binary outputs per request"}
EXTRA_ROLE = {"grad": "sens", "jvp": "tangents", "vjp": "v", "hvp": "v"}  # where a kind's extra tensors go
UNKNOWN = "Request for unknown model: "  # how Triton begins its answer for a model it has not


class RepositoryError(ServiceError):
    """A model folder that cannot be served (bad JSON, unknown kind or option, a graph that fails)."""

    code = "invalid_request"


@dataclass
class TensorSpec:
    name: str
    datatype: str
    shape: list
    role: str = "inputs"  # inputs | sens | tangents | v (where the core wants the tensor)

    def to_json(self) -> dict:
        return {"name": self.name, "datatype": self.datatype, "shape": self.shape}


@dataclass
class Model:
    name: str
    kind: str
    graph: dict
    graph_id: str
    parsed: Graph
    options: dict  # the job's options, no tensors
    device: str
    deadline_s: float | None
    inputs: list[TensorSpec] = field(default_factory=list)
    outputs: list[TensorSpec] = field(default_factory=list)
    stats: ModelStats = field(default_factory=ModelStats)  # its inferences (Triton's statistics): from its load

    def metadata(self) -> dict:
        return {"name": self.name, "versions": ["1"], "platform": "gradserve_" + self.kind,
                "inputs": [t.to_json() for t in self.inputs], "outputs": [t.to_json() for t in self.outputs]}

    def job(self, arrays: list, core: Core, kind: str | None = None, options: dict | None = None) -> JobRequest:
        """A JobRequest of this model (or, with kind/options, of another job on its graph, for UM-Bridge)
        from tensors in the order of `inputs` (already checked)."""
        if kind is None:
            kind, opts, args = self.kind, dict(self.options), []
            for spec, a in zip(self.inputs, arrays):
                if spec.role == "inputs":
                    args.append(a)
                else:
                    opts.setdefault(spec.role, []).append(a)
        else:
            opts, args = dict(options or {}), list(arrays)
        # the graph inline only when the core's registry has dropped it (it is an LRU)
        inline = None if core.registry.graphs.get(self.graph_id) is not None else self.graph
        return JobRequest(kind=kind, inputs=args, graph=inline, graph_id=self.graph_id, device=self.device,
                          deadline_s=self.deadline_s, options=opts, graph_strict=True)


def _read_json(path: Path) -> dict:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise RepositoryError(f"{path.name} is missing") from None
    except OSError as e:
        raise RepositoryError(f"{path.name} cannot be read: {e}") from None
    try:
        d = json.loads(text)
    except ValueError as e:
        raise RepositoryError(f"{path.name} is not valid JSON: {e}") from None
    if not isinstance(d, dict):
        raise RepositoryError(f"{path.name} must hold a JSON object")
    return d


def _options(kind: str, config: dict) -> tuple[dict, str, float | None]:
    """The job options of a config (validated by the /v1/<kind> body model), its device and deadline."""
    opts = {k: v for k, v in config.items() if k != "kind"}
    for k in opts:
        if k in NOT_IN_CONFIG:
            raise RepositoryError(f"config.json: {k!r} cannot be set here ({NOT_IN_CONFIG[k]})")
    sens = opts.pop("sens_param", False)
    if sens not in (True, False):
        raise RepositoryError("config.json: sens_param must be true or false")
    if sens and kind != "grad":
        raise RepositoryError(f"config.json: sens_param goes with kind grad, not {kind}")
    body = dict(opts)
    if kind in ("jvp", "vjp", "hvp"):  # required tensor fields of the body models: checked as inputs
        body["tangents" if kind == "jvp" else "v"] = []
    try:
        m = models.REQUEST_MODELS[kind].model_validate(body)
    except ValidationError as e:
        x = e.errors(include_url=False)[0]
        where = ".".join(map(str, x.get("loc", ()))) or "$"
        raise RepositoryError(f"config.json: {where}: {x.get('msg')}") from None
    out = {k: getattr(m, k) for k in m.model_fields_set if k not in ("device", "deadline_ms", "tangents", "v")}
    if getattr(m, "inner", None):
        out["inner"] = [g.model_dump(exclude_unset=True) for g in m.inner]
    if sens:
        out["sens"] = True  # marks the derived grad as taking a sens; replaced by the tensors per request
    deadline = m.deadline_ms / 1e3 if m.deadline_ms is not None else None
    return out, m.device, deadline


def _unique(names: list[str], fallback: str) -> list[str]:
    out, seen = [], set()
    for i, n in enumerate(names):
        n = n or f"{fallback}{i}"
        while n in seen:
            n = f"{n}_{i}"
        seen.add(n)
        out.append(n)
    return out


def _output_names(given: Any, derived: list[str]) -> list[str]:
    """The outputs' names: config.json's output_names (as a Triton model configuration names its outputs, so
    client code written for one works unchanged), else the derivation's (out0, d/dx, ...)."""
    if given is None:
        return _unique(derived, "output")
    if not isinstance(given, list) or not all(isinstance(n, str) and 0 < len(n) <= 256 for n in given):
        raise RepositoryError("config.json: output_names must be a list of names (strings of 1 to 256 characters)")
    if len(given) != len(derived):
        raise RepositoryError(f"config.json: output_names has {len(given)} name(s); the model has {len(derived)} "
                              f"output(s) ({', '.join(derived)})")
    if len(set(given)) != len(given):
        raise RepositoryError("config.json: output_names names an output twice")
    return given


def _check_job_settings(core: Core, device: str | None, deadline: float | None) -> None:
    """A device name no server has, or a deadline past max_deadline_s, refused at the load (a load, or a config
    override, with device "nope" or deadline_ms 1e300 answered 200, then every infer 400); a device this server
    does not run (503) is left to the jobs, as for a job naming it."""
    try:
        core.deadline_of(deadline)
        route(core.pools, device)
    except InvalidRequest as e:
        raise RepositoryError(f"config.json: {e.message}") from None
    except Unavailable:
        pass


def load_model(core: Core, folder: Path, override: dict | None = None) -> Model:
    """One model folder, derived through the core as its jobs will be; RepositoryError naming the problem.
    `override`: Triton's config override (service.config_override), its options over config.json's."""
    config = _read_json(folder / "config.json")
    if override is not None:
        config = {**config, **config_override.options(override)}
    kind = config.get("kind")
    if kind not in KINDS:
        raise RepositoryError(f"config.json: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    opts, device, deadline = _options(kind, {k: v for k, v in config.items() if k != "output_names"})
    _check_job_settings(core, device, deadline)
    graph = _read_json(folder / "graph.json")
    try:
        gid, g = core.registry.load(graph, None, strict=True)
        d = core.deriver.derive(kind, gid, g, spec_of(kind, opts))
    except ServiceError as e:
        raise RepositoryError(f"graph.json: {e.message}") from None
    dg = d.graph
    roles = [lab.split("[")[0] for lab in d.input_labels]
    roles = [r if r in ("sens", "tangents", "v") else "inputs" for r in roles]
    names = _unique([v.name for v in dg.inputs], "input")
    inputs = [TensorSpec(n, NP_TO_V2[v.dtype], list(v.shape), r) for n, v, r in zip(names, dg.inputs, roles)]
    outs = _output_names(config.get("output_names"), list(d.names))
    outputs = [TensorSpec(n, NP_TO_V2[v.dtype], list(v.shape)) for n, v in zip(outs, dg.flat_outputs)]
    if "sens" in opts:
        opts = {k: v for k, v in opts.items() if k != "sens"}
    model = Model(folder.name, kind, graph, gid, g, opts, device, deadline, inputs, outputs)
    if override is not None:
        config_override.check_model(override, model)
    return model


def signature(folder: Path) -> tuple | None:
    """What tells a model folder's files changed (as Triton's repository polling does, by their times): None
    when one cannot be read."""
    try:
        return tuple((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
                     for st in (os.stat(folder / "config.json"), os.stat(folder / "graph.json")))
    except OSError:
        return None


class ModelRepository:
    """The models of one folder. All are loaded at start (a bad one fails the start); load / unload
    re-read or drop one while serving (the V2 repository extension). A load of a loaded model whose files
    have not changed keeps it as it is (its statistics too, as Triton's does): a load request costs two
    stat() calls, not a read, parse and hash of its graph.json (~120 ms of the event loop for a 5 MB one, a
    request of 100 bytes); one that reads is off the event loop, one at a time (`load_async`).
    The last read of each folder is remembered with its files' signature (`reads`), what it failed with too:
    a load after an unload, or of a broken model, whose files have not changed reads nothing (a client looping
    load + unload, or re-posting a broken model's load, held the GIL ~90 ms per 5 MB read, stalling every
    other client). An unloaded model's parsed graph stays in memory; the folders are the operator's."""

    def __init__(self, core: Core, root: str | Path | None):
        self.core = core
        self.root = Path(root) if root else None  # None: no repository (no models; index is empty)
        self.models: dict[str, Model] = {}
        self.errors: dict[str, str] = {}  # folder -> why its last load failed
        self.signatures: dict[str, tuple] = {}  # loaded model -> its files' signature when read
        self.reads: dict[str, tuple] = {}  # folder -> (signature, its Model or why it failed) of its last read
        self.served: set[str] = set()  # names ever loaded or tried (Triton's model life cycle knows them)
        self._reading = asyncio.Lock()
        self.triton_settings = TritonSettings()  # Triton's trace / log settings, kept for its clients (HTTP, gRPC)

    def folders(self) -> list[str]:
        if self.root is None:
            return []
        if not self.root.is_dir():
            raise RepositoryError(f"model repository {self.root} is not a directory")
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def load_all(self) -> None:
        """Every folder, or RepositoryError naming the first that fails (the server does not start)."""
        for name in self.folders():
            try:
                self.load(name)
            except RepositoryError as e:
                raise RepositoryError(f"model repository {self.root}: model {name!r} ({self.root / name}): "
                                      f"{e.message}") from None
        log.info("model repository %s: %d model(s): %s", self.root, len(self.models), ", ".join(self.models) or "-")

    def _folder(self, name: str) -> Path:
        if self.root is None:
            raise NotFound("this server has no model repository (--model-repository)", code="model_not_found")
        if not NAME.fullmatch(name):
            raise InvalidRequest(f"{name!r} is not a model name (letters, digits, _ . -)")
        folder = self.root / name
        if not folder.is_dir():
            raise NotFound(f"model {name!r} is not in the repository {self.root}", code="model_not_found", model=name)
        return folder

    def _unchanged(self, name: str, sig: tuple | None) -> Model | None:
        """The model as loaded, or as last read (a fresh load: new statistics; what it failed with raised
        again), when its files have not changed since; None when they must be read."""
        if sig is None:
            return None
        if self.signatures.get(name) == sig and name in self.models:
            return self.models[name]
        last_sig, last = self.reads.get(name, (None, None))
        if last_sig != sig:
            return None
        again = RepositoryError(last) if isinstance(last, str) else replace(last, stats=ModelStats())
        return self._keep(name, sig, again)

    def _keep(self, name: str, sig: tuple | None, read) -> Model:
        """The outcome of reading `name` (its Model, or the RepositoryError it raised) recorded."""
        self.served.add(name)
        if sig is not None:
            self.reads[name] = (sig, read.message if isinstance(read, RepositoryError) else read)
        else:
            self.reads.pop(name, None)
        if isinstance(read, RepositoryError):
            self.errors[name] = read.message
            try:
                raise read
            finally:  # (no cycle through this frame: see json_decoder.Decoders.loads)
                read = None
        self.errors.pop(name, None)
        self.models[name] = read
        if sig is None:
            self.signatures.pop(name, None)
        else:
            self.signatures[name] = sig
        return read

    def _read(self, folder: Path, override: dict | None = None):
        try:
            read = load_model(self.core, folder, override)
        except RepositoryError as e:
            read = e
        self.core.metrics.repository_reads.labels("failed" if isinstance(read, RepositoryError) else "loaded").inc()
        return read

    def load(self, name: str) -> Model:
        folder = self._folder(name)
        sig = signature(folder)
        return self._unchanged(name, sig) or self._keep(name, sig, self._read(folder))

    async def load_async(self, name: str, config: str | None = None) -> Model:
        """`load` for a request: the read off the event loop, one at a time (a flood of loads holds one thread).
        `config`: Triton's config override (service.config_override); a model loaded with one is read again by
        the next load (its signature is not kept), as Triton's undoes an override."""
        folder = self._folder(name)
        if config is not None:
            override = config_override.parse(config, name)
            async with self._reading:
                read = await asyncio.to_thread(self._read, folder, override)
                if isinstance(read, RepositoryError):  # (the folder as it was stays served)
                    raise InvalidRequest(f"Invalid config override: {read.message}")
                return self._keep(name, None, read)
        sig = signature(folder)
        if (kept := self._unchanged(name, sig)) is not None:
            return kept
        async with self._reading:
            sig = signature(folder)  # (as it is now: another load may have read it while this one waited)
            if (kept := self._unchanged(name, sig)) is not None:
                return kept
            return self._keep(name, sig, await asyncio.to_thread(self._read, folder))

    def unload(self, name: str) -> None:
        """A name not loaded (or not in the repository) is unloaded already: success, as Triton answers it (core's
        LoadUnloadModels finds no identifier for it in its global map, so unloads nothing and reports nothing)."""
        self.signatures.pop(name, None)
        self.models.pop(name, None)

    def get(self, name: str, version: str | None = None) -> Model:
        m = self.models.get(name)
        # Triton's words (core's ModelRepositoryManager::GetModel: UNKNOWN + its ModelLifeCycle's text, the version
        # as the integer it read), which its stock examples (and client code written from them) look for
        if m is None and name not in self.served:
            raise NotFound(f"{UNKNOWN}'{name}' is not found", code="model_not_found", model=name)
        v = model_version(version)
        if v not in (None, 1):
            raise NotFound(f"{UNKNOWN}'{name}' version {v} is not found", code="model_not_found", model=name)
        if m is None:  # unloaded, or its load failed: Triton's life cycle still has its version, not READY
            if v is None:
                raise NotFound(f"{UNKNOWN}'{name}' has no available versions", code="model_not_found", model=name)
            raise Unavailable(f"{UNKNOWN}'{name}' version {v} is not at ready state", code="backend_unavailable",
                              model=name)
        return m

    def trace_model(self, name: str) -> str:
        """A trace setting's model: a loaded one (Triton's INVALID_ARG words, its space before the colon)."""
        if name not in self.models:
            raise InvalidRequest(f"Request for unknown model : {name}")
        return name

    def index(self) -> list[dict]:
        out = []
        for name in self.folders():
            entry = {"name": name, "version": "1", "state": "READY" if name in self.models else "UNAVAILABLE"}
            if name in self.errors:
                entry["reason"] = self.errors[name]
            elif name not in self.models:
                entry["reason"] = "unloaded"
            out.append(entry)
        return out


_STOL = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")  # what C's stol reads of a string: its leading integer


def model_version(version: str | None) -> int | None:
    """A request's model version as Triton reads it (its server's GetModelVersionFromString: C's stol, so "01",
    " 1" and "1.0" are version 1; none or "" the latest, None here); Triton's INVALID_ARG words for one that is
    not an integer or is negative (HTTP 400, not an unknown version's 404)."""
    if not version:
        return None
    m = _STOL.match(version)
    # (past 20 digits it is out of int64's range: never read as a Python int, which refuses 4,300 digits and more)
    if m is None or len(m[1]) > 21 or not -2 ** 63 <= int(m[1]) < 2 ** 63:
        raise InvalidRequest(f"failed to get model version from specified version string '{version}' (details: "
                             "stol), version should be an integral value > 0")
    if int(m[1]) < 0:
        raise InvalidRequest(f"invalid model version specified '{version}' , version should be an integral value > 0")
    return int(m[1])


def check_inputs(model: Model, tensors: dict[str, np.ndarray]) -> list:
    """The tensors in the model's input order; InvalidRequest naming a missing or unknown input."""
    unknown = sorted(set(tensors) - {t.name for t in model.inputs})
    if unknown:
        raise InvalidRequest(f"model {model.name!r} has no input(s) {unknown}; its inputs: "
                             f"{[t.name for t in model.inputs]}", code="shape_error")
    missing = [t.name for t in model.inputs if t.name not in tensors]
    if missing:
        raise InvalidRequest(f"model {model.name!r}: missing input(s) {missing}", code="shape_error")
    out = []
    for t in model.inputs:
        a = tensors[t.name]
        got = NP_TO_V2.get(a.dtype.name, a.dtype.name)
        if got != t.datatype or list(a.shape) != t.shape:
            raise InvalidRequest(f"model {model.name!r}, input {t.name!r}: expected {t.datatype}{t.shape}, got "
                                 f"{got}{list(a.shape)}", code="shape_error", input=t.name)
        out.append(a)
    return out
