"""A global a graph-mode function writes (`global G; G = ...`): MindSpore 2.10's graph never writes the module.

MindSpore 2.10 (GRAPH_MODE, or a @jit function in either mode; probes /work/ms_suite_left31/probe/p1*.py):
- the module's global keeps its value after any number of calls (a name the module lacks stays undefined);
- the function's own reads see the write as a local's, except in its first block (its statements before the first
  if / for / while / with / try): there a read sees the module's value, its writes apply from the next block on
  (`global G; G = G + 1; return x * G` with G = 0 gives x * 0 on every call; `G = 5; if c: ...; return x * G`,
  x * 5);
- a name the module lacks, read in the first block: its NameError text.
So the function runs on a copy of its module's globals (made per call) with its first block's writes held in
locals until that block ends. PyNative (a Cell's construct outside jit) runs Python's writes."""
from __future__ import annotations

import ast
import dis
import inspect
import textwrap
import types
from typing import Any, Iterator

__all__ = ["writes_globals", "convert"]

_STORE = {dis.opmap["STORE_GLOBAL"], dis.opmap["DELETE_GLOBAL"]}
_BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.Match)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)
_PREFIX = "_gs_gw_"
CACHE_SIZE = 256
_made: dict = {}  # code object -> (the rewritten code, its declared globals) (None: left as it is)


def writes_globals(f: types.FunctionType) -> bool:
    """Whether f's own code writes (or deletes) a global."""
    return any(i.opcode in _STORE for i in dis.get_instructions(f.__code__))


def _own_nodes(nodes) -> Iterator[ast.AST]:
    """The nodes under nodes (themselves included), not descending into nested scopes."""
    todo: list[ast.AST] = list(nodes)
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, _SCOPES):
            todo.extend(ast.iter_child_nodes(n))


def _first_block(fdef: ast.FunctionDef, declared: set) -> "tuple[int, set] | None":
    """(the first block's length, the declared names it writes); its writes are renamed to locals here. None
    when it deletes one."""
    end = next((i for i, s in enumerate(fdef.body) if isinstance(s, _BLOCKS)), len(fdef.body))
    written: set = set()
    for i, s in enumerate(fdef.body[:end]):
        if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name) and s.target.id in declared:
            t = s.target  # G += v: the local is G's module value plus v (the read is the module's)
            fdef.body[i] = s = ast.copy_location(ast.Assign(targets=[ast.Name(id=_PREFIX + t.id, ctx=ast.Store())],
                                                            value=ast.BinOp(left=ast.Name(id=t.id, ctx=ast.Load()),
                                                                            op=s.op, right=s.value)), s)
        for n in [n for n in _own_nodes([s]) if isinstance(n, ast.Name)]:
            if n.id in declared and isinstance(n.ctx, ast.Del):
                return None
            if n.id in declared and isinstance(n.ctx, ast.Store):
                written.add(n.id)
                n.id = _PREFIX + n.id
    return end, written


def _rewrite(f: types.FunctionType) -> "tuple[types.CodeType, set] | None":
    """(f's code with its first block's global writes held in locals, the globals f declares)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(f)))
    except (OSError, TypeError, SyntaxError):
        return None
    fdef = tree.body[0]
    if not isinstance(fdef, ast.FunctionDef) or fdef.name != f.__name__:
        return None
    ast.increment_lineno(tree, f.__code__.co_firstlineno - 1)
    declared = {g for n in _own_nodes(fdef.body) if isinstance(n, ast.Global) for g in n.names}
    first = _first_block(fdef, declared)
    if first is None:
        return None
    end, written = first
    hand_over = [ast.Assign(targets=[ast.Name(id=g, ctx=ast.Store())], value=ast.Name(id=_PREFIX + g, ctx=ast.Load()))
                 for g in sorted(written)]  # the first block's writes, seen from the next block on
    fdef.body[end:end] = hand_over
    fdef.decorator_list = []
    free = list(f.__code__.co_freevars)
    outer = ast.FunctionDef(name="_gs_outer", args=ast.arguments(
        posonlyargs=[], args=[ast.arg(arg=n) for n in free], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
        defaults=[]), body=[fdef, ast.Return(value=ast.Name(id=fdef.name, ctx=ast.Load()))], decorator_list=[])
    mod = ast.fix_missing_locations(ast.Module(body=[outer], type_ignores=[]))
    code = compile(mod, f.__code__.co_filename, "exec")
    outer_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    new = next(c for c in outer_code.co_consts if isinstance(c, types.CodeType) and c.co_name == fdef.name)
    if new.co_freevars != f.__code__.co_freevars:
        return None
    return new.replace(co_qualname=f.__code__.co_qualname), declared


def convert(fn: Any) -> Any:
    """fn (a function or method whose code writes globals) run as MindSpore's graph runs it; fn itself where
    its source cannot be read or rewritten."""
    target = fn.__func__ if isinstance(fn, types.MethodType) else fn
    if not isinstance(target, types.FunctionType):
        return fn
    key = target.__code__
    if key not in _made:
        if len(_made) >= CACHE_SIZE:
            _made.clear()
        _made[key] = _rewrite(target)
    made = _made[key]
    if made is None:
        return fn
    code, declared = made

    def run(*args, **kwargs):
        own = dict(target.__globals__)  # (a copy per call: the module never sees the writes)
        g = types.FunctionType(code, own, target.__name__, target.__defaults__, target.__closure__)
        g.__kwdefaults__ = target.__kwdefaults__
        try:
            return g(*args, **kwargs)
        except NameError as e:  # a declared global the module lacks, read where the write is not seen
            if getattr(e, "name", None) in declared and e.name not in own:
                raise NameError(f"The name '{e.name}' is not defined, or not supported in graph mode.") from None
            raise

    return types.MethodType(run, fn.__self__) if isinstance(fn, types.MethodType) else run
