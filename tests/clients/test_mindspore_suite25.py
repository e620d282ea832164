"""Sample seed 25 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 25"): primitive
classes its files call that gradserve lacked, and an error of the wrong type.

Expected values: MindSpore 2.10 (CPU), run for this task in its own venv (the literals below are its outputs,
the call that gave each stated beside it)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, ops
from gradserve.ops import operations as P

NAN = float("nan")


def test_soft_shrink_class(on_real_server):
    # tests/st/ops/cpu/test_soft_shrink_op.py; MindSpore 2.10: P.SoftShrink(0.5)([-1, 0.2, 0.7]) = [-0.5, 0, 0.2]
    out = P.SoftShrink(0.5)(Tensor(np.array([-1.0, 0.2, 0.7], np.float32)))
    np.testing.assert_allclose(out.asnumpy(), [-0.5, 0.0, 0.2], rtol=1e-6, atol=1e-7)
    with pytest.raises(TypeError, match="lambd"):
        P.SoftShrink("0.5")


def test_inplace_update_class(on_real_server):
    # tests/st/ops/cpu/test_inplace_op.py; MindSpore 2.10 on x = arange(12).reshape(4, 3), v = -1
    x = Tensor(np.arange(12).reshape(4, 3).astype(np.float32))
    out = P.InplaceUpdate((0, 2))(x, Tensor(-np.ones((2, 3), np.float32)))
    np.testing.assert_array_equal(out.asnumpy(), [[-1, -1, -1], [3, 4, 5], [-1, -1, -1], [9, 10, 11]])
    out = P.InplaceUpdate(1)(x, Tensor(-np.ones((1, 3), np.float32)))
    np.testing.assert_array_equal(out.asnumpy(), [[0, 1, 2], [-1, -1, -1], [6, 7, 8], [9, 10, 11]])
    np.testing.assert_array_equal(x.asnumpy(), np.arange(12).reshape(4, 3))  # x itself unchanged
    # MindSpore 2.10: "For primitive[InplaceUpdate], the value of indices must be in [0,4), but got 5."
    with pytest.raises(ValueError, match=r"indices must be in \[0,4\), but got 5"):
        P.InplaceUpdate((0, 5))(x, Tensor(-np.ones((2, 3), np.float32)))
    with pytest.raises(ValueError, match=r"v must have shape \(2, 3\)"):
        P.InplaceUpdate((0, 1))(x, Tensor(-np.ones((3, 3), np.float32)))


def test_median_class(on_real_server):
    # tests/st/ops/cpu/test_median_op.py; MindSpore 2.10 outputs stated per line
    x = Tensor(np.array([[3.0, 1.0, 2.0], [9.0, 7.0, 8.0]], np.float32))
    value, index = ops.Median(global_median=True)(x)  # (3, 0): the lower middle of all, index 0
    assert value.shape == () and float(value) == 3.0 and int(index) == 0 and index.dtype == ms.int64
    values, indices = ops.Median(axis=1, keep_dims=True)(x)  # ([[2], [8]], [[2], [2]])
    np.testing.assert_array_equal(values.asnumpy(), [[2.0], [8.0]])
    np.testing.assert_array_equal(indices.asnumpy(), [[2], [2]])
    value, _ = ops.Median(global_median=True, ignore_nan=True)(Tensor(np.array([NAN, 1, 5, 3], np.float32)))
    assert float(value) == 3.0
    value, _ = ops.Median(global_median=True)(Tensor(np.array([NAN, 1, 5, 3], np.float32)))
    assert np.isnan(float(value))  # a NaN anywhere: the median is NaN without ignore_nan (numpy.median too)
    value, _ = ops.Median(global_median=True)(Tensor(np.zeros((2, 0), np.int32)))  # an empty int32: 0
    assert value.dtype == ms.int32 and int(value) == 0
    value, _ = ops.Median(global_median=True)(Tensor(np.zeros((2, 0), np.float32)))  # an empty float: NaN
    assert np.isnan(float(value))


def test_tensor_scatter_add_dim_form_is_a_runtime_error(on_real_server):
    # tests/st/tensor/overload/test_scatter_add.py: MindSpore 2.10 on CPU raises RuntimeError ("The kernel
    # ScatterAddExt unregistered.") for x.scatter_add(dim, index, src)
    x = Tensor(np.array([[1, 2, 3, 4, 5]]), ms.float32)
    with pytest.raises(RuntimeError, match=r"\(dim, index, src\) form"):
        x.scatter_add(1, Tensor(np.array([[2, 4]]), ms.int64), Tensor(np.array([[8, 8]]), ms.float32))


def test_roi_align_grad_class(on_real_server):
    # tests/st/ops/test_roi_align_grad_op.py: MindSpore 2.10's expected dx (its literal) for one roi over a 6 x 6 map
    from gradserve.ops.operations import _grad_ops as G
    rois = Tensor(np.array([[0, -2.0, -2.0, 21.0, 21.0]], np.float32))
    dy = Tensor(np.array([[[[0.1, 0.2, 0.3]] * 3]], np.float32))
    dx = G.ROIAlignGrad(3, 3, 0.25, 2)(dy, rois, (1, 1, 6, 6))
    np.testing.assert_allclose(dx.asnumpy(), [[[[0.025, 0.025, 0.05, 0.05, 0.075, 0.075]] * 6]], atol=1e-6)
    # the same dx is ROIAlign's gradient with dy as the sensitivity (ROIAlign is linear in its features)
    grad = ops.GradOperation(sens_param=True)(lambda x: ops.ROIAlign(3, 3, 0.25, 2)(x, rois))
    np.testing.assert_allclose(grad(Tensor(np.random.rand(1, 1, 6, 6).astype(np.float32)), dy).asnumpy(),
                               dx.asnumpy(), atol=1e-6)
    with pytest.raises(ValueError, match=r"dy must be \[R, C, 3, 3\]"):
        G.ROIAlignGrad(3, 3, 0.25, 2)(dy, rois, (1, 2, 6, 6))


def test_rgb_to_hsv_class(on_real_server):
    # tests/st/ops/cpu/test_rgb_to_hsv_op.py; expected: Python's colorsys.rgb_to_hsv (MindSpore 2.10 agrees to 1e-7:
    # [0.9, 0.1, 0.3] -> [0.9583333, 0.8888889, 0.9])
    import colorsys
    from gradserve.ops.operations.image_ops import RGBToHSV
    rgb = np.array([[0.25, 0.5, 0.5], [1, 0, 0], [0.2, 0.2, 0.2], [0, 0, 0], [0.1, 0.9, 0.3], [0.3, 0.1, 0.9],
                    [0.9, 0.3, 0.1], [0.9, 0.1, 0.3]], np.float32)
    want = np.array([colorsys.rgb_to_hsv(*map(float, row)) for row in rgb])
    np.testing.assert_allclose(RGBToHSV()(Tensor(rgb.reshape(2, 4, 3))).asnumpy().reshape(8, 3), want, atol=1e-6)
    assert RGBToHSV()(Tensor(rgb.astype(np.float16))).dtype == ms.float16
    with pytest.raises(ValueError, match="last dimension of input 'images' must be equal to 3"):
        RGBToHSV()(Tensor(np.ones((2, 4), np.float32)))
    with pytest.raises(TypeError, match="float16, float32 or float64"):
        RGBToHSV()(Tensor(np.ones((2, 3), np.int32)))


def test_tensorpy_pickles(on_real_server):
    # tests/st/tensor/test_set_getstate.py: pickle round trip of _c_expression.TensorPy(Tensor(ones((3, 3))))
    import pickle
    from gradserve._c_expression import TensorPy
    x = TensorPy(Tensor(np.ones((3, 3))))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(x)).asnumpy(), np.ones((3, 3)))


def test_combined_non_max_suppression_class(on_real_server):
    # tests/st/ops/cpu/test_combined_non_max_suppression_op.py; the literals: MindSpore 2.10 on CPU for these inputs
    from gradserve.ops.operations.image_ops import CombinedNonMaxSuppression
    boxes = Tensor(np.array([[[[0.0, 0.0, 0.5, 0.5]], [[0.05, 0.05, 0.55, 0.55]], [[0.6, 0.6, 1.2, 0.9]],
                              [[0.5, 0.5, -0.1, 0.0]]]], np.float32))
    scores = Tensor(np.array([[[0.9, 0.1], [0.8, 0.7], [0.3, 0.6], [0.2, 0.05]]], np.float32))
    limits = (Tensor(2, ms.int32), Tensor(5, ms.int32), Tensor(0.5, ms.float32), Tensor(0.15, ms.float32))
    kept = [[0.0, 0.0, 0.5, 0.5], [0.05, 0.05, 0.55, 0.55], [0.6, 0.6, 1.0, 0.9], [0.6, 0.6, 1.0, 0.9]]
    nmsed_boxes, nmsed_scores, classes, valid = CombinedNonMaxSuppression()(boxes, scores, *limits)
    np.testing.assert_allclose(nmsed_boxes.asnumpy(), [kept + [[0.0] * 4]], rtol=1e-6)  # clipped to [0, 1]
    np.testing.assert_allclose(nmsed_scores.asnumpy(), [[0.9, 0.7, 0.6, 0.3, 0.0]], rtol=1e-6)
    np.testing.assert_array_equal(classes.asnumpy(), [[0.0, 1.0, 1.0, 0.0, 0.0]])
    assert valid.dtype == ms.int32 and valid.asnumpy().tolist() == [4]
    # pad_per_class: min(max_total_size, max_output_size_per_class * classes) = 4 rows
    nmsed_boxes, nmsed_scores, _, valid = CombinedNonMaxSuppression(pad_per_class=True)(boxes, scores, *limits)
    assert nmsed_boxes.shape == (1, 4, 4) and nmsed_scores.shape == (1, 4) and valid.asnumpy().tolist() == [4]
    with pytest.raises(ValueError, match=r"boxes must be \[batch, num_boxes, q, 4\]"):
        CombinedNonMaxSuppression()(Tensor(np.zeros((1, 4, 3, 4), np.float32)), scores, *limits)
