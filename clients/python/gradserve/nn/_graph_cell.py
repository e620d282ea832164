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


def _init_params(graph, params_init):
    """The graph's (key, value) pairs after params_init, checked as MindSpore 2.10 checks them: a dict of str ->
    Tensor / Parameter (TypeError), each of its parameter's shape and dtype (ValueError); a name the graph does not
    have is ignored. The values are written into the loaded graph itself, as MindSpore's are: a later GraphCell over
    the same `load` result starts from them."""
    params_init = {} if params_init is None else params_init
    if not isinstance(params_init, dict):
        raise TypeError(f"For 'GraphCell', the argument 'params_init' must be a dict, but got {type(params_init)}.")
    for name, value in params_init.items():
        if not isinstance(name, str) or not isinstance(value, Tensor):
            raise TypeError("For 'GraphCell', the key of the 'params_init' must be str, and the value must be Tensor "
                            f"or Parameter, but got the key type: {type(name)}, and the value type: {type(value)}")
    for graph_name, (key, value) in list(graph.params.items()):
        given = params_init.get(key)
        if given is None:
            continue
        new = np.asarray(given.asnumpy())
        if new.shape != value.shape or new.dtype != value.dtype:
            def what(a):
                return "shape [const vector]{%s} and dtype %s" % (", ".join(map(str, a.shape)), Tensor(a).dtype)
            raise ValueError("Only support update parameter by Tensor or Parameter with same shape and dtype as it. "
                             f"The parameter '{key}' has {what(value)}, but got the update value with {what(new)}.")
        graph.params[graph_name] = (key, new.copy())
    return list(graph.params.values())


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
        params = [Parameter(Tensor(value), name=key) for key, value in _init_params(graph, params_init)]
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
