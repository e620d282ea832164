"""A MindSpore-style user script, as a user writes it against gradserve: it must type-check clean
(mypy and pyright; tests/clients/test_typecheck.py). Run, it needs a server (not run by the tests)."""
from __future__ import annotations

import numpy as np

import gradserve as ms
from gradserve import Parameter, ParameterTuple, Tensor, nn, ops
from gradserve import dtype as mstype

ms.set_context(mode=ms.GRAPH_MODE, device_target="CPU")


class Net(nn.Cell):
    def __init__(self) -> None:
        super().__init__()
        self.matmul = ops.MatMul(transpose_b=False)
        self.z = Parameter(Tensor(np.array([1.0], np.float32)), name="z")

    def construct(self, x: Tensor, y: Tensor) -> Tensor:
        x = x * self.z
        return ops.sin(self.matmul(x, y))


class GradNetWrtX(nn.Cell):
    def __init__(self, net: nn.Cell) -> None:
        super().__init__()
        self.net = net
        self.params = ParameterTuple(net.trainable_params())
        self.grad_op = ops.GradOperation(get_all=True, get_by_list=False)

    def construct(self, x: Tensor, y: Tensor) -> Tensor:
        gradient_function = self.grad_op(self.net)
        return gradient_function(x, y)


x = Tensor([[0.8, 0.6, 0.2], [1.8, 1.3, 1.1]], dtype=mstype.float32)
y = Tensor([[0.11, 3.3, 1.1], [1.1, 0.2, 1.4], [1.1, 2.2, 0.3]], dtype=mstype.float32)
net = Net()
print(GradNetWrtX(net)(x, y))

grad_fn = ops.grad(net, grad_position=(0, 1))
dx, dy = grad_fn(x, y)
print(dx.asnumpy().shape, dy.shape)
value, grads = ops.value_and_grad(net, grad_position=0, weights=net.trainable_params())(x, y)
print(ops.matmul(x, y, transpose_b=True), ops.ReduceSum(keep_dims=True)(value, 1), ops.cos(x) + 1.0)
# generated ops by MindSpore's input keywords (or their other spelling x / y); functional signatures
a, b = ops.sin(input=x), ops.sqrt(x=x)
print(ops.equal(input=a, other=b), ops.maximum(a, other=b), ops.minimum(x=a, y=b))
print(ops.relu(x, True), ops.sum(x, 1, True, dtype=mstype.float64), ops.softmax(x, 0, dtype=mstype.float64))
print(ops.flip(x, (0, 1)))

with ms.Client("http://127.0.0.1:8000", max_retries=2) as client:
    result = client.grad(net, [x, y], grad_position=(0, 1), timeout=30.0)
    print(result.value)
