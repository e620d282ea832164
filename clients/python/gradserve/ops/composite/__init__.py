"""`mindspore.ops.composite` (C): GradOperation, the functional derivative interfaces, and the
module's prebuilt GradOperation instances (grad_all, grad_by_list, ... with_sens)."""
from .. import *  # noqa: F401,F403
from .. import __all__ as _ops_all
from .._autodiff import GradOperation

grad_all = GradOperation(get_all=True)
grad_by_list = GradOperation(get_by_list=True)
grad_with_sens = GradOperation(sens_param=True)
grad_all_with_sens = GradOperation(get_all=True, sens_param=True)
grad_by_list_with_sens = GradOperation(get_by_list=True, sens_param=True)

__all__ = [*_ops_all, "grad_all", "grad_by_list", "grad_with_sens", "grad_all_with_sens", "grad_by_list_with_sens"]

from . import base  # noqa: E402,F401  (MindSpore's submodule: where it defines GradOperation, HyperMap)
