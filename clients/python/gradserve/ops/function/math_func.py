"""`mindspore.ops.function.math_func`: where MindSpore defines its math functions; its `F` is the function
package itself (`from mindspore.ops.function.math_func import F`). gradserve's functions are all in ops (the same
objects); a name it lacks raises a clear error when used."""
from ... import ops as _ops
from ...ops import function as F  # noqa: F401  (MindSpore's name)
from ...ops.operations._missing import module_getattr

__getattr__ = module_getattr("mindspore.ops.function.math_func", _ops)
