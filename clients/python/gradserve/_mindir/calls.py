"""Sub-graphs of a MindIR file MindSpore wrote (control flow, nested Cells) run as the SDK's control flow.

MindSpore writes a branch as `call(Switch(cond, Partial(true graph, args), Partial(false graph, args)))`: here a
Partial is a `Func` (a sub-graph with its first arguments bound), Switch picks one by the condition's truth (a
traced condition forks the trace as an `if` in construct does: the engine's `cond`), and a call runs the picked
sub-graph. A `while` is a sub-graph H ("header") whose tail is such a call where every path of one side ends in a
tail call of H again (the loop body, through continuation graphs) and no path of the other does (the exit): H's
call runs as the SDK's while loop (`_while.run_while`: a Python loop on concrete values, the engine's `while` on
traced ones, so gradients flow in GRAPH_MODE), its Tensor arguments the loop state. A body whose other paths end
(a `break`) adds the loop's value and a flag to the state; a body that tail-calls another loop's header runs
that loop, then follows its exit (a while in a while). `for` over a range and `if`s inside a loop body are
unrolled / nested sub-graphs MindSpore already wrote out; they run as calls.
"""
from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass
from typing import Any

from .reader import CALL, MindIRError, Monad

_KEEP_MONADS = {"UpdateState", "Partial", "Switch", CALL}  # (monads are a sub-graph's inputs: kept in position)


@dataclass
class Loop:
    """A while loop's header: its Switch node's index, the condition, the body / exit Partials' names."""
    switch_at: int
    cond: str
    body: str
    exit: str
    negate: bool  # the body is the Switch's false side (`while not ...`)
    breaks: bool = False  # some body paths end without calling the header (a `break`: their value is the loop's)


@dataclass
class Code:
    """One graph compiled: [(node, callable)], its constants as the SDK's values, its tail call, its loop shape."""
    name: str
    inputs: list
    outputs: list
    steps: list
    constants: dict
    tail: int | None = None   # index of the CALL node its output is (through Depend), if any
    loop: Loop | None = None
    shared: dict | None = None  # (the main graph's: every graph's constants, shared_constants)


class Func:
    """A sub-graph as a value (MindSpore's FuncGraph / Partial): calling it runs the graph."""

    def __init__(self, runner: "Runner", name: str, bound: tuple = ()):
        self.runner, self.name, self.bound = runner, name, bound

    def bind(self, args) -> "Func":
        return Func(self.runner, self.name, self.bound + tuple(args))

    def __call__(self, *args):
        return self.runner.call(self.name, self.bound + args)


def framework(op_type: str):
    """Partial / Switch / call nodes' callables (replay's table for MindSpore's graph-structure primitives)."""
    return {
        "Partial": lambda a: _func(a[0], "Partial").bind(a[1:]),
        "Switch": lambda a: a[1] if _truth(a[0]) else a[2],
        CALL: lambda a: _func(a[0], "call")(*a[1:]),
    }.get(op_type)


class _NotAGraph(MindIRError):
    """A Partial / call of a value that is not a sub-graph (Runner.eval names the node)."""


def _func(v, what: str) -> Func:
    if not isinstance(v, Func):
        raise _NotAGraph(f"{what} of a {type(v).__name__}, not a sub-graph")
    return v


def _same(a, b) -> bool:
    """A loop input that is not state passed on unchanged (a Parameter, a monad, a Python value)."""
    if a is b or (isinstance(a, Monad) and isinstance(b, Monad)):
        return True
    return type(a) is type(b) and isinstance(a, (int, float, bool, str, type(None))) and a == b


def _truth(c) -> bool:
    return bool(c)  # (a traced Tensor's __bool__ forks the trace: the engine's cond)


def tail_index(code: Code) -> int | None:
    """The index of the CALL node a graph's output is, looking through Depend (MindSpore's ordering wrapper)."""
    at = {o: i for i, (n, _) in enumerate(code.steps) for o in n.outputs}
    i = at.get(code.outputs[0]) if len(code.outputs) == 1 else None
    while i is not None and code.steps[i][0].op_type == "Depend":
        i = at.get(code.steps[i][0].inputs[0])
    return i if i is not None and code.steps[i][0].op_type == CALL else None


def find_loops(codes: dict) -> None:
    """Mark each sub-graph that is a while loop's header (code.loop)."""
    for code in codes.values():
        code.tail = tail_index(code)
    for _ in range(len(codes)):  # (again while new ones are found: an outer loop's body runs an inner loop)
        if not _new_loops(codes):
            break


def _new_loops(codes: dict) -> bool:
    found = False
    for name, code in codes.items():
        sides = _switch_sides(code) if code.loop is None else None
        if sides is None:
            continue
        sw_at, cond, (t_part, t_fn), (f_part, f_fn) = sides
        t, f = _outcomes(codes, t_fn, name, set()), _outcomes(codes, f_fn, name, set())
        for body, exit_, b_part, e_part, negate in ((t, f, t_part, f_part, False), (f, t, f_part, t_part, True)):
            if body == {"loop"} and exit_ != {"loop"}:
                code.loop = Loop(sw_at, cond, b_part, e_part, negate)
            elif "loop" in body and body <= {"loop", "end"} and exit_ == {"end"}:
                code.loop = Loop(sw_at, cond, b_part, e_part, negate, breaks=True)
            else:
                continue
            found = True
            break
    return found


def _switch_sides(code: Code):
    """(Switch index, condition, (true Partial, its graph), (false Partial, its graph)) where the graph's tail
    calls a Switch of two Partials of sub-graphs, else None."""
    if code.tail is None:
        return None
    at = {o: i for i, (n, _) in enumerate(code.steps) for o in n.outputs}
    sw = at.get(code.steps[code.tail][0].inputs[0])
    if sw is None or code.steps[sw][0].op_type != "Switch":
        return None
    cond, a, b = code.steps[sw][0].inputs
    sides = []
    for p in (a, b):
        i = at.get(p)
        if i is None or code.steps[i][0].op_type != "Partial":
            return None
        sides.append((p, code.steps[i][0].inputs[0]))
    return sw, cond, sides[0], sides[1]


def _outcomes(codes: dict, name: str, header: str, seen: set) -> set:
    """How the paths of sub-graph `name` end: "loop" (a tail call of `header`), "end" (a graph with no tail call:
    its value), "?" (anything else: a cycle, a call of a value the graph does not pick by a Switch)."""
    if name in seen or name not in codes:
        return {"?"}
    seen = seen | {name}
    code = codes[name]
    if code.tail is None:
        return {"end"}
    callee = code.steps[code.tail][0].inputs[0]
    if callee in codes:
        inner = codes[callee].loop
        if callee != header and inner is not None and not inner.breaks:  # (a loop runs, then its exit goes on)
            return _outcomes(codes, _partial_graph(codes[callee], inner.exit), header, seen)
        return {"loop"} if callee == header else _outcomes(codes, callee, header, seen)
    sides = _switch_sides(code)
    if sides is None:
        return {"?"}
    return _outcomes(codes, sides[2][1], header, seen) | _outcomes(codes, sides[3][1], header, seen)


def _partial_graph(code: Code, partial: str) -> str:
    """The sub-graph a Partial node of `code` binds."""
    return next(n.inputs[0] for n, _ in code.steps if partial in n.outputs)


class _Ambiguous:
    """A Constant's name two graphs define with different values: a graph reading it without its own is refused."""


def shared_constants(codes: dict) -> dict:
    """The Constants any graph may read (MindSpore's sub-graphs read the main graph's and each other's by name;
    a graph's own come first)."""
    out: dict = {}
    ambiguous: set = set()
    for c in codes.values():
        for k, v in c.constants.items():
            if k in out and not _same_constant(out[k], v):
                ambiguous.add(k)
            out.setdefault(k, v)
    return {**out, **{k: _Ambiguous() for k in ambiguous}}


def _same_constant(a, b) -> bool:
    if a is b:
        return True
    if hasattr(a, "asnumpy") and hasattr(b, "asnumpy"):
        x, y = a.asnumpy(), b.asnumpy()
        return x.dtype == y.dtype and x.shape == y.shape and bool((x == y).all())
    if type(a) is not type(b) or hasattr(a, "asnumpy"):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # (a tuple of Tensors: not compared, taken as different)
        return False


class Runner:
    """One run of a model's graphs: the parameters, the sub-graphs as values, the constants any graph may read
    (MindSpore's sub-graphs read Constants the main graph defines)."""

    def __init__(self, file_name: str, codes: dict, params: dict):
        self.file_name, self.codes = file_name, codes
        self.shared = {**params, **codes[None].shared}
        self.shared.update({name: Func(self, name) for name in codes if name is not None})

    def eval(self, code: Code, args, stop: int | None = None) -> ChainMap:
        """Run code's nodes (those before index `stop`) on args: the names they define."""
        if len(args) != len(code.inputs):
            raise MindIRError(f"{self.file_name}: sub-graph {code.name!r} takes {len(code.inputs)} inputs, "
                              f"got {len(args)}")
        env = ChainMap(dict(zip(code.inputs, args)), code.constants, self.shared)
        for node, fn in code.steps[:stop]:
            try:
                vals = [env[i] for i in node.inputs]
            except KeyError as e:
                raise MindIRError(f"{self.file_name}: node {node.name!r} reads {e.args[0]!r}, which no earlier node, "
                                  "input, parameter or constant defines") from None
            for i, v in zip(node.inputs, vals):
                if isinstance(v, _Ambiguous):
                    raise MindIRError(f"{self.file_name}: node {node.name!r} reads constant {i!r}, which sub-graphs "
                                      "define with different values, and its own graph does not define")
            if node.op_type not in _KEEP_MONADS:
                vals = [v for v in vals if not isinstance(v, Monad)]
            try:
                out = fn(vals)
            except _NotAGraph as e:
                raise MindIRError(f"{self.file_name}: node {node.name!r}: {e}") from None
            if len(node.outputs) == 1:
                env[node.outputs[0]] = out
            else:
                for name, v in zip(node.outputs, out):
                    env[name] = v
        return env

    def call(self, name: str, args: tuple):
        code = self.codes[name]
        if code.loop is not None:
            return self._while(code, code.loop, args)
        return self.eval(code, args)[code.outputs[0]]

    def _step(self, f: Func, args: tuple, header: str) -> tuple:
        """One trip of a loop body: run f up to its tail call; a tail call of the header gives ("loop", its
        arguments: the next state), another sub-graph's is followed (a continuation, an `if` in the body), a graph
        with no tail call gives ("end", its value: a `break`)."""
        code = self.codes[f.name]
        if code.tail is None:
            return "end", self.eval(code, f.bound + args)[code.outputs[0]]
        env = self.eval(code, f.bound + args, code.tail)
        node = code.steps[code.tail][0]
        callee = _func(env[node.inputs[0]], "call")
        cargs = tuple(env[i] for i in node.inputs[1:])
        if callee.name == header:
            return "loop", callee.bound + cargs
        inner = self.codes[callee.name].loop
        if inner is not None and not inner.breaks:  # (an inner loop: it runs, its exit's path is this trip's)
            return self._while(self.codes[callee.name], inner, callee.bound + cargs,
                               lambda exit_f: self._step(exit_f, (), header))
        return self._step(callee, cargs, header)

    def _while(self, code: Code, loop: Loop, args: tuple, then=None) -> Any:
        from .. import ops
        from .._tensor import Parameter, Tensor
        from .._while import run_while

        pos = [i for i, a in enumerate(args) if isinstance(a, Tensor) and not isinstance(a, Parameter)]
        fixed = list(args)

        def head(state):
            a = list(fixed)
            for i, v in zip(pos, state):
                a[i] = v
            return self.eval(code, a, loop.switch_at)

        def cond_fn(*state):
            c = head(state)[loop.cond]
            return ops.logical_not(c) if loop.negate else c

        def next_state(nxt):
            for i, (a, b) in enumerate(zip(fixed, nxt)):
                if i not in pos and not _same(a, b):
                    raise MindIRError(f"{self.file_name}: loop {code.name!r}: its input {code.inputs[i]!r} (a "
                                      f"{type(a).__name__}) changes from trip to trip; gradserve's loop state is "
                                      "Tensors")
            return tuple(nxt[i] for i in pos)

        names = tuple(code.inputs[i].rsplit(":", 1)[-1] for i in pos)
        start = tuple(args[i] for i in pos)
        if loop.breaks:
            return self._breaking_while(code, loop, head, next_state, start, names)

        def body_fn(*state):
            kind, nxt = self._step(head(state)[loop.body], (), code.name)
            if kind != "loop":  # (find_loops saw every body path call the header)
                raise MindIRError(f"{self.file_name}: loop {code.name!r}: a body path ends without a next trip")
            return next_state(nxt)

        final = run_while(cond_fn, body_fn, start, names)
        exit_f = head(final)[loop.exit]
        return exit_f() if then is None else then(exit_f)

    def _breaking_while(self, code: Code, loop: Loop, head, next_state, start: tuple, names: tuple):
        """A while with a `break`: the state gains the loop's value so far and a flag `going` (false after a
        break); the loop's value is the exit's when it ended by its condition, the break's value otherwise."""
        from .. import ops
        from .._tensor import Tensor
        from .._while import run_while

        n = len(start)
        template = head(start)[loop.exit]()  # (the exit's value: the break's has its shape and dtype)
        if not isinstance(template, Tensor):
            raise MindIRError(f"{self.file_name}: loop {code.name!r} with a break gives a "
                              f"{type(template).__name__}; gradserve's loops with a break give one Tensor")

        def cond_fn(*state):
            c = head(state[:n])[loop.cond]
            return ops.logical_and(state[n + 1], ops.logical_not(c) if loop.negate else c)

        def body_fn(*state):
            kind, v = self._step(head(state[:n])[loop.body], (), code.name)
            if kind == "loop":
                return (*next_state(v), state[n], Tensor(True))
            return (*state[:n], ops.cast(v, template.dtype), Tensor(False))

        final = run_while(cond_fn, body_fn, (*start, ops.zeros_like(template), Tensor(True)),
                          (*names, "loop_value", "going"))
        return head(final[:n])[loop.exit]() if _truth(final[n + 1]) else final[n]
