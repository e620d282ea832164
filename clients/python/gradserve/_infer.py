"""Shape and dtype rules for tracing: the engine's own rules (`_shape_rules.py`, generated from
engine/shape_rules.py by clients/python/tools/gen_ops.py; the SDK never imports the engine).

`tests/clients/test_ops_catalog.py` and `tests/engine/test_shape_rules.py` check that every op of
`_ops.json` has a rule and that SDK and engine agree, on valid and invalid inputs.
"""
from __future__ import annotations

from . import _shape_rules as R
from .errors import DtypeError, ShapeError

# op kinds the SDK's primitives dispatch on (broadcasting binary ops and comparisons)
BINARY, BINARY_FLOAT, COMPARE = frozenset(R.BINARY), frozenset(R.BINARY_FLOAT), frozenset(R.COMPARE)


def infer(op: str, avals: list, attrs: dict) -> list:
    """Output avals of `op` on `avals` (list of (shape, dtype)) with `attrs` (defaults filled)."""
    rule = R.RULES.get(op)
    if rule is None:
        raise NotImplementedError(f"the SDK has no shape rule for op {op!r}; add it to engine/shape_rules.py "
                                  "and run clients/python/tools/gen_ops.py")
    try:
        return rule([R.Aval(tuple(s), d) for s, d in avals], **attrs)
    except R.RuleError as e:
        # a refused dtype, or operands of two dtypes where one is needed (MatMul float32 @ float16), is MindSpore's
        # TypeError (its kernels' "Unsupported data type", "the type of 'x2' should be same as 'x1'"); a shape its ValueError
        raise (DtypeError if "dtype" in e.detail or "dtypes" in e.detail else ShapeError)(e.message, detail=e.detail) from None
