"""nn.WithGradCell: the gradients of a network (and its loss) w.r.t. its trainable parameters;
nn.ForwardValueAndGrad: the network's value and GradOperation's gradients of it."""
from __future__ import annotations

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import ParameterTuple
from ..ops._autodiff import grad_operation_with_value
from .._training import WithLossCell

__all__ = ["WithGradCell", "ForwardValueAndGrad"]


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


class ForwardValueAndGrad(Cell):
    """nn.ForwardValueAndGrad(network, weights=None, get_all=False, get_by_list=False, sens_param=False)
    (*inputs[, sens]) -> (network(*inputs), the gradients GradOperation(get_all, get_by_list, sens_param) gives:
    of the first input, of all inputs, of weights (a ParameterTuple), or both)."""

    def __init__(self, network, weights=None, get_all=False, get_by_list=False, sens_param=False):
        super().__init__(auto_prefix=False)
        if not isinstance(network, Cell):
            raise TypeError(f"For 'ForwardValueAndGrad', network must be a Cell, got {type(network).__name__}")
        if get_by_list and not isinstance(weights, (ParameterTuple, tuple, list)):
            raise TypeError("For 'ForwardValueAndGrad', when get_by_list is True, weights must be a "
                            f"ParameterTuple, got {type(weights).__name__}")
        self.network, self.weights = network, weights
        self.get_by_list, self.sens_param = bool(get_by_list), bool(sens_param)
        self.grad = _ops.GradOperation(get_all=get_all, get_by_list=get_by_list, sens_param=sens_param)

    def construct(self, *inputs):
        fn = grad_operation_with_value(self.grad, self.network, self.weights if self.get_by_list else None)
        return fn(*inputs)
