"""`mindspore.nn.layer`: the layer cells gradserve has (defined in gradserve.nn), by MindSpore's submodules."""
from .activation import *  # noqa: F401,F403
from .basic import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from . import activation, basic, container, normalization

__all__ = [*activation.__all__, *basic.__all__, *container.__all__, *normalization.__all__]

from .embedding import *  # noqa: E402,F401,F403
from .rnns import *  # noqa: E402,F401,F403
from .rnn_cells import *  # noqa: E402,F401,F403
from . import embedding, rnn_cells, rnns  # noqa: E402

__all__ += ["Embedding", "GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell"]
