"""Reading a traced Tensor's value while tracing: MindSpore's PyNative semantics.

In PyNative mode MindSpore runs each op as it comes, so `x.asnumpy()`, `int(t)`, `t.item()`, a shape
computed from a value (`ops.zeros(int(t.max()))`) all work inside a function being differentiated; the
gradient is taken over the ops that ran, and a value read leaves the tape (its gradient is zero).

The SDK traces instead. When the trace was started on concrete inputs (run_program: the SDK holds their
arrays), a read of a traced Tensor is answered with its value in this call: the ops recorded so far that it
depends on (a backward slice of the trace) run on the service as one small graph over those inputs. What
the code does with the answer is a constant of the trace, so the graph is SPECIALISED on it: the trace counts
its reads (`Trace.reads`) and run_program never caches a trace that read a value (a later call with other
values traces again: a graph specialised on one value never serves another). A read on one side of an `if`
emitted as a cond starts the function again with each `if` decided by its value (_branches.explore): that side
may not be the one this call runs, where its read could be an error (PyNative runs only the taken side).

A value is known for the top trace's inputs, and for a function traced inside (a derivative's function, a
branch of an `if`) through the outer value each of its inputs stands for (`note_outer`: an argument or a
capture); a loop body's carried values, vmap's per-example arguments and an exported graph's example inputs
(`trace_graph`) are not known: a read there is refused as before.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import _catalog
from . import context as _context
from ._client import GraphRef
from ._late import late
from ._tensor import Tensor


def note_outer(tr: Any, inner: Tensor, outer: Any) -> None:
    """Inner input `inner` of function trace `tr` stands for `outer` (a Tensor of an enclosing trace, or
    a concrete one) in the call being traced."""
    if isinstance(outer, Tensor) and outer._shape == inner._shape and outer._dtype == inner._dtype:
        tr.outer[inner._name] = outer


def value_of(t: Tensor) -> np.ndarray | None:
    """The value traced Tensor `t` has in the call being traced; None where it is not known."""
    tr = t._trace
    if tr is None or tr.root.known is None:
        return None
    hit = tr.values.get(t._name)
    if hit is not None:
        return hit
    if late.refuse_read_in_branch():  # (on a side of a cond this call may not run: decided by value instead)
        return None  # (a join probe's read: no value)
    nodes, used = _slice(tr, t._name)
    body = tr.body([t._name])
    inputs, arrays = [], []
    for spec, raw in zip(body["inputs"], tr.inputs):
        if raw["name"] not in used:
            continue
        a = _input_value(tr, raw["name"])
        if a is None:
            return None
        inputs.append(spec)
        arrays.append(a)
    kept = _forward_only([body["nodes"][i] for i in nodes])
    functions = _functions(tr.root.functions, kept)
    params, values = _params(tr, [n[3:] for n in used if n.startswith("%p:")], functions)
    doc = {"format": _catalog.FORMAT, **body, "inputs": inputs, "nodes": kept, "params": params}
    if functions:
        doc["functions"] = functions
    res = _context.client().eval(GraphRef(doc), arrays, params=values or None, device=_context.device())
    a = np.asarray(res.outputs[0], dtype=t._dtype).reshape(t._shape)
    a.setflags(write=False)  # shared by every read of t in this call
    tr.values[t._name] = a
    tr.root.reads += 1
    return a


def _forward_only(nodes: list) -> list:
    """nodes, each custom_vjp node whose rule is not traced yet (_bprop.LateRule: a hook's, traced once its
    function has run) as the identity on its call's outputs: its forward value, all a value read asks for."""
    out = []
    for nd in nodes:
        if nd["op"] != "custom_vjp" or nd["attrs"].get("bprop") is not None:
            out.append(nd)
            continue
        raw = nd["inputs"][nd["attrs"]["n_in"]:nd["attrs"]["n_in"] + nd["attrs"]["n_out"]]
        out += [{"op": "identity", "inputs": [r], "outputs": [o], "attrs": {}} for r, o in zip(raw, nd["outputs"])]
    return out


def _slice(tr: Any, name: str) -> tuple[list[int], set]:
    """The indices of the nodes of `tr` that `name` depends on, in order, and every name they read."""
    want, keep = {name}, []
    for i in range(len(tr.nodes) - 1, -1, -1):
        nd = tr.nodes[i]
        if want.intersection(nd["outputs"]):
            keep.append(i)
            want.update(nd["inputs"])
    return keep[::-1], want


def _input_value(tr: Any, name: str) -> np.ndarray | None:
    if tr.parent is None:
        return tr.known.get(name)
    outer = tr.outer.get(name)
    if outer is None:
        return None
    return outer._data if outer._data is not None else value_of(outer)


def _functions(functions: dict, nodes: list) -> dict:
    """The functions `nodes` call (a node names one by an attribute: grad's fn, cond's true_fn...), and theirs,
    in the trace's order: the service reads a function's callees before it (a cond reached first through a
    later function named an earlier one not yet defined: InvalidGraph "unknown function")."""
    used: set = set()
    todo = list(nodes)
    while todo:
        for v in todo.pop()["attrs"].values():
            if isinstance(v, str) and v in functions and v not in used:
                used.add(v)
                todo.extend(functions[v]["nodes"])
    return {k: f for k, f in functions.items() if k in used}


def _params(tr: Any, direct: list, functions: dict) -> tuple[list, dict]:
    """The parameters the slice (`direct`) and the functions it calls use: the graph's declarations, and their
    values, which travel with the job. A random draw's (a dropout mask) is drawn anew for the run itself:
    the value read here would not be the run's, so such a read is refused."""
    objs = tr.root.param_objs
    names = dict.fromkeys([*direct, *(p["name"] for fn in functions.values() for p in fn["params"])])
    drawn = [n for n in names if hasattr(objs[n], "gs_draw")]
    if drawn:
        raise RuntimeError(f"a value read of a traced Tensor that depends on a random draw ({drawn[0]}: drawn anew "
                           "for each run) inside a trace: return the Tensor, or read it after the call")
    return [{"name": n, "shape": list(objs[n].shape), "dtype": objs[n]._dtype} for n in names], \
        {n: objs[n]._data for n in names}


late.bind(read_value=value_of)
