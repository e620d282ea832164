"""gradserve's AD engine: graph IR, ops, reverse/forward transforms, optimiser, executor.

No I/O and no HTTP: the service imports this; this imports nothing of the service.
"""
from . import ops  # noqa: F401  (registers every op)
from .api import Engine, GraphBuilder, evaluate
from . import vmap as _vmap  # noqa: F401  (registers vmap nodes' typing and expansion, and the batching rules)
from .builder import Budget
from .errors import (DifferentiationError, EngineError, InvalidGraph, LimitExceeded, ShapeError, UnknownOp)
from .executor import estimate_bytes, output_bytes
from .ir import AVal, Eqn, Graph, Var
from .lower import lower
from .serialize import caller_path, source_map
from .transforms import grad, grad_operation, hessian, hvp, jacobian, jvp, nth_grad, value_and_grad, vjp

__all__ = [
    "AVal", "Eqn", "Graph", "Var", "GraphBuilder", "Engine", "evaluate", "lower", "Budget", "estimate_bytes", "output_bytes",
    "source_map", "caller_path",
    "grad", "grad_operation", "value_and_grad", "vjp", "jvp", "nth_grad", "jacobian", "hessian", "hvp",
    "EngineError", "InvalidGraph", "UnknownOp", "ShapeError", "DifferentiationError", "LimitExceeded",
]
