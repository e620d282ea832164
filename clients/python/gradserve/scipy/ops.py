"""`mindspore.scipy.ops`: where MindSpore keeps its scipy primitives (Eig, LinearSumAssignment, ...).
gradserve implements none of them yet; a name imported from here is a placeholder that raises a clear
NotImplementedError when used (ops/operations/_missing.py), so a program's other functions still run."""
from ..ops.operations._missing import module_getattr

__getattr__ = module_getattr("mindspore.scipy.ops")
