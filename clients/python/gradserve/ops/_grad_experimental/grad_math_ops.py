"""`mindspore.ops._grad_experimental.grad_math_ops` (the part MindSpore's tests import): binop_grad_common, which a
user primitive's registered bprop calls to bring a broadcast binary op's gradients back to its operands' shapes."""
from ..operations._grad_ops import _sum_to

__all__ = ["binop_grad_common"]


def binop_grad_common(x, y, dx, dy):
    """(dx, dy) summed over the axes x and y were broadcast along (MindSpore 2.10: x (2, 1, 3), y (4, 1), dx = -dy =
    arange(24).reshape(2, 4, 3) give [[[18, 22, 26]], [[66, 70, 74]]] and [[-42], [-60], [-78], [-96]])."""
    return _sum_to(dx, tuple(x.shape)), _sum_to(dy, tuple(y.shape))
