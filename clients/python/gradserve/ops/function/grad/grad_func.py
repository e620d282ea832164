"""`mindspore.ops.function.grad.grad_func`: MindSpore's derivative functions, re-exported from
ops.functional (one definition each), and custom_vjp."""
from ... import functional as _functional
from ...functional import (get_grad, grad, hessian, jacfwd, jacrev, jvp, stop_gradient,  # noqa: F401
                           value_and_grad, vjp)
from ...._custom_vjp import custom_vjp  # noqa: F401

# Taylor-mode functions another module adds to ops.functional: by name, those that exist
_LATER = ("jet", "derivative", "linearize")
globals().update({n: getattr(_functional, n) for n in _LATER if hasattr(_functional, n)})
__all__ = ["custom_vjp", "get_grad", "grad", "hessian", "jacfwd", "jacrev", "jvp", "stop_gradient",
           "value_and_grad", "vjp", *(n for n in _LATER if hasattr(_functional, n))]
