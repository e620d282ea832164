"""The public forms of MindSpore's tensor-only unary primitives refuse a Python number, bool, list or tuple as
MindSpore 2.10 does (its venv: `ops.exp(1.0)`, `ops.abs([1, 2])`, `ops.neg(2)`, `ops.Sqrt()([1, 2])`; a few with
its older text, TYPED):

    Failed calling Exp with "Exp()(input=float)".
    The valid calling should be: 
    "Exp()(input=<Tensor>)".

Only what `gradserve.ops` (and so mint, F, ops.operations) hands a user is checked: the SDK's own code calls the
unchecked forms (`_primitives`, `_extra.P`), which still turn a Python number into a 0-d Tensor."""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from .. import dtype as _dt
from .._calling_errors import failed_calling, input_dtype_error, primitive_name, tensor_type
from .._tensor import Tensor
from ..errors import DtypeError

# op -> MindSpore's name for its input (Sqrt's is x); MindSpore 2.10's answer for each is "Failed calling ..."
INPUT_NAMES = dict.fromkeys(
    ("abs", "acos", "acosh", "angle", "asin", "asinh", "atan", "atanh", "ceil", "conj", "cos", "cosh", "erf", "erfc",
     "exp", "expm1", "floor", "isfinite", "isinf", "log", "log1p", "logical_not", "neg", "real", "reciprocal", "relu",
     "round", "rsqrt", "sigmoid", "sign", "sin", "sinh", "square", "tan", "tanh", "trunc"), "input") | {"sqrt": "x"}
# MindSpore's spellings of the names above that are not the op's CamelCase
_PRIMS = {"isfinite": "IsFinite", "isinf": "IsInf", "logical_not": "LogicalNot"}
# the aliases gradserve.ops binds to these functions (MindSpore names their primitive, as above)
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh", "arccosh": "acosh",
           "arctanh": "atanh", "negative": "neg", "absolute": "abs"}


# op -> (MindSpore's primitive, its input's name) for those whose refusal is its older "For Primitive[...]" text
# (MindSpore 2.10: `ops.isnan(1.0)` "For Primitive[IsNan], the type of input argument[x] must be Tensor but got
# Float32."; `ops.bessel_i0([1, 2])` "... but got List[Int64*2]."; `ops.digamma(2)` "...[input] ... Int64.")
TYPED = {"isnan": ("IsNan", "x"), "bessel_i0": ("BesselI0", "x"), "i0": ("BesselI0", "x"),
         "bessel_i0e": ("BesselI0e", "input_x"), "bessel_i1": ("BesselI1", "x"), "bessel_i1e": ("BesselI1e", "input_x"),
         "digamma": ("Digamma", "input"), "imag": ("Imag", "input"), "lgamma": ("Lgamma", "x"),
         "softplus": ("Softplus", "x"), "inv": ("Inv", "x"), "invert": ("Invert", "x"), "mish": ("Mish", "input_x"),
         "selu": ("SeLU", "input_x"), "softsign": ("Softsign", "input_x")}


def _abstract_type(v: Any) -> str:
    """A Python value's type as MindSpore's abstract names it: Float32, Int64, Bool, String, List[Int64*2]..."""
    if isinstance(v, (list, tuple)):
        parts = [_abstract_type(e) for e in v]
        inner = f"{parts[0]}*{len(parts)}" if len(set(parts)) == 1 and len(parts) > 1 else ",".join(parts)
        return f"{type(v).__name__.capitalize()}[{inner}]"
    if v is None:
        return "None"
    for kind, name in ((bool, "Bool"), (int, "Int64"), (float, "Float32"), (str, "String")):
        if isinstance(v, kind):
            return name
    return "External"


def refuse(op: str, x: Any) -> None:
    """MindSpore's TypeError where x, the input of tensor-only `op`, is no Tensor."""
    if isinstance(x, Tensor):
        return
    if op in TYPED:
        prim, name = TYPED[op]
        raise TypeError(f"For Primitive[{prim}], the type of input argument[{name}] must be Tensor but got "
                        f"{_abstract_type(x)}.")
    prim = _PRIMS.get(op) or primitive_name(op)
    inputs, valid = {INPUT_NAMES[op]: x}, {INPUT_NAMES[op]: "Tensor"}
    if op == "round":  # Round()(input=float, decimals=int), its decimals a Tensor or an int
        inputs["decimals"], valid["decimals"] = 0, "Tensor, int"
    raise failed_calling(prim, {}, inputs, valid)


def checked(op: str, f: Callable) -> Callable:
    """f (the public form of op) refusing a non-Tensor first input, by position or by MindSpore's keyword."""
    if getattr(f, "_tensor_only", None) == op:
        return f

    name = TYPED[op][1] if op in TYPED else INPUT_NAMES[op]  # (the input's keyword: once, not per call)

    @functools.wraps(f)
    def g(*args, **kwargs):
        x = args[0] if args else kwargs.get(name)
        if args or name in kwargs:
            refuse(op, x)
            refuse_kernel_dtype(op, x)
        return f(*args, **kwargs)

    g._tensor_only = op  # type: ignore[attr-defined]
    return g


_SUM_VALID = {"input": "Tensor", "dim": "list of int, int, Tensor, tuple of int", "keepdim": "bool",
              "dtype": "mindspore.dtype"}


def checked_sum(f: Callable) -> Callable:
    """ops.sum refusing a non-Tensor input, a dim that is no int / list / tuple / Tensor or a keepdim that is
    no bool (MindSpore 2.10: `ops.sum(1, dim=2)`, `ops.sum(x, dim="error")`, `ops.sum(x, 2, keepdim=12)`: its
    SumExt "Failed calling ..." TypeError)."""
    @functools.wraps(f)
    def g(input, dim=None, keepdim=False, *, dtype=None, **kwargs):  # noqa: A002 - MindSpore's names
        if not isinstance(input, Tensor) or not (dim is None or isinstance(dim, (int, list, tuple, Tensor))) \
                or not isinstance(keepdim, (bool, np.bool_)):
            given = {"input": input, "dim": dim, "keepdim": keepdim, "dtype": dtype}
            raise failed_calling("SumExt", {}, given, _SUM_VALID)
        return f(input, dim, keepdim, dtype=dtype, **kwargs)
    g._tensor_only = "sum"  # type: ignore[attr-defined]  # (a checked form: tools/_stub_ops reads __wrapped__)
    return g


def bind(namespace: dict) -> None:
    """Replace the public functions of namespace (gradserve.ops's globals) by their checked forms."""
    made: dict[int, Callable] = {}  # one checked form per function: an alias stays the same object (arcsin is asin)
    for name in [*INPUT_NAMES, *TYPED, *ALIASES]:
        if name in namespace:
            f = namespace[name]
            namespace[name] = made.setdefault(id(f), checked(ALIASES.get(name, name), f))
    namespace["sum"] = checked_sum(namespace["sum"])


# ops whose engine kernels take what MindSpore 2.10's refuse -> whether they take integers (the SDK's own calls
# of them do not go through this check: norms square bools)
_FLOAT_KERNELS = {"square": True, "floor": False}


def refuse_kernel_dtype(op: str, x: Any) -> None:
    if op in _FLOAT_KERNELS:
        refuse_dtype(op, x, integers=_FLOAT_KERNELS[op])
    if op in _REAL_ONLY:
        refuse_complex(_REAL_ONLY[op], x)


# ops MindSpore 2.10 refuses a complex input (checked: ops.isfinite / isnan of complex64, a TypeError)
_REAL_ONLY = {"isfinite": "IsFinite", "isnan": "IsNan", "isinf": "IsInf"}

# MindSpore 2.10's IsFinite's real dtypes in its text's order (ops.isfinite(complex64))
_REAL_TYPES = ("bfloat16", "bool", "float16", "float32", "float64", "int16", "int32", "int64", "int8", "uint16", "uint32",
               "uint64", "uint8")
_ISNAN_TYPES = ("bool", "float16", "float32", "float64", "int16", "int32", "int64", "int8", "uint16", "uint32", "uint64",
                "uint8")  # (IsNan's: ops.isnan(complex64))


def refuse_complex(prim: str, x: Any) -> None:
    """MindSpore 2.10's TypeError for a complex input of an op with real kernels only (isfinite, isnan, isinf,
    isneginf, isposinf: gradserve computed values for them)."""
    if isinstance(x, Tensor) and x._dtype in _dt.COMPLEX:
        if prim in ("IsInf", "IsNegInf", "IsPosInf"):  # (MindSpore 2.10's IsInf kernel selection, for all three)
            raise TypeError("Select CPU operator[IsInf] fail! Unsupported data type!")
        if prim == "IsNan":
            raise input_dtype_error(prim, "x", _ISNAN_TYPES, tensor_type(x))
        raise input_dtype_error(prim, "x", _REAL_TYPES, str(x.dtype), tensor_form=False)


def refuse_dtype(op: str, x: Any, *, integers: bool = True) -> None:
    """MindSpore 2.10's TypeError for a float-only op given a bool tensor (and, unless `integers`, an integer one):
    its CPU kernel's "Select CPU operator[Square] fail! Unsupported data type!", a DtypeError here naming both."""
    dt = x.dtype.name if isinstance(x, Tensor) else None
    if dt == "bool" or (not integers and dt is not None and dt not in _dt.FLOAT and dt not in _dt.COMPLEX):
        raise DtypeError(f"{op}: not defined for {dt} tensors (MindSpore 2.10: 'Select CPU operator"
                         f"[{primitive_name(op)}] fail! Unsupported data type!'); cast to a float type first",
                         detail={"op": op, "dtype": dt})
