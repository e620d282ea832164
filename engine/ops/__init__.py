"""Op registry and rule tables. Importing this package registers every op."""
from . import elementwise, nn_ops, reductions, shape_ops, structural  # noqa: F401  (registration side effects)
from . import new_ops  # noqa: F401  (#14: conv, pooling, norms, ...; engine/ops/new_ops.py)
from .registry import FUNCTION_OPS, OPS, OpDef, get_op, impl_rules, jvp_rules, op_catalog, vjp_rules

__all__ = ["OPS", "OpDef", "get_op", "impl_rules", "vjp_rules", "jvp_rules", "op_catalog", "FUNCTION_OPS"]
