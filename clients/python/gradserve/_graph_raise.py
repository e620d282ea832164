"""`raise` in a graph (GRAPH_MODE or a @jit function) as MindSpore 2.10 compiles it.

Rewritten code (gradserve/_rewrite.py) turns `raise E(args)` / `raise E` (E a name) into `raise _gs_.raise_(...)`
and the f-strings among its arguments into `_gs_.fstring(...)`; in PyNative both are Python's. In a graph,
checked in MindSpore 2.10's venv:

- the exception's name, as written, must be one of MindSpore's list (SUPPORTED), else RuntimeError "Unsupported
  exception type: X. Raise only support some Python standard exception types: ..." (UserWarning, ImportError, a
  class of the user's, a local variable, an undefined name: MindSpore reads the name, not the object). It is
  refused where the raise is compiled: run, or on either side of an `if` on a Tensor, whichever side runs
  (UnsupportedRaise: _branches lets it through); an `if` on a Python value skips its other side;
- the message is the builtin exception of that name's, with MindSpore's text. A constant raise (no traced Tensor
  among its arguments, no `if` on a Tensor deciding it) is formatted when compiling: each argument quoted if a
  string, a whole float as an int (2.0 as 2, in sequences too), a Tensor as its values ([1.5]), several as a
  parenthesised list; an f-string's Tensor as `Tensor(shape=[1], dtype=Int64, value=[1])`. A raise of a traced
  value, or under an `if` on a Tensor, is its run's: Python's text with each Tensor as its values' (NumPy's).
"""
from __future__ import annotations

import builtins
from typing import Any, Callable

from . import _branches, _graph_print
from ._branch_join import UnsupportedRaise
from ._tensor import Tensor
from ._trace import graph_semantics

__all__ = ["SUPPORTED", "UnsupportedRaise", "raise_", "fstring"]

# MindSpore 2.10's exception_types_map (mindspore/core/include/utils/log_adapter.h), in its (sorted) order
SUPPORTED = ("AssertionError", "AttributeError", "BaseException", "EnvironmentError", "Exception", "IOError",
             "IndentationError", "IndexError", "KeyError", "KeyboardInterrupt", "MemoryError", "NameError",
             "NotImplementedError", "OSError", "OverflowError", "RuntimeError", "RuntimeWarning", "StopIteration",
             "TypeError", "UnboundLocalError", "ValueError", "ZeroDivisionError")


_RunText = _graph_print.RunText


def raise_(name: str, exc: Callable[[], Any], args: "Callable[[], tuple] | None") -> BaseException:
    """The exception `raise <name>(*args())` raises (`raise <name>` where args is None); exc() is the name's
    object, read only in PyNative (in a graph the name may be undefined: MindSpore's refusal is by name)."""
    if not graph_semantics():
        e = exc()
        return e(*args()) if args is not None else e
    if name not in SUPPORTED:
        raise UnsupportedRaise(f"Unsupported exception type: {name}. Raise only support some Python standard "
                               f"exception types: {', '.join(SUPPORTED)}. ")
    kind = getattr(builtins, name)
    values = args() if args is not None else ()
    if not values:
        return kind()
    if _variable(values):
        text = _run_text(values[0], top=True) if len(values) == 1 else _run_text(tuple(values))
    else:
        parts = [_const_text(v, top=True) for v in values]
        text = parts[0] if len(parts) == 1 else f"({', '.join(parts)})"
    return kind(text)


_CONVERSIONS: "dict[int, Callable[[Any], str]]" = {ord("s"): str, ord("r"): repr, ord("a"): ascii}  # !s !r !a


def fstring(parts: tuple) -> str:
    """An f-string among a raise's arguments: parts are its literal strings and (value, conversion, format spec)
    of each `{...}`. Python's, except a graph's plain `{v}` (see the module's doc)."""
    graph = graph_semantics()  # (an f-string of constants is its compile's, even under an `if` on a Tensor)
    variable = graph and _traced(tuple(p[0] for p in parts if isinstance(p, tuple)))
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
            continue
        v, conversion, spec = p
        if graph and conversion == -1 and not spec:
            out.append(_run_text(v, top=True) if variable else _const_text(v, top=True, quote=False, in_fstring=True))
            continue
        if conversion != -1:
            v = _CONVERSIONS[conversion](v)
        out.append(format(v, spec or ""))
    return _RunText("".join(out)) if variable else "".join(out)


def _traced(v) -> bool:
    if isinstance(v, _RunText):
        return True
    if isinstance(v, Tensor):
        return v._data is None
    if isinstance(v, (list, tuple)):
        return any(_traced(x) for x in v)
    return False


def _variable(values: tuple) -> bool:
    """Whether a raise is its run's, not its compile's: a traced value among its arguments, or an `if` on a
    Tensor deciding it."""
    return _traced(values) or _branches.deciding_by_value()


def _float_text(v: float) -> str:
    return str(int(v)) if v.is_integer() else repr(v)


def _const_text(v, top: bool = False, quote: bool = True, in_fstring: bool = False) -> str:
    if top and quote and _holds_str(v):  # (MindSpore quotes such an argument whole: '(a, 1)' for ('a', 1.0))
        return f"'{_const_text(v, in_fstring=in_fstring)}'"
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, float):
        return _float_text(v)
    if isinstance(v, Tensor):
        a = v._host_copy()
        if not in_fstring:
            return str(a)
        scalar = "" if a.ndim else _float_text(float(a)) if a.dtype.kind == "f" else str(a.item())
        return _graph_print.tensor_text(v, a, scalar)
    if isinstance(v, (list, tuple)):
        inner = ", ".join(_const_text(x, in_fstring=in_fstring) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    return str(v)


def _holds_str(v) -> bool:
    return isinstance(v, str) or isinstance(v, (list, tuple)) and any(_holds_str(x) for x in v)


def _run_text(v, top: bool = False) -> str:
    """Python's str (top) / repr of v, each Tensor as its value's text."""
    if isinstance(v, Tensor):
        return str(v)
    if isinstance(v, (list, tuple)):
        inner = ", ".join(_run_text(x) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    return str(v) if top else repr(v)
