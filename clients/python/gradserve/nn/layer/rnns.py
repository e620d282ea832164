"""`mindspore.nn.layer.rnns`."""
from .. import GRU, LSTM, RNN

__all__ = ["GRU", "LSTM", "RNN"]
