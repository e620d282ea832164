"""A name one side of a traced `if` assigns and nothing bound before it: MindSpore 2.10's graph refuses to read it
after the `if` (UnboundLocalError "The local variable 'y' is not defined in false branch, but defined in true
branch.", naming the line that reads it), nor a name a `while` or `for` body alone assigns after the loop. The
rewrite (_rewrite, passes 3 and 4; _for_scope) unbinds such a name after the `if` / `while` / `for`, so a later
read is Python's UnboundLocalError, given here MindSpore's text; a name never read after stays harmless. PyNative (a grad's trace
of it included) runs Python's branch, whose value it keeps."""
from __future__ import annotations

import linecache
import re
import threading

from ._branches import UNDEF
from ._trace import graph_semantics

_tls = threading.local()
MAX_SIDES = 256  # names a thread remembers (the latest ones): a long-lived thread tracing many programs grew it without end


def unbound(value, name: str, side: str) -> bool:
    """True (the rewrite then deletes the name) when value is UNDEF: only `side` ("true" / "false") assigned it."""
    if value is not UNDEF or not graph_semantics():
        return False
    sides = _tls.__dict__.setdefault("sides", {})
    sides.pop(name, None)  # (re-inserted: the latest last)
    sides[name] = side
    if len(sides) > MAX_SIDES:
        del sides[next(iter(sides))]
    return True


def undefined(local: dict, names: tuple) -> tuple:
    """The names not bound where a `while` starts."""
    return tuple(n for n in names if local.get(n, UNDEF) is UNDEF)


def unbound_loop(name: str, undefined_names: tuple) -> bool:
    """True (the rewrite then deletes the name) when name was unbound where its `while` started."""
    return unbound(UNDEF, name, "while") if name in undefined_names else False


def unbound_for(name: str, undefined_names: tuple, local: dict) -> bool:
    """True (the rewrite then deletes the name) when name was unbound where its `for` started and the loop bound
    it (a loop of no pass leaves it unbound: its read is then MindSpore's error all the same)."""
    return unbound(UNDEF, name, "for") and name in local if name in undefined_names else False


def error(e: UnboundLocalError) -> UnboundLocalError:
    """e in MindSpore's words when it reads a name an `if` left unbound (e itself otherwise)."""
    m = re.search(r"local variable '(\w+)'", str(e))
    if m is None:
        return e
    name = m.group(1)
    side = getattr(_tls, "sides", {}).get(name)
    if side is None:
        return e
    other = "false" if side == "true" else "true"
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = ""
    if tb is not None:
        path, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
        where = f"\nIn file {path}:{line}\n    {linecache.getline(path, line).strip()}"
    if side in ("while", "for"):
        return UnboundLocalError(f"The local variable '{name}' defined in the '{side}' loop body cannot be used "
                                 f"outside of the loop body. Please define variable '{name}' before '{side}'.{where}")
    return UnboundLocalError(f"The local variable '{name}' is not defined in {other} branch, but defined in "
                             f"{side} branch.{where}")


def self_item_target(obj, name: str):
    """`self.x` as the target of `self.x[i] = v` (the rewrite, _rewrite._Stores): with x never set, MindSpore
    2.10's GRAPH_MODE TypeError, its PyNative Cell's AttributeError text (both checked); else self.x."""
    try:
        return getattr(obj, name)
    except AttributeError:
        if name in dir(type(obj)):  # (a property's own AttributeError: as raised)
            raise
        if graph_semantics():
            raise TypeError(f"'self.{name}' should be initialized in the '__init__' function before subscript.") \
                from None
        raise AttributeError(f"The '{type(obj).__name__}' object has no attribute '{name}'.") from None
