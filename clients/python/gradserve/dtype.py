"""MindSpore-style dtype names: `float16`, `float32`, `float64`, `int32`, `int64`, `bool_`, `complex64`,
`complex128`, `int8`, `int16`, `uint8`, `uint16`, `uint32`, `uint64`, `bfloat16` (NumPy arrays of ml_dtypes'
bfloat16, as MindSpore's asnumpy() gives its own)."""
from __future__ import annotations

import ml_dtypes
import numpy as np


class Type:
    """A tensor element type. `str()` is MindSpore's spelling (Float32); `.name` the engine's (float32)."""

    __slots__ = ("name", "np")

    def __init__(self, name: str):
        self.name = name
        self.np = np.dtype(name if name != "bool" else np.bool_)  # (bfloat16: ml_dtypes registers the name)

    def __str__(self) -> str:  # (MindSpore 2.10: UInt8, BFloat16)
        if self.name.startswith(("uint", "bfloat")):
            return self.name[0].upper() + self.name[1].upper() + self.name[2:]
        return "Bool" if self.name == "bool" else self.name.capitalize()

    def __repr__(self) -> str:  # (MindSpore 2.10: mindspore.float32, mindspore.bool: in a list's text, `{t!r}`)
        return f"mindspore.{self.name}"

    def __eq__(self, other) -> bool:
        try:
            return self.name == to_name(other)
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.name)


float16 = Type("float16")
float32 = Type("float32")
float64 = Type("float64")
int32 = Type("int32")
int64 = Type("int64")
bool_ = Type("bool")
complex64 = Type("complex64")
complex128 = Type("complex128")
int8 = Type("int8")
int16 = Type("int16")
uint8 = Type("uint8")
uint16, uint32, uint64 = Type("uint16"), Type("uint32"), Type("uint64")
bfloat16 = Type("bfloat16")
half, single, double, float_ = float16, float32, float64, float32


class _Category:
    """MindSpore's type categories as `MultitypeFuncGraph.register` takes them (`register(mstype.number,
    mstype.tensor_type)` is `register("Number", "Tensor")`; tensor_type is _top_types'); not element types."""

    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __str__(self) -> str:
        return self._name

    __repr__ = __str__


number = _Category("Number")
# a Tensor's top type is one object: what TopTypeof answers and what MultitypeFuncGraph.register takes ("Tensor")
from ._top_types import TensorType, tensor_type  # noqa: E402,F401  (_top_types imports nothing of gradserve)
from ._top_types import KINDS as _KINDS  # noqa: E402
# MindSpore's mstype.int_ / tuple_ / list_: the top types TopTypeof gives an int, a tuple, a list (equal to them)
int_, tuple_, list_ = (dict(_KINDS)[k] for k in (int, tuple, list))
string, type_none = dict(_KINDS)[str], dict(_KINDS)[type(None)]  # (mstype.string / type_none: str String, None)


def __getattr__(name: str):
    """mindspore.bool (MindSpore 2.x's spelling of bool_; a module attribute named bool would shadow the
    builtin in this module, so it is looked up here)."""
    if name == "bool":
        return bool_
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_BY_NAME = {t.name: t for t in (float16, float32, float64, int32, int64, bool_, complex64, complex128, int8, int16, uint8,
                                uint16, uint32, uint64, bfloat16)}
FLOAT = ("float16", "float32", "float64", "bfloat16")
_BF16 = np.dtype(ml_dtypes.bfloat16)
COMPLEX = ("complex64", "complex128")


def to_name(dt) -> str:
    """Engine dtype name of a Type, NumPy dtype, Python type or string."""
    if type(dt) is str and dt in _BY_NAME:  # (a Tensor's own dtype: an engine name is its own; np.dtype(dt).name
        return dt  # would give the same after ~2 us, on every Tensor.dtype read)
    if isinstance(dt, Type):
        if dt.name not in _BY_NAME:
            raise TypeError(f"dtype {dt} is not supported; use one of {', '.join(_BY_NAME)}")
        return dt.name
    if dt is bool:
        return "bool"
    if dt is float:
        return "float32"
    if dt is int:
        return "int64"
    try:
        name = np.dtype(dt).name
    except TypeError:
        raise TypeError(f"not a dtype: {dt!r}") from None
    if name not in _BY_NAME:
        raise TypeError(f"dtype {name} is not supported; use one of {', '.join(_BY_NAME)}")
    return name


def get(dt) -> Type:
    return _BY_NAME[to_name(dt)]


def is_float(dt) -> bool:
    return to_name(dt) in FLOAT


def promote(a: str, b: str) -> str:
    """Result dtype of a binary op between two tensor dtypes, MindSpore's rule: a float operand's
    dtype wins over an integer or bool one (int32 x float32 is float32, not NumPy's float64);
    within a kind, the wider; bool with an integer is the integer. A complex operand makes the
    result complex, wide enough for the other's parts (complex64 x float64 is complex128)."""
    if a == b:
        return a
    if a in COMPLEX or b in COMPLEX:
        return "complex128" if "complex128" in (a, b) or "float64" in (a, b) else "complex64"
    fa, fb = a in FLOAT, b in FLOAT
    if fa != fb:
        return a if fa else b
    if "bfloat16" in (a, b):  # bfloat16 with float16 or float32: float32 (MindSpore 2.10, JAX, PyTorch); float64 wins
        return "float64" if "float64" in (a, b) else "float32"
    return np.promote_types(a, b).name


def check_written(written: str, other: str, subject: str) -> None:
    """MindSpore 2.10 converts no written operand (a Parameter, an in-place op's input): a TypeError in its words
    when the promoted dtype is not the written one's (float32 <- float64, int32 <- float32, bool <- int32); other
    operands are cast to the written one's dtype. subject: the words before the written dtype."""
    if written != other and promote(written, other) != written:
        raise TypeError("Data type conversion is not supported for a 'Parameter', nor for the input tensor of an "
                        f"in-place operator, {subject} {get(written)}, which cannot be converted to data type "
                        f"{get(other)} automatically.")


WIDE_UNSIGNED = ("uint16", "uint32", "uint64")


def check_implicit(a: str, b: str) -> None:
    """MindSpore 2.10 converts no operand to or from uint16 / uint32 / uint64 in a Tensor op (only bool joins
    them): `uint16 + int32`, `uint32 + uint64`, `uint64 + float32` are TypeErrors (checked in its venv)."""
    if a != b and "bool" not in (a, b) and (a in WIDE_UNSIGNED or b in WIDE_UNSIGNED):
        raise TypeError(f"Type implicit conversion between {get(a)} and {get(b)} is not supported.")


def dtype_to_nptype(type_):
    """mindspore.common.dtype.dtype_to_nptype: the NumPy scalar type of a dtype (bool_ is numpy.bool_)."""
    return np.dtype(to_name(type_)).type


def pytype_to_dtype(obj):
    """mindspore.pytype_to_dtype: the dtype of a Python or NumPy scalar type (or NumPy dtype); a Python float is
    float64 and an int int64 here (MindSpore 2.10's table), a Type is returned as it is."""
    if isinstance(obj, np.dtype):
        obj = obj.type
    if isinstance(obj, Type):
        return obj
    if not isinstance(obj, type):
        raise TypeError(f"pytype_to_dtype: the input must be a type, got {obj!r}")
    if obj in (float, complex):
        return get("float64" if obj is float else "complex128")
    try:
        return get(obj)
    except TypeError:
        raise NotImplementedError(f"pytype_to_dtype: unsupported type {obj!r}") from None


# MindSpore 2.10's Python types of its non-element types (dtype_to_pytype) and back (get_py_obj_dtype)
_PY_OF_KIND = ((int_, int), (list_, list), (tuple_, tuple), (string, str), (type_none, type(None)))


def dtype_to_pytype(type_):
    """mindspore.dtype_to_pytype: bool for bool_, int / float / complex for the integer / float / complex dtypes,
    list / tuple / str / NoneType for list_ / tuple_ / string / type_none; anything else is MindSpore's KeyError."""
    if isinstance(type_, Type) and type_.name in _BY_NAME:
        name = type_.name
        return bool if name == "bool" else complex if name in COMPLEX else float if name in FLOAT else int
    for kind, py in _PY_OF_KIND:
        if type(type_) is type(kind) and type_ == kind:
            return py
    raise KeyError(type_)


def get_py_obj_dtype(obj):
    """mindspore.common.dtype.get_py_obj_dtype: the dtype of a Python object or type (a Python float float64, an
    int int64, a NumPy scalar its own; list / tuple / str / None their kinds). MindSpore's parametrized answers (a
    Tensor's tensor[float32], a dtype's type_type) are not modelled: refused."""
    if not isinstance(obj, type):
        if isinstance(obj, Type) or hasattr(obj, "asnumpy"):
            raise NotImplementedError(f"get_py_obj_dtype: {type(obj).__name__} objects are not supported by gradserve")
        obj = type(obj)
    for kind, py in _PY_OF_KIND[1:]:
        if obj is py:
            return kind
    if obj in (float, complex):
        return get("float64" if obj is float else "complex128")
    if obj is bool or obj is int or issubclass(obj, np.generic):
        try:
            return get(obj)
        except TypeError:
            pass
    raise NotImplementedError(f"The python type {obj} cannot be converted to MindSpore type.")


__all__ = ["Type", "float16", "float32", "float64", "int32", "int64", "bool_", "complex64", "complex128", "int8", "int16",
           "uint8", "uint16", "uint32", "uint64", "bfloat16", "half",
           "single", "double", "float_", "to_name", "get", "is_float", "promote", "check_implicit", "dtype_to_nptype",
           "pytype_to_dtype", "dtype_to_pytype", "get_py_obj_dtype", "string", "type_none"]
