"""`mindspore.ops.functional` (F): the op functions and the derivative functions."""
from . import *  # noqa: F401,F403
from . import __all__ as _ops_all
from . import ReduceMax as _ReduceMax, ReduceMean as _ReduceMean, ReduceMin as _ReduceMin, ReduceSum as _ReduceSum

# MindSpore's F alone binds these primitive instances: reduce_sum(x, axis=()) without keep_dims
reduce_sum, reduce_max, reduce_min, reduce_mean = _ReduceSum(), _ReduceMax(), _ReduceMin(), _ReduceMean()
__all__ = [*_ops_all, "reduce_sum", "reduce_max", "reduce_min", "reduce_mean"]
