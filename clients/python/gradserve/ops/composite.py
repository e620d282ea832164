"""`mindspore.ops.composite` (C): GradOperation and the functional derivative interfaces."""
from . import *  # noqa: F401,F403
from . import __all__  # noqa: F401
