"""`ImportedCell`: an `nn.Cell` that carries a pre-built `gradserve.graph/1` graph.

Its weights are `Parameter`s (so `trainable_params()`, `GradOperation(get_by_list=True)` and
`grad(..., weights=...)` see them); `construct` adds the graph as a *function* of the trace
and emits one `call` node over it, so the whole SDK (grad, jvp, vjp, jacobians, nesting) works
on it and the engine differentiates the imported nodes like any others.
"""
from __future__ import annotations

import copy

import numpy as np

from .._tensor import Parameter, Tensor
from .._trace import cast, innermost, unflatten
from ..errors import ShapeError
from .._cellbase import Cell
from ..ops._assign import assign


def _rename(body: dict, ren: dict) -> dict:
    """The body with parameter names replaced (the trace may have renamed one on a clash)."""
    if all(k == v for k, v in ren.items()):
        return body
    b = copy.deepcopy(body)
    for p in b["params"]:
        p["name"] = ren[p["name"]]
    for nd in b["nodes"]:
        nd["inputs"] = [ren.get(n, n) for n in nd["inputs"]]

    def tree(t):
        return [tree(s) for s in t] if isinstance(t, list) else ren.get(t, t)

    b["outputs"] = tree(b["outputs"])
    return b


class ImportedCell(Cell):
    """Built by `from_onnx` / `from_torch` / `from_jax` from a graph body (graph/1 without parameter
    values), the parameter values by name, and the avals of the outputs."""

    _gs_body: dict
    _gs_out: list
    _gs_label: str
    _gs_updates: list
    # from_onnx: weights the dynamo exporter computed from parameters (onnx_graph.exporter_folded)
    folded_weights: tuple = ()

    def __init__(self, body: dict, values: dict, out_avals: list, frozen=(), label: str = "imported",
                 updates=()):
        """`updates`: the parameters (by name) that the last len(updates) outputs of `body` are the new values
        of (a train-mode batch norm's running statistics), written back after each call as MindSpore's
        BatchNorm writes its moving statistics; the Cell returns the other outputs."""
        super().__init__()
        self.params = [Parameter(Tensor(values[p["name"]]), name=p["name"], requires_grad=p["name"] not in frozen)
                       for p in body["params"]]
        object.__setattr__(self, "_gs_body", dict(body, name=label))
        object.__setattr__(self, "_gs_out", [(tuple(s), d) for s, d in out_avals])
        object.__setattr__(self, "_gs_label", label)
        object.__setattr__(self, "_gs_updates", list(updates))

    @property
    def input_signature(self) -> list[dict]:
        return [dict(i) for i in self._gs_body["inputs"]]

    def to_graph(self) -> dict:
        """The model as a `gradserve.graph/1` document with the parameters' current values."""
        from .._trace import tensor_json

        body = dict(self._gs_body, outputs=self._user_tree()) if self._gs_updates else self._gs_body
        return {"format": "gradserve.graph/1", **body,
                "params": [dict(p, value=tensor_json(q._host_copy())) for p, q in zip(self._gs_body["params"], self.params)]}

    def _by_body_name(self) -> dict:
        """{the graph's name of a parameter: its Parameter}: by position, as the Parameters' own names change
        when the cell is put inside another (MindSpore's renaming)."""
        return {p["name"]: q for p, q in zip(self._gs_body["params"], self.params)}

    def _user_tree(self):
        """The body's output tree less the buffer updates at its end."""
        tree, k = self._gs_body["outputs"], len(self._gs_updates)
        if not k:
            return tree
        return tree[0] if len(tree) == k + 1 else tree[:-k]

    def construct(self, *inputs):
        sig = self._gs_body["inputs"]
        if len(inputs) != len(sig):
            raise TypeError(f"{self._gs_label} takes {len(sig)} input(s) ({', '.join(i['name'] for i in sig)}), "
                            f"got {len(inputs)}")
        tr = innermost()
        names = []
        for x, s in zip(inputs, sig):
            x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
            if tuple(x.shape) != tuple(s["shape"]):
                raise ShapeError(f"input {s['name']!r} of {self._gs_label}: expected shape {s['shape']}, "
                                 f"got {list(x.shape)} (imported graphs have static shapes)")
            names.append(tr.ref(cast(x, s["dtype"]) if x._dtype != s["dtype"] else x))
        ren = {k: tr.declare_param(p) for k, p in self._by_body_name().items()}
        fn = tr.add_function(_hoist_functions(tr, _rename(self._gs_body, ren), self._gs_label), self._gs_label)
        outs = tr.emit("call", names, {"fn": fn}, self._gs_out)
        if self._gs_updates:
            by_name = self._by_body_name()
            k = len(self._gs_updates)
            for name, new in zip(self._gs_updates, outs[-k:]):
                assign(by_name[name], new)
            outs = outs[:-k]
        tree = self._user_tree()
        return outs[0] if isinstance(tree, str) else unflatten(_tdef(tree), outs)


def _tdef(tree):
    return ("tuple", tuple(_tdef(t) for t in tree)) if isinstance(tree, list) else "*"


def _json_body(w, outputs: list) -> dict:
    from .._trace import jsonable

    return {"inputs": [dict(i) for i in w.inputs], "params": [dict(p) for p in w.params],
            "nodes": [dict(n, attrs={k: jsonable(v) for k, v in n["attrs"].items()}) for n in w.nodes],
            "outputs": outputs[0] if len(outputs) == 1 else list(outputs)}


def cell_from_writer(w, outputs: list, label: str, updates=()) -> ImportedCell:
    """`updates`: [(parameter name, writer value of its new value)], written back after each call."""
    outputs = list(outputs) + [v for _, v in updates]
    body = _json_body(w, outputs)
    if w.functions:  # control-flow branches and loop bodies, in the order they may use each other
        body["functions"] = {k: _json_body(fw, outs) for k, (fw, outs) in w.functions.items()}
    return ImportedCell(body, w.values, [w.avals[o] for o in outputs], frozen=w.frozen, label=label,
                        updates=[n for n, _ in updates])


_FN_ATTRS = ("true_fn", "false_fn", "branches", "body", "cond", "bprop")  # attrs that name functions


def _hoist_functions(tr, body: dict, label: str) -> dict:
    """The body with its functions added to the trace (which may rename them) and the nodes'
    function names following; trace functions are one flat table, so nesting is by name."""
    fns = body.get("functions")
    if not fns:
        return body
    ren: dict[str, str] = {}

    def renamed(b: dict) -> dict:
        nodes = [dict(nd, attrs={k: ([ren[x] for x in v] if isinstance(v, list) else ren[v])
                                 if (k in _FN_ATTRS and nd["op"] in _CONTROL_OPS) or
                                 (k == "fn" and nd["op"] in _FUNCTION_OPS) else v
                                 for k, v in nd["attrs"].items()}) for nd in b["nodes"]]
        return dict(b, nodes=nodes)

    for name, fb in fns.items():  # in order: a function only names those before it
        ren[name] = tr.add_function(renamed(fb), f"{label}_{name}")
    out = renamed(body)
    del out["functions"]
    return out


_CONTROL_OPS = ("cond", "switch", "scan", "fori_loop", "while", "custom_vjp")  # ops whose attrs name functions
_FUNCTION_OPS = ("call", "grad", "jvp")  # name theirs by `fn` (torch.autograd.grad in forward: torch_inner_grad)
