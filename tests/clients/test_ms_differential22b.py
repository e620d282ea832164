"""Round 22, part 2: the seeds 22 / 122 programs of benchmarks/ms_differential.py --round 22 that round 22 did not
reach, run in MindSpore 2.10 CPU (/work/msvenv) and in the SDK. A regression test per difference fixed; each test says
where its expected values come from."""
import pytest

from clients._ms_shim import in_mode as _in_mode, mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_matmul_of_two_float_dtypes_is_a_type_error(mindspore_is_gradserve, graph):
    """ops.matmul(float32, float16) under value_and_grad (r22:22:308): MindSpore 2.10.0 CPU refuses with TypeError in
    both modes ("For 'MatMulExt', the type of 'x2' should be same as 'x1', but got 'x1' with type Tensor[Float32] and
    'x2' with type Tensor[Float16]." / GRAPH_MODE "For primitive[MatMulExt], the input type must be same."); ours was a
    ShapeError, a ValueError only."""
    import numpy as np
    import mindspore as ms
    from mindspore import Tensor, ops

    x = Tensor(np.ones((2, 2), np.float32))
    y = Tensor(np.ones((2, 2), np.float16))

    def g(a, b):
        return ops.matmul(a, b.T).sum()

    with pytest.raises(TypeError, match="float32.*float16"):
        _in_mode(graph, lambda: ops.value_and_grad(g, (0, 1))(x, y))
    with pytest.raises(TypeError):
        _in_mode(graph, lambda: ops.matmul(x, y))


def test_refusal_classes_compare_through_the_sdk_exception_hierarchy():
    """The harness's refusal_class: the SDK's DtypeError is a TypeError and ShapeError a ValueError, so a program that
    MindSpore refuses with TypeError / ValueError and ours with a class deriving from it is refused alike; others differ."""
    import ms_differential as msd
    ms_type = {"outcome": "error", "error": "TypeError: For primitive[MatMulExt], the input type must be same."}
    ms_value = {"outcome": "error", "error": "ValueError: For 'Conv2D', ..."}
    assert msd._classify(ms_type, {"outcome": "error", "error": "DtypeError: matmul: ..."})[0] == "ms_error"
    assert msd._classify(ms_value, {"outcome": "error", "error": "ShapeError: conv2d: ..."})[0] == "ms_error"
    assert msd._classify(ms_type, {"outcome": "error", "error": "ShapeError: matmul: ..."})[0] == "refusal_class"
    assert msd._classify(ms_type, {"outcome": "error", "error": "NoSuchError: x"})[0] == "refusal_class"


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_conv3d_transpose_whose_padding_empties_an_axis_gives_an_empty_output(mindspore_is_gradserve, graph):
    """nn.Conv3dTranspose(kernel 1, pad_mode='pad', padding=1) of a height-2 input: (2 - 1) - 2 + 1 = 0 on that axis.
    MindSpore 2.10.0 CPU (both modes; r22:22:494 / 480) answers an empty (2, 2, 1, 0, 1) output, its jvp the same
    empty tangent, and zero gradients in the input and the weight; torch's conv_transpose3d gives that shape too.
    Ours refused (ShapeError "leaves no output")."""
    import numpy as np
    from mindspore import Tensor, nn, ops

    def run():
        net = nn.Conv3dTranspose(1, 2, 1, stride=1, pad_mode='pad', padding=1, has_bias=False)
        x = Tensor(np.arange(36, dtype=np.float32).reshape(2, 1, 3, 2, 3))
        out, tangent = ops.jvp(net, x, ops.ones_like(x))
        loss = lambda a: (net(a) * 2).sum()
        gx, (gw,) = ops.grad(loss, 0, net.trainable_params())(x)
        return out.shape, tangent.shape, gx.asnumpy(), gw.asnumpy()

    out_shape, tangent_shape, gx, gw = _in_mode(graph, run)
    assert tuple(out_shape) == tuple(tangent_shape) == (2, 2, 1, 0, 1)
    np.testing.assert_array_equal(gx, np.zeros((2, 1, 3, 2, 3), np.float32))
    np.testing.assert_array_equal(gw, np.zeros((1, 2, 1, 1, 1), np.float32))
