"""`mindspore.ops.operations.image_ops`: where MindSpore defines some op classes (...); gradserve's are all
in ops, and a name it lacks raises a clear error when used (see _missing.py)."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops
from ._missing import module_getattr
from .._doc_image import RGBToHSV  # noqa: F401
from .._combined_nms import CombinedNonMaxSuppression  # noqa: F401

__getattr__ = module_getattr("mindspore.ops.operations.image_ops", _ops)
