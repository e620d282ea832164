"""`mindspore.common.dtype` (usually imported as mstype)."""
from ..dtype import *  # noqa: F401,F403
from ..dtype import __all__  # noqa: F401
