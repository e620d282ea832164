"""MindSpore 2.10 (PyNative) given a list or tuple as a Tensor operator's other operand (checked in its venv,
/work/ms_suite_left30/probe/p1.py-p3.py): `t + (u,)`, `t - [u]`, `(u,) - t`, `(u,) ** t`, `t // (u,)`,
Tensor.add / sub read the sequence as a tensor (kept); `==` / `!=` answer a Python bool (False / True: a Tensor is
never equal to a sequence there); the rest refuse with a TypeError, a primitive's (`t * (u,)`: Mul) or an overload's
(`t < (u,)`: less), in MindSpore's words. So do ops.add / sub / mul / div / equal and Tensor.mul, even for a tuple
of numbers (`t * (3.0, 4.0)` is refused; `t + (3.0, 4.0)` is not)."""
from __future__ import annotations

from typing import Any

from ._calling_errors import failed_calling, primitive_type
from ._late import late

_NT = "Number, Tensor"
# op -> (primitive, its inputs' accepted types) where MindSpore names a primitive
_PRIMS = {"mul": ("Mul", _NT, _NT), "add": ("Add", _NT, _NT), "sub": ("Sub", _NT, _NT), "div": ("Div", _NT, _NT),
          "greater": ("Greater", _NT, _NT), "greater_equal": ("GreaterEqual", _NT, _NT),
          "less_equal": ("LessEqual", "bool, Number, Tensor", "bool, Number, Tensor"),
          "equal": ("Equal", "Tensor", _NT)}
# operator -> (name, its forms) where MindSpore resolves overloads ("Tensor." forms take the operand alone)
_FORMS = {"less": ("less", ["less(input=<Tensor>, other=<Number>)", "less(input=<Tensor>, other=<Number, Tensor, bool>)"]),
          "div": ("div", ["Tensor.div(other=<Number>)", "Tensor.div(other=<Number, Tensor>)",
                          "Tensor.div(other=<Number>, *, rounding_mode=<None, string>)",
                          "Tensor.div(other=<Number, Tensor>, *, rounding_mode=<None, string>)"]),
          "pow": ("pow", ["Tensor.pow(exponent=<Number>)", "Tensor.pow(exponent=<Number, Tensor>)"]),
          "floor_mod": ("__mod__", ["Tensor.__mod__(other=<Tensor>)", "Tensor.__mod__(other=<Number>)"])}


def is_seq(v: Any) -> bool:
    return isinstance(v, (list, tuple))


def refuse_primitive(op: str, x: Any, other: Any) -> None:
    """ops.<op>(x, other) / Tensor.mul with a sequence operand: the primitive's TypeError."""
    if is_seq(other) or is_seq(x):
        prim, va, vb = _PRIMS[op]
        a, b = (other, x) if is_seq(x) and not is_seq(other) else (x, other)
        raise failed_calling(prim, {}, {"input": a, "other": b}, {"input": va, "other": vb})


def _overload(op: str, x: Any, other: Any) -> TypeError:
    name, forms = _FORMS[op]
    parts = [primitive_type(other)] if forms[0].startswith("Tensor.") else [primitive_type(x), primitive_type(other)]
    given = ", ".join(parts)
    lines = [f'Failed calling {name} with "{name}({given})".', "The valid calling should be:"]
    head = "    match failed because invalid types: ("
    start = len(head) + len(given) - len(parts[-1])
    for form in forms:
        lines += [f'"{form}"', f"{head}{given})", " " * start + "~" * (len(parts[-1]) + 2)]
    return TypeError("\n".join(lines))


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
    if op in _FORMS:
        raise _overload(op, x, other)
    return NotImplemented


late.bind(seq_operator=operator)
