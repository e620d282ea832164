"""`set_context(save_graphs=True, save_graphs_path=DIR)`: each graph compiled (a GRAPH_MODE Cell's or a @jit
function's trace, `_cell_graph_executor.compile`) is written to DIR as `NN_validate_MMMM.ir`, the name of
MindSpore 2.10's IR file after its validate stage, so that tools reading that file (MindSpore's code-trace tests)
find it. The text lists the trace's nodes, each with the source lines it came from, outermost first, in
MindSpore's line form `# In file PATH:LINE/SOURCE LINE/` (without its columns); the last node is the Return of the top
function, at its return statement. Lines that made no node (a called Cell's `return out`: inlined) are not there,
as in MindSpore's file. Only the user's code and Cells' construct methods are named, not gradserve's internals.
Nothing is recorded unless save_graphs is on."""
from __future__ import annotations

import inspect
import linecache
import os
import sys
import sysconfig
from types import CodeType, FrameType
from typing import Any, Callable

from . import context as _context

_PKG = os.path.dirname(os.path.abspath(__file__)) + os.sep
# the standard library and installed packages (NumPy's Python functions, ...): not the program's lines
_LIBS = tuple({os.path.abspath(sysconfig.get_paths()[k]) + os.sep
               for k in ("stdlib", "platstdlib", "purelib", "platlib")})
_files = [0]  # the files written in this process: their sequence number


def wanted() -> bool:
    """Whether save_graphs is on (MindSpore's True / 1 / 2 / 3)."""
    v = _context.get_context("save_graphs")
    return v is not None and v is not False and v != 0


def _shown(code) -> bool:
    """A frame the dump names: the user's code, or a Cell's construct (gradserve's own nn layers, as MindSpore's
    IR names its nn layers' lines); not gradserve's machinery, the standard library or generated code."""
    f = code.co_filename
    if f.startswith("<"):
        return False
    f = os.path.abspath(f)
    if f.startswith(_PKG):
        return code.co_name == "construct"
    return not f.startswith(_LIBS)


def _site(frame) -> tuple:
    """(file, line) the frame is at (no columns: a construct runs as rewritten code, whose columns are not the
    source's)."""
    return frame.f_code.co_filename, frame.f_lineno


def recorder(label: str) -> "Recorder | None":
    """A Recorder for the trace about to run (its caller's frame and those outside it are not the program's), or
    None with save_graphs off."""
    return Recorder(label, sys._getframe(1).f_code) if wanted() else None


def watched(rec: "Recorder | None", fn: Callable, call: Callable[[], Any]) -> Callable[[], Any]:
    """call (which calls fn, the program's top function), run under rec (Recorder.run) where there is one."""
    if rec is None:
        return call
    code = getattr(inspect.unwrap(getattr(fn, "__func__", fn)), "__code__", None)
    if code is not None and not _shown(code):  # (a wrapper of gradserve's: the first program frame then)
        code = None
    return lambda: rec.run(call, code)


def written(rec: "Recorder | None") -> "Recorder | None":
    """rec's file written (the trace is done); None, for the trace's `ir` from then on."""
    if rec is not None:
        rec.write()
    return None


class Recorder:
    """The sources of one trace's nodes (Trace.emit calls `node`) and its top function's return line."""

    def __init__(self, label: str, stop: CodeType):
        self.label = label
        self.nodes: list[tuple] = []  # (body label, op, outputs, inputs, sources)
        self.ret: tuple | None = None
        self._entry: FrameType | None = None
        self._stop = stop  # the code of the frame that started the trace: it and those outside are not the program's

    def node(self, body: str, op: str, outs: list, ins: list) -> None:
        sites = []
        f: "FrameType | None" = sys._getframe(2)
        while f is not None and f.f_code is not self._stop:
            if _shown(f.f_code):
                sites.append(_site(f))
            f = f.f_back
        self.nodes.append((body, op, outs, ins, sites[::-1]))

    def run(self, call: Callable[[], Any], code=None) -> Any:
        """call(), noting the line at which the program's top function returns (the top graph's Return): the first
        frame entered of `code`'s file and name (a construct runs as its rewritten code), or without code the
        first of the program's frames. Another tracer (a debugger, coverage) is left alone: no Return line then."""
        if sys.gettrace() is not None:
            return call()

        def local(frame, event, arg):
            if event == "return" and frame is self._entry:
                self.ret = _site(frame)
            return local

        def on_call(frame, event, arg):
            c = frame.f_code
            if self._entry is None and (_shown(c) if code is None else
                                        (c.co_filename, c.co_name) == (code.co_filename, code.co_name)):
                self._entry = frame
                frame.f_trace_lines = False
                return local
            return None

        sys.settrace(on_call)
        try:
            return call()
        finally:
            sys.settrace(None)
            self._entry = None  # (no frame kept alive)

    def write(self) -> str:
        """The IR file, in save_graphs_path (made if missing); its path."""
        folder = _context.get_context("save_graphs_path") or "."
        os.makedirs(folder, exist_ok=True)
        k = _files[0]
        _files[0] += 1
        path = os.path.join(folder, f"{k:02d}_validate_{k:04d}.ir")
        counts: dict[str, int] = {}
        lines = [f"# IR entry: @{self.label}", f"# Total nodes: {len(self.nodes)}", ""]
        body = None
        for b, op, outs, ins, sites in self.nodes:
            if b != body:
                lines.append(f"subgraph @{b}:")
                body = b
            n = counts[op] = counts.get(op, -1) + 1
            lines.append(f"  {', '.join(outs)} = {op}({', '.join(ins)})")
            lines.append(f"      # Fullname with scope: (Default/{op}-op{n})")
            lines.extend(_in_file(s) for s in sites)
        if self.ret is not None:
            lines.append("  Return")
            lines.append("      # Fullname with scope: (Default/Return-op0)")
            lines.append(_in_file(self.ret))
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        return path


def _in_file(site: tuple) -> str:
    file, line = site
    return f"      # In file {file}:{line}/{linecache.getline(file, line).rstrip(chr(10))}/"
