"""Tracing: Python code over Tensors -> a `gradserve.graph/1` graph.

A `Trace` records one graph body (the top graph, or a function that a derivative node
refers to). Calling a cell or an op with no trace active starts a top-level trace
(`run_program`): the tensor arguments become graph inputs, `construct` runs once on
symbolic Tensors, and the resulting graph is sent to the service's /v1/eval.
Derivative interfaces (`GradOperation`, `grad`, `jvp`, ...) called inside a trace trace
their function into a *function* of the graph (`trace_function`) and emit one `grad`
or `jvp` node over it, so derivatives nest (GradSec(Grad(net)), a loss using ops.grad).

A function that uses a Tensor of an enclosing trace (a closure) gets it as an extra
input after its own arguments ("captures"); parameters are one namespace for the
graph and all its functions, and their values travel in the top graph.
"""
from __future__ import annotations

import base64
import collections
import collections.abc
import contextlib
import copy
import functools
import inspect
import json
import os
import re
import threading
import types
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from . import _amp_cast, _attr_writes, _ir_dump, _join_kinds, _lifted, _graph_print, _graph_steps, _calling_errors, _catalog, _eager, _hook_probes, _lane, _nonfinite_attrs, _param_state, _private_arrays, _pyguard, _same_args, _seq_twins, _value_reads, _views
from . import _tensor as _tensor_mod
from . import context as _context
from ._client import GraphRef
from ._infer import infer
from ._shape_rules import complex_as_pairs
from .dtype import COMPLEX, FLOAT, check_implicit, promote
from .dtype import Type as DType
from .errors import DeviceUnavailable, DifferentiationError, ShapeError
from ._late import late
from ._dynamic_len import DynamicList, DynamicTuple
from ._misc import current_trace as _misc_current_trace
from ._misc import MUTABLE_NUMBERS, MutableDict, MutableFloat, MutableInt, MutableList, MutableTuple, twin_of, with_twin
from ._sparse import SPARSE_CLASSES, SPARSE_KIND, SparseTensor
from ._slice_bounds import slice_bound
from ._tensor import Parameter, Tensor

_tls = threading.local()
B64_ELEMENTS = 1024  # constants and parameter values at least this large travel as base64
BINARY_OUTPUT_BYTES = 4096  # outputs expected this large come back binary (a 100x100 Jacobian: 2.5x faster)


class TraceError(RuntimeError):
    pass


def _stack() -> list:
    s = getattr(_tls, "stack", None)
    if s is None:
        s = _tls.stack = []
    return s


def current() -> "Trace | None":
    s = getattr(_tls, "stack", None)  # (as _stack(), without making one: asked on every call of a loop)
    return s[-1] if s else None


_misc_current_trace[0] = current  # (mutable() lists note the trace they are made in: _misc.MutableList)


def innermost() -> "Trace":
    """The innermost trace, where the caller runs only while tracing."""
    tr = current()
    if tr is None:
        raise RuntimeError("no active trace: this runs only while a function is traced")
    return tr


class no_grad:
    """MindSpore's `_no_grad`, as `with _no_grad():` or `@_no_grad()`: what is computed inside is a
    constant to every derivative (each traced op's outputs pass through stop_gradient), and asking
    for a derivative inside is an error, as in MindSpore."""

    def __enter__(self) -> "no_grad":
        _tls.no_grad = getattr(_tls, "no_grad", 0) + 1
        return self

    def __exit__(self, *exc) -> None:
        _tls.no_grad -= 1

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def inside(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)
        return inside


def in_no_grad() -> bool:
    return getattr(_tls, "no_grad", 0) > 0


def _refuse_in_no_grad() -> None:
    if in_no_grad():
        raise RuntimeError("In no_grad context, you can not calculate gradient (a derivative was asked for "
                           "inside `_no_grad`)")


@contextlib.contextmanager
def active(tr: "Trace"):
    s = _stack()
    s.append(tr)
    try:
        yield tr
    finally:
        s.pop()


# -- trees ----------------------------------------------------------------------------------------
def _children(values, flat) -> tuple[list, tuple]:
    """The leaves and tree defs of a node's children, flattened by `flat`."""
    leaves, defs = [], []
    for v in values:
        lv, d = flat(v)
        leaves.extend(lv)
        defs.append(d)
    return leaves, tuple(defs)


# mutable() containers keep their type through a trace
_KINDS = {MutableTuple: "mtuple", MutableList: "mlist", _seq_twins.WholeTuple: "mtuple", _seq_twins.WholeList: "mlist",
          DynamicTuple: "dtuple", DynamicList: "dlist"}
_BUILD = {"list": list, "tuple": tuple, "mtuple": MutableTuple, "mlist": MutableList, "dtuple": DynamicTuple, "dlist": DynamicList,
          "slice": lambda items: slice(*items)}


def _sequence_kind(x):
    """A list's / tuple's kind in a tree def: a namedtuple's is its class (MindSpore 2.10's graphs keep a
    namedtuple argument's fields and return a namedtuple as one), rebuilt by unflatten."""
    if isinstance(x, list):
        return "list"
    return type(x) if hasattr(type(x), "_fields") else "tuple"


def _rebuilt(kind, items):
    return kind(*items) if isinstance(kind, type) else _BUILD[kind](items)


def flatten(x) -> tuple[list, Any]:
    if isinstance(x, MutableDict):  # a plain dict is one (constant) leaf
        leaves, defs = _children(x.values(), flatten)
        return leaves, ("mdict", tuple(x), defs)
    if isinstance(x, (tuple, list)) and not isinstance(x, Tensor):
        leaves, defs = _children(x, flatten)
        return leaves, (_KINDS.get(type(x)) or _sequence_kind(x), defs)
    if isinstance(x, SparseTensor):
        return _sparse_node(x, flatten)
    return [x], "*"


def _sparse_node(x: SparseTensor, flat) -> tuple[list, Any]:
    """A sparse tensor (gradserve._sparse): its parts are the leaves; its class and shape stay in the tree."""
    leaves, defs = _children(x.parts(), flat)
    return leaves, ("sparse", (SPARSE_KIND[type(x)], x.shape), defs)


def unflatten(tdef, leaves, *, as_list: bool = False):
    it = iter(leaves)

    def build(d):
        if d == "*":
            return next(it)
        if d[0] == "static":
            return d[1]
        if d[0] == "pynum":  # a number once computed; inside a trace, the traced scalar
            leaf = next(it)
            data = getattr(leaf, "_data", None)
            if data is None:  # still traced: marked, so that the enclosing program's output is a number too
                setattr(leaf, "_py_number", d[1])
                return leaf
            return _PYNUM[d[1]](np.asarray(data).item())
        if d[0] in ("dict", "mdict"):  # an output's dict; an argument's mutable dict stays mutable
            return (dict if d[0] == "dict" else MutableDict)(zip(d[1], (build(s) for s in d[2])))
        if d[0] == "sparse":
            return SPARSE_CLASSES[d[1][0]].from_parts([build(s) for s in d[2]], d[1][1])
        kind, subs = d
        items = [build(s) for s in subs]
        return items if as_list else _rebuilt(kind, items)

    try:
        return build(tdef)
    finally:
        # a recursive closure is a reference cycle (build -> its cell -> build) holding `it` and so the
        # leaves: a call's outputs would live until the cyclic GC ran (gradserve._shm reuses their region
        # once they are gone)
        del build


def tensor_group(a) -> bool:
    """Whether an argument is a group of Tensor inputs: a non-empty tuple / list / mutable dict whose
    leaves are all Tensors (each leaf one input; its gradient comes back in its structure) or, in graph
    mode, a mutable() tuple / list of Tensors and Python numbers (each number a constant of gradient 0)."""
    if isinstance(a, SparseTensor):  # (a sparse tensor's parts: its gradient is one of its kind)
        return True
    if not isinstance(a, (tuple, list, MutableDict)) or not a:
        return False
    leaves = flatten(a)[0]
    if all(isinstance(v, Tensor) for v in leaves):
        return True
    return mutable_numbers(a) and any(isinstance(v, Tensor) for v in leaves)


def mutable_numbers(a) -> bool:
    """Whether a is mutable()'s number or tuple / list with numbers, in graph mode (where MindSpore gives
    such an argument a gradient: 0 for each number); in PyNative mode mutable() changes nothing."""
    if _context.get_context("mode") != _context.GRAPH_MODE:
        return False
    if isinstance(a, MUTABLE_NUMBERS):
        return True
    return isinstance(a, (MutableTuple, MutableList)) and all(isinstance(v, (Tensor, int, float))
                                                              for v in flatten(a)[0])


def twinned(a) -> bool:
    """Whether a is a mutable() int / float that a differentiated function takes as a traced scalar (its
    twin, _misc.with_twin): graph mode, where MindSpore 2.10 differentiates such a number through the ops
    it reaches directly."""
    return isinstance(a, (MutableInt, MutableFloat)) and mutable_numbers(a)


_PYNUM = {"float": float, "int": int, "bool": bool}  # a mutable() number's gradient is a Python number (an int truncated)


def as_number(t: Tensor, a) -> Tensor:
    """t, the gradient of twinned number a, marked to come back from a run as a Python number of a's kind;
    as a number it carries no derivative (MindSpore 2.10: grad of a function returning it gives 0s)."""
    t = apply1("stop_gradient", t)
    setattr(t, "_py_number", "float" if isinstance(a, float) else "int")  # (not a Tensor field: rare)
    return t


def zero_gradient(a):
    """The gradient MindSpore 2.10 gives a mutable() number (0.0 for a float, 0 for an int or bool) or
    tuple / list of them (a tuple / list of those)."""
    if isinstance(a, (tuple, list)):
        return (list if isinstance(a, list) else tuple)(zero_gradient(v) for v in a)
    return 0.0 if isinstance(a, float) else 0


def _group_leaf(v, make):
    """A group's leaf inside the trace: a Tensor becomes an input (make), a number stays itself."""
    return make(v) if isinstance(v, Tensor) else v


def _grad_tree(tdef):
    """The structure of a group's gradients: the group's (a mutable dict's is a dict with its keys, a list's
    a list: MindSpore 2.10)."""
    if tdef == "*":
        return tdef
    if tdef[0] in ("mdict", "sparse"):
        return ("dict" if tdef[0] == "mdict" else "sparse", tdef[1], tuple(_grad_tree(s) for s in tdef[2]))
    kind = "tuple" if isinstance(tdef[0], type) else {"mtuple": "tuple", "mlist": "list", "dtuple": "tuple", "dlist": "list"}.get(tdef[0], tdef[0])
    return (kind, tuple(_grad_tree(s) for s in tdef[1]))


def _is_static(v) -> bool:
    """A non-Tensor output (None, str, a Python number, a dtype): passed through, not a graph output."""
    return v is None or isinstance(v, DType) or (isinstance(v, (str, bool, int, float)) and not isinstance(v, Tensor))


def _listed(out):
    """A traced function's output, a generator it returns made a list (MindSpore 2.10's graphs return one so)."""
    return list(out) if isinstance(out, types.GeneratorType) else out


_FUNCTION_TYPES = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.MethodWrapperType,
                   functools.partial)


def flatten_out(x) -> tuple[list, Any]:
    """flatten for outputs: dicts are trees too, and static values (functions too) live in the tree, not the
    leaves."""
    if isinstance(x, _FUNCTION_TYPES):  # PyNative returns the very function (graph mode refuses: outputs_of)
        return [], ("static", x)
    if isinstance(x, (np.ufunc, type)):  # np.sin, a class (`type("C", (object,), {})` too): MindSpore 2.10
        return [], ("static", x)  # returns it in both modes
    if isinstance(x, (collections.abc.KeysView, collections.abc.ValuesView)):  # MindSpore 2.10 gives a tuple
        x = tuple(x)
    if isinstance(x, (filter, map)):  # a lazy iterator: MindSpore 2.10's graph gives its items as a list
        x = list(x)
    if isinstance(x, dict):
        leaves, defs = _children(x.values(), flatten_out)
        return leaves, ("dict", tuple(x), defs)
    if type(x) is np.ndarray:  # a NumPy array (a global one, say): MindSpore 2.10's jit returns it as it is
        return [], ("static", x)
    if type(x) is list and not _holds_traced(x):
        # a Python list of values: the very object (MindSpore 2.10 returns a global / attribute / argument
        # list itself, `id(out) == id(lst)`); the trace is then not cached (_keeps_lists), so that a list made
        # in the function is a new one each call
        return [], ("static", x)
    if isinstance(x, (tuple, list)) and not isinstance(x, Tensor):
        leaves, defs = _children(x, flatten_out)
        return leaves, (_sequence_kind(x), defs)
    if isinstance(x, SparseTensor):
        return _sparse_node(x, flatten_out)
    if isinstance(x, slice) and any(isinstance(v, Tensor) for v in (x.start, x.stop, x.step)):
        # `slice(x, 1, 2)` returned by a construct: MindSpore 2.10 returns it with x's value in it, and no
        # gradient flows through it (GradOperation's default sens skips it: d(w x + b, slice(x))/dx is w)
        parts = tuple(apply1("stop_gradient", v) if isinstance(v, Tensor) and v._data is None
                      and v._trace is current() else v for v in (x.start, x.stop, x.step))
        leaves, defs = _children(parts, flatten_out)
        return leaves, ("slice", defs)
    if isinstance(x, (np.integer, np.floating, np.bool_)):
        # a NumPy scalar (an element of an array the function iterated, an array's sum): MindSpore 2.10's jit
        # returns its Python number (np.array([1, 2]).sum() is int 3), not a Tensor
        return [], ("static", x.item())
    if _is_static(x):
        return [], ("static", x)
    kind = getattr(x, "_py_number", None)  # a mutable() number's gradient (as_number)
    if kind:
        return [x], ("pynum", kind)
    return [x], "*"


def _holds_function(x, depth: int = 0) -> bool:
    """Whether an output tree returns a function or method at any depth."""
    if isinstance(x, (list, tuple)) and not isinstance(x, Tensor):
        return depth <= 32 and any(_holds_function(v, depth + 1) for v in x)
    if isinstance(x, dict):
        return depth <= 32 and any(_holds_function(v, depth + 1) for v in x.values())
    return isinstance(x, _FUNCTION_TYPES)


def _holds_traced(x, depth: int = 0) -> bool:
    """Whether a list / tuple / dict holds a traced Tensor (or anything but values: a sparse tensor) at any depth."""
    if isinstance(x, Tensor):
        return x._data is None
    if isinstance(x, (list, tuple)):
        return depth > 32 or any(_holds_traced(v, depth + 1) for v in x)
    if isinstance(x, dict):
        return depth > 32 or any(_holds_traced(v, depth + 1) for v in x.values())
    return isinstance(x, SparseTensor)


def _call_args(args: Sequence, rebuilt: Any) -> tuple[list, list]:
    """The arguments a trace calls its function with: an argument that is a Python list (or a tuple) of values
    (no Tensor in it) is the caller's object itself, as MindSpore 2.10 passes it (`x.reverse()` in the function
    reverses the caller's list, also one inside a tuple); with each, a copy to tell whether the function changed
    it."""
    rebuilt, kept = list(rebuilt), []
    for i, a in enumerate(args):
        if type(a) in (list, tuple) and not _holds_tensor(a):
            rebuilt[i] = a
            kept.append((a, copy.deepcopy(a)))
    return rebuilt, kept


def contained_aliases(args: Sequence, leaves: list) -> tuple | None:
    """For a call whose list / tuple argument holds a Tensor given again (`f(a, [a, b])`): for each leaf,
    the index of the leaf it is the same object as (itself if none), so that inside the trace it is one object
    too (`a in [a, b]` is True by identity, as in MindSpore 2.10: no elementwise == asked for a truth value);
    a top-level Tensor argument is not made an alias (f(x, x) keeps its two inputs) but in a PyNative Cell's
    own call (top_level_aliases). None: no such repeat."""
    ids = [id(x) for x in leaves if isinstance(x, Tensor)]
    if len(set(ids)) == len(ids):
        return None
    top, pos = set(), 0
    for a in args:
        if isinstance(a, Tensor) and not top_aliases[0]:
            top.add(pos)
        pos += 1 if isinstance(a, Tensor) else len(flatten(a)[0])
    seen: dict = {id(leaves[j]): j for j in sorted(top, reverse=True)}  # a held Tensor given at the top level too
    out = []  # is that argument, wherever it comes (f([a, b], a) as f(a, [a, b]): _pynative_shared_leaves)
    for j, x in enumerate(leaves):
        first = seen.setdefault(id(x), j) if isinstance(x, Tensor) else j
        out.append(j if j in top else first)
    return tuple(out) if any(k != j for j, k in enumerate(out)) else None


# Set around a PyNative Cell's own top-level call (not a grad's, not GRAPH_MODE / jit): a Tensor given twice
# (net(x, x)) is one object inside, as MindSpore 2.10's PyNative runs construct on the caller's objects: `a is b`
# True, an in-place write to a seen through b. Its GRAPH_MODE gives `a is b` False (two graph inputs), and a
# grad keeps one input a position (contained_aliases).
top_aliases: list = [False]


@contextlib.contextmanager
def top_level_aliases(on: bool):
    before, top_aliases[0] = top_aliases[0], on
    try:
        yield
    finally:
        top_aliases[0] = before


def _holds_tensor(x, depth: int = 0) -> bool:
    if isinstance(x, (Tensor, SparseTensor)) or depth > 32:
        return True
    if isinstance(x, (list, tuple)):
        return any(_holds_tensor(v, depth + 1) for v in x)
    if isinstance(x, dict):
        return any(_holds_tensor(v, depth + 1) for v in x.values())
    return False


def _changed_lists(kept: list) -> bool:
    """Whether the function changed a list argument it was given (its trace is then not cached: a cached
    one would not change the list again)."""
    for a, before in kept:
        try:
            if bool(a != before):
                return True
        except Exception:  # noqa: BLE001 - a value without a plain ==: count it as changed
            return True
    return False


def _keeps_lists(tdef) -> bool:
    """Whether an output tree returns a Python list object itself (flatten_out)."""
    if tdef == "*" or tdef[0] == "pynum":
        return False
    if tdef[0] == "static":
        return type(tdef[1]) in (list, np.ndarray)  # (mutable: the next call's is read again)
    subs = tdef[2] if tdef[0] in ("dict", "sparse") else tdef[1]
    return any(_keeps_lists(d) for d in subs)


def _static_leaves(tdef) -> list[bool]:
    """For each leaf of an output tree, Tensors and static values in order: whether it is static."""
    if tdef == "*":
        return [False]
    if tdef[0] == "static":
        return [True]
    if tdef[0] == "pynum":
        return [False]
    subs = tdef[2] if tdef[0] in ("dict", "sparse") else tdef[1]
    return [m for s in subs for m in _static_leaves(s)]


def _plain_tree(tdef) -> bool:
    """Whether an output tree is tuples of Tensors only (the graph's own output structure; a list is rebuilt
    here, so that it stays a list as MindSpore 2.10's outputs do)."""
    if tdef == "*":
        return True
    return tdef[0] == "tuple" and all(_plain_tree(s) for s in tdef[1])


def _sig(leaf):
    if isinstance(leaf, Tensor):
        return ("T", leaf._shape, leaf._dtype)
    try:
        hash(leaf)
        return ("S", type(leaf).__name__, leaf)
    except TypeError:
        return ("S", type(leaf).__name__, _constant_key(leaf))


class _Held:
    """An object as a cache key by identity, kept alive by the key: its address cannot be taken by another
    object while the trace it keys is cached (an id() alone could, once the object was freed)."""
    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Held) and other.obj is self.obj


def _constant_key(x, depth: int = 0):
    """A hashable key for an unhashable constant argument (a trace bakes its value in): its value for a dict,
    list, set, NumPy array or concrete Tensor inside one (the dict of keyword values jit and Cells build anew
    on every call was keyed by id(): a freed dict's address reused by the next call's hit the old trace, with
    the old values in it); any other object by identity, held alive."""
    if depth > 32:
        return _Held(x)
    if isinstance(x, Tensor):  # (a traced one, inside a constant: by identity; its == is elementwise)
        return ("T", _constant_key(x._data, depth + 1)) if x._data is not None else _Held(x)
    if isinstance(x, np.ndarray):
        return ("A", x.shape, x.dtype.str, x.tobytes() if x.dtype.kind != "O" else _Held(x))
    if isinstance(x, dict):
        return ("D", type(x).__name__, tuple((_constant_key(k, depth + 1), _constant_key(v, depth + 1))
                                             for k, v in x.items()))
    if isinstance(x, (list, tuple)):
        return ("L", type(x).__name__, tuple(_constant_key(v, depth + 1) for v in x))
    if isinstance(x, (set, frozenset)):
        return ("F", type(x).__name__, frozenset(_constant_key(v, depth + 1) for v in x))
    try:
        hash(x)
        return (type(x).__name__, x)
    except TypeError:
        return _Held(x)


# -- JSON helpers ---------------------------------------------------------------------------------
def tensor_json(a: np.ndarray, raw: list | None = None) -> dict:
    """A tensor's JSON; raw: a list given gets the bytes its base64 encodes as a uint8 array, if it is written as
    base64 (the value by hash reads them: _weights_by_hash.split): a view of `a` itself where it is contiguous
    and little-endian (no copy: a Parameter's array, which the SDK never writes into), else a copy."""
    a = np.asarray(a)
    d = {"shape": list(a.shape), "dtype": a.dtype.name}
    # (kind "V" is bfloat16: a float, and JSON has no NaN / Inf either)
    if a.size >= B64_ELEMENTS or (a.dtype.kind not in "iub" and not np.isfinite(a).all()):
        data = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).reshape(-1).view(np.uint8)
        d["b64"] = base64.b64encode(data.data).decode()
        if raw is not None:
            raw.append(data)
    else:  # a complex element as its [re, im] pair
        d["data"] = (complex_as_pairs(a).reshape(-1, 2) if a.dtype.kind == "c" else a.reshape(-1)).tolist()
    return d


def jsonable(v):
    if isinstance(v, np.ndarray):
        return {"tensor": tensor_json(v)}
    if isinstance(v, (tuple, list)):
        return [jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, Tensor):
        return jsonable(v._host_copy())
    return v


def _label(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", s)[:40] or "f"


_names_memo: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _arg_names(fn, n: int) -> list[str]:
    """Argument names of fn (a function or a Cell's construct), memoised per function: inspect.signature
    costs ~0.1 ms, paid on every call of a derivative function otherwise."""
    target = getattr(fn, "construct", None) if not inspect.isfunction(fn) else fn
    # a callable object without construct (a derivative function: vmap(grad(f))'s inner grad) is its own key
    key = getattr(target, "__func__", target) if target is not None else fn
    try:
        memo = _names_memo.setdefault(key, {})
    except TypeError:  # not weak-referenceable: no memo
        memo = {}
    hit = memo.get((n, hasattr(target, "__self__")))
    if hit is None:
        hit = memo[(n, hasattr(target, "__self__"))] = _arg_names_uncached(fn, target, n)
    return list(hit)


def _arg_names_uncached(fn, target, n: int) -> list[str]:
    names: list[str] = []
    try:
        sig = inspect.signature(target if target is not None else fn)
        for p in sig.parameters.values():
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                names.append(p.name)
    except (TypeError, ValueError):
        pass
    return [names[i] if i < len(names) else f"x{i}" for i in range(n)]


# -- the trace ------------------------------------------------------------------------------------
class Trace:
    user_vmaps = 0  # user vmap bodies being traced below this trace (ops._dropout refuses to run there)
    graph = False  # (a root's) GRAPH_MODE's semantics whatever the mode: a jit function's (trace_program)
    if_side = False  # one side of a traced `if` (_branches): in-place writes there are carried out by the cond
    no_cache = False  # (a root's) its trace ran Python a PyNative call must run again: never reused (uncacheable)
    attr_writes: list  # (a root trace_program made) the attribute writes of the traced code: _attr_writes.Write
    output_names: Any  # (a trace_function's) its outputs' names: whether a hook's probed point is used (_hook_probes)
    input_writes: "InputWrites | None" = None  # its inputs an in-place op may write back to the caller
    # (a root's) its inputs that are a list or tuple argument's Tensors (not mutable()'s): MindSpore 2.10 folds
    # `seq.index(2)` of these as constants (_member_in._from_constants)
    sequence_leaves: "frozenset[str]" = frozenset()
    by_condition: "dict | None" = None  # cond outputs a Python number on each side: {name: the condition's name}
    ir: "_ir_dump.Recorder | None" = None  # (a root's) its nodes' source lines, with save_graphs on

    def __init__(self, parent: "Trace | None", label: str):
        self.parent = parent
        self.root: Trace = parent.root if parent is not None else self
        self.label = _label(label)
        self.inputs: list[dict] = []
        self.params: dict[str, tuple] = {}  # name -> (shape, dtype), declared in this body
        self.nodes: list[dict] = []
        self.captures: list[Tensor] = []
        self._capture_names: dict[int, str] = {}
        self._consts: dict[int, tuple] = {}
        self._n = 0
        self.outer: dict[str, Tensor] = {}  # input name -> the value it stands for in this call (_value_reads)
        self.aliases: dict[int, Tensor] = {}  # id of a call's argument -> its input here (pynative_captures)
        self.values: dict[str, np.ndarray] = {}  # values read in this call (_value_reads)
        if parent is None:
            self.known: dict[str, np.ndarray] | None = None  # input name -> array: the call's own inputs
            self.reads = 0  # values read while tracing: a trace specialised on them is never cached
            self.origin: dict[int, Tensor] = {}  # id of an input -> the argument it stands for (pynative_captures)
            self.const_ids: set[int] = set()  # ids of the Tensors made constants (a cached trace's: run_program)
            self.const_data: list[tuple] = []  # (Tensor, its array) of each made a constant: a write since is seen
            self.const_keys: set[tuple[int, int]] = set()  # (ids of) const_data's pairs: a set, not a scan of it
            self.functions: dict[str, dict] = {}
            self._fn_by_content: dict[bytes, str] = {}
            self.param_objs: dict[str, Parameter] = {}
            self._param_names: dict[int, str] = {}
            # (seeded op generator, its first state, whether it repeats in graphs) made while tracing: op_generator
            self.generators: list[tuple] = []

    # names
    def fresh(self) -> str:
        self._n += 1
        return f"%{self._n}"

    def new_input(self, shape, dtype: str, name: str = "x") -> Tensor:
        """A graph input. Nodes refer to it by an internal name; `body` gives it `name` (made unique,
        and distinct from every parameter name)."""
        internal = f"%in{len(self.inputs)}"
        self.inputs.append({"name": internal, "pretty": name or "x", "shape": list(shape), "dtype": dtype})
        return Tensor._symbolic(self, internal, shape, dtype)

    def is_ancestor(self, tr: "Trace") -> bool:
        p = self.parent
        while p is not None:
            if p is tr:
                return True
            p = p.parent
        return False

    # values
    def param_name(self, p: Parameter) -> str:
        r = self.root
        name = r._param_names.get(id(p))
        if name is None:
            base = p.name or "param"
            name, k = base, 0
            if p.name and name in r.param_objs and graph_semantics(self) and \
                    not hasattr(p, "gs_draw") and not hasattr(r.param_objs[name], "gs_draw"):
                # two Parameter objects of one name in a graph (gathered in ParameterTuples, which do not
                # rename them): MindSpore 2.10's compile refuses, as it names its graph inputs by them (not
                # gradserve's own per-run draws: a dropout's mask, a sampler's draw, one per call site)
                raise RuntimeError(f"The parameter {name} , its name '{name}' already exists. Please set a unique "
                                   "name for the parameter.")
            while name in r.param_objs:
                k += 1
                name = f"{base}_{k}"
            r._param_names[id(p)] = name
            r.param_objs[name] = p
        return name

    def declare_param(self, p: Parameter) -> str:
        name = self.param_name(p)
        self.params.setdefault(name, (tuple(p.shape), p._dtype))
        return name

    def ref(self, x: Any) -> str:
        """The name of a value in this body (emitting a constant, a parameter or a capture as needed)."""
        given = isinstance(x, Tensor)
        if not given:
            x = Tensor(x)
        if x._data is None:
            if x._trace is self:
                return x._name
            if self.is_ancestor(x._trace):
                name = self._capture_names.get(id(x))
                if name is None:
                    name = self.new_input(x.shape, x._dtype, f"c{len(self.captures)}")._name
                    self.outer[name] = x
                    self.captures.append(x)
                    self._capture_names[id(x)] = name
                return name
            raise TraceError(f"a traced Tensor ({x._name}) was used outside the trace that made it: a value of "
                             "construct escaped (kept on self, or returned by a derivative function and used later)")
        if isinstance(x, Parameter):
            _graph_steps.check_read(self, x)
            pname = "%p:" + self.declare_param(x)
            assigned = _param_state.get(x)  # a value given to it earlier in this run (self.w = v)
            return pname if assigned is None else _param_state.read(self, x, pname, assigned)
        lifting = _lifted.active[0]
        if lifting is not None:  # a lifted closure Tensor, reached by another path: its input (_lifted)
            sym = lifting[0].get(id(x))
            if sym is not None:
                return self.ref(sym)
        # (before the constants: the same Tensor may be read in a jit body of this trace, a constant there)
        if self.root.origin and not capture_barrier[0]:  # a PyNative derivative call: an argument's own object
            t: Trace | None = self
            while t is not None:
                alias = t.aliases.get(id(x))
                if alias is not None:
                    self.root.no_cache = True  # (specialised on identity: run_program)
                    return self.ref(alias)
                t = t.parent
            self.root.const_ids.add(id(x))
        hit = self._consts.get(id(x))
        if hit is not None:
            return hit[1]
        name = self._const(x._data)
        self._consts[id(x)] = (x, name)
        if given:  # (a captured Tensor written in place since gets a new array, and so does its first asnumpy():
            # run_program retraces once. An array already handed out (asnumpy(), np.asarray) stays the Tensor's
            # while user code writes through it: a copy of its bytes now is what later calls compare it with)
            a = x._data
            root = self.root
            if (id(x), id(a)) not in root.const_keys:  # (once a trace: a sub-trace captures it again)
                root.const_keys.add((id(x), id(a)))  # (const_data holds both: their ids stay theirs)
                root.const_data.append((x, a, a.copy() if _private_arrays.released(a) else None))
        return name

    def _const(self, a: np.ndarray) -> str:
        flat = a.reshape(-1)
        if a.size and (a.dtype.kind in "iub" or np.isfinite(flat[0])) and (flat == flat[0]).all() and \
                (a.dtype.kind not in "iu" or abs(int(flat[0])) < 2 ** 53) and (a.dtype.kind != "c" or flat[0].imag == 0):
            v = flat[0].real.item() if a.dtype.kind == "c" else flat[0].item()  # a fill's value is real
            return self.emit("fill", [], {"shape": list(a.shape), "value": float(v), "dtype": a.dtype.name},
                             [(a.shape, a.dtype.name)])[0]._name
        return self.emit("const", [], {"value": a}, [(a.shape, a.dtype.name)])[0]._name

    def emit(self, op: str, in_names: list[str], attrs: dict, out_avals: list) -> list[Tensor]:
        outs = [self.fresh() for _ in out_avals]
        if self.root.ir is not None:
            self.root.ir.node(self.label, op, outs, in_names)
        self.nodes.append({"op": op, "inputs": list(in_names), "outputs": outs,
                           "attrs": {k: jsonable(v) for k, v in attrs.items()}})
        return [Tensor._symbolic(self, n, s, d) for n, (s, d) in zip(outs, out_avals)]

    # bodies
    def body(self, outputs) -> dict:
        ren = {"%p:" + k: k for k in self.params}
        used = set(self.params)
        for i in self.inputs:
            base = name = i["pretty"]
            k = 0
            while name in used:
                k += 1
                name = f"{base}_{k}"
            used.add(name)
            ren[i["name"]] = name

        def r(n):
            return ren.get(n, n)

        def tree(t):
            return [tree(s) for s in t] if isinstance(t, list) else r(t)

        return {"name": self.label,
                "inputs": [{"name": r(i["name"]), "shape": i["shape"], "dtype": i["dtype"]} for i in self.inputs],
                "params": [{"name": k, "shape": list(s), "dtype": d} for k, (s, d) in self.params.items()],
                "nodes": [dict(nd, inputs=[r(n) for n in nd["inputs"]]) for nd in self.nodes],
                "outputs": tree(outputs)}

    def add_function(self, body: dict, label: str) -> str:
        r = self.root
        key = json.dumps({k: v for k, v in body.items() if k != "name"}, sort_keys=True,
                         separators=(",", ":")).encode()
        name = r._fn_by_content.get(key)
        if name is None:
            name = f"f{len(r.functions):04d}_{_label(label)}"
            body["name"] = name
            r.functions[name] = body
            r._fn_by_content[key] = name
        return name

    def outputs_of(self, out) -> Any:
        """(the graph's output tree of names, the output tree def). A tree with dicts or static values
        gives the graph a flat list of its Tensor leaves (the tree def rebuilds the rest)."""
        if _context.get_context("mode") == _context.GRAPH_MODE and _holds_function(out):  # as MindSpore 2.10
            raise RuntimeError("Function in output is not supported. Please check your code.")
        leaves, tdef = flatten_out(out)
        _join_kinds.refuse_returned(leaves)  # (a number whose type differs by path: MindSpore 2.10's join error)
        names = [self.ref(v if isinstance(v, Tensor) else Tensor(v)) for v in leaves]
        return (unflatten(tdef, names, as_list=True) if _plain_tree(tdef) else names), tdef


# -- ops ------------------------------------------------------------------------------------------
_eager_cache: dict = {}
# _hooks, once a Tensor hook is registered: its `hooked(x)` / `hooked_input(arg, symbolic)` route traced
# uses of hooked tensors through their hooks (None until then: the common path looks at nothing)
tensor_hooks: list = [None]
# > 0 while a hook's identity (_hooks.with_grad_rule) is traced: its input is the hooked tensor whose hooks it
# applies, so trace_function must not apply them to that input again (each level ran the hooks once more)
arg_hooks_off: list = [0]


def apply(op: str, inputs: Sequence, attrs: dict | None = None) -> list[Tensor]:
    """Emit `op` (one node) in the active trace; with none active, run it on the service."""
    attrs = dict(attrs or {})
    full = _catalog.check(op, len(inputs), attrs)
    inputs = [x if isinstance(x, Tensor) else _operand(op, x, inputs, full) for x in inputs]
    if op in _REDUCTIONS and _zero_d_along_its_axis(inputs[0], full.get("axis")):
        attrs["axis"] = full["axis"] = None  # (MindSpore 2.10: a 0-d tensor along axis 0 / -1 is its element)
    # mindspore.amp's casts, eager too (a function at level 'auto' runs its ops in the scope)
    mixed = _amp_cast.wrap(op, inputs, cast, lambda xs: apply(op, xs, attrs))
    if mixed is not None:
        return mixed
    tr = current()
    if tr is None:
        local = _eager.run(op, inputs, full)  # NumPy here, the engine's kernels (see _eager)
        if local is not None:
            return _views.eager_op(op, inputs, full, local) if op in _views.VIEW_OPS else local
        # Run this one op on the service. 0-d operands (Python scalars, mostly) are baked into the
        # graph as constants rather than sent as inputs.
        consts = {i: x for i, x in enumerate(inputs) if x.ndim == 0 and x._data is not None}
        runtime = [x for i, x in enumerate(inputs) if i not in consts]

        def program(*xs):
            it = iter(xs)
            return apply(op, [consts[i] if i in consts else next(it) for i in range(len(inputs))], attrs)

        try:
            key = (op, json.dumps(jsonable(attrs), sort_keys=True),
                   tuple((i, x._dtype, x._data.item()) for i, x in consts.items()))
            cache = _eager_cache.setdefault(key, {})
        except (TypeError, ValueError):  # (an attribute JSON cannot key: NaN / Infinity, an object)
            cache = None
        out = run_program(program, runtime, cache=cache, label=op, compiled=True)
        return _views.eager_op(op, inputs, full, list(out)) if op in _views.VIEW_OPS else list(out)
    finite = _nonfinite_attrs.rewrite(op, inputs, full, apply1)  # (a graph's JSON holds no NaN / Infinity)
    if finite is not None:
        return finite
    if tensor_hooks[0] is not None:
        inputs = [tensor_hooks[0].hooked(x) for x in inputs]
    avals = [(x.shape, x._dtype) for x in inputs]
    out_avals = infer(op, avals, full)
    names = [tr.ref(x) for x in inputs]
    outs = tr.emit(op, names, attrs, out_avals)
    if in_no_grad() and op != "stop_gradient":
        outs = [tr.emit("stop_gradient", [o._name], {}, [aval])[0] for o, aval in zip(outs, out_avals)]
    return outs


_REDUCTIONS = frozenset({"sum", "mean", "max", "min", "prod", "logsumexp"})


def _zero_d_along_its_axis(x: Tensor, axis) -> bool:
    """A 0-d operand reduced along axis 0 / -1 (an int, or a list of them): all of it, as MindSpore 2.10 (and
    torch) take it; the engine refuses an axis of a rank-0 operand."""
    if x.ndim or axis is None:
        return False
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    return bool(axes) and all(a in (0, -1) for a in axes)


def apply1(op: str, *inputs, **attrs) -> Tensor:
    return apply(op, inputs, attrs)[0]


def _scalar_dtype(value, other: str) -> tuple[str, str]:
    """(dtype of the scalar, dtype the tensor must be cast to) for `tensor op python-scalar`."""
    if isinstance(value, bool):
        return other, other
    if isinstance(value, (int, np.integer)):
        return ("int64", "int64") if other == "bool" else (other, other)
    if isinstance(value, (complex, np.complexfloating)) and other not in COMPLEX:
        dt = "complex128" if other == "float64" else "complex64"  # a complex number makes the op complex
        return dt, dt
    if other in FLOAT or other in COMPLEX:
        return other, other
    return "float32", "float32"


def cast(x: Tensor, dtype: str) -> Tensor:
    return x if x._dtype == dtype else apply1("cast", x, dtype=dtype)


# MindSpore 2.10 gives a Python int beside an integer Tensor that Tensor's dtype, wrapping one out of its range
# (uint8 [1, 200] + 300 is [45, 244]; comparisons too: test_mindspore_leftovers12), except where its value decides
# the answer: true division (uint8 [7] / -3 is -2.33 and / 300 0.023 in every spelling, not / 253 and / 44) and fmod
# (the remainder by -3, then wrapped). Those ops take the number as int64 (the Tensor too; fmod's remainder goes
# back to the Tensor's dtype).
_BY_VALUE = frozenset({"div", "fmod"})


def out_of_range(value, dtype: str) -> bool:
    """value is a Python int that an integer dtype cannot hold (it would wrap)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or not dtype.startswith(("int", "uint")):
        return False
    info = np.iinfo(dtype)
    return not info.min <= int(value) <= info.max


def number_by_value(x, y) -> tuple:
    """(x, y) with a Python int that the other operand's integer dtype cannot hold as an int64 Tensor: its value
    kept where the result is not of that dtype (ops.true_divide / xlogy / atan2, div's 'trunc'; _BY_VALUE)."""
    if isinstance(y, Tensor) and out_of_range(x, y._dtype):
        return Tensor(np.asarray(x, np.int64)), y
    if isinstance(x, Tensor) and out_of_range(y, x._dtype):
        return x, Tensor(np.asarray(y, np.int64))
    return x, y


def _by_value(op: str, t: Tensor, number, number_first: bool) -> Tensor:
    wide, n = cast(t, "int64"), Tensor(np.asarray(number, np.int64))
    out = binary(op, n, wide) if number_first else binary(op, wide, n)
    return cast(out, t._dtype) if op == "fmod" else out


def _scalar(x: Any) -> bool:
    return isinstance(x, (int, float, complex, bool, np.generic))


def _scalar_tensor(v, dtype: str) -> Tensor:
    """A Python number as an operand of dtype: a constant, or a mutable() number's twin (with_twin)."""
    twin = twin_of(v)
    if twin is not None:
        return cast(twin, dtype)
    try:
        return Tensor(np.asarray(v, dtype=dtype))
    except OverflowError:  # an int out of an integer tensor's range wraps to it (two's complement), as MindSpore
        # 2.10 converts it: uint8 [1, 200] + 300 is [45, 244] (300 -> 44); past int64 the OverflowError stays
        return Tensor(np.asarray(v, np.int64).astype(dtype))


def _traced_in(v) -> bool:
    return any(_traced_in(e) if isinstance(e, (list, tuple)) else isinstance(e, Tensor) and e._data is None
               for e in v)


def _sequence_operand(v) -> Tensor:
    """A list / tuple operand holding traced Tensors: the stack of its elements, so that the gradient reaches
    them (MindSpore 2.10: `(x, y) + t` is stack((x, y)) + t, d/dx 1; a Tensor of the tuple's values read
    while tracing would be a constant, its gradient silently 0)."""
    items = [_sequence_operand(e) if isinstance(e, (list, tuple)) else e if isinstance(e, Tensor) else Tensor(e)
             for e in v]
    dt = functools.reduce(promote, [t._dtype for t in items])
    return apply1("stack", *[cast(t, dt) for t in items], axis=0)


def _operand(op: str, x: Any, inputs: Sequence, attrs: dict, valid: str = "Tensor") -> Tensor:
    """A non-Tensor input of `op` as a Tensor; one that makes none (a string, None, a ragged list) is MindSpore's
    "Failed calling <Primitive> with ..." TypeError naming every input's type."""
    if isinstance(x, (list, tuple)) and _traced_in(x):
        return _sequence_operand(x)
    try:
        if x is None or isinstance(x, str):
            raise TypeError(f"{type(x).__name__} is no Tensor value")
        return Tensor(x) if twin_of(x) is None else _scalar_tensor(x, Tensor(x)._dtype)
    except (TypeError, ValueError) as e:
        raise _calling_errors.op_failed_calling(op, attrs, _catalog.OPS[op]["attrs"], list(inputs), valid) from e


def binary(op: str, a: Any, b: Any) -> Tensor:
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if not ta and not _scalar(a):
        a, ta = _operand(op, a, (a, b), {}, "Number, Tensor"), True
    if not tb and not _scalar(b):
        b, tb = _operand(op, b, (a, b), {}, "Number, Tensor"), True
    if not ta and not tb and graph_ints(a, b):  # MindSpore 2.10's graph: Int32 operands (wrapped: ops.mul(2**31 - 1,
        # 2) is -2, ops.add(2**31 - 1, 1) -2147483648), their true division Float64 (ops.div(3, 4): Float64 0.75)
        a, b = _scalar_tensor(a, "int32"), _scalar_tensor(b, "int32")
        if op == "div":
            return apply1("div", cast(a, "float64"), cast(b, "float64"))
        ta = tb = True
    if not ta and not tb:  # ops.add(5, 6) / ops.less_equal(5, 6): a 0-d Tensor, as MindSpore 2.10 (Tensor(5): int64)
        a, ta = Tensor(a), True
    if ta and tb:
        if a._dtype != b._dtype:
            check_implicit(a._dtype, b._dtype)
            dt = promote(a._dtype, b._dtype)
            a, b = cast(a, dt), cast(b, dt)
    elif ta:
        if op in _BY_VALUE and out_of_range(b, a._dtype):
            return _by_value(op, a, b, False)
        sdt, tdt = _scalar_dtype(b, a._dtype)
        a, b = cast(a, tdt), _scalar_tensor(b, sdt)
    else:
        if op in _BY_VALUE and out_of_range(a, b._dtype):
            return _by_value(op, b, a, True)
        sdt, tdt = _scalar_dtype(a, b._dtype)
        b, a = cast(b, tdt), _scalar_tensor(a, sdt)
    if op in ("div", "pow") and a._dtype not in FLOAT and a._dtype not in COMPLEX:
        return _integer_div_pow(op, a, b)
    return apply1(op, a, b)


def graph_ints(a: Any, b: Any) -> bool:
    """Two Python ints (or bools; not mutable() ones) as a functional op's operands in code with graph semantics."""
    return all(type(v) in (int, bool) and twin_of(v) is None for v in (a, b)) and current() is not None and \
        graph_semantics()  # (an op called outside a graph runs eagerly in GRAPH_MODE too: int64)


def _integer_div_pow(op: str, a: Tensor, b: Tensor) -> Tensor:
    """MindSpore on integer / bool operands: `/` is true division (float32); `**` is computed exactly
    in float64 and stays integer."""
    if op == "div":
        return apply1("div", cast(a, "float32"), cast(b, "float32"))
    return cast(apply1("pow", cast(a, "float64"), cast(b, "float64")), a._dtype)


def _index_item(it):
    if it is None:
        return None
    if it is Ellipsis:
        return "..."
    if isinstance(it, bool):
        raise IndexError("boolean indices are not supported (they make shapes data-dependent)")
    if isinstance(it, (int, np.integer)):
        return int(it)
    if isinstance(it, Tensor) and it._data is not None and it.ndim == 0 and it._dtype.startswith("int"):
        return int(it._data)
    if isinstance(it, slice):
        return [slice_bound(it.start), slice_bound(it.stop), slice_bound(it.step)]
    raise IndexError(f"unsupported index {it!r}: use ints, slices, None, ... (or a Tensor of ints alone)")


def _check_int_items(items, shape) -> None:
    """An int index outside its axis: MindSpore 2.10's IndexError and text (PyNative; its GRAPH_MODE raises an
    IndexError too), eager or traced alike (a traced read was the server's ShapeError)."""
    used = sum(1 for i in items if i is not None and i != "...")
    axis = 0
    for it in items:
        if it == "...":
            axis += max(len(shape) - used, 0)
        elif it is not None:
            if isinstance(it, int) and axis < len(shape) and not -shape[axis] <= it < shape[axis]:
                raise IndexError(f"index {it} is out of bounds for dimension with size {shape[axis]}")
            axis += 1


def getitem(t: Tensor, index) -> Tensor:
    index = _join_kinds.by_path_index(index)  # (a number joined by an `if`, of other kinds by path)
    if late.adv_index(index):  # bool masks, lists beside other parts: ops/_item_assign (NumPy's rules)
        return late.adv_getitem(t, index)
    if any(isinstance(i, Tensor) and i._data is None and i.ndim == 0 for i in
           (index if isinstance(index, tuple) else (index,))):
        return late.dyn_getitem(t, index)  # a traced integer in the index (gradserve._dynindex)
    if isinstance(index, (Tensor, np.ndarray, list)) and not (isinstance(index, Tensor) and index.ndim == 0):
        idx = index if isinstance(index, Tensor) else Tensor(np.asarray(index))
        if not idx._dtype.startswith("int"):
            raise IndexError("a Tensor index must hold integers")
        if current() is None and t._data is not None and idx._data is not None:
            return Tensor(t._data[idx._data])
        return apply1("gather", t, idx, axis=0)
    items = [_index_item(i) for i in (index if isinstance(index, tuple) else (index,))]
    _check_int_items(items, tuple(t.shape))
    if current() is None and t._data is not None:  # concrete data movement: exact, done here
        np_index: Any = tuple(Ellipsis if i == "..." else (slice(*i) if isinstance(i, list) else i) for i in items)
        return Tensor(np.array(t._data[np_index]))  # (not ascontiguousarray: that makes a 0-d result 1-d)
    return apply1("index", t, index=items)


# -- functions and derivative nodes ---------------------------------------------------------------------
class FnInfo:
    def __init__(self, name, trace, arg_inputs, out_tdef, flat_out_avals, arg_groups=None, state=((), ())):
        self.name = name
        # the Parameters the function assigns and their avals: outputs of its node after flat_out_avals
        self.state_params, self.state_avals = list(state[0]), list(state[1])
        # the positional args the function changed in place (their final values: outputs after the
        # Parameters', avals in state_avals too), for its node to rebind them in the caller (_take_state)
        self.written_args: list[int] = []
        # the attribute writes it leaves (their values: outputs after the written args'): _attr_writes.take
        self.attr_writes: list = []
        self.arg_inputs = arg_inputs  # index of each positional arg -> input index (Tensor args only)
        self.arg_groups = arg_groups or {}  # index of a tuple/list-of-Tensors arg -> (input indices, its tree)
        self.arg_twins: dict = {}  # index of a twinned mutable() number arg -> input index
        self.captures = list(trace.captures)
        # id of a captured Tensor -> its input index (a hook's probe is one: _hook_probes)
        self.capture_inputs = {id(c): int(trace._capture_names[id(c)][len("%in"):]) for c in trace.captures}
        self.param_grads: list[str] = []  # a custom bprop's {Parameter: gradient} part: those Parameters (_bprop)
        self.in_avals = [(tuple(i["shape"]), i["dtype"]) for i in trace.inputs]
        self.params = dict(trace.params)
        self.out_tdef = out_tdef
        self.flat_out_avals = flat_out_avals


def trace_function(fn: Callable, args: Sequence, label: str, predeclare: Sequence[Parameter] = (),
                   state: bool = False, twins: bool = False, inputs_written: bool = False,
                   attrs: bool = False) -> FnInfo:
    """fn traced at args as a function of the graph. state: the Parameters it assigns become extra
    outputs of the function, for its node to hand on (_take_state); without, their updates are dropped.
    twins: mutable() numbers become traced scalar inputs (see twinned), for a gradient to reach them.
    inputs_written (with state): the Tensor args it changes in place too (InputWrites). attrs: the Tensors
    it leaves in Cell attributes are outputs too, after those (_attr_writes); else they are left there (refused
    at the end of the trace, _attr_writes.escaped, unless the caller undoes them: _attr_writes.restore)."""
    parent = current()
    if parent is None:
        raise TraceError("trace_function needs an active trace")
    tr = _function_trace(parent, label)
    names, inner, arg_inputs, arg_groups, arg_twins, seq_groups = _arg_names(fn, len(args)), [], {}, {}, {}, []
    for i, a in enumerate(args):
        if twins and twinned(a):
            arg_twins[i] = len(tr.inputs)
            inner.append(with_twin(a, tr.new_input((), "float32", names[i])))
        elif isinstance(a, Tensor):
            arg_inputs[i] = len(tr.inputs)
            inner.append(tr.new_input(a.shape, a._dtype, names[i]))
            _value_reads.note_outer(tr, inner[-1], a)
            held = a.__dict__.get("_gs_origin") if parent.root.origin else None
            if held is not None:  # (a nested derivative's argument too: MindSpore's second order sees it so)
                tr.aliases[id(held)] = inner[-1]
                inner[-1].__dict__["_gs_origin"] = held
        elif tensor_group(a) or (twins and number_seq(a)):
            leaves, tdef = flatten(a)
            first = len(tr.inputs)
            # its numbers' gradients: None where a leaf is a Tensor, a _SeqTwin where a number has a twin
            # (graph mode: _seq_twins), else the number's zero gradient
            grads, inner_leaves = [], []
            for k, v in enumerate(leaves):  # (inputs in leaf order: _call_inputs passes them so)
                inner_leaves.append(_group_leaf(v, lambda v: _outer_input(tr, v, f"{names[i]}_{k}")))
                grads.append(None if isinstance(v, Tensor) else _SeqTwin(tr, v, f"{names[i]}_{k}")
                             if twins and mutable_numbers(a) and _seq_twins.twinnable(v) else zero_gradient(v))
            group = unflatten(tdef, inner_leaves)
            if any(isinstance(z, _SeqTwin) for z in grads) and isinstance(group, (MutableTuple, MutableList)):
                tops = _top_positions(tdef)
                group = _seq_twins.whole(group, {tops[k] for k, z in enumerate(grads) if isinstance(z, _SeqTwin)
                                                 and tops[k] is not None})
                seq_groups.append((group, grads))
            inner.append(group)
            arg_groups[i] = (list(range(first, len(tr.inputs))), tdef, grads)
        else:
            inner.append(a)
    if tensor_hooks[0] is not None and not arg_hooks_off[0]:  # hooks registered on the arguments
        _hooked_inputs(tr, args, inner, arg_inputs)
    inner = _pynative_shared_leaves(parent, args, inner, arg_inputs, arg_groups, predeclare)
    for p in predeclare:
        tr.declare_param(p)
    start = _param_state.snapshot()
    writes = InputWrites(tr, [inner[i] for i in arg_inputs] if state and inputs_written else [])
    try:
        with active(tr):
            out = _listed(late.explore(writes.run(lambda: late.loops(fn)(*inner))))
            run_late_rules(tr)
            if arg_twins:  # a mutable() number returned as it is: its twin (d x / d x = 1, MindSpore 2.10's too)
                out = _twins_out(out)
            if seq_groups:  # a mutable() sequence of numbers returned whole: its numbers' twins (_seq_twins)
                out = _seq_twins.outputs(out, [(g, flatten, unflatten) for g, _ in seq_groups],
                                         lambda g, leaves: _seq_leaves(seq_groups, g, leaves))
            outputs, tdef = tr.outputs_of(out)
            tr.output_names = outputs  # (whether a hook's probed point is used: _hook_probes.live)
            flat_avals = [(v.shape, v._dtype) for v in (x if isinstance(x, Tensor) else Tensor(x)
                                                        for x in flatten_out(out)[0])]
            sparams, snames, savals = _param_state.function_state(tr, start) if state else ([], [], [])
            written = writes.written(out)
            attr_writes, anames, aavals = _attr_writes.function_outputs(tr) if attrs else ([], [], [])
    finally:
        _param_state.restore(start)  # the values are this function's: its node gives them to the caller
    snames, savals = snames + [n for _, n in written] + anames, savals + [
        (inner[i].shape, inner[i]._dtype) for i in (list(arg_inputs)[k] for k, _ in written)] + aavals
    # no Tensor output (a shape, None): no function (a graph needs an output); nodes over it are skipped
    name = tr.add_function(tr.body(_param_state.with_state(outputs, snames)), label) if flat_avals or snames \
        else None
    info = FnInfo(name, tr, arg_inputs, tdef, flat_avals, arg_groups, (sparams, savals))
    info.arg_twins, info.attr_writes = arg_twins, attr_writes
    info.written_args = [list(arg_inputs)[k] for k, _ in written]
    return info


def _pynative_shared_leaves(parent: Trace, args: Sequence, inner: list, arg_inputs: dict, arg_groups: dict,
                            weights: Sequence[Parameter]) -> list:
    """MindSpore 2.10 PyNative: a Tensor held in a tuple / list argument that is also passed as a Tensor argument
    is that argument for the derivative (grad of sum(t[0] * t[1] * z) w.r.t. z at t = (x, y), z = y is 2 x y), and
    a held Parameter asked for as a weight is that weight (its gradient counts the use); GRAPH_MODE and jit: x y,
    the held one an input of its own (a held weight: MindSpore's RuntimeError). Here the group's leaf becomes the
    argument's input, or the Parameter, inside the function (the leaf's own input then reaches nothing; MindSpore
    gives a tuple argument no gradient)."""
    if not arg_groups:
        return inner
    if graph_semantics(parent):
        if grads_tracing[0] > 0:
            _refuse_held_parameters(args)
        return inner
    if not (arg_inputs or weights):
        return inner
    top = {id(args[j]): inner[j] for j in arg_inputs}
    top.update((id(w), w) for w in weights)

    def shared(v, s):
        return top.get(id(v.__dict__.get("_gs_parameter", v)), top.get(id(v), s)) if isinstance(v, Tensor) else s
    out = list(inner)
    for i, (_, tdef, grads) in arg_groups.items():
        leaves = flatten(args[i])[0]
        if not any(isinstance(z, _SeqTwin) for z in grads):
            out[i] = unflatten(tdef, [shared(v, s) for v, s in zip(leaves, flatten(inner[i])[0])])
    return out


def _function_trace(parent: Trace, label: str) -> Trace:
    """The trace of a function (trace_function): the rules of its backward hooks are traced once it has run."""
    tr = Trace(parent, label)
    tr.__dict__["_gs_late_rules"] = []  # (run_late_rules)
    return tr


def run_late_rules(tr: Trace) -> None:
    """The derivative rules tr's function deferred (_bprop.LateRule), the last called first: the backward meets
    their calls in that order, and the backward hooks they run are run in it (MindSpore's order)."""
    pending = tr.__dict__.get("_gs_late_rules")
    while pending:
        pending.sort(key=lambda r: r.last_use)
        pending.pop().trace(tr)


def _hooked_inputs(tr: Trace, args: Sequence, inner: list, arg_inputs: dict) -> None:
    """Each Tensor argument's input through its hooks, once every argument has its input (a hook's probe is a
    capture: an input after them, as _call_inputs passes captures); an argument that is a hooked argument's point
    has its input stand for it (_hook_probes.pass_point)."""
    _hook_probes.pass_point(tr, args, inner, arg_inputs)
    for i in arg_inputs:
        with active(tr):
            hooked = tensor_hooks[0].hooked_input(args[i], inner[i])
        if hooked is not inner[i]:
            held = inner[i].__dict__.get("_gs_origin")
            if held is not None:
                tr.aliases[id(held)] = hooked
                hooked.__dict__["_gs_origin"] = held
            inner[i] = hooked


def _twins_out(out):
    """out with each mutable() number that is itself an output (not a result of arithmetic on it, which
    MindSpore 2.10 gives no gradient) replaced by its traced twin."""
    if isinstance(out, (tuple, list)):
        return type(out)(_twins_out(v) for v in out) if type(out) in (tuple, list) else out
    twin = twin_of(out)
    if twin is None:
        return out
    t = apply1("mul", twin, _scalar_tensor(1.0, "float32"))  # a node of its own, marked: it comes back a number
    setattr(t, "_py_number", "float" if isinstance(out, float) else "int")
    return t


class _SeqTwin:
    """A number of a mutable() sequence argument with a twin input (_seq_twins): its gradient comes back a
    Python number of its kind."""

    def __init__(self, tr: Trace, v, name: str):
        self.value, self.input = v, tr.new_input((), "float32", name)


def number_seq(a) -> bool:
    """A non-empty mutable() tuple / list of numbers (no Tensor), in graph mode: its numbers get twins."""
    return isinstance(a, (MutableTuple, MutableList)) and bool(a) and mutable_numbers(a) and any(
        _seq_twins.twinnable(v) for v in flatten(a)[0])


def _top_positions(tdef) -> list:
    """For each leaf of a sequence's tree, its index in the sequence if it is a top-level element, else None."""
    out: list = []
    for k, d in enumerate(tdef[1]):
        out.extend([k] if d == "*" else [None] * _count_leaves(d))
    return out


def _count_leaves(tdef) -> int:
    if tdef == "*":
        return 1
    subs = tdef[2] if tdef[0] in ("mdict", "sparse") else tdef[1]
    return sum(_count_leaves(d) for d in subs)


def _seq_leaves(seq_groups: list, g, leaves: list) -> list:
    """The leaves of whole sequence g as outputs: each twinned number its twin (a node of its own, marked
    to come back a number of its kind), other leaves as they are."""
    grads = next(z for h, z in seq_groups if h is g)
    out = []
    for v, z in zip(leaves, grads):
        if isinstance(z, _SeqTwin):
            v = apply1("mul", z.input, _scalar_tensor(1.0, "float32"))
            setattr(v, "_py_number", "float" if isinstance(z.value, float) else "int")
        out.append(v)
    return out


def _outer_input(tr: Trace, v: Tensor, name: str) -> Tensor:
    """A new input of function trace tr standing for v (its value in this call: _value_reads)."""
    inner = tr.new_input(v.shape, v._dtype, name)
    _value_reads.note_outer(tr, inner, v)
    return inner


class InputWrites:
    """The inputs of a trace that an in-place op rebinds (ops/_inplace.write): MindSpore's GRAPH_MODE writes
    their final values back into the caller's Tensors. `run` wraps the traced body so that each run of it
    (late.explore re-runs it per branch side) starts from the inputs; `written` gives (position among the
    inputs given, final value's name) for those that changed."""

    def __init__(self, tr: Trace, inputs: list):
        self.tr, self.starts = tr, [(s, s._name) for s in inputs]
        tr.input_writes = self

    def unread_at_if(self, cond: Tensor) -> list:
        """The inputs not written in place yet whose value the condition of an `if` does not read."""
        if not graph_semantics(self.tr) or cond._trace is not self.tr:
            return []
        read = _inputs_read(self.tr, cond._name)
        return [s for s, name in self.starts
                if s._trace is self.tr and s._name == name and name not in read and "_gs_input_value" not in s.__dict__]

    def freeze(self, starts: list, after_only: "set | frozenset" = frozenset()) -> None:
        """MindSpore 2.10's GRAPH_MODE writes back none of these inputs' later in-place writes (in the `if` or
        after it); see freeze_inputs for when. after_only: the ids of those no side of the `if` wrote, whose
        writes after it MindSpore does write back unless the function returns that input itself (`written`)."""
        for s in starts:
            if "_gs_input_value" not in s.__dict__:
                s._gs_input_value = s._name  # (written() then sees it unchanged, as after an item assignment)
                if id(s) in after_only:
                    s._gs_after_if = True

    def run(self, body: Callable) -> Callable:
        if not self.starts:
            return body

        def fresh():
            for s, name in self.starts:
                s._data, s._trace, s._name = None, self.tr, name
                s.__dict__.pop("_gs_input_value", None)  # (ops/_inplace._setitem: set by an item assignment)
                s.__dict__.pop("_gs_after_if", None)
            return body()
        return fresh

    def written(self, returned: Any = None) -> list:
        """returned: the function's output (an input frozen by an `if` that did not write it, written after it:
        MindSpore 2.10 writes it back unless that input is the whole output: /work/scratch_left34/p3b.py)."""
        out = []
        for k, (s, name) in enumerate(self.starts):
            # the value before its first item assignment if it had one (ops/_inplace._setitem), else its last
            final = s.__dict__.pop("_gs_input_value", None) or s._name
            if s.__dict__.pop("_gs_after_if", False) and returned is not s:
                final = s._name
            if final != name:  # (as an output: no derivative reaches it, the node's own values carry them)
                out.append((k, self.tr.emit("stop_gradient", [final], {}, [(s.shape, s._dtype)])[0]._name))
        return out


def note_if(cond: Tensor, sides_known: bool = False) -> list:
    """An `if` on traced value cond (gradserve._branches): the inputs of its trace not written in place yet whose
    value cond does not read (InputWrites.unread_at_if). sides_known: the caller traces its sides and calls
    freeze_inputs; else (a replayed fork) they are frozen now if cond reads no input at all."""
    writes = cond._trace.input_writes if cond._trace is not None else None
    if writes is None:
        return []
    unread = writes.unread_at_if(cond)
    if not sides_known and unread and not _inputs_read(writes.tr, cond._name):
        writes.freeze(unread)
    return unread


def freeze_inputs(cond: Tensor, unread: list, wrote: bool, read: set, ids: "set | frozenset" = frozenset()) -> None:
    """note_if's inputs of cond's `if` whose later in-place writes MindSpore 2.10's GRAPH_MODE does not write back
    (checked on CPU): all of them where a side writes in place (`if y > 1: x += 2`, `if y > 1: y += 1` then `x +=
    1`, its test_330_for_after_for_in_if's `if self.a > self.b:` assigning them: the caller's x unchanged), and
    where cond reads no input at all those the sides do not read either (`if self.p > 3: y = 1` then `x += 10`:
    x unchanged; `if self.p > 3: y = x * 2` then `x += 1`: x written). read: the names of cond's trace's values
    the sides read. Writes before the `if` land; `if x * 2 > 1` reads x. ids: the Tensors the sides write in
    place; where they are inputs, an input no side writes, written after the `if` (`if x > 1: x += 2` then
    `y += 10`), MindSpore 2.10 writes back unless the function returns it alone (`return y`: y unchanged; `return x`, `return x + y`: y
    written; either argument order; /work/scratch_left34/p3b.py): InputWrites.written."""
    if not unread:
        return
    tr = cond._trace
    if not wrote:
        if _inputs_read(tr, cond._name):
            return
        seen = set().union(*(_inputs_read(tr, n) for n in read)) if read else set()
        unread = [s for s in unread if s._name not in seen]
    inputs_written = any(id(s) in ids for s, _ in tr.input_writes.starts)  # (a Parameter's write alone: x frozen)
    tr.input_writes.freeze(unread, {id(s) for s in unread if id(s) not in ids} if inputs_written else frozenset())


def _inputs_read(tr: Trace, name: str) -> set:
    """The inputs of trace tr (arguments, captures) that its value `name` depends on."""
    producer = {o: nd for nd in tr.nodes for o in nd["outputs"]}
    inputs = {i["name"] for i in tr.inputs}
    by_condition = tr.by_condition or {}
    todo, seen, read = [name], set(), set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        if n in inputs:
            read.add(n)
            continue
        if n in by_condition:  # (a number per side: it reads the condition only)
            todo.append(by_condition[n])
            continue
        nd = producer.get(n)
        if nd is not None:
            todo.extend(nd["inputs"])
    return read


def _call_inputs(tr: Trace, info: FnInfo, args: Sequence) -> list[str]:
    names = []
    for i, a in enumerate(args):
        if i in info.arg_twins:  # the caller's twin, or the number itself as a constant
            twin = twin_of(a)
            names.append(tr.ref(twin if twin is not None else Tensor(np.asarray(float(a), np.float32))))
        elif isinstance(a, Tensor):
            names.append(tr.ref(a))
        elif i in info.arg_groups:  # its Tensors, and its numbers' twins (the caller's, or constants)
            for v, z in zip(flatten(a)[0], info.arg_groups[i][2]):
                if isinstance(v, Tensor):
                    names.append(tr.ref(v))
                elif isinstance(z, _SeqTwin):
                    twin = twin_of(v)
                    names.append(tr.ref(twin if twin is not None else Tensor(np.asarray(float(v), np.float32))))
    names.extend(tr.ref(c) for c in info.captures)
    for pname, aval in info.params.items():  # a body that derives a function declares its parameters
        tr.params.setdefault(pname, aval)
    return names


def _positions(info: FnInfo, positions: Sequence[int], nargs: int) -> list[list[int]]:
    """The function inputs of each position: one for a Tensor argument, the leaves of a tuple of them."""
    out = []
    for p in positions:
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not -nargs <= p < nargs:
            raise DifferentiationError(f"grad_position {p!r} out of range: the function takes {nargs} argument(s)")
        p = int(p) % nargs
        if p in info.arg_groups:
            out.append(info.arg_groups[p][0])
            continue
        if p in info.arg_twins:
            out.append([info.arg_twins[p]])
            continue
        if p not in info.arg_inputs:
            raise DifferentiationError(f"argument {p} is not a Tensor and cannot be differentiated")
        out.append([info.arg_inputs[p]])
    return out


def _grouped(info: FnInfo, positions: Sequence[int], nargs: int, outs: list) -> list:
    """One entry per position: a Tensor, or for a tuple argument its gradients in its structure."""
    res, k = [], 0
    for p in positions:
        p = int(p) % nargs
        if p in info.arg_groups:
            idx, tdef, zeros = info.arg_groups[p]
            grads = iter(outs[k:k + len(idx)])
            res.append(unflatten(_grad_tree(tdef), [next(grads) if z is None else
                                                    as_number(next(grads), z.value) if isinstance(z, _SeqTwin)
                                                    else z for z in zeros]))
            k += len(idx)
        else:
            res.append(outs[k])
            k += 1
    return res + outs[k:]


grads_tracing = _hook_probes.grads_tracing


@contextlib.contextmanager
def _counted(counter: list):
    """counter[0] raised for the block's length (a depth: nested blocks count each)."""
    counter[0] += 1
    try:
        yield
    finally:
        counter[0] -= 1


def tracing_grad_function():
    """Around the trace of a function a grad node differentiates (grads_tracing)."""
    return _counted(grads_tracing)


def emit_grad(fn, args: Sequence, *, positions: Sequence[int], weights: Sequence[Parameter] = (),
              sens: Sequence | None = None, with_value: bool = False, label: str = "grad", twins: bool = False):
    """One `grad` node over `fn` traced at `args`. Returns (flat outputs, FnInfo)."""
    with tracing_grad_function():
        info = trace_function(fn, args, label, predeclare=weights, state=True, twins=twins, inputs_written=True,
                              attrs=True)
    return emit_grad_node(info, args, positions=positions, weights=weights, sens=sens, with_value=with_value), info


def _refuse_held_parameters(args: Sequence) -> None:
    """MindSpore 2.10 GRAPH_MODE refuses a grad call given a Parameter inside a tuple / list argument (RuntimeError
    "Parameter[1] has no default param", weights asked or not); PyNative differentiates it (as the weight it is, if
    asked: _pynative_shared_leaves). Ours gave its weight gradient zeros there."""
    if _context.get_context("mode") != _context.GRAPH_MODE:
        return
    for i, a in enumerate(args):
        if isinstance(a, (tuple, list)):
            for v in flatten(a)[0]:
                p = v.__dict__.get("_gs_parameter") if isinstance(v, Tensor) else None  # (a call's own argument)
                if isinstance(p, Parameter):
                    raise RuntimeError(f"grad: argument {i} holds Parameter {p.name!r} in a {type(a).__name__}: "
                                       "MindSpore 2.10's GRAPH_MODE refuses it (Parameter[1] has no default "
                                       "param); pass it as an argument of its own or read it as a weight")


# MindSpore 2.10's PyNative grad attaches gradients to Tensor objects: one Tensor passed at several
# positions of a top-level grad call gets, at each, the sum over all of them (GRAPH_MODE and jit: each
# position its own); a Parameter passed as an argument and asked for as a weight gets, as both, the sum of
# the two (2w for `a * self.w` at a = w). The grad API sets this to {position: the positions sharing its
# Tensor} around such a call; emit_grad_node applies it to the node it emits in that call's root trace.
pynative_aliases: list = [None]


# MindSpore 2.10's PyNative grad likewise takes a Tensor the function captures (a closure, a Cell attribute)
# that is the very object passed as an argument for that argument: d/da (a * x) at a = x is 2x (GRAPH_MODE
# and jit: x, the capture a constant). A top-level PyNative grad call sets this; trace_program then keeps
# each argument's object (Trace.origin), trace_function maps it to the function's input (Trace.aliases),
# Trace.ref substitutes it, and run_program retraces a cached trace that took an argument as a constant.
# A jit function's body keeps its captures constants (MindSpore 2.10: grad(jit(f))(x) is x): capture_barrier.
pynative_captures: list = [False]
capture_barrier: list = [0]


def _stands_for(x: Tensor) -> Tensor:
    """The caller's Tensor an argument is (a vjp_fn's snapshot stands for the Tensor vjp was given)."""
    return x.__dict__.get("_gs_stands_for", x)


@contextlib.contextmanager
def jit_body():
    """Inside: a jit function's body, traced inline into another trace: no captured Tensor stands for an
    argument, and the body is graph code in either mode (graph_semantics)."""
    with _counted(capture_barrier), _counted(graph_bodies):
        yield


graph_bodies: list = [0]  # jit bodies being traced inline now (jit_body)


def graph_semantics(tr: "Trace | None" = None) -> bool:
    """Whether code runs with GRAPH_MODE's semantics now: in GRAPH_MODE, or in either mode in the trace tr
    (default: the trace being built) of a @jit function's own program (Trace.graph) or of a @jit body inlined
    into another trace. PyNative's are Python's (eager MindSpore's)."""
    if _context.get_context("mode") == _context.GRAPH_MODE:
        return True
    tr = tr if tr is not None else current()
    return tr is not None and (graph_bodies[0] > 0 or bool(tr.root.graph))


def _alias_sums(tr: "Trace", nargs: int, positions: Sequence[int], weights: Sequence[Parameter] = ()):
    """(the positions to differentiate, a function folding their gradients and the weights'), aliases applied:
    a Tensor object's gradient is the sum over its positions and, a Parameter, its use as a weight."""
    groups = pynative_aliases[0]
    if not groups or tr is not tr.root or nargs != groups["n"]:
        return list(positions), None
    asked = [int(p) % nargs if isinstance(p, (int, np.integer)) and not isinstance(p, bool) else p
             for p in positions]
    at_w: dict = {}  # a position holding a weight -> that weight's first index in weights
    for j, w in enumerate(weights):
        for q in groups["params"].get(id(w), ()):
            at_w.setdefault(q, j)
    extra = sorted({q for p in list(asked) + list(at_w) for q in groups.get(p, (p,)) if q not in asked})
    wanted = asked + extra

    def fold(res: list) -> list:
        by, wg = dict(zip(wanted, res)), res[len(wanted):]

        def total(p, own):
            same = groups.get(p, (p,))
            parts = [by[q] for q in same] + ([wg[at_w[p]]] if p in at_w else [])
            return _sum(parts) if len(parts) > 1 else own
        at_pos = {j: q for q, j in at_w.items()}
        return [total(p, by[p]) for p in asked] + \
            [total(at_pos[j], g) if j in at_pos else g for j, g in enumerate(wg)]
    return wanted, fold


def _sum(ts: list) -> Tensor:
    out = ts[0]
    for t in ts[1:]:
        out = apply("add", [out, t])[0]
    return out


def emit_grad_node(info: FnInfo, args: Sequence, *, positions: Sequence[int], weights: Sequence[Parameter] = (),
                   sens: Sequence | None = None, with_value: bool = False, aux: int = 0) -> list[Tensor]:
    """aux: the last `aux` flat outputs are has_aux's (values; no cotangent, their derivative kept for an outer grad)."""
    _refuse_in_no_grad()
    unique = list({id(w): w for w in weights}.values())
    if len(unique) < len(weights):  # a Parameter listed twice: MindSpore gives each copy its whole gradient
        outs = emit_grad_node(info, args, positions=positions, weights=unique, sens=sens, with_value=with_value,
                              aux=aux)
        k = len(outs) - len(unique)
        index_of = {id(w): k + i for i, w in enumerate(unique)}
        return outs[:k] + [outs[index_of[id(w)]] for w in weights]
    tr = innermost()
    positions, fold = _alias_sums(tr, len(args), positions, weights)
    if fold is not None:
        groups, pynative_aliases[0] = pynative_aliases[0], None  # (once: the node below folds nothing)
        try:
            outs = emit_grad_node(info, args, positions=positions, weights=weights, sens=sens, with_value=with_value,
                                  aux=aux)
        finally:
            pynative_aliases[0] = groups
        k = len(info.flat_out_avals) if with_value else 0
        return outs[:k] + fold(outs[k:])
    pos = [i for group in _positions(info, positions, len(args)) for i in group]
    in_names = _call_inputs(tr, info, args)
    if sens is not None and len(sens) != len(info.flat_out_avals):
        statics = _static_leaves(info.out_tdef)
        # a sens mirroring the outputs, constants too (a shape tuple passed back): a constant's sens,
        # itself a constant, reaches no input
        if len(statics) == len(sens) and not any(st and isinstance(s, Tensor) for s, st in zip(sens, statics)):
            sens = [s for s, st in zip(sens, statics) if not st]
    if sens is not None:
        if len(sens) != len(info.flat_out_avals):
            raise ShapeError(f"sens: expected {len(info.flat_out_avals)} tensor(s), one per output of the "
                             f"function, got {len(sens)}", detail={"one_tensor_output": info.out_tdef == "*",
                                                                   "out_avals": list(info.flat_out_avals)})
        sens = list(sens) + [Tensor(np.zeros(s, d)) for s, d in info.state_avals]  # assigned values: no sens
        for s, (_, dt) in zip(sens, info.flat_out_avals + info.state_avals):
            s = s if isinstance(s, Tensor) else Tensor(np.asarray(s, dtype=dt))
            in_names.append(tr.ref(_seed_dtype(tr, s, dt, tangent=False)))
    wnames = [tr.declare_param(w) for w in weights]
    values = with_value or bool(info.state_avals)  # the assigned values come with the function's values
    out_avals = (list(info.flat_out_avals) + info.state_avals if values else []) + \
        [info.in_avals[i] for i in pos] + [(tuple(w.shape), w._dtype) for w in weights]
    if info.name is None:  # no Tensor output, so nothing reaches an input: zero gradients (MindSpore's)
        return _grouped(info, positions, len(args), [Tensor(np.zeros(s, d)) for s, d in out_avals])
    probes = _hook_probes.take(tr, info.capture_inputs)  # (the gradients reaching hooked points: their values)
    at_probes = [i for _, idx in probes for i in idx]
    k = len(out_avals) - len(weights)  # (asked after the positions' gradients: taken out of the outputs below)
    out_avals[k:k] = [info.in_avals[i] for i in at_probes]
    # a later pass at a hooked point: the engine's reached flags tell its zeros from no pass (a flag per gradient)
    n_flags = len(pos) + len(at_probes) + len(weights) if _hook_probes.wants_reach(tr) else 0
    # int_grads: MindSpore's rule (integer inputs, parameters and casts carry integer gradients)
    outs = tr.emit("grad", in_names, {"fn": info.name, "positions": pos + at_probes, "weights": wnames,
                                      "sens": sens is not None, "with_value": values, "int_grads": True,
                                      **({"reached": True} if n_flags else {}), **({"aux": aux} if aux else {})},
                   out_avals + [((), "bool")] * n_flags)
    flags = outs[len(outs) - n_flags:]
    del outs[len(outs) - n_flags:]
    n = len(info.flat_out_avals) if values else 0
    at = k
    for probe, idx in probes:  # (a node below the root: its pass's values come out as attribute writes do)
        grads, at = outs[at:at + len(idx)], at + len(idx)
        grads += flags[len(pos) + at - k - len(idx):len(pos) + at - k]
        if tr is tr.root:
            probe.grads = grads
        else:
            _carry_pass(tr, probe, grads)
    for probe, j in _hook_probes.arg_points(tr, args, info.arg_inputs, pos):  # (a hooked argument's first pass)
        _carry_pass(tr, probe, [outs[k - len(pos) + j]] + flags[j:j + 1])
    del outs[k:at]
    outs = _take_state(info, outs, n, args) if values else outs
    return (outs[:n] if with_value else []) + _grouped(info, positions, len(args), outs[n:])


def _carry_pass(tr: Trace, probe, grads: list) -> None:
    """A hook probe's pass below the root (a grad of a grad's first, a third order's middle one): its values carried
    out of tr as attribute writes are, on the probe, named by the pass."""
    n = len(probe.passes) + bool(probe.inner)
    _hook_probes.add_pass(probe, tr, _attr_writes.carry(tr, probe, grads, f"_gs_inner_pass{n}_"))


def _take_state(info: FnInfo, outs: list, n: int, args: Sequence = ()) -> list:
    """A node's outputs less the state outputs after its first n (the values the function assigned to
    Parameters, then those it wrote into its args in place), which become those Parameters' and args'
    values in the calling trace."""
    k = len(info.state_avals)
    if not k:
        return outs
    n_params = len(info.state_params)
    _param_state.take(info.state_params, outs[n:n + n_params])
    tr = innermost()
    n_args = len(info.written_args)
    for i, v in zip(info.written_args, outs[n + n_params:n + n_params + n_args]):
        a = args[i]
        if isinstance(a, Parameter):
            _param_state.assign(a, v)
        elif a._data is None and a._trace is tr:  # (a value of another trace or a constant: left as it is)
            a._become(v)
    _attr_writes.take(tr, info.attr_writes, outs[n + n_params + n_args:n + k])
    return outs[:n] + outs[n + k:]


def emit_jvp(fn, args: Sequence, tangents: Sequence, *, positions: Sequence[int] | None = None, label: str = "jvp"):
    """One `jvp` node over `fn` at `args`. Returns (flat values, flat tangents, FnInfo)."""
    info = trace_function(fn, args, label, state=True, attrs=True)
    vals, tans = emit_jvp_node(info, args, tangents, positions=positions)
    return vals, tans, info


def _seed_dtype(tr: "Trace", seed: Tensor, dt: str, *, tangent: bool) -> Tensor:
    """A sens (GradOperation's sens_param, vjp's v) of another dtype than its output, or a jvp tangent of another
    than its input: MindSpore 2.10 refuses it (probe /work/scratch_left33/p4.py, any pair of dtypes: Float16 /
    Float64 / Int32 for Float32, Float32 for Float64 / Float16): PyNative's GradOperation and vjp TypeError "The
    dtype should be Float32, but got Float16, ...", its jvp's and GRAPH_MODE's (jit) "Type Join Failed: dtype1 =
    Float16, dtype2 = Float32." (the seed's dtype first). gradserve cast it before, as PyNative's GradOperation
    and vjp still do for a 0-d sens (a 0-d output's: p4b.py)."""
    if seed._dtype == dt:
        return seed
    if not tangent and not graph_semantics(tr) and tuple(seed.shape) == ():
        return cast(seed, dt)
    got, want = _join_kinds._ms_name(seed._dtype), _join_kinds._ms_name(dt)
    if tangent or graph_semantics(tr):
        raise TypeError(f"Type Join Failed: dtype1 = {got}, dtype2 = {want}.\nThe {'tangent' if tangent else 'sens'} "
                        f"of a {want} {'input' if tangent else 'output'} must be a {want} Tensor, got {got}.")
    raise TypeError(f"The dtype should be {want}, but got {got}: the sens of a {want} output must be a {want} "
                    "Tensor.")


def emit_jvp_node(info: FnInfo, args: Sequence, tangents: Sequence, *, positions: Sequence[int] | None = None):
    _refuse_in_no_grad()
    tr = innermost()
    positions = [i for i in range(len(args)) if i in info.arg_inputs] if positions is None else positions
    pos = [g[0] for g in _positions(info, positions, len(args))]
    if len(tangents) != len(pos):
        raise ShapeError(f"jvp: expected {len(pos)} tangent(s), one per input, got {len(tangents)}")
    in_names = _call_inputs(tr, info, args)
    for t, i in zip(tangents, pos):
        dt = info.in_avals[i][1]
        t = t if isinstance(t, Tensor) else Tensor(np.asarray(t, dtype=dt))
        in_names.append(tr.ref(_seed_dtype(tr, t, dt, tangent=True)))
    n = len(info.flat_out_avals)
    if info.name is None:  # no Tensor output: no values, no tangents
        return [], []
    avals = list(info.flat_out_avals) + info.state_avals
    outs = tr.emit("jvp", in_names, {"fn": info.name, "positions": pos}, avals * 2)
    vals, tans = _take_state(info, outs[:len(avals)], n), outs[len(avals):]
    return vals, tans[:n]


def emit_call(fn, args: Sequence, label: str = "call"):
    info = trace_function(fn, args, label, state=True, attrs=True)
    return unflatten(info.out_tdef, emit_call_node(info, args)), info


def emit_call_node(info: FnInfo, args: Sequence) -> list[Tensor]:
    if info.name is None:  # no Tensor output: the static ones come from the tree def
        return []
    tr = innermost()
    outs = tr.emit("call", _call_inputs(tr, info, args), {"fn": info.name}, list(info.flat_out_avals) + info.state_avals)
    return _take_state(info, outs, len(info.flat_out_avals), args)


# -- programs: top-level traces run on the service -----------------------------------------------------
# a frozen parameter's value in a doc written to compare structure (Program.graph_doc(values="marked")): its array is
# compared by identity. The SDK never writes into a Parameter's array (set_data, the optimizers and the in-place
# ops give it a new one and count its version); a user's write through np.asarray(p) is seen by no reused trace.
FROZEN_MARK = "frozen"


class _Written:
    """What a GraphRef's doc was written from: the doc with frozen values as FROZEN_MARK, and (weakly) the arrays
    they were (a value gone since is not the same: no id reused by another array is mistaken for it)."""

    __slots__ = ("bare", "text", "arrays")

    def __init__(self, doc: dict, arrays: list):
        self.bare = dict(doc, params=[dict(p, value=FROZEN_MARK) if "value" in p else p for p in doc["params"]])
        self.text = _doc_text(self.bare)
        self.arrays = [weakref.ref(a) for a in arrays]

    def same(self, bare: dict, arrays: list) -> bool:
        """Whether a doc written with values="marked" from `arrays` is this one's: equal, and equal as JSON text
        (a constant -0.0 is no 0.0, nor 1.0 a 1, though == says so: `x / (k * ones)` at k = -0.0 is -inf)."""
        return len(arrays) == len(self.arrays) and all([w() is a for w, a in zip(self.arrays, arrays)]) and \
            bare == self.bare and self.text is not None and _doc_text(bare) == self.text


def _doc_text(doc: dict) -> str | None:
    """doc as JSON text (None where a value is none JSON writes: no doc is then the same as it)."""
    try:
        return json.dumps(doc, separators=(",", ":"))
    except (TypeError, ValueError):
        return None


class Program:
    """A traced top-level graph. Its JSON is rebuilt only when a parameter's value changed."""

    def __init__(self, root: Trace, outputs, n_inputs: int, out_avals: list | None = None, state=((), ()),
                 written=((), ())):
        self.root = root
        self.outputs = outputs
        # the Parameters the run assigns and their values' names: outputs after the user's, written back
        self.state_params, self.state_names = list(state[0]), list(state[1])
        # the input Tensors (positions among the Tensor arguments) an in-place op rebound, and their final
        # values' names: outputs after the Parameters', written into the caller's Tensors (GRAPH_MODE's side
        # effect: `x.add_(1)` in construct changes the caller's x)
        self.written_inputs, self.written_names = list(written[0]), list(written[1])
        self.n_extra = len(self.state_params) + len(self.written_inputs)  # outputs that are not the user's
        self.n_inputs = n_inputs
        self.out_avals = out_avals or []
        self._doc_key: list | None = None
        self._ref: GraphRef | None = None
        self._lane_pin = None  # its lane and what it was made for (gradserve._lane.eval_program)
        self._thaws = -1  # the count of first changes (_tensor.thaws) _doc_key and _moving were made at
        self._releases = -1  # the count of arrays handed to user code (_private_arrays.releases) last looked at
        self._moving: list = []  # (name, Parameter) of the changed parameters: their values go with each job
        self._written: _Written | None = None  # what _ref's doc was written from (_share_registration compares it)
        self.attr_writes: list = []  # the writes (_attr_writes.Write) given a Tensor of the run's: _set_attr_writes
        self.probes: list = []  # hooked points whose gradients are outputs after the user's (_hook_probes)
        self.prints: list = []  # the prints each run makes, after the attributes are set (_graph_print)
        self._out_bytes: int | None = None
        self.out_tdef: Any = None  # the output structure (set by the tracer)
        self._shapes: list | None = None  # per output: (shape, size) the trace inferred (_conform)
        self._plain: bool | None = None  # whether out_tdef is tuples of Tensors only
        # parameters holding random data (dropout masks): drawn anew before each run, so that randomness is
        # data and the graph stays the same (one draw per run: forward and backward share it)
        self.random_draws = [getattr(p, "gs_draw") for p in root.param_objs.values() if hasattr(p, "gs_draw")]
        # the seeded op generators made while tracing (made per call eagerly): started again before each run, so
        # that the run draws what an eager call would (and a reused PyNative trace what a fresh one would); a
        # GRAPH_MODE / jit program's advance from run to run, but bernoulli's / randperm's (_misc.op_generator)
        graph = graph_semantics(root)
        self.rewinds = [(g, state) for g, state, repeats in root.generators if repeats or not graph]
        self.param_outs: dict = {}  # output leaf index -> the Parameter returned as it is (trace_program)

    def graph_doc(self, values: str = "all", raws: dict | None = None, arrays: list | None = None) -> dict:
        """The graph's JSON; values="frozen" writes only unchanged parameters' values into it (the
        rest travel with each job: `param_data`), so new weights leave the graph id unchanged; values="marked"
        writes FROZEN_MARK in their place (nothing serialised: the structure _share_registration compares).
        raws: a dict given gets each base64 value's bytes by its parameter's name (GraphRef.raws); arrays: a
        list given gets the arrays whose values the doc holds, in order."""
        r = self.root
        body = r.body(_param_state.with_state(self.outputs, self.state_names + self.written_names))
        params: list = []
        raw: list | None = [] if raws is not None else None
        for p in body["params"]:
            obj = r.param_objs[p["name"]]
            if values == "all" or _frozen(obj):
                if arrays is not None:
                    arrays.append(obj._data)
                p = dict(p, value=FROZEN_MARK if values == "marked" else tensor_json(obj._data, raw))
                if raw and raws is not None:
                    raws[p["name"]] = raw.pop()
            params.append(p)
        doc = {"format": _catalog.FORMAT, **body, "params": params}
        if r.functions:
            doc["functions"] = dict(r.functions)
        return doc

    def ref(self):
        """Its GraphRef."""
        if self._releases != _private_arrays.releases[0]:  # an array went to user code: one of our frozen ones?
            self._thaw_released()
        n = _tensor_mod.thaws[0]
        if self._thaws != n:  # (asked on every call) some parameter changed for the first time: one of ours?
            objs = self.root.param_objs
            key = [(id(r), _frozen(r)) for r in objs.values()]
            if self._ref is None or key != self._doc_key:
                # binary jobs: a trace runs call after call with the same job header, and the server
                # reuses what it found for a binary header seen before (its checks, the derivation) where
                # a JSON body is parsed and checked whole each time (L3: ~30% less server CPU per call)
                doc = self.graph_doc(values="frozen", raws=(raws := {}), arrays=(arrays := []))
                self._ref, self._doc_key = GraphRef(doc, binary=True, raws=raws), key
                self._written = _Written(doc, arrays)
            self._moving = [(name, p) for name, p in objs.items() if not _frozen(p)]
            self._thaws = n  # last: another thread sees the new count only with the ref and list made for it
        return self._ref

    def _thaw_released(self) -> None:
        """A frozen Parameter whose array user code got (np.asarray(p)) may have been written through NumPy, which
        its registered value would not show: it changes (data with each job from now on, its bytes compared
        by the shared memory path), as MindSpore's next call sees the write."""
        self._releases = _private_arrays.releases[0]  # (first: a release while this runs asks again next call)
        for p in self.root.param_objs.values():
            if _frozen(p) and p._data is not None and not _private_arrays.sealed(p._data):
                p._bump()

    def binary_output(self) -> bool | None:
        """Binary outputs when the trace says they are large (JSON numbers cost ~10x to write and
        read); None leaves the choice to the request's size."""
        if self._out_bytes is None:
            self._out_bytes = sum(int(np.prod(s, dtype=np.int64)) * np.dtype(d).itemsize
                                  for s, d in (a for a in self.out_avals if a is not None))
        return True if self._out_bytes >= BINARY_OUTPUT_BYTES else None

    def param_data(self) -> dict:
        """Values of the parameters that travel with each job (the ones that have changed)."""
        self.ref()  # (the list of changed ones follows the parameters' first changes)
        return {name: p._data for name, p in self._moving} if self._moving else {}

    def __gradserve_graph__(self):
        return self.ref()


def _frozen(p: Parameter) -> bool:
    """A parameter whose value never changed since it was made: its value is part of the graph (sent once,
    when the graph is registered; repeated calls with the same weights send none). Once changed
    (set_data: a training step) it is data for good: sent with each job and not part of the graph's id,
    so the first update makes one new graph and later ones none."""
    return p._version == 0


def _wrap(value):
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return tuple(_wrap(v) for v in value)
    return _eager._tensor(np.asarray(value))  # a fresh array from the response: no copy


def _conform(value, shapes: list):
    """The service's value (tuples of arrays) as Tensors in tuples, each given the shape the trace inferred
    (`shapes`: (shape, size) per output, in order) where the service sent it with the same size in another
    shape (a 0-d tensor as [1]). Conformed only when the counts agree."""
    if type(value) is tuple and len(value) == len(shapes):  # (the common answer: a flat tuple of arrays)
        out = []
        for a, s in zip(value, shapes):
            if type(a) is not np.ndarray or s is None:
                break
            out.append(_eager._tensor(a.reshape(s[0]) if a.shape != s[0] and a.size == s[1] else a))
        else:
            return tuple(out)
    elif type(value) is tuple:  # (value_and_grad's: arrays and flat tuples of arrays, without the walk below)
        got = _conformed_pairs(value, shapes)
        if got is not None:
            return got
    at = [0]
    out = _conformed(value, shapes, at)
    return out if at[0] == len(shapes) else _wrap(value)


def _conformed_pairs(value: tuple, shapes: list):
    """_conform's answer for a tuple whose members are arrays or flat tuples of arrays (a value and its
    gradients), as _conformed gives it; None for any other (_conformed's walk decides)."""
    out: list = []
    i, n = 0, len(shapes)
    for v in value:
        if type(v) is np.ndarray:
            members, one = (v,), True
        elif type(v) is tuple:
            members, one = v, False
        else:
            return None
        ts = []
        for a in members:
            if type(a) is not np.ndarray or i >= n or shapes[i] is None:
                return None
            s = shapes[i]
            ts.append(_eager._tensor(a.reshape(s[0]) if a.shape != s[0] and a.size == s[1] else a))
            i += 1
        out.append(ts[0] if one else tuple(ts))
    return tuple(out) if i == n else None


def _conformed(v, shapes: list, at: list):
    """_conform's walk: `at` counts the arrays met (a plain function: a closure per call was a reference
    cycle to undo on every call)."""
    if type(v) is tuple or type(v) is list:
        return tuple([_conformed(x, shapes, at) for x in v])
    a, i = v if type(v) is np.ndarray else np.asarray(v), at[0]
    at[0] = i + 1
    s = shapes[i] if i < len(shapes) else None
    if s is not None and a.shape != s[0] and a.size == s[1]:
        a = a.reshape(s[0])
    return _eager._tensor(a)  # a fresh array from the response: no copy


def trace_program(fn: Callable, args: Sequence, *, label: str = "main", names: Sequence[str] | None = None,
                  graph: bool = False, known: bool = True):
    """Trace `fn(*args)` as a top-level graph; returns (Program, the Tensor leaves of args). graph: the trace
    has GRAPH_MODE's semantics in PyNative mode too (a jit function: ops/_inplace._augmented). known: the
    args' values are this call's (a read of a traced value is answered: _value_reads); False for a graph
    traced to be kept (exported), which must not depend on its example inputs' values."""
    try:
        return _trace_program_once(fn, args, label=label, names=names, graph=graph, known=known)
    except _hook_probes.Retrace:  # (a cell backward hook found to need another form: at most once a hook)
        return trace_program(fn, args, label=label, names=names, graph=graph, known=known)


def _sequence_leaves(args: Sequence, inner: list) -> "frozenset[str]":
    """The inputs (of `inner`, the flattened args' stand-ins) that are a list or tuple argument's Tensors (not a
    mutable() one's: its own class): Trace.sequence_leaves."""
    in_seq = [q for a in args for q in [type(a) in (list, tuple)] * len(flatten(a)[0])]
    return frozenset(s._name for s, q in zip(inner, in_seq) if q and isinstance(s, Tensor))


def _leaf_names(args: Sequence, arg_names: list) -> list:
    """A name for each Tensor leaf of args, after its argument (`name_j` for a sequence's j-th)."""
    names: list[str] = []
    for i, a in enumerate(args):
        sub = flatten(a)[0]
        base = arg_names[i] if i < len(arg_names) else f"x{i}"
        names.extend([base] if len(sub) == 1 else [f"{base}_{j}" for j in range(len(sub))])
    return names


def _trace_program_once(fn: Callable, args: Sequence, *, label: str, names: Sequence[str] | None, graph: bool,
                        known: bool):
    if current() is not None:
        raise TraceError("trace_program inside a trace")
    trace_counts["traces"] += 1
    leaves, tdef = flatten(list(args))
    tensors = [x for x in leaves if isinstance(x, Tensor)]
    for t in tensors:
        if t._data is None:
            raise TraceError("a traced Tensor escaped its trace and was passed to a new call")
    root = Trace(None, label)
    root.graph = graph
    root.attr_writes = []
    leaf_names = _leaf_names(args, list(names) if names is not None else _arg_names(fn, len(args)))
    inner = [root.new_input(x.shape, x._dtype, leaf_names[j]) if isinstance(x, Tensor) else x
             for j, x in enumerate(leaves)]
    root.sequence_leaves = _sequence_leaves(args, inner)
    root.ir = _ir_dump.recorder(root.label) if graph_semantics(root) else None
    for x, s in zip(leaves, inner):  # (a jit function called inside sees which Parameter an input is: _jit)
        if isinstance(x, Parameter):
            s.__dict__["_gs_parameter"] = x
    if known:
        root.known = {s._name: x._data for x, s in zip(leaves, inner) if isinstance(x, Tensor) and not x.is_dynamic}
        if _context.get_context("mode") == _context.PYNATIVE_MODE:
            for x, s in zip(leaves, inner):  # a transpose's view stays one inside the Cell (Tensor.is_contiguous)
                if isinstance(x, Tensor) and x.__dict__.get("_gs_view"):
                    s.__dict__["_gs_view"] = True
                    root.no_cache = True  # (the view is not in the signature)
    if pynative_captures[0]:
        root.origin = {id(s): _stands_for(x) for x, s in zip(leaves, inner)
                       if isinstance(x, Tensor) and not isinstance(x, Parameter)}
        for s in inner:
            if id(s) in root.origin:
                s.__dict__["_gs_origin"] = root.origin[id(s)]
    if graph_semantics(root):  # (net(v, v): a write through one input is the other's: _same_args)
        _same_args.link(leaves, inner)
    writes = InputWrites(root, [s for s in inner if isinstance(s, Tensor)])
    if tensor_hooks[0] is not None:  # an argument's hooks go with its input, for the function derived from it
        for x, s in zip(leaves, inner):
            tensor_hooks[0].carry(x, s)
    _param_state.reset()
    try:
        with active(root):
            aliases = contained_aliases(args, leaves)  # (PyNative too: Python's `in` asks identity first)
            seen_inner = inner if aliases is None else [inner[k] for k in aliases]
            call_args, list_args = _call_args(args, unflatten(tdef, seen_inner))
            out = late.list_effects(root, _listed(late.explore(writes.run(
                _ir_dump.watched(root.ir, fn, lambda: late.loops(fn)(*call_args))))))
            out = _assigned_parameter_args(out, leaves, inner)
            out, attr_writes = _attr_writes.program_outputs(root, out)
            why = _attr_writes.escaped(root)
            if why is not None:
                _attr_writes.restore(root, 0)  # (the Cell keeps its attributes as before the failed call)
                raise TraceError(why)
            out, probes = _hook_probes.with_probes(root, out)
            outputs, out_tdef = root.outputs_of(out)
            if _keeps_lists(out_tdef) or _changed_lists(list_args):
                root.reads += 1  # (its Python lists are this call's: never cached)
            sparams, snames, _ = _param_state.function_state(root, {})
            written = writes.written(out)
    finally:
        _param_state.reset()
        if root.origin:  # (a cached trace holds no argument of its first call)
            root.origin = {}
            for s in inner:
                if isinstance(s, Tensor):
                    s.__dict__.pop("_gs_origin", None)
    flat_out = flatten_out(out)[0]
    out_avals = [(x.shape, x._dtype) if isinstance(x, Tensor) else None for x in flat_out]
    prog = Program(root, outputs, len(tensors), out_avals, (sparams, snames),
                   ([k for k, _ in written], [n for _, n in written]))
    prog.out_tdef = out_tdef
    prog.param_outs = {} if graph_semantics(root) else {  # (_parameters_out: a graph's output is a Tensor)
        i: x for i, x in enumerate(flat_out) if isinstance(x, Parameter) and x._data is not None}
    prog.attr_writes = attr_writes
    prog.probes = probes
    prog.prints = _graph_print.sites(root)
    root.ir = _ir_dump.written(root.ir)
    return prog, tensors


def uncacheable() -> None:
    """The trace being built runs Python that a PyNative call must run again (a hook; a Cell attribute's write
    is run again in both modes: attribute_written): in PyNative mode a jit function's trace that runs it is not
    reused (a Cell's is not cached there at all: context.traces_cached; GRAPH_MODE runs such Python once, at
    compile time, as MindSpore does)."""
    tr = current()
    if tr is not None and _context.get_context("mode") == _context.PYNATIVE_MODE:
        tr.root.no_cache = True


def attribute_written(obj: Any, name: str, value: Any) -> None:
    """`self.n = v` in a traced construct (before it is made): MindSpore runs the write on every call, in both
    modes, so the trace is never reused; a Tensor written becomes that call's value after the run (through the
    derived functions' outputs to Program.attr_writes: _attr_writes) rather than a traced Tensor escaping it."""
    tr = current()
    if tr is None:
        return
    tr.root.no_cache = True
    _attr_writes.note(tr, obj, name, value, obj.__dict__.get(name, _attr_writes.MISSING))


def _set_attr_writes(prog: "Program", result):
    """The user's outputs of a run; the values of the Tensors construct left in attributes set there."""
    if not prog.attr_writes:
        return result
    value, written = result
    for w, t in zip(prog.attr_writes, written):
        object.__setattr__(w.obj, w.name, t)
    return value


def _assigned_parameter_args(out, leaves: list, inner: list):
    """out with each Parameter argument that it returns as it is replaced by the value the function assigned
    to that Parameter (MindSpore 2.10, both modes: such an output is the Parameter's buffer, read after the
    call's writes); an output computed from the argument before the assignment is left as it is."""
    now = {id(s): _param_state.get(x) for x, s in zip(leaves, inner) if isinstance(x, Parameter)}
    now = {k: v for k, v in now.items() if v is not None}
    if not now:
        return out

    def swap(o):
        if isinstance(o, Tensor):
            return now.get(id(o), o)
        if type(o) in (tuple, list):
            return type(o)(swap(v) for v in o)
        return o
    return swap(out)


# bumped when a Cell's training mode changes (Cell.set_train): traces cached before may have taken the other
# branch of a cell that reads self.training (dropout, batch norm), in any cache that inlined it; and when a
# hook is registered or removed (_hooks.HookHandle): traces cached before applied the old hooks
# (and on a mode change: context.set_context)
mode_epoch = _context.mode_epoch


# The most traces one function's (or Cell's) cache keeps: a loop calling it with a new constant each step
# (a Python number, a shape) traces anew each time; past this the least recently used trace goes.
TRACE_CACHE_SIZE = int(os.environ.get("GRADSERVE_TRACE_CACHE_SIZE", "128"))

# PyNative: after this many traces of one signature in a row whose guards failed before any reuse (a value
# the Python reads changes on every call), it is traced afresh, unrecorded, from then on (_guarded_trace)
GUARD_CHURN = 4
# PyNative: the earlier guarded traces of a signature kept beside its latest, asked when the latest's guards fail
# (a value the Python reads cycling through a few: a logging flag, an aux dict's keys, a phase, i % 3)
GUARD_ALTERNATES = GUARD_CHURN - 1

# this process's counts, to explain a slow run (benchmarks/loops_bench.py records them per workload): traces
# made (trace_program), PyNative traces recorded under the guard hook, kept PyNative traces whose guards failed
# (or whose captured Tensor changed), and PyNative traces made afresh because their signature is unguardable
trace_counts = {"traces": 0, "recorded": 0, "guard_failures": 0, "unguarded": 0}


def trace_stats() -> dict:
    """A copy of trace_counts."""
    return dict(trace_counts)

CacheInfo = collections.namedtuple("CacheInfo", "hits misses maxsize currsize evictions")


class TraceCache(dict):
    """A jit function's or Cell's traces by input signature, least recently used first, with counts a user
    can read (`fn.cache_info()`, `cell.trace_cache_info()`: functools.lru_cache's fields, and evictions)."""

    def __init__(self):
        super().__init__()
        self.hits = self.misses = self.evictions = 0
        self.guarded: dict = {}  # PyNative's traces, reused while their guards hold (_pyguard; not counted)

    def info(self) -> CacheInfo:
        return CacheInfo(self.hits, self.misses, TRACE_CACHE_SIZE, len(self), self.evictions)


def _cache_hit(cache: dict, sig):
    """The trace cached for sig (now the most recently used), or None."""
    prog = cache.pop(sig, None)
    if prog is not None:
        cache[sig] = prog  # (a dict keeps insertion order: the end is the most recent)
    if isinstance(cache, TraceCache):
        cache.hits += prog is not None
    return prog


def _cache_put(cache: dict, sig, prog) -> None:
    cache[sig] = prog
    if isinstance(cache, TraceCache):
        cache.misses += 1
    while len(cache) > max(1, TRACE_CACHE_SIZE):
        del cache[next(iter(cache))]
        if isinstance(cache, TraceCache):
            cache.evictions += 1


def _consts_written(const_data: list) -> bool:
    """Whether a Tensor a trace took as a constant has another value now: a new array (an in-place op), or its
    array, handed to user code (asnumpy(): MindSpore's shares the memory), written through NumPy since."""
    for x, a, seen in const_data:
        if x._data is not a:
            return True
        if seen is None and _private_arrays.released(a) or seen is not None and not np.array_equal(a, seen, True):
            return True  # (released after the trace: its value then is unknown; retraced once, then compared)
    return False


def _guarded_hit(guarded: dict, sig, leaves: list):
    """The PyNative trace kept for sig while its guards hold (and no captured Tensor changed), or None."""
    entry = guarded.get(sig)
    if entry is None or not entry.guarded:
        return None
    if not entry.holds():
        trace_counts["guard_failures"] += 1
        for alt in entry.others:  # (an earlier trace of sig whose reads hold now: it becomes the latest)
            if alt.holds():
                guarded[sig] = alt
                alt.others, entry.others = (entry,) + tuple(o for o in entry.others if o is not alt), ()
                entry = alt
                break
        else:
            return None
    entry.hits += 1
    prog = entry.prog
    if prog.root.const_data and _consts_written(prog.root.const_data):
        trace_counts["guard_failures"] += 1
        return None
    if pynative_captures[0] and prog.root.const_ids and _took_an_argument(prog.root.const_ids, leaves):
        return None
    return prog


def _took_an_argument(const_ids: set, leaves: list) -> bool:
    """Whether a cached trace took one of this call's arguments as a constant (it captured the Tensor, or the
    one an argument stands for): a plain loop, no call per leaf (every top-level PyNative grad call asks)."""
    for x in leaves:
        if isinstance(x, Tensor) and id(x.__dict__.get("_gs_stands_for", x)) in const_ids:  # (_stands_for's)
            return True
    return False


def _guarded_trace(guarded: dict, sig, fn: Callable, args: Sequence, label: str | Callable[[], str],
                   names: Sequence[str] | Callable[[int], Sequence[str]] | None, graph: bool = False) -> "Program":
    """A PyNative trace of fn(*args) (a graph's, for a jit function's twins: graph), kept in `guarded` with what it
    read when that can be guarded: recorded from a signature's second call on (the hook slows the trace ~7x: a
    call seen once pays nothing); a sig found unguardable is traced afresh, unrecorded, from then on. Either way a
    trace equal to the last one takes over its registration with the server (_share_registration)."""
    def trace():
        return trace_program(fn, args, label=label() if callable(label) else label,
                             names=names(len(args)) if callable(names) else names, graph=graph)[0]
    old = guarded.get(sig)
    if old is None or not old.guarded and old.recorded:  # (seen first: recorded from the second call on)
        prog = trace()
        if old is not None:
            trace_counts["unguarded"] += 1
            _share_registration(prog, old.prog)
            old.prog = prog
            return prog
        if len(guarded) >= max(1, TRACE_CACHE_SIZE):
            del guarded[next(iter(guarded))]
        guarded[sig] = _pyguard.Guarded(prog, None, recorded=False)
        return prog
    prog, rec = _pyguard.record(fn, trace)
    trace_counts["recorded"] += 1
    _share_registration(prog, old.prog)
    if rec is None:  # (a profiler held the hook: nothing known either way)
        old.prog = prog
        return prog
    # (random draws are per-run data whichever generator they use: Program.rewinds; a reused trace draws alike)
    ok = rec is not False and not prog.root.reads and not prog.root.no_cache
    churn = old.churn + 1 if old.guarded and not old.hits else 0  # (what it reads changes on every call)
    keep = rec if ok and rec is not False and churn < GUARD_CHURN else None
    others = ((old,) + old.others)[:GUARD_ALTERNATES] if old.guarded and keep is not None else ()
    old.others = ()
    guarded[sig] = _pyguard.Guarded(prog, keep, churn, others=others)
    return prog


def _share_registration(prog: "Program", old: "Program") -> None:
    """prog, a fresh trace, made the same graph as old (same structure, the same Parameters, its frozen ones'
    values the same arrays): prog takes old's GraphRef (its id the server knows) and lane, so that it is not
    serialized, hashed or looked up again. Frozen values are compared by identity, never written out (a large
    model's base64 cost seconds a call): a new value is set_data's (the Parameter thaws: its value is data then)
    or another array; a write into a frozen Parameter's own array through NumPy (np.asarray(p)[...] = v) is not
    seen here, as by a reused trace in either mode (see FROZEN_MARK)."""
    if old._ref is None or old._written is None or prog.out_tdef != old.out_tdef or \
            prog.out_avals != old.out_avals or prog.attr_writes or prog.probes or old._thaws != _tensor_mod.thaws[0]:
        return
    objs, was = prog.root.param_objs, old.root.param_objs
    if list(objs) != list(was) or any(a is not b for a, b in zip(objs.values(), was.values())) or \
            [id(p) for p in prog.state_params] != [id(p) for p in old.state_params] or \
            prog.written_inputs != old.written_inputs:
        return
    arrays: list = []
    if old._written.same(prog.graph_doc(values="marked", arrays=arrays), arrays):
        prog._ref, prog._doc_key, prog._thaws = old._ref, old._doc_key, old._thaws
        prog._moving, prog._lane_pin, prog._written = old._moving, old._lane_pin, old._written
    # (else the run makes prog's own: Program.ref)


def run_program(fn: Callable, args: Sequence, *, cache: dict | None = None, label: str | Callable[[], str] = "main",
                names: Sequence[str] | Callable[[int], Sequence[str]] | None = None, graph: bool = False,
                compile_only: bool = False, compiled: bool = False) -> Any:
    """Trace (or reuse the trace for this input signature), send to /v1/eval, return Tensors. `label` and
    `names` may be callables (names: of the argument count): asked only when the call traces (not on the
    cache's hits). compile_only: trace, return None (context.precompile_only). compiled: a trace kept in
    PyNative mode too (a one-op eager call; graph: a jit function's) (context.traces_cached)."""
    tdef: Any
    for a in args:
        if type(a) is not Tensor:
            if _holds_itself(args, set()):  # (MindSpore 2.10's refusal and text)
                raise RuntimeError("Detect recursion when converting python object.")
            leaves, tdef = flatten(list(args))
            sigs = tuple([_sig(x) for x in leaves])
            # a Tensor repeated in a list argument is one object in the trace (any mode): which, in the key
            sigs += (contained_aliases(args, leaves), _same_args.repeats(leaves))
            break
    else:  # (the common call: Tensors alone, as flatten would give them)
        leaves, tdef = list(args), ("list", ("*",) * len(args))
        sigs = tuple([("T", x._shape, x._dtype) for x in leaves])  # (_sig of a Tensor, without a call each)
        if len(leaves) > 1:  # (net(x, x): which are one, in PyNative; which share a storage, in a graph)
            sigs += (contained_aliases(args, leaves) if top_aliases[0] else _same_args.repeats(leaves),)
    epoch = (mode_epoch[0], _tensor_mod.param_reshapes[0])
    sig: tuple = (epoch, tdef, sigs)
    if tensor_hooks[0] is not None:  # an argument's own hooks are traced into the program (hooked_input)
        sig += (tuple(tuple(x.__dict__.get("_gs_hooks", ())) if isinstance(x, Tensor) else () for x in leaves),)
    prog = guarded = None
    if cache is not None and (not _context.traces_cached(graph or compiled) or type(cache) is _pyguard.TwinTraces):
        # PyNative (and twin functions' traces: _twins): a trace runs the Python again unless all it read is unchanged
        guarded, cache = _pyguard.table(cache), None
        prog = _guarded_hit(guarded, sig, leaves)
        if prog is None:
            prog = _guarded_trace(guarded, sig, fn, args, label, names, graph=graph)
    if cache is not None:
        prog = _cache_hit(cache, sig)
        if prog is not None and prog.root.const_data and _consts_written(prog.root.const_data):
            prog = None  # a captured Tensor written in place since (MindSpore reads its value now): traced again
        if prog is not None and pynative_captures[0] and prog.root.const_ids and \
                _took_an_argument(prog.root.const_ids, leaves):
            prog = None  # an argument the cached trace took as a constant (it captured it): traced again
    if prog is None:
        prog, _ = trace_program(fn, args, label=label() if callable(label) else label,
                                names=names(len(args)) if callable(names) else names, graph=graph)
        if cache is not None and not prog.root.reads and not prog.root.no_cache:  # (specialised on values read)
            for old in [k for k in cache if k[0] != epoch]:  # traces from before a set_train: stale
                del cache[old]
            _cache_put(cache, sig, prog)
    if compile_only:
        return None
    res = _run(prog, leaves)
    if prog.param_outs:  # (leaf indices of the whole result: the user's outputs come first)
        res = _parameters_out(prog, res)
    if prog.probes:  # (the attributes first: a grad of a grad's first-pass hook values come as those)
        value, grads = res
        try:
            return _hook_probes.fire(prog.probes, (_printed(prog, _set_attr_writes(prog, value)), grads))
        except _hook_probes.Rerun as again:  # (a hook read its gradient and changed it: run again, it known)
            _refuse_rerun(prog)
            return _hook_probes.run_again(again.plan, lambda: run_program(
                fn, args, cache=cache, label=label, names=names, graph=graph, compiled=compiled))
    return _printed(prog, _set_attr_writes(prog, res)) if prog.attr_writes or prog.prints else res


def _holds_itself(x, open_: set) -> bool:
    """Whether a list / tuple / dict argument contains itself at some depth (a = [1]; a.append(a))."""
    if not isinstance(x, (list, tuple, dict)) or isinstance(x, Tensor):
        return False
    if id(x) in open_:
        return True
    open_.add(id(x))
    found = any(_holds_itself(v, open_) for v in (x.values() if isinstance(x, dict) else x))
    open_.discard(id(x))
    return found


def _printed(prog: "Program", value):
    """value, once the prints the run passed are made (_graph_print)."""
    if prog.prints:
        _graph_print.emit(prog.prints)
    return value


def _refuse_rerun(prog: "Program") -> None:
    """A grad call run again for a hook that reads and changes its gradient must be the same call: none that
    writes state (a Parameter, an argument, a Cell attribute) or draws random values (a second run would differ)."""
    what = ("writes a Parameter" if prog.state_params else "writes an argument" if prog.written_inputs else
            "draws random values" if prog.random_draws else
            "writes a Cell attribute" if any(not isinstance(w.obj, _hook_probes.Probe) for w in prog.attr_writes)
            else None)
    if what is not None:
        raise RuntimeError(f"a gradient hook read its gradient's value and returned a new gradient in a grad call that "
                           f"{what}: gradserve runs such a call twice (first for the values the hook reads), which "
                           "that call does not allow; change the gradient without reading its value, or read it in "
                           "a hook that returns None")


def _parameters_out(prog: "Program", out):
    """out with each output that was a Parameter itself (`return self.w`) given back as that Parameter, its
    name kept, as MindSpore's PyNative does (its value is the run's: state was written back by _run). A graph's
    (GRAPH_MODE, a jit function in either mode) is a Tensor of that value there (MindSpore 2.10 checked): not
    kept as a Parameter (_trace_program_once)."""
    leaves, tdef = flatten_out(out)
    for i, p in prog.param_outs.items():
        leaves[i] = p
    return unflatten(tdef, leaves)


def _run(prog: "Program", leaves: list) -> Any:
    """The outputs of one run of a traced program at the argument leaves."""
    arrays = [x._data for x in leaves if isinstance(x, Tensor)]
    for a in arrays:
        if a is None:
            raise TraceError("a traced Tensor escaped its trace and was passed to a new call")
    tdef = getattr(prog, "out_tdef", "*")
    if not prog.out_avals and not prog.n_extra:  # nothing computed on the service (a gradient of nothing)
        return unflatten(tdef, [])
    for gen, state in prog.rewinds:
        gen.bit_generator.state = state
    for draw in prog.random_draws:
        draw()
    device = _context.device()
    if prog._plain is None:
        prog._plain = _plain_tree(tdef)
        prog._shapes = [None if av is None else (tuple(av[0]), int(np.prod(av[0], dtype=np.int64)))
                        for av in prog.out_avals]
    try:  # (outputs that are tuples of Tensors, none written back: the lane may give the Tensors themselves)
        res = _lane.eval_program(_context.client(), prog, arrays, prog.param_data() or None, device,
                                 prog.binary_output(), prog._shapes if prog._plain and not prog.n_extra else None)
    except DeviceUnavailable as e:
        e.message += (f" [the job asked for device {device!r} (set_context(device_target=...)); "
                      "GRADSERVE_DEVICE=cpu routes every job to the CPU pool]")
        e.args = (e.message,)
        raise
    if isinstance(res, tuple):  # _conform's Tensors, made by the lane
        return res
    if prog.n_extra:
        res = _written_back(prog, res, leaves)
    if not prog._plain:  # dicts, static values: rebuilt here from the flat outputs
        flat = [Tensor(np.asarray(a).reshape(av[0])) for a, av in zip(res.outputs, prog.out_avals)]
        return unflatten(tdef, flat)
    assert prog._shapes is not None  # (made with _plain, above)
    return _conform(res.value, prog._shapes)


def _written_back(prog: Program, res, leaves: list):
    """The run's result less the state outputs, which go into their Parameters and the input Tensors the
    program wrote in place (MindSpore's side effects)."""
    k, n_params = prog.n_extra, len(prog.state_params)
    extra = res.outputs[-k:]
    _param_state.write_back(prog.state_params, extra[:n_params])
    if prog.written_inputs:
        tensors = [x for x in leaves if isinstance(x, Tensor)]
        for i, a in zip(prog.written_inputs, extra[n_params:]):
            t, a = tensors[i], np.asarray(a).reshape(tensors[i]._shape)
            if isinstance(t, Parameter):
                t.set_data(a)
            else:
                t._data = a
    value = tuple(res.value)[:-k]  # the user's outputs: a list tree, or one name before the state
    return _UserResult(value if isinstance(prog.outputs, list) else value[0], res.outputs[:-k])


class _UserResult:
    def __init__(self, value, outputs):
        self.value, self.outputs = value, outputs



def _trace_for_export(fn: Callable, inputs: Sequence):
    """(the program of `fn` traced once at `inputs`, as a new trace (no cache), its label)."""
    args = [x if isinstance(x, Tensor) else Tensor(x) for x in inputs]
    label = getattr(fn, "__name__", None) or type(fn).__name__
    prog, _ = trace_program(fn, args, label=label, known=False)
    return prog, label


def trace_graph(fn: Callable, inputs: Sequence) -> dict:
    """The `gradserve.graph/1` JSON of `fn` traced at `inputs` (arrays or Tensors)."""
    prog, _ = _trace_for_export(fn, inputs)
    prog.state_params, prog.state_names = [], []  # an exported graph gives the function's outputs alone
    prog.written_inputs, prog.written_names, prog.n_extra = [], [], 0
    if prog.attr_writes:  # (and no attribute outputs: the attributes keep their values, as nothing ran)
        prog.outputs = prog.outputs[0]
    _attr_writes.restore(prog.root, 0)
    return prog.graph_doc()


def export_graph(fn: Callable, inputs: Sequence) -> tuple[dict, list, list]:
    """The `gradserve.graph/1` document of `fn` traced at `inputs`, the (shape, dtype) of each of its flat outputs
    (from the trace: nothing runs) and the names of the parameters it assigns (`self.w += 1` in construct), whose
    new values are its last outputs; refused for what such a graph cannot carry: attribute writes, outputs that are
    not Tensors."""
    prog, label = _trace_for_export(fn, inputs)
    _attr_writes.restore(prog.root, 0)
    if prog.attr_writes:
        raise NotImplementedError(f"export of {label}: it assigns Cell attributes (an optimizer's step); gradserve "
                                  "exports graphs of outputs and Parameter assignments")
    # (writes into the inputs, `x += 1` in a GRAPH_MODE construct, are the caller's Tensors' side effect: the
    # graph's outputs do not depend on them; as trace_graph, the exported graph leaves them out)
    prog.written_inputs, prog.written_names = [], []
    if any(_static_leaves(prog.out_tdef)) or not prog.outputs or prog.out_tdef[0] in ("pynum", "dict", "sparse"):
        raise NotImplementedError(f"export of {label}: its outputs are not all Tensors (a constant or a Python "
                                  "value among them); gradserve exports graphs of Tensor outputs")
    doc_name = {id(obj): k for k, obj in prog.root.param_objs.items()}
    updates = [doc_name[id(p)] for p in prog.state_params]
    avals = list(prog.out_avals) + [(tuple(p.shape), p._dtype) for p in prog.state_params]
    return prog.graph_doc(), avals, updates


# Tensor's operators and indexing, and Client's tracing of a callable, reach this layer through _late
late.bind(binary=binary, getitem=getitem, trace_graph=trace_graph, graph_semantics=graph_semantics)
