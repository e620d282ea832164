"""Seed: functional jvp. Expected (out=[[2, 10], [30, 68]], jvp=[[4, 13], [28, 49]])."""
import numpy as np
import gradserve as gs
import gradserve.nn as nn
import gradserve.context as context
from gradserve.ops import jvp
from gradserve import Tensor
gs.set_context(server="http://127.0.0.1:8000", device_target="CPU")
context.set_context(mode=context.GRAPH_MODE)
class Net(nn.Cell):
    def construct(self, x, y):
        return x**3 + y
x = Tensor(np.array([[1, 2], [3, 4]]).astype(np.float32))
y = Tensor(np.array([[1, 2], [3, 4]]).astype(np.float32))
v = Tensor(np.array([[1, 1], [1, 1]]).astype(np.float32))
output = jvp(Net(), (x, y), (v, v))
print(output)
