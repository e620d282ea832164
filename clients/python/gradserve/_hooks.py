"""PyNative hooks (MindSpore 2.10): Tensor.register_hook, Cell.register_forward_pre_hook /
register_forward_hook / register_backward_pre_hook / register_backward_hook, ops.HookBackward.

Semantics checked against MindSpore 2.10 (CPU, PyNative) for this task:
- Tensor.register_hook(fn(grad) -> new grad or None): the gradient reaching the tensor, all its uses summed.
- Cell forward pre-hook fn(cell, inputs) -> new inputs or None; forward hook fn(cell, inputs, output) -> new
  output or None. Gradients flow through what they compute.
- backward_pre_hook fn(cell, grad_output) -> new grad_output or None (the gradient of the cell's outputs);
  backward_hook fn(cell, grad_input, grad_output) -> new grad_input or None (grad_input: the gradients of the
  cell's inputs, PyTorch's naming).
Tensor and Cell hooks act in both modes (MindSpore 2.10 applies Tensor / Parameter.register_hook and the four Cell
hook kinds under GRAPH_MODE too: its tests/st/compiler/tensor_hook; the cell kinds checked for this project, where
a lambda hook not alone on its line is MindSpore's TypeError and a backward hook in a grad of a grad, applied by
MindSpore in the first pass only, is refused: _check_graph_hooks); HookBackward in PyNative mode only, as in
MindSpore (GRAPH_MODE ignores it).

A hook runs while the program is traced: what it returns is compiled into the backward graph (an identity
whose bprop is the hook), so a hook that changes the gradient works as in MindSpore; the gradient it sees
is a placeholder which, in a top-level PyNative grad call, becomes the real gradient once the call has run,
and a hook that reads its value is run again then (_hook_probes: the rule, and where it gives no value).
The rules that call the hooks are traced once the differentiated function has run, the last called first
(_bprop.LateRule): the hooks run in backward order, as in MindSpore (the last op's first; a hook changing the
gradient is seen by those after it). A Tensor's hooks are one identity each, the first registered outermost,
their rules traced in registration order (_through_hooks).
A backward hook of a cell without Parameters runs in one custom bprop around the cell's call, where both
grad_output (dout) and grad_input (the call differentiated again) are at hand; for a cell with Parameters it
runs on an identity over the inputs (a custom bprop would give the Parameters no gradient), as does a cell with
hooked cells or gradient hooks inside (their values could not come out of its rule) or drawing random values:
grad_output, kept by an identity over its outputs, is given to be read (a hook computing with it is stopped as
a reader: its gradient, a constant then, is a grad call's last); so does a cell in a grad of a grad (MindSpore's
second pass gives the hook the whole gradient of the inputs, the first pass's backward uses of them included,
which the custom bprop's explicit inputs would leave out); a hook found to compute with grad_output there (its
values known, stand-ins of grad_output given: _hook_probes.give_up) has the program traced again, its cell in the
custom-bprop form, where its ops are emitted again, the hook not called twice (_OUTPUT_COMPUTERS; a cell with
Parameters too, the rule giving them their gradients as a {Parameter: gradient} part, which the hooks leave as they
are, as MindSpore 2.10; the inputs held constant there, so that a later pass reaches them through the hooks
alone).
Backward hooks run only where a gradient is taken: not in a forward-only call, nor inside a cell with a custom bprop.
"""
from __future__ import annotations

import ast
import inspect
import itertools
import textwrap
from typing import Any
import sys

from . import context as _context
from . import _bprop
from . import _hook_probes
from ._bprop import call_with_bprop
from ._tensor import Tensor
from . import _trace
from ._late import late
from ._trace import current

_ids = itertools.count(1)


class HookHandle:
    """What register_*hook returns: remove() takes the hook away. stale: whether the change makes the traces
    cached before stale (not for a hook of a Tensor a trace made: that trace is the only one it is in)."""

    def __init__(self, table: dict, fn, on_change=None, stale: bool = True):
        self._table, self._on_change, self.handle_id, self._stale = table, on_change, next(_ids), stale
        table[self.handle_id] = fn
        _trace.tensor_hooks[0] = sys.modules[__name__]  # from now on traces look for hooked tensors
        _trace.mode_epoch[0] += stale  # GRAPH_MODE traces cached before ran the old hooks: stale

    def remove(self) -> None:
        if self._table.pop(self.handle_id, None) is None:
            return
        _trace.mode_epoch[0] += self._stale
        if self._on_change is not None:
            self._on_change()


def _pynative() -> bool:
    return _context.get_context("mode") == _context.PYNATIVE_MODE


def _plain_call(fn, *args):
    return fn(*args)


class _Identity:
    """Identity on n tensors whose bprop is rule(douts, call) -> n gradients (None: the gradient unchanged);
    the rule calls each user hook as call(hook, *args) (a probe's: see _hook_probes)."""

    def __init__(self, rule, n: int, probe=None):
        self.rule, self.n, self.probe = rule, n, probe

    def construct(self, *xs):
        return xs if self.n > 1 else xs[0]

    def bprop(self, *a):
        douts = tuple(a[-1] if self.n > 1 else (a[-1],))
        if self.probe is not None:
            douts = self.probe.placeholders_for(douts)
        new = self.rule(douts, self.probe.call if self.probe is not None else _plain_call)
        if new is None:
            return tuple(douts)
        new = tuple(new) if isinstance(new, (tuple, list)) else (new,)
        if len(new) != self.n:
            raise ValueError(f"a gradient hook returned {len(new)} gradient(s) for {self.n} tensor(s)")
        return tuple(d if g is None else g for g, d in zip(new, douts))


def with_grad_rule(xs: tuple[Any, ...], rule) -> Any:
    """xs unchanged forward; their gradients are rule(gradients, call) (inside a trace; outside, xs). The
    gradients reaching this point are probed (_hook_probes): the hooks get their real values after the run."""
    tr = current()
    if _forward_only(tr) or not xs:
        return xs[0] if len(xs) == 1 else xs
    probe = _hook_probes.make(tr, tuple(xs))
    ident = _Identity(rule, len(xs), probe)
    _trace.arg_hooks_off[0] += 1
    try:
        out = call_with_bprop(ident, xs, _bprop.late_rule(ident.bprop, "_Identity"))
    finally:
        _trace.arg_hooks_off[0] -= 1
    if probe is None:
        return out
    outs = probe.after(tr, _tensors(out))
    return outs if len(xs) > 1 else outs[0]


def _forward_only(tr) -> bool:
    """Whether no gradient of what trace tr computes is ever taken: outside a trace, or at the top level of a
    program (a derivative traces the function it differentiates as a nested trace: a top-level call is a
    forward-only run, which calls no gradient hook, as MindSpore's forward call of vjp)."""
    return tr is None or tr.parent is None


# -- tensor hooks ---------------------------------------------------------------------------------
def _tensor_rule(fn):
    def rule(douts, call):
        _trace.uncacheable()  # (the hook is Python: a PyNative call runs it again)
        r = call(fn, douts[0])
        if r is not None and not isinstance(r, Tensor) and _pynative():  # (MindSpore 2.10 PyNative's text)
            raise RuntimeError(f"Tensor hook should be return Tensor, but get type: {type(r).__name__}.")
        return None if r is None else (r,)
    return rule


def _backward_hook_result(r, grads) -> tuple:
    """A Cell backward hook's new grad_input, checked as MindSpore 2.10 PyNative checks it: a Tensor or a tuple of
    them, one per input, each of its input gradient's shape and dtype (a number, a tuple of two for one input, an
    Int32 or (3,) gradient for a Float32 (2,) input: its TypeError / ValueError, where gradserve used or cast them)."""
    new = _tensors(r)
    if not _pynative():
        return new
    if not isinstance(r, (Tensor, tuple, list)):
        raise TypeError(f"The output type of function: hook_backward_grad should be a tensor but got {type(r).__name__}.")
    if len(new) != len(grads):
        raise TypeError(f"The backward hook return value size is {len(new)} not equal to expect grad input size "
                        f"{len(grads)}")
    for g, want in zip(new, grads):
        if isinstance(g, Tensor) and isinstance(want, Tensor) and (g.shape != want.shape or g.dtype != want.dtype):
            def form(t):
                return f"Tensor shape:[[const vector]{{{', '.join(str(n) for n in t.shape)}}}]{t.dtype}"
            raise ValueError("The output type of function: hook_backward_grad is not consistent with the expected, it "
                             f"should be {form(want)}, but got {form(g)}")
    return new


def _through_hooks(x, table: dict, made: dict | None = None, of_arg: bool = False) -> Any:
    """x through its tensor hooks: one identity per hook (each hook's own gradient can be probed), the first
    registered outermost (it sees the gradient first, as MindSpore runs them); their rules, which call the
    hooks, are traced first and in that order too. made: handle id -> (identity, probe, traced rule) of the
    hooks traced for x before (a registration rebuilds x's chain: each hook is traced once, not once a chain)."""
    tr = current()
    if _forward_only(tr) or not table:
        return x
    made = {} if made is None else made
    _trace.arg_hooks_off[0] += 1
    try:
        steps = []
        for hid, fn in table.items():
            if hid not in made:
                probe = _hook_probes.make(tr, (x,))
                if probe is not None:
                    probe.of_arg = of_arg
                ident = _Identity(_tensor_rule(fn), 1, probe)
                made[hid] = (ident, probe, _bprop.late_rule(ident.bprop, "_Identity")
                             or _bprop.trace_rule(ident, (x,), x, [x], _trace.flatten(x)[1]))
            steps.append(made[hid])
        for ident, probe, binfo in reversed(steps):
            x = call_with_bprop(ident, (x,), binfo)
            x = x if probe is None else probe.after(tr, (x,))[0]
    finally:
        _trace.arg_hooks_off[0] -= 1
    return x


def register_hook(t: Tensor, fn) -> HookHandle:
    """Tensor.register_hook(fn). A traced tensor is rebound, at each registration and removal, to an
    identity over its unhooked value whose bprop applies its hooks in registration order (its later uses
    take them); a concrete one (an input, a Parameter) keeps its hooks for the traces that use it."""
    if not callable(fn):
        raise TypeError(f"Tensor.register_hook: the hook must be callable, got {type(fn).__name__}")
    if getattr(t, "requires_grad", True) is False:
        raise RuntimeError("The tensor requires grad is false, which can not register tensor hook")
    table = t.__dict__.setdefault("_gs_hooks", {})
    traced = t._data is None
    handle = HookHandle(table, fn, (lambda: _rewrap(t)) if traced else None, stale=not traced)
    if traced:
        _rewrap(t)
    return handle


def _rewrap(t: Tensor) -> None:
    base_trace, base_name = t.__dict__.setdefault("_gs_unhooked", (t._trace, t._name))
    if current() is not base_trace:
        return  # the trace that made t is over: nothing of it can change
    base = Tensor._symbolic(base_trace, base_name, t.shape, t._dtype)
    table = dict(t.__dict__["_gs_hooks"])
    hooked_t = _through_hooks(base, table, t.__dict__.setdefault("_gs_hooks_made", {}))
    t._trace, t._name = hooked_t._trace, hooked_t._name


def tensor_hooks_of(t: Tensor) -> dict:
    """Tensor.hooks(): the hooks registered on t and not removed, by handle id."""
    return dict(t.__dict__.get("_gs_hooks", {}))


def hooked(x):
    """x as a trace should use it: through its tensor hooks (once per trace), or x itself."""
    table = x.__dict__.get("_gs_hooks") if isinstance(x, Tensor) else None
    tr = current()
    if not table or tr is None or x._data is None:
        return x
    seen = tr.__dict__.setdefault("_gs_hooked", {})
    got = seen.get(id(x))
    if got is None:
        got = seen[id(x)] = _through_hooks(x, table)
    return got


def hooked_input(arg, symbolic):
    """A traced function's input for `arg`: its tensor hooks applied to the symbolic input."""
    table = arg.__dict__.get("_gs_hooks") if isinstance(arg, Tensor) else None
    if not table:
        return symbolic
    return _through_hooks(symbolic, table, of_arg=True)


def carry(arg, symbolic) -> None:
    """A program's input takes its argument's hooks: the function a grad derives applies them (hooked_input)."""
    table = arg.__dict__.get("_gs_hooks") if isinstance(arg, Tensor) else None
    if table:
        symbolic.__dict__["_gs_hooks"] = table


class HookBackward:
    """ops.HookBackward(hook_fn, cell_id='')(*inputs): inputs unchanged; hook_fn(grads) (a tuple of the
    gradients) gives a new gradient, or None for the same."""

    def __init__(self, hook_fn, cell_id: str = ""):
        if not callable(hook_fn):
            raise TypeError(f"HookBackward: hook_fn must be callable, got {type(hook_fn).__name__}")
        self.hook_fn = hook_fn

    def __call__(self, *inputs):
        if not _pynative():  # (MindSpore 2.10 GRAPH_MODE ignores HookBackward: checked for this project)
            return inputs[0] if len(inputs) == 1 else inputs
        _trace.uncacheable()
        return with_grad_rule(inputs, lambda douts, call: call(self.hook_fn, douts))


# -- cell hooks -----------------------------------------------------------------------------------
class _NoGradOutput(tuple):
    """grad_output of a backward hook: not at hand where the hook runs (see the module's note)."""

    def _refuse(self, *a):
        raise NotImplementedError("a backward hook's grad_output (the gradient of the cell's outputs) is not "
                                  "available in gradserve's traced backward graph; use register_backward_pre_hook "
                                  "for it, or grad_input (the gradients of the cell's inputs)")

    __getitem__ = __iter__ = __len__ = _refuse

    def __repr__(self):
        return "<grad_output: not available in gradserve's traced backward graph>"


def cell_tables(cell) -> dict:
    return cell.__dict__.setdefault("_gs_hooks", {"fwd_pre": {}, "fwd": {}, "bwd_pre": {}, "bwd": {}})


def register_cell_hook(cell, kind: str, fn, with_kwargs: bool = False) -> HookHandle:
    """The forward kinds are stored as fn(cell, args, kwargs[, out]) (with_kwargs=False: fn sees no kwargs)."""
    if not callable(fn):
        raise TypeError(f"{type(cell).__name__}: a hook must be callable, got {type(fn).__name__}")
    if kind in ("fwd_pre", "fwd") and getattr(fn, "_gs_jit", False):
        raise TypeError(f"{type(cell).__name__}: a forward hook must be a Python function, not a jit-compiled one "
                        f"({getattr(fn, '__name__', fn)!s})")
    if not isinstance(with_kwargs, bool):
        raise TypeError(f"{type(cell).__name__}: with_kwargs must be a bool, got {type(with_kwargs).__name__}")
    if kind == "fwd_pre":
        fn = _pre_with_kwargs(fn) if with_kwargs else _pre_args_only(fn)
    elif kind == "fwd":
        fn = fn if with_kwargs else _fwd_args_only(fn)
    return HookHandle(cell_tables(cell)[kind], fn)


def _fwd_args_only(fn):
    """fn(cell, args, out) as fn(cell, args, kwargs, out)."""
    def hook(cell, args, kwargs, out):
        return fn(cell, args, out)
    hook.user_fn = fn  # type: ignore[attr-defined]
    return hook


# the code of the cell backward hooks found to compute with grad_output where the identity form gives it to read
# only: their cells take the form with grad_output at hand (_WholeCellHook) from then on, where they can
_OUTPUT_COMPUTERS: set = set()


def _code(fn):
    return getattr(fn, "__code__", fn)


def _call_reading_output(call, fn, cell, grads, kept_output):
    """A backward hook on the identity over the cell's inputs: grad_output is what the outputs' identity kept (for
    a cell with hooked cells inside: to be read, after the run), or not at hand (_NoGradOutput)."""
    if not kept_output:
        return call(fn, cell, grads, _NoGradOutput())
    nested = _trace.grads_tracing[0] > 1
    idx = _hook_probes.planned_call(call) if nested and _code(fn) not in _OUTPUT_COMPUTERS else None
    if idx is not None:
        # (its values known: grad_output stands in here, so that a hook computing with it runs through, once; what
        # it returned from it is emitted again, not called again, in the form giving grad_output at hand)
        ins = _hook_probes.stand_ins(current(), tuple(kept_output))
        r = call(fn, cell, grads, ins)
        if r is not None and _hook_probes.give_up(call, idx, fn, ins, r):
            _OUTPUT_COMPUTERS.add(_code(fn))
            raise _hook_probes.Retrace()
        _hook_probes.put_back(call, idx, ins, tuple(kept_output))
        return r
    try:
        return call(fn if nested or call is _plain_call else _ComputesLater(fn), cell, grads, tuple(kept_output))
    except _trace.TraceError as e:
        if nested and _code(fn) not in _OUTPUT_COMPUTERS:
            _OUTPUT_COMPUTERS.add(_code(fn))
            raise _hook_probes.Retrace() from e
        raise NotImplementedError(
            f"backward hook {getattr(fn, '__name__', fn)!s} of {type(cell).__name__} computes with grad_output: "
            "for a cell with hooked cells or gradient hooks inside, or drawing random values, "
            "in a grad of a grad, gradserve gives it "
            "grad_output to read only (its values, after the run); use register_backward_pre_hook for a gradient "
            "computed from the outputs' one") from e


class _ComputesLater:
    """A backward hook given grad_output kept by the outputs' identity (another rule's values) in a grad call: one
    computing with it is stopped as one reading it, and called with its values after the run (its gradient, a
    constant then, is what a grad call's backward ends with; _hook_probes.Probe.call)."""

    def __init__(self, fn):
        self.fn, self.__code__ = fn, _code(fn)
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)

    def __call__(self, *args):
        try:
            r = self.fn(*args)
        except _trace.TraceError as e:
            raise _hook_probes.GradientReadLater("a computation with grad_output") from e
        unfilled = {id(t) for t in args[-1] if isinstance(t, Tensor) and t._data is None}  # (values: after the run)
        if r is not None and any(id(t) in unfilled for t in _tensors(r)):  # (grad_output itself as grad_input)
            raise _hook_probes.GradientReadLater("grad_output returned")
        return r


def _pre_args_only(fn):
    """fn(cell, args) -> new args or None, as fn(cell, args, kwargs) -> (args, kwargs) or None."""
    def hook(cell, args, kwargs):
        r = fn(cell, args)
        return None if r is None else (_tensors(r), kwargs)
    hook.user_fn = fn  # type: ignore[attr-defined]
    return hook


def _pre_with_kwargs(fn):
    """fn(cell, args, kwargs) -> None or (new_args, new_kwargs) (MindSpore 2.10: anything else, RuntimeError)."""
    def hook(cell, args, kwargs):
        r = fn(cell, args, kwargs)
        if r is None:
            return None
        if not (isinstance(r, tuple) and len(r) == 2 and isinstance(r[1], dict)):
            raise RuntimeError("forward pre hook with kwargs must return None or a tuple of (new_args, new_kwargs), "
                               f"got {type(r).__name__}")
        return _tensors(r[0]), r[1]
    hook.user_fn = fn  # type: ignore[attr-defined]
    return hook


def _tensors(v) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


def _has_params(cell) -> bool:
    return bool(cell._own_and_child_params())


def _hooks_inside(cell) -> bool:
    """Whether a cell inside this one has backward hooks."""
    return any(c is not cell and any(c.__dict__.get("_gs_hooks", {}).get(k) for k in ("bwd", "bwd_pre"))
               for _, c in cell.cells_and_names())


class _Drawn(Exception):
    """The cell draws random values, or has gradient hooks inside (_WholeCellHook.construct): its hooks take the
    identity on its inputs, grad_output kept by one on its outputs."""


# > 0 while a _WholeCellHook's rule traces its cell's call again: a forward (pre-)hook inside it that gave None when
# the forward ran (one that records) is not run twice; one that gave a new value runs again, as the call needs it
_replaying = [0]


def _run_forward_hook(cell, kind: str, hid, fn, *args):
    # (kind, handle id) -> whether the hook gave None in the latest forward run: kept on the cell, so that it
    # goes with the cell (a table keyed by id(cell) grew with every cell made, and a new cell could reuse an id)
    gave_none = cell.__dict__.get("_gs_gave_none")
    if _replaying[0] and gave_none and gave_none.get((kind, hid)):
        return None
    r = fn(cell, *args)
    if not _replaying[0]:
        if gave_none is None:
            gave_none = {}
            object.__setattr__(cell, "_gs_gave_none", gave_none)
        gave_none[(kind, hid)] = r is None
    return r


class _WholeCellHook:
    """A Parameter-free cell with backward hooks, as one call with a custom bprop: the rule has both the
    gradient of the outputs (dout: grad_output) and, by differentiating the cell's call again, the gradients
    of its inputs (grad_input), which the hooks may replace. (A cell with Parameters keeps the identity on
    its inputs, but for a hook computing with grad_output: then the rule gives the Parameters theirs.)"""

    def __init__(self, cell, hooks, plain, kwargs, n_pos: int):
        # (_whole_call's: the gradients of the inputs and of the outputs, probed in the trace tr of the call)
        self.probe_in: _hook_probes.Probe | None = None
        self.probe_out: _hook_probes.Probe | None = None
        self.tr: Any = None
        self.hooks_inside_ok = False  # (hooks inside a hook computing with grad_output: as in the rule they run)
        # the cell's trainable Parameters, whose gradients the rule gives (a cell with Parameters takes this form
        # only for a hook computing with grad_output: _OUTPUT_COMPUTERS)
        self.internal_params = cell.trainable_params()
        # the Tensor keyword arguments are inputs of the call too (after the positional ones), so that their
        # gradients flow through the custom bprop; the hooks see the positional inputs' alone (MindSpore 2.10)
        self.cell, self.hooks, self.plain, self.n_pos = cell, hooks, plain, n_pos
        self.kw_tensors = [k for k, v in kwargs.items() if isinstance(v, Tensor)]
        self.kwargs = {k: v for k, v in kwargs.items() if k not in self.kw_tensors}

    def _call(self, xs):
        n = self.n_pos
        return self.plain(tuple(xs[:n]), dict(self.kwargs, **dict(zip(self.kw_tensors, xs[n:]))))

    def construct(self, *xs):
        tr = current()
        assert tr is not None, "construct is traced (call_with_bprop)"
        root = tr.root
        before, probes = set(root.param_objs), root.__dict__.get("_gs_probes", [])
        n_probes = len(probes)
        out = self._call(xs)
        drawn = [n for n in root.param_objs if n not in before and hasattr(root.param_objs[n], "gs_draw")]
        # the rule runs the call again: a second draw (a dropout mask) would not be the forward's; a hook inside
        # (a Tensor hook, a HookBackward) would be in the rule's derivative, whose values cannot come out of it
        if drawn or (len(probes) > n_probes and not self.hooks_inside_ok):
            for n in set(root.param_objs) - before:  # (the aborted trace's; a rerun names them again)
                root._param_names.pop(id(root.param_objs.pop(n)), None)
            del probes[n_probes:]
            raise _Drawn(drawn[0] if drawn else "a gradient hook")
        return out

    def bprop(self, *a):
        n = len(a) - 2
        xs, dout = a[:n], a[-1]

        def call(*t):
            return self._call(t)
        call.__name__ = f"{type(self.cell).__name__}_backward"
        _replaying[0] += 1  # (the call once more: the forward hooks inside it have run: call_cell)
        tr = current()
        assert tr is not None, "a bprop runs inside the trace that differentiates it"
        probes = tr.root.__dict__.setdefault("_gs_probes", [])
        n_probes = len(probes)
        try:
            every, param_grads = self._differentiated(call, xs, dout)
        finally:
            _replaying[0] -= 1
        for p in probes[n_probes:]:  # (hooks inside, run in this rule: values of theirs that are read are lost)
            p.in_rule_of = type(self.cell).__name__
        grads, kw_grads = tuple(every[:self.n_pos]), every[self.n_pos:]
        douts = _tensors(dout)
        p_in = self.probe_in
        if self.probe_out is None and self.tr is not None:  # (made here where the rule is traced at the call)
            self.probe_out = _hook_probes.make(self.tr, douts)
        p_out = self.probe_out
        douts = douts if p_out is None else p_out.placeholders_for(douts)
        grads = grads if p_in is None else p_in.placeholders_for(grads)
        call = p_in.call if p_in is not None else p_out.call if p_out is not None else _plain_call
        for fn in self.hooks:
            r = call(fn, self.cell, grads, douts)
            if r is not None:
                grads = _backward_hook_result(r, grads)
                if p_in is not None:  # (the gradients probed at the inputs are the hooks' result, not what they saw)
                    p_in.placeholders.clear()
        grads = tuple(grads) + tuple(kw_grads)
        return (grads, param_grads) if param_grads else grads

    def _differentiated(self, call, xs, dout) -> tuple[tuple, dict]:
        """(the gradients of call's inputs, {Parameter: its gradient}) at dout: the hooks replace the inputs'
        alone, the cell's Parameters keep theirs (MindSpore 2.10), given as a rule's {Parameter: gradient} part
        (_bprop._split_param_grads: for the Parameters internal_params lists)."""
        params = self.internal_params
        if not params:
            return _tensors(late.ops.GradOperation(get_all=True, sens_param=True)(call)(*xs, dout)), {}
        # the inputs' values held constant: a later pass reaches them through the hooks alone (the gradient of
        # x w's w, dout x, gives x none), as MindSpore's second pass gives the hooks all of the inputs' gradient
        held = tuple(late.ops.stop_gradient(x) if isinstance(x, Tensor) else x for x in xs)
        every, by_param = late.ops.GradOperation(get_all=True, get_by_list=True, sens_param=True)(call, params)(
            *held, dout)
        return _tensors(every), dict(zip(params, _tensors(by_param)))


def _whole_call(cell, bwd, plain, args, kwargs, hooks_inside_ok: bool = False):
    """cell(*args, **kwargs) as one call with its backward hooks as its rule (_WholeCellHook); the gradients of
    its inputs and outputs probed (_hook_probes). Raises _Drawn for a cell drawing random values."""
    tr = current()
    whole = _WholeCellHook(cell, bwd, plain, kwargs, len(args))
    whole.hooks_inside_ok = hooks_inside_ok
    xs = tuple(args) + tuple(kwargs[k] for k in whole.kw_tensors)
    whole.probe_in = _hook_probes.make(tr, xs)
    if whole.probe_in is not None:
        xs = whole.probe_in.after(tr, xs)
    whole.tr = tr
    late_rule = _bprop.late_rule(whole.bprop, type(cell).__name__, quiet=False)
    out = call_with_bprop(whole, xs, late_rule)
    outs = _tensors(out)
    if not all(isinstance(o, Tensor) for o in outs):
        return out
    if late_rule is not None:  # (the rule, traced later, takes this probe of the outputs' gradients)
        whole.probe_out = _hook_probes.make(tr, outs)
    if whole.probe_out is None:
        return out
    outs = whole.probe_out.after(tr, outs)
    return outs if isinstance(out, (tuple, list)) else outs[0]


_KIND_NAMES = {"fwd_pre": "register_forward_pre_hook", "fwd": "register_forward_hook",
               "bwd_pre": "register_backward_pre_hook", "bwd": "register_backward_hook"}


def _lambda_parse_error(fn) -> str | None:
    """MindSpore 2.10's GRAPH_MODE parses a lambda hook from its source line and refuses one that is not the
    line's own expression (`h = lambda ...` passes; `cell.register_backward_hook(lambda ...)` does not): the
    node type it found instead, or None."""
    fn = getattr(fn, "user_fn", fn)  # (the forward kinds are stored wrapped: register_cell_hook)
    if getattr(fn, "__name__", "") != "<lambda>":
        return None
    try:
        src = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return None
    body = ast.parse(src).body  # (a SyntaxError here is MindSpore's too: the source line alone does not parse)
    if not body:
        return None
    stmt = body[0]
    node = getattr(stmt, "value", stmt)
    return None if isinstance(node, ast.Lambda) else type(node).__name__


def _check_graph_hooks(tables: dict, refused: tuple, parsed: tuple) -> None:
    """GRAPH_MODE: MindSpore's TypeError for a lambda hook it cannot parse; a clear refusal where gradserve's
    answer would differ from MindSpore's (a backward hook in a grad of a grad: MindSpore 2.10 applies it in the
    first pass only)."""
    for kind in parsed:
        for fn in tables[kind].values():
            found = _lambda_parse_error(fn)
            if found is not None:
                raise TypeError(f"Parse Lambda Function Fail. Node type must be Lambda, but got {found}. Please "
                                f"check lambda expression to make sure it is defined on a separate line. "
                                f"({_KIND_NAMES[kind]} in GRAPH_MODE)")
    for kind in refused:
        if tables[kind]:
            raise NotImplementedError(f"Cell.{_KIND_NAMES[kind]} in a grad of a grad under GRAPH_MODE is not "
                                      f"supported by gradserve (MindSpore 2.10 applies the hook in the first "
                                      f"pass only); use PYNATIVE_MODE, which applies it as MindSpore's PyNative")


def call_cell(cell, args: tuple, kwargs: dict, plain):
    """cell(*args, **kwargs) with its hooks; plain(args, kwargs) is the call without them."""
    tables = cell.__dict__["_gs_hooks"]
    graph = not _pynative()
    if graph:
        _check_graph_hooks(tables, (), ("fwd_pre", "fwd"))
    _trace.uncacheable()  # (inside a trace: its hooks are Python a PyNative call runs again)
    kwargs = dict(kwargs)
    for hid, fn in list(tables["fwd_pre"].items()):
        r = _run_forward_hook(cell, "fwd_pre", hid, fn, args, kwargs)
        if r is not None:
            args, kwargs = r
    # no backward hooks where no gradient of this call is ever taken (MindSpore runs none there): inside a cell
    # with a custom bprop (its rule replaces the derivative), or at the top level of a program (a derivative
    # traces the function it differentiates as a nested trace: a top-level call is a forward-only run)
    tr = current()
    no_grad_here = _bprop.custom_forward[0] > 0 or (tr is not None and tr.parent is None)
    bwd = [] if no_grad_here else list(tables["bwd"].values())
    if graph and not no_grad_here:
        _check_graph_hooks(tables, ("bwd",) if _trace.grads_tracing[0] > 1 else (), ("bwd_pre", "bwd"))
    pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    out = None
    # a cell with hooked cells inside keeps them out of a rule of its own (their values could not come out of it):
    # grad_output is the gradient its outputs' identity keeps (given to its hooks to read, after the run)
    # so does one in a grad of a grad: MindSpore's second pass gives its hooks the gradient of all the first
    # pass computed from the cell's inputs, which only the identity form (the rule's inputs its own) gives them;
    # a hook found to compute with grad_output takes the form giving it at hand (_OUTPUT_COMPUTERS)
    computes_output = any(_code(fn) in _OUTPUT_COMPUTERS for fn in bwd)
    kept_output: list | None = [] if bwd and not computes_output and (
        _hooks_inside(cell) or _has_params(cell) or (_trace.grads_tracing[0] > 1 and not _hook_probes.tracing_rule)) \
        else None
    if bwd and pos and current() is not None and len(pos) == len(args) and \
            (computes_output or not _has_params(cell)) and kept_output is None:
        try:
            out = _whole_call(cell, bwd, plain, args, kwargs, computes_output)  # grad_output at hand
            bwd = []
        except _Drawn:
            kept_output = []  # (the identities below: grad_output given to be read)
    if bwd and pos and current() is not None:
        def rule(grads, call):
            for fn in bwd:
                r = _call_reading_output(call, fn, cell, grads, kept_output)
                grads = grads if r is None else _backward_hook_result(r, grads)
            return grads
        moved = _tensors(with_grad_rule(tuple(args[i] for i in pos), rule))
        listed = list(args)
        for i, v in zip(pos, moved):
            listed[i] = v
        args = tuple(listed)
    if out is None:
        out = plain(args, kwargs)
    for hid, fn in list(tables["fwd"].items()):
        r = _run_forward_hook(cell, "fwd", hid, fn, args, kwargs, out)
        out = out if r is None else r
    if kept_output is not None and current() is not None and all(isinstance(o, Tensor) for o in _tensors(out)):
        def keep(grads, call):
            kept_output[:] = grads
        moved = with_grad_rule(_tensors(out), keep)
        out = _tensors(moved) if isinstance(out, (tuple, list)) else moved
    pre = [] if no_grad_here else list(tables["bwd_pre"].values())
    if pre and current() is not None:
        outs = _tensors(out)
        if all(isinstance(o, Tensor) for o in outs):
            def out_rule(grads, call):
                for fn in pre:
                    r = call(fn, cell, grads)
                    grads = grads if r is None else _tensors(r)
                return grads
            out = with_grad_rule(outs, out_rule)
    return out


def _tensor_register_hook(self, hook_fn):
    """Tensor.register_hook(hook_fn): hook_fn(grad) -> a new gradient for this tensor, or None (PyNative)."""
    return register_hook(self, hook_fn)


setattr(Tensor, "register_hook", _tensor_register_hook)  # (PyNative hooks live here, not in _tensor)
setattr(Tensor, "hooks", tensor_hooks_of)
