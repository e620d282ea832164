"""Round 14 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 14 (user-written Cells with
control flow on Tensor values, nested Cells and @ms.jit construct; keyword defaults across Tensor / ops / mint / nn
spellings; optimizers and in-place Parameter updates between gradients; several outputs; third order; norm layers
train -> eval), run as the same text in MindSpore 2.10 CPU (/work/msvenv) and in the SDK, beside probes by hand.
The harness's own check, a regression test per wrong answer found, and pins of answers where MindSpore's CPU is off
(ours checked by closed forms / torch 2.13 float64). Each test says where its expected values come from."""
import numpy as np

from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen14 as gen14  # noqa: E402
from clients import _ms_rounds  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_round14_programs_are_reproducible_compile_and_draw_every_form():
    _ms_rounds.checked_programs(gen14.programs14, 14,
        forms={"cell14", "flow14", "spell14", "train14", "multi14", "api14", "promo14", "norm14"},
        modes={"grad3", "sens_by_list", "all_by_list", "layer_grad_grad", "value", "jvp", "jit_grad", "hessian"},
        spellings=("class Net(nn.Cell)", "@ms.jit", "while i < k", "ops.stop_gradient(", "TrainOneStepCell",
                   "ops.assign_sub(", "ops.scatter_update(", "has_aux=True", "sens_param=True", "'float16'"))


# ----------------------------------------------------------------------------------------- wrong answers fixed
def test_scatter_with_a_repeated_index_keeps_one_write(mindspore_is_gradserve):
    """ops.scatter / Tensor.scatter / tensor_scatter_elements (reduction 'none') added the src values written to one
    position: row [1, 1] of src [3, 4] gave 7, a value no write makes. MindSpore 2.10.0 CPU (run by hand) keeps one
    write (4 here; its kernel's order varies), torch 2.13 the last: now the last in row-major order. The gradient
    reaches every src value written (the output's gathered at index: [9, 9] for row [1, 1]; round 17 found the
    overwritten 3 given 0 here). Expected values: MindSpore 2.10.0 CPU runs by hand (/work/ms_suite_fuzz17/p_scat4.py
    for the gradient)."""
    from mindspore import Tensor, ops
    x = Tensor(np.zeros((3, 4), np.float32))
    src = Tensor(np.array([[0.86, -0.74], [1., 2.], [3., 4.]], np.float32))
    idx = Tensor(np.array([[0, 1], [2, 3], [1, 1]], np.int64))
    want = [[0.86, -0.74, 0, 0], [0, 0, 1, 2], [0, 4, 0, 0]]
    np.testing.assert_allclose(ops.scatter(x, 1, idx, src).asnumpy(), want)
    np.testing.assert_allclose(x.scatter(1, idx, src).asnumpy(), want)
    np.testing.assert_allclose(ops.tensor_scatter_elements(x, idx, src, 1).asnumpy(), want)
    np.testing.assert_allclose(ops.tensor_scatter_elements(x, idx, src, 1, "add").asnumpy()[2], [0, 7, 0, 0])
    w = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    g = ops.grad(lambda s: (ops.scatter(x, 1, idx, s) * w).sum())(src)
    np.testing.assert_allclose(g.asnumpy(), [[0, 1], [6, 7], [9, 9]])  # MindSpore 2.10.0 CPU's
    rows = ops.scatter(Tensor(np.full((3, 3), 9., np.float32)), 0, Tensor(np.array([[1, 1], [1, 0]], np.int32)),
                       Tensor(np.array([[1., 2.], [3., 4.]], np.float32)))
    np.testing.assert_allclose(rows.asnumpy(), [[9, 4, 9], [3, 2, 9], [9, 9, 9]])  # MindSpore 2.10.0 CPU's


def test_numpy_expand_dims_takes_a_tuple_of_axes(mindspore_is_gradserve):
    """mindspore.numpy.expand_dims(x, (0, 2)) raised a TypeError from int(); MindSpore 2.10.0 CPU (run by hand) gives
    NumPy's result: (3, 4) -> (1, 3, 1, 4); (-1, 0) -> (1, 3, 4, 1); duplicate / out-of-range axes are ValueErrors
    with NumPy's texts."""
    import pytest
    import mindspore.numpy as mnp
    from mindspore import Tensor, ops
    x = mnp.ones((3, 4))
    assert mnp.expand_dims(x, (0, 2)).shape == (1, 3, 1, 4)
    assert mnp.expand_dims(x, (-1, 0)).shape == (1, 3, 4, 1)
    assert mnp.expand_dims(x, 2).shape == (3, 4, 1)
    with pytest.raises(ValueError, match="duplicate axes"):
        mnp.expand_dims(x, (0, 0))
    with pytest.raises(ValueError, match="out of bounds"):
        mnp.expand_dims(x, (0, 5))
    w = Tensor(np.arange(12, dtype=np.float32).reshape(1, 3, 1, 4))
    g = ops.grad(lambda a: (mnp.expand_dims(a, (0, 2)) * w).sum())(x)
    np.testing.assert_allclose(g.asnumpy(), np.arange(12).reshape(3, 4))


# ----------------------------------------------------------------------------------------- MindSpore's CPU off, ours kept
def test_second_order_through_stop_gradient_in_a_loop_and_a_one_element_amax(mindspore_is_gradserve):
    """MindSpore 2.10.0 CPU gives 0 for d2/dw2 of y = stop(x w + b) w w + b (s142:95) and half of the second
    derivative through amax of one element (s142:16). Closed forms: 2 stop(x w + b); for x w < 1, y = x^2 w, so
    d2y/dx2 = 2 w."""
    from mindspore import Tensor, ops

    def looped(x, w, b):
        y = x
        for i in range(3):
            y = ops.stop_gradient(y) * w if i == 1 else y * w + b
        return y.sum()
    x, w, b = (Tensor(np.array([v], np.float32)) for v in (0.5, 1.5, 0.25))
    second = ops.grad(ops.grad(looped, 1), 1)(x, w, b)
    np.testing.assert_allclose(second.asnumpy(), [2 * (0.5 * 1.5 + 0.25)], rtol=1e-6)

    def branch(x, w):
        m = ops.amax(x * w)
        return (x / m if m > 1.0 else x * m).sum()
    xx = ops.grad(ops.grad(branch, 0), 0)(Tensor(np.array([-1.0], np.float32)), Tensor(np.array([0.5], np.float32)))
    np.testing.assert_allclose(xx.asnumpy(), [2 * 0.5], rtol=1e-6)


def test_clip_by_norm_cell_clips_each_row_and_avg_pool_divisor_gradient(mindspore_is_gradserve):
    """nn.ClipByNorm(axis=1): t * clip / max(||t||_row, clip), its documentation (MindSpore 2.10.0 CPU divides row
    [2.25, -1, 1.25, 0] by 3.5, norm 2.76); nn.AvgPool2d(2, 2, 'pad', 1, True, False, 3): the value sum / 3 on both
    sides, the corner's gradient w / 3 (MindSpore's 4 w / 3). Closed forms."""
    from mindspore import Tensor, nn, ops
    t = np.array([[2.25, -1.0, 1.25, 0.0], [0.25, 0.5, 0.25, 0.5]], np.float32)
    got = nn.ClipByNorm(1)(Tensor(t), Tensor(1.0)).asnumpy()
    norms = np.linalg.norm(t, axis=1, keepdims=True)
    np.testing.assert_allclose(got, t / np.maximum(norms, 1.0), rtol=1e-6)
    x = Tensor(np.arange(12, dtype=np.float32).reshape(1, 1, 3, 4))
    pool = nn.AvgPool2d(2, 2, "pad", 1, True, False, 3)
    np.testing.assert_allclose(pool(x).asnumpy()[0, 0, 0], [0 / 3, (1 + 2) / 3, 3 / 3])
    g = ops.grad(lambda a: pool(a).sum())(x).asnumpy()[0, 0]
    np.testing.assert_allclose(g, np.full((3, 4), 1 / 3), rtol=1e-6)
