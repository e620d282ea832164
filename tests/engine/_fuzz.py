"""Hostile-input cases for every op, made from the op catalog and the op table's valid cases, and one
way to run a case in-process the way the server does (service.core.Core.prepare, then a worker's run).

A case is a graph (gradserve.graph/1 JSON, the wire form), a job kind with its options, and the inputs.
Each op's valid case (tests/engine/_optable.py, plus a few seeds below for the ops that table exempts) is
mutated once per mutation of MUTATIONS: wrong arity, each attribute wrong / negative / huge / null,
operand ranks and sizes, dtypes, zero-size and huge declared shapes, NaN / inf values, and each derivative
kind. `outcome(case)` answers what a client would get: (HTTP status, error code, message, detail, seconds).
A new op is covered as soon as it has its op-table case (test_ops_numeric already insists on one).
"""
from __future__ import annotations

import asyncio
import copy
import json
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine import GraphBuilder
from engine.ops import OPS
from engine.serialize import Limits, graph_to_json
from service.core import Core, JobRequest
from service.errors import ServiceError, from_engine, http_status
from service.settings import Settings
from service.worker import job_error, load_graph

# The e2e server's limits (tests/e2e/server.py SERVER_ENV): the same refusals in-process and over the wire.
LIMITS = {"max_nodes": 3000, "max_elements": 1 << 20, "max_order": 3, "max_work": 200_000,
          "max_job_bytes": 1 << 30, "max_output_bytes": 64 << 20}
DTYPES = ("float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool", "complex64")
KINDS = ("eval", "grad", "jvp", "vjp", "jacobian", "hessian", "hvp")
HUGE = 1 << 40


@dataclass
class FuzzCase:
    id: str
    graph: dict
    kind: str = "eval"
    options: dict = field(default_factory=dict)
    inputs: list | None = None  # None: drawn from the graph's declared inputs (small ones only)
    expect_ok: bool = False  # the unmutated seed: it must run
    fill: str = "normal"  # the drawn inputs' values: "normal", or "nan" (NaN and inf)


@dataclass
class Outcome:
    status: int
    code: str | None = None
    message: str = ""
    detail: dict = field(default_factory=dict)
    seconds: float = 0.0  # CPU time of the case (process_time)
    crash: str | None = None  # an exception that escaped the service's own handling (a 500 "internal")

    def names_where(self) -> bool:
        """The error says where: a JSON path, a node, a limit, or the op / shapes in the message."""
        d = self.detail
        return bool(d.get("path") or d.get("node") or d.get("limit") or d.get("op") or d.get("shapes"))


# -- seeds -------------------------------------------------------------------------------------------
def _extra_seeds() -> dict[str, Any]:
    """Valid graphs for the ops the op table exempts (no derivative to check): op -> build(gb)."""
    def cmp(op):
        return lambda gb: gb.emit(op, [gb.input((2, 3), "float64"), gb.input((2, 3), "float64")], {})

    def logical(op):
        n = 1 if op == "logical_not" else 2
        return lambda gb: gb.emit(op, [gb.input((2, 3), "bool") for _ in range(n)], {})

    def like(op):
        return lambda gb: gb.emit(op, [gb.input((2, 3), "float64")], {})

    seeds = {op: cmp(op) for op in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")}
    seeds.update({op: logical(op) for op in ("logical_and", "logical_or", "logical_not")})
    seeds.update({op: (lambda o: lambda gb: gb.emit(o, [gb.input((2, 3), "int32") for _ in range(2)], {}))(op)
                  for op in ("bitwise_and", "bitwise_or", "bitwise_xor")})
    seeds.update({op: like(op) for op in ("zeros_like", "ones_like", "argmax", "argmin")})
    seeds["const"] = lambda gb: gb.emit("const", [], {"value": np.arange(6.0).reshape(2, 3)})
    seeds["fill"] = lambda gb: gb.emit("fill", [], {"shape": (2, 3), "value": 1.5, "dtype": "float64"})
    seeds["iota"] = lambda gb: gb.emit("iota", [], {"shape": (2, 3), "dimension": 1, "dtype": "float64"})
    seeds["arange"] = lambda gb: gb.emit("arange", [], {"start": 0.0, "stop": 5.0, "step": 1.0, "dtype": "float64"})
    seeds["max_pool_mask"] = lambda gb: gb.emit("max_pool_mask", [gb.input((1, 2, 4, 4), "float64")],
                                                {"window": (2, 2), "strides": (2, 2)})
    seeds["lu_pivots_to_permutation"] = lambda gb: gb.emit(
        "lu_pivots_to_permutation", [gb.emit("lu", [gb.input((3, 3), "float64")], {})[1]], {"permutation_size": 3})
    seeds["eig"] = lambda gb: gb.emit("eig", [gb.input((2, 3, 3), "float64")], {})
    def unused_stand_in(gb):  # (no_kernel refuses where it runs: a valid graph does not need its value)
        x = gb.input((2, 3), "float32")
        gb.emit("no_kernel", [x], {"message": "no kernel", "shape": (2,), "dtype": "float32"})
        return gb.sin(x)
    seeds["no_kernel"] = unused_stand_in
    seeds["bprop_undefined"] = lambda gb: gb.emit(
        "bprop_undefined", [gb.input((2, 3), "float32"), gb.input((4,), "float64")], {"message": "no bprop"})
    seeds["linear_sum_assignment"] = lambda gb: gb.emit(
        "linear_sum_assignment", [gb.input((3, 4), "float64"), gb.const(np.asarray(3, np.int64))], {"maximize": True})
    seeds["igamma_da"] = lambda gb: gb.emit("igamma_da", [gb.input((3, 4), "float64"), gb.input((3, 4), "float64")], {})
    for name in ("betainc_da", "betainc_db"):
        seeds[name] = lambda gb, name=name: gb.emit(name, [gb.input((3, 4), "float64") for _ in range(3)], {})
    return seeds


def seed_cases() -> dict[str, FuzzCase]:
    """One valid case per op of the catalog: {op: FuzzCase}. Ops with neither an op-table case nor a seed
    here are missing (test_every_op_has_a_seed)."""
    from _optable import CASES

    out: dict[str, FuzzCase] = {}
    for c in CASES:
        if c.op in out or c.op not in OPS:
            continue
        gb = GraphBuilder(f"seed_{c.op}")
        try:
            _, outs = c.emit(gb, "float64")
        except Exception:  # noqa: BLE001 - a case that needs its own dtype: the next case of that op
            continue
        out[c.op] = FuzzCase(f"{c.op}/seed", graph_to_json(gb.build(outs[0] if len(outs) == 1 else tuple(outs))),
                             expect_ok=True)
    for op, build in _extra_seeds().items():
        if op in out or op not in OPS:
            continue
        gb = GraphBuilder(f"seed_{op}")
        outs = build(gb)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        out[op] = FuzzCase(f"{op}/seed", graph_to_json(gb.build(outs[0] if len(outs) == 1 else tuple(outs))),
                           expect_ok=True)
    return out


def target_node(g: dict, op: str) -> int | None:
    """Index of the last top-level node running `op` (the seed's op; helpers come before it)."""
    idx = [i for i, n in enumerate(g["nodes"]) if n.get("op") == op]
    return idx[-1] if idx else None


# -- mutations: (name, fn(graph, node index, op) -> graph | None); None: does not apply to this op ----------
def _node(g: dict, i: int) -> dict:
    return g["nodes"][i]


def _drop_input(g, i, op):
    n = _node(g, i)
    if not n["inputs"]:
        return None
    n["inputs"] = n["inputs"][:-1]
    return g


def _extra_input(g, i, op):
    n = _node(g, i)
    n["inputs"] = n["inputs"] + [n["inputs"][0] if n["inputs"] else g["inputs"][0]["name"] if g["inputs"] else "nope"]
    return g


def _undefined_input(g, i, op):
    n = _node(g, i)
    if not n["inputs"]:
        return None
    n["inputs"] = ["no_such_var"] + n["inputs"][1:]
    return g


def _unknown_attr(g, i, op):
    _node(g, i).setdefault("attrs", {})["no_such_attr"] = 1
    return g


# attribute values a hostile client sends, whatever the attribute's kind
BAD_VALUES = {"neg": -1, "neg_big": -HUGE, "huge": HUGE, "zero": 0, "null": None, "str": "x", "float": 0.5,
              "true": True, "list_neg": [-HUGE], "list_huge": [HUGE, HUGE], "empty": [], "nested": [[[[1]]]],
              "dict": {"a": 1}, "big_float": 1e300}
# (NaN and Infinity are not JSON: a graph holding them is refused whole, test_fuzz_ops checks it once)


def attr_mutations(op: str) -> list[tuple[str, Any]]:
    """(name, fn) for each attribute of `op` x each bad value; only the value kinds that differ from a
    valid one count (an int attr gets ints, lists, null, strings: all of BAD_VALUES)."""
    out = []
    for key in OPS[op].attrs:
        for vname, value in BAD_VALUES.items():
            def mut(g, i, _op, key=key, value=value):
                _node(g, i).setdefault("attrs", {})[key] = copy.deepcopy(value)
                return g
            out.append((f"attr:{key}={vname}", mut))
    return out


def _retype_inputs(dtype: str):
    def mut(g, i, op):
        if not g["inputs"]:
            return None
        for v in g["inputs"]:
            v["dtype"] = dtype
        for f in (g.get("functions") or {}).values():  # function ops: their function's inputs alike
            for v in f["inputs"]:
                v["dtype"] = dtype
        return g
    return mut


def _reshape_inputs(fn):
    def mut(g, i, op):
        if not g["inputs"]:
            return None
        for v in g["inputs"]:
            v["shape"] = fn(list(v["shape"]))
        return g
    return mut


def _first_input_shape(fn):
    def mut(g, i, op):
        if not g["inputs"]:
            return None
        g["inputs"][0]["shape"] = fn(list(g["inputs"][0]["shape"]))
        return g
    return mut


SHAPE_MUTATIONS = [
    ("shape:rank+1", _first_input_shape(lambda s: s + [2])),
    ("shape:rank-1", _first_input_shape(lambda s: s[1:])),
    ("shape:scalar", _first_input_shape(lambda s: [])),
    ("shape:dim+1", _first_input_shape(lambda s: [d + 1 for d in s])),
    ("shape:zero", _reshape_inputs(lambda s: [0] * len(s) if s else [0])),
    ("shape:zero-lead", _reshape_inputs(lambda s: [0] + s[1:] if s else [0])),
    ("shape:huge", _reshape_inputs(lambda s: [HUGE] * max(len(s), 1))),
    ("shape:wide", _first_input_shape(lambda s: [1 << 21] + s[1:] if s else [1 << 21])),
    ("shape:negative", _first_input_shape(lambda s: [-1] + s[1:] if s else [-1])),
    ("shape:high-rank", _first_input_shape(lambda s: [1] * 40 + s)),
]
DTYPE_MUTATIONS = [(f"dtype:{d}", _retype_inputs(d)) for d in DTYPES if d != "float64"]
BASE_MUTATIONS = [("arity:drop", _drop_input), ("arity:extra", _extra_input), ("input:undefined", _undefined_input),
                  ("attr:unknown", _unknown_attr)] + SHAPE_MUTATIONS + DTYPE_MUTATIONS


def mutations(op: str) -> list[tuple[str, Any]]:
    return BASE_MUTATIONS + attr_mutations(op)


def mutated_cases(seed: FuzzCase, op: str) -> list[FuzzCase]:
    """The seed under every mutation that applies to it, each as an eval job."""
    i = target_node(seed.graph, op)
    out = []
    for name, fn in mutations(op):
        if i is None and not name.startswith(("shape:", "dtype:")):
            continue  # the op is inside a function of the seed (grad, vmap...): only its inputs are mutated
        g = copy.deepcopy(seed.graph)
        if fn(g, i, op) is None:
            continue
        out.append(FuzzCase(f"{op}/{name}", g))
    return out


# -- inputs and derivative options -------------------------------------------------------------------------
def draw(shape, dtype: str, rng, fill: str = "normal"):
    """A small array of `shape` / `dtype` (None when the shape is not something a client could send)."""
    if not isinstance(shape, (list, tuple)) or dtype not in DTYPES + ("complex128",) or \
            any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in shape) or \
            int(np.prod(shape, dtype=object)) > 1 << 18:
        return None
    if fill == "nan":
        a = np.full(shape, np.nan)
        if a.size:
            a.flat[::2] = np.inf
    else:
        a = rng.normal(size=shape) * 2
    if dtype == "bool":
        return a > 0
    if dtype.startswith("complex"):
        return (a + 1j * rng.normal(size=shape)).astype(dtype)
    if dtype in ("int8", "int16", "int32", "int64", "uint8"):
        return np.nan_to_num(np.abs(a) if dtype == "uint8" else a).astype(dtype)
    return a.astype(dtype)


def derivative_options(kind: str) -> dict:
    return {"grad": {"grad_position": 0}, "jvp": {}, "jacobian": {"positions": 0},
            "hessian": {"positions": 0}, "hvp": {"positions": 0}}.get(kind, {})


# -- running a case as the server does --------------------------------------------------------------------
_CORE: list = []
_ENGINES: dict = {}  # backend -> an Engine with the workers' limits


def core() -> Core:
    if not _CORE:
        _CORE.append(Core(Settings(**LIMITS)))
    return _CORE[0]


def _engine(backend: str):
    from engine import Engine

    eng = _ENGINES.get(backend)
    if eng is None:
        eng = _ENGINES[backend] = Engine(backend, max_nodes=LIMITS["max_nodes"], max_work=LIMITS["max_work"],
                                         max_job_bytes=LIMITS["max_job_bytes"], cache_size=8)
    return eng


def _sendable(arrays: list) -> list:
    """A declared tensor no client could send (huge, negative) as a 1-element stand-in: the graph is judged."""
    return [a if a is not None else np.zeros(1) for a in arrays]


def request_of(case: FuzzCase, seed: int = 0) -> tuple[list, dict]:
    """The job's inputs and options (with the sens / tangents / v the kind takes, typed by its derived
    graph) as arrays: what a client sends for `case`, in-process and over the wire alike."""
    from service.derivation import EXTRA, spec_of

    rng = np.random.default_rng(seed)
    gin = case.graph.get("inputs") if isinstance(case.graph, dict) else None
    gin = gin if isinstance(gin, list) else []
    inputs = case.inputs
    if inputs is None:
        inputs = _sendable([draw(v.get("shape", []), v.get("dtype", "float32"), rng, case.fill)
                            if isinstance(v, dict) else None for v in (gin or [])])
    options = dict(case.options)
    if case.kind in EXTRA:
        c = core()
        try:
            gid, g = c.registry.load(case.graph, None)
            d = c.deriver.derive(case.kind, gid, g, spec_of(case.kind, options))
        except Exception:  # noqa: BLE001 - refused before its extra tensors matter (outcome meets it again)
            return inputs, options
        extra = [draw(v.shape, v.dtype, rng, case.fill) for v in d.graph.inputs[len(g.inputs):]]
        if extra:  # (grad: sens sent is sens_param; none here)
            options[EXTRA[case.kind]] = _sendable(extra)
    return inputs, options


def outcome(case: FuzzCase, seed: int = 0, backend: str = "numpy") -> Outcome:
    """What the server answers for `case` (status 200 when it ran), found in-process: Core.prepare (the
    graph loaded under the limits, the inputs checked, the derivative built), then the derived graph's
    JSON loaded and run on an engine with the workers' limits (`backend`: numpy, or torch as the torchcpu
    pool's workers), errors mapped as a worker maps them."""
    t0 = time.process_time()
    try:
        inputs, options = request_of(case, seed)
        req = JobRequest(case.kind, inputs, graph=case.graph, options=options, output_format="binary")
        gid, d, full, params = asyncio.run(core().prepare(req))
        return _run(d, full, params, t0, backend)
    except ServiceError as e:
        return Outcome(http_status(e.code), e.code, e.message, dict(e.detail), time.process_time() - t0)
    except Exception as e:  # noqa: BLE001 - what the adapters answer 500 "internal" for
        return Outcome(500, "internal", f"{type(e).__name__}: {e}", {}, time.process_time() - t0,
                       crash=f"{type(e).__name__}: {e}")


def _run(d, inputs, params, t0, backend: str) -> Outcome:
    eng = _engine(backend)
    try:
        g = load_graph((d.text, d.sources), Limits(max_nodes=LIMITS["max_nodes"]))
        eng.run(g, inputs, params or None, key=d.key)
    except BaseException as e:  # noqa: BLE001 - a worker answers every failure with job_error
        if isinstance(e, KeyboardInterrupt):
            raise
        err = from_engine(job_error(e, 0), LIMITS["max_elements"])
        crash = None if http_status(err.code) < 500 else f"{type(e).__name__}: {e}"
        return Outcome(http_status(err.code), err.code, err.message, dict(err.detail), time.process_time() - t0,
                       crash=crash)
    return Outcome(200, seconds=time.process_time() - t0)


# -- whole-graph cases: vmap of a seed, deep / wide / nested graphs ----------------------------------------
FORMAT = "gradserve.graph/1"


def vmapped(g: dict, size: int = 2) -> dict | None:
    """The seed's graph as the function of a vmap node mapped over a new leading axis of every input (None
    for a graph with parameters: they are not mapped)."""
    if g.get("params"):
        return None
    body = {k: copy.deepcopy(v) for k, v in g.items() if k not in ("format", "functions")}
    body["name"] = "fz_body"
    n_out = len(g["outputs"]) if isinstance(g["outputs"], list) else 1
    outs = [f"fz_o{j}" for j in range(n_out)]
    return {"format": FORMAT, "name": "fz_vmap", "params": [],
            "inputs": [{**v, "shape": [size] + list(v["shape"])} for v in g["inputs"]],
            "nodes": [{"op": "vmap", "inputs": [v["name"] for v in g["inputs"]], "outputs": outs,
                       "attrs": {"fn": "fz_body", "in_axes": 0, "out_axes": 0}}],
            "outputs": outs if isinstance(g["outputs"], list) else outs[0],
            "functions": {**copy.deepcopy(g.get("functions") or {}), "fz_body": body}}


def _chain(op: str, n: int, shape=(4,)) -> dict:
    nodes = [{"op": op, "inputs": ["x" if i == 0 else f"t{i - 1}"], "outputs": [f"t{i}"], "attrs": {}}
             for i in range(n)]
    return {"format": FORMAT, "name": "chain", "params": [], "inputs": [{"name": "x", "shape": list(shape),
            "dtype": "float64"}], "nodes": nodes, "outputs": f"t{n - 1}"}


def _nested_calls(depth: int) -> dict:
    """f0 calls f1 calls ... f_depth (each sin of its input): deep function nesting."""
    fns = {}
    for k in range(depth, -1, -1):
        node = {"op": "sin", "inputs": ["a"], "outputs": ["r"], "attrs": {}} if k == depth else \
            {"op": "call", "inputs": ["a"], "outputs": ["r"], "attrs": {"fn": f"f{k + 1}"}}
        fns[f"f{k}"] = {"name": f"f{k}", "params": [], "inputs": [{"name": "a", "shape": [3], "dtype": "float64"}],
                        "nodes": [node], "outputs": "r"}
    return {"format": FORMAT, "name": "nested", "params": [], "functions": fns,
            "inputs": [{"name": "x", "shape": [3], "dtype": "float64"}],
            "nodes": [{"op": "call", "inputs": ["x"], "outputs": ["y"], "attrs": {"fn": "f0"}}], "outputs": "y"}


def _wide(n: int) -> dict:
    """One concat of n inputs, and an output tuple of n values."""
    return {"format": FORMAT, "name": "wide", "params": [], "inputs": [{"name": "x", "shape": [2], "dtype": "float64"}],
            "nodes": [{"op": "concat", "inputs": ["x"] * n, "outputs": ["c"], "attrs": {"axis": 0}},
                      {"op": "sin", "inputs": ["c"], "outputs": ["s"], "attrs": {}}],
            "outputs": ["s"] * n}


def _nested_outputs(depth: int) -> dict:
    out: Any = "x"
    for _ in range(depth):
        out = [out]
    return {"format": FORMAT, "name": "deep_out", "params": [], "nodes": [], "outputs": out,
            "inputs": [{"name": "x", "shape": [2], "dtype": "float64"}]}


def _bomb(op: str, attrs: dict, n_in: int = 0) -> dict:
    """One node making a huge tensor from small ones (fill, iota, arange, tile, broadcast_to, pad...)."""
    ins = [{"name": f"x{i}", "shape": [2, 2], "dtype": "float64"} for i in range(n_in)]
    return {"format": FORMAT, "name": "bomb", "params": [], "inputs": ins,
            "nodes": [{"op": op, "inputs": [v["name"] for v in ins], "outputs": ["y"], "attrs": attrs},
                      {"op": "sum", "inputs": ["y"], "outputs": ["s"], "attrs": {}}], "outputs": "s"}


def _conv_bomb() -> dict:
    """A conv of a long signal with a long kernel: 2 MB declared, 8 GB of window patches inside its impl."""
    ins = [{"name": "x", "shape": [1, 1, 1 << 18], "dtype": "float32"},
           {"name": "w", "shape": [1, 1, 1 << 12], "dtype": "float32"}]
    return {"format": FORMAT, "name": "conv_bomb", "params": [], "inputs": ins,
            "nodes": [{"op": "conv", "inputs": ["x", "w"], "outputs": ["y"], "attrs": {}},
                      {"op": "sum", "inputs": ["y"], "outputs": ["s"], "attrs": {}}], "outputs": "s"}


def structure_cases() -> list[FuzzCase]:
    """Deep, wide and nested graphs and one-node work bombs, each under the kinds that multiply them."""
    big = 1 << 31
    graphs = {
        "deep-chain": _chain("sin", LIMITS["max_nodes"] - 1),
        "over-max-nodes": _chain("sin", LIMITS["max_nodes"] + 1),
        "nested-calls-64": _nested_calls(64),
        "nested-calls-2000": _nested_calls(2000),
        "wide-concat": _wide(2000),
        "nested-outputs": _nested_outputs(200),
        "bomb-fill": _bomb("fill", {"shape": [big, big], "value": 1.0, "dtype": "float64"}),
        "bomb-iota": _bomb("iota", {"shape": [1 << 22, 1 << 22], "dimension": 0, "dtype": "float64"}),
        "bomb-arange": _bomb("arange", {"start": 0.0, "stop": 1e18, "step": 1.0, "dtype": "float64"}),
        "bomb-arange-tiny-step": _bomb("arange", {"start": 0.0, "stop": 1.0, "step": 1e-300, "dtype": "float64"}),
        "bomb-tile": _bomb("tile", {"reps": [big, big]}, 1),
        "bomb-broadcast": _bomb("broadcast_to", {"shape": [big, 2, 2]}, 1),
        "bomb-pad": _bomb("pad", {"pads": [[big, big], [0, 0]]}, 1),
        "bomb-conv-transpose": _bomb("reshape", {"shape": [big, 0]}, 1),
        "bomb-reshape-neg": _bomb("reshape", {"shape": [-1, -1]}, 1),
        "bomb-conv-patches": _conv_bomb(),
    }
    out = []
    for name, g in graphs.items():
        # (the deep and wide graphs' Hessians only run into max_work / max_nodes, after seconds: not repeated)
        for kind in ("eval", "grad") if name in ("deep-chain", "wide-concat") else ("eval", "grad", "hessian"):
            out.append(FuzzCase(f"structure/{name}/{kind}", g, kind, derivative_options(kind)))
    deep = _chain("sin", 200)
    out.append(FuzzCase("structure/order-bomb", deep, "grad", {"grad_position": 0, "order": 50}))
    out.append(FuzzCase("structure/inner-bomb", deep, "grad", {"grad_position": 0, "order": 1,
                                                              "inner": [{"grad_position": 0}] * 50}))
    out.append(FuzzCase("structure/jacobian-basis", _chain("sin", 2, (1 << 17,)), "jacobian", {"positions": 0}))
    out.append(FuzzCase("structure/hessian-basis", _chain("sin", 2, (1 << 12,)), "hessian", {"positions": 0}))
    return out


# -- the sweep and its verdict ----------------------------------------------------------------------------
# one case's CPU time (not wall time: a loaded CI machine stretched one Hessian case to 50 s of wall time):
# a work bomb is refused up front, never run for long
CASE_CEILING_S = 30.0


def _pick(case_id: str, options: tuple) -> Any:
    """A stable choice per case (the same every run): spreads the kinds over the cases."""
    return options[zlib.crc32(case_id.encode()) % len(options)]


def op_sweep(op: str, seed: FuzzCase) -> list[FuzzCase]:
    """The cases for one op: its seed under every kind, NaN / inf inputs, its vmap, and every mutation; a
    mutation the graph accepts runs again under one derivative kind (chosen per case)."""
    cases = [FuzzCase(f"{op}/seed:{k}", seed.graph, k, derivative_options(k), expect_ok=k == "eval") for k in KINDS]
    kind = _pick(op, KINDS)
    cases.append(FuzzCase(f"{op}/seed:nan:{kind}", seed.graph, kind, derivative_options(kind), fill="nan"))
    vg = vmapped(seed.graph)
    if vg is not None:
        cases += [FuzzCase(f"{op}/vmap:{k}", vg, k, derivative_options(k)) for k in ("eval", "grad")]
    return cases + mutated_cases(seed, op)


def derivative_of(case: FuzzCase) -> FuzzCase:
    kind = _pick(case.id, KINDS[1:])
    return FuzzCase(f"{case.id}:{kind}", case.graph, kind, derivative_options(kind))


def verdict(case: FuzzCase, o: Outcome) -> str | None:
    """What is wrong with the answer to `case` (None: nothing). A refusal must be a 4xx naming where (a JSON
    path below $.graph, a node, or a limit) and what; nothing may take long."""
    if o.seconds > CASE_CEILING_S:
        return f"took {o.seconds:.1f} s"
    if o.status >= 500:
        return f"{o.status} {o.code}: {o.crash or o.message}"
    if o.status == 200:
        return None
    if case.expect_ok:
        return f"a valid graph was refused: {o.status} {o.code}: {o.message}"
    if not o.message or not o.code:
        return f"{o.status} without a code or message"
    d = o.detail
    if o.code == "limit_exceeded":
        return None if d.get("limit") else f"413 naming no limit: {o.message}"
    # where: a node, a JSON path below the graph as a whole, or the request's derivative position
    if not (d.get("node") or (d.get("path") and d["path"] != "$.graph") or d.get("position") is not None):
        return f"{o.status} {o.code} naming no node or field: {o.message} {d}"
    return None


# -- the graph's JSON itself: every field of a seed set to a value of another type, or deleted --------------
JSON_VALUES = (None, 1, -1, 1.5, "x", "", [], [None], [1], {}, {"a": 1}, True, [[]], "t2", "DEL")


def _json_paths(d, pre=()):
    items = d.items() if isinstance(d, dict) else enumerate(d) if isinstance(d, list) else ()
    for k, v in items:
        if k != "data":  # (tensor data: the codec's and the value checks' business)
            yield pre + (k,)
            yield from _json_paths(v, pre + (k,))


def json_mutations(seed: FuzzCase, op: str, per_field: int = 2) -> list[FuzzCase]:
    """The seed with each JSON field (every key and list item, at every depth) set to `per_field` values of
    JSON_VALUES (chosen per field) or deleted; each an eval or a grad job."""
    out = []
    for path in _json_paths(seed.graph):
        where = "/".join(map(str, path))
        for j in range(per_field):
            value = _pick(f"{where}#{j}", JSON_VALUES)
            g = copy.deepcopy(seed.graph)
            parent = g
            for k in path[:-1]:
                parent = parent[k]
            if value == "DEL":
                del parent[path[-1]]
            else:
                parent[path[-1]] = copy.deepcopy(value)
            kind = _pick(f"{where}#{j}:kind", ("eval", "grad"))
            out.append(FuzzCase(f"{op}/json:{where}={value!r}:{kind}", g, kind, derivative_options(kind)))
    return out
