"""`mindspore.nn.layer.activation`."""
from .. import (CELU, GELU, HSigmoid, HSwish, LeakyReLU, LogSigmoid, Mish, ReLU, SeLU, Sigmoid, SiLU, Softplus,
                Tanh)

__all__ = ["CELU", "GELU", "HSigmoid", "HSwish", "LeakyReLU", "LogSigmoid", "Mish", "ReLU", "SeLU", "Sigmoid",
           "SiLU", "Softplus", "Tanh"]

from .. import ELU  # noqa: E402

__all__ += ["ELU"]
from .. import Hardtanh  # noqa: E402

__all__ += ["Hardtanh"]
