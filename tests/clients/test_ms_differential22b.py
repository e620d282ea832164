"""Round 22, part 2: the seeds 22 / 122 programs of benchmarks/ms_differential.py --round 22 that round 22 did not
reach, run in MindSpore 2.10 CPU (/work/msvenv) and in the SDK. A regression test per difference fixed; each test says
where its expected values come from."""
import pytest

from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)


def _in_mode(graph: bool, fn):
    import mindspore as ms
    mode = ms.get_context("mode")
    ms.set_context(mode=ms.GRAPH_MODE if graph else ms.PYNATIVE_MODE)
    try:
        return fn()
    finally:
        ms.set_context(mode=mode)


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
