"""`nn.GraphCell`: a MindIR model loaded by `gradserve.load` run as a Cell.

Its weights are Parameters named by the model's keys (`fc.weight`), so `trainable_params()`, `grad(...,
weights=...)` and `params_init` see them; `construct` replays the model's nodes through the SDK's ops, so the
graph traces into the caller's (GRAPH_MODE, jit, grad to any order) like any other Cell's construct.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .._cellbase import Cell
from .._tensor import Parameter, Tensor

if TYPE_CHECKING:  # (imported on use: reading MindIR needs protobuf, the SDK's `mindir` extra)
    from .._mindir.reader import MindIRModel


def _graph_parameters(graph, params_init):
    """The graph's Parameters after params_init, checked as MindSpore 2.10 checks it: a dict of str -> Tensor /
    Parameter (TypeError), each value of its parameter's shape and dtype (ValueError); a name the graph does not have
    is ignored. As in MindSpore, the Parameters belong to the `load` result: every GraphCell over it shares them (an
    update by one, params_init or the graph's own assignments, is what the next one starts from; a fresh load is not)."""
    params_init = {} if params_init is None else params_init
    if not isinstance(params_init, dict):
        raise TypeError(f"For 'GraphCell', the argument 'params_init' must be a dict, but got {type(params_init)}.")
    for name, value in params_init.items():
        if not isinstance(name, str) or not isinstance(value, Tensor):
            raise TypeError("For 'GraphCell', the key of the 'params_init' must be str, and the value must be Tensor "
                            f"or Parameter, but got the key type: {type(name)}, and the value type: {type(value)}")
    if graph.shared is None:
        graph.shared = [Parameter(Tensor(value), name=key) for key, value in graph.params.values()]
    updates = []
    for (key, _), param in zip(graph.params.values(), graph.shared):  # (by key: a parent Cell may prefix the names)
        given = params_init.get(key)
        if given is None:
            continue
        new, have = np.asarray(given.asnumpy()), param.asnumpy()
        if new.shape != have.shape or new.dtype != have.dtype:
            def what(a):
                return "shape [const vector]{%s} and dtype %s" % (", ".join(map(str, a.shape)), Tensor(a).dtype)
            raise ValueError("Only support update parameter by Tensor or Parameter with same shape and dtype as it. "
                             f"The parameter '{key}' has {what(have)}, but got the update value with "
                             f"{what(new)}.")
        updates.append((param, new.copy()))
    for param, new in updates:  # (all checked first: a refused params_init changes nothing)
        param.set_data(Tensor(new))
    return graph.shared


class GraphCell(Cell):
    """MindSpore's GraphCell(graph, params_init=None, obf_random_seed=None)."""

    _gs_model: "MindIRModel"
    _gs_run: Callable[..., Any]  # the graph's run on the inputs (set without the Cell's attribute bookkeeping)

    def __init__(self, graph, params_init=None, obf_random_seed=None):
        super().__init__()
        from .._mindir.reader import MindIRModel
        from .._mindir.replay import compile_nodes, run

        if not isinstance(graph, MindIRModel):
            raise TypeError(f"For 'GraphCell', the argument 'graph' must be a graph loaded by load() from a MindIR "
                            f"file, but got {type(graph).__name__}.")
        if obf_random_seed is not None:
            raise ValueError("For 'GraphCell', obfuscated MindIR models (obf_random_seed) are not supported by "
                             "gradserve")
        params = _graph_parameters(graph, params_init)
        self.graph_params = params  # (a list attribute: the Parameters keep their keys as names)
        object.__setattr__(self, "_gs_model", graph)
        if graph.own is not None:  # a file gradserve wrote: its graph/1 body runs as one call, as imported models do
            from ._imported_cell import ImportedCell

            body, _values, out_avals, updates = graph.own
            imported = ImportedCell(body, {p.name: p.asnumpy() for p in params}, out_avals, label="GraphCell",
                                    updates=updates)
            imported.params = params  # (the same Parameters: set_data / grads on this cell reach the graph)
            object.__setattr__(self, "_gs_run", imported.construct)
        else:
            compiled = compile_nodes(graph)
            object.__setattr__(self, "_gs_run", lambda *xs: run(graph, compiled, dict(zip(graph.params, params)), xs))

    def construct(self, *inputs):
        return self._gs_run(*inputs)
