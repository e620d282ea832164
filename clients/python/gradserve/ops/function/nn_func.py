"""`mindspore.ops.function.nn_func`: where MindSpore defines its nn functions (interpolate_ext, ...); gradserve's
are in ops (the same objects); a name it lacks raises a clear error when used."""
from ... import ops as _ops
from ...ops._interpolate_ext import interpolate_ext  # noqa: F401  (MindSpore's mint.nn.functional.interpolate)
from ...ops.operations._missing import module_getattr

__getattr__ = module_getattr("mindspore.ops.function.nn_func", _ops)
