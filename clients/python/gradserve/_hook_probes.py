"""Real gradients for the gradient hooks of a PyNative grad call (Tensor.register_hook, ops.HookBackward,
ops.InsertGradientOf, a Cell's backward hooks: gradserve/_hooks.py).

A hook runs while the program is traced (what it returns is compiled into the backward graph), so the
gradient it is given is a placeholder: the values exist only on the service. For a hook that records
gradients (`grads.append(g)`, `print(g)`) each hooked point of a function that a top-level grad call
differentiates takes a probe: a zero value z of the program's root added after the point (a capture of the
differentiated function), whose gradient, asked of the same grad node, is the gradient arriving at the point.
The program returns those as extra outputs, and after the run (backward order: the last point first):
- each placeholder a hook was given becomes, in place, the real gradient it stood for: a hook that stored
  it holds the value (`grads[0].asnumpy()`); the hook is not called again (it runs once per backward, at
  trace time, in backward order: the rules that call the hooks are traced, the last called first, once the
  differentiated function has run: _bprop.LateRule);
- a hook that read the placeholder's value while traced (`print(g)`, `g.asnumpy()`, `float(g)`) was stopped
  there (its gradient left unchanged; what it printed before held back) and is called once more, now, with
  the real gradient, in backward order (a new gradient it returns then: Rerun, below). Its code is
  remembered: later calls do not run it while traced, only after the run, so it runs once per backward as in
  MindSpore (the first call of that code runs it twice: a side effect before its read happens twice then).
In PyNative mode a probed trace is never reused (make): the hooks' Python runs on every call. GRAPH_MODE
keeps the trace (traced again only when an argument's or a Parameter's hooks change: HookHandle) and each
later run calls again, in the order first called, every hook that gave None, with that run's gradients
(Probe.fire): a hook storing its gradient gets each call's value (a hook that changes the gradient is in the
compiled graph; its Python ran once, at compile time). A PyNative grad of a grad runs the hooks in both passes,
as MindSpore 2.10: the grad node below the root gives the first pass's gradients, carried out of the functions
around it as attribute writes are (_attr_writes.carry; filled and called first), the root's the second pass's
(called again with them, as a cached trace's run calls them); a third (or higher) order's middle passes come
out as the first does, each from a grad node above the one before (Probe.passes) and called in turn. A pass after
the first calls a point's hooks only where it reaches the point, zeros included: the engine's grad `reached`
flags, asked of its grad node after the values (wants_reach, _unreached); a point a backward computes (a Tensor
hooked in a cell's backward hook), none of the grad node whose backward it is (Probe.rule_of). A hook that reads
its gradient and returns a new one (PyNative) has the grad call run again (Rerun): at first order with the
gradient it returned as a constant, not called again; in a grad of a grad's first pass it is called while traced,
its values known, so that what it returns is differentiated by the later passes (its code remembered: _CHANGERS),
and later runs emit the ops it traced then rather than call it again (_Piece): once a pass, its first time too. A
vjp of a grad: the vjp's forward call (a grad) runs the first pass, a known changer there made traced with its
values (a _Piece), and hands each changer's values and _Piece to vjp_fn's runs (_vjp_handover), which emit its ops
again for the second pass to differentiate (or, with no _Piece, call it again traced with the forward's values). No
value where none can be given: a point outside a derived function; a grad of a grad in GRAPH_MODE, a jvp over a grad
(a hook that reads values there is refused by name, not skipped; a placeholder a hook stored there is refused when
read after the call: Unreached). A placeholder derived from the one given (`g * 2`) stays a placeholder.
"""
from __future__ import annotations

import contextlib
import io
import itertools
import sys

import numpy as np

from . import _vjp_handover, context as _context
from ._tensor import Tensor
from .dtype import COMPLEX, FLOAT


class GradientReadLater(RuntimeError):
    """A value read of a hook's placeholder gradient while the hook is traced (it is run again after the run)."""

    def __init__(self, what: str):
        super().__init__(f"{what} of a gradient a hook received: its value exists only once the grad call has "
                         "run (the hook is called again then, with the real gradient)")


class HookGrad(Tensor):
    """The placeholder gradient a probed hook gets: a traced Tensor (ops on it are traced as on any) whose value
    read stops the hook; after the run it becomes a plain Tensor holding the gradient (fill)."""

    def _concrete(self, what: str) -> np.ndarray:
        raise GradientReadLater(what)

    def __str__(self) -> str:
        raise GradientReadLater("str()")


class Unreached(HookGrad):
    """A placeholder no value will fill (its point is differentiated by a grad of a grad): reads refused by why."""

    def _concrete(self, what: str) -> np.ndarray:
        raise RuntimeError(f"{what} of a gradient a hook received inside a derivative that is itself differentiated "
                           "or traced (a grad of a grad): gradserve gives gradient values to the hooks of a top-level "
                           "grad call only (there a hook may change the gradient, not record its value)")


class KnownGrad(HookGrad):
    """A placeholder whose value an earlier run of the grad call gave (Rerun): still traced (what a hook computes
    from it is in the backward graph), its reads answered with that value."""

    def _value(self):
        return self.__dict__["_gs_known"]

    def _concrete(self, what: str) -> np.ndarray:
        return self.__dict__["_gs_known"]

    __str__ = Tensor.__str__


class Rerun(Exception):
    """A hook read its gradient's value and returned a new gradient (PyNative): the grad call is traced and run
    again (run_program) with plan: index of a hook call in the trace -> ("known", its gradients' values: the
    call is made with them while traced, so what it returns is in the backward graph), ("result",
    (the gradient it returned, the values it was given): given as a constant, the hook not called) or ("reuse", its arguments: the call
    made in the run before with them, not made again: its placeholders are filled by the next run)."""

    def __init__(self, plan: dict):
        super().__init__("a gradient hook read its gradient and changed it: the grad call is run again")
        self.plan = plan


# how many grad nodes' functions are being traced, one inside another (_trace.tracing_grad_function; 2: a grad of
# a grad's inner function: a cell backward hook there takes the form MindSpore's second pass sees, _hooks.call_cell)
grads_tracing = [0]


class Retrace(Exception):
    """A cell's backward hook was found to compute with grad_output where its form gives it to read only: the
    program is traced again, the cell in the form that gives it grad_output (_hooks.call_cell)."""


_plan: list = [None]  # the plan of the grad call traced again (Rerun), taken by the first probe of its trace
_reruns = [0]  # how many runs again the grad call being run has had (run_again)


def run_again(plan: dict, run):
    """run() (the grad call traced and run again) with plan (Rerun). Each run adds one hook call to the plan: more
    runs than that (a program whose hook calls are not the same from one run to the next) are refused."""
    if _reruns[0] > len(plan) + 1:
        raise RuntimeError("gradient hooks that read their gradient's values and change it, in a grad call whose hook "
                           f"calls differ from one run to the next ({_reruns[0]} runs): gradserve runs the call once "
                           "more per such hook, with the same hook calls each time")
    _plan[0] = plan
    _reruns[0] += 1
    try:
        return run()
    finally:
        _plan[0] = None
        _reruns[0] -= 1


def _placeholder(t: Tensor) -> Tensor:
    return HookGrad._symbolic(t._trace, t._name, t.shape, t._dtype)


def _fill(p: Tensor, value) -> None:
    if type(p) in (HookGrad, KnownGrad):
        p._data, p._trace, p._name = np.asarray(value).reshape(p._shape), None, None
        object.__setattr__(p, "__class__", Tensor)  # (a plain Tensor from now on: its reads answered)


_order = itertools.count(1)
_calls = itertools.count(1)  # the order the hooks were called in while traced: the backward's (_bprop.LateRule)


_READERS: set = set()  # the code of the hooks a value read of their placeholder gradient stopped while traced
_CHANGERS: set = set()  # of those, the code of the ones that returned a new gradient (Rerun)
_KEEPERS: set = set()  # the _behaviour of the hooks that read their gradient and gave None (first order, or known)
_KEEPERS_LOOSE: set = set()  # their _behaviour(fn, loose=True) (_kept_before)


# the _Piece of a hook call made with its values known in a form then given up (a cell's backward hook found to compute
# with grad_output in the identity form: _hooks), by _call_key: the call of the next run with those values emits
# its ops rather than calls the hook again (MindSpore calls it once a pass: its Python, a log append, ran already)
_given_up: dict = {}


def _call_key(fn, values: list) -> tuple:
    return _code(fn), tuple(None if v is None else (v.shape, str(v.dtype), v.tobytes()) for v in values)


def planned_call(call) -> int | None:
    """The index of the hook call that call (a Probe's) is about to make where it is planned with its values known
    (Rerun), else None."""
    probe = getattr(call, "__self__", None)
    if not isinstance(probe, Probe):
        return None
    idx = len(probe.root.__dict__.get("_gs_calls", ()))
    step = probe.root.__dict__.get("_gs_plan", {}).get(idx)
    return idx if step is not None and step[0] in ("known", "replay") else None


def stand_ins(tr, ts: tuple) -> tuple:
    """Placeholders in trace tr for the placeholders ts of another trace (a cell's grad_output kept by its outputs'
    identity), for a hook called with their values known to compute with them (_hooks._call_reading_output)."""
    def one(t):
        if not isinstance(t, Tensor) or t._data is not None or t._trace is tr:
            return t
        z = tr.emit("fill", [], {"shape": list(t.shape), "value": 0.0, "dtype": t._dtype},
                    [(tuple(t.shape), t._dtype)])[0]
        return _placeholder(z)
    return tuple(one(t) for t in ts)


def give_up(call, idx: int, fn, ins: tuple, r) -> bool:
    """Whether what the hook fn returned (r) at call idx was computed from the stand-ins ins (stand_ins): then the
    call's _Piece is kept for the next run's call with the same values (_given_up)."""
    root = call.__self__.root
    names = {t._name for t in ins if isinstance(t, Tensor) and t._data is None}
    tr = next((t._trace for t in ins if isinstance(t, Tensor) and t._data is None), None)
    for nd in [] if tr is None else tr.nodes:
        if any(n in names for n in nd["inputs"]):
            names.update(nd["outputs"])
    if not any(isinstance(t, Tensor) and t._name in names for t in _leaves(r)):
        return False
    piece, values = root.__dict__.get("_gs_pieces", {}).get(idx), root.__dict__.get("_gs_known", {}).get(idx)
    if piece is not None and values is not None:
        _given_up[_call_key(fn, values)] = piece
    return True


def put_back(call, idx: int, ins: tuple, originals: tuple) -> None:
    """The stand-ins ins of a call kept (give_up: False) replaced by the placeholders they stood for, in what the
    probe keeps of the call (its later passes give those their values), those made known as they were."""
    probe = call.__self__
    for s, o in zip(ins, originals):
        if s is not o and type(s) is KnownGrad and type(o) is HookGrad:
            object.__setattr__(o, "__class__", KnownGrad)
            o.__dict__["_gs_known"] = s.__dict__["_gs_known"]
    swap = {id(s): o for s, o in zip(ins, originals)}
    probe.kept = [(n, f, _with_values(a, swap)) for n, f, a in probe.kept]
    probe.later = [(f, _with_values(a, swap), i) for f, a, i in probe.later]
    calls = probe.root.__dict__["_gs_calls"]
    calls[idx] = (calls[idx][0], _with_values(calls[idx][1], swap))
    pieces = probe.root.__dict__.get("_gs_pieces", {})
    if idx in pieces:  # (a later run's replay: from the hook's gradients alone, else the hook called again)
        piece, stood = pieces[idx], {t._name for t, o in zip(ins, originals) if t is not o}
        piece.ins = {i: n for i, n in piece.ins.items() if n not in stood}
        if any(n in stood for nd in piece.nodes for n in nd["inputs"]):
            del pieces[idx]


class _Piece:
    """The ops a hook called while traced with its values known emitted (Rerun): a later run of the grad call
    emits them again in place of calling the hook once more (MindSpore runs it once a pass; its Python, a log
    append, would run again). Only a self-contained one: its inputs the hook's gradients or its own outputs."""

    def __init__(self, nodes: list, ins: dict, outs: list, many: type | None):
        self.nodes, self.ins, self.outs, self.many = nodes, ins, outs, many

    def replay(self, args):
        """What the hook returned, its ops emitted again on this run's gradients; None where they are elsewhere."""
        leaves = _leaves(args)
        tr = leaves[min(self.ins)]._trace if self.ins and len(leaves) > max(self.ins) else None
        if tr is None or any(leaves[i]._trace is not tr or leaves[i]._data is not None for i in self.ins):
            return None
        ren = {name: leaves[i]._name for i, name in self.ins.items()}
        for nd in self.nodes:
            outs = [tr.fresh() for _ in nd["outputs"]]
            ren.update(zip(nd["outputs"], outs))
            tr.nodes.append(dict(nd, inputs=[ren[n] for n in nd["inputs"]], outputs=outs))
        got = [None if o is None else Tensor._symbolic(tr, ren[o[0]], o[1], o[2]) for o in self.outs]
        return got[0] if self.many is None else self.many(got)


def _recorded(call, args) -> tuple:
    """(call(), the _Piece of the ops it emitted in its gradients' trace, or None where it is not one)."""
    leaves = _leaves(args)
    tr = next((t._trace for t in leaves if t._data is None), None)
    ins = {i: t._name for i, t in enumerate(leaves) if t._data is None and t._trace is tr}
    start = len(tr.nodes) if tr is not None else 0
    r = call()
    if tr is None or r is None:
        return r, None
    many = type(r) if type(r) in (tuple, list) else None
    res = list(r) if many is not None else [r]
    nodes = tr.nodes[start:]
    made = set(ins.values()) | {o for nd in nodes for o in nd["outputs"]}
    if any(n not in made for nd in nodes for n in nd["inputs"]) or \
            any(x is not None and (not isinstance(x, Tensor) or x._trace is not tr or x._name not in made) for x in res):
        return r, None
    outs = [None if x is None else (x._name, x.shape, x._dtype) for x in res]
    return r, _Piece(list(nodes), ins, outs, many)


def _code(fn):
    """The code object a hook runs (a closure made anew per call, a bound method: the same code each time)."""
    return getattr(getattr(fn, "__func__", fn), "__code__", None)


def _keeps(fn) -> None:
    """fn read its gradient and gave None (_KEEPERS)."""
    _KEEPERS.add(_behaviour(fn))
    _KEEPERS_LOOSE.add(_behaviour(fn, loose=True))


def _kept_before(fn) -> bool:
    """Whether a hook is known to read its gradient and give None: by its _behaviour less the values of the numbers
    it closes over, where its code never changed a gradient (a number new on each call, a step count, makes no new
    hook: no rerun to find out), else by its _behaviour (one factory's reader and changer, a scale). One found to
    change it after all runs twice then."""
    if _code(fn) in _CHANGERS:
        return _behaviour(fn) in _KEEPERS
    return _behaviour(fn, loose=True) in _KEEPERS_LOOSE


def _behaviour(fn, loose: bool = False):
    """A hook's code with the plain values it closes over (one factory's hooks of different kinds tell apart; a
    closure made anew per call, over a new list or Tensor, is the same); loose: a number's (not a bool's) type in
    place of its value."""
    cells = getattr(getattr(fn, "__func__", fn), "__closure__", None) or ()
    return _code(fn), tuple(_plain(c.cell_contents, loose) for c in cells if _filled(c))


def _plain(v, loose: bool):
    if isinstance(v, (str, bool, type(None))) or (isinstance(v, (int, float)) and not loose):
        return v
    return type(v).__name__


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # (a cell not yet bound)
        return False
    return True


class Probe:
    """One hooked point: z per probed tensor (a zero of the root), the placeholders its hooks got, the hooks
    stopped by a value read (called after the run with their arguments, by then filled)."""

    def __init__(self, root, zs: list):
        self.root, self.zs = root, zs
        self.grads: list | None = None  # the gradient of each z: outputs of the root's grad node (take)
        self.inner: list = []  # a grad node's just below the root (PyNative): its values' attribute names (take)
        self.passes: list = []  # a third order's: the middle passes' attribute names, below the root's (take)
        self.pass_trace = None  # the trace of the grad node that gave the latest pass below the root
        # made for a derived function's argument's hooks (_hooks.hooked_input): in a grad of a grad a probe of the
        # inner function's takes the first pass alone (first_only: the second is the argument's own point's,
        # outside; MindSpore calls the hook once a pass), one of the outer's takes its first pass from the inner
        # grad's gradient of the argument (arg_points)
        self.of_arg = False
        self.first_only = False
        self.point_ids: set = set()
        self.lost = False  # a grad node below the root differentiates the point: no value of ours is its
        self.placeholders: list = []
        self.later: list = []
        self.seq = 0  # when its point was made (after): the backward meets the points in the reverse order
        self.kept: list = []  # (call order, hook, its arguments) of the hooks that gave None: run again (replay)
        self.fired = False  # whether a run gave the placeholders their values (a cached trace's next runs replay)
        self.in_rule_of = ""  # the cell whose backward hook's rule (_hooks._WholeCellHook) made the probe
        self.in_loop = False  # whether its point is inside a traced while loop (make)
        # the trace whose rule (a custom bprop, a cell backward hook's) made the point: a tensor that backward
        # computes (from grad_output) is no point of that trace's own grad node, which gives it no pass (take)
        self.rule_of = tracing_rule[-1] if tracing_rule else None

    def placeholders_for(self, douts: tuple) -> tuple:
        ps = tuple(_placeholder(d) if isinstance(d, Tensor) and d._data is None else d for d in douts)
        self.placeholders.append(ps)
        return ps

    def call(self, fn, *args):
        """fn(*args) while traced; None (the gradient unchanged) for a hook stopped by a value read. A hook whose
        code was stopped so before is not called now, only after the run: it runs once per backward, as in
        MindSpore (the first call of its code runs it twice: stopped at the read, then with the values)."""
        idx = self._call_index(fn, args)
        step = self.root.__dict__.get("_gs_plan", {}).get(idx)
        if step is not None:
            return self._planned(idx, step, fn, args)
        handed = _vjp_handover.taken(fn, self.root, _behaviour)
        if handed is not None:
            return self._as_handed(idx, fn, args, *handed)
        code = _code(fn)
        if code is not None and (code in _READERS or (code not in _CHANGERS and self._after_deferred())):
            self._refuse_in_vmap()
            self._refuse_in_loop(fn)
            self.later.append((fn, args, idx))
            self.kept.append((next(_calls), fn, args))
            return None
        try:
            r = self.call_quietly(fn, args)
        except GradientReadLater:
            if code is not None:
                _READERS.add(code)
            self._refuse_in_vmap()
            self.later.append((fn, args, idx))
            r = None
        else:
            if r is None:
                self.root.__dict__["_gs_done"].add(idx)  # (ran, gave None: a rerun reuses it, not calls it)
        if r is None:
            self._refuse_in_loop(fn)
            self.kept.append((next(_calls), fn, args))
        return r

    def _after_deferred(self) -> bool:
        """Whether a hook met before this one in the backward is called after the run (a reader): this one is
        too, after it, as MindSpore orders them (one storing its gradient no longer goes first). Found then to
        change its gradient, it is a reader that changes it (the call run again: Rerun)."""
        return _context.get_context("mode") == _context.PYNATIVE_MODE and \
            not _in_user_vmap(getattr(self, "trace", None)) and \
            any(p.later for p in self.root.__dict__.get("_gs_probes", ()))

    def _call_index(self, fn, args) -> int:
        """The index of this hook call in its grad call's trace (the same in a rerun of it: Rerun)."""
        calls = self.root.__dict__.setdefault("_gs_calls", [])
        self.root.__dict__.setdefault("_gs_done", set())
        calls.append((fn, args))
        return len(calls) - 1

    def _planned(self, idx: int, step: tuple, fn, args):
        """A hook call of a rerun (Rerun.plan): made with the values known, or its run before's reused."""
        kind, what = step
        if kind == "result":  # (first order: the gradient the hook gave, as it gave it; it is not called again)
            self.root.__dict__.setdefault("_gs_results", {})[idx] = what
            return what[0]  # (what: the gradient, the values it was given)
        if kind == "reuse":  # (its placeholders: those it was given before, filled by this run)
            swap = dict(zip(map(id, _leaves(args)), _leaves(what)))
            for p in self.root.__dict__.get("_gs_probes", ()):
                p.placeholders = [tuple(swap.get(id(t), t) for t in ps) for ps in p.placeholders]
            self.root.__dict__["_gs_done"].add(idx)
            self.root.__dict__["_gs_calls"][idx] = (fn, what)
            self.kept.append((next(_calls), fn, what))
            return None
        piece = None
        if kind == "replay":  # (called in a run before: the ops it emitted then, not the hook again)
            what, piece = what
        else:  # (called with these values in a form given up: its ops, not the hook again: given_up)
            piece = _given_up.pop(_call_key(fn, what), None)
        for t, v in zip(_leaves(args), what):
            if type(t) is HookGrad and v is not None:
                object.__setattr__(t, "__class__", KnownGrad)
                t.__dict__["_gs_known"] = v
        r = None if piece is None else piece.replay(args)
        if r is None:
            r, piece = _recorded(lambda: self.call_quietly(fn, args), args)
        if r is not None:
            _CHANGERS.add(_code(fn))
            if piece is not None:
                self.root.__dict__.setdefault("_gs_pieces", {})[idx] = piece
        else:  # (the next run reuses this call, not makes it again)
            self.root.__dict__["_gs_done"].add(idx)
            _keeps(fn)
        self.root.__dict__.setdefault("_gs_known", {})[idx] = what
        # (a grad of a grad's second pass calls it again: what it returns then is in the graph already)
        self.kept.append((next(_calls), fn if r is None else _result_dropped(fn), args))
        return r

    def _as_handed(self, idx: int, fn, args, values: list, piece):
        """A first-pass call of a vjp_fn's run (_vjp_handover.vjp_backward): the forward call made it (MindSpore
        calls it there only); what it returned there is traced here again, from this run's gradients, for the
        second pass to differentiate: its ops emitted again (piece), or, where the forward call was its code's
        first (no piece), the hook called again, traced with the values it had there (its Python runs twice
        then). The second pass calls it with its own values, what it returns then in the graph already
        (_result_dropped)."""
        r = None if piece is None else piece.replay(args)
        if r is None:
            for t, v in zip(_leaves(args), values):
                if type(t) is HookGrad and v is not None:
                    object.__setattr__(t, "__class__", KnownGrad)
                    t.__dict__["_gs_known"] = v
            r = self.call_quietly(fn, args)
        self.later.append((_result_dropped(fn), args, idx))
        return r

    def _refuse_in_vmap(self) -> None:
        """A hook reading its values at a point inside a user's vmap body: those values are one example's, of
        which there are a batch (MindSpore 2.10 refuses too: vmap has no rule for the hook's Python call)."""
        if _in_user_vmap(getattr(self, "trace", None)):
            raise NotImplementedError(
                "a gradient hook that reads its gradient's values (Tensor.register_hook, ops.HookBackward, "
                "a cell's backward hook) at a point inside vmap is not supported: register it outside vmap, "
                "or return the values from the function instead")

    def _refuse_in_loop(self, fn) -> None:
        """A hook given its gradient to keep or read (it returns None) at a point inside a traced while loop (a
        `while` on a Tensor): MindSpore 2.10 calls it once a trip with that trip's gradient; the point's value here
        is the trips' sum, one call. A hook returning a new gradient is traced into the loop's body (each trip's)."""
        if _context.get_context("mode") == _context.PYNATIVE_MODE and self.in_loop:
            raise NotImplementedError(
                f"gradient hook {getattr(fn, '__name__', fn)!r} keeps or reads its gradient at a point inside a "
                "while loop on a Tensor: MindSpore calls it once a trip, with that trip's gradient, which is not "
                "kept here (only the trips' sum); register it outside the loop, or return the values instead")

    def after(self, tr, outs: tuple) -> tuple:
        """outs + z each (z: a capture of tr), the point the probe's gradient is taken at."""
        outs = tuple(o if z is None else tr.emit("add", [tr.ref(o), tr.ref(z)], {}, [(o.shape, o._dtype)])[0]
                     for o, z in zip(outs, self.zs))
        self.trace, self.names = tr, {o._name for o, z in zip(outs, self.zs) if z is not None}
        self.point_ids = {id(o) for o, z in zip(outs, self.zs) if z is not None}
        self.seq = next(_order)
        return outs

    def live(self) -> bool:
        """Whether the probed point is used (a Tensor hooked again is rebound to a new chain of its hooks: the
        old one, unused, must neither fill nor call its hooks with the zero gradient that reaches it)."""
        tr = getattr(self, "trace", None)
        if tr is None or not hasattr(tr, "output_names"):
            return True  # (not known: a trace whose outputs are not kept)
        if any(n in self.names for nd in tr.nodes for n in nd["inputs"]):
            return True
        return bool(self.names & set(_names(tr.output_names)))

    def call_quietly(self, fn, args):
        """fn(*args) with what it prints held back until it returns: a hook stopped by a value read midway
        (print("grad", g)) prints nothing now (it prints all after the run)."""
        held = io.StringIO()
        try:
            with contextlib.redirect_stdout(held):
                r = fn(*args)
        except GradientReadLater:
            raise
        except BaseException:
            sys.stdout.write(held.getvalue())  # (what a failing hook printed helps to see why)
            raise
        sys.stdout.write(held.getvalue())
        return r

    def fire(self, values: list, fresh: dict, first_pass: bool = False) -> list:
        """The first run's values filled in (the hooks that read them called); a later run of the trace (cached:
        GRAPH_MODE; a grad of a grad's second pass) gives [(call order, hook, its arguments)] to call again
        (replay) and adds this run's values to fresh (id of a placeholder -> its Tensor: a cell hook's
        arguments hold two probes' placeholders). A grad of a grad's first pass (first_pass) calls no hook: fire
        (the module's) has them called while traced in a rerun."""
        it = iter(values)
        by_z = [None if z is None else next(it) for z in self.zs]
        if self.fired:
            fresh.update({id(p): Tensor(v) for ps in self.placeholders for p, v in zip(ps, by_z) if v is not None})
            return list(self.kept)
        self.fired = True
        for ps in self.placeholders:
            for p, v in zip(ps, by_z):
                if v is not None:
                    _fill(p, v)
        if not first_pass:
            self.call_later()
        return []

    def call_later(self) -> None:
        """The hooks stopped by a value read while traced, called with their values (backward order). One that
        returns a new gradient (PyNative) has the grad call run again (Rerun), its gradient that one."""
        for fn, args, idx in self.later:
            if (_code(fn) in _CHANGERS or _vjp_handover.collecting()) and not _kept_before(fn) and \
                    _context.get_context("mode") == _context.PYNATIVE_MODE:
                # (known to change it, or a vjp's forward call, whose vjp_fn differentiates what it returns: called
                # once, in a rerun, traced with its values: its ops kept, _Piece, for vjp_fn to emit, not call it)
                raise Rerun(_rerun_plan(self.root, {idx: ("known", _values(args))}))
            r = fn(*args)
            if r is None:
                self.root.__dict__["_gs_done"].add(idx)
                _keeps(fn)
            elif _context.get_context("mode") != _context.PYNATIVE_MODE:
                _too_late(fn)
            else:
                _CHANGERS.add(_code(fn))
                raise Rerun(_rerun_plan(self.root, {idx: ("result", (r, _values(args)))}))


def _unreached(p: Probe, vals: list) -> bool:
    """Whether a pass does not pass the point (MindSpore calls no hook there: y hooked in sum(y)'s first
    derivative, a constant; the forward of a vjp inside it; the branch not taken of a traced `if` on a Tensor): the engine's reached flags of the pass's grad
    node (after the values: wants_reach), false for all; a pass reaching the point with zeros calls its hook."""
    flags = vals[sum(z is not None for z in p.zs):]
    return bool(flags) and not any(bool(np.any(f)) for f in flags)


def wants_reach(tr) -> bool:
    """Whether a grad node emitted in trace tr asks the engine which inputs its pass reaches (grad's `reached`): any
    pass over a hooked point in PyNative mode (a point the traced `if` on a Tensor passes in the branch not taken:
    MindSpore's Python `if` never passes it; a grad of a grad's later passes)."""
    return _context.get_context("mode") == _context.PYNATIVE_MODE and bool(tr.root.__dict__.get("_gs_probes"))


def _numpy(v):
    return v._host_copy() if isinstance(v, Tensor) else v


def _too_late(fn):
    raise RuntimeError(f"gradient hook {getattr(fn, '__name__', fn)!s} read its gradient's value and returned a new "
                       "gradient: the value exists only after the backward, too late to change it (a hook that "
                       "changes the gradient must not read its value)")


def _result_dropped(fn):
    """fn, called again in a grad of a grad's second pass after it changed the first's gradient (what it returns
    is in the graph already): not called where a gradient it is given has no second-pass value (a cell hook's
    grad_input, probed after the hook: its values are the hook's result, not what the hook is given)."""
    def call(*args):
        if not any(type(t) in (HookGrad, KnownGrad) for t in _leaves(args)):
            fn(*args)
    return call


def _leaves(args) -> list:
    """The Tensors of a hook's arguments, in order (plain tuples and lists looked into, as _with_values)."""
    if type(args) in (tuple, list):
        return [t for a in args for t in _leaves(a)]
    return [args] if isinstance(args, Tensor) else []


def _rerun_plan(root, steps: dict) -> dict:
    """The plan (Rerun) of the grad call's next run: the hook calls done before reused, those made with values
    known made so again, then steps (hook call index -> ("known", the values it is called with while traced) or
    ("result", the gradient it returned: a constant of the backward, as at first order it is))."""
    calls = root.__dict__["_gs_calls"]
    plan: dict = {i: ("reuse", calls[i][1]) for i in root.__dict__["_gs_done"]}
    pieces = root.__dict__.get("_gs_pieces", {})
    plan.update({i: ("replay", (v, pieces[i])) if i in pieces else ("known", v)
                 for i, v in root.__dict__.get("_gs_known", {}).items() if i not in plan})
    plan.update({i: ("result", r) for i, r in root.__dict__.get("_gs_results", {}).items()})
    plan.update(steps)
    return plan


def _values(args) -> list:
    return [None if t._data is None else np.array(t._data) for t in _leaves(args)]


def _with_values(args, fresh: dict):
    """args with each placeholder a hook was given replaced by this run's Tensor (fresh: by the placeholder's id);
    plain tuples and lists are looked into (a cell hook's gradients), nothing else (_hooks._NoGradOutput)."""
    if type(args) in (tuple, list):
        return type(args)(_with_values(a, fresh) for a in args)
    return fresh.get(id(args), args)


def _names(tree):
    if isinstance(tree, (list, tuple)):
        for t in tree:
            yield from _names(t)
    else:
        yield tree


def make(tr, xs: tuple) -> Probe | None:
    """A probe for the tensors xs at a hooked point of trace tr, or None where none can give a value."""
    if tr is None or tr is tr.root:
        return None
    if getattr(tr.root, "known", None) is None:  # (a graph traced to be kept, not run: trace_graph)
        return None
    zs = [tr.root.emit("fill", [], {"shape": list(x.shape), "value": 0.0, "dtype": x._dtype},
                       [(tuple(x.shape), x._dtype)])[0] if isinstance(x, Tensor) and x._dtype in FLOAT + COMPLEX
          else None for x in xs]
    if not any(z is not None for z in zs):
        return None
    probe = Probe(tr.root, zs)
    probe.in_loop = inside_loop(tr)
    if _plan[0] is not None and "_gs_probes" not in tr.root.__dict__:  # (the grad call run again: Rerun)
        tr.root.__dict__["_gs_plan"], _plan[0] = _plan[0], None
    tr.root.__dict__.setdefault("_gs_probes", []).append(probe)
    if _context.get_context("mode") == _context.PYNATIVE_MODE:  # (GRAPH_MODE: a cached trace's runs replay)
        tr.root.no_cache = True  # (PyNative runs the hooks' Python each call: the trace is traced again)
    return probe


def take(tr, capture_inputs: dict) -> list:
    """[(probe, input indices of its zs)] of the probes a grad node emitted in tr differentiates (capture_inputs:
    id of a captured Tensor -> its input index in the derived function). A grad of a grad in PyNative mode runs
    the hooks in both passes (MindSpore 2.10): one node below the root (its values: Probe.inner) and one at it; a
    third order in all three (the middle pass: Probe.passes); any other (GRAPH_MODE refuses it as MindSpore does,
    a second grad at one level): lost."""
    found = []
    for probe in tr.root.__dict__.get("_gs_probes", ()):
        if probe.rule_of is not None and probe.rule_of.parent is tr:
            # (a point in the backward of the function this node differentiates: MindSpore's pass of that grad never
            # reaches it, a grad of it, a later pass, may; a first-order grad gives it none: its hooks are not called)
            continue
        idx = [capture_inputs.get(id(z)) for z in probe.zs if z is not None]
        if any(i is not None for i in idx) and probe.live() and not probe.first_only:
            if probe.lost or None in idx or _in_user_vmap(tr) or \
                    (probe.grads is not None if tr is tr.root else not (_second_pass(probe) or _next_pass(probe, tr))):
                probe.lost = True  # (which of two grads of one point a hook saw is unclear; in vmap: one example's)
            else:
                probe.first_only = probe.of_arg and tr is not tr.root
                found.append((probe, idx))
    return found


def arg_points(tr, args, arg_inputs: dict, pos: list) -> list:
    """[(probe, j)]: the probes of trace tr (below the root) at an argument's hooks (of_arg) whose point is an
    argument a grad node in tr differentiates (its input pos[j]), or the input standing for it in a function
    traced below (pass_point): the gradient the node gives it is the first pass there (the root's grad gives the
    second; a third order's middle node, a middle pass)."""
    found = []
    for probe in [] if tr is tr.root else tr.root.__dict__.get("_gs_probes", ()):
        if probe.of_arg and _at_or_below(tr, getattr(probe, "trace", None)) and not probe.lost and \
                (_second_pass(probe) or _next_pass(probe, tr, True)):
            at = [pos.index(arg_inputs[i]) for i, a in enumerate(args)
                  if id(a) in probe.point_ids and arg_inputs.get(i) in pos]
            if at:
                found.append((probe, at[0]))
    return found


def pass_point(tr, args, inner: list, arg_inputs) -> None:
    """An argument that is a hooked argument's point (of_arg) has the input of trace tr made for it stand for it
    (a grad node in tr differentiating it gives the point a pass: arg_points)."""
    for probe in tr.root.__dict__.get("_gs_probes", ()):
        if probe.of_arg:
            probe.point_ids |= {id(inner[i]) for i in arg_inputs if id(args[i]) in probe.point_ids}


def _at_or_below(tr, top) -> bool:
    """Whether trace tr is top or is traced inside it."""
    while tr is not None and tr is not top:
        tr = tr.parent
    return tr is not None


def inside_loop(tr) -> bool:
    """Whether trace tr is (inside) the traced body or condition of an enclosing loop (_while)."""
    while tr is not None:
        if getattr(tr, "label", None) in ("while_body", "while_cond", "while_probe"):
            return True
        tr = getattr(tr, "parent", None)
    return False


def _in_user_vmap(tr) -> bool:
    """Whether trace tr is (below) a user's vmap body, whose values are one example's of a batch."""
    while tr is not None:
        if tr.user_vmaps:
            return True
        tr = tr.parent
    return False


# the traces whose custom bprop rules are being traced (_bprop), innermost last: a grad node there (a cell hook's
# rule differentiating the cell's call again) is the backward's own, not a grad of a grad, and its values cannot
# come out of the rule; a point made there is in that trace's backward (Probe.rule_of)
tracing_rule: list = []


def _second_pass(probe: Probe) -> bool:
    """Whether a grad node below the root may give the probe its first pass (the root's then gives the second)."""
    return not probe.inner and probe.grads is None and not tracing_rule and \
        _context.get_context("mode") == _context.PYNATIVE_MODE


def _next_pass(probe: Probe, tr, of_arg: bool = False) -> bool:
    """Whether a grad node in tr, below the root, may give the probe a middle pass of a third order: one above the
    node that gave its latest pass (a grad of the function that took that grad), in PyNative mode."""
    if not probe.inner or probe.grads is not None or tracing_rule or (probe.of_arg and not of_arg) or \
            _context.get_context("mode") != _context.PYNATIVE_MODE:
        return False
    return tr is not probe.pass_trace and _at_or_below(probe.pass_trace, tr)


def add_pass(probe: Probe, tr, names: list) -> None:
    """A pass below the root (its values' attribute names, carried out of tr): the first, then the middle ones."""
    if probe.inner:
        probe.passes.append(names)
    else:
        probe.inner = names
    probe.pass_trace = tr


def with_probes(root, out):
    """(out and the gradients the root's grad nodes gave the probes, the probes), or (out, []) for none."""
    every = root.__dict__.get("_gs_probes", ())
    _first_passes(root, every)
    for p in every:
        if p.lost:
            for ps in p.placeholders:  # (stored by a hook: a read after the call says why it has no value)
                for t in ps:
                    if type(t) is HookGrad:
                        object.__setattr__(t, "__class__", Unreached)
        if p.lost and p.later:
            fn = p.later[0][0]
            if p.in_rule_of:
                raise NotImplementedError(
                    f"gradient hook {getattr(fn, '__name__', fn)!s} reads its gradient's value inside "
                    f"{p.in_rule_of}, whose backward hook computes with grad_output, in a grad of a grad: gradserve "
                    "runs the inner hooks in that hook's rule, whose values cannot come out of it; read the "
                    "gradient without computing with grad_output, or change it without reading it")
            raise RuntimeError(f"gradient hook {getattr(fn, '__name__', fn)!s} reads its gradient's value, inside a "
                               "derivative that is itself differentiated or traced (a grad of a grad in GRAPH_MODE, a "
                               "third order, a jvp or a jit function over a grad): gradserve gives gradient values to "
                               "the hooks of a grad call and, in PyNative mode, of a grad (or vjp) of a grad only, as "
                               "MindSpore 2.10 runs them")
    probes = [p for p in every if (p.grads is not None or p.inner) and not p.lost]
    if not probes:
        return out, []
    return [out, [g for p in probes for g in p.grads or ()]], probes


def _first_passes(root, every) -> None:
    """Which first passes below the root (Probe.inner) the run gives: a vjp_fn's rerun drops its function's
    (its probes are the second pass alone: the forward's probes gave the first); one with no grad at the root
    (a jvp over a grad, which MindSpore refuses; a jit function's): lost, as is a dropped one with none."""
    rooted = any(p.grads is not None and not p.lost for p in every)
    for p in every:
        if p.inner and not all(getattr(p.__dict__.get(n), "_trace", None) is root
                               for n in p.inner + [n for names in p.passes for n in names]):
            _refuse_changers(p)
            p.lost = p.lost or p.grads is None or bool(p.passes)
            p.inner, p.passes = [], []
        elif p.inner and not rooted:
            p.lost = True


def _first_pass_hooks(firsts: list) -> None:
    """A grad of a grad's first-pass hooks stopped by a value read, with their values (backward order). One whose
    code gave None before (_kept_before) is called now; any other is called while traced with its values known, in a
    rerun (Rerun), so that a gradient it returns is traced from its own (the later passes differentiate it, as
    MindSpore's): its one call of the pass, later runs emitting its ops again (_Piece). One of _KEEPERS found to
    change its gradient now runs twice. (The values a call is made with stay right: the hooks before it in the
    backward are made as in the run that gave them.)"""
    if not firsts:
        return
    root = firsts[0].root
    for p in firsts:
        for fn, args, idx in p.later:
            if _kept_before(fn):
                if fn(*args) is None:
                    root.__dict__["_gs_done"].add(idx)
                    continue
                _CHANGERS.add(_code(fn))
            raise Rerun(_rerun_plan(root, {idx: ("known", _values(args))}))


def _refuse_changers(p: Probe) -> None:
    """A first pass dropped (a vjp_fn's rerun) has no values for a hook to read while traced: one known to change
    the gradient it reads (_CHANGERS) that the vjp's forward call did not hand over (its hook calls not this run's:
    _vjp_handover.taken) would leave the second derivative without its change."""
    for fn, _, _ in p.later:
        if _code(fn) in _CHANGERS and not _kept_before(fn):
            raise NotImplementedError(
                f"gradient hook {getattr(fn, '__name__', fn)!s} reads its gradient's value and returns a new one, in "
                "a vjp_fn of a function that takes a grad: gradserve runs such a hook in a grad (or grad of a grad) "
                "call only; use ms.grad over the grad, or change the gradient without reading its value")


def fire(probes: list, result):
    """The user's outputs of a run; each probe's hooks given their gradients, the last point first."""
    value, grads = result
    at, spans = 0, []
    for p in probes:
        n = len(p.grads or ())
        spans.append((p, list(grads[at:at + n])))
        at += n
    fresh: dict = {}
    firsts = sorted([p for p in probes if p.inner], key=lambda p: -p.seq)  # a grad of a grad's first pass
    for p in firsts:
        p.fire([_numpy(getattr(p, name)) for name in p.inner], fresh, first_pass=True)  # (attributes the run set)
    _first_pass_hooks(firsts)
    for k in range(max([len(p.passes) for p in probes], default=0)):  # (a third order's middle pass)
        _pass([(p, [getattr(p, name) for name in p.passes[k]]) for p in probes if len(p.passes) > k])
    _pass(spans)
    if probes:
        _vjp_handover.collect(probes[0].root, _behaviour)
    return value


def _pass(spans: list) -> None:
    """A pass after the first: each probe's hooks called again with its values ([(probe, values)]), the last
    point first, as a cached trace's run calls them; a point the pass does not reach (_unreached: a grad of a
    grad's later pass, the branch not taken of a traced `if`) calls none."""
    again: list = []
    fresh: dict = {}  # (this pass's values by placeholder)
    for p, vals in sorted(spans, key=lambda pv: -pv[0].seq):
        vals = [_numpy(v) for v in vals]
        if vals and not _unreached(p, vals):  # (flags in PyNative alone: wants_reach)
            again += p.fire(vals, fresh)
    for _, fn, args in sorted(again, key=lambda c: c[0]):  # (a cached trace's run: its hooks as first called)
        if fn(*_with_values(args, fresh)) is not None:
            _too_late(fn)
