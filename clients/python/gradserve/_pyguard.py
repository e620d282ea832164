"""Guards that let a PyNative call reuse its trace (issue #13), TorchDynamo-style and conservative.

PyNative (the default mode) runs a Cell's / derivative's Python on every call, so what it reads then counts:
a trace is reused only while everything it depended on is provably unchanged. While tracing, a profile hook
(sys.setprofile, this thread, the trace only) sees the user code that runs (code outside gradserve, the
standard library and site-packages) and records:
  - each module global and builtin that code loads (LOAD_GLOBAL): the object it found, compared by identity;
  - each closure cell of that code's function, and its code and defaults: by identity;
  - each Cell whose construct runs, or that such a value holds: its attributes (its __dict__'s keys and
    values, by identity), its user classes' attributes, and the items of each list or dict among them;
  - set_context's options (by their write count: context._Options). The first call of a signature is traced without the hook (_trace._guarded_trace).
Each later call compares them all by one function generated for that trace (_compiled: identity tests).
A value is guardable when it is immutable (numbers, strings, None, library classes, functions, NumPy /
gradserve / math modules, tuples of guardable values), a user class (its attributes), a Tensor (captured
Tensors written in place are _trace's const_data), a Cell, or a small list / dict of guardable values.
A NumPy array of at most 256 KiB (`gs.Tensor(W)` of a module's W, `Tensor(self.np_table)`; 1 MiB in all a trace) is
guarded by a kept copy of its bytes, compared on each call (it may be written in place: ~40 us for 256 KiB, where a
trace costs milliseconds); the global, Cell attribute or list item that held it, by value too (a new array of the
same dtype, shape and bytes: `self.mask = np.ones(n)` before each step). NumPy's C constructors user code calls (np.arange, np.zeros ...) are pure: a Tensor made
in construct from NumPy's arrays of guarded values (`Tensor(np.arange(n))`) is the same on each call. Cells and functions are held weakly (a guard kept in their own cache makes no
reference cycle). Anything else (an object of another class, a user module's attributes, a larger array, a set) and any Python side effect or hidden state
(user code storing into a subscript, an attribute, a global or a nonlocal; a builtin called other than a
pure one; random / time) leaves the trace unguarded: it is traced afresh on every call, as before."""
from __future__ import annotations

import builtins
import csv
import dis
import functools
import operator
import os
import re
import sys
import sysconfig
import threading
import types
import weakref
from importlib import metadata
from typing import Any, Callable

import numpy as np

from . import context
from . import _lifted
from ._tensor import Tensor

_tls = threading.local()  # .rec: the Recorder of the trace this thread records (sys.setprofile is per thread)
LIFTED = object()  # a box item's snapshot value where the item was lifted while tracing (_lifted): not compared
cell_types: list = [()]  # (Cell,), set by _cellbase (a layer above this one)
MISSING = object()

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_STDLIB = tuple({os.path.abspath(p) + os.sep for k in ("stdlib", "platstdlib") if (p := sysconfig.get_paths().get(k))})
_SITE = tuple({os.path.abspath(p) + os.sep for k in ("purelib", "platlib") if (p := sysconfig.get_paths().get(k))})
_STORES = {"STORE_GLOBAL", "DELETE_GLOBAL", "STORE_SUBSCR", "DELETE_SUBSCR", "STORE_ATTR", "DELETE_ATTR",
           "DELETE_DEREF"}
_PURE_BUILTINS = {id(f) for f in (len, isinstance, issubclass, range, abs, min, max, sum, round, getattr, hasattr,
                                  iter, next, callable, all, any, sorted, divmod, pow, hash, repr, format, super, locals,
                                  np.array, np.asarray, np.arange, np.zeros, np.asanyarray, np.ascontiguousarray,
                                  np.asfortranarray, np.frombuffer, np.promote_types)}
# (NumPy's C-level functions a profile hook sees as calls: those whose result is their arguments' alone. Not
# np.empty (its values are whatever memory held), np.fromfile / fromiter / copyto (I/O, a consumed iterator, writes))
# the modules user code may read (an attribute, a call): pure functions, or gradserve's own
_MODULES = {"gradserve", "numpy", "math", "cmath", "operator", "functools", "itertools", "typing"}
_ARRAY_METHODS = {"astype", "reshape", "copy", "sum", "mean", "max", "min", "transpose", "ravel", "flatten", "tolist",
                  "item", "dot", "all", "any", "squeeze", "swapaxes", "conj", "round", "clip", "cumsum", "prod",
                  "repeat", "argmax", "argmin", "argsort", "nonzero", "cumprod", "std", "var", "diagonal"}
_UFUNC_METHODS = {"outer", "reduce", "accumulate"}  # (np.add.outer(...), np.maximum.reduce(...); not `at`: in place)
_IMMUTABLE = (int, float, complex, bool, str, bytes, type(None), np.generic, np.dtype, range, slice,
              types.FunctionType, types.BuiltinFunctionType, types.MethodDescriptorType, types.WrapperDescriptorType,
              types.GetSetDescriptorType, types.MemberDescriptorType, property, staticmethod, classmethod)
_MAX_ITEMS = 64
_ARRAY_BYTES = 1 << 18  # a NumPy array this small is guarded by a copy of its bytes; a larger one is not guardable
_TRACE_ARRAY_BYTES = 1 << 20  # (and all of a trace's so guarded: each call compares them, bounded)
_NUMPY = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_CALLABLE_LIBRARY = (_HERE, _NUMPY)  # library Python user code may call: gradserve's ops, NumPy's functions
_TRUSTED = (str, int, float, bool, type(None))  # (items needing no look: the identity check covers them)
_user_cache: dict = {}
_code_cache: dict = {}


def _is_user(code, space: dict) -> bool:
    """Whether code (run with globals `space`) is the user's: not gradserve's, the standard library's or an
    installed package's. exec'd code ("<string>", "<stdin>") is, unless a library made it (namedtuple's, a
    library module's dataclass methods)."""
    u = _user_cache.get(code)
    if u is None:
        f = code.co_filename
        if f.startswith("<"):
            name = space.get("__name__") or ""
            mod = sys.modules.get(name)
            u = not (f.startswith("<frozen") or name.startswith("namedtuple_") or
                     mod is not None and vars(mod) is space and not _is_user_file(getattr(mod, "__file__", None)))
        else:
            u = not _library_file(os.path.abspath(f))
        _user_cache[code] = u
    return u


_BUILDS = {"BUILD_MAP", "BUILD_LIST", "BUILD_CONST_KEY_MAP"}


def _fresh_containers(code, ins: list) -> set:
    """The local names (no argument's) only ever bound to a dict or list built right there (`aux = {}`)."""
    nargs = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & 4) + bool(code.co_flags & 8)
    args, bound, other = set(code.co_varnames[:nargs]), set[str](), set[str]()
    for j, i in enumerate(ins):
        if i.opname == "STORE_FAST":
            (bound if j and ins[j - 1].opname in _BUILDS else other).add(i.argval)
        elif i.opname == "DELETE_FAST":
            other.add(i.argval)
    return bound - other - args


def _container(ins: list, j: int):
    """The local name STORE_SUBSCR ins[j] stores into (`c[key] = v`, its key a straight-line expression), or None."""
    depth, k = 0, j - 1
    while k >= 0 and depth < 1:  # (back over the key's instructions: the shortest run that pushes one value)
        i = ins[k]
        if i.is_jump_target or i.opcode in dis.hasjrel or i.opcode in dis.hasjabs or \
                i.opname in ("COPY", "SWAP", "KW_NAMES"):
            return None
        try:
            depth += dis.stack_effect(i.opcode, i.arg)
        except ValueError:
            return None
        k -= 1
    if depth != 1 or k < 0 or ins[k].opname != "LOAD_FAST" or ins[k + 1].is_jump_target:
        return None
    return ins[k].argval


def _code_facts(code) -> tuple:
    """(the globals it loads, whether it stores outside its frame or names random state)."""
    facts = _code_cache.get(code)
    if facts is None:
        loads, stores = set(), "random" in code.co_names  # (np.random's Cython draws: no c_call event)
        ins_ = list(dis.get_instructions(code))
        fresh = _fresh_containers(code, ins_)
        for j, ins in enumerate(ins_):
            if ins.opname == "LOAD_GLOBAL":
                loads.add(ins.argval)
            elif ins.opname == "STORE_SUBSCR" and fresh and _container(ins_, j) in fresh:
                pass  # (`aux = {}; aux["loss"] = l`: an item of a dict or list this frame made, returned or not)
            elif ins.opname in _STORES or (ins.opname == "STORE_DEREF" and ins.argval in code.co_freevars):
                stores = True
        facts = _code_cache[code] = (tuple(loads), stores)
    return facts


class Recorder:
    """What one trace read (see the module's doc); `ok` False: not guardable."""

    def __init__(self, fn):
        self.ok = True
        self.globals: list = []  # (dict, name, object)
        self.cells: list = []  # (closure cell, object)
        self.attrs: list = []  # (object, attribute, object): a function's code and defaults
        self.kept: list = []  # the values `seen` holds ids of (none is freed and its id reused meanwhile)
        self.items: list = []  # (container, its items' snapshot)
        self.arrays: list = []  # (a small NumPy array, its dtype, shape and bytes when read)
        self.array_bytes = 0  # (their sum: at most _TRACE_ARRAY_BYTES)
        self.seen: set = set()  # ids of values already checked (their objects are held by the lists above)
        self.frames: list = []  # frames of user code started while tracing (a nested function's closure)
        self.funcs: dict = {}  # code -> the functions reachable from fn with that code
        self.options = (context._state, context._state.writes)  # (any set_context since: traced again)
        self._reach(fn, 0)

    def _reach(self, obj, depth: int, hops: int = 0) -> None:
        if depth > 4 or id(obj) in self.seen:
            return
        if isinstance(obj, types.FunctionType):
            self.funcs.setdefault(obj.__code__, []).append(obj)
            for c in obj.__closure__ or ():
                try:
                    self._reach(c.cell_contents, depth + 1)
                except ValueError:
                    pass
        elif isinstance(obj, types.MethodType):
            self._reach(obj.__func__, depth + 1)
            self._reach(obj.__self__, depth + 1)
        elif isinstance(obj, cell_types[0]):
            self._reach(type(obj).construct, depth + 1)
        elif hasattr(obj, "__dict__") and not isinstance(obj, (type, types.ModuleType)):
            # (a derivative of a derivative of f, nested to any depth: f's closure still reached)
            step = 0 if getattr(type(obj), "_gs_per_call", None) is not None and hops < 32 else 1
            for v in list(vars(obj).values()):
                if callable(v):
                    self._reach(v, depth + step, hops + 1)

    def guard_value(self, v, depth: int = 0) -> bool:
        """Whether v can be guarded (its containers' items recorded to compare on each call)."""
        if id(v) in self.seen or isinstance(v, Tensor):
            return True
        if isinstance(v, _IMMUTABLE):
            if isinstance(v, types.FunctionType):  # (its cells and defaults: guarded when it runs)
                self._reach(v, 0)
            return True
        if depth > 3:
            return False
        if isinstance(v, types.ModuleType):  # (C calls a profile hook cannot see, Cython's: NumPy's only)
            return v.__name__.split(".")[0] in _MODULES and not v.__name__.startswith("numpy.random")
        if isinstance(v, types.MethodType):
            return self.guard_value(v.__self__, depth + 1)
        self.seen.add(id(v))
        self.kept.append(v)
        if isinstance(v, type):  # a user class's attributes (`Config.scale = 3`); a library's: as they are
            return not _is_user_file(getattr(sys.modules.get(v.__module__), "__file__", None)) or \
                self._guard_box(v.__dict__, 0, cell=True)
        if type(v) is np.ndarray and v.nbytes <= _ARRAY_BYTES and not v.dtype.hasobject and \
                self.array_bytes + v.nbytes <= _TRACE_ARRAY_BYTES:
            self.array_bytes += v.nbytes
            self.arrays.append((v, v.dtype, v.shape, v.tobytes()))  # (compared on each call: _same_array)
            return True
        if isinstance(v, cell_types[0]):  # its attributes, and its user classes' (`Net.scale = 3`)
            return self._guard_box(vars(v), 0, cell=True, owner=v) and all(self.guard_value(k) for k in type(v).__mro__)
        per_call = getattr(type(v), "_gs_per_call", None)
        if per_call is not None:  # a derivative function (ops.grad, vmap...): what it was made of, by identity
            return self._guard_made_of(v, per_call, depth)
        if type(v) is tuple or isinstance(v, tuple) and type(v).__module__.startswith("gradserve"):
            return all(self.guard_value(x, depth + 1) for x in v)
        if isinstance(v, (list, dict)) and len(v) <= _MAX_ITEMS:
            return self._guard_box(v, depth)
        if type(v).__module__.startswith("gradserve.") and isinstance(getattr(v, "__dict__", None), dict) and \
                hasattr(type(v), "__weakref__"):
            # an op object (`self.mm = ops.MatMul()`, `ops.StandardNormal(seed=2)`): its attributes, by identity
            return self._guard_box(vars(v), depth, owner=v)
        if isinstance(v, np.random.Generator):  # (an op's own: drawn from per run, not read while tracing)
            return True
        return False

    def _guard_box(self, box, depth: int, cell: bool = False, owner=None) -> bool:
        """A list's or dict's items (a Cell's attributes: its __dict__), compared by identity on each call
        (a Cell's own `_gs_` state, its trace cache among them, only so)."""
        snap = _snapshot(box)
        lifting = _lifted.active[0]
        if lifting is not None and lifting[2] and snap[0] is not None:  # (a lifted item: an input, _lifted)
            snap = snap[0], [LIFTED if (id(box), k) in lifting[2] else v for k, v in zip(*snap)]
        self.items.append((box if owner is None else weakref.ref(owner), snap))
        pairs = box.items() if isinstance(box, (dict, types.MappingProxyType)) else enumerate(box)
        return all(self.guard_value(k, depth + 1) and self.guard_value(v, depth + 1) for k, v in pairs
                   if not isinstance(v, _TRUSTED) and not (cell and isinstance(k, str) and k.startswith("_gs_")))

    def _guard_made_of(self, v, per_call: tuple, depth: int) -> bool:
        """A gradserve object whose attributes say what it computes (a derivative function a traced function
        calls: `hvp = ops.grad(lambda v: ops.sum(grad_w()[0] * v), ...)`), less those it sets on each call
        (`per_call`): each compared by identity, as a function's code is."""
        ref = weakref.ref(v)
        for k, x in list(vars(v).items()):
            if k in per_call or k.startswith("_gs_"):
                continue
            if not self.guard_value(x, depth + 1):
                return False
            self.attrs.append((ref, k, x))
        return True

    def profile(self, frame, event, arg) -> None:
        if event == "c_call":  # (the most frequent event: a user frame's code was seen at its "call")
            if _user_cache.get(frame.f_code) and not _pure(arg):
                self._fail()
            return
        if event != "call":
            return
        code = frame.f_code
        if code.co_name == "construct" and code.co_argcount:
            me = frame.f_locals.get(code.co_varnames[0])
            if isinstance(me, cell_types[0]) and not self.guard_value(me):
                self._fail()
        if _is_user(code, frame.f_globals):
            self._user_call(frame, code)
        elif frame.f_back is not None and _user_cache.get(frame.f_back.f_code) and \
                (not code.co_filename.startswith(_CALLABLE_LIBRARY) or
                 "random" in code.co_filename and not code.co_filename.startswith(_HERE)):
            # (logging, random, I/O ... called by user code: side effects, hidden state; gradserve's random ops
            # draw per run, whichever trace runs: ops/_random_draws._out)
            self._fail()

    def _fail(self) -> None:
        """Not guardable: the rest of the trace runs without the hook (it slows Python ~7x)."""
        self.ok = False
        sys.setprofile(None)

    def _user_call(self, frame, code) -> None:
        loads, stores = _code_facts(code)
        if stores:
            self._fail()
            return
        self.frames.append(frame)
        g = frame.f_globals
        lifting = _lifted.active[0]
        for name in loads:
            if lifting is not None and (id(g), name) in lifting[2]:  # (a lifted global: an input, _lifted)
                continue
            d = g if name in g else builtins.__dict__
            v = d.get(name, MISSING)
            if v is MISSING or not self.guard_value(v):
                self._fail()
                return
            self.globals.append((g, name, _hold(v)))
        funcs = self.funcs.get(code)
        if funcs:
            for f in funcs:
                self._guard_function(f)
        elif code.co_freevars:
            self._made_here(frame, code)

    def _guard_function(self, f) -> None:
        """A function that ran: its code, defaults and closure cells (`k = 3.0` in the scope that made it)."""
        f_ = weakref.ref(f)
        self.attrs.extend([(f_, "__code__", f.__code__), (f_, "__defaults__", f.__defaults__),
                           (f_, "__kwdefaults__", f.__kwdefaults__)])
        if not self.guard_value((f.__defaults__, f.__kwdefaults__)):
            self._fail()
            return
        for name, c in zip(f.__code__.co_freevars, f.__closure__ or ()):
            if name.startswith("_gs_"):  # (_rewrite's helpers: gradserve's, the same for every call)
                continue
            lifting = _lifted.active[0]
            if lifting is not None and id(c) in lifting[1]:  # (a lifted cell: an input of the program, _lifted)
                continue
            try:
                v = c.cell_contents
            except ValueError:
                v = MISSING
            if v is not MISSING and not self.guard_value(v):
                self._fail()
                return
            self.cells.append((c, _hold(v)))

    def _made_here(self, frame, code) -> None:
        # a function made while tracing (a comprehension, a nested def) and called inside the traced frame that
        # made it: its cells are that frame's
        mine, up = {id(f) for f in self.frames}, frame.f_back
        while up is not None and not (id(up) in mine and code in up.f_code.co_consts):
            up = up.f_back
        if up is None:
            self._fail()


def converted(new, original) -> None:
    """_rewrite made `new` from `original` (its closure's contents copied): new's closure is original's."""
    rec = getattr(_tls, "rec", None)
    if rec is not None:
        rec.funcs.setdefault(new.__code__, []).append(original)


def _is_user_file(f) -> bool:
    return bool(f) and not _library_file(os.path.abspath(f))


def _library_file(path: str) -> bool:
    """gradserve's, the standard library's, or an installed package the SDK depends on (its extras too,
    transitively): library code. Any other installed package's code is the user's (a model package installed
    with pip: the globals its construct reads are guarded as a script's are)."""
    if path.startswith(_HERE):
        return True
    if path.startswith(_SITE):  # (checked before the standard library's folder, which may hold site-packages)
        return path.startswith(_dependency_roots())
    return path.startswith(_STDLIB)


@functools.cache
def _dependency_roots() -> tuple:
    """The files and folders (in site-packages) of gradserve-client's dependencies, transitively."""
    return _roots_from("gradserve-client")


def _roots_from(start: str) -> tuple:
    """The files and folders of distribution `start` and its dependencies (extras too), transitively. Reads
    METADATA's Requires-Dist lines and RECORD's first column as text: importlib.metadata's `requires` (an email
    parser per distribution) and `files` (a PackagePath per line: torch's RECORD has ~15k) cost ~0.25-0.7 s on
    the first recorded trace of a process; this ~0.07 s, for the same answer (tests/clients/test_pyguard_roots.py)."""
    installed = _installed()
    roots, todo, seen = {_HERE, _NUMPY}, [start], set()
    while todo:
        name = _normalized(todo.pop())
        if name in seen or name not in installed:
            continue
        seen.add(name)
        dist = installed[name]
        todo += [re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0] for req in _requirements(dist)]
        for top in _top_entries(dist):
            if top not in ("", "..") and not top.endswith((".dist-info", ".egg-info", ".data", ".pth")):
                roots.add(os.path.abspath(str(dist.locate_file(top))) + ("" if top.endswith(".py") else os.sep))
    return tuple(roots)


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()  # (importlib.metadata's form, PEP 503's with "_")


def _installed() -> dict:
    """{normalized name: the distribution metadata.distribution(name) finds}: one pass over sys.path, where a
    look-up per name scans it again for each of the ~175 extras' requirements that are not installed."""
    found: dict = {}
    for dist in metadata.distributions():  # (sys.path's order: the first of a name is distribution(name)'s)
        key = getattr(dist, "_normalized_name", None) or dist.metadata["Name"] or ""  # (from the folder's name)
        found.setdefault(_normalized(key), dist)
    return found


def _requirements(dist) -> list:
    """dist's Requires-Dist values (METADATA's headers: the text before the first blank line)."""
    text = dist.read_text("METADATA")
    if text is None:  # (an egg-info install: PKG-INFO / requires.txt, as importlib.metadata reads them)
        return list(dist.requires or ())
    headers = re.split(r"\r?\n\r?\n", text, maxsplit=1)[0]
    return re.findall(r"^Requires-Dist:[ \t]*(.*?)[ \t\r]*$", headers, flags=re.M | re.I)


def _top_entries(dist) -> set:
    """The first component of each path dist installed (RECORD's first column, a CSV field)."""
    text = dist.read_text("RECORD")
    if text is None:  # (an egg-info install: installed-files.txt / SOURCES.txt)
        return {f.parts[0] for f in dist.files or () if f.parts}
    paths = (next(csv.reader([line]))[0] if line.startswith('"') else line.split(",", 1)[0]
             for line in text.splitlines() if line)
    return {path.split("/", 1)[0] for path in paths}


def _pure(fn) -> bool:
    """A builtin user code may call without the trace depending on hidden state or changing any: the pure
    ones, and methods of the containers it holds (guarded ones are compared on each call)."""
    if id(fn) in _PURE_BUILTINS:
        return True
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, types.ModuleType):  # math.sqrt, operator.add: pure
        return owner.__name__ in ("math", "cmath", "operator", "itertools", "functools")
    if isinstance(owner, np.ndarray):  # (a new array from a user's local one; no write in place)
        return fn.__name__ in _ARRAY_METHODS
    if isinstance(owner, np.ufunc):
        return fn.__name__ in _UFUNC_METHODS
    return isinstance(owner, (list, dict, tuple, str, int, float)) or isinstance(owner, Tensor)


class Guarded:
    """A PyNative trace and what it read: reused while `holds()`; rec None: its Python could not be guarded
    (traced afresh on every call; the last trace kept for its registration: _trace._share_registration),
    or, recorded False, was traced once without recording (a signature seen once costs no hook)."""

    __slots__ = ("prog", "guarded", "recorded", "holds", "hits", "churn", "others")

    def __init__(self, prog, rec: "Recorder | None", churn: int = 0, recorded: bool = True, others: tuple = ()):
        self.prog, self.hits, self.churn = prog, 0, churn  # churn: traces in a row whose guards failed unused
        self.others = others  # earlier guarded traces of the signature, most recent first (_trace._guarded_hit)
        self.guarded, self.recorded = rec is not None, recorded  # (recorded False: seen once, not recorded yet)
        if rec is not None:
            self.holds = _compiled(rec)  # holds(): whether all it read is unchanged (asked on each call)


_SOURCES: dict = {}  # a generated check's source -> its code object (traces read alike share it)


def _compiled(rec: Recorder) -> Callable[[], bool]:
    """rec's guards as one generated function of straight-line identity tests (TorchDynamo's way), its
    constants its globals: the loops over (object, name, value) tuples this replaces spent most of their time
    unpacking and dispatching, not comparing. The same tests in the same order: each global the code loaded
    (the module's, else the builtin), closure cells, the functions' code and defaults, the context's write
    count, each small NumPy array's dtype, shape and bytes, then each box (_box_tests); a global or box item
    that held a guarded array, by the array's value (array_test). A value held weakly (a Cell, a function)
    fails once dead (never the object now at its address); a function or Cell gone is skipped (it cannot run
    again). The source holds only names made here, counts and the function attributes' names (_guard_function's
    three): nothing a user's object names."""
    ns: dict = {"MISSING": MISSING, "B": builtins.__dict__, "is_": operator.is_, "_empty": _empty,
                "same_array": _same_array}
    lines: list = []  # (the body's lines, at the try block's indent)

    def const(v) -> str:
        name = f"v{len(ns)}"
        ns[name] = v
        return name

    arrays = {id(a): (a, dt, shape, data) for a, dt, shape, data in rec.arrays}

    def array_test(expr: str, v) -> str:
        """The test that expr holds the array v held when read: by value (a new array of the same dtype, shape and
        bytes each step, `self.mask = np.ones(...)`, gives the same trace), not by identity."""
        _, dt, shape, data = arrays[id(v)]
        return f"same_array({expr}, {const(dt)}, {const(shape)}, {const(data)})"

    lines += _global_tests(rec.globals, const, lambda expr, v: array_test(expr, v) if id(v) in arrays else None)
    held = set()
    for c, v in rec.cells:
        if (id(c), id(v)) in held:  # (one function run twice: its cells recorded twice)
            continue
        held.add((id(c), id(v)))
        c_ = const(c)
        if v is MISSING:
            lines.append(f"if not _empty({c_}): return False")
        elif type(v) is weakref.ref:
            lines += [f"x = {const(v)}()", f"if x is None or {c_}.cell_contents is not x: return False"]
        else:
            lines.append(f"if {c_}.cell_contents is not {const(v)}: return False")
    by_function: dict = {}  # (weakref.ref(f) is one object per f: its attributes grouped by it, once each)
    for f, name, v in rec.attrs:
        if not name.isidentifier():
            raise ValueError(f"a guarded attribute's name {name!r}")
        by_function.setdefault(id(f), (f, {}))[1].setdefault((name, id(v)), (name, v))
    for f, attrs in by_function.values():
        lines += [f"f = {const(f)}()",
                  f"if f is not None and ({' or '.join(f'f.{n} is not {const(v)}' for n, v in attrs.values())}): "
                  "return False"]
    lines.append(f"if {const(rec.options[0])}.writes != {int(rec.options[1])}: return False")
    for a, dt, shape, data in rec.arrays:
        lines.append(f"if not same_array({const(a)}, {const(dt)}, {const(shape)}, {const(data)}): return False")
    lines += _box_tests(rec.items, const, lambda expr, v: array_test(expr, v) if id(v) in arrays else None)
    src = "\n".join(["def check():", "    try:", *(f"        {line}" for line in lines),
                     "    except (ValueError, KeyError):  # (a cell emptied, a key gone: not what was read)",
                     "        return False", "    return True", ""])
    code = _SOURCES.get(src)
    if code is None:
        if len(_SOURCES) >= 256:
            _SOURCES.clear()
        code = _SOURCES[src] = compile(src, "<gradserve guard>", "exec")
    exec(code, ns)  # noqa: S102 - source made above: names, counts and attribute names of our own
    return ns.pop("check")  # (ns, its globals, keeps no reference to it: no cycle holding the guarded values)


def _box_tests(items: list, const: Callable[[Any], str], by_value: Callable[[str, Any], "str | None"]) -> list:
    """The check's lines for each box (a Cell's __dict__, a list or dict it holds, a class's attributes): its
    length, its keys by identity in order (one C pass), each value by identity, a guarded NumPy array's by its
    value where the box's items are tested one by one (by_value's test)."""
    lines: list = []
    for box, (keys, values) in items:
        indent = ""
        if type(box) is weakref.ref:  # (a Cell's attributes)
            lines += [f"d = {const(box)}()", "if d is not None:", "    d = d.__dict__"]
            indent = "    "
        else:
            lines.append(f"d = {const(box)}")
        tests = [f"len(d) != {len(values)}"]
        # (a plain list's or dict's items one by one, a dict's by str keys: a look-up that runs no user code)
        inline = (type(box) is weakref.ref or type(box) in (list, dict, types.MappingProxyType)) and \
            (keys is None or all(type(k) is str for k in keys))
        if keys is not None:
            tests.append(f"not all(map(is_, d, {const(keys)}))")
        if not inline:  # (_lifted lifts only from boxes tested inline: a LIFTED value here never holds)
            tests.append(f"not all(map(is_, {'d' if keys is None else 'd.values()'}, {const(values)}))")
        elif keys is None:
            tests += [f"not {t}" if (t := by_value(f"d[{i}]", v)) else f"d[{i}] is not {const(v)}"
                      for i, v in enumerate(values)]
        else:
            tests += [f"not {t}" if (t := by_value(f"d[{const(k)}]", v)) else f"d[{const(k)}] is not {const(v)}"
                      for k, v in zip(keys, values) if v is not LIFTED]  # (a lifted item: the call's kind, _lifted)
        lines.append(f"{indent}if {' or '.join(tests)}: return False")
    return lines


def _global_tests(globals_: list, const: Callable[[Any], str], by_value: Callable[[str, Any], "str | None"]) -> list:
    """The check's lines for the globals a trace loaded, (module dict, name, value): each once (one code run
    twice, or two codes of one module loading a name, recorded it twice), the test that held when recorded
    first (a builtin's: the module's look-up would miss first; either side of the `or` is pure); a guarded NumPy
    array's by its value (by_value's test)."""
    lines: list = []
    seen = set()
    for d, name, v in globals_:
        if (id(d), name, id(v)) in seen:
            continue
        seen.add((id(d), name, id(v)))
        d_, n_ = const(d), const(name)
        test = by_value(f"{d_}.get({n_}, MISSING)", v) if name in d else None
        if test is not None:
            lines.append(f"if not {test}: return False")
            continue
        x = "x" if type(v) is weakref.ref else const(v)  # (a strong value tested as the constant: no local)
        module, builtin = f"{d_}.get({n_}, MISSING) is {x}", f"{n_} not in {d_} and B.get({n_}, MISSING) is {x}"
        found = f"{builtin} or {module}" if name not in d else f"{module} or {builtin}"
        lines += [f"x = {const(v)}()", f"if x is None or not ({found}): return False"] if type(v) is weakref.ref \
            else [f"if not ({found}): return False"]
    return lines


def _same_array(a, dtype, shape, data: bytes) -> bool:
    """Whether a is an array holding what a trace read: its dtype, shape and bytes (-0.0 for 0.0: traced again)."""
    return type(a) is np.ndarray and a.dtype == dtype and a.shape == shape and a.tobytes() == data


def _empty(c) -> bool:
    """Whether closure cell c is empty (a guard's `MISSING`: a name bound later in its scope)."""
    try:
        c.cell_contents
    except ValueError:
        return True
    return False


def _hold(v):
    """v, or a weak reference where v is a Cell or a function: a guard kept in a Cell's or function's own cache
    must not keep it alive (nor make a reference cycle of it: Cells dropped are freed at once, as before)."""
    return weakref.ref(v) if isinstance(v, (cell_types[0], types.FunctionType)) else v


def _snapshot(box) -> tuple:
    """(a dict's keys or None for a list, its values / items), compared with the box's on each call."""
    if isinstance(box, (dict, types.MappingProxyType)):
        return list(box), list(box.values())
    return None, list(box)


def record(fn, trace: Callable[[], Any]):
    """(trace()'s result, its Recorder, False when not guardable or None when a profiler (cProfile) holds the
    hook, so that nothing could be recorded): trace() runs under the profile hook."""
    if sys.getprofile() is not None:
        return trace(), None
    rec = _tls.rec = Recorder(fn)
    sys.setprofile(rec.profile)
    try:
        out = trace()
    finally:
        sys.setprofile(None)
        _tls.rec = None
        rec.frames, rec.kept, rec.funcs = [], [], {}  # (frames hold their locals: no cycle left through them)
    return out, (rec if rec.ok else False)


class TwinTraces(dict):
    """A derivative cache shared by twin functions (gradserve._twins): its traces are reused while their guards
    hold in GRAPH_MODE too, where a function's own cache keeps its first trace."""


def table(cache) -> dict:
    """The guarded traces kept beside a trace cache (a TraceCache's own; a plain dict's under one key)."""
    t = getattr(cache, "guarded", None)
    if t is None:
        t = cache.setdefault(("pyguard",), {})
    return t
