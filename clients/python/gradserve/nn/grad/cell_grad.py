"""`mindspore.nn.grad.cell_grad`: where MindSpore defines Jvp and Vjp (gradserve defines them in gradserve.nn)."""
from .. import Jvp, Vjp

__all__ = ["Jvp", "Vjp"]
