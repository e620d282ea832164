"""Seed: Stop Gradient with `out2 = stop_gradient(out2)` deleted. Expected [[9.02, 5.4, 7.2], [9.02, 5.4, 7.2]]."""
import numpy as np
import gradserve as gs
import gradserve.nn as nn
import gradserve.ops as ops
from gradserve import Tensor
from gradserve import ParameterTuple, Parameter
from gradserve import dtype as mstype
from gradserve.ops import stop_gradient
gs.set_context(server="http://127.0.0.1:8000", device_target="CPU")
class Net(nn.Cell):
    def __init__(self):
        super(Net, self).__init__()
        self.matmul = ops.MatMul()
    def construct(self, x, y):
        out1 = self.matmul(x, y)
        out2 = self.matmul(x, y)
        out = out1 + out2
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
