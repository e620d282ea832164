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
        init = dict(params_init or {})
        keys = {key for key, _ in graph.params.values()}
        unknown = sorted(set(init) - keys)
        if unknown:
            raise ValueError(f"For 'GraphCell', params_init names {unknown}, which the graph does not have; its "
                             f"parameters: {sorted(keys)}")
        params = []
        for key, value in graph.params.values():
            given = init.get(key)
            if given is not None:
                given = np.asarray(given.asnumpy() if hasattr(given, "asnumpy") else given)
                if given.shape != value.shape:
                    raise ValueError(f"For 'GraphCell', params_init[{key!r}] has shape {given.shape}, the graph's "
                                     f"parameter has {value.shape}")
                value = given.astype(value.dtype)
            params.append(Parameter(Tensor(value), name=key))
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
