"""MindSpore's derivative interfaces over the graph's `grad` / `jvp` nodes.

Inside a trace they emit one derivative node over the traced function (so they nest:
GradSec(Grad(net)), a loss calling `ops.grad` in construct). Called outside any trace,
they trace a small program around themselves and run it on the service.
"""
from __future__ import annotations

import inspect
import weakref
from itertools import repeat
from typing import Any, Callable, Sequence

import numpy as np

from .. import _attr_writes, _lifted, _pyguard, _trace, _twins, _vjp_handover, context as _context
from .._tensor import Parameter, Tensor
from .._misc import MutableList, MutableTuple
from ..errors import GradPositionError
from .._trace import (_arg_names, current, innermost, emit_call_node, emit_grad, emit_grad_node, emit_jvp, emit_jvp_node, flatten,
                      getitem, mutable_numbers, run_program, tensor_group, trace_function, tracing_grad_function, twinned, unflatten,
                      zero_gradient, as_number, number_seq)
from . import _primitives as P

_caches: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _cache_for(fn, kind, lifts: tuple = ()) -> dict | None:
    """fn's traces of one kind: its own, or a twin's (a function made afresh each step: _twins); lifts: the closure
    Tensors its programs take as inputs (_lifted), a kind of their own."""
    if lifts:
        kind = (kind, _lifted.kind(lifts))
    per = _twins.caches(fn, _caches, frozenset(k for k, _ in lifts))
    return None if per is None else _twins.kind_cache(per, kind)


def _label(fn) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def _weights_of(fn, weights):
    if weights is None:
        if hasattr(fn, "trainable_params"):
            return list(fn.trainable_params())
        raise TypeError("get_by_list=True needs weights (a ParameterTuple) when fn is not a Cell")
    if isinstance(weights, Parameter):
        return [weights]
    return list(weights)


def _aliased(args, weights: Any = ()) -> dict | None:
    """{position: the positions holding the same Tensor object} where one Tensor is passed more than once or
    a Parameter passed is also one of the weights (asked in PyNative mode only: _Derived.__call__), with "n"
    the number of arguments and "params" {id(Parameter): its positions}; None when neither is."""
    if len(args) < 2 and not weights:
        return None  # (one argument and no weights: nothing to alias; a loop's common call)
    if not weights and len(set(map(id, args))) == len(args):  # (C calls: a comprehension is a frame in 3.11)
        return None  # (no argument twice, none a weight: a training loop's call, without the dicts below)
    at: dict = {}
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            at.setdefault(id(a), []).append(i)
    groups: dict = {i: tuple(g) for g in at.values() if len(g) > 1 for i in g}
    params = {id(w): tuple(at[id(w)]) for w in weights if id(w) in at}  # id(Parameter) -> its positions
    return dict(groups, n=len(args), params=params) if groups or params else None


def _candidate_weights(fn, asked) -> list:
    """The Parameters a call may differentiate as weights: those asked for, else a Cell's trainable ones."""
    if asked is None:
        return list(fn.trainable_params()) if hasattr(fn, "trainable_params") else []
    return _weights_of(fn, asked)


class _Derived:
    """A derivative function: emits its node in the active trace, or runs a program around itself."""

    fn = None
    kind = "derived"
    # what a call sets on it (caches, how it was called): not what it computes, unlike its other attributes
    # (a PyNative trace calling it guards those: _pyguard)
    _gs_per_call = ("_pynative_call", "_cache_memo", "__name__")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            args = self._positional(args, kwargs)
        # MindSpore 2.10 zeroes a requires_grad=False weight's gradient in a PyNative call only (not in
        # GRAPH_MODE, nor inside a jit / construct, where the weight gets its gradient): see _frozen_zeros
        top, mode = current(), _context.get_context("mode")  # (asked once: every call of a loop pays each)
        pynative = self._pynative_call = top is None and mode == _context.PYNATIVE_MODE
        if top is None:
            key: tuple = (self.kind, self._key())
            asked = getattr(self, "weights", None)
            if pynative and asked is not None:  # (_frozen_zeros reads their requires_grad)
                ws = asked if isinstance(asked, tuple) else _weights_of(self.fn, asked)  # (a tuple: the same items)
                key += (tuple(map(getattr, ws, repeat("requires_grad"), repeat(True))),)  # (no comprehension frame)
            lifts = _lifted.closure_tensors(self.fn, args) if pynative else ()  # (the step's data it closes over)
            if lifts:
                key += (_lifted.kind(lifts),)
            memo = self.__dict__.get("_cache_memo")  # this function's last cache (a WeakKeyDictionary costs)
            if memo is not None and memo[0] == key and memo[2] is self.fn:
                cache = memo[1]
            else:
                cache = _cache_for(self.fn, key, lifts)
                if type(cache) is not _pyguard.TwinTraces:  # (a twin's key is asked on each call: _twins.caches)
                    self._cache_memo = (key, cache, self.fn)
            # (names and label matter only when the call traces (a signature not seen yet): methods, not
            # closures, which would make every call keep self and args in cells)
            groups = None
            if pynative:  # (one Tensor at several positions: PyNative's own semantics)
                inputs = args[:-1] if self._sens_given() else args  # (the sens is no input: it aliases nothing)
                has_param = False
                for a in inputs:  # (a loop, not any() over a generator: every call of a loop asks)
                    if isinstance(a, Parameter):
                        has_param = True
                        break
                if has_param:
                    groups = _aliased(inputs, _candidate_weights(self.fn, asked))
                elif len(inputs) > 1 and len(set(map(id, inputs))) != len(inputs):  # (distinct: a loop's call)
                    groups = _aliased(inputs)
            _trace.pynative_captures[0] = pynative  # a captured argument: see _trace.pynative_captures
            try:
                if groups is None and lifts:
                    return run_program(_lifted.program(self.fn, self._emit, lifts, len(args)),
                                       [*args, *(t for _, t in lifts)], cache=cache, label=self._program_label,
                                       names=self._program_names)
                if groups is None:
                    return run_program(self._emit, args, cache=cache, label=self._program_label, names=self._program_names,
                                       compile_only=mode == _context.GRAPH_MODE and _context.precompile_only())
                _trace.pynative_aliases[0] = groups  # one Tensor at several positions, PyNative: see _trace.pynative_aliases
                return run_program(self._emit, args, label=self._program_label, names=self._program_names)
            finally:
                _trace.pynative_aliases[0] = None
                _trace.pynative_captures[0] = False
        return self._emit(*args)

    def _sens_given(self) -> bool:
        """Whether the call's last argument is the sens (sens_param)."""
        if getattr(self, "sens_param", False):
            return True
        op = getattr(self, "op", None)  # (no second look-up on None: a miss raises inside getattr, each call)
        return op is not None and bool(getattr(op, "sens_param", False))

    def _program_label(self) -> str:
        return f"{self.kind}_{_label(self.fn)}"

    def _program_names(self, n: int) -> list:
        return _arg_names(self.fn, n)

    def _key(self) -> tuple:
        return ()

    def _frozen_zeros(self, weights, grads) -> tuple:
        """The weights' gradients, zeros for a Parameter asked for by name whose requires_grad is False when
        the forward pass ends (it may be set inside construct), in a PyNative call (MindSpore 2.10; its
        GRAPH_MODE and jit give the gradient). (A PyNative call's cache key holds the flags: __call__.)"""
        if not self.__dict__.get("_pynative_call"):
            return tuple(grads)
        return tuple(P.FUNCTIONS["zeros_like"](g) if getattr(w, "requires_grad", True) is False else g
                     for w, g in zip(weights, grads))

    def _positional(self, args: tuple, kwargs: dict, sens_given: bool = False, partial: bool = False) -> tuple:
        """args with the keyword arguments bound to the function's (a Cell's construct's) positional parameters
        (MindSpore 2.10: GradOperation(get_all=True)(net)(x, y=t) differentiates y as the second input).
        sens_given: the sens came as `sens=` (the caller appends it); partial: later parameters may be left to
        constant keywords."""
        op = getattr(self, "op", self)
        if getattr(op, "sens_param", False) and not sens_given:
            raise TypeError(f"{type(self).__name__.lstrip('_')}: with sens_param=True pass the inputs positionally, "
                            f"or the sens as sens= (got keyword argument(s) {sorted(kwargs)})")
        target: Any = getattr(self.fn, "construct", self.fn)
        sig = inspect.signature(target)
        bound = sig.bind_partial(*args, **kwargs) if partial else sig.bind(*args, **kwargs)
        if bound.kwargs:
            raise TypeError(f"grad: keyword argument(s) {sorted(bound.kwargs)} bind to no positional parameter of "
                            f"{_label(self.fn)}; pass them positionally")
        return tuple(bound.args)

    def _weight_ids(self) -> tuple | None:
        """The ids of the weights asked for (None: none). A tuple's are remembered (it cannot change; a
        list can: asked again on every call)."""
        ws = getattr(self, "weights", None)
        if ws is None:
            return None
        memo = self.__dict__.get("_gs_wids")
        if memo is not None and memo[0] is ws:
            return memo[1]
        ids = tuple(map(id, _weights_of(self.fn, ws)))
        if isinstance(ws, tuple):
            self._gs_wids = (ws, ids)
        return ids

    def _emit(self, *args: Any) -> Any:
        raise NotImplementedError


def _flat_sens(sens) -> list:
    """The leaves of a sens mirroring the outputs: a dict output's sens is a dict too (MindSpore 2.10 takes
    `net(x)`'s own dict back as the sens), its values in the output's order."""
    if isinstance(sens, dict):
        return [leaf for v in sens.values() for leaf in _flat_sens(v)]
    if isinstance(sens, (tuple, list)) and not isinstance(sens, Tensor):
        return [leaf for v in sens for leaf in _flat_sens(v)]
    return flatten(sens)[0]


def _grad_in_use_order(fn, args, positions, weights, sens) -> list:
    """MindSpore 2.10 PyNative, GradOperation(get_by_list=True)(net) with no weights given: the gradients of
    net's trainable Parameters in the order its forward pass first uses them (unused ones after them); of
    a function (weights None), of the trainable Parameters it uses, in that order."""
    label, tr = _label(fn), innermost()
    at = _attr_writes.mark(tr)
    with tracing_grad_function():
        info = trace_function(fn, args, label, state=True, twins=True, inputs_written=True, attrs=True)
    if weights is None:
        objs = tr.root.param_objs
        weights = [objs[n] for n in info.params if n in objs and objs[n].requires_grad]
    first = {name: k for k, name in enumerate(info.params)}
    used = sorted((w for w in weights if tr.param_name(w) in first), key=lambda w: first[tr.param_name(w)])
    if len(used) == len(weights):
        return emit_grad_node(info, args, positions=positions, weights=used, sens=sens)
    ids = {id(w) for w in used}  # some are not used: the function is traced again declaring them all
    order = used + [w for w in weights if id(w) not in ids]
    _attr_writes.restore(tr, at)  # (from the attributes' values before the call, as the first trace)
    return emit_grad(fn, args, positions=positions, weights=order, sens=sens, label=label, twins=True)[0]


def _with_kwargs(fn, kwargs: dict):
    """fn with constant keyword arguments bound (a traced function takes its Tensors positionally)."""
    def bound(*args):
        return fn(*args, **kwargs)
    bound.__name__ = getattr(fn, "__name__", type(fn).__name__)
    return bound


def _var_keywords(fn, held: dict) -> list[str]:
    """The names in held that fn (a Cell's construct) takes only as keywords: its keyword-only parameters, and
    with **kwargs the names no named parameter takes."""
    try:
        params = inspect.signature(getattr(fn, "construct", fn)).parameters
    except (TypeError, ValueError):
        return []
    kinds = {k: p.kind for k, p in params.items()}
    var_kw = inspect.Parameter.VAR_KEYWORD in kinds.values()
    return [k for k in held if kinds.get(k) is inspect.Parameter.KEYWORD_ONLY
            or (var_kw and kinds.get(k, inspect.Parameter.VAR_KEYWORD) in (inspect.Parameter.VAR_KEYWORD,
                                                                             inspect.Parameter.VAR_POSITIONAL))]


class _KeywordInputs:
    """fn(*args, **{names: the last len(names) arguments}): a network's **kwargs Tensors as trailing inputs of
    what is differentiated; the network's Parameters are still its own (trainable_params)."""

    def __init__(self, fn, names: tuple):
        self.fn, self.names = fn, names
        self.__name__ = _label(fn)
        if hasattr(fn, "trainable_params"):
            self.trainable_params = fn.trainable_params

    def __call__(self, *args, **consts):
        n = len(self.names)
        return self.fn(*args[:len(args) - n], **dict(zip(self.names, args[len(args) - n:])), **consts)


class GradOperation:
    """`GradOperation(get_all=False, get_by_list=False, sens_param=False)(net[, weights])(*inputs[, sens])`.

    get_all: gradients of all inputs (a tuple), else of the first input (one tensor); get_by_list:
    of the weights (a tuple); both: (inputs' grads, weights' grads). sens_param: the last
    argument scales the outputs (a tuple with one tensor per output for a multi-output net).
    """

    def __init__(self, get_all: bool = False, get_by_list: bool = False, sens_param: bool = False):
        self.get_all = bool(get_all)
        self.get_by_list = bool(get_by_list)
        self.sens_param = bool(sens_param)

    def __call__(self, fn: Callable[..., Any], weights: Any = None) -> _GradOperationFn:
        return _GradOperationFn(self, fn, weights)


class _GradOperationFn(_Derived):
    kind = "grad"
    with_value = False  # (nn.ForwardValueAndGrad's: (value, gradients) of one trace, value_and_grad's way)

    def __init__(self, op: GradOperation, fn, weights):
        self.op, self.fn, self.weights = op, fn, weights

    def __call__(self, *args, **kwargs):
        """Keyword arguments (MindSpore 2.10): one holding a Tensor is bound to the function's (a Cell's
        construct's) positional parameter of that name and differentiated as that input
        (`GradOperation(get_all=True)(net)(x, y=t)`); any other goes to the function as a constant
        (`GradOperation()(ops.gelu)(x, approximate='tanh')`); with sens_param, `sens=` is the sens."""
        if not kwargs:
            return super().__call__(*args)
        kwargs = dict(kwargs)
        sens = (kwargs.pop("sens"),) if self.op.sens_param and "sens" in kwargs else ()
        held = {k: v for k, v in kwargs.items() if any(isinstance(x, Tensor) for x in flatten(v)[0])}
        spare = _var_keywords(self.fn, held)
        if spare:  # Tensors for keyword-only parameters / **kwargs: inputs after the positional ones (MindSpore 2.10)
            fn = _KeywordInputs(self.fn, tuple(spare))
            rest = {k: v for k, v in kwargs.items() if k not in spare}
            return _GradOperationFn(self.op, fn, self.weights)(*args, *(held[k] for k in spare), *sens, **rest)
        if held:  # (constants for other parameters may follow: bound partially)
            args = self._positional(args, held, sens_given=bool(sens), partial=True)
        consts = {k: v for k, v in kwargs.items() if k not in held}
        if not consts:
            return super().__call__(*args, *sens)
        if self.op.get_by_list:
            raise TypeError("GradOperation(get_by_list=True): keyword arguments to the network are not supported; "
                            "pass them positionally")
        return _GradOperationFn(self.op, _with_kwargs(self.fn, consts), self.weights)(*args, *sens)

    def _key(self):
        w = self._weight_ids()
        return ("GradOperation", self.op.get_all, self.op.get_by_list, self.op.sens_param, w,
                isinstance(self.weights, Parameter), self.with_value)

    def _emit(self, *args):
        op = self.op
        sens = None
        if op.sens_param:
            if not args:
                raise TypeError("sens_param=True: the last argument must be the sens")
            args, sens = args[:-1], _flat_sens(args[-1])
        asked = range(len(args)) if op.get_all else [] if op.get_by_list else [0] if args else []
        positions, zeros = _grad_positions(args, asked)
        implicit = op.get_by_list and self.weights is None and _context.get_context("mode") == _context.PYNATIVE_MODE
        if implicit and not hasattr(self.fn, "trainable_params"):  # a function: the Parameters it uses
            weights = None
        else:
            weights = _weights_of(self.fn, self.weights) if op.get_by_list else []
        if implicit and weights != []:
            outs = _grad_in_use_order(self.fn, args, positions, weights, sens)
        elif positions or weights or (op.get_by_list and op.get_all):
            outs, info = emit_grad(self.fn, args, positions=positions, weights=weights or [], sens=sens,
                                   label=_label(self.fn), twins=True, with_value=self.with_value)
            if self.with_value:
                n = len(info.flat_out_avals)
                value, outs = unflatten(info.out_tdef, outs[:n]), outs[n:]
                return value, self._shaped(positions, zeros, outs, args, weights, asked, implicit)
        elif zeros:
            outs = []  # mutable() numbers alone: their zeros
        else:  # nothing to differentiate (no inputs, or Python scalars only): MindSpore gives ()
            if self.with_value:
                return self.fn(*args), ()
            if not _trace.graph_semantics():  # PyNative still runs fn (a BatchNorm's statistics move); GRAPH_MODE not
                self.fn(*args)
            return ()
        grads = self._shaped(positions, zeros, outs, args, weights, asked, implicit)
        return (self.fn(*args), grads) if self.with_value else grads

    def _shaped(self, positions, zeros, outs, args, weights, asked, implicit):
        """The gradients as GradOperation's options arrange them."""
        op = self.op
        pg = tuple(_merged(asked, positions, outs[:len(positions)], zeros, args))
        wg = tuple(outs[len(positions):])
        if not implicit:
            wg = self._frozen_zeros(weights or (), wg)
        if op.get_by_list and isinstance(self.weights, Parameter):
            wg = wg[0]  # one Parameter (not a tuple of them): its gradient alone
        if op.get_all and op.get_by_list:
            return pg, wg
        if op.get_all:
            return pg
        if op.get_by_list:
            return wg
        return pg[0]


def grad_operation_with_value(op: GradOperation, fn, weights) -> _GradOperationFn:
    """op(fn, weights) giving (fn's value, the gradients) from one trace of fn (its Parameter and input writes made
    once, the gradients at the entry values): nn.ForwardValueAndGrad."""
    g = _GradOperationFn(op, fn, weights)
    g.with_value = True
    return g


def _is_tensor_arg(a) -> bool:
    if isinstance(a, Tensor):
        return True
    return tensor_group(a)


def _tensor_positions(args, positions) -> list[int]:
    """The positions whose arguments are Tensors (Python scalars, lists and dicts are constants)."""
    return [p for p in positions if _is_tensor_arg(args[p])]


def _differentiable(a) -> bool:
    """A Tensor, a mutable() tuple / list of them, or a mutable dict. A plain tuple or list is a constant
    to MindSpore 2.10's grad and GradOperation: no gradient, and no place in the gradients returned."""
    if isinstance(a, (tuple, list)) and not isinstance(a, (MutableTuple, MutableList)):
        return False
    return _is_tensor_arg(a)


def _grad_positions(args, positions) -> tuple[list[int], dict]:
    """(the positions to differentiate, {position: gradient} for the ones that get a gradient without it:
    mutable() tuples / lists of bools in graph mode, whose gradient MindSpore 2.10 gives as 0s). A
    mutable() number alone, or in a tuple / list, is differentiated through its twin (_trace.twinned,
    _seq_twins)."""
    def twins(a) -> bool:
        return twinned(a) or number_seq(a)
    zeros = {p: zero_gradient(args[p]) for p in positions
             if not _differentiable(args[p]) and not twins(args[p]) and mutable_numbers(args[p])}
    return [p for p in positions if _differentiable(args[p]) or twins(args[p])], zeros


def _merged(asked, positions, grads, zeros, args) -> list:
    """The gradients in the order asked: differentiated ones (a mutable() number's as a Python number)
    and the zeros of mutable() tuples / lists of numbers."""
    it = iter(grads)
    out = [zeros[p] if p in zeros else next(it) for p in asked if p in zeros or p in positions]
    return [as_number(g, args[p]) if twinned(args[p]) else g
            for p, g in zip([p for p in asked if p in zeros or p in positions], out)]


def _checked_positions(gp, nargs: int) -> tuple[list[int], bool]:
    """grad_position as a list of argument indices, and whether it was a single int."""
    if gp is None:
        return [], False
    single = isinstance(gp, (int, np.integer)) and not isinstance(gp, bool)
    if not single and not isinstance(gp, (tuple, list)):
        raise TypeError(f"grad_position must be an int, a tuple of ints or None, got {type(gp).__name__}")
    pos: list[Any] = list(gp) if isinstance(gp, (tuple, list)) else [gp]
    if not pos:
        raise GradPositionError("grad_position should not be empty when grad by position")
    for p in pos:
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
            raise TypeError(f"grad_position holds {type(p).__name__}, not int")
        if p < 0:
            raise GradPositionError(f"grad_position must be >= 0, got {p}")
        if p >= nargs:
            raise GradPositionError(f"grad_position {p} is out of range: the function gets {nargs} input(s)")
    if len(set(map(int, pos))) < len(pos):  # MindSpore 2.10's ValueError and text (the server's is a RuntimeError)
        raise GradPositionError("There are duplicate positions in `grad_position`, please check it")
    return [int(p) for p in pos], single


def _stop_leaves(x):
    leaves, tdef = flatten(x)
    return unflatten(tdef, [P.stop_gradient(v) if isinstance(v, Tensor) else v for v in leaves])


def _aux_wrapper(fn, stopped_in_graph: bool = False):
    """fn for has_aux=True: the first output is differentiated, the others (aux) pass through as values (the grad
    node gives them no cotangent, `aux`); an outer derivative differentiates them, except grad / value_and_grad's
    (stopped_in_graph) with GRAPH_MODE's semantics, which stop them. MindSpore 2.10: grad(grad(f, has_aux=True))
    of (sum(x^3), sum(x^2)) at [1, 2] is [8, 16] in PyNative, [6, 12] in GRAPH_MODE; jacrev / jacfwd / vjp / jvp
    give the PyNative form in both modes."""
    def main(*a):
        out = fn(*a)
        if not isinstance(out, (tuple, list)) or len(out) < 2:
            raise TypeError("has_aux=True: fn must return more than one output (the first is differentiated)")
        stop = stopped_in_graph and _trace.graph_semantics()
        return (out[0], *([_stop_leaves(o) for o in out[1:]] if stop else out[1:]))

    main.__name__ = _label(fn)
    return main


def _n_aux(info) -> int:
    """How many of the traced (out, *aux)'s flat outputs are aux: all but the first output's Tensors."""
    return len(info.flat_out_avals) - sum(not st for st in _trace._static_leaves(info.out_tdef[1][0]))


def _aux_of(value):
    """The aux outputs as jvp / vjp / jacobians return them: one Tensor alone, several as a tuple."""
    return value[1] if len(value) == 2 else tuple(value[1:])


class _FunctionalGrad(_Derived):
    kind = "grad"
    _gs_made_from = ("target",)  # (fn and has_aux make it: a twin's key (_twins) leaves it out)

    def __init__(self, fn, grad_position, weights, sens_param, with_value, has_aux, return_ids=False,
                 state: bool = True):
        self.fn, self.grad_position, self.weights = fn, grad_position, weights
        self.state = state  # False: the Parameters fn assigns (running statistics...) are not written back
        self.sens_param, self.with_value = bool(sens_param), bool(with_value)
        self.has_aux, self.return_ids = bool(has_aux), bool(return_ids)
        self.target = _aux_wrapper(fn, stopped_in_graph=True) if has_aux else fn
        if grad_position is None and weights is None:
            raise ValueError("grad_position and weights cannot both be None")

    def _key(self):
        w = self._weight_ids()
        gp = self.grad_position if not isinstance(self.grad_position, list) else tuple(self.grad_position)
        return ("grad", gp, w, isinstance(self.weights, Parameter), self.sens_param, self.with_value, self.has_aux,
                self.return_ids, self.state)

    def _emit(self, *args):
        sens = None
        if self.sens_param:
            args, sens = args[:-1], _flat_sens(args[-1])
        asked, _ = _checked_positions(self.grad_position, len(args))
        pos, zeros = _grad_positions(args, asked)
        ws = [] if self.weights is None else _weights_of(self.fn, self.weights)
        at = _attr_writes.mark(current())
        try:
            with tracing_grad_function():
                info = trace_function(self.target, args, _label(self.fn), predeclare=ws, state=self.state,
                                      twins=True, inputs_written=self.state, attrs=self.state)
        finally:
            if not self.state:  # (vjp_fn: the forward's attribute writes are the forward call's, not made again)
                _attr_writes.restore(current(), at)
        if sens is not None and self.has_aux and len(sens) < len(info.flat_out_avals):
            sens = list(sens) + [Tensor(np.zeros(s, d)) for s, d in info.flat_out_avals[len(sens):]]
        n = len(info.flat_out_avals)
        if pos or ws:
            outs = emit_grad_node(info, args, positions=pos, weights=ws, sens=sens, with_value=True,
                                  aux=_n_aux(info) if self.has_aux else 0)
        else:  # nothing to differentiate: the value alone
            outs = emit_call_node(info, args)
        value, outs = unflatten(info.out_tdef, outs[:n]), outs[n:]
        order = [p for p in asked if p in zeros or p in pos]
        wgs = self._frozen_zeros(ws, outs[len(pos):])
        grads = self._structure(order, ws, _merged(asked, pos, outs[:len(pos)], zeros, args) + list(wgs))
        if self.has_aux:
            return (value, grads) if self.with_value else (grads, tuple(value[1:]))
        return (value, grads) if self.with_value else grads

    def _structure(self, pos, ws, outs):
        if not pos and not ws and self.weights is None:
            return ()
        pg, wg = list(outs[:len(pos)]), list(outs[len(pos):])
        if self.return_ids:
            pg = [(p, g) for p, g in zip(pos, pg)]
            wg = [(w.name, g) for w, g in zip(ws, wg)]
        # one gradient by position is the Tensor itself, also for grad_position=(0,) or a tuple whose
        # other positions are Python scalars (MindSpore 2.x)
        pgs = pg[0] if len(pg) == 1 else tuple(pg)
        wgs = wg[0] if isinstance(self.weights, Parameter) else tuple(wg)
        if self.grad_position is not None and self.weights is not None:
            return pgs, wgs
        return wgs if self.weights is not None else pgs


def grad(fn: Callable[..., Any], grad_position: int | Sequence[int] | None = 0, weights: Any = None,
         has_aux: bool = False, return_ids: bool = False, sens_param: bool = False) -> _FunctionalGrad:
    """Functional `grad` (MindSpore 2.x order): an int position gives one tensor, a tuple a tuple; with
    weights, (position grads, weight grads); grad_position=None with weights, the weight grads only.
    has_aux: fn returns (out, *aux); the result is (grads, aux). return_ids: each gradient as
    (position or parameter name, gradient) (see `get_grad`)."""
    return _FunctionalGrad(fn, grad_position, weights, sens_param, False, has_aux, return_ids)


def value_and_grad(fn: Callable[..., Any], grad_position: int | Sequence[int] | None = 0, weights: Any = None,
                   has_aux: bool = False, return_ids: bool = False, sens_param: bool = False) -> _FunctionalGrad:
    """Like `grad`, returning (value, grads); with has_aux the value is all of fn's outputs."""
    return _FunctionalGrad(fn, grad_position, weights, sens_param, True, has_aux, return_ids)


def get_grad(gradients, identifier):
    """The gradient of `identifier` (a position, a Parameter or its name) in the output of
    grad(..., return_ids=True). Not there: a RuntimeError; not a position, Parameter or name: a
    TypeError (MindSpore's exceptions)."""
    key = identifier.name if isinstance(identifier, Parameter) else identifier
    if not isinstance(key, (int, str)) or isinstance(key, bool):
        raise TypeError(f"get_grad: the identifier must be a position (int), a Parameter or its name, "
                        f"got {type(identifier).__name__}")
    stack = [gradients]
    while stack:
        g = stack.pop()
        if isinstance(g, tuple) and len(g) == 2 and isinstance(g[1], Tensor) and \
                isinstance(g[0], (int, str)) and not isinstance(g[0], bool):
            if g[0] == key and type(g[0]) is type(key):
                return g[1]
        elif isinstance(g, (tuple, list)):
            stack.extend(reversed(g))
    raise RuntimeError(f"get_grad: no gradient for {key!r} in the gradients (was return_ids=True given?)")


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _jvp_program(fn, n, has_aux: bool = False):
    def program(*a):
        vals, tans, info = emit_jvp(fn, a[:n], a[n:], label=_label(fn))
        out = unflatten(info.out_tdef, vals)
        if not has_aux:
            _check_jvp_output(out)
        return out, unflatten(info.out_tdef, tans)

    return program


def _check_jvp_output(out) -> None:
    """MindSpore 2.10's jvp seeds each output (each item of a tuple output) with OnesLike: a list, a nested tuple or
    a dict there is its TypeError (probe /work/scratch_left33/p5.py, both modes: 'Failed calling OnesLike with
    "x=List[Tensor[Float32]*2]".'); gradserve answered with their tangents."""
    for item in out if type(out) is tuple else (out,):
        if isinstance(item, (list, tuple, dict)):
            raise TypeError(f'Failed calling OnesLike with "x={_abstract(item)}".\nThe valid calling should be: '
                            '"x=<Tensor>".')


def _abstract(v) -> str:
    """v's type as MindSpore's abstract prints it: Tensor[Float32], List[Tensor[Float32]*2], Dictionary[[a,],[...]]."""
    if isinstance(v, Tensor):
        return f"Tensor[{v.dtype}]"
    if isinstance(v, dict):
        return (f"Dictionary[[{''.join(f'{k},' for k in v)}],[{', '.join(_abstract(e) for e in v.values())}]]")
    if isinstance(v, (list, tuple)):
        runs: list[list] = []
        for e in map(_abstract, v):
            if runs and runs[-1][0] == e:
                runs[-1][1] += 1
            else:
                runs.append([e, 1])
        items = ", ".join(e if k == 1 else f"{e}*{k}" for e, k in runs)
        return f"{'List' if isinstance(v, list) else 'Tuple'}[{items}]"
    return type(v).__name__


def _is_int_tensor(x) -> bool:
    return isinstance(x, Tensor) and np.dtype(x._dtype).kind in "iub"


def _int_jvp_program(fn, n):
    """J v as the gradient of u -> <J^T u, v> (MindSpore's own jvp, a vjp of a vjp): grad's int_grads rule
    then gives integer inputs their integer tangents, which the engine's forward mode refuses."""
    def program(*a):
        xs, vs = a[:n], a[n:]
        at = _attr_writes.mark(current())
        info = trace_function(fn, xs, _label(fn), state=True, attrs=True)
        _attr_writes.restore(current(), at)  # (the gradients below trace fn again from the attributes' values)
        vals = emit_call_node(info, xs) if not info.attr_writes else None  # (with attribute writes: made last)
        us = [Tensor(np.zeros(s, d)) for s, d in info.flat_out_avals]

        def transposed(*u):  # J^T u, one entry per input
            return tuple(emit_grad(fn, xs, positions=list(range(n)), sens=list(u), label=_label(fn))[0])

        tans = emit_grad(transposed, us, positions=list(range(len(us))), sens=list(vs), label=_label(fn))[0]
        if vals is None:  # (last: the attributes end holding the call's values, not the gradients' traces')
            vals = emit_call_node(info, xs)
        out = unflatten(info.out_tdef, vals)
        _check_jvp_output(out)
        return out, unflatten(info.out_tdef, tans)

    return program


def jvp(fn, inputs, v, has_aux: bool = False):
    """`jvp(fn, inputs, v) -> (fn(*inputs), J v)`; forward mode. has_aux: fn returns (out, *aux);
    the result is (out, J v of out, aux). MindSpore's checks first: inputs and v Tensors or sequences (TypeError),
    as many of one as of the other (ValueError)."""
    if not isinstance(inputs, (Tensor, tuple, list)) or not isinstance(v, (Tensor, tuple, list)):
        raise TypeError("The inputs type must be a Tensor, tuple or list of Tensors.")
    xs, vs = _as_tuple(inputs), _as_tuple(v)
    if len(xs) != len(vs):
        raise ValueError(f"v has invalid length: should be {len(xs)}, but got {len(vs)}")
    target = _aux_wrapper(fn) if has_aux else fn
    integer = not has_aux and any(_is_int_tensor(x) for x in xs) and all(isinstance(x, Tensor) for x in xs)
    program = _int_jvp_program(target, len(xs)) if integer else _jvp_program(target, len(xs), has_aux)
    if current() is not None:
        out, tan = program(*xs, *vs)
    else:
        lifts = _pynative_lifts(fn, xs)
        if lifts:  # (the step's data fn closes over: inputs, not constants)
            program = _lifted.program(fn, program, lifts, 2 * len(xs))
        out, tan = run_program(program, [*xs, *vs, *(t for _, t in lifts)], label=f"jvp_{_label(fn)}",
                               cache=_cache_for(fn, ("jvp", len(xs), bool(has_aux), integer), lifts))
    return (out[0], tan[0], _aux_of(out)) if has_aux else (out, tan)


def _vjp_program(fn, n, tuple_inputs):
    def program(*a):
        xs, vs = a[:n], a[n:]
        outs, info = emit_grad(fn, xs, positions=list(range(n)), sens=list(vs), with_value=True, label=_label(fn))
        k = len(info.flat_out_avals)
        value, grads = unflatten(info.out_tdef, outs[:k]), tuple(outs[k:])
        return value, (grads if tuple_inputs else grads[0])

    return program


def check_cotangent_kind(out, v) -> None:
    """A sequence of cotangents for a function whose output is one Tensor: MindSpore 2.10's TypeError (its graph
    cannot join the tuple with the Tensor), where a 1-tuple would otherwise pass as the Tensor."""
    check_cotangents_for_one_tensor(isinstance(out, Tensor), v)


def check_cotangents_for_one_tensor(one_tensor: bool, v) -> None:
    if one_tensor and isinstance(v, (tuple, list)):
        raise TypeError("Type Join Failed: Abstract type AbstractTuple cannot join with AbstractTensor.")


def _seed_vjp(fn, inputs, v):
    xs = _as_tuple(inputs)
    vs = flatten(v)[0]
    program = _vjp_program(fn, len(xs), isinstance(inputs, (tuple, list)))
    if current() is not None:
        return program(*xs, *vs)
    return run_program(program, [*xs, *vs], cache=_cache_for(fn, ("vjp", len(xs), isinstance(inputs, (tuple, list)))),
                       label=f"vjp_{_label(fn)}")


def _max_positional(fn) -> int | None:
    """How many positional arguments fn accepts (None: any number)."""
    target = fn if inspect.isfunction(fn) or inspect.ismethod(fn) else getattr(fn, "construct", fn)
    try:
        params = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def _is_seed_vjp(fn, inputs, weights, has_aux) -> bool:
    """The seed's `vjp(fn, inputs, v)` beside 2.x's `vjp(fn, *inputs)`: two arguments after fn, no
    keywords, and either the first is a tuple/list of inputs or fn takes a single argument (so the
    second cannot be an input: it is the cotangent). Everything else is the 2.x form."""
    if weights is not None or has_aux or len(inputs) != 2:
        return False
    return isinstance(inputs[0], (tuple, list)) or _max_positional(fn) == 1


def _call(fn, args):
    if current() is not None:
        return fn(*args)
    lifts = _pynative_lifts(fn, args)
    program = _lifted.program(fn, fn, lifts, len(args)) if lifts else fn  # (the step's data fn closes over)
    return run_program(program, [*args, *(t for _, t in lifts)], cache=_cache_for(fn, ("call",), lifts),
                       label=_label(fn))


def _pynative_lifts(fn, args) -> tuple:
    """The closure Tensors a top-level call of fn takes as inputs: PyNative's (_lifted); () in GRAPH_MODE."""
    return _lifted.closure_tensors(fn, args) if _context.get_context("mode") == _context.PYNATIVE_MODE else ()


def _snapshot(x):
    """A plain Tensor input's value now, as a new Tensor (Parameters and other values as they are)."""
    if type(x) is not Tensor:
        return x
    snap = Tensor(np.array(x._host_copy()))
    snap.__dict__["_gs_stands_for"] = x  # (PyNative: vjp_fn differentiates the caller's object: _trace.pynative_captures)
    return snap


def _snapshots(inputs) -> tuple:
    """Each input's _snapshot, one per Tensor object: one Tensor at several positions stays one object, so a
    PyNative vjp_fn sums its gradient over them as grad does (MindSpore 2.10: _trace.pynative_aliases)."""
    made: dict = {}
    return tuple(made[id(x)] if id(x) in made else made.setdefault(id(x), _snapshot(x)) for x in inputs)


def _check_vjp_items(items: tuple) -> None:
    """vjp's inputs and vjp_fn's cotangents: each a Tensor, tuple or list (MindSpore 2.10's TypeError otherwise, in
    either mode: vjp(net, 1), vjp_fn(1.0))."""
    if not all(isinstance(x, (Tensor, tuple, list)) for x in items):
        raise TypeError("The inputs type must be Tensor.")


def vjp(fn, *inputs, weights=None, has_aux: bool = False):
    """MindSpore 2.x `vjp(fn, *inputs, weights=None, has_aux=False) -> (out, vjp_fn[, aux])`, where
    `vjp_fn(v)` gives the input gradients (a tuple; with weights, (input grads, weight grads)).
    The seed's `vjp(fn, inputs, v) -> (out, v^T J)` is recognised by `_is_seed_vjp`'s rule."""
    if _is_seed_vjp(fn, inputs, weights, has_aux):
        return _seed_vjp(fn, inputs[0], inputs[1])
    _check_vjp_items(inputs)
    # vjp_fn differentiates at the inputs the forward saw: a forward that writes an input in place (x.add_(1) in
    # a GRAPH_MODE construct) has changed the caller's Tensor by the time vjp_fn runs
    at = inputs if current() is not None else _snapshots(inputs)
    with _vjp_handover.vjp_forward() as handed:  # (its hooks' first pass: vjp_fn's runs trace what they returned)
        out = _call(_aux_wrapper(fn) if has_aux else fn, inputs)
    target = (lambda *a: fn(*a)[0]) if has_aux else fn
    target.__name__ = _label(fn)
    positions = tuple(_tensor_positions(inputs, range(len(inputs))))
    # vjp_fn is the backward pass only: the forward ran once above, with its Parameter writes (a BatchNorm's
    # running statistics); each vjp_fn call reruns it for the gradient but must not write them again
    g = _FunctionalGrad(target, positions or None, weights, True, False, False, state=False) if (positions or weights) else None

    def vjp_fn(*v):
        _check_vjp_items(v)
        v = v[0] if len(v) == 1 else v
        check_cotangent_kind(out[0] if has_aux else out, v)
        if g is None:
            return ()
        with _vjp_handover.vjp_backward(handed):
            res = g(*at, v)
        if weights is None:
            return res if isinstance(res, tuple) else (res,)
        if not positions:
            return (), res
        pg, wg = res
        return (pg if isinstance(pg, tuple) else (pg,)), wg  # the input gradients always a tuple

    if has_aux:
        return out[0], vjp_fn, _aux_of(out)
    return out, vjp_fn


# -- Jacobians: gradserve/_jacobian.py (compact: one vmap over a basis) --------------------------------
