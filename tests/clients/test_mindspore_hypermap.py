"""HyperMap's rule for arguments mixing sequences and other values, as MindSpore's: it maps while
every argument is a sequence; mixed arguments go to f as they are, unless f is a MultitypeFuncGraph
with nothing registered for them (MindSpore raises there; gradserve passes the non-sequences whole
to each element). Expected values by hand."""
import numpy as np

from gradserve import Tensor, nn, ops
from gradserve.ops import GradOperation


def test_hypermap_calls_a_registered_function_on_mixed_arguments(on_real_server):
    scale_first = ops.MultitypeFuncGraph("scale_first")

    @scale_first.register("Tensor", "Tuple")
    def _(c, pair):
        return c * pair[0]

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.hyper_map = ops.HyperMap(scale_first)

        def construct(self, x, y, z):
            return self.hyper_map((x, y), ((z, x), (y, z)))   # (x * z, y * y)

    x, y, z = 2.0, -3.0, 0.5
    out = Net()(*[Tensor(np.float32(v)) for v in (x, y, z)])
    assert [float(o.asnumpy()) for o in out] == [x * z, y * y]
    grads = GradOperation(get_all=True)(Net())(*[Tensor(np.float32(v)) for v in (x, y, z)])
    assert [float(g.asnumpy()) for g in grads] == [z, 2 * y, x]   # d(x z + y^2)


def test_hypermap_broadcasts_where_no_function_is_registered(on_real_server):
    scale = ops.MultitypeFuncGraph("scale")

    @scale.register("Number", "Tensor")
    def _(s, t):
        return t * s

    out = ops.HyperMap()(scale, 2.0, (Tensor(np.array([1.0, 2.0])), (Tensor(np.array([4.0])),)))
    np.testing.assert_allclose(out[0].asnumpy(), [2.0, 4.0])
    np.testing.assert_allclose(out[1][0].asnumpy(), [8.0])


def test_hypermap_mixed_arguments_rule():
    a, b, c = 1.0, 2.0, 3.0
    # a plain function gets the mixed arguments as they are (here: an int and a tuple)
    assert ops.HyperMap()(lambda n, t: n * len(t), (2, 3), ((a, b), (c,))) == (4, 3)
    # while every argument is a sequence it maps in step, recursively
    assert ops.HyperMap()(lambda p, q: p + q, ((a, b), c), ((b, c), a)) == ((3.0, 5.0), 4.0)
