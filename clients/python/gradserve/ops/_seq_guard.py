"""A list or tuple as the other operand of a Tensor method or an ops function MindSpore 2.10 refuses it for
(h-left30 did the operators: gradserve/_seq_operands). Checked in its venv, /work/ms_suite_left31/probe/p2*.py:
`t.maximum((u,))`, `t.ne([u])`, `ops.maximum(t, (u,))`, `ops.atan2(t, (1.0, 2.0))`... are TypeErrors there, where
ours read the sequence as a tensor and answered. Their texts are PyNative's, three kinds: an argument parser's
("maximum(): argument 'other' (position 1) must be Tensor, not tuple."; GRAPH_MODE's names the method and writes
"tuple of Any"), an overload's (`t.eq((u,))`: _seq_operands.overload_error) and a primitive's (`ops.maximum`:
_seq_operands.refuse_primitive); Fmax / Hypot write an implicit conversion's. GRAPH_MODE's overload and primitive
texts differ in spelling (lower-case, "other=Tuple[Tensor[Float32]]"): there these keep PyNative's text and class.
Sequences MindSpore reads as a tensor (`t.add((u,))`, `t.sub([u])`) are not guarded."""
from __future__ import annotations

import functools
import sys
from typing import Any, Callable

from .._seq_operands import FORMS, graph_type, is_seq, overload_error, refuse_primitive
from .._calling_errors import failed_calling, primitive_type
from .._tensor import Tensor
from .._trace import graph_semantics
from .. import _overload_errors
from ._primitives import _compiled, _keyword_inputs

__all__ = ["bind"]

# Tensor.<method> -> the name PyNative's argument parser writes
_PARSED = {"maximum": "maximum", "minimum": "minimum", "ne": "not_equal", "not_equal": "not_equal", "gt": "greater",
           "greater": "greater", "le": "less_equal", "less_equal": "less_equal", "true_divide": "true_divide",
           "logical_xor": "logical_xor", "subtract": "subtract"}
_NT = ["other=<Number>", "other=<Number, Tensor>"]
_LOGICAL = ["y=<Tensor, bool>", "other=<Tensor, bool>"]
_XLOGY = ["other=<Tensor>", "other=<Number>", "other=<Number, Tensor>"]
# Tensor.<method> -> (the name its overload text writes, its forms)
_OVERLOADED = {"eq": ("eq", _NT), "lt": ("less", ["other=<Number>", "other=<Number, Tensor, bool>"]),
               "less": ("less", ["other=<Number>", "other=<Number, Tensor, bool>"]),
               "ge": ("greater_equal", _NT), "greater_equal": ("greater_equal", _NT),
               "floor_divide": ("floor_divide", _NT), "fmod": ("fmod", _XLOGY),
               "remainder": ("remainder", ["other=<Tensor>", "other=<Number>", "divisor=<Number, Tensor>"]),
               "atan2": ("atan2", ["other=<Number, Tensor>"]), "logical_and": ("logical_and", _LOGICAL),
               "logical_or": ("logical_or", _LOGICAL), "bitwise_and": ("bitwise_and", ["other=<Tensor>", "other=<Number>"]),
               "xlogy": ("xlogy", _XLOGY)}
_CONVERTED = {"fmax": "Fmax", "hypot": "Hypot"}  # Tensor.<method> / ops.<name> -> the primitive its text names
# ops.<function> -> the _seq_operands.PRIMS entry of its primitive
_FUNCTIONS = {"maximum": "maximum", "minimum": "minimum", "not_equal": "not_equal", "greater": "greater",
              "greater_equal": "greater_equal", "less_equal": "less_equal", "pow": "pow", "atan2": "atan2",
              "xlogy": "xlogy", "true_divide": "div", "divide": "div", "floor_divide": "floor_divide",
              "remainder": "floor_divide", "fmod": "fmod", "logical_and": "logical_and", "logical_or": "logical_or",
              "isclose": "isclose", "equal": "equal"}
_KEYWORDED = {"equal"}  # (its x= / y= keywords read as its inputs)
_ALIASES = {"ne": "not_equal", "gt": "greater", "ge": "greater_equal", "le": "less_equal", "lt": "less", "eq": "equal"}


def converted_error(prim: str, x: Any, other: Any) -> TypeError:
    """Fmax / Hypot's TypeError for a sequence operand (MindSpore 2.10 PyNative writes a sequence holding a Tensor
    as "Tuple[]", a list too, and a tuple of floats as "Tuple[Float32*2]")."""
    pos, v = (1, x) if is_seq(x) else (2, other)
    shown = graph_type(v) if prim == "Fmax" and graph_semantics() else None
    if shown:  # (GRAPH_MODE's Fmax; its Hypot fails inside, a RuntimeError "The pointer[shape_ptr] is null.")
        return TypeError(f"For Primitive[Fmax], the type of input argument[x{pos}] must be Tensor but got {shown}.")
    kind = f"Float32*{len(v)}" if v and all(type(e) is float for e in v) else ""
    return TypeError(f"For '{prim}', the {pos}th input var can not be implicitly converted. Its type is Tuple[{kind}]. "
                     "Only support Tensor or Scalar.")


def _method_error(name: str, other: Any, keyword: "str | None") -> "TypeError | None":
    if name == "copysign":  # (both modes)
        return TypeError(f"integer, float or Tensor is expected, but got {type(other)}")
    if name in ("div", "divide", "pow"):  # (GRAPH_MODE's lower-case div / pow texts: _overload_errors')
        graph = _overload_errors.overload_error(name, (other,), {}) \
            if graph_semantics() and name in _overload_errors.FORMS else None
        return graph or overload_error(FORMS[name[:3]][0], FORMS[name[:3]][1], [other], keyword)
    if name in _CONVERTED:
        return converted_error(_CONVERTED[name], None, other)
    if name in _PARSED:
        kind = type(other).__name__
        if graph_semantics():
            return TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not {kind} of Any.")
        parser = _PARSED[name]
        if keyword:
            return TypeError(f"{parser}(): argument 'other' must be Tensor but got {kind}.")
        return TypeError(f"{parser}(): argument 'other' (position 1) must be Tensor, not {kind}.")
    shown, forms = _OVERLOADED[name]
    return overload_error(shown, [f"Tensor.{shown}({f})" for f in forms], [other], keyword)


def _guard_method(name: str, method: Callable) -> Callable:
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        other, keyword = (args[0], None) if args else next(
            ((v, k) for k, v in kwargs.items() if k in ("other", "exponent")), (None, None))
        error = _method_error(name, other, keyword) if is_seq(other) else None
        if error is not None:
            raise error
        return method(self, *args, **kwargs)
    return guarded


def _number(v: Any) -> bool:
    return type(v) in (int, float, bool)


def _two_numbers(name: str, x: Any, other: Any) -> TypeError:
    """ops.equal / ops.less of two Python numbers: MindSpore 2.10 refuses them, in both modes (its GRAPH_MODE texts
    differ in spelling: PyNative's kept, as for sequences above); ops.gt, ops.ne, ... answer them."""
    if name == "less":  # (its first form underlines the input, its second both: MindSpore 2.10's layout)
        given = f"{primitive_type(x)}, {primitive_type(other)}"
        head, first = "    match failed because invalid types: (", len(primitive_type(x)) + 2
        return TypeError("\n".join([
            f'Failed calling less with "less({given})".', "The valid calling should be:",
            '"less(input=<Tensor>, other=<Number>)"', f"{head}{given})",
            " " * len(head) + "~" * first + " " * (len(given) + 2 - first),
            '"less(input=<Tensor>, other=<Number, Tensor, bool>)"', f"{head}{given})",
            " " * len(head) + "~" * (len(given) + 2)]))
    return failed_calling("Equal", {}, {"input": x, "other": other}, {"input": "Tensor", "other": "Number, Tensor"})


def _guard_function(name: str, f: Callable) -> Callable:
    @functools.wraps(f)
    def guarded(*args, **kwargs):
        if kwargs and name in _KEYWORDED:
            args = _keyword_inputs(name, args, kwargs)
        if name in ("equal", "less") and len(args) >= 2 and all(_number(a) for a in args[:2]):
            raise _two_numbers(name, args[0], args[1])
        if len(args) >= 2 and (is_seq(args[0]) or is_seq(args[1])):
            if name in _CONVERTED:
                raise converted_error(_CONVERTED[name], args[0], args[1])
            if name == "less":
                raise overload_error("less", ["less(input=<Tensor>, other=<Number>)",
                                              "less(input=<Tensor>, other=<Number, Tensor, bool>)"], list(args[:2]))
            refuse_primitive(_FUNCTIONS[name], args[0], args[1], swap=False, graph=_compiled())
        return f(*args, **kwargs)
    guarded._seq_guarded = True  # type: ignore[attr-defined]  # (a checked form: tools/_stub_ops reads __wrapped__)
    return guarded


def bind(namespace: dict) -> None:
    """Wraps Tensor's methods and the ops functions in namespace (gradserve.ops' globals) named above."""
    for name in (*_PARSED, *_OVERLOADED, *_CONVERTED, "copysign", "div", "divide", "pow"):
        setattr(Tensor, name, _guard_method(name, getattr(Tensor, name)))
    wrapped: dict[int, Callable] = {}
    for name in (*_FUNCTIONS, *_CONVERTED, "less"):
        original = namespace[name]
        namespace[name] = wrapped[id(original)] = _guard_function(name, original)
    for alias, name in _ALIASES.items():
        namespace[alias] = namespace[name]
    # other names of the same functions (ops.arctan2 is ops.atan2, ops.pows is ops.pow), and the copies of the
    # names in MindSpore's F and ops.function
    copies = [sys.modules.get(f"{__package__}.{module}") for module in ("functional", "function")]
    for names in (namespace, *(vars(m) for m in copies if m is not None)):
        for name, f in list(names.items()):
            if id(f) in wrapped:
                names[name] = wrapped[id(f)]
