"""`mindspore.ops.function.random_func` (imported as R): where MindSpore defines its random functions;
gradserve's are all in ops (the same objects), and a name it lacks raises a clear error when used."""
from ... import ops as _ops
from ...ops.operations._missing import module_getattr

__getattr__ = module_getattr("mindspore.ops.function.random_func", _ops)
