"""Compile a flat graph for a backend into a Plan, and run it.

A Plan is a flat list of steps: (kernel with its attributes bound, input slots,
output slots, slots to free after this step). Everything that does not depend
on the call's inputs or parameters (constants, folded subgraphs) is computed
once at compile time. Running a plan does no graph walk and no dict lookup.

On the NumPy backend a plan is also compiled to one straight-line Python
function (`NumpyProgram`): kernels, attributes and constants are bound once,
every intermediate lives in a local variable, and the ops that can write into
a preallocated buffer (ufuncs, matmul, reductions) do so into an arena of
buffers assigned at compile time by liveness (a buffer is reused as soon as
every value that may view it is dead). Each arena (one per concurrent caller)
binds once what is the same on every run: the folded constants, the views of
its buffers (reshapes, transposed operands, a swapped broadcast's views:
ArenaViews). That removes the per-call allocation and page faults that dominate
mid-sized graphs, and most of the dispatch overhead that dominates tiny ones.
Outputs are fresh arrays, or the caller's: an output computed by an out-kernel
is written straight into a buffer the caller gives for it (`run_host(..., outs=)`,
e.g. a worker's mapping of the client's output region), which saves copying it
there after the run.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Sequence

import numpy as np

from .backends import Backend, get_backend, split_gemm
from .errors import EngineError, ShapeError
from .ir import NP_DTYPES, AVal, Graph, tree_flatten, tree_unflatten
from .ops.registry import FUNCTION_OPS, OPS, impl_rules


# A plan keeps at most this many bytes of reusable buffers per concurrent run;
# larger plans allocate per call as before.
ARENA_LIMIT_BYTES = 512 << 20
# Plans longer than this keep the generic step loop on NumPy too: compiling the
# generated source costs ~20-100 us per step, which outweighs the per-call saving
# for the huge graphs of high derivative orders (W6 n >= 5).
PROGRAM_MAX_STEPS = 4000


class ExecutionError(EngineError):
    code = "execution_error"


class Plan:
    def __init__(self, graph: Graph, backend: Backend):
        for e in graph.eqns:
            if e.op in FUNCTION_OPS:
                raise EngineError("compile: graph still has function nodes; lower it first", node=e.op)
        self.graph = graph
        self.backend = backend
        self.in_avals = [v.aval for v in graph.inputs]
        self.param_avals = {p.name: p.aval for p in graph.params}
        self.param_names = [p.name for p in graph.params]
        xp = backend.xp
        slot: dict[int, int] = {}

        def s(v) -> int:
            if v.id not in slot:
                slot[v.id] = len(slot)
            return slot[v.id]

        self.input_slots = [s(v) for v in graph.inputs]
        self.param_slots = [(p.name, s(p)) for p in graph.params]
        runtime = {v.id for v in list(graph.inputs) + list(graph.params)}
        if backend.missing_dtypes:
            _check_dtypes(graph, backend)
        consts: dict[int, Any] = {}
        steps = []
        step_eqns = []
        out_ids = {v.id for v in tree_flatten(graph.outputs)}
        for k, e in enumerate(graph.eqns):
            fn = functools.partial(impl_rules[e.op], xp, **e.attrs) if e.attrs else functools.partial(impl_rules[e.op], xp)
            if backend.host_dtypes and _touches(e, backend.host_dtypes):
                fn = _on_host(backend, e)
            elif _widens(e, backend.widen):
                fn = _widened(fn, e, backend)
            if OPS[e.op].runtime_checked:
                fn = _naming(fn, e.label or f"{k}:{e.op}")
            if e.op == "broadcast_to" and e.outputs[0].id in out_ids:
                # an output is a fresh, writable array, never a read-only stride-0 view
                fn = functools.partial(_broadcast_copy, xp, shape=tuple(e.attrs["shape"]))
            ins = [s(x) for x in e.inputs]
            outs = [s(o) for o in e.outputs]
            if not any(x.id in runtime for x in e.inputs):
                # constant: evaluate now, once (folds whole constant subgraphs)
                r = fn(*[consts[i] for i in ins])
                for o, val in zip(outs, r if len(outs) > 1 else (r,)):
                    consts[o] = val
                continue
            runtime.update(o.id for o in e.outputs)
            steps.append([fn, tuple(ins), outs[0] if len(outs) == 1 else tuple(outs), ()])
            step_eqns.append(e)
        self.n_slots = len(slot)
        self.output_slots = [s(v) for v in tree_flatten(graph.outputs)]
        self.out_tree = graph.outputs
        # free each runtime buffer after its last use (outputs are never freed)
        keep = set(self.output_slots)
        last: dict[int, int] = {}
        for k, st in enumerate(steps):
            for i in st[1]:
                last[i] = k
        frees: dict[int, list[int]] = {}
        for i, k in last.items():
            if i not in keep and i not in consts:
                frees.setdefault(k, []).append(i)
        for k, st in enumerate(steps):
            st[3] = tuple(frees.get(k, ()))
        self.steps = [tuple(st) for st in steps]
        self.step_eqns = step_eqns  # the equation of each step (profiles, plan_bench --profile)
        self.env0 = [None] * self.n_slots
        for i, v in consts.items():
            self.env0[i] = v
        self.const_bytes = sum(_nbytes(v) for v in consts.values())
        self.est_bytes: int | None = None  # the estimate it was admitted with (Engine.plan sets it)
        self.program = None
        if backend.name == "numpy" and len(self.steps) <= PROGRAM_MAX_STEPS:
            self.program = NumpyProgram(self, step_eqns, slot)
        # host-side input checks, precomputed
        self._in_checks = tuple((tuple(av.shape), np.dtype(NP_DTYPES[av.dtype])) for av in self.in_avals)
        self._param_checks = tuple((tuple(self.param_avals[n].shape), np.dtype(NP_DTYPES[self.param_avals[n].dtype]))
                                   for n in self.param_names)
        self._n_in = len(self.in_avals)

    def run(self, inputs: Sequence[Any], params: dict[str, Any]) -> Any:
        """inputs and params are backend arrays; returns the output tree of backend arrays."""
        env = list(self.env0)
        for i, a in zip(self.input_slots, inputs):
            env[i] = a
        for name, i in self.param_slots:
            env[i] = params[name]
        for fn, ins, out, frees in self.steps:
            r = fn(*[env[i] for i in ins])
            if type(out) is int:
                env[out] = r
            else:
                for o, val in zip(out, r):
                    env[o] = val
            for i in frees:
                env[i] = None
        return tree_unflatten(self.out_tree, [env[i] for i in self.output_slots])

    def run_host(self, inputs: Sequence[Any], params: dict | None = None, outs: Sequence | None = None):
        """Host arrays in, host arrays out; checks inputs. The NumPy fast path when compiled for NumPy.

        outs: per flat output, a buffer to compute it into, or None. Used only where the NumPy program
        computes that output with an out-kernel and the buffer fits (OutBuffers.usable); the caller
        tells which were used by identity (the returned output `is` its buffer)."""
        checks = self._in_checks
        if len(inputs) != len(checks):
            raise ShapeError(f"expected {len(checks)} input(s), got {len(inputs)}", expected=len(checks),
                             got=len(inputs))
        arrays = list(inputs)
        for i, (shape, dt) in enumerate(checks):
            a = arrays[i]
            if type(a) is not np.ndarray:
                a = arrays[i] = np.asarray(a)
            if a.shape != shape or (a.dtype is not dt and a.dtype != dt):
                check_inputs(self.in_avals, [np.asarray(x) for x in inputs])
        pv = self.graph.param_values
        if params:
            unknown = [k for k in params if k not in self.param_avals]
            if unknown:
                raise ShapeError(f"unknown parameter(s) {sorted(unknown)}; graph has {self.param_names}")
            ps = []
            for name, (shape, dt) in zip(self.param_names, self._param_checks):
                if name in params:
                    v = params[name]
                    if type(v) is not np.ndarray:
                        v = np.asarray(v)
                    if v.shape != shape or (v.dtype is not dt and v.dtype != dt):  # the full check, for its error
                        check_inputs([self.param_avals[name]], [v], what=f"parameter {name!r}")
                elif name in pv:
                    v = pv[name]
                else:
                    raise _missing_params([n for n in self.param_names if n not in params and n not in pv])
                ps.append(v)
        elif self.param_names:
            try:
                ps = [pv[name] for name in self.param_names]
            except KeyError:
                raise _missing_params([n for n in self.param_names if n not in pv]) from None
        else:
            ps = ()
        if self.program is not None:
            if outs is not None:
                return self.program(arrays, ps, self.program.placed.usable(outs, arrays, ps))
            return self.program(arrays, ps)
        return run_numpy(self, arrays, dict(zip(self.param_names, ps)))


    @property
    def nbytes(self) -> int:
        """Bytes this plan holds between runs: folded constants and its NumPy arenas."""
        prog = self.program
        return self.const_bytes + (prog.arena_bytes * max(len(prog._arenas), 1) if prog is not None else 0)

    def release(self) -> None:
        """Drop the arenas now (an evicted plan; a run in flight keeps its own until it ends).
        The constants go with the plan object."""
        if self.program is not None:
            self.program._arenas.clear()


def _naming(fn, label: str):
    """fn, with the node named in the typed errors it raises (an op that checks its input values)."""
    def run(*args):
        try:
            return fn(*args)
        except EngineError as e:
            if e.node is None:
                e.node = label
                e.args = (f"{e.message} (node {label})",)
            raise
    return run


def _missing_params(names: list[str]) -> ShapeError:
    return ShapeError(f"parameter(s) {names} have no value in the graph and none was given; send them with the "
                      "request", path=f"params.{names[0]}", missing=names)


def _nbytes(v) -> int:
    n = getattr(v, "nbytes", None)
    return int(n) if n is not None else 0


def aval_bytes(av: AVal) -> int:
    return av.size * np.dtype(NP_DTYPES[av.dtype]).itemsize


def output_bytes(graph: Graph) -> int:
    """Bytes of a run's outputs, from the avals (a derived graph's outputs are typed before lowering)."""
    return sum(aval_bytes(v.aval) for v in tree_flatten(graph.outputs))


# what every backend computes a storage-only dtype in (Backend.widen): estimate_bytes counts the copies
STORAGE_WIDEN = {"bfloat16": "float32"}


def _widened_bytes(av: AVal) -> int:
    wide = STORAGE_WIDEN.get(getattr(av, "dtype", None))
    return 0 if wide is None else av.size * np.dtype(NP_DTYPES[wide]).itemsize


def estimate_bytes(graph: Graph) -> int:
    """Bytes a run of the flat `graph` may hold at its peak, from the avals alone (nothing is
    allocated): its inputs and parameters, every constant the plan folds and keeps, and the
    intermediates alive at the worst step (each at full size: a view is counted as a copy).
    An upper bound of what compiling and running it allocates, to refuse a job before it runs."""
    runtime = {v.id for v in list(graph.inputs) + list(graph.params)}
    held = sum(aval_bytes(v.aval) for v in list(graph.inputs) + list(graph.params))
    out_ids = {v.id for v in tree_flatten(graph.outputs)}
    last: dict[int, int] = {}
    for k, e in enumerate(graph.eqns):
        for x in e.inputs:
            last[x.id] = k
    live: dict[int, int] = {}
    cur = peak = 0
    for k, e in enumerate(graph.eqns):
        scratch = OPS[e.op].scratch(e) if OPS[e.op].scratch is not None else 0  # the impl's own temporaries
        if _widens(e, STORAGE_WIDEN):  # its float32 copies of bfloat16 operands and results (_widened)
            scratch = 2 * scratch + sum(_widened_bytes(v.aval) for v in (*e.inputs, *e.outputs))
        if not any(x.id in runtime for x in e.inputs):
            held += sum(aval_bytes(o.aval) for o in e.outputs)  # folded at compile time, kept with the plan
            peak = max(peak, cur + scratch)
            continue
        for o in e.outputs:
            runtime.add(o.id)
            live[o.id] = aval_bytes(o.aval)
            cur += live[o.id]
        peak = max(peak, cur + scratch)
        for v in list(e.inputs) + list(e.outputs):  # dead after this step (an unused output at once)
            if last.get(v.id, k) == k and v.id not in out_ids and v.id in live:
                cur -= live.pop(v.id)
    return held + peak


def estimate_flops(graph: Graph) -> tuple[int, int, int]:
    """(operations a run of the flat `graph` takes, index of its costliest equation, its operations), from
    the avals alone:
    an op's `flops` rule (contractions, factorisations), else one per element it reads or writes. A loop's
    body (while_run's, an attr graph) counts once: its trip count is known only at run time, where the
    job's deadline bounds it. Index -1: no equations."""
    total, worst, at = 0, -1, -1
    for k, e in enumerate(graph.eqns):
        rule = OPS[e.op].flops
        n = rule(e) if rule is not None else sum(v.aval.size for v in (*e.inputs, *e.outputs))
        n += sum(estimate_flops(g)[0] for g in e.attrs.values() if isinstance(g, Graph))
        total += n
        if n > worst:
            worst, at = n, k
    return total, at, worst


def _touches(e, dtypes, depth: int = 0) -> bool:
    """Whether equation e reads or makes a value of one of dtypes, its subgraphs (while_run's cond and body,
    switch_run's branches) included."""
    if any(getattr(v.aval, "dtype", None) in dtypes for v in (*e.inputs, *e.outputs)):
        return True
    subs = [g for a in e.attrs.values() for g in (a if isinstance(a, tuple) else (a,)) if isinstance(g, Graph)]
    return depth < 64 and any(_touches(q, dtypes, depth + 1) for g in subs for q in g.eqns)


def _on_host(backend: Backend, e):
    """e's NumPy kernel on host copies of its operands, its results moved back to the backend: for the dtypes
    the backend cannot compute on (Backend.host_dtypes), NumPy's exact values at the cost of two copies."""
    kernel = functools.partial(impl_rules[e.op], get_backend("numpy").xp, **e.attrs)
    to_host, from_host, multi = backend.to_host, backend.from_host, len(e.outputs) > 1

    def run(*arrays):
        r = kernel(*[to_host(a) for a in arrays])
        return tuple(from_host(x) for x in r) if multi else from_host(r)
    return run


def _check_dtypes(graph: Graph, backend: Backend) -> None:
    for v in (*graph.inputs, *graph.params):
        if v.aval.dtype in backend.missing_dtypes:
            raise ShapeError(f"{v.aval.dtype} is not supported on the {backend.name} backend (device {backend.device}); "
                             "use the CPU (numpy) or torch pool, or cast to float32", path=v.name,
                             dtype=v.aval.dtype, backend=backend.name)
    for e in graph.eqns:
        if _touches(e, backend.missing_dtypes):
            bad = sorted(backend.missing_dtypes)
            raise ShapeError(f"{'/'.join(bad)} is not supported on the {backend.name} backend (device "
                             f"{backend.device}); use the CPU (numpy) or torch pool, or cast to float32",
                             node=e.label or e.op, dtype=bad[0], backend=backend.name)


def _widens(e, widen: dict | None) -> bool:
    """Whether e reads or makes a storage-only dtype itself (a node with subgraphs runs them as plans of their
    own, which widen their nodes)."""
    if not widen or not any(getattr(v.aval, "dtype", None) in widen for v in (*e.inputs, *e.outputs)):
        return False
    exact = OPS[e.op].storage_exact
    return not (exact is not None and exact(e)) and not any(
        isinstance(g, Graph) for a in e.attrs.values() for g in (a if isinstance(a, tuple) else (a,)))


def _widened(fn, e, backend: Backend):
    """fn on copies of its storage-only operands (bfloat16) in the wider dtype, its results of a storage-only
    dtype rounded back once: one rounding per node, as PyTorch's CPU kernels (opmath float32) and XLA do."""
    xp, widen = backend.xp, backend.widen or {}

    def dt(name):  # (NumPy: dtype objects, which an array's .dtype equals and hashes as)
        return np.dtype(NP_DTYPES[name]) if backend.name == "numpy" else getattr(xp, name)
    wide = {dt(k): dt(v) for k, v in widen.items()}
    back = [dt(o.aval.dtype) if getattr(o.aval, "dtype", None) in widen else None for o in e.outputs]
    multi = len(e.outputs) > 1

    def up(a):
        w = wide.get(getattr(a, "dtype", None))
        return a if w is None else xp.astype(a, w)

    def down(r, to):
        if to is None:
            return r
        r = xp.asarray(r)  # (a NumPy 0-d result is a scalar)
        return r if r.dtype == to else xp.astype(r, to)

    def run(*arrays):
        r = fn(*[up(a) for a in arrays])
        return tuple(down(x, to) for x, to in zip(r, back)) if multi else down(r, back[0])
    return run


def _broadcast_copy(xp, x, shape):
    r = xp.broadcast_to(x, shape)
    if isinstance(r, np.ndarray):
        return np.array(r, order="C", copy=True)
    return xp.asarray(r, copy=True)


def check_inputs(avals: list[AVal], arrays: Sequence[np.ndarray], what: str = "input") -> None:
    if len(arrays) != len(avals):
        raise ShapeError(f"expected {len(avals)} {what}(s), got {len(arrays)}", expected=len(avals), got=len(arrays))
    for i, (av, a) in enumerate(zip(avals, arrays)):
        if tuple(a.shape) != av.shape or str(a.dtype) != av.dtype:
            raise ShapeError(f"{what} {i}: expected {av}, got {a.dtype}[{','.join(map(str, a.shape))}]",
                             path=f"{what}s[{i}]", expected=list(av.shape), got=list(a.shape))


def run_numpy(plan: Plan, inputs: Sequence[np.ndarray], params: dict[str, np.ndarray] | None = None):
    """Run with host arrays in and host arrays out (moves to and from the backend)."""
    bk = plan.backend
    params = {**plan.graph.param_values, **(params or {})}
    if plan.program is not None:
        return plan.program([np.asarray(a) for a in inputs], [np.asarray(params[k]) for k in plan.param_names])
    xs = [bk.from_host(np.asarray(a)) for a in inputs]
    ps = {k: bk.from_host(np.asarray(params[k])) for k in plan.param_avals}
    out = plan.run(xs, ps)
    return tree_unflatten(plan.out_tree, [bk.to_host(a) for a in tree_flatten(out)])


def compile_graph(graph: Graph, backend: str | Backend = "numpy") -> Plan:
    bk = backend if isinstance(backend, Backend) else get_backend(backend)
    return Plan(graph, bk)


# -- NumPy: the plan as one straight-line function over an arena of buffers -----------------------
def _out_kernel(e):
    """The op's NumPy out-kernel for this equation (its `np_out` flag): (kernel(*ins, out) -> array,
    kind, operand suffixes) or None. kind: "ew" = elementwise (an input that dies at this step may
    share the output's buffer), "red" = reduction / matmul, "own" = elementwise in several calls (a buffer
    of its own, as "red")."""
    if any(not isinstance(x.aval, AVal) for x in e.inputs) or len(e.outputs) != 1:
        return None
    make = OPS[e.op].np_out
    return None if make is None else make(e)


def _product_pairs(steps: list, kinds: list) -> set:
    """Steps k whose large matrix product (an out-kernel that may split: split_gemm.matmul) is followed by
    another that does not read its result: the two run as one split (split_gemm.matmul_pair, which checks
    at run time that neither output overlaps the other's operands, e.g. an arena buffer reused)."""
    pairs: set = set()
    k = 0
    while k + 1 < len(steps):
        (_, _, out, _), (_, ins2, out2, _) = steps[k], steps[k + 1]
        if (kinds[k][0] == kinds[k + 1][0] == "out" and kinds[k][1] is split_gemm.matmul
                and kinds[k + 1][1] is split_gemm.matmul and out not in ins2):
            pairs.add(k)
            k += 2
        else:
            k += 1
    return pairs


def _view_kernel(e):
    """The op's NumPy view kernel (its `np_view` flag): a kernel with attributes bound, "alias", or None."""
    make = OPS[e.op].np_view
    return None if make is None else make(e)


class ArenaViews:
    """The views of arena buffers a NumPy program makes once per arena instead of on every run.

    A value an out-kernel computes into an arena buffer is that buffer on every run (the kernel returns
    its out), so a reshape, an alias, another view kernel of it, or its `.mT` operand, is the same view
    every time: ~0.1-0.4 us a call saved (L1's plan has ~20). Only results that really view the buffer
    (checked on the first arena: a reshape that would copy, a zero-size view, stays in the run)."""

    def __init__(self):
        self.name: dict[int, str] = {}  # slot -> its precomputed view's name
        self.operand: dict[tuple, str] = {}  # (slot, ".mT") -> name
        self.lines: list[str] = []  # __make's lines that bind them
        self.ns: dict[str, Any] = {}  # the shapes and kernels those lines name
        self._named: dict[str, str] = {}  # expression -> name (one view per distinct expression)
        # step -> (ufunc, its call) of a swapped broadcast into an arena buffer (np_broadcast.binary_kernel),
        # written out in the run: ((operand view's name or None, its expression), (the other's), output view's name)
        self.split: dict[int, tuple] = {}

    def split_calls(self, k: int, ins: tuple, out: str, parts: tuple, base: dict) -> None:
        """Step k's swapped broadcast (parts: np_broadcast's ufunc and its operands' view expressions) into
        buffer `out`, its views of the output and of operands that are arena values (in `base`) made once."""
        fn, *exprs = parts
        operands = []
        for i, expr, side in ((ins[0], exprs[0], "a"), (ins[1], exprs[1], "b")):
            whole = base[i][0] if i in base else None
            operands.append((self.bind(f"x{k}{side}", f"{whole}{expr}") if whole and expr else whole, expr))
        self.split[k] = (fn, (*operands, self.bind(f"x{k}o", f"{out}.swapaxes(-1, -2)")))

    def split_lines(self, k: int, operands: list) -> list[str]:
        """The run's line of swapped step k, its operands read under these names where not made once."""
        *picks, o = self.split[k][1]
        a, b = [name or f"{x}{expr or ''}" for x, (name, expr) in zip(operands, picks)]
        return [f"u{k}({a}, {b}, {o}, order='C')"]

    def bind(self, name: str, expr: str) -> str:
        if expr not in self._named:
            self._named[expr] = name
            self.lines.append(f"{name} = {expr}")
        return self._named[expr]


def _read_0d(views: ArenaViews, k: int, fn, ins, operands: list, out: int, avals: dict, made_once: set) -> list:
    """Step k's operands, each one-element arena value of an elementwise ufunc writing a larger buffer read as
    a 0-d view made once per arena: NumPy's trivial loop instead of its broadcasting iterator ((32, 32) *
    (1, 1): ~9.1k instructions a call under callgrind -> ~5.1k); the same element, the same values (`out`
    fixes the result's shape)."""
    if not isinstance(fn, np.ufunc) or fn.signature is not None or avals[out].size <= 1:
        return operands
    return [views.bind(f"z{k}_{n}", f"{x}.reshape(())") if x in made_once and i in avals and avals[i].size == 1
            and avals[i].ndim else x for n, (i, x) in enumerate(zip(ins, operands))]


class BufferNames:
    """The arena's buffers by the names the run reads them under: buffer j as b<j>, or under another shape
    (an elementwise result written over a reshape of a dying input, _assign_buffers; a reshape of a whole
    buffer) as one view b<j>_<n> per shape, bound once per arena by `lines`. One object per (buffer, shape):
    a ufunc writing over its operand then gets the same array twice, NumPy's in-place fast path (two views
    of the same memory cost it an overlap check, ~0.3 us a call)."""

    def __init__(self, buf_of: dict, buf_avals: list, avals: dict):
        self.buf_of, self.shapes = buf_of, [av.shape for av in buf_avals]
        self.lines: list[str] = []
        self.ns: dict[str, Any] = {}
        self._named: dict[tuple, str] = {}
        self.of = {slot: (self.view(j, avals[slot].shape), avals[slot].shape) for slot, j in buf_of.items()}

    def view(self, j: int, shape: tuple) -> str:
        """The name of buffer j under `shape` (its element count)."""
        if shape == self.shapes[j]:
            return f"b{j}"
        if (j, shape) not in self._named:
            name = self._named[(j, shape)] = f"b{j}_{len(self._named)}"
            self.ns[f"s{name}"] = shape
            self.lines.append(f"{name} = b{j}.reshape(s{name})")
        return self._named[(j, shape)]

    def __contains__(self, slot) -> bool:
        return slot in self.buf_of

    def __len__(self) -> int:
        return len(self.buf_of)

    def __getitem__(self, slot) -> str:
        return self.of[slot][0]

    def first(self, slot, bufs: list):
        """The slot's buffer in the arena `bufs` (the first one's), under the slot's shape."""
        return bufs[self.buf_of[slot]].reshape(self.of[slot][1])


def _arena_views(steps: list, kinds: list, names: BufferNames, bufs: list, outputs: set) -> ArenaViews:
    av = ArenaViews()
    base: dict[int, tuple] = {}  # slot -> (name, the first arena's object, its buffer's index)
    for k, ((_fn, ins, out, _frees), kind) in enumerate(zip(steps, kinds)):
        if kind[0] == "out":
            for i, sfx in zip(ins, kind[3] or ()):
                if sfx == ".mT" and i in base and (i, sfx) not in av.operand:
                    av.operand[(i, sfx)] = av.bind(f"m{i}", f"{base[i][0]}.mT")
            if type(out) is int and out in names:
                base[out] = (names[out], names.first(out, bufs), names.buf_of[out])
                parts = getattr(kind[1], "parts", None)
                if parts is not None:
                    av.split_calls(k, ins, names[out], parts, base)
            continue
        if kind[0] != "view" or type(out) is not int or out in outputs or len(ins) != 1 or ins[0] not in base:
            continue
        name, obj, j = base[ins[0]]
        buf = bufs[j]
        if kind[1] == "alias":
            base[out] = base[ins[0]]
            av.name[out] = name
            continue
        if type(kind[1]) is tuple and buf.size and obj.size == buf.size and obj.flags.c_contiguous:  # all of it
            av.name[out] = names.view(j, kind[1][1])
            base[out] = (av.name[out], buf.reshape(kind[1][1]), j)
            continue
        if type(kind[1]) is tuple:  # ("reshape", shape)
            view, expr = obj.reshape(kind[1][1]), f"{name}.reshape(s{k})"
            av.ns[f"s{k}"] = kind[1][1]
        else:
            view, expr = kind[1](obj), f"k{k}({name})"
            av.ns[f"k{k}"] = kind[1]
        if type(view) is np.ndarray and view.size and np.may_share_memory(view, buf):
            av.name[out] = av.bind(f"w{k}", expr)
            base[out] = (av.name[out], view, j)
    return av


def _placeable(output_slots: list, produced_at: dict, avals: dict) -> "OutBuffers":
    """The outputs an out-kernel computes into a buffer of their own (each slot once, at its first place in
    the outputs): a caller may give that buffer."""
    placed: dict[int, int] = {}  # slot -> flat output index
    for j, sl in enumerate(output_slots):
        if sl in produced_at and sl not in placed:
            placed[sl] = j
    return OutBuffers(placed, [avals[sl] for sl in placed])


def _reshaped(i: int, g: int, steps: list, kinds: list, step_of: dict) -> bool:
    """Whether slot i is origin g itself or g through reshapes and aliases only (the same elements in the same
    order: an elementwise kernel may read it while writing g's buffer under i's shape)."""
    while i != g:
        k = step_of.get(i)
        if k is None or kinds[k][0] != "view" or not (kinds[k][1] == "alias" or type(kinds[k][1]) is tuple):
            return False
        i = steps[k][1][0]
    return True


def _assign_buffers(steps: list, kinds: list, releases: dict, fresh: set, end: dict, avals: dict, step_of: dict):
    """(origin slot -> buffer index, the buffers' avals, their bytes): a linear scan over the steps in which a
    buffer belongs to one origin at a time (NumpyProgram). An origin may take a buffer of another shape with
    its element count and dtype (elementwise over a reshape of a dying input): _buffer_names reshapes it."""
    free: dict[tuple, list[int]] = {}
    buf_of: dict[int, int] = {}
    buf_avals: list[AVal] = []
    total = 0
    for k, (st, kind) in enumerate(zip(steps, kinds)):
        out = st[2]
        dying = [g for g in releases.get(k, ()) if g in buf_of and g != out]
        taken = None
        if kind[0] == "out" and out not in fresh:
            av = avals[out]
            key = (av.shape, av.dtype)
            # elementwise: write over an input that dies at this step (the same elements). Not a 0-d one: NumPy
            # runs a 0-d ufunc whose out is one of its inputs by its general path, ~2x the instructions of one
            # writing elsewhere (7.7k against 3.8k under callgrind, NumPy 2.4); a 0-d buffer costs 4-8 bytes
            if kind[2] == "ew" and av.ndim:
                taken = next((g for g in dying if avals[g] == av), None)
                if taken is None:  # or over a reshape of one: its cache lines are hot, no new buffer
                    taken = next((g for g in dying if avals[g].size == av.size and avals[g].dtype == av.dtype
                                  and any(i in avals and avals[i] == av and _reshaped(i, g, steps, kinds, step_of)
                                          for i in st[1])), None)
            if taken is not None:
                buf_of[out] = buf_of[taken]
            elif free.get(key):
                buf_of[out] = free[key].pop()
            else:
                buf_of[out] = len(buf_avals)
                buf_avals.append(av)
                total += aval_bytes(av)
        for g in dying:
            if g != taken:
                free.setdefault((avals[g].shape, avals[g].dtype), []).append(buf_of[g])
        if kind[0] == "out" and out in buf_of and end.get(out, k) <= k:  # never read
            free.setdefault((avals[out].shape, avals[out].dtype), []).append(buf_of[out])
    return buf_of, buf_avals, total


def _make_source(n_buffers: int, make: list, params: list, body: list, result: str) -> str:
    """`__make(B)`: unpacks the arena's buffers, runs `make` once (constants bound in its closure, read by run
    without a global look-up; ArenaViews' views), returns `run(*params)`: `body`, then `return result`."""
    src = ["def __make(B):"]
    if n_buffers:
        src.append("    " + ", ".join(f"b{j}" for j in range(n_buffers)) + (",", "")[n_buffers > 1] + " = B")
    src += ["    " + line for line in make]
    src.append(f"    def run({', '.join(params)}):")
    src += ["        " + line for line in body]
    src.append(f"        return {result}")
    src.append("    return run")
    return "\n".join(src) + "\n"


class NumpyProgram:
    """A Plan compiled to one Python function for NumPy (see the module docstring).

    Buffers: each value computed by an out-kernel is an "origin". A value from any
    other kernel may be a view of its inputs, so it is taken to alias all their
    origins. An origin's buffer is free once every value that may alias it is dead;
    origins that an output may alias are allocated fresh on every call. A pool of
    arenas (one per concurrent caller) keeps runs on different threads apart.
    """

    def __init__(self, plan: Plan, eqns: list, slot_of: dict[int, int]):
        steps = plan.steps
        outputs = set(plan.output_slots)
        consts = {i for i, v in enumerate(plan.env0) if v is not None}
        kinds: list = []
        origins: dict[int, frozenset] = {}  # slot -> origins it may alias
        produced_at: dict[int, int] = {}
        for k, (st, e) in enumerate(zip(steps, eqns)):
            ok = None if _widens(e, plan.backend.widen) else _out_kernel(e)
            ins, out = st[1], st[2]
            if ok is not None and type(out) is int:
                kinds.append(("out",) + ok)
                origins[out] = frozenset((out,))
                produced_at[out] = k
                continue
            vk = _view_kernel(e) if not (e.op == "broadcast_to" and out in outputs) else None
            kinds.append(("view", vk) if vk is not None else ("call", None))
            al = frozenset().union(*(origins.get(i, frozenset()) for i in ins))
            for o in (out,) if type(out) is int else out:
                origins[o] = al
        last_use: dict[int, int] = {}
        for k, st in enumerate(steps):
            for i in st[1]:
                last_use[i] = k
        step_of: dict[int, int] = {}
        avals: dict[int, AVal] = {}
        for k, (e, st) in enumerate(zip(eqns, steps)):
            outs = (st[2],) if type(st[2]) is int else st[2]
            for o, var in zip(outs, e.outputs):
                step_of[o] = k
                avals[o] = var.aval
        fresh: set[int] = set()
        for o in outputs:
            fresh |= origins.get(o, frozenset())
        end: dict[int, int] = {}  # origin -> last step at which a value that may alias it is read
        for sl, org in origins.items():
            lu = last_use.get(sl, step_of.get(sl, -1))
            for g in org:
                end[g] = max(end.get(g, -1), lu)
        releases: dict[int, list[int]] = {}
        for g, k in end.items():
            releases.setdefault(k, []).append(g)
        buf_of, buf_avals, total = _assign_buffers(steps, kinds, releases, fresh, end, avals, step_of)
        self.buf_avals = buf_avals if total <= ARENA_LIMIT_BYTES else []
        if total > ARENA_LIMIT_BYTES:
            buf_of = {}
        self.arena_bytes = total if buf_of else 0
        self.placed = _placeable(plan.output_slots, produced_at, avals)
        # the first arena, allocated now: it tells which views of its buffers stay views (_arena_views)
        first = self._buffers() if buf_of else []
        names = BufferNames(buf_of, buf_avals, avals)
        self.arena_views = _arena_views(steps, kinds, names, first, outputs)
        # namespace: the kernels and constants the source names (kept for benchmarks/plan_bench.py --profile)
        self.source, self.namespace = self._generate(plan, steps, kinds, names, consts, outputs, self.placed.at, avals)
        # (the graph's name, a client's string, only in the code object's file name: escaped, as compile refuses a
        # NUL there: a graph named "a\x00b" failed every run with "ValueError: embedded null character")
        exec(compile(self.source, f"<gradserve plan {ascii(plan.graph.name)[1:-1][:200]}>", "exec"), self.namespace)
        self._make = self.namespace["__make"]
        self._arenas: list = [self._make(first)] if buf_of else []
        self._lock = threading.Lock()

    def _generate(self, plan, steps, kinds, buf_of: BufferNames, consts, outputs, placed, avals: dict):
        """Source of `__make(B) -> run(inputs, params, caller's output buffers)`. Only generated identifiers
        appear in it. An output in `placed` is computed into its buffer o<flat index>, or (None) a new array."""
        ns: dict[str, Any] = {"__builtins__": {}, "_asarray": np.asarray}
        v = lambda i: f"v{i}"  # noqa: E731
        views = self.arena_views
        ns.update(views.ns)
        ns.update(buf_of.ns)
        r = lambda i: views.name.get(i) or v(i)  # noqa: E731  (a value, by the name it is read under)
        body = []
        for i, c in enumerate(plan.env0):
            if c is not None:
                ns[f"c{i}"] = c
        args = [v(i) for i in plan.input_slots]
        pargs = [v(i) for _, i in plan.param_slots]
        made_once = set(views.name.values()) | {name for name, _ in buf_of.of.values()}  # bound in __make

        def out_operands(ins, out, kind) -> list:
            suffix = kind[3] or ("",) * len(ins)
            operands = [views.operand.get((i, sfx)) or r(i) + sfx for i, sfx in zip(ins, suffix)]
            if out in buf_of:
                operands = _read_0d(views, k, kind[1], ins, operands, out, avals, made_once) + [buf_of[out]]
            elif out in placed:
                operands.append(f"o{placed[out]}")
            return operands

        paired = _product_pairs(steps, kinds)
        for k, ((fn, ins, out, _frees), kind) in enumerate(zip(steps, kinds)):
            if k in paired:  # two large products in one split (split_gemm.matmul_pair); its dels follow
                ins2, out2 = steps[k + 1][1], steps[k + 1][2]
                a1, b1, *o1 = out_operands(ins, out, kind)
                a2, b2, *o2 = out_operands(ins2, out2, kinds[k + 1])
                ns["_matmul_pair"] = split_gemm.matmul_pair
                body.append(f"{v(out)}, {v(out2)} = _matmul_pair({a1}, {b1}, {(o1 or ['None'])[0]}, {a2}, {b2}, "
                            f"{(o2 or ['None'])[0]})")
            elif kind[0] == "out" and k - 1 in paired:
                pass  # computed with the step before
            elif out in views.name:
                pass  # a view made once per arena (ArenaViews)
            elif k in views.split:  # a swapped broadcast: its call written out, on views made once per arena
                ns[f"u{k}"] = views.split[k][0]
                body += views.split_lines(k, [r(i) for i in ins]) + [f"{v(out)} = {buf_of[out]}"]
            elif kind[0] == "out":
                ns[f"k{k}"] = kind[1]
                body.append(f"{v(out)} = k{k}({', '.join(out_operands(ins, out, kind))})")
            elif kind[0] == "view" and kind[1] == "alias":
                body.append(f"{v(out)} = {r(ins[0])}")
            elif kind[0] == "view" and type(kind[1]) is tuple:  # ("reshape", shape): the method, no kernel
                ns[f"s{k}"] = kind[1][1]
                body.append(f"{v(out)} = {r(ins[0])}.reshape(s{k})")
            else:
                ns[f"k{k}"] = kind[1] if kind[0] == "view" else fn
                lhs = v(out) if type(out) is int else ", ".join(v(o) for o in out) + ("," if len(out) == 1 else "")
                body.append(f"{lhs} = k{k}({', '.join(r(i) for i in ins)})")
            # drop values allocated per call as soon as they are dead (arena buffers stay)
            dead = [i for i in _frees if i not in outputs and i not in buf_of and i not in consts
                    and i not in views.name]
            if dead:
                body.append("del " + ", ".join(v(i) for i in dead))
        param_slots = {i for _, i in plan.param_slots}

        def leaf(i, av):
            if i in consts or i in param_slots:
                return f"_asarray({v(i)}).copy()"  # never hand out the plan's or the graph's arrays
            if av.ndim == 0:
                return f"_asarray({v(i)})"  # 0-d ufunc results are NumPy scalars
            return r(i)

        def tree(t):
            if isinstance(t, (tuple, list)):
                return "(" + "".join(tree(x) + ", " for x in t) + ")"
            return leaf(slot_index[t.id], t.aval)

        slot_index = {}
        for var, sl in zip(tree_flatten(plan.out_tree), plan.output_slots):
            slot_index[var.id] = sl
        oargs = [f"o{j}=None" for j in placed.values()]
        make = [f"{v(i)} = c{i}" for i in sorted(consts)] + buf_of.lines + views.lines
        return _make_source(len(self.buf_avals) if buf_of else 0, make, args + pargs + oargs, body,
                            tree(plan.out_tree)), ns

    def _buffers(self) -> list:
        return [np.empty(av.shape, NP_DTYPES[av.dtype]) for av in self.buf_avals]

    def _new_arena(self):
        return self._make(self._buffers())

    def __call__(self, inputs: list, params: list, outs: list | None = None):
        """outs: buffers for the outputs in `placed` order (OutBuffers.usable), None where there is none."""
        arenas = self._arenas
        fn = arenas.pop() if arenas else self._new_arena()  # list.pop is atomic: one arena per caller
        try:
            return fn(*inputs, *params, *outs) if outs else fn(*inputs, *params)
        finally:
            arenas.append(fn)


class OutBuffers:
    """The outputs of a NumPy program that a caller's buffer may take (Plan.run_host's outs): those an
    out-kernel computes (not views of other values, not constants), each slot once. A buffer is used only
    if it is a C-contiguous, writable ndarray of the output's shape and dtype that overlaps no input,
    parameter or other buffer: a kernel must never read what it writes, nor one output overwrite another."""

    def __init__(self, at: dict, avals: list):
        self.at = at  # slot -> flat output index
        self.index = tuple(at.values())  # flat output positions, in the program's argument order
        self.want = tuple((tuple(av.shape), np.dtype(NP_DTYPES[av.dtype])) for av in avals)

    def usable(self, outs: Sequence, inputs: Sequence, params: Sequence) -> list:
        """Per placeable output, in order: its buffer from `outs` (indexed by flat output), or None."""
        got: list = []
        seen = [*inputs, *params]  # (plain loops: ~1 us a pair, the generator's overhead was 3x that)
        share = np.may_share_memory
        for j, (shape, dt) in zip(self.index, self.want):
            b = outs[j] if j < len(outs) else None
            if b is not None:
                if not (type(b) is np.ndarray and b.shape == shape and b.dtype == dt and b.flags.c_contiguous
                        and b.flags.writeable):
                    b = None
                else:
                    for a in seen:
                        if share(b, a):
                            b = None
                            break
                    if b is not None:
                        seen.append(b)
            got.append(b)
        return got

