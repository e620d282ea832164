"""Sample seed 45 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 45").

Expected values and error texts: MindSpore 2.10 (CPU), PyNative mode unless said, each program run in a fresh
process of its own venv (/work/ms_suite45/probe/p3.py, p6.py hold the same programs)."""
import numpy as np
import pytest

from gradserve import Parameter, ParameterTuple, Tensor, jit, nn, ops
from gradserve import dtype as mstype
from gradserve.ops import operations as P

ONES_W2 = np.ones((2, 3, 2, 2), np.float32)
ONES_X2 = np.ones((1, 3, 4, 4), np.float32)
ONES_W3 = np.ones((2, 3, 2, 2, 2), np.float32)
ONES_X3 = np.ones((1, 3, 4, 4, 4), np.float32)

# MindSpore 2.10: a weight whose out-channels / kernel differ from the primitive's out_channel / kernel_size is
# refused (Conv2D RuntimeError, Conv3D ValueError), out_channel checked first; gradserve ran on the weight's.
REFUSED = [
    (lambda: P.Conv2D(out_channel=2, kernel_size=3)(Tensor(ONES_X2), Tensor(ONES_W2)), RuntimeError,
     "For 'Conv2D', 'w_shape[2]' must be equal to 'kernel_size[0]', but got 'w_shape[2]': 2, 'kernel_size[0]': 3."),
    (lambda: P.Conv2D(out_channel=3, kernel_size=3)(Tensor(ONES_X2), Tensor(ONES_W2)), RuntimeError,
     "For 'Conv2D', 'w_shape[0]' must be equal to 'out_channel', but got 'w_shape[0]': 2, 'out_channel': 3."),
    (lambda: P.Conv2D(out_channel=2, kernel_size=2, group=3)(Tensor(ONES_X2), Tensor(np.ones((3, 1, 2, 2),
                                                                                           np.float32))),
     RuntimeError, "For 'Conv2D', 'w_shape[0]' must be equal to 'out_channel', but got 'w_shape[0]': 3, "
                   "'out_channel': 2."),
    (lambda: P.Conv3D(out_channel=3, kernel_size=2)(Tensor(ONES_X3), Tensor(ONES_W3)), ValueError,
     "For 'Conv3D', 'w_shape[0]' must be equal to 'out_channel', but got 'w_shape[0]': 2, 'out_channel': 3."),
    (lambda: P.Conv3D(out_channel=2, kernel_size=3)(Tensor(ONES_X3), Tensor(ONES_W3)), ValueError,
     "For 'Conv3D', 'w_shape[2]' must be equal to 'kernel_size[0]', but got 'w_shape[2]': 2, 'kernel_size[0]': 3."),
]


@pytest.mark.parametrize("call,err,text", REFUSED)
def test_conv_weight_disagreeing_with_attributes_is_refused(on_real_server, call, err, text):
    with pytest.raises(err) as info:
        call()
    assert str(info.value) == text


def test_conv_weight_agreeing_runs(on_real_server):
    # MindSpore 2.10: P.Conv2D(2, 2) of ones (1, 3, 4, 4) by ones (2, 3, 2, 2): 12 everywhere, shape (1, 2, 3, 3)
    out = P.Conv2D(out_channel=2, kernel_size=2)(Tensor(ONES_X2), Tensor(ONES_W2))
    np.testing.assert_array_equal(out.asnumpy(), np.full((1, 2, 3, 3), 12.0, np.float32))


def _hook(k):
    def scale(grad):
        return grad * k
    return scale


class ForwardNet(nn.Cell):  # st/pi_jit/test_grad_register_hook's
    def __init__(self):
        super().__init__()
        self.matmul = ops.MatMul()
        self.w = Parameter(Tensor([[2., 2.], [2., 2.]], mstype.float32), name="w", requires_grad=True)
        self.z = Parameter(Tensor([[3., 3.], [3., 3.]], mstype.float32), name="z", requires_grad=True)

    def construct(self, x, y):
        return self.matmul(x * self.w * self.z, y)


class GradNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.net = ForwardNet()
        self.params = ParameterTuple(self.net.trainable_params())
        self.params[0].register_hook(_hook(6))
        self.params[1].register_hook(_hook(8))
        self.grad_op = ops.GradOperation(get_all=True, get_by_list=True)

    def construct(self, x, y):
        return self.grad_op(self.net, self.params)(x, y)


def _run(net, x, y):
    return net(x, y)


# MindSpore 2.10 (p3.py "both", the same in PyNative, jit(capture_mode="bytecode") and jit): hooks x2 on x,
# x4 on y, x6 on w, x8 on z.
HOOKED = [[[[132.0, 180.0], [132.0, 180.0]], [[96.0, 96.0], [144.0, 144.0]]],
          [[[198.0, 540.0], [594.0, 1080.0]], [[176.0, 480.0], [528.0, 960.0]]]]


@pytest.mark.parametrize("wrap", [lambda f: f, lambda f: jit(f, capture_mode="bytecode"), jit])
def test_tensor_and_parameter_hooks_scale_gradients(on_real_server, pynative, wrap):
    x = Tensor([[1., 2.], [3., 4.]], mstype.float32)
    y = Tensor([[5., 6.], [7., 8.]], mstype.float32)
    x.register_hook(_hook(2))
    y.register_hook(_hook(4))
    (dx, dy), (dw, dz) = wrap(_run)(GradNet(), x, y)
    got = [[dx.asnumpy().tolist(), dy.asnumpy().tolist()], [dw.asnumpy().tolist(), dz.asnumpy().tolist()]]
    assert got == HOOKED
