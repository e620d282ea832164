"""The op list, read from `_ops.json` (generated from the engine's registry by tools/gen_ops.py)."""
from __future__ import annotations

import json
from importlib import resources

_doc = json.loads(resources.files(__package__ or "gradserve").joinpath("_ops.json").read_text())
FORMAT: str = _doc["format"]
FUNCTION_OPS: tuple = tuple(_doc["function_ops"])
OPS: dict[str, dict] = {o["name"]: o for o in _doc["ops"]}


def defaults(op: str) -> dict:
    return dict(_DEFAULTS[op])


# per op, made once: its defaults, attribute names and required attributes (check runs on every op a trace emits
# and every eager op: rebuilding them there was ~1-2 us an op)
_DEFAULTS = {name: {k: a["default"] for k, a in o["attrs"].items() if "default" in a} for name, o in OPS.items()}
_NAMES = {name: frozenset(o["attrs"]) for name, o in OPS.items()}
_REQUIRED = {name: [k for k, a in o["attrs"].items() if "default" not in a] for name, o in OPS.items()}


def check(op: str, n_inputs: int, attrs: dict) -> dict:
    """Validate arity and attribute names against the catalog; returns attrs with defaults filled."""
    try:
        spec = OPS[op]
    except KeyError:
        raise ValueError(f"unknown op {op!r}; known: {', '.join(sorted(OPS))}") from None
    if spec["arity"] is None:
        if n_inputs < spec["min_arity"]:
            raise TypeError(f"op {op} takes at least {spec['min_arity']} inputs, got {n_inputs}")
    elif n_inputs != spec["arity"]:
        raise TypeError(f"op {op} takes {spec['arity']} input(s), got {n_inputs}")
    if attrs and not _NAMES[op].issuperset(attrs):
        unknown = set(attrs) - _NAMES[op]
        raise TypeError(f"op {op}: unknown attribute(s) {sorted(unknown)}; allowed: {sorted(spec['attrs']) or 'none'}")
    missing = [k for k in _REQUIRED[op] if k not in attrs]
    if missing:
        raise TypeError(f"op {op}: missing required attribute(s) {missing}")
    return {**_DEFAULTS[op], **attrs}
