"""The tail of MindSpore 2.10's documented examples (ops/_doc_image.py, _doc_conv_diag.py, _doc_prims.py,
_doc_loops.py, _doc_sparse_misc.py, _doc_update_misc.py). Expected values: Python's colorsys, torch, NumPy, the
output MindSpore's docs print ("docs") or MindSpore 2.10 CPU's own run of the same inputs ("MindSpore");
gradients against central differences in float64."""
import colorsys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gradserve as gs
from gradserve import Tensor, ops

RNG = np.random.default_rng(5)


def central_difference(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d sum(f(x)) / dx, f evaluated through gradserve in float64."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        g[i] = (float(f(Tensor(up)).asnumpy().sum()) - float(f(Tensor(down)).asnumpy().sum())) / (2 * eps)
    return g


def check_gradient(f, x: np.ndarray, rtol: float = 1e-5, eps: float = 1e-6) -> None:
    got = ops.grad(lambda t: f(t).sum())(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, central_difference(f, x, eps), rtol=rtol, atol=1e-7)


# -- image colour ------------------------------------------------------------------------------------------
def test_hsv_round_trip_matches_colorsys(fake):
    rgb = RNG.uniform(0.05, 0.95, (2, 3, 4, 3)).astype(np.float32)
    rgb[0, 0, 0] = [0.2, 0.2, 0.2]  # grey: hue and saturation 0
    rgb[0, 0, 1] = [0.0, 0.0, 0.0]  # black
    want = np.apply_along_axis(lambda p: colorsys.rgb_to_hsv(*p), -1, rgb.astype(np.float64))
    hsv = ops.RGBToHSV()(Tensor(rgb)).asnumpy()
    np.testing.assert_allclose(hsv, want, rtol=1e-5, atol=1e-6)  # colorsys
    back = np.apply_along_axis(lambda p: colorsys.hsv_to_rgb(*p), -1, want)
    np.testing.assert_allclose(ops.HSVToRGB()(Tensor(hsv)).asnumpy(), back, rtol=1e-5, atol=1e-6)
    doc = np.array([0.5, 0.5, 0.5], np.float32).reshape(1, 1, 1, 3)
    assert ops.HSVToRGB()(Tensor(doc)).asnumpy().reshape(-1).tolist() == [0.25, 0.5, 0.5]  # docs


def test_adjust_hue_and_saturation_match_mindspore(fake):
    img = Tensor(np.array([[[0.9, 0.1, 0.4], [0.1, 0.8, 0.3]]], np.float32))
    np.testing.assert_allclose(ops.AdjustHue()(img, Tensor(np.float32(0.3))).asnumpy(),
                               [[[0.56, 0.9, 0.1], [0.16, 0.1, 0.8]]], atol=1e-6)  # MindSpore
    np.testing.assert_allclose(ops.AdjustHue()(img, -0.45).asnumpy(),
                               [[[0.1, 0.9, 0.84], [0.8, 0.1, 0.39]]], atol=1e-6)  # MindSpore
    np.testing.assert_allclose(ops.AdjustSaturation()(img, Tensor(np.float32(1.7))).asnumpy(),
                               [[[0.9, 0.0, 0.3375], [0.0, 0.8, 0.22857143]]], atol=1e-6)  # MindSpore
    docs = np.arange(1, 13, dtype=np.float32).reshape(2, 2, 3)
    np.testing.assert_allclose(ops.AdjustSaturation()(Tensor(docs), Tensor(np.float32(0.5))).asnumpy(),
                               [[[2, 2.5, 3], [5, 5.5, 6]], [[8, 8.5, 9], [11, 11.5, 12]]], rtol=1e-6)  # docs


def test_colour_gradients_match_central_differences(fake):
    rgb = RNG.uniform(0.1, 0.9, (3, 3))  # distinct channels: away from the max / min switches
    check_gradient(lambda t: ops.RGBToHSV()(t), rgb)
    check_gradient(lambda t: ops.AdjustSaturation()(t, 0.6), rgb)
    hsv = np.array([[0.1, 0.5, 0.7], [0.45, 0.3, 0.2], [0.8, 0.9, 0.5]])  # hues inside a sixth, off its edges
    check_gradient(lambda t: ops.HSVToRGB()(t), hsv)


# -- transposed convolutions -----------------------------------------------------------------------------------
@pytest.mark.parametrize("pad_mode,pad,stride,size", [("valid", 0, 1, (7, 8)), ("same", 0, 2, (9, 10)),
                                                      ("pad", (1, 0, 2, 1), 2, (8, 9))])
def test_conv2d_transpose_is_conv2d_input_gradient(fake, pad_mode, pad, stride, size):
    x = torch.zeros((2, 3) + size, dtype=torch.float64, requires_grad=True)
    w = RNG.standard_normal((4, 3, 3, 2))
    if pad_mode == "same":  # conv's 'same': total (ceil(n / s) - 1) s + k - n, the low side half
        tot = [max((-(-n // stride) - 1) * stride + k - n, 0) for n, k in zip(size, (3, 2))]
        pads = (tot[1] // 2, tot[1] - tot[1] // 2, tot[0] // 2, tot[0] - tot[0] // 2)
    else:
        pads = (0, 0, 0, 0) if pad_mode == "valid" else (pad[2], pad[3], pad[0], pad[1])
    y = F.conv2d(F.pad(x, pads), torch.from_numpy(w), stride=stride)
    dout = RNG.standard_normal(tuple(y.shape))
    (want,) = torch.autograd.grad(y, x, torch.from_numpy(dout))  # torch: conv2d's gradient in its input
    op = ops.Conv2DTranspose(out_channel=4, kernel_size=(3, 2), pad_mode=pad_mode, pad=pad, stride=stride)
    got = op(Tensor(dout), Tensor(w), (2, 3) + size).asnumpy()
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-10)
    if pad_mode == "valid":  # a small one: its gradient in dout and in weight
        small = RNG.standard_normal((1, 4, 2, 2))
        check_gradient(lambda t: op(t, Tensor(w), (1, 3, 4, 3)), small)
        check_gradient(lambda t: op(Tensor(small), t, (1, 3, 4, 3)), w)


def test_conv3d_transpose_matches_torch_and_mindspore_shapes(fake):
    rng = np.random.default_rng(0)  # MindSpore's run drew these two with this generator
    d = rng.standard_normal((1, 2, 3, 4, 5)).astype(np.float32)
    w = rng.standard_normal((2, 3, 2, 3, 3)).astype(np.float32)
    full = F.conv_transpose3d(torch.from_numpy(d).double(), torch.from_numpy(w).double(), stride=2).numpy()
    cases = [("same", 0, 2, (1, 3, 6, 8, 10), 3.6784467697143555, full[:, :, 0:6, 0:8, 0:10]),
             ("pad", (1, 0, 1, 1, 0, 2), 2, (1, 3, 5, 7, 9), 12.462567329406738, full[:, :, 1:6, 1:8, 0:9]),
             ("valid", 0, (1, 2, 3), (1, 3, 4, 9, 15), -23.870914459228516,
              F.conv_transpose3d(torch.from_numpy(d).double(), torch.from_numpy(w).double(), stride=(1, 2, 3)).numpy())]
    for pad_mode, pad, stride, shape, ms_sum, want in cases:
        out = ops.Conv3DTranspose(2, 3, (2, 3, 3), pad_mode=pad_mode, pad=pad, stride=stride)(Tensor(d), Tensor(w))
        assert out.shape == shape  # MindSpore
        np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-5)  # torch
        if ms_sum is not None:
            assert float(out.asnumpy().sum()) == pytest.approx(ms_sum, rel=1e-5)  # MindSpore
    check_gradient(lambda t: ops.Conv3DTranspose(2, 3, (2, 3, 3), stride=2)(t, Tensor(w.astype(np.float64))),
                   d.astype(np.float64)[:, :, :2, :2, :2])


# -- matrix_diag ---------------------------------------------------------------------------------------------
def test_matrix_diag_matches_docs_and_mindspore(fake):
    x = Tensor(np.array([[8.0, 9.0, 0.0], [1.0, 2.0, 3.0], [0.0, 4.0, 5.0]], np.float32))
    out = ops.matrix_diag(x, Tensor(np.array([-1, 1], np.int32)), Tensor(np.int32(3)), Tensor(np.int32(3)),
                          Tensor(np.float32(11)), align="LEFT_RIGHT")
    assert out.asnumpy().tolist() == [[1, 8, 11], [4, 2, 9], [11, 5, 3]]  # docs
    band = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    assert ops.MatrixDiagV3()(band, (0, 1), 3, -1, 0.0).asnumpy().tolist() == [[3, 2], [0, 4], [0, 0]]  # MindSpore
    one = ops.matrix_diag(Tensor(np.array([1.0, 2.0], np.float32)), -1, -1, -1, 9.0)
    assert one.asnumpy().tolist() == [[9, 9, 9], [1, 9, 9], [9, 2, 9]]  # MindSpore
    np.testing.assert_array_equal(ops.matrix_diag(Tensor(np.arange(6.0).reshape(2, 3))).asnumpy(),
                                  np.stack([np.diag(r) for r in np.arange(6.0).reshape(2, 3)]))  # NumPy
    check_gradient(lambda t: ops.MatrixDiagV3("RIGHT_LEFT")(t, (-1, 1), 3, 3, 0.5), RNG.standard_normal((2, 3, 3)))
    with pytest.raises(ValueError, match="num_rows and num_cols"):
        ops.matrix_diag(band, (0, 1), 4, 4)


# -- small primitives ---------------------------------------------------------------------------------------
def test_sparse_softmax_cross_entropy_and_its_gradient_form(fake):
    logits = RNG.standard_normal((4, 5))
    labels = np.array([0, 3, 4, 1], np.int32)
    loss = ops.SparseSoftmaxCrossEntropyWithLogits()(Tensor(logits), Tensor(labels))
    want = F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(labels).long())
    assert float(loss) == pytest.approx(want.item(), rel=1e-12)  # torch
    t = torch.from_numpy(logits).requires_grad_()
    (want_grad,) = torch.autograd.grad(F.cross_entropy(t, torch.from_numpy(labels).long()), t)
    got = ops.SparseSoftmaxCrossEntropyWithLogits(is_grad=True)(Tensor(logits), Tensor(labels))
    np.testing.assert_allclose(got.asnumpy(), want_grad.numpy(), rtol=1e-12)  # torch
    check_gradient(lambda t: ops.SparseSoftmaxCrossEntropyWithLogits()(t, Tensor(labels)), logits)


def test_tridiagonal_matmul_scatter_add_nth_element(fake):
    sup, main, sub = (RNG.standard_normal((2, 1, 4)) for _ in range(3))
    rhs = RNG.standard_normal((2, 4, 3))
    dense = np.stack([np.diag(main[b, 0]) + np.diag(sup[b, 0, :-1], 1) + np.diag(sub[b, 0, 1:], -1) for b in range(2)])
    got = ops.TridiagonalMatMul()(Tensor(sup), Tensor(main), Tensor(sub), Tensor(rhs)).asnumpy()
    np.testing.assert_allclose(got, dense @ rhs, rtol=1e-12)  # NumPy
    check_gradient(lambda t: ops.TridiagonalMatMul()(Tensor(sup), t, Tensor(sub), Tensor(rhs)), main)
    x = RNG.standard_normal((3, 4))
    idx = np.array([[1, 0, 2, 2], [0, 2, 1, 0]])
    upd = RNG.standard_normal((2, 4))
    want = x.copy()
    np.add.at(want, (idx, np.arange(4)[None].repeat(2, 0)), upd)
    got = ops.ScatterAddWithAxis(0)(Tensor(x), Tensor(idx.astype(np.int32)), Tensor(upd)).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)  # NumPy
    v = Tensor(np.array([[1, 5, 3], [4, 2, 6]], np.float32))
    assert ops.NthElement(True)(v, 1).asnumpy().tolist() == [3, 4]  # MindSpore
    assert ops.NthElement()(v, 0).asnumpy().tolist() == [1, 2]  # NumPy: the smallest
    check_gradient(lambda t: ops.NthElement(True)(t, 1), RNG.standard_normal((2, 3)))  # through sort


def test_affine_grid_matches_torch_and_mindspore(fake):
    theta = RNG.standard_normal((2, 2, 3))
    for align in (False, True):
        want = F.affine_grid(torch.from_numpy(theta), [2, 1, 3, 4], align_corners=align).numpy()
        np.testing.assert_allclose(ops.affine_grid(Tensor(theta), (2, 1, 3, 4), align).asnumpy(), want, rtol=1e-12)
    theta3 = np.array([[[1.0, 0.2, 0.1, 0.0], [0.3, 0.9, -0.2, 0.5], [0.1, 0.1, 1.0, -0.3]]], np.float32)
    got = ops.AffineGrid(True)(Tensor(theta3), (1, 1, 2, 2, 3)).asnumpy().reshape(-1, 3)
    np.testing.assert_allclose(got[[0, 5, 11]], [[-1.3, -0.5, -1.5], [1.1, 1.9, -1.1], [1.3, 1.5, 0.9]],
                               rtol=1e-6)  # MindSpore
    check_gradient(lambda t: ops.affine_grid(t, (2, 1, 3, 4)), theta)


def test_index_primitives_match_mindspore(fake):
    packed = ops.CompareAndBitpack()(Tensor(np.arange(16, dtype=np.float32).reshape(2, 8)), Tensor(np.float32(3)))
    assert packed.asnumpy().tolist() == [[15], [255]]  # MindSpore
    ids, vals, shape = ops.Coalesce()(Tensor(np.array([[2, 0, 2, 1], [0, 1, 0, 3]], np.int64)),
                                      Tensor(np.array([1.0, 2.0, 3.0, 4.0], np.float32)),
                                      Tensor(np.array([3, 4], np.int64)))
    assert ids.asnumpy().tolist() == [[0, 1, 2], [1, 3, 0]] and vals.asnumpy().tolist() == [2, 4, 4]  # MindSpore
    out = ops.SparseSlice()(Tensor(np.array([[0, 1], [1, 2], [2, 3], [2, 0]], np.int64)),
                            Tensor(np.array([1.0, 2, 3, 4], np.float32)), Tensor(np.array([3, 4], np.int64)),
                            Tensor(np.array([1, 1], np.int64)), Tensor(np.array([5, 5], np.int64)))
    assert [o.asnumpy().tolist() for o in out] == [[[0, 1], [1, 2]], [2, 3], [2, 3]]  # MindSpore
    splits, values = ops.RaggedRange(Tsplits=gs.int32)(Tensor(np.array([5, 0], np.int32)),
                                                       Tensor(np.array([1, 3], np.int32)),
                                                       Tensor(np.array([-2, 1], np.int32)))
    assert splits.asnumpy().tolist() == [0, 2, 5] and values.asnumpy().tolist() == [5, 3, 0, 1, 2]  # MindSpore
    assert ops.MapUniform()(Tensor(np.array([0, 3, 5, 7, 9, 11])), 4, 3).asnumpy().tolist() == [0, 1, 9, 6, 3, 11]
    nms = ops.NonMaxSuppressionWithOverlaps()
    scores = Tensor(np.array([0.9, 0.8, 0.7], np.float32))
    upper = np.zeros((3, 3), np.float32)
    upper[0, 1] = 0.9  # overlaps[kept, candidate]: does not suppress
    assert nms(Tensor(upper), scores, 3, 0.5, 0.0).asnumpy().tolist() == [0, 1, 2]  # MindSpore
    assert nms(Tensor(upper.T.copy()), scores, 3, 0.5, 0.0).asnumpy().tolist() == [0, 2]  # MindSpore
    assert nms(Tensor(upper.T.copy()), scores, 3, 0.5, 0.7).asnumpy().tolist() == [0]  # MindSpore: score > threshold


def test_sgd_updates_parameters_as_mindspore(fake):
    g = Tensor(np.array([0.5, -1.0, 2.0], np.float32))
    for args, want_p, want_acc in [((0.0, 0.1, True), [0.886, 2.1358, 2.5387], [0.6, -0.62, 2.57]),
                                   ((0.2, 0.0, False), [0.95, 2.062, 2.813], [0.5, -0.62, 1.87])]:
        p = gs.Parameter(Tensor(np.array([1.0, 2.0, 3.0], np.float32)), name="p")
        acc = gs.Parameter(Tensor(np.array([0.1, 0.2, 0.3], np.float32)), name="acc")
        stat = gs.Parameter(Tensor(np.array([1.0, 0.0, 0.0], np.float32)), name="stat")
        out = ops.SGD(*args)(p, g, Tensor(np.float32(0.1)), acc, Tensor(np.float32(0.9)), stat)
        np.testing.assert_allclose(out.asnumpy(), want_p, rtol=1e-6)  # MindSpore
        np.testing.assert_allclose(p.asnumpy(), want_p, rtol=1e-6)
        np.testing.assert_allclose(acc.asnumpy(), want_acc, rtol=1e-6)
        assert stat.asnumpy().tolist() == [0, 0, 0]


def test_loops_partial_and_small_forms(fake):
    assert ops.ForiLoop()(0, 4, lambda i, v: i + v, 0) == 6  # docs
    assert ops.WhileLoop()(lambda v: v < 100, lambda v: v + 1, 10) == 100  # docs

    def cumsum(res, el):
        return res + el, res + el
    assert ops.Scan()(cumsum, 0, [1, 2, 3, 4]) == (10, [1, 3, 6, 10])  # docs
    x = Tensor(np.array([1.0, 2.0]))
    looped = ops.grad(lambda t: ops.ForiLoop()(0, 3, lambda i, v: v * t, t).sum())(x).asnumpy()
    np.testing.assert_allclose(looped, 4 * np.array([1.0, 2.0]) ** 3)  # d t^4 / dt
    show = ops.Partial()(lambda a, b, c: (a, b, c), 1)
    assert show(2, 3) == (1, 2, 3)
    assert ops.padding(Tensor(np.array([[8.0], [10.0]], np.float32)), 4).asnumpy().tolist() == [[8, 0, 0, 0],
                                                                                                 [10, 0, 0, 0]]
    assert ops.eps(Tensor(np.ones(2, np.float16))).asnumpy().tolist() == [np.finfo(np.float16).eps] * 2
    with pytest.raises(ValueError, match="NaN or infinity.*at \\[1\\]"):
        ops.CheckNumerics()(Tensor(np.array([1.0, np.inf], np.float32)))
    polygamma = ops.Polygamma()(Tensor(np.int64(1)), Tensor(np.array([1.0, -0.5], np.float32)))
    np.testing.assert_allclose(polygamma.asnumpy(), [1.644934, 8.934802], rtol=1e-6)  # docs
    assert ops.intopk(Tensor(np.array([[1, 8, 5, 2, 7], [4, 9, 1, 3, 5]], np.float32)),
                      Tensor(np.array([1, 3], np.int32)), 3).asnumpy().tolist() == [True, False]  # docs


def test_fft_with_size_and_matrix_logarithm(fake):
    x = RNG.standard_normal((2, 3, 4))
    np.testing.assert_allclose(ops.FFTWithSize(2, False, True)(Tensor(x)).asnumpy(), np.fft.rfftn(x, axes=(-2, -1)),
                               rtol=1e-10, atol=1e-12)  # NumPy
    spec = np.fft.rfftn(x, axes=(-2, -1))
    back = ops.FFTWithSize(2, True, True, signal_sizes=(3, 4))(Tensor(spec)).asnumpy()
    np.testing.assert_allclose(back, x, rtol=1e-10, atol=1e-12)  # NumPy
    z = (x[0] + 1j * x[1])[:, :3].astype(np.complex128)
    np.testing.assert_allclose(ops.FFTWithSize(1, True, False)(Tensor(z)).asnumpy(), np.fft.ifft(z), rtol=1e-10,
                               atol=1e-12)
    m = np.array([[1 + 2j, 2 + 1j], [4 + 1j, 5 + 2j]], np.complex128)
    log = ops.MatrixLogarithm()(Tensor(m)).asnumpy()
    np.testing.assert_allclose(log, [[0.69155775 + 1.71618359j, 0.64665196 - 0.34928196j],
                                     [1.02426074 - 0.88736831j, 1.44677531 + 0.6400109j]], rtol=1e-7)  # docs
    w, v = np.linalg.eig(log)
    np.testing.assert_allclose(v @ np.diag(np.exp(w)) @ np.linalg.inv(v), m, rtol=1e-10)  # exp(log m) = m


# -- MindSpore's keyword names of primitive calls (compared with inspect.signature in MindSpore 2.10's venv) ----
def test_primitive_calls_take_mindspores_keywords(fake):
    x = RNG.standard_normal((2, 3))
    y = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(ops.Cross()(input=Tensor(RNG.standard_normal((3, 2))), other=Tensor(np.ones((3, 2))))
                               .shape, (3, 2))
    np.testing.assert_allclose(ops.Addcdiv()(input=Tensor(x), tensor1=Tensor(y), tensor2=Tensor(y + 3.0),
                                             value=Tensor(np.array(0.5))).asnumpy(), x + 0.5 * y / (y + 3.0))
    np.testing.assert_allclose(ops.Addcmul()(input=Tensor(x), tensor1=Tensor(y), tensor2=Tensor(x),
                                             value=Tensor(np.array(2.0))).asnumpy(), x + 2 * y * x)
    assert ops.IsClose()(input=Tensor(x), other=Tensor(x)).asnumpy().all()
    assert ops.LogicalXor()(input=True, other=Tensor(np.array([True, False]))).asnumpy().tolist() == [False, True]
    p = np.array([0.2, 0.7])
    np.testing.assert_allclose(ops.Logit()(input=Tensor(p)).asnumpy(), np.log(p / (1 - p)))  # NumPy
    assert ops.NonZero()(input=Tensor(np.array([0, 3, 0, 1]))).asnumpy().tolist() == [[1], [3]]
    assert ops.Gcd()(input=Tensor(np.array([12, 9])), other=Tensor(np.array([8, 6]))).asnumpy().tolist() == [4, 3]
    img = Tensor(np.arange(4.0).reshape(1, 1, 2, 2))
    assert ops.ResizeNearestNeighbor((4, 4))(input_x=img).shape == (1, 1, 4, 4)
    assert ops.ResizeNearestNeighborV2()(image=img, size=(3, 3)).shape == (1, 1, 3, 3)
    out = ops.TensorScatterElements(0, "add")(data=Tensor(x), indices=Tensor(np.array([[1, 0, 1]])),
                                              updates=Tensor(np.ones((1, 3))))
    np.testing.assert_allclose(out.asnumpy(), x + np.array([[0, 1, 0], [1, 0, 1]]))
    values, idx, counts = ops.UniqueConsecutive(return_inverse=True, return_counts=True, dim=None)(
        input=Tensor(np.array([1, 1, 2, 2, 3, 1])))
    assert values.asnumpy().tolist() == [1, 2, 3, 1] and idx.asnumpy().tolist() == [0, 0, 1, 1, 2, 3]  # NumPy
    assert counts.asnumpy().tolist() == [2, 2, 1, 1]
    ids = Tensor(np.array([[0, 1], [1, 2]], np.int32))
    np.testing.assert_allclose(ops.GatherNd()(input_x=Tensor(x), indices=ids).asnumpy(), x[[0, 1], [1, 2]])
    scattered = ops.ScatterNd()(indices=ids, updates=Tensor(np.array([1.0, 2.0])), shape=(2, 3)).asnumpy()
    assert scattered.tolist() == [[0, 1, 0], [0, 0, 2]]
    np.testing.assert_allclose(ops.TensorScatterAdd()(input_x=Tensor(x), indices=ids,
                                                      updates=Tensor(np.array([1.0, 2.0]))).asnumpy(),
                               x + np.array([[0, 1, 0], [0, 0, 2]]))
    summed = ops.UnsortedSegmentSum()(input_x=Tensor(x), segment_ids=Tensor(np.array([1, 1], np.int32)),
                                      num_segments=2).asnumpy()
    np.testing.assert_allclose(summed, np.stack([np.zeros(3), x.sum(0)]))


def test_lstm_primitive_ignores_weight_past_its_layout_as_mindspore(fake):
    x = Tensor(np.arange(24, dtype=np.float32).reshape(3, 2, 4) / 10 - 1.0)
    h, c = Tensor(np.full((1, 2, 2), 0.1, np.float32)), Tensor(np.full((1, 2, 2), -0.2, np.float32))
    w = np.arange(64, dtype=np.float32) / 100 - 0.3  # 56 read (w_ih, w_hh, one bias); 8 more, as the docs pass
    out, _, cn, _, _ = ops.LSTM(4, 2, 1, True, False, 0.0)(x, h, c, Tensor(w.reshape(64, 1, 1)))
    np.testing.assert_allclose(out.asnumpy(), [[[0.1779244, 0.1308104], [0.0961759, 0.0745097]],
                                               [[0.1807983, 0.1629064], [0.0603830, 0.0727522]],
                                               [[0.0501449, 0.0773752], [-0.0224882, 0.0046858]]],
                               rtol=1e-5, atol=1e-7)  # MindSpore
    np.testing.assert_allclose(cn.asnumpy(), [[[0.0931549, 0.1357174], [-0.0437506, 0.0083206]]], rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match=r"must be \[56, 1, 1\]"):
        ops.LSTM(4, 2, 1, True, False, 0.0)(x, h, c, Tensor(w[:50].reshape(50, 1, 1)))


def test_combined_non_max_suppression_matches_mindspore(fake):
    rng = np.random.default_rng(3)  # MindSpore's run drew the same two arrays
    boxes = rng.uniform(0, 1, (2, 6, 1, 4)).astype(np.float32)
    scores = rng.uniform(0, 1, (2, 6, 3)).astype(np.float32)
    for pad in (False, True):
        out = ops.CombinedNonMaxSuppression(pad_per_class=pad)(Tensor(boxes), Tensor(scores), Tensor(np.int32(2)),
                                                               Tensor(np.int32(5)), Tensor(np.float32(0.3)),
                                                               Tensor(np.float32(0.25)))
        nmsed_boxes, nmsed_scores, nmsed_classes, valid = (o.asnumpy() for o in out)
        np.testing.assert_allclose(nmsed_scores, [[0.92108, 0.871139, 0.752223, 0.74686, 0.566978],
                                                  [0.970559, 0.964358, 0.858642, 0.850901, 0.789918]],
                                   atol=1e-6)  # MindSpore
        assert nmsed_classes.tolist() == [[1, 0, 2, 1, 0], [2, 2, 1, 0, 1]] and valid.tolist() == [5, 5]  # MindSpore
        np.testing.assert_array_equal(nmsed_boxes, np.stack([boxes[0, [5, 2, 4, 4, 5], 0],
                                                             boxes[1, [1, 0, 4, 0, 2], 0]]))  # MindSpore's rows
    docs = ops.CombinedNonMaxSuppression()(
        Tensor(np.array([[[[200, 100, 150, 100]], [[220, 120, 150, 100]]]], np.float32)),
        Tensor(np.array([[[0.2, 0.7, 0.1], [0.1, 0.8, 0.1]]], np.float32)), 4, 1, 0.0, 0.0)
    assert docs[0].asnumpy().tolist() == [[[1, 1, 1, 1]]] and docs[3].asnumpy().tolist() == [1]  # docs: clipped


def test_no_repeat_ngram_and_resize_area_match_mindspore(fake):
    seq = Tensor(np.array([[[3, 1, 3, 2, 3, 1, 3]]], np.int32))
    lowest = float(np.finfo(np.float32).min)
    probs = Tensor(np.zeros((1, 1, 5), np.float32))
    assert ops.NoRepeatNGram(2)(seq, probs).asnumpy().tolist() == [[[0, lowest, lowest, 0, 0]]]  # MindSpore
    assert ops.NoRepeatNGram(1)(seq, probs).asnumpy().tolist() == [[[0, lowest, lowest, lowest, 0]]]  # MindSpore
    img = np.arange(1, 31, dtype=np.float32).reshape(1, 5, 3, 2)
    np.testing.assert_allclose(ops.ResizeArea()(Tensor(img), Tensor(np.array([2, 2], np.int32))).asnumpy(),
                               [[[[6.46667, 7.46667], [9.13333, 10.13333]], [[20.86667, 21.86667],
                                                                              [23.53334, 24.53334]]]],
                               rtol=1e-5)  # MindSpore
    np.testing.assert_allclose(ops.ResizeArea(True)(Tensor(img), (3, 2)).asnumpy(),
                               [[[[5, 6], [8, 9]], [[17, 18], [20, 21]], [[26, 27], [29, 30]]]], rtol=1e-6)  # MindSpore
    up = ops.ResizeArea()(Tensor(img), (7, 4)).asnumpy().reshape(-1)[:12]
    np.testing.assert_allclose(up, [1, 2, 2.33333, 3.33333, 3.66667, 4.66667, 5, 6, 4.6, 5.6, 5.93333, 6.93333],
                               rtol=1e-5)  # MindSpore
    # float32 out (MindSpore's), linear in the images: a wide step is exact
    check_gradient(lambda t: ops.ResizeArea()(t, (2, 2)), RNG.standard_normal((1, 3, 3, 1)), rtol=1e-5, eps=0.5)


def test_gumbel_softmax_samples_the_softmax_distribution(fake):
    logits = np.log(np.array([0.2, 0.5, 0.3], np.float32))
    rows = Tensor(np.broadcast_to(logits, (4000, 3)).copy())
    soft = ops.gumbel_softmax(rows, 1.0, False, -1).asnumpy()
    np.testing.assert_allclose(soft.sum(-1), 1.0, rtol=1e-5)
    hard = ops.gumbel_softmax(rows, 0.5, True, -1).asnumpy()
    assert set(np.unique(hard).tolist()) == {0.0, 1.0} and (hard.sum(-1) == 1).all()
    # the Gumbel-max trick: the argmax of logits + Gumbel noise is drawn from softmax(logits) (4000 draws: each
    # frequency within 4.5 standard deviations, about 0.035)
    np.testing.assert_allclose(hard.mean(0), [0.2, 0.5, 0.3], atol=0.035)
    np.testing.assert_allclose(np.bincount(soft.argmax(-1), minlength=3) / 4000, [0.2, 0.5, 0.3], atol=0.035)


def test_parameter_update_assigns_its_input(fake):
    network = gs.nn.Dense(3, 4)
    param = network.parameters_dict()["weight"]
    weight = np.arange(12, dtype=np.float32).reshape(4, 3)
    out = gs.nn.ParameterUpdate(param)(Tensor(weight))
    np.testing.assert_array_equal(out.asnumpy(), weight)  # docs
    np.testing.assert_array_equal(param.asnumpy(), weight)
    with pytest.raises(TypeError, match="must be a Parameter"):
        gs.nn.ParameterUpdate(Tensor(weight))
