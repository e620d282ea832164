"""nn.WithGradCell: the gradients of a network (and its loss) w.r.t. its trainable parameters."""
from __future__ import annotations

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import ParameterTuple
from .._training import WithLossCell

__all__ = ["WithGradCell"]


class WithGradCell(Cell):
    """nn.WithGradCell(network, loss_fn=None, sens=None)(*inputs): the gradients of network (with loss_fn
    after it, when given) w.r.t. its trainable parameters; sens, when given, is the output's cotangent."""

    def __init__(self, network, loss_fn=None, sens=None):
        super().__init__(auto_prefix=False)
        self.network, self.loss_fn, self.sens = network, loss_fn, sens
        self.weights = ParameterTuple(network.trainable_params())
        self.grad = _ops.GradOperation(get_by_list=True, sens_param=sens is not None)
        self.network_with_loss = network if loss_fn is None else WithLossCell(network, loss_fn)

    def construct(self, *inputs):
        args = inputs if self.sens is None else (*inputs, self.sens)
        return self.grad(self.network_with_loss, self.weights)(*args)
