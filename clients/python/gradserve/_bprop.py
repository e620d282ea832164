"""A Cell's custom `bprop(self, *inputs, out, dout)`: its derivative rule replaces construct's.

Inside a trace, such a cell becomes a `call` of construct (the raw outputs) followed by one
engine `custom_vjp` node naming the traced bprop function; the engine inlines bprop wherever
a derivative reaches the node, so the rule is itself differentiated at higher orders.
"""
from __future__ import annotations

import itertools

import numpy as np

from . import context as _context
from . import _hook_probes, _trace
from ._tensor import Parameter, Tensor
from .errors import DifferentiationError
from ._trace import (_call_inputs, _take_state, cast, flatten, innermost, tensor_group, trace_function,
                     unflatten)


_sites = itertools.count(1)  # one per call site: the engine must not merge two calls of one rule
# > 0 while a custom-bprop cell's construct is traced: its rule replaces the derivatives of what it calls, so
# the backward hooks of the cells inside never run (MindSpore 2.10; _hooks.call_cell reads this)
custom_forward = [0]


def has_bprop(cell) -> bool:
    return callable(getattr(type(cell), "bprop", None))


def _tensor_arg(a) -> bool:
    """Whether trace_function makes `a` graph inputs (a Tensor, or a non-empty tuple/list of Tensors)."""
    if isinstance(a, Tensor):
        return True
    return tensor_group(a)


def _grad_leaves(g, like, strict: bool) -> list[Tensor]:
    """The gradient(s) bprop gave for one argument, as leaves of the argument's dtype and shape.
    strict (set_context(check_bprop=True)): a non-Tensor gradient or one of another dtype is a
    TypeError, a shape that differs a ValueError, as in MindSpore."""
    like_leaves = flatten(like)[0]
    g_leaves = flatten(g)[0] if isinstance(g, (tuple, list)) else [g]
    if len(g_leaves) != len(like_leaves):
        raise ValueError(f"bprop gave {len(g_leaves)} gradient tensor(s) for an argument of {len(like_leaves)}")
    out = []
    for gl, x in zip(g_leaves, like_leaves):
        if strict and not isinstance(gl, Tensor):
            raise TypeError(f"bprop: the gradient of a Tensor input must be a Tensor, got {type(gl).__name__}")
        if strict and tuple(gl.shape) != tuple(x.shape):
            raise ValueError(f"bprop: gradient shape {list(gl.shape)} differs from the input's {list(x.shape)}")
        if strict and gl._dtype != x._dtype:
            raise TypeError(f"bprop: gradient dtype {gl._dtype} differs from the input's {x._dtype}")
        if gl is None:
            gl = Tensor(np.zeros(x.shape, x._dtype))
        gl = gl if isinstance(gl, Tensor) else Tensor(np.asarray(gl, dtype=x._dtype))
        out.append(cast(gl, x._dtype))
    return out


def trace_rule(cell, args, out, raw: list, tdef):
    """cell.bprop traced as the rule of a call of cell at args whose outputs are `out` (flat: raw; tree: tdef)."""
    return _trace_rule(cell.bprop, type(cell).__name__, args, out, raw, tdef)


def _trace_rule(bprop, label: str, args, out, raw: list, tdef):
    """bprop(*args, out, dout) traced as the rule of a call at args whose outputs are `out`."""
    n = len(args)
    graph = _trace.graph_semantics()  # (the caller's: the rule is traced as a function of its own)

    param_grads: list[str] = []  # the Parameters whose gradients the rule gives (a {Parameter: grad} part)

    def rule(*a):
        # out and dout come in as their Tensor leaves (a None among construct's outputs is no input) and are
        # rebuilt in construct's structure here
        a = (*a[:n], unflatten(tdef, list(a[n])), unflatten(tdef, list(a[n + 1])))
        grads = _checked_result(bprop(*a), graph)
        grads, by_param = _split_param_grads(grads, getattr(bprop, "__self__", None))
        grads = tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
        if len(grads) < n:  # more are ignored: the first n are the inputs' (MindSpore 2.10, both modes)
            if graph:  # (MindSpore 2.10's texts in each mode)
                raise RuntimeError(f"The output size of the 'bprop' must match the number of parameters in its "
                                   f"corresponding primal function '{label}()' : {len(grads)} vs. {n}.")
            raise RuntimeError(f"Grad size should lager than forward inputs, but got {len(grads)} vs {n}")
        grads = grads[:n]
        strict = bool(_context.get_context("check_bprop"))
        leaves = []
        for g, x in zip(grads, a[:n]):
            if _tensor_arg(x):
                leaves.extend(_grad_leaves(g, x, strict))
        for p, g in by_param.items():
            param_grads.append(innermost().declare_param(p))
            leaves.extend(_grad_leaves(g, p, strict))
        return tuple(leaves)

    # dout's stand-in: out's shapes and dtypes, but no value and no hooks of out's (a value read of dout while
    # tracing the rule is refused, not answered with out's value)
    dout = tuple(Tensor._symbolic(None, "%dout", o.shape, o._dtype) for o in raw)
    _hook_probes.tracing_rule.append(_trace.current())  # (the trace the rule is traced in: its function)
    try:
        info = trace_function(rule, [*args, tuple(raw), dout], f"{label}_bprop")
    finally:
        _hook_probes.tracing_rule.pop()
    info.param_grads = param_grads
    return info


def _checked_result(grads, graph: bool):
    """MindSpore 2.10's refusals of what a bprop returned: in GRAPH_MODE / @jit anything but a tuple (PyNative takes
    a lone Tensor or a list as the gradients); in PyNative None."""
    if graph and not isinstance(grads, tuple):
        raise TypeError(f"For bprop function, output should be a tuple, but got {type(grads).__name__}")
    if grads is None:
        raise TypeError("The python function output is none.")
    return grads


def _split_param_grads(grads, cell):
    """bprop's result as (the inputs' gradients, {Parameter: gradient}): MindSpore's PyNative bprop of a Cell
    may return `(dx, ...), {w: dw}`; as MindSpore 2.10, only the Parameters the cell's internal_params lists
    get theirs, the others' entries are dropped (their gradient through the rule is 0)."""
    if isinstance(grads, tuple) and len(grads) == 2 and isinstance(grads[0], (tuple, list)) \
            and isinstance(grads[1], dict):
        for p in grads[1]:
            if not isinstance(p, Parameter):
                raise TypeError(f"bprop: the keys of its {{Parameter: gradient}} part must be Parameters, "
                                f"got {type(p).__name__}")
        listed = {id(p) for p in getattr(cell, "internal_params", None) or ()}
        return grads[0], {p: g for p, g in grads[1].items() if id(p) in listed}
    return grads, {}


def call_with_bprop(cell, args, binfo=None):
    """cell(*args) whose derivative is cell.bprop; binfo: its rule traced before (trace_rule), else now."""
    return call_with_rule(cell.construct, cell.bprop, type(cell).__name__, args, binfo)


def call_with_rule(construct, bprop, label: str, args, binfo=None):
    """construct(*args) in the trace, its derivative given by bprop(*args, out, dout) (a Cell's bprop method,
    or a user-defined Primitive's registered bprop); binfo: the rule traced before (trace_rule), else now."""
    tr = innermost()
    custom_forward[0] += 1
    try:
        info = trace_function(construct, args, label, state=True, attrs=True)
    finally:
        custom_forward[0] -= 1
    in_names = _call_inputs(tr, info, args)
    x_names = in_names[:len(in_names) - len(info.captures)]
    # construct's Parameter assignments land as in any construct (the bprop rule is for the inputs only)
    raw = _take_state(info, tr.emit("call", in_names, {"fn": info.name}, list(info.flat_out_avals) + info.state_avals),
                      len(info.flat_out_avals))
    out = unflatten(info.out_tdef, raw)
    if isinstance(binfo, LateRule) and x_names:
        node_outs = tr.emit("custom_vjp", x_names + [o._name for o in raw],
                            {"bprop": None, "n_in": len(x_names), "n_out": len(raw), "params": [],
                             "site": next(_sites)}, list(info.flat_out_avals))
        binfo.use(tr.nodes[-1], (args, out, raw, info.out_tdef))
        return unflatten(info.out_tdef, node_outs)
    graph = _trace.graph_semantics(tr)
    if not graph and getattr(bprop, "_gs_jit", False):  # (MindSpore 2.10's PyNative check; GRAPH_MODE runs it)
        raise RuntimeError(f"Decorating bprop with '@jit' is not supported ({label}.bprop).")
    if binfo is None or isinstance(binfo, LateRule):
        binfo = _trace_rule(bprop, label, args, out, raw, info.out_tdef)
    if graph and binfo.params:  # (PyNative's rule may read them, and give them gradients: _split_param_grads)
        raise RuntimeError(f"The user defined 'bprop' function of {label} does not support using Parameter "
                           f"in GRAPH_MODE or jit (it reads {sorted(binfo.params)}), as in MindSpore 2.10.")
    if binfo.name is None:  # no Tensor gradient at all (mutable() numbers only): nothing the rule can give
        if not x_names:
            return out
        raise _no_gradient(label)
    extras, pnames = _rule_inputs(tr, binfo)
    outs = tr.emit("custom_vjp", x_names + [o._name for o in raw] + extras,
                   {"bprop": binfo.name, "n_in": len(x_names), "n_out": len(raw), "params": pnames,
                    "site": next(_sites), "param_grads": binfo.param_grads},
                   list(info.flat_out_avals))
    return unflatten(info.out_tdef, outs)


def _no_gradient(label: str) -> DifferentiationError:
    return DifferentiationError(f"{label}.bprop gives no Tensor gradient for its inputs (a mutable() number "
                                f"cannot take one from a custom bprop, as in MindSpore 2.10)")


def _rule_inputs(tr, binfo) -> tuple[list[str], list[str]]:
    """The extra inputs of a custom_vjp node of trace tr naming the traced rule binfo: its captures and Parameters."""
    pnames = list(binfo.params)
    for pname, aval in binfo.params.items():
        tr.params.setdefault(pname, aval)
    return [tr.ref(c) for c in binfo.captures] + ["%p:" + p for p in pnames], pnames


def _attach(tr, node: dict, binfo) -> None:
    """A custom_vjp node emitted before its rule was traced (LateRule) takes it; the nodes naming the rule's
    inputs (a constant it captures) go before the node, where its inputs must be."""
    mark = len(tr.nodes)
    extras, pnames = _rule_inputs(tr, binfo)
    made = tr.nodes[mark:]
    if made:
        del tr.nodes[mark:]
        at = next(i for i, n in enumerate(tr.nodes) if n is node)
        tr.nodes[at:at] = made
    node["inputs"] += extras
    node["attrs"]["bprop"], node["attrs"]["params"] = binfo.name, pnames
    node["attrs"]["param_grads"] = binfo.param_grads


_uses = itertools.count(1)


class LateRule:
    """A rule traced when the function whose trace calls it ends (_trace.run_late_rules), not at the call: a
    backward hook's rule calls the hook, and the backward meets the calls the last one first, as MindSpore runs
    them. One rule may serve several calls (a Tensor's chain of hooks rebuilt): it is traced once, at the first
    call's arguments, and placed by its last call. quiet: traced with the arguments' own hooks off (a hook's)."""

    def __init__(self, bprop, label: str, quiet: bool = True):
        self.bprop, self.label, self.quiet = bprop, label, quiet
        self.uses: list = []  # (its custom_vjp node, (args, out, raw, tdef) of the call)
        self.last_use = 0

    def use(self, node: dict, call: tuple) -> None:
        self.uses.append((node, call))
        self.last_use = next(_uses)

    def trace(self, tr) -> None:
        present = {id(n) for n in tr.nodes}  # (a call a rerun of the function dropped takes no rule)
        nodes = [(n, c) for n, c in self.uses if id(n) in present]
        if not nodes:
            return
        args, out, raw, tdef = nodes[0][1]
        _trace.arg_hooks_off[0] += self.quiet
        try:
            binfo = _trace_rule(self.bprop, self.label, args, out, raw, tdef)
        finally:
            _trace.arg_hooks_off[0] -= self.quiet
        if binfo.name is None:
            raise _no_gradient(self.label)
        for node, _ in nodes:
            _attach(tr, node, binfo)


def late_rule(bprop, label: str, quiet: bool = True) -> LateRule | None:
    """A LateRule for a call in the current trace, or None where its rule is traced at the call (a trace that
    is no function's: the program's root, a side of a cond)."""
    tr = _trace.current()
    rules = None if tr is None else tr.__dict__.get("_gs_late_rules")  # (not `late`: that name is _late's)
    if rules is None:
        return None
    rule = LateRule(bprop, label, quiet)
    rules.append(rule)
    return rule
