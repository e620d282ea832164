"""MindSpore 2.10 (PyNative) given a list or tuple as a Tensor operator's other operand (checked in its venv,
/work/ms_suite_left30/probe/p1.py-p3.py): `t + (u,)`, `t - [u]`, `(u,) - t`, `(u,) ** t`, `t // (u,)`,
Tensor.add / sub read the sequence as a tensor (kept); `==` / `!=` answer a Python bool (False / True: a Tensor is
never equal to a sequence there); the rest refuse with a TypeError, a primitive's (`t * (u,)`: Mul) or an overload's
(`t < (u,)`: less), in MindSpore's words. So do ops.add / sub / mul / div / equal and Tensor.mul, even for a tuple
of numbers (`t * (3.0, 4.0)` is refused; `t + (3.0, 4.0)` is not)."""
from __future__ import annotations

import re
from typing import Any

from ._calling_errors import failed_calling, primitive_type, tensor_type
from ._late import late
from ._tensor import Tensor

_NT = "Number, Tensor"
_BT = "bool, Tensor"
# op -> (primitive, its inputs' accepted types[, the inputs' names]) where MindSpore names a primitive
_PRIMS: dict[str, tuple] = {
    "mul": ("Mul", _NT, _NT), "add": ("Add", _NT, _NT), "sub": ("Sub", _NT, _NT), "div": ("Div", _NT, _NT),
    "greater": ("Greater", _NT, _NT), "greater_equal": ("GreaterEqual", _NT, _NT),
    "less_equal": ("LessEqual", "bool, Number, Tensor", "bool, Number, Tensor"), "equal": ("Equal", "Tensor", _NT),
    "maximum": ("Maximum", _NT, _NT), "minimum": ("Minimum", _NT, _NT), "not_equal": ("NotEqual", _NT, _NT),
    "pow": ("Pow", _NT, _NT, ("input", "exponent")), "atan2": ("Atan2", _NT, _NT), "xlogy": ("Xlogy", "Tensor", "Tensor"),
    "floor_divide": ("FloorDiv", _NT, _NT), "logical_and": ("LogicalAnd", _BT, _BT, ("x", "y")),
    "logical_or": ("LogicalOr", _BT, _BT, ("x", "y"))}
# operator -> (name, its forms) where MindSpore resolves overloads ("Tensor." forms take the operand alone)
FORMS = {"less": ("less", ["less(input=<Tensor>, other=<Number>)", "less(input=<Tensor>, other=<Number, Tensor, bool>)"]),
          "div": ("div", ["Tensor.div(other=<Number>)", "Tensor.div(other=<Number, Tensor>)",
                          "Tensor.div(other=<Number>, *, rounding_mode=<None, string>)",
                          "Tensor.div(other=<Number, Tensor>, *, rounding_mode=<None, string>)"]),
          "pow": ("pow", ["Tensor.pow(exponent=<Number>)", "Tensor.pow(exponent=<Number, Tensor>)"]),
          "floor_mod": ("__mod__", ["Tensor.__mod__(other=<Tensor>)", "Tensor.__mod__(other=<Number>)"])}


def is_seq(v: Any) -> bool:
    return isinstance(v, (list, tuple))


def refuse_primitive(op: str, x: Any, other: Any, swap: bool = True, graph: bool = False) -> None:
    """ops.<op>(x, other) / Tensor.mul with a sequence operand: the primitive's TypeError (swap: a sequence x
    written as the other input, as h-left30 found for the operators and ops.add / sub / mul / div / equal;
    graph: GRAPH_MODE's text, where its spelling of the sequence is known)."""
    if not (is_seq(other) or is_seq(x)):
        return
    attrs: dict = {}
    attr_types = None
    if op == "fmod":  # (ops.fmod is DivMod's trunc there)
        prim, inputs, valid = "DivMod", {"input": x, "other": other, "rounding_mode": "trunc"}, \
            {"input": _NT, "other": _NT, "rounding_mode": "string"}
    elif op == "isclose":
        prim, inputs, valid = "IsClose", {"input": x, "other": other}, {"input": "Tensor", "other": "Tensor"}
        attrs = {"rtol": 1e-05, "atol": 1e-08, "equal_nan": False}
        attr_types = {"rtol": "bool, int, float", "atol": "bool, int, float", "equal_nan": "bool"}
    else:
        prim, va, vb, *names = _PRIMS[op]
        a, b = (other, x) if swap and is_seq(x) and not is_seq(other) else (x, other)
        na, nb = names[0] if names else ("input", "other")
        inputs, valid = {na: a, nb: b}, {na: va, nb: vb}
    error = _graph_error(prim, inputs, valid) if graph else None
    raise error or failed_calling(prim, attrs, inputs, valid, attr_types)


def graph_type(v: Any) -> "str | None":
    """A sequence's type as GRAPH_MODE's primitive texts write it (MindSpore 2.10: Tuple[Tensor[Float32]],
    List[Float32*2], Tuple[Int64*2]); None where not checked."""
    kind = type(v).__name__.capitalize()
    if len(v) == 1 and isinstance(v[0], Tensor):
        return f"{kind}[{tensor_type(v[0])}]"
    for t, name in ((float, "Float32"), (int, "Int64")):
        if len(v) > 1 and all(type(e) is t for e in v):
            return f"{kind}[{name}*{len(v)}]"
    return None


def _graph_error(prim: str, inputs: dict, valid: dict) -> "TypeError | None":
    bad = {k: graph_type(v) for k, v in inputs.items() if is_seq(v)}
    if None in bad.values():
        return None
    given = ", ".join(f"{k}={t}" for k, t in bad.items())
    accepted = ", ".join(f"{k}=<{valid[k]}>" for k in inputs)
    return TypeError(f'Failed calling {prim} with "{given}".\nThe valid calling should be: "{accepted}".')


def _accepts(form: str, i: int, v: Any) -> bool:
    """Whether the i-th parameter of an overload form takes v (a Tensor where it lists Tensor; a sequence never)."""
    types = re.findall(r"=<([^>]*)>", form)[i].split(", ")
    return not is_seq(v) and (not isinstance(v, Tensor) or "Tensor" in types)


def overload_error(name: str, forms: list, values: list, keyword: "str | None" = None) -> TypeError:
    """MindSpore 2.10 PyNative's overload-resolution TypeError for `name(*values)` (keyword: the one value given by
    that keyword): each form, with the arguments it does not take underlined."""
    parts = [f"{keyword}={primitive_type(v)}" if keyword else primitive_type(v) for v in values]
    given = ", ".join(parts)
    lines = [f'Failed calling {name} with "{name}({given})".', "The valid calling should be:"]
    head = "    match failed because invalid types: ("
    starts = [sum(len(p) + 2 for p in parts[:i]) for i in range(len(parts))]
    for form in forms:
        bad = [i for i, v in enumerate(values) if not _accepts(form, i, v)]
        s, e = starts[bad[0]], starts[bad[-1]] + len(parts[bad[-1]]) + 2
        lines += [f'"{form}"', f"{head}{given})", " " * (len(head) + s) + "~" * (e - s) + " " * (len(given) + 2 - e)]
    return TypeError("\n".join(lines))


def _overload(op: str, x: Any, other: Any) -> TypeError:
    name, forms = FORMS[op]
    return overload_error(name, forms, [other] if forms[0].startswith("Tensor.") else [x, other])


def operator(op: str, x: Any, other: Any, reverse: bool) -> Any:
    """`x <op> other` (reverse: `other <op> x`) for a sequence `other`: MindSpore's answer, or NotImplemented
    where it reads the sequence as a tensor (the caller goes on)."""
    if op in ("equal", "not_equal"):
        return op == "not_equal"
    if op == "mul" or (op == "div" and reverse):  # (u,) / t: MindSpore multiplies by t's reciprocal
        refuse_primitive("mul", x, other)
    if reverse:
        return NotImplemented
    if op in ("greater", "greater_equal", "less_equal"):  # (`t + (u,)`, `t - (u,)`: a tensor there)
        refuse_primitive(op, x, other)
    if op in FORMS:
        raise _overload(op, x, other)
    return NotImplemented


late.bind(seq_operator=operator)
