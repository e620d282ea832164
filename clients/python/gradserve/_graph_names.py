"""Undefined names in a graph-mode function: MindSpore's NameError before anything runs.

MindSpore's graph mode parses a construct / @jit function whole before running it, so a name that is neither
local, a closure's, a global nor a builtin is its NameError ("The name 'a' is not defined, or not supported in
graph mode.", naming the file, line and source), even on a line a branch would skip or after an `if` that
could not run (MindSpore 2.10: the first such name in source order). Python finds it only when the line runs;
PyNative keeps Python's error (MindSpore's too)."""
from __future__ import annotations

import ast
import builtins
import linecache
import types

__all__ = ["free_loads", "check", "comprehension_refusal"]


def binds(n: ast.AST) -> list[str]:
    """The names statement-level node n binds in the scope it stands in, besides assignment targets (a def /
    class, an import, an `except ... as`, a match capture)."""
    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [n.name]
    if isinstance(n, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in n.names]
    if isinstance(n, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and n.name:
        return [n.name]
    return []


def free_loads(fdef: ast.FunctionDef) -> tuple:
    """(name, line) of each name fdef reads that nothing in it binds (its first read) (a parameter, an assignment, an import, a
    def / class, a comprehension's or a nested function's own names), in source order. A name bound in any
    nested scope counts as bound (a lenient reading: only what is surely undefined is reported)."""
    a = fdef.args  # (its defaults, annotations and decorators are the enclosing scope's reads, not fdef's)
    bound = {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x is not None}
    loads = []
    raised = set()  # `raise E(...)` / `raise E`: MindSpore reads E's name when the raise compiles (_graph_raise)
    for n in (n for stmt in fdef.body for n in ast.walk(stmt)):
        if isinstance(n, ast.Raise):
            e = n.exc.func if isinstance(n.exc, ast.Call) else n.exc
            raised.add(id(e))
        if isinstance(n, ast.Name):
            if isinstance(n.ctx, ast.Load) and id(n) not in raised:
                loads.append((n.lineno, n.col_offset, n.id))
            else:
                bound.add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            bound.update(n.names)
        else:
            bound.update(binds(n))
    first: dict[str, int] = {}  # each name once, at its first line
    for line, _, name in sorted(loads):
        if name not in bound:
            first.setdefault(name, line)
    return tuple(first.items())


def check(f: types.FunctionType, loads: tuple) -> None:
    """MindSpore's NameError for the first of loads (free_loads of f) that f's closure, globals and the
    builtins do not hold."""
    scope = f.__globals__
    free = f.__code__.co_freevars
    for name, line in loads:
        if name in scope or name in free or hasattr(builtins, name):
            continue
        path = f.__code__.co_filename
        text = linecache.getline(path, line).rstrip()
        raise NameError(f"The name '{name}' is not defined, or not supported in graph mode.\n\n"
                        f"# In file {path}:{line}\n{text}\n")


_COMPREHENSIONS = {ast.ListComp: "ListComp", ast.GeneratorExp: "ListComp", ast.DictComp: "DictComp"}  # (its texts)


def comprehension_refusal(fdef: ast.FunctionDef) -> "str | None":
    """MindSpore 2.10's parse-time TypeError text for fdef's first comprehension with more than one `for`
    (`[y for x in xs for y in x]`), which its graph mode does not take; None when there is none."""
    for n in ast.walk(fdef):
        if isinstance(n, (ast.ListComp, ast.GeneratorExp, ast.DictComp)) and len(n.generators) > 1:
            return (f"The 'generators' supports 1 'comprehension' in {_COMPREHENSIONS[type(n)]}/GeneratorExp, but got "
                    f"{len(n.generators)} comprehensions.")
    return None
