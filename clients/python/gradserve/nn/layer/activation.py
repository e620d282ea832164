"""`mindspore.nn.layer.activation`."""
from .. import GELU, LeakyReLU, ReLU, Sigmoid, Softplus, Tanh

__all__ = ["GELU", "LeakyReLU", "ReLU", "Sigmoid", "Softplus", "Tanh"]
