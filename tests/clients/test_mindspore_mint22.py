"""mint.nn.functional names MindSpore 2.10 has and gradserve lacked, and inputs MindSpore refuses that gradserve
answered (h-mint22, from round 17's differential).

Expected values: MindSpore 2.10.0 CPU (PyNative) where its CPU runs the function (adaptive_max_pool2d, upsample
'nearest', LpNorm(p=0), Tensor.prod) and its exception texts where it refuses; torch 2.13 float64 (values and
gradients of sum(out * out)) where its CPU has no kernel ("The kernel AdaptiveAvgPool3DExt / AvgPool3DExt /
ConvTranspose2D / Im2ColExt / Col2ImExt / UpsampleBilinear2D / InplaceElu / InplaceReLU / ... unregistered.").
"""
import numpy as np
import pytest

from gradserve import Tensor, grad, ops
from gradserve.common import dtype as mstype
from gradserve.mint.nn import functional as F

from ._torch_float64 import assert_matches_torch

torch = pytest.importorskip("torch")
T = torch.nn.functional
RNG = np.random.RandomState(22)
X5, X4, X3 = RNG.randn(2, 3, 5, 6, 7), RNG.randn(2, 3, 5, 6), RNG.randn(2, 3, 7)
V = np.array([[-2.0, -0.5, 0.0, 0.3, 1.0, 1.5]])
W_T, B_T, W_G = RNG.randn(3, 4, 3, 2), RNG.randn(4), RNG.randn(3, 2, 2, 2)

# (name, gradserve's call, torch's call, inputs): both on float64 copies
TORCH_CASES = [
    ("adaptive_avg_pool3d", lambda x: F.adaptive_avg_pool3d(x, (2, 3, 4)),
     lambda x: T.adaptive_avg_pool3d(x, (2, 3, 4)), [X5]),
    ("adaptive_avg_pool3d_none", lambda x: F.adaptive_avg_pool3d(x, (None, 3, 2)),
     lambda x: T.adaptive_avg_pool3d(x, (None, 3, 2)), [X5]),
    ("adaptive_max_pool1d", lambda x: F.adaptive_max_pool1d(x, 3), lambda x: T.adaptive_max_pool1d(x, 3), [X3]),
    ("avg_pool3d", lambda x: F.avg_pool3d(x, 2), lambda x: T.avg_pool3d(x, 2), [X5]),
    ("avg_pool3d_pad", lambda x: F.avg_pool3d(x, 3, 2, 1, True, False), lambda x: T.avg_pool3d(x, 3, 2, 1, True, False),
     [X5]),
    ("conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
     lambda x, w, b: T.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1), [X4, W_T, B_T]),
    ("conv_transpose2d_dil", lambda x, w: F.conv_transpose2d(x, w, None, (1, 2), (2, 0), (0, 1), 1, (2, 1)),
     lambda x, w: T.conv_transpose2d(x, w, None, (1, 2), (2, 0), (0, 1), 1, (2, 1)), [X4, RNG.randn(3, 2, 3, 3)]),
    ("conv_transpose2d_groups", lambda x, w: F.conv_transpose2d(x, w, stride=2, groups=3),
     lambda x, w: T.conv_transpose2d(x, w, stride=2, groups=3), [X4, W_G]),
    ("unfold", lambda x: F.unfold(x, (2, 3), 1, 1, 2), lambda x: T.unfold(x, (2, 3), 1, 1, 2), [X4]),
    ("fold", lambda x: F.fold(x, (4, 5), 2, 1, 0, 1), lambda x: T.fold(x, (4, 5), 2, 1, 0, 1), [RNG.randn(2, 12, 12)]),
    ("upsample_bilinear", lambda x: F.upsample(x, size=(7, 9), mode="bilinear", align_corners=False),
     lambda x: T.interpolate(x, size=(7, 9), mode="bilinear", align_corners=False), [X4]),
    ("upsample_bilinear_corners", lambda x: F.upsample(x, size=(7, 9), mode="bilinear", align_corners=True),
     lambda x: T.interpolate(x, size=(7, 9), mode="bilinear", align_corners=True), [X4]),
    ("elu_", lambda x: F.elu_(x * 1), lambda x: T.elu_(x * 1), [V]),
    ("hardtanh_", lambda x: F.hardtanh_(x * 1, -0.4, 1.2), lambda x: T.hardtanh_(x * 1, -0.4, 1.2), [V]),
    ("relu_", lambda x: F.relu_(x * 1), lambda x: T.relu_(x * 1), [V]),
    ("sigmoid_", lambda x: F.sigmoid_(x * 1), lambda x: torch.sigmoid_(x * 1), [V]),
    ("threshold_", lambda x: F.threshold_(x * 1, 0.3, 7.0), lambda x: T.threshold_(x * 1, 0.3, 7.0), [V]),
]


@pytest.mark.parametrize("name,ours,ref,arrays", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_mint_functional_names_match_torch_float64(on_real_server, name, ours, ref, arrays):
    assert_matches_torch(torch, ours, ref, arrays)


def test_max_unpool2d_matches_torch(on_real_server):
    x = torch.tensor(RNG.randn(1, 2, 4, 4))
    y, idx = T.max_pool2d(x, 2, return_indices=True)
    out = F.max_unpool2d(Tensor(y.numpy()), Tensor(idx.numpy()), 2)
    np.testing.assert_allclose(out.asnumpy(), T.max_unpool2d(y, idx, 2).numpy())


def test_in_place_activation_writes_its_input(on_real_server):
    x = Tensor(V.copy())
    assert F.relu_(x) is x
    np.testing.assert_allclose(x.asnumpy(), [[0.0, 0.0, 0.0, 0.3, 1.0, 1.5]])


def test_adaptive_max_pool2d_and_upsample_nearest_match_mindspore(on_real_server):
    x = Tensor(np.array([[[[1, 5, 2, 0], [3, 3, 7, 1], [0, 2, 2, 9], [4, 1, 6, 8]]]], np.float32))
    weights = Tensor(np.arange(1, 7, dtype=np.float32).reshape(1, 1, 3, 2))
    # MindSpore 2.10 CPU: the values and the gradient of sum(out * weights) (the first maximum of a window)
    np.testing.assert_allclose(F.adaptive_max_pool2d(x, (3, 2)).asnumpy(), [[[[5, 7], [3, 9], [4, 9]]]])
    np.testing.assert_allclose(grad(lambda v: (F.adaptive_max_pool2d(v, (3, 2)) * weights).sum())(x).asnumpy(),
                               [[[[0, 1, 0, 0], [3, 0, 2, 0], [0, 0, 0, 10], [5, 0, 0, 0]]]])
    y = Tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]], np.float32))
    w15 = Tensor(np.arange(15, dtype=np.float32).reshape(1, 1, 3, 5))
    np.testing.assert_allclose(F.upsample(y, size=(3, 5)).asnumpy(),
                               [[[[1, 1, 1, 2, 2], [1, 1, 1, 2, 2], [3, 3, 3, 4, 4]]]])  # MindSpore 2.10 CPU
    np.testing.assert_allclose(grad(lambda v: (F.upsample(v, size=(3, 5)) * w15).sum())(y).asnumpy(),
                               [[[[21, 24], [33, 27]]]])


def test_conv3d_refused_as_mindspore_off_ascend():
    with pytest.raises(NotImplementedError, match=r"^conv3d only supports Ascend\.$"):  # MindSpore 2.10 CPU's text
        F.conv3d(Tensor(X5), Tensor(RNG.randn(2, 3, 2, 2, 2)))


_SHRINK = "must be a type of {BFloat16, Float16, Float32}, but got "
INT = np.array([[1, -2, 3], [0, 4, -1]], np.int32)


@pytest.mark.parametrize("call,text", [  # MindSpore 2.10 CPU's TypeErrors
    (lambda: ops.LpNorm(axis=[0, 1], p=2)(Tensor(INT)), "For primitive[LpNorm], the input argument[input] must be a "
     "type of {Tensor[Float16], Tensor[Float32]}, but got Tensor[Int32]."),
    (lambda: ops.LpNorm(axis=0)(Tensor(np.array([1, 2], np.uint8))), "but got Tensor[UInt8]."),
    (lambda: ops.LpNorm(axis=0)(Tensor(np.ones(2))), "but got Tensor[Float64]."),
    (lambda: ops.HShrink(0.5)(Tensor(INT)), "For primitive[HShrink], the input argument[input_x] " + _SHRINK + "Int32."),
    (lambda: ops.hardshrink(Tensor(np.array([True, False])), 0.5), "For primitive[HShrink], the input argument"
     "[input_x] " + _SHRINK + "Bool."),
    (lambda: F.hardshrink(Tensor(INT), 0.5), "For primitive[HShrink], the input argument[input_x] " + _SHRINK + "Int32."),
    (lambda: ops.SoftShrink(0.5)(Tensor(INT.astype(np.int64))), "For primitive[SoftShrink], the input argument"
     "[input_x] " + _SHRINK + "Int64."),
    (lambda: ops.softshrink(Tensor(INT), 0.5), "For primitive[SoftShrink], the input argument[input_x] " + _SHRINK
     + "Int32."),
])
def test_integer_inputs_refused_as_mindspore(call, text):
    with pytest.raises(TypeError) as e:
        call()
    assert text in str(e.value)


_PROD = '\nThe valid calling should be:\n"Tensor.prod(dim=<None, int>, keepdim=<bool>, dtype=<None, mstype>)"\n'
F32 = np.array([[1.0, -2.5, 3.0], [0.5, 4.0, -1.0]], np.float32)


@pytest.mark.parametrize("args,kwargs,text", [  # MindSpore 2.10's texts, PyNative and jit alike
    ((1,), {"keepdims": True}, 'Failed calling prod with "prod(int, keepdims=bool)".' + _PROD
     + "    match failed because incorrect keyword name: keepdims"),
    ((), {"axis": 1, "keep_dims": True}, 'Failed calling prod with "prod(axis=int, keep_dims=bool)".' + _PROD
     + "    match failed because incorrect keyword name: axis, keep_dims"),
    (((0, 1),), {}, 'Failed calling prod with "prod(Tuple<int, int>)".' + _PROD
     + "    match failed because invalid types: (Tuple<int, int>)\n" + " " * 41 + "~" * 17),
    (((0, 1), True), {}, 'Failed calling prod with "prod(Tuple<int, int>, bool)".' + _PROD
     + "    match failed because invalid types: (Tuple<int, int>, bool)\n" + " " * 41 + "~" * 17 + " " * 6),
    ((1, 1), {}, 'Failed calling prod with "prod(int, int)".' + _PROD
     + "    match failed because invalid types: (int, int)\n" + " " * 46 + "~" * 5),
    ((True,), {}, 'Failed calling prod with "prod(bool)".'),
])
def test_tensor_prod_numpy_spellings_refused_as_mindspore(args, kwargs, text):
    with pytest.raises(TypeError) as e:
        Tensor(F32).prod(*args, **kwargs)
    assert str(e.value).startswith(text)


def test_tensor_prod_and_lpnorm_p0_match_mindspore(on_real_server):
    x = Tensor(F32)
    np.testing.assert_allclose(x.prod(1, True).asnumpy(), [[-7.5], [-2.0]])  # MindSpore 2.10 CPU
    np.testing.assert_allclose(x.prod(dim=1, keepdim=True).asnumpy(), [[-7.5], [-2.0]])
    np.testing.assert_allclose(x.prod().asnumpy(), 15.0)
    out = x.prod(dim=-1, keepdim=False, dtype=mstype.int32)
    assert out.dtype == mstype.int32
    np.testing.assert_array_equal(out.asnumpy(), [-6, 0])  # MindSpore 2.10 CPU (cast first: 1 * -2 * 3)
    z = Tensor(np.array([[1.0, 0.0, -3.0], [0.0, 0.0, 0.0], [2e-13, 0.0, 0.0]], np.float32))
    # MindSpore 2.10 CPU: LpNorm(p=0) counts the nonzero elements (no epsilon floor), with a zero gradient
    np.testing.assert_allclose(ops.LpNorm(axis=1, p=0)(z).asnumpy(), [2.0, 0.0, 1.0])
    np.testing.assert_allclose(ops.LpNorm(axis=[0, 1], p=0, keep_dims=True)(z).asnumpy(), [[3.0]])
    np.testing.assert_allclose(grad(lambda v: ops.LpNorm(axis=1, p=0)(v).sum())(z).asnumpy(), np.zeros((3, 3)))
