"""A graph's `if` whose side reads a value (`print(x)` on one side of `if x < y:` in a jit function / GRAPH_MODE
construct): the explore then decides that `if` by this call's value (gradserve._branches.explore), so a join its
sides cannot make was never seen. MindSpore 2.10 compiles both sides first and raises its TypeError "Cannot join
the return values of different branches" whatever the values. Here the sides are traced once more with value
reads answered by nothing (the traced Tensor's text; stdout kept quiet), only to see their join: a BranchJoinError
is raised, anything else drops the probe; the trace is left as it was either way."""
from __future__ import annotations

import contextlib
import io
import threading

_tls = threading.local()


def probing() -> bool:
    """Whether a join probe runs: a value read on a side answers None instead of deciding by value."""
    return getattr(_tls, "on", False)


def snapshot(tr) -> tuple:
    root = tr.root
    own = (len(tr.nodes), len(tr.inputs), len(tr.captures), dict(tr._capture_names), dict(tr._consts), tr._n,
           dict(tr.params), dict(tr.outer), dict(tr.values))
    shared = (root.reads, set(root.const_ids), list(root.const_data), set(root.const_keys), dict(root.functions),
              dict(root._fn_by_content), dict(root.param_objs), dict(root._param_names))
    return own, shared


def restore(tr, snap: tuple) -> None:
    (nodes, inputs, captures, tr._capture_names, tr._consts, tr._n, tr.params, tr.outer, tr.values), shared = snap
    del tr.nodes[nodes:], tr.inputs[inputs:], tr.captures[captures:]
    root = tr.root
    (root.reads, root.const_ids, root.const_data, root.const_keys, root.functions, root._fn_by_content,
     root.param_objs, root._param_names) = shared


def probe(tr, run_both_sides, reset_state, join_error: type[BaseException]) -> None:
    """run_both_sides() in trace tr with value reads answered by nothing; raise its join_error, if any."""
    snap = snapshot(tr)
    reset_state()
    _tls.on = True
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            run_both_sides()
    except join_error:
        raise
    except BaseException:  # noqa: BLE001 - a side the probe cannot trace: the by-value run decides, as before
        pass
    finally:
        _tls.on = False
        restore(tr, snap)
        reset_state()
