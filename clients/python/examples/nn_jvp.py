"""Seed: Jvp. Expected (out=[1.482198, 1.485704, 1.154006], jvp=[0.052489, 0.435917, 0.684546])."""
import numpy as np
import gradserve as gs
import gradserve.context as context
import gradserve.nn as nn
import gradserve.ops as ops
from gradserve import Tensor
from gradserve import dtype as mstype
gs.set_context(server="http://127.0.0.1:8000", device_target="CPU")
context.set_context(mode=context.GRAPH_MODE, device_target="GPU")
class Net(nn.Cell):
    def __init__(self):
        super(Net, self).__init__()
        self.sin = ops.Sin()
        self.cos = ops.Cos()
    def construct(self, x, y):
        a = self.sin(x)
        b = self.cos(y)
        out = a + b
        return out
class GradNet(nn.Cell):
    def __init__(self, net):
        super(GradNet, self).__init__()
        self.net = net
        self.grad_op = nn.Jvp(net)
    def construct(self, x, y, v):
        output = self.grad_op(x, y, (v, v))
        return output
x = Tensor([0.8, 0.6, 0.2], dtype=mstype.float32)
y = Tensor([0.7, 0.4, 0.3], dtype=mstype.float32)
v = Tensor([1, 1, 1], dtype=mstype.float32)
output = GradNet(Net())(x, y, v)
print(output)
