"""`mindspore.nn.grad`: the derivative cells Jvp and Vjp (defined in gradserve.nn)."""
from .cell_grad import Jvp, Vjp

__all__ = ["Jvp", "Vjp"]
