"""Build a graph, lower it and run its compiled plan: the plan-pass tests' one harness."""
from __future__ import annotations

import numpy as np

from engine import GraphBuilder
from engine.executor import compile_graph
from engine.ir import tree_flatten
from engine.lower import lower


def lowered(build, *arrays, dtype="float32"):
    """(the lowered graph of `build(gb, *inputs)`, its plan's outputs on `arrays` cast to `dtype`)."""
    gb = GraphBuilder("p")
    xs = [gb.input(a.shape, dtype=dtype) for a in arrays]
    flat = lower(gb.build(build(gb, *xs)))
    out = compile_graph(flat).run_host([a.astype(dtype) for a in arrays])
    return flat, [np.asarray(o) for o in tree_flatten(out)]
