"""Output structures of construct as MindSpore returns them: dicts (also of grad cells), and
non-Tensor values (str, None, Python numbers) passed through. Values by hand."""
import numpy as np

from gradserve import Tensor, nn, ops
from gradserve.ops import GradOperation

X = np.array([1.0, 2.0], np.float32)


class DictNet(nn.Cell):
    def construct(self, x):
        return {"double": x * 2, "square": x * x}


class Tagged(nn.Cell):
    def construct(self, x):
        return x * 3, "tag", None, 7


class GradDict(nn.Cell):
    def __init__(self, net):
        super().__init__()
        self.grad = GradOperation()(net)

    def construct(self, x):
        return {"grad": self.grad(x), "x": x}


def test_dict_output(fake):
    out = DictNet()(Tensor(X))
    assert isinstance(out, dict) and list(out) == ["double", "square"]
    np.testing.assert_allclose(out["double"].asnumpy(), 2 * X)
    np.testing.assert_allclose(out["square"].asnumpy(), X * X)


def test_gradient_of_a_dict_output_sums_its_values(fake):
    g = GradOperation()(DictNet())(Tensor(X))
    np.testing.assert_allclose(g.asnumpy(), 2 + 2 * X)


def test_grad_cell_returning_a_dict(fake):
    out = GradDict(DictNet())(Tensor(X))
    np.testing.assert_allclose(out["grad"].asnumpy(), 2 + 2 * X)
    np.testing.assert_allclose(out["x"].asnumpy(), X)


def test_non_tensor_outputs_pass_through(fake):
    y, tag, none, seven = Tagged()(Tensor(X))
    np.testing.assert_allclose(y.asnumpy(), 3 * X)
    assert tag == "tag" and none is None and seven == 7
    g = GradOperation()(Tagged())(Tensor(X))  # only the Tensor output is differentiated
    np.testing.assert_allclose(g.asnumpy(), [3.0, 3.0])


def test_python_scalars_lists_and_dicts_as_arguments_are_constants(fake):
    class Net(nn.Cell):
        def construct(self, x, k, opts, ws):
            return x * k * opts["scale"] + ws[0]

    net = Net()
    out = net(Tensor(X), 2.0, {"scale": 3.0}, [1.0])
    np.testing.assert_allclose(out.asnumpy(), X * 6 + 1)
    g = ops.grad(net)(Tensor(X), 2.0, {"scale": 3.0}, [1.0])
    np.testing.assert_allclose(g.asnumpy(), [6.0, 6.0])
