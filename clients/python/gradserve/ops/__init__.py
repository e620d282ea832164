"""`gradserve.ops`: op classes and functions (one per engine op, MindSpore names on top) and
the derivative interfaces (GradOperation, grad, value_and_grad, jvp, vjp, jacfwd, jacrev, hessian)."""
from __future__ import annotations

from . import _primitives
from ._autodiff import GradOperation, grad, hessian, jacfwd, jacrev, jvp, value_and_grad, vjp
from ._primitives import Primitive
from .._vmap import vmap  # noqa: E402  (loops)
from .._jacobian import hessian, jacfwd, jacrev  # noqa: E402,F811  (loops: compact, one vmap over a basis)

globals().update(_primitives.CLASSES)
globals().update(_primitives.FUNCTIONS)
globals().update(_primitives._OVERRIDES)

__all__ = sorted({*_primitives.CLASSES, *_primitives.FUNCTIONS, *_primitives._OVERRIDES, "Primitive",
                  "GradOperation", "grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "hessian", "vmap"})
