"""`mindspore.common` spellings: dtype, Tensor, Parameter, ParameterTuple, jit, set_seed."""
from .. import dtype
from ..dtype import dtype_to_nptype, pytype_to_dtype
from .._tensor import Parameter, ParameterTuple, Tensor
from .._jit import jit, jit_class, ms_function
from .._jit_config import JitConfig
from .._misc import Variable, set_seed
from .mutable import mutable  # (the function: rebinds the submodule's name, as MindSpore's package does)
from .._function import _Function

__all__ = ["dtype", "Tensor", "Parameter", "ParameterTuple", "jit", "jit_class", "JitConfig", "ms_function", "mutable", "Variable", "set_seed",
           "_Function", "dtype_to_nptype", "pytype_to_dtype"]
