"""`mindspore.nn.layer.rnn_cells`."""
from .. import GRUCell, LSTMCell, RNNCell

__all__ = ["GRUCell", "LSTMCell", "RNNCell"]
