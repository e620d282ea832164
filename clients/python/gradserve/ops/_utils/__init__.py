"""`mindspore.ops._utils` (the part MindSpore's tests import): arg_dtype_cast's sequence conversions,
get_broadcast_shape."""
from .utils import get_broadcast_shape  # noqa: F401  (MindSpore's tests import it from here)
