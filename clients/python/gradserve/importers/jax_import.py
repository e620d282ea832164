"""jax.export -> StableHLO -> `gradserve.graph/1` -> `ImportedCell`.

Why StableHLO and not the jaxpr: the exported StableHLO module is JAX's portable serialisation
contract (what jax.export versions and ships); the jaxpr is an internal, version-to-version IR.
The module is read with the MLIR Python bindings that jaxlib ships (a structured walk of typed
operations and attributes, not text matching). Private functions (func.call) are inlined;
control flow (case / if / while, which lax.cond / switch / fori_loop / scan / while_loop export
to) becomes the engine's control-flow ops (jax_control.py), each region a function of the graph.
"""
from __future__ import annotations

from typing import Any, cast

import math

import numpy as np

from . import jax_special
from .jax_series import own_domains
from ._shared.division import int_divide
from ._shared.graph_writer import GraphWriter, UnsupportedModel
from ._shared.bits import bits_to_float, shift
from .jax_bits import LAYER_OPS as BIT_OPS
from .jax_control import CONTROL_OPS, control
from .jax_layers import LAYER_OPS, arg_reduce
from .jax_lapack import lapack_call, library_function
from .jax_rng import int_bitcast, rng_bit_generator

# Integer types as they are: unsigned arithmetic wraps modulo 2^bits (hashes, RNG bits); carried as int64 a
# uint32 `x + 0xFFFFFFFF` gave 2^32 + x - 1 instead of x - 1 (silently).
_ELEM = {"f32": "float32", "f64": "float64", "f16": "float16", "bf16": "bfloat16", "i32": "int32", "i64": "int64",
         "i1": "bool", "i8": "int8", "i16": "int16", "ui8": "uint8", "ui16": "uint16", "ui32": "uint32",
         "ui64": "uint64", "complex<f32>": "complex64", "complex<f64>": "complex128"}
_UN = {"negate": "neg", "tanh": "tanh", "exponential": "exp", "log": "log", "sine": "sin", "cosine": "cos",
       "tan": "tan", "sqrt": "sqrt", "rsqrt": "rsqrt", "abs": "abs", "logistic": "sigmoid",
       "exponential_minus_one": "expm1", "log_plus_one": "log1p", "sign": "sign",
       "floor": "floor", "ceil": "ceil", "round_nearest_even": "round", "real": "real", "imag": "imag"}
_BIN = {"add": "add", "subtract": "sub", "multiply": "mul", "divide": "div", "maximum": "maximum",
        "minimum": "minimum", "power": "pow", "atan2": "atan2",
        "remainder": "fmod"}  # StableHLO's remainder takes the dividend's sign (C fmod); jnp.remainder adds selects
_BITWISE = {"and": ("bitwise_and", "logical_and"), "or": ("bitwise_or", "logical_or"),
            "xor": ("bitwise_xor", "not_equal"), "not": (None, "logical_not")}
_CMP = {"EQ": "equal", "NE": "not_equal", "LT": "less", "LE": "less_equal", "GT": "greater", "GE": "greater_equal"}
_COMPOSITES = {"chlo.erf": "erf", "chlo.tan": "tan", "chlo.sinh": "sinh", "chlo.cosh": "cosh", "chlo.asin": "asin",
               "chlo.acos": "acos", "chlo.atan": "atan", "chlo.asinh": "asinh", "chlo.acosh": "acosh",
               "chlo.atanh": "atanh"}
_RED = {"add": ("sum", 0.0), "maximum": ("max", -np.inf), "minimum": ("min", np.inf), "multiply": ("prod", 1.0),
        "and": ("min", 1.0), "or": ("max", 0.0)}
_COMBINE = {("sum", False): "add", ("max", False): "maximum", ("min", False): "minimum", ("prod", False): "mul",
            ("min", True): "logical_and", ("max", True): "logical_or"}


def _round_half_away(w: GraphWriter, x: str) -> str:
    """Round half away from zero (lax.round's default) from round half to even: they differ only at
    exact ties, |x - r| == 0.5, where x + 0.5 * sign(x) is exact (an integer of x's magnitude)."""
    r = w.unary("round", x)
    tie = w.binary("equal", w.unary("abs", w.sub(x, r)), w.scalar_like(0.5, x))
    return w.where(tie, w.add(x, w.mul(w.unary("sign", x), w.scalar_like(0.5, x))), r)


def _bitwise(w, short: str, ins: list[str], dtype: str) -> str:
    """StableHLO and / or / xor / not: logical on bool, bitwise on integers (~x is x ^ all-ones)."""
    if short == "not":
        if dtype == "bool":
            return w.unary("logical_not", ins[0])
        return w.binary("bitwise_xor", ins[0], w.scalar_like(np.iinfo(dtype).max if dtype.startswith("u") else -1,
                                                             ins[0]))
    op_name, bool_op = _BITWISE[short]
    return w.binary(bool_op if dtype == "bool" else op_name, ins[0], ins[1])


def _convert(w: GraphWriter, x: str, dtype: str) -> str:
    """StableHLO convert as XLA computes it: a float to an integer type saturates at the type's bounds and NaN
    becomes 0 ((img * 255).astype(uint8) of 1.0 + a little is 255; a plain cast wrapped it to 0)."""
    if not (w.dtype(x).startswith(("float", "bfloat")) and np.dtype(dtype).kind in "iu"):
        return w.cast(x, dtype)
    info = np.iinfo(dtype)
    x = w.cast(x, "float64")  # exact for every float type, and for the bounds up to 32 bits
    top = float(info.max) if info.bits < 64 else float(np.nextafter(2.0 ** info.bits if dtype.startswith("u")
                                                                    else 2.0 ** 63, 0))
    inside = w.binary("minimum", w.binary("maximum", x, w.scalar_like(float(info.min), x)), w.scalar_like(top, x))
    y = w.cast(w.where(w.binary("not_equal", x, x), w.scalar_like(0, x), inside), dtype)
    if info.bits == 64:  # the bound itself is no float64: above the largest float64 below it
        y = w.where(w.binary("greater", x, w.scalar_like(top, x)), w.scalar_like(info.max, y), y)
    return y


def _aval(t):
    from jaxlib.mlir import ir

    rt = ir.RankedTensorType(t)
    et = str(rt.element_type)
    if et not in _ELEM:
        raise UnsupportedModel(f"element type {et} is not supported")
    return [int(d) for d in rt.shape], _ELEM[et]  # a tuple: compared with (shape, dtype) of the writer


def _ints(attr) -> list[int]:
    from jaxlib.mlir import ir

    return [int(v) for v in ir.DenseI64ArrayAttr(attr)]


def _dense(attr, shape, dtype) -> np.ndarray:
    from jaxlib.mlir import ir

    a = ir.DenseElementsAttr(attr)
    if a.is_splat:
        s = a.get_splat_value()
        v = ir.FloatAttr(s).value if dtype.startswith(("float", "bfloat")) else \
            (ir.BoolAttr(s).value if dtype == "bool" else ir.IntegerAttr(s).value)
        return np.full(shape, v, dtype=dtype)
    return np.asarray(np.array(a), dtype=dtype).reshape(shape)



def _complex_dense(text: str, shape, dtype) -> np.ndarray:
    """A complex constant from its op's MLIR text: raw little-endian bytes ("0x..."), or (re,im) pairs; one
    value is a splat."""
    import re

    raw = re.search(r'"0x([0-9A-Fa-f]+)"', text)
    if raw:
        vals = np.frombuffer(bytes.fromhex(raw.group(1)), dtype=np.dtype(dtype).newbyteorder("<"))
    else:
        try:
            vals = np.array([complex(float(r), float(i)) for r, i in re.findall(r"\(([^,()]+),([^,()]+)\)", text)],
                            dtype=dtype)
        except ValueError:
            raise UnsupportedModel(f"a complex constant written as {text[:80]!r}") from None
    if vals.size not in (1, math.prod(shape)):
        raise UnsupportedModel(f"a complex constant of {vals.size} values for shape {list(shape)}")
    return np.full(shape, vals[0], dtype) if vals.size == 1 else vals.astype(dtype).reshape(shape)


def _where(loc) -> str:
    """An MLIR location as `primitive at file:line in function` (not its whole call-site chain)."""
    import re

    s = str(loc)
    names = re.findall(r'"([^"]+)"', s)
    frame = re.search(r'"([^"]+)"\("([^"]+)":(\d+)', s)
    if frame:
        return f"{names[0]} at {frame.group(2)}:{frame.group(3)} in {frame.group(1)}"
    return names[0] if names else s[:200]


def _lax_clamp(w, lo, x, hi):
    """lax.clamp with JAX's derivative: x's only strictly inside (lo, hi), a bound's only where x is strictly
    beyond it, none on the bounds (where minimum / maximum would split the tie)."""
    inside = w.binary("logical_and", w.binary("greater", x, lo), w.binary("less", x, hi))
    held = w.unary("stop_gradient", w.binary("minimum", w.binary("maximum", x, lo), hi))
    bound = w.where(w.binary("less", x, lo), lo, w.where(w.binary("greater", x, hi), hi, held))
    return w.where(inside, x, bound)

class _Fn:
    """Converts one func.func body (or a region, as a function) into writer calls; `env` maps MLIR
    value names to graph values. A region reads values of its enclosing scope (`parent`): they
    become inputs of its function (`captures`: parent graph value -> input), or constants."""

    def __init__(self, w: GraphWriter, funcs: dict, parent=None, while_max_trips: int | None = None):
        self.w, self.funcs, self.parent = w, funcs, parent
        self.max_trips = while_max_trips if parent is None else parent[0].max_trips
        self.consts: dict[str, np.ndarray] = {}
        self.captures: dict[str, str] = {}
        self.bit_patterns: dict[str, str] = {}  # bitcast_convert float -> int: placeholder -> the float
        self.elementwise = False  # a reduction body run on whole tensors (jax_windows): no result-type check
        self.qr_of_taus: dict[str, str] = {}  # geqrf's taus -> the Q orgqr gives (jax_lapack)

    def run(self, func, args: list[str]) -> list[str]:
        return self.run_block(func.regions[0].blocks[0], args)

    def get(self, env: dict, name: str) -> str:
        if name in env or self.parent is None:
            return env[name]
        outer, outer_env = self.parent
        pv = outer.get(outer_env, name)
        if pv in outer.consts:  # a static value stays static (bounds, reduce identities)
            env[name] = self.w.const(outer.consts[pv])
            self.consts[env[name]] = outer.consts[pv]
        else:
            env[name] = self.capture(pv)
        return env[name]

    def capture(self, pv: str) -> str:
        """Parent value `pv` as an input of this function (even when unused: branches agree)."""
        if pv not in self.captures:
            assert self.parent is not None  # only a region's function captures from its parent
            self.captures[pv] = self.w.input(pv, *self.parent[0].w.avals[pv])
        return self.captures[pv]

    def region(self, region, base: str, env: dict) -> tuple["_Fn", list[str], list[str]]:
        """A region as a new function: (its converter, its block-argument inputs, its outputs)."""
        child = _Fn(self.w.function_writer(base), self.funcs, parent=(self, env))
        block = region.blocks[0]
        args = [child.w.input(f"a{i}", *_aval(a.type)) for i, a in enumerate(block.arguments)]
        return child, args, child.run_block(block, args)

    def const_of(self, value, env: dict) -> np.ndarray | None:
        """The constant value of an MLIR value seen from `env`, or None."""
        owner = value.owner
        if getattr(owner, "name", None) == "stablehlo.constant":
            return _dense(owner.attributes["value"], *_aval(value.type))
        try:
            return self.consts.get(self.get(env, value.get_name()))
        except KeyError:
            return None

    def run_block(self, block, args: list[str]) -> list[str]:
        env = {a.get_name(): v for a, v in zip(block.arguments, args)}
        for op in block.operations:
            name = op.operation.name
            if name in ("func.return", "stablehlo.return"):
                return [self.get(env, o.get_name()) for o in op.operands]
            ins = [self.get(env, o.get_name()) for o in op.operands]
            if any(v in self.bit_patterns for v in ins) and name != "stablehlo.shift_right_arithmetic":
                raise UnsupportedModel(f"op {name} of a float's bit pattern (bitcast_convert) is not supported "
                                       f"({_where(op.location)}): only its sign (jnp.signbit) is", op=name)
            try:
                outs = control(self, op, name, ins, env) if name in CONTROL_OPS else self.op(op, name, ins)
            except UnsupportedModel as e:
                if e.op is None:
                    e.op = name
                    e.args = (f"op {name} ({_where(op.location)}): {e.args[0]}",)
                raise
            for r, v in zip(op.results, outs):
                if not self.elementwise and (list(self.w.shape(v)), self.w.dtype(v)) != _aval(r.type):
                    raise UnsupportedModel(f"op {name} mapped to {self.w.avals[v]}, StableHLO says {_aval(r.type)}",
                                           op=name)
                env[r.get_name()] = v
        raise UnsupportedModel("block without a return")

    def _keep_converted(self, x: str, y: str, dtype: str) -> None:
        """A converted constant stays known (jnp.pad's padding value), unless a float saturates or is NaN."""
        c = self.consts.get(x)
        if c is None:
            return
        if c.dtype.kind == "f" and np.dtype(dtype).kind in "iu" and c.size:
            info = np.iinfo(dtype)
            if not (np.isfinite(c).all() and info.min <= c.min() and c.max() < info.max):
                return
        self.consts[y] = c.astype(dtype)

    def op(self, op, name: str, ins: list[str]) -> list[str]:
        w = self.w
        short = name.split(".", 1)[1] if name.startswith("stablehlo.") else None
        shape, dtype = cast(Any, _aval(op.results[0].type) if len(op.results) else (None, None))
        if short in _UN:  # typed as the result: abs / real / imag of a complex operand are real
            return [w.emit1(_UN[short], [ins[0]], {}, shape, dtype)]
        if short == "complex":
            return [w.emit1("complex", ins, {}, shape, dtype)]
        special = self.special_forms(op, short, ins, shape, dtype)
        if special is not None:
            return special
        if short in _BIN:
            return [w.binary(_BIN[short], ins[0], ins[1])]
        if short in _BITWISE:
            return [_bitwise(w, short, ins, dtype)]
        if short == "round_nearest_afz":
            return [_round_half_away(w, ins[0])]
        if short == "constant":  # a complex one from the op's text: the bindings cannot read its attribute
            value = _complex_dense(str(op), shape, dtype) if dtype.startswith("complex") else \
                _dense(op.attributes["value"], shape, dtype)
            name = w.const(value)
            self.consts[name] = value
            return [name]
        if short == "compare":
            from jaxlib.mlir.dialects import stablehlo

            d = stablehlo.ComparisonDirectionAttr(op.attributes["comparison_direction"]).value
            return [w.binary(_CMP[d], ins[0], ins[1])]
        if short == "select":
            return [w.where(*ins)]
        if short == "convert":
            y = _convert(w, ins[0], dtype)
            self._keep_converted(ins[0], y, dtype)
            return [y]
        if short == "reshape":
            return [w.reshape(ins[0], shape)]
        if short == "transpose":
            return [w.transpose(ins[0], _ints(op.attributes["permutation"]))]
        if short == "broadcast_in_dim":
            y = self.broadcast(ins[0], _ints(op.attributes["broadcast_dimensions"]), shape)
            if ins[0] in self.consts and self.consts[ins[0]].size == 1:  # a splat stays a known constant
                self.consts[y] = np.full(shape, self.consts[ins[0]].reshape(-1)[0], dtype=dtype)
            return [y]
        if short == "dot_general":
            return [self.dot_general(op, ins[0], ins[1], shape)]
        if short == "reduce":
            return arg_reduce(self, op, ins) if len(ins) == 4 else [self.reduce(op, ins)]
        if short == "slice":
            st, lim, strd = (_ints(op.attributes[k]) for k in ("start_indices", "limit_indices", "strides"))
            return [w.index(ins[0], [[a, b, c] for a, b, c in zip(st, lim, strd)])]
        if short == "concatenate":
            from jaxlib.mlir import ir

            return [w.concat(ins, ir.IntegerAttr(op.attributes["dimension"]).value)]
        if short == "iota":
            return [self.iota(op, shape, dtype)]
        if short == "dynamic_slice":  # starts clamped to fit, as the engine's op (lax.scan reads xs[i])
            return [w.emit1("dynamic_slice", ins, {"sizes": _ints(op.attributes["slice_sizes"])}, shape, dtype)]
        if short == "dynamic_update_slice":  # lax.scan writes ys[i]
            return [w.emit1("dynamic_update_slice", ins, {}, shape, dtype)]
        if short == "clamp":
            return [_lax_clamp(w, *ins)]
        if name == "func.call":
            from jaxlib.mlir import ir

            callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
            return library_function(self, callee, ins) or self.run(self.funcs[callee], ins)
        if short == "composite":
            return self.composite(op, ins)
        if short == "rng_bit_generator":
            return self.rng(op, ins)
        if short in LAYER_OPS or short in BIT_OPS:
            return (LAYER_OPS.get(short) or BIT_OPS[short])(self, op, ins, shape, dtype)
        what = name
        if short == "custom_call":  # a library kernel (LAPACK for jnp.linalg's factorisations): mapped or named
            outs, what = self.custom_call(op, name, ins)
            if outs is not None:
                return outs
        raise UnsupportedModel(f"op {what} is not supported by the StableHLO importer ({_where(op.location)})",
                               op=name, node=_where(op.location))

    def special_forms(self, op, short, ins: list[str], shape, dtype) -> list[str] | None:
        """Ops mapped other than one to one: x * inf (erf_inv's |x| = 1 branch) as sign(x) * inf, whose
        derivative is 0, not 0 * inf = nan where a select discards the branch; integer divide; signbit."""
        w = self.w
        if short == "optimization_barrier":  # the identity on every operand (a scheduling hint to XLA)
            return list(ins)
        if short == "cbrt":
            from .torch_special import cbrt

            return [cbrt(w, ins[0])]
        if short in ("maximum", "minimum"):
            # max(-inf, y) = y: JAX's softmax writes one; a -inf in the graph would meet a zero
            # cotangent in the derivative (0 * inf = nan), so the identity is dropped here.
            ident = -np.inf if short == "maximum" else np.inf
            for a, b in ((ins[0], ins[1]), (ins[1], ins[0])):
                c = self.consts.get(a)
                if c is not None and np.all(c == ident):
                    return [w.broadcast_to(b, shape)]
        if short == "multiply":
            for a, b in ((ins[0], ins[1]), (ins[1], ins[0])):
                c = self.consts.get(b)
                if c is not None and c.size and np.all(np.isinf(c)):
                    return [w.binary("mul", w.unary("sign", a), b)]
        if short == "divide" and not dtype.startswith(("float", "bfloat", "complex")):
            return [int_divide(w, ins[0], ins[1], "trunc")]  # truncates toward zero
        if short == "bitcast_convert" and w.dtype(ins[0]).startswith(("int", "uint")):  # random mantissa bits
            if dtype.startswith(("int", "uint")):  # (jax.random's rbg keys: uint32 pairs <-> uint64 states)
                return [int_bitcast(w, ins[0], dtype, shape)]
            return [bits_to_float(w, ins[0], dtype)]
        if short == "shift_right_arithmetic" and ins[0] not in self.bit_patterns:
            return [shift(w, short, ins[0], ins[1])]
        if short in ("bitcast_convert", "shift_right_arithmetic"):
            return [self.sign_bits(op, short, ins, shape, dtype)]
        return None

    def rng(self, op, ins: list[str]) -> list[str]:
        """rng_bit_generator (jax_rng.py): its algorithm read from `#stablehlo<rng_algorithm X>`."""
        algorithm = str(op.attributes["rng_algorithm"]).split("<", 1)[-1].rstrip(">").split()[-1]
        return rng_bit_generator(self.w, algorithm, ins[0], _aval(op.results[1].type))

    def sign_bits(self, op, short: str, ins: list[str], shape, dtype) -> str:
        """jnp.signbit: bitcast_convert of a float to an int of its width, shifted right arithmetically by
        width - 1: -1 where the sign bit is set, else 0 (-0.0 reads as +0.0: the graph has no sign bit)."""
        w = self.w
        if short == "bitcast_convert":
            src = w.dtype(ins[0])
            if not src.startswith("float") or np.dtype(src).itemsize != np.dtype(dtype).itemsize:
                raise UnsupportedModel(f"bitcast_convert {src} -> {dtype} (only a float's sign is read)")
            name = w.const(np.zeros(shape, dtype))
            self.bit_patterns[name] = ins[0]
            return name
        x = self.bit_patterns.get(ins[0])
        amount = self.consts.get(ins[1])
        if x is None or amount is None or np.any(amount != np.dtype(dtype).itemsize * 8 - 1):
            raise UnsupportedModel("shift_right_arithmetic other than a float's sign bit (jnp.signbit)")
        return w.unary("neg", w.cast(w.binary("less", x, w.scalar_like(0, x)), dtype))

    def custom_call(self, op, name: str, ins: list[str]) -> tuple[list[str] | None, str]:
        """(the engine ops of a LAPACK kernel jax_lapack.py maps, or None; the call named for an error)."""
        from jaxlib.mlir import ir

        target = ir.StringAttr(op.attributes["call_target_name"]).value
        return lapack_call(self, op, target, ins, [_aval(r.type) for r in op.results]), f"{name} @{target}"

    def iota(self, op, shape, dtype) -> str:
        """stablehlo.iota as a known constant (argmax's reduce pairs values with an iota)."""
        from jaxlib.mlir import ir

        axis = ir.IntegerAttr(op.attributes["iota_dimension"]).value
        iota = np.broadcast_to(np.arange(shape[axis]).reshape([-1 if i == axis else 1 for i in range(len(shape))]),
                               shape).astype(dtype)
        name = self.w.const(iota)
        self.consts[name] = iota
        return name

    def composite(self, op, ins: list[str]) -> list[str]:
        """A named composite (chlo.erf, ...): the matching op when there is one (exact, with exact
        derivatives), else its decomposition function inlined."""
        from jaxlib.mlir import ir

        kind = ir.StringAttr(op.attributes["name"]).value
        if kind in _COMPOSITES and len(ins) == 1:
            return [self.w.unary(_COMPOSITES[kind], ins[0])]
        if kind in jax_special.UNARY_COMPOSITES and len(ins) == 1:  # gradserve.erfc / lgamma / digamma
            from . import torch_special

            return [getattr(torch_special, kind.split(".", 1)[1])(self.w, ins[0])]
        if kind in jax_special.COMPOSITE_OPS:  # (a, x), already broadcast to one shape by JAX
            return [self.w.binary(jax_special.COMPOSITE_OPS[kind], ins[0], ins[1])]
        if kind in jax_special.TERNARY_OPS and len(ins) == 3:  # (a, b, x), broadcast to one shape by JAX
            return [self.w.emit1(jax_special.TERNARY_OPS[kind], ins, {}, self.w.shape(ins[2]), self.w.dtype(ins[2]))]
        if kind in jax_special.REFUSED:
            raise UnsupportedModel(f"op {kind.split('.', 1)[1]} ({_where(op.location)}): {jax_special.REFUSED[kind]}",
                                   op=kind.split(".", 1)[1])
        return self.run(self.funcs[ir.FlatSymbolRefAttr(op.attributes["decomposition"]).value], ins)

    def broadcast(self, x: str, dims: list[int], shape: list[int]) -> str:
        w = self.w
        if dims != sorted(dims):
            x = w.transpose(x, [dims.index(d) for d in sorted(dims)])
            dims = sorted(dims)
        s = w.shape(x)
        mid = [1] * len(shape)
        for i, d in enumerate(dims):
            mid[d] = s[i]
        return w.broadcast_to(w.reshape(x, mid), shape)

    def dot_general(self, op, a: str, b: str, shape) -> str:
        from jaxlib.mlir.dialects import stablehlo

        w = self.w
        dn = stablehlo.DotDimensionNumbers(op.attributes["dot_dimension_numbers"])
        lb, rb = list(dn.lhs_batching_dimensions), list(dn.rhs_batching_dimensions)
        lc, rc = list(dn.lhs_contracting_dimensions), list(dn.rhs_contracting_dimensions)
        sa, sb = w.shape(a), w.shape(b)
        lf = [i for i in range(len(sa)) if i not in lb + lc]
        rf = [i for i in range(len(sb)) if i not in rb + rc]
        prod = lambda s, ix: int(np.prod([s[i] for i in ix], dtype=np.int64))  # noqa: E731
        bshape = [sa[i] for i in lb]
        a2 = w.reshape(w.transpose(a, lb + lf + lc), [prod(sa, lb), prod(sa, lf), prod(sa, lc)])
        b2 = w.reshape(w.transpose(b, rb + rc + rf), [prod(sb, rb), prod(sb, rc), prod(sb, rf)])
        return w.reshape(w.matmul(a2, b2), bshape + [sa[i] for i in lf] + [sb[i] for i in rf])

    def reduce(self, op, ins: list[str]) -> str:
        w = self.w
        if len(ins) != 2:
            raise UnsupportedModel("variadic reduce (several operands)")
        body = [o.operation.name for o in op.regions[0].blocks[0].operations]
        kind = body[0].split(".", 1)[1] if len(body) == 2 else None
        if kind not in _RED:
            raise UnsupportedModel(f"reduce with body {body}")
        red, ident = _RED[kind]
        x = ins[0]
        boolean = w.dtype(x) == "bool"  # reduce and / or: min / max of 0 / 1
        y = w.reduce(red, w.cast(x, "float32") if boolean else x, _ints(op.attributes["dimensions"]))
        y = w.binary("greater", y, w.scalar_like(0.0, y)) if boolean else y
        init = self.consts.get(ins[1])
        if init is None or init.size != 1 or float(init.reshape(-1)[0]) != ident:
            y = w.binary(_COMBINE[red, boolean], y, ins[1])
        return y


def jax_to_writer(fn, example_args: tuple, params=None, while_max_trips: int | None = None):
    call_args = ((params,) if params is not None else ()) + tuple(example_args)
    with own_domains(fn, call_args):
        return _export_to_writer(fn, call_args, params, while_max_trips)


def _export_to_writer(fn, call_args: tuple, params, while_max_trips: int | None):
    import jax

    from .jax_custom import forward_mode_refusal, has_custom_rule, with_jax_vjp

    exp = jax_special.export(fn, call_args)
    leaves_kp = jax.tree_util.tree_flatten_with_path(call_args)[0]
    n_param = len(jax.tree_util.tree_leaves(params)) if params is not None else 0
    w = GraphWriter(getattr(fn, "__name__", "jax_fn"))
    leaves = []
    for i, (path, leaf) in enumerate(leaves_kp):
        a = np.asarray(leaf)
        if i < n_param:
            name = ".".join(str(getattr(k, "key", getattr(k, "idx", k))) for k in path[1:])
            leaves.append(w.param(name or f"p{i}", a))
        else:
            leaves.append(w.input(f"x{i - n_param}", a.shape, a.dtype))
    try:
        outputs = run_module(w, exp, leaves, while_max_trips)
        if has_custom_rule(fn, call_args):  # the rule is not in the StableHLO: JAX's own VJP carries it
            outputs = with_jax_vjp(w, exp, leaves, outputs, lambda fw, e, a: run_module(fw, e, a, while_max_trips),
                                   no_jvp=forward_mode_refusal(fn, call_args))
    except UnsupportedModel as e:
        e.in_model(w.name)
        raise
    return w, outputs


def run_module(w: GraphWriter, exp, leaves: list[str], while_max_trips: int | None) -> list[str]:
    """An Exported's StableHLO into writer `w`, its arguments being `leaves` (all of the flat inputs,
    those the module keeps passed): the graph values of its results."""
    from jax._src.interpreters import mlir as jmlir
    from jaxlib.mlir import ir

    from .jax_lapack import refuse_known_kernels

    args = [leaves[i] for i in sorted(exp.module_kept_var_idx)]
    text = exp.mlir_module()
    refuse_known_kernels(text)
    with jmlir.make_ir_context() as ctx:
        mod = ir.Module.parse(text, context=ctx)
        funcs = {ir.StringAttr(op.attributes["sym_name"]).value: op for op in mod.body.operations}
        return _Fn(w, funcs, while_max_trips=while_max_trips).run(funcs["main"], args)


def jax_to_cell(fn, example_args: tuple, params=None, while_max_trips: int | None = None):
    from ..nn._imported_cell import cell_from_writer

    w, outputs = jax_to_writer(fn, tuple(example_args), params, while_max_trips)
    return cell_from_writer(w, outputs, getattr(fn, "__name__", "jax_fn"))
