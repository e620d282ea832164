"""A tuple of Cells indexed by a Tensor in a GRAPH_MODE construct (`self.layers[index](x)`): MindSpore 2.10's
switch_layer compiles every Cell of the tuple, and where their outputs cannot join (a tuple against a Tensor, tuples
of other lengths, a number against a Tensor) raises its TypeError "Cannot join the return values of different
branches" whatever the index. The SDK runs the Cell the index names; before that each other Cell is traced once on
the same arguments only to compare its output's structure (the trace, Parameters' and in-place state left as they
were, its prints kept quiet), and the refusal names each Cell with its construct's code."""
from __future__ import annotations

import contextlib
import inspect
import io

from . import _inplace_state, _join_probe, _param_state
from ._branch_join import JOIN_FAILED, BranchJoinError
from ._tensor import Tensor
from ._trace import current


def _kind(out):
    """The structure MindSpore's join compares: a Tensor, a number, or a sequence of those (by length)."""
    if isinstance(out, Tensor):
        return "Tensor"
    if isinstance(out, (tuple, list)):
        return (type(out).__name__, tuple(_kind(o) for o in out))
    return type(out).__name__


def _traced_kind(cell, args, kwargs):
    tr = current()
    snap, params, written = _join_probe.snapshot(tr), _param_state.snapshot(), _inplace_state.mark()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return _kind(cell(*args, **kwargs))
    except Exception:  # noqa: BLE001 - a Cell that cannot run on these arguments: not a join MindSpore reports
        return None
    finally:
        _join_probe.restore(tr, snap)
        _param_state.restore(params)
        _inplace_state.restore(written)
        _inplace_state.done()


def _code(cell) -> str:
    try:
        return inspect.getsource(type(cell).construct)
    except (OSError, TypeError):
        return f"{type(cell).__name__}.construct\n"


class SwitchedCell:
    """cells[index] of a GRAPH_MODE construct: calling it checks the join of every Cell's output, then calls the
    chosen one. Any other attribute is the chosen Cell's."""

    def __init__(self, cells: tuple, chosen):
        self._gs_cells, self._gs_chosen = cells, chosen

    def __getattr__(self, name):
        return getattr(self._gs_chosen, name)

    def __call__(self, *args, **kwargs):
        out = self._gs_chosen(*args, **kwargs)
        want = _kind(out)
        for cell in self._gs_cells:
            if cell is self._gs_chosen:
                continue
            got = _traced_kind(cell, args, kwargs)
            if got is not None and got != want:
                codes = "".join(f"{type(c).__name__}:\n{_code(c)}" for c in self._gs_cells)
                raise BranchJoinError(f"{JOIN_FAILED}\nType Join Failed: the Cells of a tuple indexed by a Tensor "
                                      f"(switch_layer) give {want} and {got}; their code:\n{codes}")
        return out
