"""Python control flow in construct (and in functions traced by grad / jit) rewritten into the engine's.

As MindSpore's graph mode parses construct, construct (and each function traced by grad / jit, and each
user function they call) is rewritten once (cached per code object: the CACHE_SIZE most recently used), in passes over its own source:

0. ranges: `for i in range(a, b, c)` runs as Python's loop when the bounds are values and as
   `i_ = a; while i_ < b: i = i_; i_ += c; body` when one is traced (a trip count from tensor values);

1. calls: `f(...)` becomes `_gs_.call(f)(...)`: a plain Python function or method of the user's (not
   gradserve's or a library's, not a Cell) is rewritten the same way before it runs, so control flow in
   helpers (`self.f(x)`, `super().construct(x)`, module functions) is the engine's too;
1b. item assignment to a local x: `x[i] = v` becomes `x = _gs_.setitem(x, i, v)` and `x[i] += v` (any operator)
    `x = _gs_.setitem_op(x, i, operator.iadd, v)` (see ops/_inplace.assigned_item: graph mode's new value,
    PyNative's write in place; a list's at a mutable() int index: _seq_setitem, through _graph_lists.item_written);
1c. membership: `a in b` / `a not in b` become `_gs_.member_in(a, b)` / `member_not_in` (see _member_in);
1d. dict displays: `{k: v}` becomes `_gs_.make_dict(k, v)` (MindSpore's graph-mode keys: see _graph_dict);
1e. reads: `a[i:j]` / `a[i]` become `_gs_.getslice(...)` / `_gs_.getitem(a, i)` (_dynamic_len, _graph_index);
    raise: `raise E(args)` becomes `raise _gs_.raise_(...)` (a graph's raise: see _graph_raise); a list / tuple
    display times n, `_gs_.repeated(left, right)` (dynamic-length by a mutable int: see _dynamic_len.repeated);
2. jumps: in each loop, `break` / `continue` / `return v` become flags (`_gs_brkN`, `_gs_cntN`, and
   `_gs_ret` / `_gs_rv` for a return), and the statements after a jump run under `if <no flag set>:`; a
   `while` also tests the break flag, a `for` leaves Python's loop once the flag is a known True, and
   after the outermost loop `if _gs_ret: return _gs_rv` returns;
2b. one exit: in a function where an `if` (outside loops) holds a `return`, each `return v` becomes
   `_gs_rv = v; _gs_ret = True`, the statements after an `if` that may have returned run under
   `if _gs_.go(_gs_ret):` (whose other side sets the flag: the function has returned) and the function ends
   with one `return _gs_rv`; so each such `if` is a cond of pass 3 (each side traced once), where the branch
   explorer re-ran the whole function per side (a helper with an early return called k times: 2^(k+1)-1
   runs of construct). A side that returned leaves only the value and the flag (run_if's `returns`): what
   it assigned joins no cond with the other side. Two sides' return values of other kinds of tree (a Tensor
   against a tuple) or other dtypes (float32 against float64, an int against a float: _branches) are MindSpore's
   join TypeError; of one kind but other constants / keys (None against a Tensor, other dict keys, tuples of
   other lengths), the side taken by this call's values, as MindSpore's graph runs them;
3. ifs: `if test: A else: B` without a `return` inside (nor a break / continue of an enclosing loop; a
   nested loop's are its own) becomes two functions of the names A and B assign (or change in place:
   `out.append(v)`, each side then on a copy of its own: _mutated) and the function reads,
   and `names = _gs_.if_(test, true_fn, false_fn, names...)`: a cond when test is traced (each side traced
   once: no re-trace of the code before it), Python's `if` otherwise;
4. whiles: `while test: body` becomes `names = _gs_.while_(cond_fn, body_fn, names...)` (see _while).

A name not bound yet where a branch or loop starts enters as UNDEF (a branch that leaves it so takes the
other side's value's zeros; a loop learns its type from one probe trace of the body); with GRAPH_MODE's
semantics a user's name so assigned by one side of a traced `if` or by a `while` body alone is unbound after it
(MindSpore's UnboundLocalError where it is read: _graph_unbound). An `if` with a
`return` pass 2b cannot reach (a return inside a with / try / match, or in a loop pass 2 leaves Python's)
stays Python's; `bool()` of its traced test is then the branch explorer's (see _branches), as in a
function whose source cannot be read, or that uses global / nonlocal / yield, which is left as it is.
A zero-argument `super()` becomes `super(__class__, self)`: passes 2b and 3 move code into nested functions.
With GRAPH_MODE's semantics (GRAPH_MODE, a jit function) a function holding a `try` statement is MindSpore 2.10's
RuntimeError "Unsupported statement 'Try'." when called, and one holding a `del` statement (or a nested function
a `nonlocal` one) its "Unsupported statement 'Delete'. ..." ('Nonlocal'); PyNative runs them as Python.
"""
from __future__ import annotations

import ast
import copy
import inspect
import linecache
import operator
import os
import sysconfig
import textwrap
import threading
import types
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from . import _dynindex  # noqa: F401  (fills _late: reads and writes at traced integer indexes)
from . import _dynamic_len, _graph_attr, _graph_enumerate, _graph_isinstance, _graph_minmax, _graph_names, _graph_print, _graph_raise
from . import _graph_globals, _graph_index, _graph_lists, _graph_shift, _join_kinds, _graph_unbound, _graph_zero_div, _private_names, _pyguard
from . import context as _context
from ._tensor import Parameter
from .ops._hypermap import MultitypeFuncGraph
from ._graph_dict import make_dict
from ._graph_lists import index_value as _index_value
from ._trace import graph_semantics
from ._member_in import graph_count, graph_index, member_in, member_not_in
from ._branches import ControlFlowError, UNDEF, run_if, logic
from ._late import late
from ._while import run_while
from ._for_scope import FOR_NOTE, ForScope as _ForScope

CACHE_SIZE = 1024  # rewritten functions kept (least recently used dropped): programs that make functions
# at run time (lambdas, closures per call) have a new code object only when the source is new, but
# exec'd / generated code can make any number of them


class _LRU:
    """code object -> its rewritten outer function (None: not rewritable), at most CACHE_SIZE of them."""

    def __init__(self):
        self._d: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, make: Callable):
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                return self._d[key]
        value = make()  # outside the lock: a rewrite runs user-visible code paths (and may recurse)
        with self._lock:
            self._d[key] = value
            while len(self._d) > CACHE_SIZE:
                self._d.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._d)

    def __contains__(self, key) -> bool:
        return key in self._d


_cache = _LRU()
_H = "_gs_"  # the helpers' name inside rewritten code
_SKIP = ("gradserve", "mindspore", "numpy", "builtins", "jax", "torch")


# -- small AST helpers ----------------------------------------------------------------------------------
def _own(stmts):
    """The nodes of `stmts`, not descending into nested functions, lambdas or classes."""
    todo = list(stmts)
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(n))


def _own_in_loop(stmts):
    """As _own, not descending into nested loops either (their break / continue are theirs)."""
    todo = list(stmts)
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.While,
                              ast.For)):
            todo.extend(ast.iter_child_nodes(n))


def _assigned(stmts) -> list[str]:
    """The names stmts assign (not _for_scope's notes: each is read in the block that sets it, never an output)."""
    names = {n.id for n in _own(stmts) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
             and not n.id.startswith(FOR_NOTE)}
    return sorted(names)


def _names_read(fdef: ast.FunctionDef) -> "set[str] | None":
    """Every name fdef reads or deletes, nested functions and comprehensions included; None where it may read
    names it does not spell (locals() / vars() / eval / exec)."""
    read = set()
    for n in ast.walk(fdef):
        if isinstance(n, ast.Name):
            if n.id in ("locals", "vars", "eval", "exec") and isinstance(n.ctx, ast.Load) and \
                    not getattr(n, "_gs_own", False):  # (_for_scope's own locals() reads only its loop's names)
                return None
            if not isinstance(n.ctx, ast.Store):
                read.add(n.id)
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            read.add(n.target.id)  # (`y += 1` reads y: a side doing it takes y in)
    return read


def _locals_of(fdef: ast.FunctionDef) -> set[str]:
    """The names local to fdef's own scope: its parameters and every name it binds (not nested scopes')."""
    a = fdef.args
    out = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs + [v for v in (a.vararg, a.kwarg) if v]}
    own = list(_own(fdef.body))
    comp = {id(t) for n in own if isinstance(n, ast.comprehension) for t in ast.walk(n.target)}  # (their scope's)
    for n in own:
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) and id(n) not in comp:
            out.add(n.id)
        else:
            out.update(_graph_names.binds(n))
    return out


def _name(n: str, store: bool = False) -> ast.Name:
    return ast.Name(id=n, ctx=ast.Store() if store else ast.Load())


def _helper(attr: str, *args) -> ast.Call:
    return ast.Call(func=ast.Attribute(value=_name(_H), attr=attr, ctx=ast.Load()), args=list(args), keywords=[])


def _set(n: str, value: "ast.expr | bool | None") -> ast.Assign:
    return ast.Assign(targets=[_name(n, True)], value=value if isinstance(value, ast.expr) else ast.Constant(value))


def _tuple(names, store=False) -> ast.Tuple:
    return ast.Tuple(elts=[_name(s, store) for s in names], ctx=ast.Store() if store else ast.Load())


def _strs(names) -> ast.Tuple:
    return ast.Tuple(elts=[ast.Constant(value=s) for s in names], ctx=ast.Load())


def _def(name: str, params: list[str], body: list) -> ast.FunctionDef:
    """`def name(*params): body` (parsed, so the node has every field of this Python's grammar)."""
    d = ast.parse(f"def {name}({', '.join(params)}): pass").body[0]
    assert isinstance(d, ast.FunctionDef)
    d.body = body or [ast.Pass()]
    return d


def _lazy(e) -> ast.Lambda:
    return ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                                         kwarg=None, defaults=[]), body=e)


def _test(e):
    """A condition's `and` / `or` / `not` as helpers that stay in the graph when a side is traced."""
    if isinstance(e, ast.BoolOp):
        out = _test(e.values[0])
        for v in e.values[1:]:
            out = _helper("and_" if isinstance(e.op, ast.And) else "or_", out, _lazy(_test(v)))
        return out
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
        return _helper("not_", _test(e.operand))
    return e


# -- pass 0: for over a range of traced bounds -----------------------------------------------------------------
class _Ranges(ast.NodeTransformer):
    """`for i in range(...)`: Python's loop when the bounds are values, else the same body as a while
    over a counter (trips that depend on tensor values)."""

    def __init__(self):
        self.n = 0

    def visit_For(self, node: ast.For):
        self.generic_visit(node)
        it = node.iter
        if node.orelse or not isinstance(node.target, ast.Name) or not (
                isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" and
                1 <= len(it.args) <= 3 and not it.keywords):
            return node
        self.n += 1
        i = f"_gs_i{self.n}"
        args = it.args if len(it.args) > 1 else [ast.Constant(0), it.args[0]]
        args = args + [ast.Constant(1)] * (3 - len(args))  # (the bounds' expressions are read again below)

        def part(k):
            return copy.deepcopy(args[k])
        loop = ast.While(test=_helper("range_go", _name(i), part(1), part(2)), orelse=[], body=[
            _set(node.target.id, _name(i)), _set(i, ast.BinOp(left=_name(i), op=ast.Add(), right=part(2))),
            *copy.deepcopy(node.body)])
        return ast.If(test=_helper("static_range", *copy.deepcopy(it.args)), body=[node],  # (the call's own args)
                      orelse=[_set(i, part(0)), loop])


# -- pass 1: calls ----------------------------------------------------------------------------------------
class _Calls(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id == _H:
            return node  # (a helper of an earlier pass)
        if not (isinstance(node.func, ast.Name) and node.func.id in ("locals", "super")):
            node.func = _helper("call", node.func)  # _call picks what to rewrite: the user's own functions
        return node


# -- pass 1: zero-argument super() -------------------------------------------------------------------------
def _explicit_super(fdef: ast.FunctionDef) -> None:
    """`super()` as `super(__class__, self)` (self: the method's first parameter, never assigned): a
    zero-argument super() reads the frame's first argument, which is another in the functions passes 2b and
    3 make of a method's code (after an early return, a side of an `if`)."""
    a = fdef.args
    first = (a.posonlyargs + a.args)[:1]
    if not first or first[0].arg in _assigned(fdef.body):
        return
    for n in _own(fdef.body):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "super" and not n.args \
                and not n.keywords:
            n.args = [_name("__class__"), _name(first[0].arg)]


# -- pass 1a: raise -----------------------------------------------------------------------------------------
class _Raises(ast.NodeTransformer):
    """`raise E(args)` / `raise E` (E a name) as `raise _gs_.raise_('E', lambda: E, lambda: (args,))` and the
    f-strings among args as `_gs_.fstring(...)`: a graph's raise (see _graph_raise)."""

    def visit_Raise(self, node: ast.Raise):
        exc = node.exc
        args: ast.expr
        if isinstance(exc, ast.Name):
            name, args = exc.id, ast.Constant(None)
        elif isinstance(exc, ast.Call) and isinstance(exc.func, ast.Name) and not exc.keywords:
            name = exc.func.id
            args = _lazy(ast.Tuple(elts=[_FStrings().visit(a) for a in exc.args], ctx=ast.Load()))
        else:
            return node
        node.exc = ast.copy_location(_helper("raise_", ast.Constant(name), _lazy(_name(name)), args), exc)
        return node

    def visit_Call(self, node: ast.Call):
        """`print(..., f"{x}")`: its f-strings as a raise's (a traced value's is the run's text: _graph_print runs
        such a print as Python's, MindSpore 2.10's fallback)."""
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "print":
            node.args = [_FStrings().visit(a) for a in node.args]
        return node


class _FStrings(ast.NodeTransformer):
    def visit_JoinedStr(self, node: ast.JoinedStr):
        parts = [ast.Tuple(elts=[self.visit(v.value), ast.Constant(v.conversion), v.format_spec or ast.Constant(None)],
                           ctx=ast.Load()) if isinstance(v, ast.FormattedValue) else v for v in node.values]
        return ast.copy_location(_helper("fstring", ast.Tuple(elts=parts, ctx=ast.Load())), node)


# -- pass 1b: item assignment -------------------------------------------------------------------------------
_IN_PLACE_OPS = _graph_lists.IN_PLACE_OPS


class _Stores(ast.NodeTransformer):
    """`x[i] = v` as `x = _gs_.setitem(x, i, v)` and `x[i] op= v` as `x = _gs_.setitem_op(x, i, <op>, v)`: a
    Tensor's item assignment is a new value of x (loop state, a branch's output), as in MindSpore's graph mode.
    Only where x is the function's own local: binding a global's or a closure's name here would make it local
    (`STATS["n"] += 1` an UnboundLocalError); their item assignment stays Python's."""

    def __init__(self, local: "set[str]"):
        self.local = local

    def visit_Assign(self, node: ast.Assign):
        t = node.targets[0]
        if len(node.targets) == 1 and isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and \
                t.value.id in self.local:
            return ast.Assign(targets=[_name(t.value.id, True)],
                              value=_helper("setitem", _name(t.value.id), _index_value(t.slice), node.value))
        if len(node.targets) == 1 and isinstance(t, ast.Subscript) and isinstance(t.value, ast.Attribute) and \
                isinstance(t.value.value, ast.Name) and t.value.value.id == "self":  # (x never set: MindSpore's error)
            t.value = _helper("self_item_target", _name("self"), ast.Constant(t.value.attr))
        return node

    def visit_AugAssign(self, node: ast.AugAssign):
        t, op = node.target, _IN_PLACE_OPS.get(type(node.op).__name__)
        if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and op is not None and t.value.id in self.local:
            return ast.Assign(targets=[_name(t.value.id, True)],
                              value=_helper("setitem_op", _name(t.value.id), _index_value(t.slice),
                                            ast.Attribute(value=ast.Attribute(value=_name(_H), attr="operators",
                                                                              ctx=ast.Load()), attr=op, ctx=ast.Load()),
                                            node.value))
        return node

    def _own_names(self, node: ast.AST) -> ast.AST:
        return node  # a nested function's own names

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = _own_names


class _Shifts(ast.NodeTransformer):
    """`a << b` / `a >> b` (and `x <<= b` of a name) as `_gs_.shift('<<', a, b)`: MindSpore's int64 rules for
    Python scalars in a graph (_graph_shift); Tensors' shifts are unchanged."""
    _OPS = {ast.LShift: "<<", ast.RShift: ">>"}

    def visit_BinOp(self, node: ast.BinOp):
        self.generic_visit(node)
        if isinstance(node.op, ast.Pow):  # (two ints, a negative exponent: an int in a graph, _graph_shift.int_pow)
            return ast.copy_location(_helper("int_pow", node.left, node.right), node)
        op = self._OPS.get(type(node.op))
        return node if op is None else ast.copy_location(_helper("shift", ast.Constant(op), node.left, node.right),
                                                         node)

    def visit_AugAssign(self, node: ast.AugAssign):
        self.generic_visit(node)
        op = self._OPS.get(type(node.op))
        if op is None or not isinstance(node.target, ast.Name):
            return node
        value = _helper("shift", ast.Constant(op), _name(node.target.id), node.value)
        return ast.copy_location(ast.Assign(targets=[_name(node.target.id, True)], value=value), node)

    def _own_names(self, node: ast.AST) -> ast.AST:
        return node  # a nested function: rewritten on its own when called (_call)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = _own_names


# -- pass 1c: membership -----------------------------------------------------------------------------------
class _Members(ast.NodeTransformer):
    """`a in b` as `_gs_.member_in(a, b)` (`not in`: member_not_in): a Tensor in a list of Tensors as
    MindSpore's graph mode compares them; anything else is Python's `in`."""

    def visit_Compare(self, node: ast.Compare):
        self.generic_visit(node)
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
            helper = "member_in" if isinstance(node.ops[0], ast.In) else "member_not_in"
            return ast.copy_location(_helper(helper, node.left, node.comparators[0]), node)
        return node


# -- pass 1e: slices ---------------------------------------------------------------------------------------
class _Slices(ast.NodeTransformer):
    """`a[i:j:k]` read as `_gs_.getslice(a, i, j, k)`: a list / tuple sliced at a mutable int in a trace is a
    dynamic-length one, as in MindSpore's graph mode (_dynamic_len.getslice); anything else is Python's slice.
    `a[i]` (no slice in i) read as `_gs_.getitem(a, i)`: MindSpore's text for a tuple / list index out of range
    (_graph_index)."""

    def visit_Subscript(self, node: ast.Subscript):
        self.generic_visit(node)
        e = node.slice
        if not isinstance(node.ctx, ast.Load):
            return node
        if not isinstance(e, ast.Slice):
            parts = e.elts if isinstance(e, ast.Tuple) else [e]
            if any(isinstance(p, (ast.Slice, ast.Starred)) for p in parts):
                return node
            return ast.copy_location(_helper("getitem", node.value, e), node)
        bounds = [b or ast.Constant(None) for b in (e.lower, e.upper, e.step)]
        return ast.copy_location(_helper("getslice", node.value, *bounds), node)


# -- pass 1d: dict displays ---------------------------------------------------------------------------------
class _Repeats(ast.NodeTransformer):
    """`[...] * n` / `n * (...)` (a list / tuple display) as `_gs_.repeated(left, right)` (_dynamic_len.repeated)."""

    def visit_BinOp(self, node: ast.BinOp):
        self.generic_visit(node)
        if not isinstance(node.op, ast.Mult):
            return node
        if isinstance(node.left, _DISPLAYS) or isinstance(node.right, _DISPLAYS):
            return ast.copy_location(_helper("repeated", node.left, node.right), node)
        return node


_DISPLAYS = (ast.List, ast.Tuple, ast.ListComp)


class _Dicts(ast.NodeTransformer):
    """`{k1: v1, k2: v2}` as `_gs_.make_dict(k1, v1, k2, v2)` (MindSpore's graph-mode keys: _graph_dict); a
    display with `**` unpacking stays Python's."""

    def visit_Dict(self, node: ast.Dict):
        self.generic_visit(node)
        if any(k is None for k in node.keys):
            return node
        flat = [e for kv in zip(node.keys, node.values) for e in kv]
        return ast.copy_location(_helper("make_dict", *flat), node)


# -- pass 2: break / continue / return in loops -----------------------------------------------------------
class _Jumps(ast.NodeTransformer):
    def __init__(self):
        self.n = 0
        self.depth = 0
        self.returns = False

    def _loop(self, node):
        if node.orelse:
            kind = "for" if isinstance(node, ast.For) else "while"
            raise ControlFlowError(f"The '{kind}...else...' statement is not supported now.")
        self.depth += 1
        self.generic_visit(node)  # inner loops first
        self.depth -= 1
        returns = any(isinstance(n, ast.Return) or getattr(n, "_gs_returns", False) for n in _own_in_loop(node.body))
        if not returns and not any(isinstance(n, (ast.Break, ast.Continue)) for n in _own_in_loop(node.body)):
            return node
        self.n += 1
        brk, cnt = f"_gs_brk{self.n}", f"_gs_cnt{self.n}"
        body, _ = self._block(node.body, brk, cnt)
        body = [_set(cnt, False), *body]
        if isinstance(node, ast.While):
            node.test = _helper("and_", _helper("go", _name(brk)), _lazy(node.test))
            node.body = body
        else:
            node.body = [ast.If(test=_helper("is_true", _name(brk)), body=[ast.Break()], orelse=[]),
                         ast.If(test=_helper("go", _name(brk)), body=body, orelse=[])]
        setattr(node, "_gs_returns", returns)
        out: list[ast.stmt] = [_set(brk, False), _set(cnt, False), node]
        if returns and self.depth == 0:
            leave = ast.If(test=_name("_gs_ret"), body=[ast.Return(value=_name("_gs_rv"))], orelse=[])
            setattr(leave, "_gs_loop_exit", True)  # (pass 2b folds it into its own flag)
            out.append(leave)
        return out

    visit_While = visit_For = _loop

    def _block(self, stmts, brk, cnt) -> "tuple[list[ast.stmt], bool]":
        """(stmts with their jumps as flags and what follows a jump guarded, whether any jump is in)."""
        out: list[ast.stmt] = []
        for i, s in enumerate(stmts):
            jumped = True
            if isinstance(s, ast.Break):
                out.append(_set(brk, True))
            elif isinstance(s, ast.Continue):
                out.append(_set(cnt, True))
            elif isinstance(s, ast.Return):
                self.returns = True
                out += [_set("_gs_rv", s.value or ast.Constant(None)), _set("_gs_ret", True), _set(brk, True)]
            elif isinstance(s, ast.If):
                s.body, j1 = self._block(s.body, brk, cnt)
                s.orelse, j2 = self._block(s.orelse, brk, cnt)
                out.append(s)
                jumped = j1 or j2
            elif isinstance(s, (ast.While, ast.For)) and getattr(s, "_gs_returns", False):
                out += [s, ast.If(test=_name("_gs_ret"), body=[_set(brk, True)], orelse=[])]
            else:
                out.append(s)
                jumped = False
            if jumped:
                if isinstance(s, (ast.Break, ast.Continue, ast.Return)):
                    return out, True  # the rest of this block never runs
                rest, _ = self._block(stmts[i + 1:], brk, cnt)
                if rest:
                    out.append(ast.If(test=_helper("go", _name(brk), _name(cnt)), body=rest, orelse=[]))
                return out, True
        return out, False


# -- pass 2b: one exit --------------------------------------------------------------------------------------
class _SingleExit:
    """A function whose `if`s (outside loops) hold a `return`: each `return v` as `_gs_rv = v; _gs_ret = True`,
    the statements after an `if` that may have returned under `if _gs_.go(_gs_ret):`, and one `return _gs_rv`
    at the end, so that pass 3 makes each such `if` a cond (each side traced once) instead of leaving its
    test's bool() to the branch explorer (which re-runs the whole function per side: 2^(k+1)-1 runs for a
    helper with an early return called k times)."""

    @staticmethod
    def applies(body) -> bool:
        """Whether an `if` holds a return, and every return stands in `if`s only (not in a with / try / match
        or a loop pass 2 left Python's: those keep Python's return, and the explorer)."""
        found = False

        def walk(stmts) -> bool:
            nonlocal found
            for s in stmts:
                if isinstance(s, ast.If):
                    if any(isinstance(n, ast.Return) for n in _own([s])):
                        found = True
                    if not (walk(s.body) and walk(s.orelse)):
                        return False
                elif not isinstance(s, ast.Return) and any(isinstance(n, ast.Return) for n in _own([s])):
                    return False
            return True
        # (a `del` in code moved into a side's function would unbind that function's name, not the caller's)
        return walk(body) and found and not any(isinstance(n, ast.Delete) for n in _own(body))

    def rewrite(self, body) -> list:
        if not (body and isinstance(body[-1], ast.Return)):
            body = body + [ast.Return(value=None)]  # (falling off the end returns None)
        return self._block(body) + [ast.Return(value=_name("_gs_rv"))]

    def _block(self, stmts) -> list:
        """stmts with their returns as the flag and the value, and what follows a possible return guarded."""
        out: list[ast.stmt] = []
        for i, s in enumerate(stmts):
            if isinstance(s, ast.Return):
                return out + [_set("_gs_rv", s.value or ast.Constant(None)), _set("_gs_ret", True)]  # (rest: dead)
            if getattr(s, "_gs_loop_exit", False):
                pass  # a loop's `if _gs_ret: return _gs_rv`: the loop has set the flag and the value
            elif isinstance(s, ast.If) and any(isinstance(n, ast.Return) for n in _own([s])):
                s.body, s.orelse = self._block(s.body), self._block(s.orelse)
                setattr(s, "_gs_exit", True)
                out.append(s)
            else:
                out.append(s)
                continue
            rest = self._block(stmts[i + 1:])
            if rest:  # (its other side: the function has returned, said by a Python True: see run_if's `returns`)
                guard = ast.copy_location(ast.If(test=_helper("go", _name("_gs_ret")), body=rest,
                                                 orelse=[_set("_gs_ret", True)]), s)
                setattr(guard, "_gs_exit", True)
                setattr(guard, "_gs_swapped", True)  # (its true side runs the code after the `if`: the false branch)
                out.append(guard)
            return out
        return out


def _flatten(stmts):
    return [s for b in stmts for s in (b if isinstance(b, list) else [b])]


_MUTATORS = frozenset(("append", "extend", "insert", "pop", "remove", "clear", "reverse", "sort", "update",
                       "setdefault", "popitem"))  # (a list's / dict's methods that change it in place)


def _mutated(stmts) -> list[str]:
    """The local names a side of an `if` changes in place (`out.append(v)`, `out[i] = v` as pass 1b wrote it):
    on a traced test each side changes a copy of its own, and the name is an output of the cond (a list
    appended to in one side only joins as the side taken's, not both sides' appends)."""
    out = set()
    for n in _own(stmts):
        if not isinstance(n, ast.Call):
            continue
        f = n.func  # (`out.append` itself, or pass 1's `_gs_.call(out.append)`)
        if isinstance(f, ast.Call) and isinstance(f.func, ast.Attribute) and f.func.attr == "call" and f.args:
            f = f.args[0]
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id != _H:
            if f.attr in _MUTATORS:
                out.add(f.value.id)
        elif isinstance(f, ast.Attribute) and f.attr in ("setitem", "setitem_op") and n.args and \
                isinstance(n.args[0], ast.Name):
            out.add(n.args[0].id)
    return sorted(out)


def _aug_targets(stmts) -> list[str]:
    """The names a side of an `if` rebinds with `x += v` (in place for a NumPy array or a list)."""
    return sorted({n.target.id for n in _own(stmts) if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)})


def _at_line(new: ast.stmt, old: ast.stmt) -> ast.stmt:
    """new, and each node made for it, at old's first line (a join's error names the `if`'s line)."""
    if getattr(old, "lineno", None) is None:  # (an `if` an earlier pass made: fix_missing_locations places it)
        return new
    for n in ast.walk(new):
        if getattr(n, "lineno", None) is None and isinstance(n, (ast.stmt, ast.expr)):
            n.lineno = n.end_lineno = old.lineno
            n.col_offset = n.end_col_offset = old.col_offset
    return new


# -- passes 3 and 4: ifs and whiles as functions ---------------------------------------------------------
class _Functional(ast.NodeTransformer):
    def __init__(self, read: "set[str] | None", local: "set[str]"):
        self.n = 0
        self.read = read  # the names the function reads anywhere (None: any may be, e.g. through locals())
        self.local = local  # the function's own names (a global's list changed in a side stays Python's)

    def _outputs(self, names: list[str]) -> list[str]:
        """An `if`'s outputs: the names it assigns that something reads. A name never read (`for _ in ...` in
        a side) joins no cond: two sides' different Python numbers would otherwise become a traced value."""
        return names if self.read is None else [n for n in names if n in self.read]

    def visit_FunctionDef(self, node: ast.FunctionDef):
        """A def nested in the function (a hook, a helper) has a scope of its own: a list of the outer function
        it changes in an `if` is its free variable, never copied there (binding the name would make it local
        to the def, unbound when the def runs)."""
        outer, self.local = self.local, _locals_of(node)
        try:
            self.generic_visit(node)
        finally:
            self.local = outer
        return node

    def visit_If(self, node: ast.If):
        if getattr(node, "_gs_keep", False):
            return node  # (_for_scope's unbinding: a Python `if`)
        self.generic_visit(node)
        stmts = node.body + node.orelse
        # (a break / continue of a loop nested in the `if` is that loop's: the `if` can still be a function)
        if any(isinstance(n, ast.Return) for n in _own(stmts)) or \
                any(isinstance(n, (ast.Break, ast.Continue)) for n in _own_in_loop(stmts)):
            node.test = _test(node.test)
            return node
        self.n += 1
        fresh = [n for n in _mutated(stmts) if n in self.local]
        names = self._outputs(sorted(set(s for s in _assigned(stmts) if not s.startswith("_gs_fn")) | set(fresh)))
        t = _def(f"_gs_fn{self.n}t", names, node.body + [ast.Return(value=_tuple(names))])
        f = _def(f"_gs_fn{self.n}f", names, node.orelse + [ast.Return(value=_tuple(names))])
        call = _helper("if_", _test(node.test), _name(t.name), _name(f.name),
                       _helper("vals", ast.Call(func=_name("locals"), args=[], keywords=[]), _strs(names)),
                       _strs(names))
        if getattr(node, "_gs_exit", False):  # (pass 2b's: a side that returned leaves only the return value)
            call.keywords = [ast.keyword(arg="returns", value=ast.Constant(True))]
        if getattr(node, "_gs_swapped", False):
            call.keywords.append(ast.keyword(arg="swapped", value=ast.Constant(True)))
        if fresh and names:
            call.keywords.append(ast.keyword(arg="fresh", value=_strs([n for n in fresh if n in names])))
        rebound = [n for n in _aug_targets(stmts) if n in self.local and n in names]
        if rebound:
            call.keywords.append(ast.keyword(arg="rebound", value=_strs(rebound)))
        done = ast.Assign(targets=[_tuple(names, True)], value=call) if names else ast.Expr(value=call)
        after = [] if getattr(node, "_gs_exit", False) else self._unbind(node, names, call)
        return [t, f, _at_line(done, node)] + after

    @staticmethod
    def _unbind(node: ast.If, names: list[str], call: ast.Call) -> list[ast.stmt]:
        """A user's name only one side assigns: unbound after the `if` where the cond left it so (_graph_unbound)."""
        body, orelse = set(_assigned(node.body)), set(_assigned(node.orelse))
        one = [n for n in names if not n.startswith("_gs_") and (n in body) != (n in orelse)]
        if one:
            call.keywords.append(ast.keyword(arg="one_sided", value=_strs(one)))
        side = {n: ast.Constant("true" if n in body else "false") for n in one}
        # (read through locals(): a loop's next pass may meet the name already unbound)
        value = {n: ast.Subscript(value=_helper("vals", ast.Call(func=_name("locals"), args=[], keywords=[]),
                                                _strs([n])), slice=ast.Constant(0), ctx=ast.Load()) for n in one}
        return [_at_line(ast.If(test=_helper("unbound", value[n], ast.Constant(n), side[n]),
                                body=[ast.Delete(targets=[ast.Name(id=n, ctx=ast.Del())])], orelse=[]), node)
                for n in one]

    def visit_While(self, node: ast.While):
        self.generic_visit(node)
        if any(isinstance(n, (ast.Return, ast.Break, ast.Continue)) for n in _own_in_loop(node.body)):
            node.test = _test(node.test)  # a jump the rewrite cannot follow (in a with / try): Python's loop
            return node
        names = _assigned(node.body)
        self.n += 1
        c = _def(f"_gs_fn{self.n}c", names, [ast.Return(value=_test(node.test))])
        b = _def(f"_gs_fn{self.n}b", names, node.body + [ast.Return(value=_tuple(names))])
        call = _helper("while_", _name(c.name), _name(b.name),
                       _helper("vals", ast.Call(func=_name("locals"), args=[], keywords=[]), _strs(names)),
                       _strs(names))
        # a user's name the body alone assigns (not a traced range's loop variable): unbound after (_graph_unbound)
        ranged = node.body and isinstance(node.body[0], ast.Assign) and \
            isinstance(node.body[0].value, ast.Name) and node.body[0].value.id.startswith("_gs_i")
        user = [] if ranged else [n for n in names if not n.startswith("_gs_")]
        undef = f"_gs_undef{self.n}"
        pre = _set(undef, _helper("undefined", ast.Call(func=_name("locals"), args=[], keywords=[]), _strs(user)))
        post = [_at_line(ast.If(test=_helper("unbound_loop", ast.Constant(n), _name(undef)),
                                body=[ast.Delete(targets=[ast.Name(id=n, ctx=ast.Del())])], orelse=[]), node)
                for n in user]
        loop = ast.Assign(targets=[_tuple(names, True)], value=call) if names else ast.Expr(value=call)
        return [c, b] + ([_at_line(pre, node)] if user else []) + [loop] + post


def _source_def(f: types.FunctionType) -> "ast.FunctionDef | None":
    """f's definition as parsed from its source (a lambda as `def _gs_lambda(args): return body`)."""
    if f.__name__ == "<lambda>":
        return _lambda_def(f)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(f)))
    except (OSError, TypeError, SyntaxError):
        return None
    ast.increment_lineno(tree, f.__code__.co_firstlineno - 1)  # tracebacks name the user's lines
    fdef = tree.body[0]
    return fdef if isinstance(fdef, ast.FunctionDef) and fdef.name == f.__name__ else None


def _lambda_def(f: types.FunctionType) -> "ast.FunctionDef | None":
    """The one lambda of f's source file on f's first line with f's parameters (None when not one)."""
    try:
        tree = ast.parse("".join(linecache.getlines(inspect.getsourcefile(f) or "")))
    except (OSError, TypeError, SyntaxError):
        return None
    code = f.__code__
    params = list(code.co_varnames[:code.co_argcount])
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and n.lineno == code.co_firstlineno
             and [a.arg for a in n.args.args] == params]
    if len(found) != 1:
        return None
    d = _def("_gs_lambda", [], [ast.copy_location(ast.Return(value=found[0].body), found[0])])
    d.args = found[0].args
    return ast.copy_location(d, found[0])


def _rewrite_function(f: types.FunctionType):
    fdef = _source_def(f)
    if fdef is None or any(isinstance(n, (ast.Global, ast.Nonlocal, ast.Yield, ast.YieldFrom, ast.Await))
                           for n in _own(fdef.body)):
        return None
    _private_names.mangle(fdef, f)  # (compiled outside its class: `self.__x` as Python spells it there)
    loads = _graph_names.free_loads(fdef)  # (before the passes below add names of their own)
    tries = any(isinstance(n, ast.Try) for n in _own(fdef.body))  # (the user's own: before the catch added below)
    # (statements MindSpore 2.10's graph parser refuses: `del`, and `nonlocal` in a function nested here)
    unparsed = "Delete" if any(isinstance(n, ast.Delete) for n in _own(fdef.body)) else \
        "Nonlocal" if any(isinstance(n, ast.Nonlocal) for n in ast.walk(fdef)) else None
    if "__class__" in f.__code__.co_freevars:
        _explicit_super(fdef)
    fdef.body = _flatten([_ForScope(fdef).visit(s) for s in fdef.body])
    ranges = _Ranges()
    fdef.body = _flatten([ranges.visit(s) for s in fdef.body])
    # a list a graph appends to (a module's, a closure's, an argument's, a local's): a new value, as MindSpore's
    _graph_lists.rebind(fdef, _locals_of(fdef), _H)
    _graph_attr.wrap_numpy_globals(fdef, f.__globals__, _locals_of(fdef) | set(f.__code__.co_freevars), _H)
    stores = _Stores(_locals_of(fdef))
    fdef.body = [_Shifts().visit(_Repeats().visit(_Slices().visit(_Dicts().visit(_Members().visit(stores.visit(
        _Calls().visit(_Raises().visit(s)))))))) for s in fdef.body]
    jumps = _Jumps()
    fdef.body = _flatten([jumps.visit(s) for s in fdef.body])
    one_exit = _SingleExit.applies(fdef.body)
    if one_exit:
        fdef.body = _SingleExit().rewrite(fdef.body)
    if jumps.returns or one_exit:
        fdef.body = [_set("_gs_ret", False), _set("_gs_rv", _helper("undef"))] + fdef.body
    functional = _Functional(_names_read(fdef), _locals_of(fdef))
    fdef.body = _flatten([functional.visit(s) for s in fdef.body])
    # a Python number divided by zero: MindSpore's graph ValueError (_graph_zero_div), raised where it happened;
    # a missing attribute: its graph's type names (_graph_attr)
    catch = ast.parse(f"try:\n    pass\nexcept ZeroDivisionError as _gs_z:\n    raise {_H}.zero_division(_gs_z)\n"
                      f"except UnboundLocalError as _gs_u:\n    raise {_H}.unbound_error(_gs_u)\n"
                      f"except AttributeError as _gs_a:\n    raise {_H}.attribute_error(_gs_a)").body[0]
    assert isinstance(catch, ast.Try)
    catch.body = fdef.body
    fdef.body = [catch]
    fdef.decorator_list = []
    fdef.args.defaults = []  # defaults are the original's values (set after), not re-evaluated here
    fdef.args.kw_defaults = [None] * len(fdef.args.kwonlyargs)
    free = list(f.__code__.co_freevars) + [_H]  # closures: the outer def binds them again by name
    if "__class__" in free:  # zero-argument super() reads the __class__ cell: keep it a free variable
        fdef.body.insert(0, ast.Expr(value=_name("__class__")))
    outer = _def("_gs_outer", free, [fdef, ast.Return(value=_name(fdef.name))])
    mod = ast.fix_missing_locations(ast.Module(body=[outer], type_ignores=[]))
    ns: dict[str, Any] = {}
    exec(compile(mod, inspect.getsourcefile(f) or "<construct>", "exec"), f.__globals__, ns)  # noqa: S102 - own source
    outer_fn = ns["_gs_outer"]
    # the rewrite keeps f's qualified name: a call's TypeError names `Net.construct()` as Python's would
    outer_fn.__code__ = outer_fn.__code__.replace(co_consts=tuple(
        c.replace(co_qualname=f.__code__.co_qualname) if isinstance(c, types.CodeType) and c.co_name == fdef.name
        else c for c in outer_fn.__code__.co_consts))
    outer_fn._gs_loads, outer_fn._gs_tries, outer_fn._gs_unparsed = loads, tries, unparsed
    outer_fn._gs_refusal = _graph_names.comprehension_refusal(fdef)
    return outer_fn


def convert(fn: Callable) -> Callable:
    """fn with its control flow rewritten (fn itself when there is none or it cannot be read)."""
    target = fn.__func__ if isinstance(fn, types.MethodType) else fn
    if not isinstance(target, types.FunctionType) or _library(target) or hasattr(target, "__wrapped__"):
        return fn  # (a decorator's wrapper: its source is the wrapped function's, without the decorator)
    if graph_semantics() and _graph_globals.writes_globals(target):
        return _graph_globals.convert(fn)  # (its writes a graph's: the module's globals never change)
    outer = _cache.get(target.__code__, lambda: _rewritten_or_none(target))
    if outer is None:
        return fn
    if graph_semantics():  # a name nothing defines: MindSpore's NameError before the function runs
        _graph_names.check(target, outer._gs_loads)
        if outer._gs_tries:  # MindSpore 2.10's graph parser refuses try (its own tests check this text)
            raise RuntimeError("Unsupported statement 'Try'.")
        if outer._gs_unparsed:  # (`del x`, `del L[0]`, `nonlocal n`: MindSpore 2.10's, /work/scratch_left35/p5b.py, p5c.py)
            raise RuntimeError(f"Unsupported statement '{outer._gs_unparsed}'. More details please refer to syntax "
                               "support at https://www.mindspore.cn")
        if outer._gs_refusal:  # (syntax its graph mode does not parse: a comprehension of two `for`s)
            raise TypeError(outer._gs_refusal)
    if outer.__globals__ is not target.__globals__:
        # equal code objects (the same text at the same line of another module or exec; Python's code equality
        # leaves out the file) share one rewrite: it runs in this function's own globals, not the first one's
        outer = types.FunctionType(outer.__code__, target.__globals__, outer.__name__)
    cells = []
    for c in target.__closure__ or ():
        try:
            cells.append(c.cell_contents)
        except ValueError:  # a closure cell not filled yet (a recursive local function): leave fn as it is
            return fn
    new = outer(*cells, HELPERS)
    new.__defaults__, new.__kwdefaults__ = target.__defaults__, target.__kwdefaults__
    _pyguard.converted(new, target)  # (a PyNative trace's guards read target's cells: _pyguard)
    return types.MethodType(new, fn.__self__) if isinstance(fn, types.MethodType) else new


def _rewritten_or_none(target: types.FunctionType):
    try:
        return _rewrite_function(target)
    except SyntaxError:
        return None


def _library(f: types.FunctionType) -> bool:
    """gradserve's own functions (and NumPy's, JAX's, the standard library's: copy.deepcopy...) are not the
    user's: never rewritten (they run as Python, as MindSpore's graph mode falls back to Python for them)."""
    if (getattr(f, "__module__", None) or "").split(".")[0] in _SKIP:
        return True
    path = os.path.realpath(f.__code__.co_filename)  # the standard library's files (a user module named `code`
    return path.startswith(_STDLIB) and "site-packages" not in path  # is not one)


_STDLIB = tuple(os.path.realpath(sysconfig.get_paths()[k]) + os.sep for k in ("stdlib", "platstdlib"))


def _call(f):
    """A user's plain function or method, rewritten before it runs inside rewritten code; len, the length of a
    dynamic-length sequence as a value unknown when compiling (_dynamic_len.length); map / zip / enumerate in a
    trace, MindSpore's refusal of a dynamic-length argument; tuple / list in a trace, of a mutable sequence a
    mutable one (_dynamic_len.keep_kind); a list's / tuple's index / count in a graph, MindSpore's matches (_member_in);
    a list's insert / pop in a graph, its int index (_graph_index);
    max / min / any / all / enumerate in a graph, its rules;
    isinstance in a graph, its refusal's text; print, a graph's; a class
    MindSpore refuses to make inside a graph, its refusal."""
    if f is len:
        return _dynamic_len.graph_length if graph_semantics() else _dynamic_len.length
    if f is int or f is operator.index:  # (the user's own read of a joined number: allowed, where an op's is not)
        return _join_kinds.user_read(f)
    if (f is map or f is zip or f is enumerate) and _dynamic_len.in_graph():
        traced = _dynamic_len.no_dynamic_input(f, as_sequence=graph_semantics())
        return _graph_enumerate.checked(traced) if f is enumerate and graph_semantics() else traced
    if isinstance(f, types.BuiltinMethodType) and f.__name__ == "index" and isinstance(f.__self__, (list, tuple)) \
            and graph_semantics():
        return graph_index(f.__self__)
    if isinstance(f, types.BuiltinMethodType) and f.__name__ == "count" and isinstance(f.__self__, (list, tuple)) \
            and graph_semantics():
        return graph_count(f.__self__)
    if isinstance(f, types.BuiltinMethodType) and f.__name__ in ("insert", "pop") and type(f.__self__) is list \
            and graph_semantics():
        return _graph_index.checked_insert(f.__self__) if f.__name__ == "insert" else _graph_index.checked_pop(f.__self__)
    if (f is tuple or f is list) and _dynamic_len.in_graph():
        return _dynamic_len.keep_kind(f)
    if (f is max or f is min) and graph_semantics():
        return _graph_minmax.checked(f)
    if f is isinstance and graph_semantics():
        return _graph_isinstance.graph_isinstance
    if (f is any or f is all) and graph_semantics():
        return _graph_minmax.truth_by_value(f)
    if isinstance(f, type) and issubclass(f, np.generic) and graph_semantics():
        return _graph_attr.numpy_scalar(f)
    if f is print and _graph_print.in_graph_run():  # (a graph's print is its run's; PyNative's Python's own)
        return _graph_print.graph_print
    if isinstance(f, type) and f in _MADE_OUTSIDE_ONLY and _context.get_context("mode") == _context.GRAPH_MODE:
        name = f"{_MADE_OUTSIDE_ONLY[f]}.{f.__name__}"  # MindSpore 2.10's refusal and text
        raise ValueError(f"Failed to compile in GRAPH_MODE because creating class '{name}' instances is not supported "
                         f"in 'construct' or @jit decorated function. Try to create class '{name}' instances external "
                         "such as initialized in the method '__init__' before assigning.")
    return convert(f) if isinstance(f, (types.FunctionType, types.MethodType)) else f


# classes MindSpore's graph mode does not let a construct / jit function instantiate (their MindSpore module)
_MADE_OUTSIDE_ONLY = {Parameter: "mindspore.common.parameter",
                      MultitypeFuncGraph: "mindspore.ops.composite.base"}


class _Helpers:
    """What rewritten code calls (one object, passed to the rewritten function as `_gs_`)."""
    setitem = staticmethod(_graph_lists.item_written)  # a list's in a graph: a new one; then _seq_setitem's
    setitem_op = staticmethod(_graph_lists.item_written_op)
    list_append, list_clear = staticmethod(_graph_lists.appended), staticmethod(_graph_lists.cleared)
    list_changed, list_popped = staticmethod(_graph_lists.changed), staticmethod(_graph_lists.popped)
    list_setitem = staticmethod(_graph_lists.item_set)  # (a module's list in a graph: a new value, _graph_lists)
    operators = operator
    if_ = staticmethod(run_if)
    while_ = staticmethod(run_while)
    call = staticmethod(_call)
    member_in = staticmethod(member_in)
    member_not_in = staticmethod(member_not_in)
    make_dict = staticmethod(make_dict)
    getslice = staticmethod(_dynamic_len.getslice)
    getitem = staticmethod(_graph_index.getitem)
    repeated = staticmethod(_dynamic_len.repeated)
    zero_division = staticmethod(_graph_zero_div.in_graph)
    attribute_error = staticmethod(_graph_attr.in_graph)
    numpy_global = staticmethod(_graph_attr.numpy_global)
    shift, int_pow = staticmethod(_graph_shift.shift), staticmethod(_graph_shift.int_pow)
    unbound = staticmethod(_graph_unbound.unbound)
    unbound_error = staticmethod(_graph_unbound.error)
    self_item_target = staticmethod(_graph_unbound.self_item_target)
    undefined = staticmethod(_graph_unbound.undefined)
    unbound_loop = staticmethod(_graph_unbound.unbound_loop)
    unbound_for = staticmethod(_graph_unbound.unbound_for)
    raise_ = staticmethod(_graph_raise.raise_)
    fstring = staticmethod(_graph_raise.fstring)
    and_ = staticmethod(logic.and_)
    or_ = staticmethod(logic.or_)
    not_ = staticmethod(logic.not_)
    go = staticmethod(logic.go)
    is_true = staticmethod(logic.is_true)
    static_range = staticmethod(logic.static_range)
    range_go = staticmethod(logic.range_go)

    @staticmethod
    def vals(local: dict, names: tuple) -> tuple:
        return tuple(local.get(n, UNDEF) for n in names)

    @staticmethod
    def undef():
        return UNDEF


HELPERS = _Helpers()

late.bind(loops=convert)
