"""Parameters assigned inside a traced construct (`self.w = v`, `self.w += 1`, `ops.assign(self.w, v)`).

MindSpore's semantics, which this module keeps:
- A later read of the Parameter in the same run sees the new value, and the update lands in the
  Parameter's data after the call (graph and PyNative mode, also when the call is a derivative of it).
- Derivatives: no derivative reaches the assigned value (MindSpore's Assign), and every read of the
  Parameter is a Load of the Parameter itself, so its gradient reaches the Parameter whatever was
  assigned before (MindSpore 2.10: `self.p = x * 2; return (self.p * x).sum()` gives d/dx = p,
  d/dp = x).

A trace cannot write the Parameter's data, so it keeps the Parameter's current value here (per
thread, for the trace being built): Trace.ref of a Parameter reads it through `read`. Control flow
carries the values as extra outputs / loop state (_branches, _while snapshot and compare them); a
traced function (grad / jvp / call of it) gives them as extra outputs of its node (`function_state`,
`take`), and the top graph as extra outputs of the program, which `write_back` stores in the
Parameters after the run.
"""
from __future__ import annotations

import threading

import numpy as np

from ._late import late
from ._tensor import Tensor

_tls = threading.local()


def _values() -> dict:
    v = getattr(_tls, "values", None)
    if v is None:
        v = _tls.values = {}
    return v


def get(p):
    """The value assigned to Parameter p in this trace, or None."""
    hit = _values().get(id(p))
    return None if hit is None else hit[1]


def _assign_type(v) -> str:
    """A non-number's type as MindSpore 2.10's GRAPH_MODE Assign refusal writes it: None, String, Tuple[Int64*2]."""
    if v is None or isinstance(v, str):
        return "None" if v is None else "String"
    kinds = {"Bool" if isinstance(e, bool) else "Int64" if isinstance(e, int) else "Float32" for e in v}
    one = kinds.pop() if len(kinds) == 1 and all(isinstance(e, (int, float)) for e in v) else None
    return f"{type(v).__name__.capitalize()}[{one}*{len(v)}]" if one else type(v).__name__


def _refuse_non_number(p, value) -> None:
    """`self.w = None` / a string / a tuple in construct: MindSpore 2.10 refuses (GRAPH_MODE its Assign's TypeError,
    PyNative its Parameter one); it was taken as a fill value here (None: NaN)."""
    if isinstance(value, (bool, int, float, complex, np.number, np.bool_, np.ndarray)):
        return
    if late.graph_semantics():
        raise TypeError(f'Failed calling Assign with "value={_assign_type(value)}".')
    raise TypeError(f"Parameter '{p.name}' already exists in network, can not assign this type: '{type(value)}' as a "
                    "parameter.")


def assign(p, value) -> None:
    if not isinstance(value, Tensor):  # `self.w = 0`: a value of w's dtype and shape
        _refuse_non_number(p, value)
        value = Tensor(np.full(tuple(p.shape), value, dtype=p._dtype))
    elif value._data is not None:
        value = _concrete_as_param(p, value)
    elif not getattr(value, "_gs_stopped", False):
        value = late.ops.stop_gradient(_as_param(p, value))  # as MindSpore's Assign: no derivative reaches it
        value._gs_stopped = True
    _values()[id(p)] = (p, value)


def _shape_error(p, shape, why) -> ValueError:
    return ValueError(f"assigning a value of shape {list(shape)} to Parameter {p.name!r} of shape "
                      f"{list(p.shape)}: {why}")


def _concrete_as_param(p, value: Tensor) -> Tensor:
    a = value._data.astype(p._dtype, copy=False)
    if a.shape == tuple(p.shape):
        return value if a is value._data else Tensor(a)
    if a.size == p.size:
        return Tensor(a.reshape(tuple(p.shape)))
    try:
        return Tensor(np.broadcast_to(a, tuple(p.shape)).copy())
    except ValueError as e:
        raise _shape_error(p, a.shape, e) from None


def _as_param(p, value):
    """value in p's dtype and shape (reads of p are typed by p): one of the same size reshaped, a smaller
    one broadcast; anything else is an error naming p."""
    ops = late.ops
    if value._dtype != p._dtype:
        value = ops.cast(value, p._dtype)
    if tuple(value.shape) == tuple(p.shape):
        return value
    if value.size == p.size:
        return ops.reshape(value, tuple(p.shape))
    try:
        return ops.broadcast_to(value, tuple(p.shape))
    except Exception as e:  # noqa: BLE001 - the shape rule's own message, with the parameter's name
        raise _shape_error(p, value.shape, e) from None


def read(tr, p, pname: str, value) -> str:
    """The name, in trace tr, of a read of Parameter p (graph name `pname`) after `value` was assigned to
    it: value + z with z = p - stop_gradient(p) (0, with d/dp = 1: MindSpore's Load of an assigned
    Parameter passes its gradient to the Parameter), z taken as 0 where it is NaN (p inf or NaN: a
    running max starting at -inf must read as its value). Emitted once per trace and value."""
    memo = tr.__dict__.setdefault("_gs_loads", {})
    key = (id(p), id(value))
    hit = memo.get(key)
    if hit is None or hit[0] is not value:
        aval = [(tuple(p.shape), p._dtype)]
        stopped = tr.emit("stop_gradient", [pname], {}, aval)[0]
        z = tr.emit("sub", [pname, stopped._name], {}, aval)[0]._name
        finite = tr.emit("equal", [z, z], {}, [(tuple(p.shape), "bool")])[0]._name
        zero = tr.ref(Tensor(np.zeros(tuple(p.shape), dtype=p._dtype)))
        z = tr.emit("where", [finite, z, zero], {}, aval)[0]._name
        hit = memo[key] = (value, tr.emit("add", [tr.ref(value), z], {}, aval)[0]._name)
    return hit[1]


def snapshot() -> dict:
    return dict(_values())


def restore(snap: dict) -> None:
    _tls.values = dict(snap)


def reset() -> None:
    _tls.values = {}


def changed(before: dict, after: dict) -> list:
    """The Parameters whose value differs between two snapshots, in a stable order."""
    keys = [k for k in after if k not in before or after[k][1] is not before[k][1]]
    return [after[k][0] for k in keys]


# -- assignments as outputs: of a traced function's node, of the top graph ------------------------------
def function_state(tr, before: dict) -> tuple[list, list[str], list]:
    """(the Parameters assigned since `before`, their values' names in trace tr, their avals): the
    extra outputs of a traced function (or the top graph). Call while tr is active."""
    now = _values()
    params = changed(before, now)
    names = [tr.ref(now[id(p)][1]) for p in params]
    return params, names, [(tuple(p.shape), p._dtype) for p in params]


def with_state(outputs, names: list[str]):
    """A graph body's output tree with the state outputs after its flat outputs."""
    if not names:
        return outputs
    return (outputs if isinstance(outputs, list) else [outputs]) + list(names)


def take(params: list, outs: list) -> None:
    """A node's state outputs (one per Parameter its function assigned): the Parameters' values from here."""
    for p, v in zip(params, outs):
        assign(p, v)


def write_back(params: list, arrays: list) -> None:
    """After a run: the values the graph assigned, into the Parameters (MindSpore's side effect)."""
    for p, a in zip(params, arrays):
        p.set_data(np.asarray(a).reshape(tuple(p.shape)))


# -- assignments under vmap / jacobians -------------------------------------------------------------------
def _flat_names(tree) -> list:
    return [n for t in tree for n in _flat_names(t)] if isinstance(tree, list) else [tree]


def mapped_assignments(body: dict, mapped_inputs, params: list, after: int = 0) -> list:
    """The Parameters (params: a traced function's state_params, whose values are the last outputs of
    its body but `after` more) assigned a value that depends on one of the body's inputs numbered
    mapped_inputs: what MindSpore's vmap refuses for Assign ("the execution order of operator `Assign`
    cannot be guaranteed"), where a batched value would have to land in one unbatched Parameter."""
    return [p for p, d in zip(params, dependent_outputs(body, mapped_inputs, len(params), after)) if d]


def dependent_outputs(body: dict, mapped_inputs, n: int, after: int = 0) -> list[bool]:
    """For the n outputs of body before its last `after`: whether each depends on one of its inputs
    numbered mapped_inputs. Dependence is followed node by node (a node with a dependent input makes all
    its outputs dependent)."""
    if not n:
        return []
    dep = {body["inputs"][i]["name"] for i in mapped_inputs}
    for node in body["nodes"]:
        if dep.intersection(node["inputs"]):
            dep.update(node["outputs"])
    outs = _flat_names(body["outputs"])
    return [o in dep for o in outs[len(outs) - n - after:len(outs) - after]]


def refuse_mapped(kind: str, params: list) -> None:
    """The error for mapped_assignments (MindSpore 2.10 raises a ValueError there too)."""
    if params:
        names = ", ".join(repr(p.name) for p in params)
        raise ValueError(f"{kind}: Parameter {names} is assigned a value that depends on a mapped input "
                         f"(`self.p = v`, ops.assign, AssignAdd / AssignSub inside {kind}); one value per "
                         "example cannot land in one Parameter (MindSpore 2.10 refuses it too: \"the execution "
                         "order of operator `Assign` cannot be guaranteed\"). Assign outside the mapped "
                         "function, or a value that does not depend on its mapped inputs.")
