"""The graph's JSON form, `gradserve.graph/1`. Data only: no pickle, no eval, ops from the registry.

    {"format": "gradserve.graph/1", "name": "net",
     "inputs":  [{"name": "x", "shape": [2, 3], "dtype": "float32"}, ...],
     "params":  [{"name": "z", "shape": [1], "dtype": "float32", "value": TENSOR}, ...],
     "nodes":   [{"op": "mul", "inputs": ["x", "z"], "outputs": ["t0"], "attrs": {}}, ...],
     "outputs": "t1"  |  ["a", ["b", "c"]],
     "functions": {"f": {same, without "format"; params without values}}}

TENSOR = {"shape": [...], "dtype": "float32", "data": [flat or nested numbers]}
       | {"shape": [...], "dtype": "float32", "b64": "<little-endian row-major bytes>"}
Loading checks everything and names the JSON path of what is wrong.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from typing import Any

import numpy as np

from .builder import Builder
from .errors import EngineError, InvalidGraph, LimitExceeded, ShapeError
from .ir import DTYPES, NP_DTYPES, AVal, Graph, UniqueNames, Var, check_size, tree_flatten
from .ops.registry import FUNCTION_OPS, OPS, REQUIRED
from .shape_rules import complex_as_pairs, pairs_as_complex

FORMAT = "gradserve.graph/1"


# -- tensors ---------------------------------------------------------------------------------
def tensor_to_json(a: np.ndarray, *, b64: bool = False) -> dict:
    a = np.asarray(a)
    d = {"shape": list(a.shape), "dtype": str(a.dtype)}
    if b64:
        d["b64"] = base64.b64encode(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()).decode()
    else:  # a complex tensor's data: one [re, im] pair per element
        d["data"] = complex_as_pairs(a).reshape(-1, 2).tolist() if a.dtype.kind == "c" else a.reshape(-1).tolist()
    return d


def tensor_from_json(d: Any, path: str, *, max_elements: int | None = None) -> np.ndarray:
    if not isinstance(d, dict):
        raise InvalidGraph("a tensor must be an object with shape, dtype and data or b64", path=path)
    shape, dtype = d.get("shape"), d.get("dtype")
    if dtype not in DTYPES:
        raise InvalidGraph(f"unknown dtype {dtype!r}; known: {', '.join(DTYPES)}", path=f"{path}.dtype")
    if not isinstance(shape, list) or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in shape):
        raise InvalidGraph("shape must be a list of non-negative integers", path=f"{path}.shape")
    check_size(tuple(shape), "tensor", path=f"{path}.shape")
    n = math.prod(shape)
    if max_elements is not None and n > max_elements:
        raise LimitExceeded(f"tensor has {n} elements, above the limit of {max_elements} (max_elements)", path=path,
                            setting="max_elements", limit=max_elements, value=n)
    npd = np.dtype(NP_DTYPES[dtype])
    raw = d.get("raw")
    if type(raw) is tuple:  # a value named by sha256: its pieces' bytes (service.tensor_store.resolved)
        size = sum(len(piece) for piece in raw)
        if size != n * npd.itemsize:  # (before joining them: one kept piece may be named many times)
            raise ShapeError(f"sha256 names {size} bytes; shape {shape} of {dtype} needs {n * npd.itemsize}",
                             path=f"{path}.sha256")
        # read-only and without a copy of their own: one piece is the store's bytes themselves (a graph in use
        # keeps them alive after the store dropped them), more are joined once (their only copy)
        raw = raw[0] if len(raw) == 1 else b"".join(raw)
        return np.frombuffer(raw, dtype=npd.newbyteorder("<")).astype(npd, copy=False).reshape(shape)
    if "b64" in d:
        try:
            raw = binascii.a2b_base64(d["b64"], strict_mode=True)  # (b64decode would first copy a str to bytes)
        except (ValueError, TypeError):
            raise InvalidGraph("b64 is not valid base64", path=f"{path}.b64") from None
        if len(raw) != n * npd.itemsize:
            raise ShapeError(f"b64 holds {len(raw)} bytes; shape {shape} of {dtype} needs {n * npd.itemsize}",
                             path=f"{path}.b64")
        return np.frombuffer(raw, dtype=npd.newbyteorder("<")).astype(npd, copy=True).reshape(shape)
    if "data" not in d:
        if "sha256" in d:
            raise InvalidGraph("a value named by sha256 is a parameter's, read from the server's tensor store",
                               path=f"{path}.sha256")
        raise InvalidGraph("a tensor needs data or b64", path=path)
    try:
        arr = pairs_as_complex(np.asarray(d["data"]), dtype) if npd.kind == "c" else np.asarray(d["data"], dtype=npd)
    except (ValueError, TypeError, OverflowError) as e:
        raise InvalidGraph(f"data is not a list of {dtype} numbers: {e}", path=f"{path}.data") from None
    if arr.size != n:
        raise ShapeError(f"data has {arr.size} elements; shape {shape} needs {n}", path=f"{path}.data")
    return arr.reshape(shape)


# -- graphs ----------------------------------------------------------------------------------
def _attr_to_json(v):
    if isinstance(v, np.ndarray):
        return {"tensor": tensor_to_json(v)}
    if isinstance(v, tuple):
        return [_attr_to_json(x) for x in v]
    return v


def graph_to_json(g: Graph, *, top: bool = True) -> dict:
    n = UniqueNames()

    def tree(t):
        return [tree(s) for s in t] if isinstance(t, tuple) else n(t)

    d: dict[str, Any] = {}
    if top:
        d["format"] = FORMAT
    d["name"] = g.name
    d["inputs"] = [{"name": n(v), "shape": list(v.shape), "dtype": v.dtype} for v in g.inputs]
    params = []
    for p in g.params:
        pd = {"name": p.name, "shape": list(p.shape), "dtype": p.dtype}
        n.pin(p, p.name)
        if top and p.name in g.param_values:
            pd["value"] = tensor_to_json(g.param_values[p.name])
        params.append(pd)
    d["params"] = params
    d["nodes"] = [{"op": e.op, "inputs": [n(x) for x in e.inputs], "outputs": [n(o) for o in e.outputs],
                   "attrs": {k: _attr_to_json(v) for k, v in e.attrs.items()}} for e in g.eqns]
    d["outputs"] = tree(g.outputs)
    if top and _names_load(g.output_names, len(g.flat_outputs)):
        d["output_names"] = list(g.output_names)
    if top and g.functions:
        d["functions"] = {k: graph_to_json(f, top=False) for k, f in g.functions.items()}
    return d


def _attr_from_json(v, path):
    if isinstance(v, dict):
        if set(v) == {"tensor"}:
            return tensor_from_json(v["tensor"], path)
        raise InvalidGraph("attribute objects must be {\"tensor\": TENSOR}", path=path)
    if isinstance(v, list):
        return [_attr_from_json(x, f"{path}[{i}]") for i, x in enumerate(v)]
    return v


def _expect(d, key, kind, path, default=...):
    if key not in d:
        if default is not ...:
            return default
        raise InvalidGraph(f"missing field {key!r}", path=path)
    v = d[key]
    if not isinstance(v, kind):
        raise InvalidGraph(f"field {key!r} must be {kind.__name__ if isinstance(kind, type) else 'of the right type'}",
                           path=f"{path}.{key}")
    return v


class Limits:
    def __init__(self, max_nodes: int | None = None, max_functions: int = 256, max_elements: int | None = None,
                 max_depth: int = 64, max_outputs: int | None = None, max_work: int | None = None):
        self.max_nodes = max_nodes
        # (the service's max_work: a graph whose calls alone inline more than it can never be lowered; see
        # check_expansion)
        self.max_work = max_work
        self.max_functions = max_functions
        self.max_elements = max_elements
        self.max_depth = max_depth
        # outputs of one graph (the service's max_tensors: each is a tensor of the answer, or a cotangent asked
        # for): a body of a million output names was a worker's whole deadline, or half a GiB in the server
        self.max_outputs = max_outputs


def source_map(g: Graph) -> dict[str, str]:
    """{function name: the caller's JSON path of that graph} for the functions of a derived graph
    that come from the caller's graph (transforms keep it). A derived graph's JSON form does not
    carry it: send it beside, and `graph_from_json(..., sources=)` puts it back, so errors while
    lowering or running name the caller's nodes ("$.nodes[3]:gather"), not derived names."""
    return {k: f.source for k, f in g.functions.items() if f.source}


def caller_path(sources: dict[str, str], where: str | None) -> str | None:
    """A node label or JSON path of a derived graph in the caller's terms: "$.functions.net_0.nodes[2]"
    and "net_0/2:mul" become "$.nodes[2]" and "$.nodes[2]:mul" when net_0 is the caller's top graph."""
    if not where:
        return where
    for name, src in sources.items():
        for prefix, new in ((f"$.functions.{name}.", f"{src}."), (f"{name}/", None)):
            if where.startswith(prefix):
                rest = where[len(prefix):]
                if new is not None:
                    return new + rest
                i, _, op = rest.partition(":")
                return f"{src}.nodes[{i}]" + (f":{op}" if op else "")
    return where


def graph_from_json(d: Any, limits: Limits | None = None, *, sources: dict[str, str] | None = None) -> Graph:
    """The graph of a JSON form, checked (errors name the JSON path). `sources`: see `source_map`."""
    limits = limits or Limits()
    if not isinstance(d, dict):
        raise InvalidGraph("a graph must be a JSON object", path="$")
    fmt = d.get("format")
    if fmt != FORMAT:
        raise InvalidGraph(f"unsupported format {fmt!r}; this server reads {FORMAT!r}", path="$.format")
    fjson = _expect(d, "functions", dict, "$", {})
    if len(fjson) > limits.max_functions:
        raise LimitExceeded(f"{len(fjson)} functions, above the limit of {limits.max_functions} (max_functions)",
                            path="$.functions", setting="max_functions", limit=limits.max_functions, value=len(fjson))
    total = [0]
    functions: dict[str, Graph] = {}
    # Functions may use functions defined before them (in order); recursion is impossible by construction.
    for fname, fd in fjson.items():
        src = (sources or {}).get(fname) or f"$.functions.{fname}"  # errors name the caller's path
        functions[fname] = _load_one(fd, src, functions, limits, total, top=False, name=fname)
        functions[fname].source = src
    name = d.get("name", "main")
    if not isinstance(name, str):  # (derived graphs' names are built from it)
        raise InvalidGraph(f"name must be a string, got {name!r}", path="$.name")
    g = _load_one(d, "$", functions, limits, total, top=True, name=name)
    g.functions = functions
    g.output_names = _output_names(d, len(g.flat_outputs))
    if limits.max_work is not None:
        check_expansion(g, limits.max_work)
    g.source = "$" if sources is None else None  # a derived graph's own body is none of the caller's
    return g


def _names_load(names, n: int) -> bool:
    """Whether `names` are output_names the loader takes for n flat outputs: graph_to_json writes a graph's names
    (an imported model's, or the names a transform gave a derived graph) only then, so a written graph always loads;
    a derived graph whose names repeat (two inputs both unnamed, say) is written without them (the transforms name
    its outputs again when it is derived from)."""
    return names is not None and len(names) == n and len(set(names)) == n and \
        all(isinstance(x, str) and x for x in names)


def _output_names(d: dict, n: int) -> list[str] | None:
    """The top graph's optional `output_names`: what its caller calls each flat output (an imported model's own
    output names, e.g. ONNX's `y`), served under them (an eval model's outputs; Graph.output_names) where the
    value names ("t17") are the writer's own."""
    names = _expect(d, "output_names", list, "$", None)
    if names is None:
        return None
    if not all(isinstance(x, str) and x for x in names):
        raise InvalidGraph("output_names must be non-empty strings", path="$.output_names")
    if not _names_load(names, n):
        raise InvalidGraph(f"output_names must name each of the graph's {n} flat output(s) once, got {names!r}",
                           path="$.output_names")
    return names


INLINED = ("call", "grad", "jvp")  # function ops that emit their function's equations where they stand


def least_work(d: dict) -> tuple[int, int]:
    """What check_expansion counts at the least, from a graph's JSON before it is loaded: the same count
    (`node_work`) of the same nodes, uses of functions followed to any depth, in the functions' order (a function
    uses only those before it: a use of itself or of a later one counts one here, and the load refuses it), so
    O(nodes); only vmap's batching (`vmap_work`, which needs the loaded shapes) is left out: a floor. A 99 000-node
    body, or one hiding its size two calls down, was loaded whole (~2 s of CPU) before check_expansion's 413.
    Returns (the count, the index of the graph's node that counts the most)."""
    fns = d.get("functions") if isinstance(d.get("functions"), dict) else {}
    totals: dict[str, int] = {}
    for name, f in fns.items():
        totals[name] = _json_work(f.get("nodes") if isinstance(f, dict) else None, totals)[0]
    return _json_work(d.get("nodes"), totals)


def _json_work(nodes, totals: dict[str, int]) -> tuple[int, int]:
    n, most, worst = 0, 0, 0
    for i, nd in enumerate(nodes if isinstance(nodes, list) else ()):
        op, attrs = (nd.get("op"), nd.get("attrs")) if isinstance(nd, dict) else (None, None)
        k = node_work(op, attrs if isinstance(attrs, dict) else {}, totals)
        n += k
        if k > most:
            most, worst = k, i
    return n, worst


def check_expansion(g: Graph, max_work: int) -> None:
    """413 max_work for a graph whose `call` / `grad` / `jvp` nodes inline more equations than max_work allows.

    Each use of a function inlines its equations again, so functions that use functions twice per level make
    2**K copies from a few KiB (a chain of 20 such functions: a million): lowering charged each one to max_work
    and was refused only once it had spent it, ~7 s of one core in a worker (in the server's deriving threads for
    a derivative) per request. The count here (`node_work`, and a vmap's batching) is what lowering charges at the
    least (Builder.emit, autodiff.inline), from the loaded graph in O(nodes): functions use only those defined
    before them, so one pass in order has every total."""
    totals: dict[str, int] = {}
    fns = g.functions
    for name, f in fns.items():
        totals[name] = _expanded(f, totals, fns)
    n = _expanded(g, totals, fns)
    if n > max_work:
        worst = max(range(len(g.eqns)), key=lambda i: _expanded_eqn(g.eqns[i], totals, fns))
        where = f"{g.source or '$'}.nodes[{worst}]"
        raise LimitExceeded(f"the graph's function uses inline {n} equations (a function used twice by a function "
                            f"used twice doubles them; a fori_loop / scan inlines its body once a trip, a vmap "
                            f"batches its body's, an op with no batching rule once per example), more than "
                            f"max_work ({max_work}) lets one graph build (the most through this {g.eqns[worst].op} "
                            "node)", path=where, setting="max_work",
                            limit=max_work, value=n)


def _expanded(f: Graph, totals: dict[str, int], fns: dict[str, Graph]) -> int:
    return sum(_expanded_eqn(e, totals, fns) for e in f.eqns)


def _expanded_eqn(e, totals: dict[str, int], fns: dict[str, Graph]) -> int:
    fn = e.attrs.get("fn") if e.op == "vmap" else None
    batched = vmap_work(e, fns[fn]) if isinstance(fn, str) and fn in totals else 0
    return node_work(e.op, e.attrs, totals) + batched


def _trips(op: str, a: dict) -> int:
    lo, hi = (a.get("lower", 0), a.get("upper", 0)) if op == "fori_loop" else (0, a.get("length", 0))
    return hi - lo if all(isinstance(x, int) and not isinstance(x, bool) for x in (lo, hi)) else 0


def node_work(op, attrs: dict, totals: dict[str, int]) -> int:
    """One node's count (least_work's from the JSON, check_expansion's from the loaded graph: one definition): an
    equation emits one; a use of a function (call / grad / jvp, and a vmap before its batching) is the inlining
    (one) and the function's equations; a fori_loop / scan is unrolled (engine.ops.control_flow), its body inlined
    once a trip (a 300-byte fori_loop of 2^62 trips spent max_work, ~2-4 s of a worker, before its 413). `totals`:
    the counts of the functions defined so far."""
    if op in UNROLLED:
        body, trips = attrs.get("body"), _trips(op, attrs)
        known = isinstance(body, str) and body in totals and trips > 0
        return min(trips * (1 + totals[body]), WORK_CAP) if known else 1
    fn = attrs.get("fn") if op in INLINED or op == "vmap" else None
    return min(1 + totals[fn], WORK_CAP) if isinstance(fn, str) and fn in totals else 1


UNROLLED = ("fori_loop", "scan")
# a node's count saturates here (a function's, a graph's: a sum of at most max_nodes such): 250 fori_loops of 2^62
# trips, each the body of the next, counted 2^15 500, past Python's 4300-digit int-to-str limit (the refusal's text
# a 500, before: a 400 naming a ValueError), its arithmetic on ever longer numbers
WORK_CAP = 1 << 62


def vmap_work(e, f: Graph) -> int:
    """The least work of batching function f's own equations for vmap node e (engine.vmap.expand_vmap): each
    equation is emitted again, once, by its batching rule; one with a batched input and no rule of its own
    (engine.batching.unrolled: an einsum with "..." or no "->", linear_sum_assignment) once per example, with an
    index per batched input. A vmap over 10^6 examples of such an op spent max_work in a worker before its 413."""
    from .batching import BATCH_RULES  # (registered by engine.vmap's import)

    axes = e.attrs.get("in_axes", 0)
    axes = list(axes) if isinstance(axes, (list, tuple)) else [axes] * len(f.inputs)
    mapped = [(v, x, a) for v, x, a in zip(f.inputs, e.inputs, axes) if isinstance(a, int) and x.aval.ndim]
    if not mapped:
        return sum(q.op not in FUNCTION_OPS for q in f.eqns)
    size = mapped[0][1].aval.shape[mapped[0][2] % mapped[0][1].aval.ndim]
    batched, n = {v.id for v, _, _ in mapped}, 0
    for q in f.eqns:
        hit = sum(x.id in batched for x in q.inputs)
        n += q.op not in FUNCTION_OPS  # (a function op's own equations are batched instead: in totals)
        if not hit or q.op in FUNCTION_OPS:  # (a nested function's outputs: not followed, the count stays a floor)
            continue
        batched.update(o.id for o in q.outputs)
        eq = str(q.attrs.get("equation", "")).replace(" ", "")
        if q.op not in BATCH_RULES or (q.op == "einsum" and ("->" not in eq or "..." in eq)):
            n += size * (1 + hit) + len(q.outputs) - 1
    return n


def _load_one(d, path, functions, limits, total, *, top, name) -> Graph:
    if not isinstance(d, dict):
        raise InvalidGraph("a graph must be a JSON object", path=path)
    env: dict[str, Var] = {}
    inputs = []
    for i, it in enumerate(_expect(d, "inputs", list, path)):
        p = f"{path}.inputs[{i}]"
        if not isinstance(it, dict):
            raise InvalidGraph("an input must be an object", path=p)
        inputs.append(_define(env, it.get("name"), _aval_of(it, p), f"{p}.name"))
    params, values = _load_params(d, path, env, limits, top)
    b = Builder(simplify=False, cse=False, functions=functions)
    for i, nd in enumerate(_expect(d, "nodes", list, path)):
        total[0] += 1
        if limits.max_nodes is not None and total[0] > limits.max_nodes:
            raise LimitExceeded(f"graph has more than {limits.max_nodes} nodes (max_nodes)", path=f"{path}.nodes[{i}]",
                                setting="max_nodes", limit=limits.max_nodes, value=total[0])
        _load_node(b, env, nd, i, f"{path}.nodes[{i}]", name)
    if "outputs" not in d:
        raise InvalidGraph("missing field 'outputs'", path=path)
    outputs = _output_tree(d["outputs"], f"{path}.outputs", env, limits, [0])
    if not tree_flatten(outputs):
        raise InvalidGraph("a graph needs at least one output", path=f"{path}.outputs")
    return Graph(inputs, params, b.eqns, outputs, values, {}, name)


def _define(env: dict, nm, aval: AVal, p: str) -> Var:
    if not isinstance(nm, str) or not nm:
        raise InvalidGraph("a name must be a non-empty string", path=p)
    if nm in env:
        raise InvalidGraph(f"name {nm!r} is defined twice", path=p)
    if not nm.isascii():
        _check_text(nm, p)
    v = Var(aval, nm)
    env[nm] = v
    return v


def _check_text(nm: str, p: str) -> None:
    """A name is Unicode text: JSON's escape "\\ud800" (a lone surrogate) reads as a str no UTF-8 answer can hold,
    and answers echo names (an input's gradient is named d/d<name>: round 20, a 500 after the worker's run)."""
    try:
        nm.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InvalidGraph(f"a name holds a lone surrogate (\\u{ord(nm[e.start]):04x} at character {e.start}): "
                           "not Unicode text", path=p) from None


def _aval_of(item: dict, p: str) -> AVal:
    shape = item.get("shape")
    if not isinstance(shape, list) or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in shape):
        raise InvalidGraph("shape must be a list of non-negative integers", path=f"{p}.shape")
    dtype = item.get("dtype")
    if dtype not in DTYPES:
        raise InvalidGraph(f"unknown dtype {dtype!r}; known: {', '.join(DTYPES)}", path=f"{p}.dtype")
    check_size(tuple(shape), "a tensor", path=f"{p}.shape")
    return AVal(tuple(shape), dtype)


def _load_params(d: dict, path: str, env: dict, limits: Limits, top: bool) -> tuple[list[Var], dict]:
    params, values = [], {}
    for i, it in enumerate(_expect(d, "params", list, path, [])):
        p = f"{path}.params[{i}]"
        if not isinstance(it, dict):
            raise InvalidGraph("a param must be an object", path=p)
        v = _define(env, it.get("name"), _aval_of(it, p), f"{p}.name")
        params.append(v)
        if "value" in it:
            if not top:
                raise InvalidGraph("parameter values belong to the top graph, not to functions", path=f"{p}.value")
            val = tensor_from_json(it["value"], f"{p}.value", max_elements=limits.max_elements)
            if val.shape != v.shape or str(val.dtype) != v.dtype:
                raise ShapeError(f"parameter value is {val.dtype}{list(val.shape)}, declared {v.aval}", path=f"{p}.value")
            values[v.name] = val
    return params, values


def _load_node(b: Builder, env: dict, nd, i: int, p: str, name: str) -> None:
    """Emit node `i` (at JSON path p) into b, its outputs named in env."""
    if not isinstance(nd, dict):
        raise InvalidGraph("a node must be an object", path=p)
    op = _expect(nd, "op", str, p)
    in_names = _expect(nd, "inputs", list, p, [])
    out_names = _expect(nd, "outputs", list, p)
    attrs = _expect(nd, "attrs", dict, p, {})
    ins = []
    for j, nm in enumerate(in_names):
        if not isinstance(nm, str) or nm not in env:
            raise InvalidGraph(f"input {nm!r} is not defined before this node (undefined variable or cycle)",
                               path=f"{p}.inputs[{j}]", node=f"{i}:{op}")
        ins.append(env[nm])
    attrs = {k: _attr_from_json(v, f"{p}.attrs.{k}") for k, v in attrs.items()}
    b.node_label = f"{name}/{i}:{op}"
    try:
        outs = b.emit(op, ins, attrs)
    except EngineError as e:
        if e.path is None:
            e.path = p
            e.args = (f"{e.args[0]} (at {p})",)
        raise
    if len(out_names) != len(outs):
        raise InvalidGraph(f"op {op} has {len(outs)} output(s), the node names {len(out_names)}",
                           path=f"{p}.outputs", node=f"{i}:{op}")
    for j, (nm, v) in enumerate(zip(out_names, outs)):
        if not isinstance(nm, str) or not nm:
            raise InvalidGraph("an output name must be a non-empty string", path=f"{p}.outputs[{j}]")
        if nm in env:
            raise InvalidGraph(f"name {nm!r} is defined twice", path=f"{p}.outputs[{j}]")
        v.name = nm
        env[nm] = v


def _output_tree(t, p: str, env: dict, limits: Limits, seen: list, depth: int = 0):
    """The outputs' tree of names, its leaves counted in `seen` (refused past max_outputs as they are met)."""
    if depth > limits.max_depth:
        raise LimitExceeded(f"outputs nested deeper than {limits.max_depth} (max_depth)", path=p,
                            setting="max_depth", limit=limits.max_depth, value=depth)
    if isinstance(t, list):
        return tuple(_output_tree(s, f"{p}[{k}]", env, limits, seen, depth + 1) for k, s in enumerate(t))
    seen[0] += 1
    if limits.max_outputs is not None and seen[0] > limits.max_outputs:
        raise LimitExceeded(f"the graph has more than {limits.max_outputs} outputs (max_tensors: each output is a "
                            "tensor of the answer)", path=p, setting="max_tensors", limit=limits.max_outputs,
                            value=seen[0])
    if not isinstance(t, str) or t not in env:
        raise InvalidGraph(f"output {t!r} is not defined", path=p)
    return env[t]


_CANONICAL = {"sort_keys": True, "separators": (",", ":"), "allow_nan": False}


def canonical_json(d: Any) -> bytes:
    return json.dumps(d, **_CANONICAL).encode()


def graph_hash(d: dict, yielding: bool = False) -> str:
    """Content address of a graph's JSON form (what replicas share instead of state). `yielding`: the same text
    written by json's Python encoder a piece at a time, ~4x the CPU but never holding the interpreter lock for
    long (a server's large graph: json.dumps held it for ~120 ms of CPU, ~1 s on a loaded box, for a 99 K-node
    chain, while other threads waited)."""
    if not yielding:
        return "sha256:" + hashlib.sha256(canonical_json(d)).hexdigest()
    h, parts = hashlib.sha256(), []
    for part in json.JSONEncoder(**_CANONICAL).iterencode(d):  # (not one-shot: the Python encoder)
        parts.append(part)
        if len(parts) >= 65536:
            h.update("".join(parts).encode())
            parts.clear()
    h.update("".join(parts).encode())
    return "sha256:" + h.hexdigest()


# -- JSON Schema ------------------------------------------------------------------------------
SCHEMA_ID = "https://gradserve.dev/schemas/gradserve.graph-1.json"
_ATTR_KIND_SCHEMA = {
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "str": {"type": "string"},
    "ints": {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]},
    "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
    "dtype": {"enum": list(DTYPES)},
    "any": {"$ref": "#/$defs/attr_value"},
}


def _op_schemas() -> list[dict]:
    """One if/then per op: its attrs (kinds, required) and input count."""
    per_op = []
    for name in sorted(OPS):
        op = OPS[name]
        props = {}
        for k, a in op.attrs.items():
            s = _ATTR_KIND_SCHEMA[a.kind]
            props[k] = {"anyOf": [s, {"type": "null"}]} if a.optional else s
        attrs_schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
        required = sorted(k for k, a in op.attrs.items() if a.default is REQUIRED)
        if required:
            attrs_schema["required"] = required
        then: dict[str, Any] = {"properties": {"attrs": attrs_schema}}
        if required:
            then["required"] = ["attrs"]
        if op.arity is not None:
            then["properties"]["inputs"] = {"minItems": op.arity, "maxItems": op.arity}
        elif op.min_arity:
            then["properties"]["inputs"] = {"minItems": op.min_arity}
        per_op.append({"if": {"properties": {"op": {"const": name}}, "required": ["op"]}, "then": then})
    return per_op


_NAME = {"type": "string", "minLength": 1}


def _graph_props(top: bool) -> dict:
    decl = {"type": "object", "required": ["name", "shape", "dtype"],
            "properties": {"name": _NAME, "shape": {"$ref": "#/$defs/shape"}, "dtype": {"$ref": "#/$defs/dtype"}}}
    param = {"type": "object", "required": ["name", "shape", "dtype"], "additionalProperties": False,
             "properties": {"name": _NAME, "shape": {"$ref": "#/$defs/shape"}, "dtype": {"$ref": "#/$defs/dtype"}}}
    if top:
        # (or by the sha256 of its bytes, uploaded to the server's tensor store: service.tensor_store)
        param["properties"]["value"] = {"anyOf": [{"$ref": "#/$defs/tensor"}, {"$ref": "#/$defs/tensor_ref"}]}
    props = {
        "name": {"type": "string"},
        "inputs": {"type": "array", "items": {**decl, "additionalProperties": False}},
        "params": {"type": "array", "items": param},
        "nodes": {"type": "array", "items": {"$ref": "#/$defs/node"}},
        "outputs": {"$ref": "#/$defs/output_tree"},
    }
    if top:
        props["format"] = {"const": FORMAT}
        props["functions"] = {"type": "object", "additionalProperties": {"$ref": "#/$defs/function"}}
        # each flat output's name for the caller (an imported model's own), in order, each once
        props["output_names"] = {"type": "array", "items": _NAME, "uniqueItems": True}
    return props


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of `gradserve.graph/1`, generated from the op registry.

    Published as engine/graph.schema.json (write_schema() regenerates it). The loader
    checks more than the schema can (shapes, dtypes, names defined before use), never less.
    """
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": FORMAT,
        "description": "A gradserve graph: inputs, parameters (with values at top level), nodes in "
                       "topological order (op, input names, output names, attrs), outputs (a name or a "
                       "nested list of names) and functions (sub-graphs used by call / grad / jvp nodes).",
        "type": "object",
        "required": ["format", "inputs", "nodes", "outputs"],
        "additionalProperties": False,
        "properties": _graph_props(True),
        "$defs": {
            "dtype": {"enum": list(DTYPES)},
            "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "nested_data": {"type": "array",
                            "items": {"anyOf": [{"type": "number"}, {"type": "boolean"},
                                                {"$ref": "#/$defs/nested_data"}]}},
            "tensor": {"type": "object", "required": ["shape", "dtype"], "additionalProperties": False,
                       "properties": {"shape": {"$ref": "#/$defs/shape"}, "dtype": {"$ref": "#/$defs/dtype"},
                                      "data": {"$ref": "#/$defs/nested_data"},
                                      "b64": {"type": "string", "contentEncoding": "base64"}},
                       "oneOf": [{"required": ["data"]}, {"required": ["b64"]}]},
            "tensor_ref": {"type": "object", "required": ["shape", "dtype", "sha256"], "additionalProperties": False,
                           "properties": {"shape": {"$ref": "#/$defs/shape"}, "dtype": {"$ref": "#/$defs/dtype"},
                                          "sha256": {"type": "array", "minItems": 1, "items": {
                                              "type": "string", "pattern": "^[0-9a-f]{64}$"}}}},
            "attr_value": {"anyOf": [
                {"type": ["null", "boolean", "number", "string"]},
                {"type": "array", "items": {"$ref": "#/$defs/attr_value"}},
                {"type": "object", "required": ["tensor"], "additionalProperties": False,
                 "properties": {"tensor": {"$ref": "#/$defs/tensor"}}},
            ]},
            "output_tree": {"anyOf": [{"type": "string", "minLength": 1},
                                      {"type": "array", "items": {"$ref": "#/$defs/output_tree"}}]},
            "node": {"type": "object", "required": ["op", "outputs"], "additionalProperties": False,
                     "properties": {"op": {"enum": sorted(OPS)},
                                    "inputs": {"type": "array", "items": _NAME},
                                    "outputs": {"type": "array", "items": _NAME, "minItems": 1},
                                    "attrs": {"type": "object"}},
                     "allOf": _op_schemas()},
            "function": {"type": "object", "required": ["inputs", "nodes", "outputs"], "additionalProperties": False,
                         "properties": _graph_props(False)},
        },
    }


def write_schema(path: str | None = None) -> str:
    """Regenerate engine/graph.schema.json from the registry (run after adding an op)."""
    import os

    path = path or os.path.join(os.path.dirname(__file__), "graph.schema.json")
    with open(path, "w") as f:
        json.dump(json_schema(), f, indent=1, sort_keys=False)
        f.write("\n")
    return path
