"""MindSpore 2.10's overload-resolution errors for Tensor methods with several calling forms: when a call of
one of them fails here, the TypeError says which forms exist and why each does not match, in MindSpore's
words ("Failed calling max with ...", "The valid calling should be:", "match failed because invalid types:
(int, list<int>)" with the offending arguments underlined, "match failed because incorrect keyword name: a").

The forms (FORMS) are MindSpore's own "valid calling" lines, checked in its venv; `bind` wraps the methods so
that only a call the implementation already refuses gets the text (a call that works is never refused here)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ._calling_errors import primitive_type
from ._tensor import Tensor

# Tensor.<method>: its forms, in MindSpore 2.10's order ("*," makes the rest keyword-only)
FORMS: dict[str, list[str]] = {
    "add": ["other=<number>, *, alpha=<number>", "other=<number,Tensor>, *, alpha=<number>", "other=<any,Tensor>"],
    "clamp": ["min=<Tensor,None>, max=<Tensor,None>", "min=<number,None>, max=<number,None>"],
    "div": ["other=<number>", "other=<number,Tensor>", "other=<number>, *, rounding_mode=<str,None>",
            "other=<number,Tensor>, *, rounding_mode=<str,None>"],
    "roll": ["shifts=<int,Tuple,List>, dims=<int,Tuple,None,List>"],
    "max": ["", "dim=<int>, keepdim=<bool>", "axis=<int,Tuple,None,List>, keepdims=<bool>, *, "
            "initial=<number,None>, where=<bool,Tensor>, return_indices=<bool>"],
    "min": ["", "dim=<int>, keepdim=<bool>", "axis=<int,Tuple,None,List>, keepdims=<bool>, *, "
            "initial=<number,None>, where=<bool,Tensor>, return_indices=<bool>"],
    "less": ["other=<number>", "other=<number,bool,Tensor>"],
    "abs": [""],
    "squeeze": ["axis=<int,Tuple,List>", "axis=<int,Tuple,None,List>"],
    "split": ["split_size=<int>, dim=<int>", "split_size=<Tuple,List>, dim=<int>",
              "split_size_or_sections=<int,Tuple,List>, axis=<int>"],
    "dot": ["other=<Tensor>"],
    "mm": ["mat2=<Tensor>"],
}


def describe(v: Any) -> str:
    """A value's type as MindSpore's messages write it: int, float, bool, string, None, Tensor, list<int, ...>."""
    return primitive_type(v, method_form=True)


_ACCEPTS = {
    "number": lambda v: isinstance(v, (int, float, complex, np.number, np.bool_)),
    "int": lambda v: isinstance(v, (int, np.integer)),
    "bool": lambda v: isinstance(v, (bool, np.bool_)),
    "str": lambda v: isinstance(v, str),
    "Tensor": lambda v: isinstance(v, Tensor),
    "None": lambda v: v is None,
    "Tuple": lambda v: isinstance(v, tuple) and all(isinstance(e, (int, np.integer)) for e in v),
    "List": lambda v: isinstance(v, list) and all(isinstance(e, (int, np.integer)) for e in v),
    "any": lambda v: True,
}


# parameters of FORMS that take no None but have a default (max(dim, keepdim=False), max(axis=None, keepdims=False)):
# not required, so `x.max(1)` fits a form and an error of its own (the axis out of range) is not rewritten
_DEFAULTED = frozenset({"keepdim", "keepdims"})
# ... and per method (split(5): its dim / axis default to 0)
_DEFAULTED_IN = {"split": frozenset({"dim", "axis"})}


def _params(form: str) -> list[tuple[str, list[str], bool]]:
    """(name, accepted types, keyword-only) of each parameter of a form."""
    out, kw_only = [], False
    for part in _split(form):
        if part == "*":
            kw_only = True
            continue
        name, types = part.split("=<")
        out.append((name, types.rstrip(">").split(","), kw_only))
    return out


def _split(form: str) -> list[str]:
    """A form's parameters (commas inside <...> kept)."""
    parts, depth, cur = [], 0, ""
    for ch in form:
        depth += ch == "<"
        depth -= ch == ">"
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return parts + [cur.strip()] if cur.strip() else parts


def _fits(v, types: list[str]) -> bool:
    return any(_ACCEPTS.get(t, lambda _: False)(v) for t in types)


def _reason(form: str, args: tuple, kwargs: dict, defaulted: frozenset = _DEFAULTED) -> tuple | None:
    """Why a call does not match a form: ("keyword", name) / ("types", index of the first argument to underline,
    (the parameter, its position or None for a keyword, the value)) / ("count", None); None where it matches."""
    params = _params(form)
    if len(args) + len(kwargs) > len(params):
        return "count", None
    for k in kwargs:
        if k not in {p[0] for p in params}:
            return "keyword", k  # type: ignore[return-value]
    given = {p[0] for p in params[:len(args)]} | set(kwargs)
    if any(not kw_only and "None" not in types and name not in given and name not in defaulted
           for name, types, kw_only in params):
        return "count", None  # a parameter that takes no None is required (MindSpore's forms: add(other))
    for i, v in enumerate(args):
        name, types, kw_only = params[i]
        if kw_only or name in kwargs:
            return "types", 0, (params[i], i, v)  # a keyword-only parameter given positionally: the whole call
        if not _fits(v, types):
            return "types", i, (params[i], i, v)
    by_name = {p[0]: p for p in params}
    for k, v in kwargs.items():
        if not _fits(v, by_name[k][1]):
            return "types", 0, (by_name[k], None, v)  # (a keyword's mismatch: MindSpore underlines the whole call)
    return None


def overload_error(method: str, args: tuple, kwargs: dict) -> TypeError | None:
    """MindSpore's TypeError for Tensor.<method>(*args, **kwargs) (args after self), or None where a form
    matches (the failure is then not one of overload resolution)."""
    forms = FORMS[method]
    defaulted = _DEFAULTED | _DEFAULTED_IN.get(method, frozenset())
    found = [_reason(f, args, kwargs, defaulted) for f in forms]
    if any(r is None for r in found):
        return None
    reasons: list[tuple] = [r for r in found if r is not None]
    parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    if len(forms) == 1 and reasons[0][0] == "count":  # one form: Python's own wording (MindSpore's)
        n = len(_params(forms[0]))
        return TypeError(f"{method}() takes {n} positional arguments but {len(args)} was given.")
    named = [r for r in reasons if r[0] == "types"]  # the forms the call's count and keywords fit
    keyed = [r for r in reasons if r[0] == "keyword"]
    if len(forms) > 1 and len(named) == 1:  # one candidate left: its argument's error (PyTorch's wording)
        (name, types, _), pos, v = named[0][2]
        want = next((t for t in types if t != "None"), types[0])
        want = "Number" if want == "number" else want
        if pos is None:
            got = f"{type(v).__name__} of Any" if isinstance(v, (list, tuple)) else describe(v)
            return TypeError(f"{method}(): argument '{name}' must be {want} but got {got}")
        return TypeError(f"{method}(): argument '{name}' (position {pos + 1}) must be {want}, not {describe(v)}.")
    if len(forms) > 1 and not named and len(keyed) == 1:
        return TypeError(f"match failed because incorrect keyword name: {keyed[0][1]}")
    lines = [f'Failed calling {method} with "{method}({", ".join(parts)})".', "The valid calling should be:"]
    for form, (kind, at, *_) in zip(forms, reasons):
        lines.append(f'"Tensor.{method}({form})"')
        if kind == "keyword":
            lines.append(f"\tmatch failed because incorrect keyword name: {at}")
        elif kind == "types":
            head = "    match failed because invalid types: ("
            lines.append(f"{head}{', '.join(parts)})")
            start = len(head) + len(", ".join(parts[:at])) + (2 if at else 0)
            lines.append(" " * start + "~" * (len(lines[-1]) - start + 1))
    return TypeError("\n".join(lines))


def bind() -> None:
    """Tensor.<method> for each method of FORMS: a failing call raises MindSpore's overload error instead where no
    form matches it (also when called unbound on a non-Tensor: `Tensor.add([1], [2])`)."""
    for method in FORMS:
        impl = getattr(Tensor, method, None)
        if impl is None or getattr(impl, "_gs_overloads", False):
            continue

        def wrapper(self, *args, _impl=impl, _method=method, **kwargs):
            try:
                return _impl(self, *args, **kwargs)
            except Exception as e:  # (whatever the implementation met first: no form matching is MindSpore's TypeError)
                err = overload_error(_method, args, kwargs) if isinstance(self, Tensor) else TypeError(
                    f"descriptor '{_method}' for 'Tensor' objects doesn't apply to a '{type(self).__name__}' object")
                if err is None:
                    raise
                raise err from e

        wrapper.__name__ = wrapper.__qualname__ = method
        wrapper.__doc__ = impl.__doc__
        wrapper._gs_overloads = True  # type: ignore[attr-defined]
        setattr(Tensor, method, wrapper)
