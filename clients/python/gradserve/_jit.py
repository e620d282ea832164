"""`jit` / `ms_function`: a function (or Cell) compiled to one graph per input signature.

Outside a trace the decorated function is traced once per signature (cached) and run on the
service as one graph; inside a trace it is inlined (it is already part of a graph). Cells are
compiled already (construct is traced), so decorating one returns it unchanged.
"""
from __future__ import annotations

import functools
import inspect
import weakref
from typing import Any

from ._tensor import Parameter, Tensor
from . import _pyguard, _twins, context as _context
from ._late import late
from ._trace import TraceCache, attribute_written, current, jit_body, run_program

_programs: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_by_function: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # (fn -> {kind: cache}: _twins.caches)


def _with_keywords(construct, args: tuple, kwargs: dict):
    """`construct` taking its keyword-only / **kwargs values as trailing arguments: the Tensors each one
    (inputs of the trace, as MindSpore 2.10 takes them: a loop passing a new Tensor each step reuses one
    trace), then their names, then a dict of the other values (constants of the trace, keyed by value)."""
    names = tuple(k for k, v in kwargs.items() if isinstance(v, Tensor))
    rest = {k: v for k, v in kwargs.items() if k not in names}
    n = len(names)

    def call(*a):
        start = len(a) - n - 2
        return construct(*a[:start], **dict(zip(a[-2], a[start:start + n])), **a[-1])
    return call, (*args, *(kwargs[k] for k in names), names, rest)


def _check_parameter_names(args) -> None:
    """MindSpore 2.10 compiles no graph given two distinct Parameters of one name (its
    CheckDuplicatedParameterName): a ValueError, where the trace would rename one."""
    seen: dict = {}
    stack = [args]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor) and not isinstance(x, Parameter):
            x = x.__dict__.get("_gs_parameter", x)  # (an input of the enclosing trace given a Parameter)
        if isinstance(x, Parameter):
            other = seen.setdefault(x.name, x)
            if other is not x:
                raise ValueError(f"The parameter {x.name!r} (shape {tuple(x.shape)}, {x.dtype}), its name '{x.name}' "
                                 f"already exists. Please set a unique name for the parameter.")
        elif isinstance(x, (tuple, list)):
            stack.extend(reversed(x))
        elif isinstance(x, dict):
            stack.extend(reversed(list(x.values())))


def _compiled(fn):
    if isinstance(fn, type) or hasattr(fn, "construct"):
        return fn  # a Cell (or Cell class): construct is traced already
    sig = None
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        pass

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _check_parameter_names((args, kwargs))
        # inside a trace the body is inlined, rewritten as run_program rewrites it outside one (its item
        # assignments graph mode's: _inplace.assigned_item), else it would run with PyNative's semantics
        call = late.loops(fn) if current() is not None else fn
        if kwargs and sig is not None:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            args = bound.args
            if bound.kwargs:  # keyword-only / **kwargs values: traced, as a Cell's (their names in the cache key)
                call, args = _with_keywords(fn, args, bound.kwargs)
        if current() is not None:
            with jit_body():  # (its captures stay constants in a PyNative grad: _trace.pynative_captures)
                return call(*args)
        cache = _programs.get(wrapper)
        if cache is None:  # (`jit(lambda a: ...)` made afresh each step: its twins' traces, guarded, _twins)
            per = _twins.caches(fn, _by_function)
            cache = None if per is None else _twins.kind_cache(per, "jit")
            if type(cache) is not _pyguard.TwinTraces:
                cache = _programs[wrapper] = TraceCache()
        return run_program(call, args, cache=cache, label=getattr(fn, "__name__", "jit"), graph=True,
                           compile_only=_context.precompile_only())

    def cache_info():
        """(hits, misses, maxsize, currsize, evictions) of this function's traces (_trace.TraceCache)."""
        return _programs.get(wrapper, TraceCache()).info()

    setattr(wrapper, "cache_info", cache_info)
    setattr(wrapper, "_gs_jit", True)  # a compiled function (cell forward hooks refuse one, as MindSpore 2.10)
    return wrapper


def jit(function=None, *args, **kwargs):
    """`@jit`, `@jit(...)` or `jit(fn, ...)`; options (mode, input_signature, jit_level, backend, ...)
    are accepted and do not change the result, but capture_mode="bytecode" (see bytecode_capture)."""
    wrap = bytecode_capture if kwargs.get("capture_mode") == "bytecode" else _compiled
    if function is None or not callable(function):
        return wrap
    return wrap(function)


def bytecode_capture(fn):
    """`jit(fn, capture_mode="bytecode")`: MindSpore 2.10's bytecode capture keeps Python's semantics, and on this
    Python (3.11) gives what PyNative gives: `out = x; x -= 1; return out + x` at [5] is [9] with the caller's x
    unchanged (its `ast` capture, GRAPH_MODE's in-place write: [8], x [4]; checked), so fn runs as it is."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


ms_function = jit


def jit_class(cls):
    """`@jit_class`: MindSpore's mark that a user class's instances may be used inside graph-mode code. A
    traced construct runs Python (only Tensor operations become graph ops), so any class already works.
    An attribute write to an instance inside a jit function (`obj.x = obj.x + 1`) is run on every call in
    MindSpore, and the reads around it see each call's value: so the trace that wrote is never reused
    (_trace.attribute_written, as a Cell's `self.n = v`). As in MindSpore, only a class can be decorated, and not
    an nn.Cell."""
    if not isinstance(cls, type):
        raise TypeError(f"Decorator jit_class can only be used for class type, but got {cls!r}.")
    if any(c.__name__ == "Cell" and c.__module__ == "gradserve.nn" for c in cls.__mro__):  # (nn sits above)
        raise TypeError(f"Decorator jit_class is used for user-defined classes and cannot be used for nn.Cell: {cls}.")
    if "_gs_jit_class" not in cls.__dict__:
        plain: Any = cls.__setattr__

        def __setattr__(self, name, value):
            attribute_written(self, name, value)  # (no-op outside a trace)
            plain(self, name, value)
        setattr(cls, "__setattr__", __setattr__)
        cls._gs_jit_class = True
    return cls
