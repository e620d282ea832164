"""Writes a `gradserve.graph/1` document node by node, knowing every value's shape and dtype.

Shared by the importers (ONNX here and on the server; torch.export and StableHLO in the SDK):
each importer maps its source ops onto calls of this writer, and composites.py builds the
layers the op set has no single op for. Pure Python + NumPy (no engine import) so the SDK can
carry a generated copy (clients/python/tools/gen_importers.py; a test keeps it in step).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

# engine.ir.DTYPES (this package does not import the engine): narrow and unsigned integers are carried as they
# are (uint8 images, int8 / uint8 quantised data, uint32 hashes wrap as their type does)
NP_DTYPES = ("bool", "int32", "int64", "float16", "float32", "float64", "complex64", "complex128", "int8", "int16",
             "uint8", "uint16", "uint32", "uint64", "bfloat16")
# the narrow integers whose arithmetic torch.export's importer spells out as torch's (wrapping, promotion)
NARROW_INTS = ("int8", "int16", "uint8")


class UnsupportedModel(ValueError):
    """The model uses something the importer cannot map exactly (op, attribute, dtype...).

    `op` / `node` / `version` name what and where; the message says it all for a human."""

    def __init__(self, message: str, *, op: str | None = None, node: str | None = None, version: Any = None):
        super().__init__(message)
        self.op, self.node, self.version = op, node, version
        self.model: str | None = None

    def in_model(self, name: str) -> "UnsupportedModel":
        """The error naming the model it came from (set once, by the importer's entry point)."""
        if self.model is None:
            self.model = name
            self.args = (f"{self.args[0]} (model {name!r})",) + self.args[1:] if self.args else self.args
        return self


class ModelLimitExceeded(UnsupportedModel):
    """A model bigger than the caller's limits (`limit` names which, `value` is it)."""

    def __init__(self, message: str, limit: str, value: int):
        super().__init__(message)
        self.limit, self.value = limit, value


def _probe(shape):
    """A zero-stride array of `shape`: NumPy computes result shapes on it without allocating."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, np.bool_), shape=tuple(shape), strides=(0,) * len(shape))


def dtype_name(dt, allowed: Sequence[str] = NP_DTYPES) -> str:
    name = np.dtype(dt).name
    if name not in allowed:
        raise UnsupportedModel(f"dtype {name} is not one of gradserve's ({', '.join(allowed)})")
    return name


def _floating(dt: np.dtype) -> bool:
    """A real float type: NumPy's kind "f", or bfloat16 (ml_dtypes' kind is "V")."""
    return dt.kind == "f" or dt.name == "bfloat16"


def _empty_reduction(op: str, dtype: str):
    """A reduction's value over nothing: its identity (ONNX's and NumPy's; max of nothing is the lowest)."""
    dt = np.dtype(dtype)
    floating = _floating(dt)
    lo, hi = (-np.inf, np.inf) if floating else (np.iinfo(dt).min, np.iinfo(dt).max) if dt.kind in "iu" else (0, 1)
    value = {"sum": 0, "prod": 1, "max": lo, "min": hi, "logsumexp": -np.inf if floating else None}.get(op)
    if value is None:
        raise UnsupportedModel(f"{op} over a zero-size axis of a {dtype} tensor (no value: the reduction is empty)")
    return value


class GraphWriter:
    """Inputs, parameters (with values) and nodes of one graph; values are named strings."""

    def __init__(self, name: str = "main", dtypes: Sequence[str] = NP_DTYPES):
        self.name = name
        self.dtypes = tuple(dtypes)  # the dtypes its values may have (others: UnsupportedModel)
        self.inputs: list[dict] = []
        self.params: list[dict] = []
        self.values: dict[str, np.ndarray] = {}
        self.frozen: set[str] = set()  # parameters that are not trainable (batch-norm statistics)
        self.folded: list[str] = []  # weights an exporter computed from parameters (onnx_graph.exporter_folded)
        self.output_names: list[str] | None = None  # the model's own names of the outputs (the document's)
        self.nodes: list[dict] = []
        self.avals: dict[str, tuple[tuple[int, ...], str]] = {}
        self._n = 0
        # functions of the graph (control-flow branches, loop bodies): name -> (writer, outputs),
        # shared by the writers of all of them and listed in the order they were finished, so a
        # function only uses functions before it (as graph/1 requires)
        self.functions: dict[str, tuple["GraphWriter", list[str]]] = {}
        self._fn_names: set[str] = set()

    # -- naming and declarations ------------------------------------------------------------------
    def _unique(self, base: str) -> str:
        name, k = base or "v", 0
        while name in self.avals:
            k += 1
            name = f"{base}_{k}"
        return name

    def input(self, name: str, shape, dtype) -> str:
        name = self._unique(name)
        self.avals[name] = (tuple(int(d) for d in shape), dtype_name(dtype, self.dtypes))
        self.inputs.append({"name": name, "shape": list(self.avals[name][0]), "dtype": self.avals[name][1]})
        return name

    def param(self, name: str, value, trainable: bool = True) -> str:
        value = np.asarray(value)
        name = self._unique(name)
        self.avals[name] = (tuple(value.shape), dtype_name(value.dtype, self.dtypes))
        self.params.append({"name": name, "shape": list(value.shape), "dtype": self.avals[name][1]})
        self.values[name] = value
        if not trainable:
            self.frozen.add(name)
        return name

    def shape(self, v: str) -> tuple[int, ...]:
        return self.avals[v][0]

    def dtype(self, v: str) -> str:
        return self.avals[v][1]

    def emit(self, op: str, ins: Sequence[str], attrs: dict, out_avals: Sequence[tuple]) -> list[str]:
        outs = []
        for shape, dtype in out_avals:
            self._n += 1
            name = self._unique(f"t{self._n}")
            self.avals[name] = (tuple(int(d) for d in shape), dtype_name(dtype, self.dtypes))
            outs.append(name)
        self.nodes.append({"op": op, "inputs": list(ins), "outputs": outs, "attrs": attrs})
        return outs

    def emit1(self, op: str, ins: Sequence[str], attrs: dict, shape, dtype) -> str:
        return self.emit(op, ins, attrs, [(shape, dtype)])[0]

    def doc(self, outputs, encode) -> dict:
        """The graph/1 document; `encode(array)` gives a tensor's JSON (the caller's own encoder)."""
        d = {"format": "gradserve.graph/1", "name": self.name, **self.body(outputs, encode)}
        d["params"] = [dict(p, value=encode(self.values[p["name"]])) for p in self.params]
        if self.output_names is not None:
            d["output_names"] = list(self.output_names)
        if self.functions:
            d["functions"] = {k: fw.body(outs if len(outs) != 1 else outs[0], encode)
                              for k, (fw, outs) in self.functions.items()}
        return d

    def body(self, outputs, encode) -> dict:
        """Inputs, parameters (no values), nodes and outputs: a function's JSON, or a graph's less its values."""
        def enc_attr(v):
            if isinstance(v, np.ndarray):
                return {"tensor": encode(v)}
            if isinstance(v, (list, tuple)):
                return [enc_attr(x) for x in v]
            return v

        return {"inputs": [dict(i) for i in self.inputs], "params": [dict(p) for p in self.params],
                "nodes": [dict(n, attrs={k: enc_attr(v) for k, v in n["attrs"].items()}) for n in self.nodes],
                "outputs": outputs}

    # -- functions (control flow) ---------------------------------------------------------------------
    def function_writer(self, base: str) -> "GraphWriter":
        """A writer for a new function of this graph. Functions take what they read as inputs
        (no parameters of their own), so any derivative flows through the control-flow op."""
        base = "".join(c if c.isalnum() or c in "_-." else "_" for c in base) or "fn"
        name, k = base, 0
        while name in self._fn_names:
            k += 1
            name = f"{base}_{k}"
        self._fn_names.add(name)
        w = GraphWriter(name, self.dtypes)
        w.functions, w._fn_names = self.functions, self._fn_names
        return w

    def finish(self, fw: "GraphWriter", outputs: Sequence[str]) -> str:
        """Register the function written by `fw` (after any it uses); its name for a node's attrs."""
        self.functions[fw.name] = (fw, list(outputs))
        return fw.name

    def reorder_inputs(self, names: Sequence[str]) -> None:
        """Put the inputs in the order of `names` (branches of one cond must agree)."""
        by = {i["name"]: i for i in self.inputs}
        self.inputs = [by[n] for n in names]

    # -- constants --------------------------------------------------------------------------------
    def const(self, value, dtype=None) -> str:
        a = np.asarray(value, dtype=dtype)
        dt = dtype_name(a.dtype, self.dtypes)
        flat = a.reshape(-1)
        # a fill's value travels as a float: integers past 2^53 stay a constant (2^62 + 1 became 2^62)
        finite = not _floating(a.dtype) or np.isfinite(flat[0]) if a.size else True  # (a fill's value is JSON)
        if a.size and a.dtype.kind != "c" and (flat == flat[0]).all() and finite \
                and (a.dtype.kind not in "iu" or abs(int(flat[0])) < 2 ** 53):
            return self.emit1("fill", [], {"shape": list(a.shape), "value": float(flat[0]), "dtype": dt}, a.shape, dt)
        return self.emit1("const", [], {"value": a}, a.shape, dt)

    def scalar_like(self, value: float, like: str) -> str:
        return self.const(np.asarray(value, dtype=self.dtype(like)))

    # -- shape-aware helpers (one rule each, as the engine's ops define them) ---------------------------
    def unary(self, op: str, x: str) -> str:
        return self.emit1(op, [x], {}, self.shape(x), self.dtype(x))

    def binary(self, op: str, a: str, b: str) -> str:
        shape = np.broadcast_shapes(self.shape(a), self.shape(b))
        dt = "bool" if op in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
                              "logical_and", "logical_or") else self.dtype(a)
        return self.emit1(op, [a, b], {}, shape, dt)

    def add(self, a, b):
        return self.binary("add", a, b)

    def sub(self, a, b):
        return self.binary("sub", a, b)

    def mul(self, a, b):
        return self.binary("mul", a, b)

    def div(self, a, b):
        return self.binary("div", a, b)

    def where(self, c: str, a: str, b: str) -> str:
        shape = np.broadcast_shapes(self.shape(c), self.shape(a), self.shape(b))
        return self.emit1("where", [c, a, b], {}, shape, self.dtype(a))

    def cast(self, x: str, dtype: str) -> str:
        return x if self.dtype(x) == dtype else self.emit1("cast", [x], {"dtype": dtype}, self.shape(x), dtype)

    def reshape(self, x: str, shape) -> str:
        shape = tuple(int(d) for d in shape)
        if -1 in shape:
            known = math.prod(d for d in shape if d != -1)
            shape = tuple(math.prod(self.shape(x)) // max(known, 1) if d == -1 else d for d in shape)
        if shape == self.shape(x):
            return x
        if math.prod(shape) != math.prod(self.shape(x)):
            raise UnsupportedModel(f"cannot reshape {list(self.shape(x))} to {list(shape)}")
        return self.emit1("reshape", [x], {"shape": list(shape)}, shape, self.dtype(x))

    def transpose(self, x: str, perm) -> str:
        perm = [int(p) % max(len(self.shape(x)), 1) for p in perm]
        if perm == list(range(len(perm))):
            return x
        return self.emit1("transpose", [x], {"perm": perm}, [self.shape(x)[p] for p in perm], self.dtype(x))

    def broadcast_to(self, x: str, shape) -> str:
        shape = tuple(int(d) for d in shape)
        if shape == self.shape(x):
            return x
        return self.emit1("broadcast_to", [x], {"shape": list(shape)}, shape, self.dtype(x))

    def reduce(self, op: str, x: str, axes, keepdims: bool = False) -> str:
        nd = len(self.shape(x))
        axes = sorted({int(a) % nd for a in axes}) if axes is not None else list(range(nd))
        shape = [1 if i in axes else d for i, d in enumerate(self.shape(x))] if keepdims else \
            [d for i, d in enumerate(self.shape(x)) if i not in axes]
        if not axes:
            return x
        if any(self.shape(x)[a] == 0 for a in axes):  # the engine refuses zero-size axes: the op's identity
            return self.const(np.full(shape, _empty_reduction(op, self.dtype(x)), self.dtype(x)))
        return self.emit1(op, [x], {"axis": axes, "keepdims": bool(keepdims)}, shape, self.dtype(x))

    def matmul(self, a: str, b: str, transpose_a: bool = False, transpose_b: bool = False) -> str:
        sa, sb = list(self.shape(a)), list(self.shape(b))
        if len(sa) < 2 or len(sb) < 2:
            raise UnsupportedModel(f"matmul of rank-{len(sa)} and rank-{len(sb)} operands needs rank >= 2")
        if transpose_a:
            sa[-2:] = sa[-1], sa[-2]
        if transpose_b:
            sb[-2:] = sb[-1], sb[-2]
        if sa[-1] != sb[-2]:
            raise UnsupportedModel(f"matmul: inner dimensions differ ({sa} @ {sb})")
        shape = list(np.broadcast_shapes(tuple(sa[:-2]), tuple(sb[:-2]))) + [sa[-2], sb[-1]]
        return self.emit1("matmul", [a, b], {"transpose_a": transpose_a, "transpose_b": transpose_b},
                          shape, self.dtype(a))

    def index(self, x: str, items: list) -> str:
        """Static basic indexing; items: int | [start, stop, step] | None (new axis)."""
        np_items = tuple(slice(*i) if isinstance(i, list) else i for i in items)
        shape = _probe(self.shape(x))[np_items].shape
        if shape == self.shape(x) and all(isinstance(i, list) and slice(*i).indices(d) == (0, d, 1)
                                          for i, d in zip(items, self.shape(x))) and len(items) == len(shape):
            return x
        return self.emit1("index", [x], {"index": items}, shape, self.dtype(x))

    def index_scatter(self, x: str, shape, items: list) -> str:
        return self.emit1("index_scatter", [x], {"shape": list(shape), "index": items}, shape, self.dtype(x))

    def concat(self, xs: Sequence[str], axis: int) -> str:
        if len(xs) == 1:
            return xs[0]
        s0 = list(self.shape(xs[0]))
        axis %= len(s0)
        s0[axis] = sum(self.shape(x)[axis] for x in xs)
        return self.emit1("concat", list(xs), {"axis": axis}, s0, self.dtype(xs[0]))

    def stack(self, xs: Sequence[str], axis: int) -> str:
        s0 = list(self.shape(xs[0]))
        axis %= len(s0) + 1
        s0.insert(axis, len(xs))
        return self.emit1("stack", list(xs), {"axis": axis}, s0, self.dtype(xs[0]))

    def split(self, x: str, sizes: Sequence[int], axis: int) -> list[str]:
        axis %= len(self.shape(x))
        bounds = list(np.cumsum(sizes)[:-1])
        avals = []
        for s in sizes:
            sh = list(self.shape(x))
            sh[axis] = int(s)
            avals.append((sh, self.dtype(x)))
        if len(sizes) == 1:
            return [x]
        return self.emit("split", [x], {"indices": [int(b) for b in bounds], "axis": axis}, avals)

    def softmax(self, op: str, x: str, axis: int) -> str:
        return self.emit1(op, [x], {"axis": int(axis) % len(self.shape(x))}, self.shape(x), self.dtype(x))

    def gather(self, x: str, idx: str, axis: int) -> str:
        axis %= len(self.shape(x))
        sx = self.shape(x)
        shape = sx[:axis] + self.shape(idx) + sx[axis + 1:]
        return self.emit1("gather", [x, idx], {"axis": axis}, shape, self.dtype(x))
