"""print in a GRAPH_MODE / jit trace, as MindSpore 2.10 compiles it: a Print op of the graph, run on every call
and only where the run passes it (the side of an `if` on a Tensor that is taken; checked in its venv: a print on
the side not taken prints nothing, a jit function called twice prints twice). Each argument on a line of its
own, a Tensor as `Tensor(shape=[2], dtype=Float32, value=[ 1.00000000e+00  2.00000000e+00])` (a 0-d one as its
value).

A trace runs both sides of such an `if` and runs once for many calls, so such a print is not made while tracing:
its Tensors, and a flag that is 1 where it was passed, come out of the run as the Tensors a construct leaves in
Cell attributes do (_attr_writes.carry: the side not taken gives the flag 0), and the run prints each one whose
flag is 1, in the order of the code (`emit`). A print elsewhere (PyNative, a while loop's body, a function traced
for a derivative) prints while it is traced, as before."""
from __future__ import annotations

import builtins

import numpy as np

from . import _attr_writes
from . import dtype as _dt
from ._misc import current_trace
from ._tensor import Tensor


class RunText(str):
    """An f-string of a traced value: its run's text (a raise of it is its run's: _graph_raise)."""


class _Site:
    """One print of a trace: its arguments, each Tensor's value (and the flag) read from this object's
    attributes after a run. A print with an f-string of a traced value among them (RunText) is Python's, as
    MindSpore 2.10 runs it (its fallback): one line, `sep` between, a Tensor as str() gives it (`print("val", x,
    f"{y}")` prints `val 2.0 5.0`; /work/scratch_left35/p5c.py, p5d.py)."""

    def __init__(self, args: tuple, sep: str = " ", end: str = "\n"):
        self.args, self.sep, self.end = args, sep, end

    def run(self, values: list) -> None:
        """Print, given the values of this site's Tensors in the run (in order)."""
        k = iter(values)
        if any(isinstance(a, RunText) for a in self.args):
            builtins.print(*(str(next(k)) if isinstance(a, Tensor) else a for a in self.args), sep=self.sep,
                           end=self.end)
            return
        for a in self.args:
            builtins.print(_text(next(k)) if isinstance(a, Tensor) else a)


def _deferred_in(tr) -> bool:
    """Whether a print in trace tr is the run's: tr is a GRAPH_MODE / jit program's root, or a side of a traced
    `if` in one (each enclosing trace such a side, up to the root)."""
    while tr.if_side:
        tr = tr.parent
    from . import context as _context  # noqa: PLC0415  (context imports the tracing modules)
    return tr.parent is None and bool(tr.graph or _context.get_context("mode") == _context.GRAPH_MODE) \
        and hasattr(tr, "attr_writes")


def in_graph_run() -> bool:
    """Whether a print made now is the run's (see the module's doc)."""
    tr = current_trace[0]()
    return tr is not None and _deferred_in(tr)


def graph_print(*args, sep=" ", end="\n", file=None, flush=False):
    """print, rewritten code's: in a graph trace (see the module's doc) the run's; elsewhere Python's."""
    if file is not None or not in_graph_run():
        builtins.print(*args, sep=sep, end=end, file=file, flush=flush)
        return
    add_site(current_trace[0](), _Site(args, sep, end), [a for a in args if isinstance(a, Tensor)])


def add_site(tr, site, tensors: list) -> None:
    """Make `site` (an object with a `run(values)` method) one of the things the run of tr's program does after
    it, where the run passes this point, given the values the Tensors `tensors` have there: a print, an
    optimizer's step (_graph_steps)."""
    # the values before the site: what the side of an `if` that does not pass it gives (flag 0)
    object.__setattr__(site, "_gs_print0", Tensor(np.zeros((), np.int32)))
    for i, t in enumerate(tensors, 1):
        object.__setattr__(site, f"_gs_print{i}", Tensor(np.zeros(tuple(t.shape), _dt.get(t._dtype).np)))
    _attr_writes.carry(tr, site, [Tensor(np.ones((), np.int32)), *tensors], "_gs_print")
    site._gs_count = len(tensors)
    tr.root.__dict__.setdefault("_gs_prints", []).append(site)


def sites(root) -> list:
    """The prints (and other add_site sites) a program's run makes (its root trace's, in the order traced)."""
    return root.__dict__.get("_gs_prints", [])


def emit(prints: list) -> None:
    """After a run has set the sites' attributes: each site passed, in order."""
    for site in prints:
        if not int(np.asarray(site._gs_print0._host_copy())):
            continue
        site.run([site.__dict__[f"_gs_print{k}"] for k in range(1, site._gs_count + 1)])


def _text(t: Tensor) -> str:
    """MindSpore 2.10's Print of a Tensor: a 0-d one its value alone (a bool as 0 / 1, a float '%g'), else shape,
    dtype and values (floats '% .8e', a matrix from the next line)."""
    a = t._host_copy()
    if a.ndim == 0:  # (C++'s stream: a float with 6 significant digits, '%g')
        return f"{float(a):g}" if a.dtype.kind == "f" else str(int(a))
    return tensor_text(t, a, "")


def tensor_text(t: Tensor, a: np.ndarray, scalar: str) -> str:
    """A graph's text of Tensor t of value a (its print's, its constant raise's): shape, dtype and values (floats
    '% .8e', a matrix from the next line; a 0-d one's value `scalar`)."""
    if a.ndim == 0:
        value = scalar
    elif a.dtype.kind == "f":
        value = np.array2string(a, separator=" ", formatter={"float_kind": lambda v: f"{v: .8e}"})
    else:
        value = str(a)
    return f"Tensor(shape={list(a.shape)}, dtype={t.dtype}, value={chr(10) if a.ndim > 1 else ''}{value})"
