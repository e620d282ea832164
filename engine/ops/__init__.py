"""Op registry and rule tables. Importing this package registers every op."""
from . import constants, elementwise, functions, linalg, movement, nn, reductions  # noqa: F401  (registration)
from . import new_ops  # noqa: F401  (#14: conv, pooling, norms, control flow, ...; engine/ops/new_ops.py)
from . import custom_vjp  # noqa: F401  (a Cell's bprop: engine/ops/custom_vjp.py)
from . import complex_ops  # noqa: F401  (complex parts: engine/ops/complex_ops.py)
from . import rounding  # noqa: F401  (floor / ceil / round, remainder / fmod: engine/ops/rounding.py)
from . import segment  # noqa: F401  (segment_reduce max / min / prod: engine/ops/segment.py)
from . import special_gamma  # noqa: F401  (igamma / igammac / igamma_dx: engine/ops/special_gamma.py)
from . import special_beta  # noqa: F401  (betainc / betainc_dx)
from . import special_beta_ab  # noqa: F401  (betainc_da / betainc_db)
from . import bessel  # noqa: F401  (bessel_i0 / i0e / i1 / i1e with exact derivatives: engine/ops/bessel.py)
from . import fft  # noqa: F401  (fft / rfft / irfft over chosen axes: engine/ops/fft.py)
from .registry import FUNCTION_OPS, OPS, OpDef, get_op, impl_rules, jvp_rules, op_catalog, vjp_rules

__all__ = ["OPS", "OpDef", "get_op", "impl_rules", "vjp_rules", "jvp_rules", "op_catalog", "FUNCTION_OPS"]
