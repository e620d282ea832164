"""`mindspore.nn.layer`: the layer cells gradserve has (defined in gradserve.nn), by MindSpore's submodules."""
from .activation import *  # noqa: F401,F403
from .basic import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from . import activation, basic, container, normalization

__all__ = [*activation.__all__, *basic.__all__, *container.__all__, *normalization.__all__]
