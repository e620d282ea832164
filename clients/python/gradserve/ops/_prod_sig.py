"""MindSpore 2.10's Tensor.prod: one calling form, `prod(dim=None, keepdim=False, dtype=None)` (dim an int or None,
keepdim a bool). Its NumPy-style spellings (axis=, keepdims=, keep_dims=) and a tuple of dims are its TypeError in
PyNative and jit alike (checked in its venv), so they are refused here in its words rather than answered."""
from __future__ import annotations

import numpy as np

from .. import _join_kinds
from .. import dtype as _dt
from .._calling_errors import primitive_type
from ._extra import P

_FORM = "dim=<None, int>, keepdim=<bool>, dtype=<None, mstype>"
_NAMES = ("dim", "keepdim", "dtype")
_HEAD = "    match failed because invalid types: ("


def _number_kind(v) -> str | None:
    """A graph's number (a Python number traced, or joined by an `if`): its kind, the first that is no int where the
    paths differ (MindSpore 2.10 names that one: 'prod(bool)' for y = True / 0), else None."""
    if getattr(v, "_join_kinds", None) is not None:
        return _join_kinds.other_kind(v) or "int"
    return getattr(v, "_py_number", None)


def _fits(name: str, v) -> bool:
    if name == "dim":
        return v is None or (isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))) or \
            _number_kind(v) == "int"
    if name == "keepdim":
        return isinstance(v, (bool, np.bool_))
    return v is None or isinstance(v, _dt.Type) or v in (bool, int, float)


def _error(args: tuple, kwargs: dict) -> TypeError | None:
    """MindSpore's TypeError for Tensor.prod(*args, **kwargs), None where the call fits its form."""
    parts = [_number_kind(a) or primitive_type(a) for a in args] + \
        [f"{k}={_number_kind(v) or primitive_type(v)}" for k, v in kwargs.items()]
    lines = [f'Failed calling prod with "prod({", ".join(parts)})".', "The valid calling should be:",
             f'"Tensor.prod({_FORM})"']
    unknown = [k for k in kwargs if k not in _NAMES]
    if unknown:
        lines.append(f"    match failed because incorrect keyword name: {', '.join(unknown)}")
        return TypeError("\n".join(lines))
    if len(args) > len(_NAMES) or any(k in _NAMES[:len(args)] for k in kwargs):
        return TypeError(f"prod() takes {len(_NAMES)} positional arguments but {len(args)} were given.")
    bad = [i for i, a in enumerate(args) if not _fits(_NAMES[i], a)]
    bad += [len(args) + j for j, (k, v) in enumerate(kwargs.items()) if not _fits(k, v)]
    if not bad:
        return None
    lines.append(f"{_HEAD}{', '.join(parts)})")
    start = len(_HEAD) + len(", ".join(parts[:bad[0]])) + (2 if bad[0] else 0)
    tail = len(lines[-1]) + 1 - start - len(parts[bad[0]]) - 2  # MindSpore's: the argument and ", " (or ")") marked
    lines.append(" " * start + "~" * (len(parts[bad[0]]) + 2) + " " * tail)
    return TypeError("\n".join(lines))


def prod(x, *args, **kwargs):
    """Tensor.prod(dim=None, keepdim=False, dtype=None): the product along dim (every element when None)."""
    err = _error(args, kwargs)
    if err is not None:
        raise err
    given = dict(zip(_NAMES, args), **kwargs)
    return P.prod(x, given.get("dim"), bool(given.get("keepdim", False)), given.get("dtype"))
