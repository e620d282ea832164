"""MindSpore 2.10's jit-forbidden APIs: called by a program in a GRAPH_MODE construct or a @jit function (graph
semantics, gradserve._trace.graph_semantics), the initializer module's names, Cell's parameter listings,
Tensor.set_const_arg / assign_value and Parameter.set_data are a RuntimeError in MindSpore's text; PyNative runs
them. A call from gradserve's own code (a layer building its state while traced) is not the program's: allowed."""
from __future__ import annotations

import sys

_TAIL = "is not supported in 'construct' or function with @jit decorator. Try to use {} externally such as " \
        "initialized in the method '__init__' before assigning."


def _forbidden_here() -> bool:
    caller = sys._getframe(3).f_globals.get("__name__", "")  # (the caller of the API that asked; first: cheap)
    if caller.startswith("gradserve"):
        return False
    trace = sys.modules.get("gradserve._trace")  # (not imported: _tensor, a layer below _trace, calls this)
    return trace is not None and trace.current() is not None and trace.graph_semantics()


def refuse(kind: str, name: str) -> None:
    """kind 'class' (name: its MindSpore path), 'function' (a function's or method's path), or 'Tensor' /
    'Parameter' (name: the object's method)."""
    if not _forbidden_here():
        return
    if kind in ("class", "function"):
        what = f"the class '{name}'" if kind == "class" else f"the method or function '{name}'"
        raise RuntimeError(f"Failed to compile in GRAPH_MODE because {what} " + _TAIL.format(what))
    raise RuntimeError(f"Failed to compile in GRAPH_MODE because the '{kind}' object's method '{name}' " +
                       _TAIL.format(f"the '{kind}.{name}'"))
