"""Indexing by traced integer arrays inside a GRAPH_MODE construct (reads and writes, beside slices,
integers and `...`), against NumPy's advanced indexing on the same index values; the gradient of a read
against NumPy's scatter-add of the cotangent."""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, context, nn, ops

X = np.arange(6 * 7 * 8, dtype=np.float32).reshape(6, 7, 8)
I0 = np.array([[0, 5], [-1, 2]], np.int32)
I1 = np.array([1, 6], np.int32)

READS = [
    (lambda x, a, b: x[a], lambda x, a, b: x[a]),
    (lambda x, a, b: x[a, b], lambda x, a, b: x[a, b]),
    (lambda x, a, b: x[a, b, 0:3], lambda x, a, b: x[a, b, 0:3]),
    (lambda x, a, b: x[0:3, b, ...], lambda x, a, b: x[0:3, b, ...]),
    (lambda x, a, b: x[0, a, b], lambda x, a, b: x[0, a, b]),
    (lambda x, a, b: x[a, 2:5, b], lambda x, a, b: x[a, 2:5, b]),  # apart: the broadcast block first
    (lambda x, a, b: x[..., b, ::2], lambda x, a, b: x[..., b, ::2]),
]


class Read(nn.Cell):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def construct(self, x, a, b):
        return self.fn(x, a, b)


@pytest.mark.parametrize("case", range(len(READS)))
def test_read_by_traced_arrays_matches_numpy(on_real_server, case):
    context.set_context(mode=context.GRAPH_MODE)
    ours, theirs = READS[case]
    out = Read(ours)(Tensor(X), Tensor(I0), Tensor(I1))
    np.testing.assert_array_equal(out.asnumpy(), theirs(X, I0, I1))


def test_read_gradient_scatters_back(on_real_server):
    context.set_context(mode=context.GRAPH_MODE)
    net = Read(lambda x, a, b: x[a, b, 0:3])
    grad = ops.grad(net, grad_position=0)(Tensor(X), Tensor(I0), Tensor(I1)).asnumpy()
    want = np.zeros_like(X)
    np.add.at(want, (I0[..., None], I1[..., None], np.arange(3)), 1.0)
    np.testing.assert_array_equal(grad, want)


class Write(nn.Cell):
    def __init__(self, mode):
        super().__init__()
        self.param = Parameter(Tensor(X), name="x")
        self.mode = mode

    def construct(self, a, b, value):
        if self.mode == 0:
            self.param[a] = value
        elif self.mode == 1:
            self.param[0:2, a, b] = value
        else:
            self.param[..., b, 1] = value
        return self.param + 1.0


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_write_by_traced_arrays_matches_numpy(on_real_server, mode):
    context.set_context(mode=context.GRAPH_MODE)
    a, b = np.array([[4, 0], [3, 1]], np.int32), np.array([2, -3], np.int32)  # no repeated element
    want = X.copy()
    index = {0: (a,), 1: (slice(0, 2), a, b), 2: (Ellipsis, b, 1)}[mode]
    value = np.linspace(-1, 1, want[index].shape[-1]).astype(np.float32)  # broadcast over the indexed shape
    want[index] = value
    out = Write(mode)(Tensor(a), Tensor(b), Tensor(value))
    np.testing.assert_array_equal(out.asnumpy(), want + 1.0)
