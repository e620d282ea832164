"""Seed: functional grad, grad_position. Expected ([[0, 6], [15, -4]], [[-2, 6], [-3, 8]])."""
import numpy as np
import gradserve as gs
import gradserve.nn as nn
import gradserve.context as context
from gradserve import Tensor
from gradserve.ops import grad
gs.set_context(server="http://127.0.0.1:8000", device_target="CPU")
context.set_context(mode=context.GRAPH_MODE)
class Net(nn.Cell):
    def construct(self, x, y, z):
        return x*y*z
x = Tensor(np.array([[1, 2], [3, 4]]).astype(np.float32))
y = Tensor(np.array([[-2, 3], [-1, 2]]).astype(np.float32))
z = Tensor(np.array([[0, 3], [5, -1]]).astype(np.float32))
net = Net()
output = grad(net, grad_position=(1, 2))(x, y, z)
print(output)
