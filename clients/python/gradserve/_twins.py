"""A function made afresh each step (`ops.value_and_grad(lambda a, b: loss(net(a), b), ...)` inside the step, a new
`functools.partial` or `nn.WithLossCell(net, loss)`) finds the derivative traces of an earlier twin: same code, defaults, closure cells' and global
names' values, partial's func / args / keywords, a Cell's class and attributes, a derivative object's
(`ops.vmap(ops.jacrev(f))` or `ops.grad(ops.grad(f))` written in the loop) class, options and function (issue #13).

The key: numbers, bools, strings and None by value and type, Tensors, Parameters and Cells by identity (held
weakly beside the key: one gone, its key is dropped, as its id may be another's), modules and classes by identity, functions by their own key;
anything else (a list, an array, a dict...) makes the function keyless: its own cache, as before. The first
function of a key keeps its own cache (the single-object behaviour, unchanged); its later twins share one cache
whose traces are reused, in either mode, only while the PyNative guards on all the trace read hold (_pyguard: a
Cell's attributes, a Tensor's value...), as a fresh trace would read them: a twin reuses exactly where tracing it
afresh (what every new function did before) gives the same program.
"""
from __future__ import annotations

import builtins
import functools
import types
import weakref

from ._tensor import Tensor
from . import _pyguard

_KEEP = 256  # keys kept (least recently made dropped): a long run making new values each step stays bounded
_KEEP_CODE = 1024  # code objects whose names are kept (a sampler exec-ing new code each step stays bounded)
_DEPTH = 4  # functions keyed through functions (a global `mse` a lambda calls): deeper is keyless
_by_key: dict = {}  # key -> (the shared {kind: cache}, references to the objects the key names by identity)
_names: dict = {}  # code object -> the names it and its nested code look up (globals among them)
_SIMPLE = (int, float, complex, bool, str, bytes, type(None))


class _Keyless(Exception):
    """A value a trace could read that no key can stand for."""


def _code_names(code) -> tuple:
    got = _names.get(code)
    if got is None:
        seen, stack = set(), [code]
        while stack:
            c = stack.pop()
            seen.update(c.co_names)
            stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        if len(_names) >= _KEEP_CODE:
            del _names[next(iter(_names))]  # (the oldest: asked again if it comes back)
        got = _names[code] = tuple(sorted(seen))
    return got


def _value(v, depth: int, keep: list):
    """What stands for v in a key; an object named by identity goes to `keep` (held weakly beside the key)."""
    t = type(v)
    if t in _SIMPLE:  # (a float by its bits: -0.0 == 0.0, yet 1 / k differs; a NaN equal to itself)
        return (t, v.hex()) if t is float else (t, repr(v)) if t is complex else (t, v)
    if isinstance(v, (Tensor, types.ModuleType, type, types.BuiltinFunctionType)) or \
            isinstance(v, _pyguard.cell_types[0] or ()):
        keep.append(v)
        return ("is", id(v))
    if type(v) is tuple:
        return ("tuple",) + tuple(_value(x, depth, keep) for x in v)
    if isinstance(v, (types.FunctionType, functools.partial)):
        return _key(v, depth + 1, keep)
    if _made_of(v) is not None:
        return _derived_key(v, depth, keep)
    raise _Keyless


def _made_of(v) -> tuple | None:
    """What a derivative object (ops.grad(f), vmap, jacrev...: _autodiff._Derived) sets on itself when called
    (its `_gs_per_call`), or None where v is none."""
    return getattr(type(v), "_gs_per_call", None)


def _derived_key(d, depth: int, keep: list) -> tuple:
    """A derivative object made afresh each call (`ops.vmap(ops.jacrev(f))(x)` in the loop): its class, its
    function by that function's key, its options by value (lists and tuples item by item, Parameters by
    identity); not what a call sets on it, nor what its class says is made from the others (`_gs_made_from`: a
    has_aux wrapper of fn). Its nesting costs no depth (it cannot be recursive as a global can)."""
    skip = set(_made_of(d) or ()) | set(getattr(type(d), "_gs_made_from", ()))
    keep.append(type(d))
    items = tuple((k, _key(v, depth, keep) if k == "fn" else _option(v, depth, keep))
                  for k, v in sorted(vars(d).items()) if k not in skip and not k.startswith("_gs_"))
    return ("derived", id(type(d)), items)


def _option(v, depth: int, keep: list):
    """A derivative's option: a list or tuple (in_axes, weights) item by item, a gradserve options object
    (GradOperation's) by its class and attributes, anything else by _value."""
    if type(v) is list or isinstance(v, tuple) and type(v).__module__.startswith("gradserve"):
        keep.append(type(v))  # (a ParameterTuple: a tuple by its class)
        return ("seq", id(type(v))) + tuple(_option(x, depth, keep) for x in v)
    if type(v).__module__.startswith("gradserve.") and not isinstance(v, Tensor) and \
            not isinstance(v, _pyguard.cell_types[0] or ()) and _made_of(v) is None and hasattr(v, "__dict__"):
        keep.append(type(v))
        return ("obj", id(type(v))) + tuple((k, _value(x, depth, keep)) for k, x in sorted(vars(v).items()))
    return _value(v, depth, keep)


def _key(fn, depth: int, keep: list, lifted: frozenset = frozenset()) -> tuple:
    if depth > _DEPTH:
        raise _Keyless
    if type(fn) is functools.partial:
        if fn.__dict__:
            raise _Keyless
        kw = tuple(sorted((k, _value(v, depth, keep)) for k, v in fn.keywords.items()))
        return ("partial", _value(fn.func, depth, keep), tuple(_value(a, depth, keep) for a in fn.args), kw)
    if isinstance(fn, _pyguard.cell_types[0] or ()):
        return _cell_key(fn, depth, keep)
    if _made_of(fn) is not None:
        return _derived_key(fn, depth, keep)
    if type(fn) is not types.FunctionType or fn.__dict__:
        raise _Keyless  # (attributes set on a function: what reads them is unknown)
    code, g = fn.__code__, fn.__globals__
    keep.append(g)
    cells = tuple(("lifted",) if k in lifted else _value(c.cell_contents, depth, keep)  # (an empty cell: ValueError)
                  for k, c in enumerate(fn.__closure__ or ()))  # (lifted: an input of its programs, _lifted)
    glob = tuple((n, ("lifted",)) if n in lifted else (n, _value(g[n], depth, keep)) if n in g else (n, _absent(n))
                 for n in _code_names(code))
    kwd = tuple(sorted((k, _value(v, depth, keep)) for k, v in (fn.__kwdefaults__ or {}).items()))
    return ("fn", code, id(g), _value(fn.__defaults__ or (), depth, keep), kwd, cells, glob)


def _cell_key(cell, depth: int, keep: list) -> tuple:
    """A Cell made afresh each step (`nn.WithLossCell(net, loss)`): its class, and each attribute by the rules
    above (its sub-Cells and Parameters by identity); its own trace cache aside (a hook's dict: keyless)."""
    keep.append(type(cell))
    return ("cell", id(type(cell)), tuple((k, _value(v, depth, keep)) for k, v in vars(cell).items()
                                          if k != "_gs_programs"))


def _absent(name: str):
    # (a builtin by identity; an attribute name that is no global: nothing; a later global of that name keys anew)
    return ("builtin", id(getattr(builtins, name))) if hasattr(builtins, name) else ("absent",)


def key_of(fn, keep: list, lifted: frozenset = frozenset()) -> tuple | None:
    """fn's twin key (the objects it names by identity appended to keep), or None where fn is no function,
    partial, Cell or derivative object, or reads a value no key can stand for. lifted: the indices of fn's closure
    cells and the names of its module globals its programs take as inputs (_lifted), named by that alone."""
    try:
        k = _key(fn, 0, keep, lifted)
        hash(k)
        return k
    except (_Keyless, ValueError, TypeError, RecursionError):
        return None


def caches(fn, own: "weakref.WeakKeyDictionary", lifted: frozenset = frozenset()) -> dict | None:
    """fn's {kind: cache}: its own (in `own`, the derivative caches by function object) when fn has been called
    before or is the first of its key (exactly the single-object cache), else the twins' of its key, or None where
    fn cannot be a weak key. A twin is not registered: its key is asked on each of its calls (its cells may change
    later, while the shared traces' guards read the cells of the twin that recorded them)."""
    try:
        per = own.get(fn)
    except TypeError:
        return None
    if per is not None:
        return per
    keep: list = []
    k = key_of(fn, keep, lifted)
    if k is None:
        return own.setdefault(fn, {})
    entry = _by_key.pop(k, None)
    if entry is not None and any(r() is None for r in entry[1]):
        entry = None  # (an object the key names by identity is gone: its id may be another's now)
    if entry is None:  # (the first function of this key: its own cache, as before)
        while len(_by_key) >= _KEEP:
            del _by_key[next(iter(_by_key))]
        _by_key[k] = (_TwinKinds(), [_weak(v) for v in keep])
        return own.setdefault(fn, {})
    _by_key[k] = entry  # (most recent last)
    return entry[0]


def _weak(v):
    """A reference to v that does not keep it alive where v allows one (a model dropped is freed, as before)."""
    try:
        return weakref.ref(v)
    except TypeError:  # (a module's globals dict: lives as long as its module)
        return lambda: v


class _TwinKinds(dict):
    """The twins' {kind: cache} of one key."""


def kind_cache(per: dict, kind) -> dict:
    """per's cache of one kind: the twins' a TwinTraces (guarded in GRAPH_MODE too: _trace.run_program)."""
    c = per.get(kind)
    if c is None:
        c = per[kind] = _pyguard.TwinTraces() if type(per) is _TwinKinds else {}
    return c
