"""`mindspore.dataset.vision.transforms`: the module MindSpore 2.10 defines its vision steps in (its tests import it by
that name); the same classes as `dataset.vision`."""
from . import *  # noqa: F401,F403
from . import __all__  # noqa: F401
