"""Seed: First-order Derivation / Input Derivation. Expected [[4.51, 2.7, 3.6], [4.51, 2.7, 3.6]]."""
import numpy as np
import gradserve as gs
import gradserve.context as context
import gradserve.nn as nn
import gradserve.ops as ops
from gradserve import Tensor
from gradserve import ParameterTuple, Parameter
from gradserve import dtype as mstype
gs.set_context(server="http://127.0.0.1:8000", device_target="CPU")
context.set_context(mode=context.GRAPH_MODE, device_target="GPU")
class Net(nn.Cell):
    def __init__(self):
        super(Net, self).__init__()
        self.matmul = ops.MatMul()
        self.z = Parameter(Tensor(np.array([1.0], np.float32)), name='z')
    def construct(self, x, y):
        x = x * self.z
        out = self.matmul(x, y)
        return out
class GradNetWrtX(nn.Cell):
    def __init__(self, net):
        super(GradNetWrtX, self).__init__()
        self.net = net
        self.grad_op = ops.GradOperation()
    def construct(self, x, y):
        gradient_function = self.grad_op(self.net)
        return gradient_function(x, y)
x = Tensor([[0.8, 0.6, 0.2], [1.8, 1.3, 1.1]], dtype=mstype.float32)
y = Tensor([[0.11, 3.3, 1.1], [1.1, 0.2, 1.4], [1.1, 2.2, 0.3]], dtype=mstype.float32)
output = GradNetWrtX(Net())(x, y)
print(output)
