"""Import of grid sampling with reflection padding (torch.export; ONNX GridSample's case is in the node
suite), ONNX CenterCropPad, an ONNX Loop bounded by a counter, and torch.special i0e / i1 / i1e: values
and gradients against torch.autograd, ONNX's reference evaluator and closed forms."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import gradserve as gs
from engine import evaluate, vjp
from engine.importers import onnx_to_graph
from engine.importers.graph_writer import UnsupportedModel
from engine.serialize import graph_from_json, tensor_to_json

from .sweep import check_imported


class Sample(torch.nn.Module):
    def __init__(self, mode, align):
        super().__init__()
        self.kw = {"mode": mode, "padding_mode": "reflection", "align_corners": align}

    def forward(self, x, grid):
        return F.grid_sample(x, grid, **self.kw)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_reflection_matches_torch(fake, mode, align):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 4, 5, generator=g)
    grid = torch.rand(2, 6, 7, 2, generator=g) * 7 - 3.5  # up to two folds on each side
    model = Sample(mode, align)
    check_imported(gs.from_torch(model, (x, grid)), model, (x, grid))


def _crop_pad_model(in_shape, sizes, axes):
    f = TensorProto.FLOAT
    node = helper.make_node("CenterCropPad", ["x", "s"], ["y"], **({"axes": axes} if axes else {}))
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", f, in_shape)],
                          [helper.make_tensor_value_info("y", f, None)],
                          initializer=[helper.make_tensor("s", TensorProto.INT64, [len(sizes)], sizes)])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])


@pytest.mark.parametrize("in_shape,sizes,axes", [([5, 6, 3], [2, 9, 3], None), ([4, 7, 2], [7, 2], [-2, 0])])
def test_center_crop_pad_matches_onnx_reference_and_its_adjoint(in_shape, sizes, axes):
    """Odd and even differences, crop and pad in one node; the vjp of a crop/pad is the crop/pad back
    to the input's shape about the same centre (ONNX's reference evaluator computes both)."""
    m = _crop_pad_model(in_shape, sizes, axes)
    g = graph_from_json(onnx_to_graph(m.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True)))
    rng = np.random.default_rng(4)
    x = rng.standard_normal(in_shape).astype(np.float32)
    (want,) = ReferenceEvaluator(m).run(None, {"x": x})
    np.testing.assert_array_equal(np.asarray(evaluate(g, x)), want)
    ct = rng.standard_normal(want.shape).astype(np.float32)
    back = _crop_pad_model(list(want.shape), list(in_shape), None)
    (want_ct,) = ReferenceEvaluator(back).run(None, {"x": ct})
    _, (got_ct,) = evaluate(vjp(g), x, ct)
    np.testing.assert_array_equal(np.asarray(got_ct), want_ct)


class Special(torch.nn.Module):
    def __init__(self, name, summed):
        super().__init__()
        self.fn, self.summed = getattr(torch.special, name), summed

    def forward(self, x):
        return self.fn(x).sum() if self.summed else self.fn(x)


# each function is computed in float64 whatever its input's type: one dtype per function keeps this quick
@pytest.mark.parametrize("name,dtype", [("i0", torch.float64), ("i0e", torch.float32), ("i1", torch.float64),
                                        ("i1e", torch.float32)])
def test_bessel_i0_i0e_i1_i1e_and_derivatives_match_torch(fake, name, dtype):
    """Each element to its own relative tolerance (values span 1e-2 .. 1e18), both sides of the series /
    asymptotic switch at |x| = 20, 0 and negatives (i1 is odd); the derivative against torch.autograd."""
    x = torch.tensor([-35.0, -20.5, -19.5, -3.0, -0.4, 0.0, 0.3, 1.0, 7.5, 19.9, 20.1, 44.0], dtype=dtype)
    # the reference in float64 for both: torch's float32 i1e' (i0e - i1e (1 + 1/x)) cancels to ~1e-5
    xr = x.double().clone().requires_grad_(True)
    want = torch.autograd.grad(getattr(torch.special, name)(xr).sum(), xr)[0]
    rtol = 1e-5 if dtype == torch.float32 else 1e-9
    got = gs.from_torch(Special(name, False), (x,))(gs.Tensor(x.numpy()))
    np.testing.assert_allclose(got.asnumpy(), getattr(torch.special, name)(x.double()).numpy(), rtol=rtol, atol=0)
    dgot = gs.ops.grad(gs.from_torch(Special(name, True), (x,)))(gs.Tensor(x.numpy()))
    np.testing.assert_allclose(dgot.asnumpy(), want.numpy(), rtol=rtol, atol=1e-30)


def _series_loop(limit: float, step: float):
    """sum_k t_k with t_0 = 1, t_(k+1) = t_k x (a + k) / (k + 1) = (1 - x)^-a (a binomial series), as a Loop
    with no trip count whose condition is `k + step < limit` on a float counter k (a betainc-like while)."""
    f = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    body = helper.make_graph([
        helper.make_node("Add", ["k", "a"], ["ak"]), helper.make_node("Mul", ["t", "x"], ["tx"]),
        helper.make_node("Mul", ["tx", "ak"], ["txa"]), helper.make_node("Add", ["k", "one"], ["kp1"]),
        helper.make_node("Div", ["txa", "kp1"], ["t1"]), helper.make_node("Add", ["s", "t1"], ["s1"]),
        helper.make_node("Add", ["k", "step"], ["k1"]), helper.make_node("Less", ["k1", "n"], ["c"])],
        "body", [vi("i", TensorProto.INT64, []), vi("cin", TensorProto.BOOL, []), vi("k", f, []), vi("t", f, [3]),
                 vi("s", f, [3])], [vi("c", TensorProto.BOOL, []), vi("k1", f, []), vi("t1", f, [3]), vi("s1", f, [3])],
        initializer=[helper.make_tensor("one", f, [], [1.0]), helper.make_tensor("step", f, [], [step])])

    def const(name, value, dtype=f, shape=()):
        return helper.make_node("Constant", [], [name], value=helper.make_tensor(name + "v", dtype, shape, value))
    g = helper.make_graph([const("k0", [0.0]), const("n", [limit]), const("t0", [1.0] * 3, shape=[3]),
                           const("c0", [True], TensorProto.BOOL),
                           helper.make_node("Loop", ["", "c0", "k0", "t0", "t0"], ["kf", "tf", "sf"], body=body)],
                          "g", [vi("x", f, [3]), vi("a", f, [])], [vi("sf", f, [3])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_loop_bounded_by_a_counter_imports_with_its_gradient():
    m = _series_loop(30.0, 1.0)
    g = graph_from_json(onnx_to_graph(m.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True)))
    x, a = np.array([0.1, -0.3, 0.5], np.float32), np.float32(0.7)
    (ref,) = ReferenceEvaluator(m).run(None, {"x": x, "a": a})
    np.testing.assert_allclose(np.asarray(evaluate(g, x, a)), ref, rtol=1e-6)
    x64, a64 = x.astype(np.float64), np.float64(a)
    np.testing.assert_allclose(ref, (1 - x64) ** -a64, rtol=1e-6)  # 30 terms: the series has converged
    ct = np.array([0.5, -1.0, 2.0], np.float32)
    _, (dx, da) = evaluate(vjp(g), x, a, ct)
    np.testing.assert_allclose(dx, ct * a64 * (1 - x64) ** (-a64 - 1), rtol=1e-5)
    np.testing.assert_allclose(da, np.sum(ct * -np.log(1 - x64) * (1 - x64) ** -a64), rtol=1e-5)


def test_loop_whose_counter_never_reaches_its_limit_is_refused():
    m = _series_loop(30.0, -1.0)  # k goes down while the loop runs as long as k < 30: no bound
    with pytest.raises(UnsupportedModel, match="not a constant-step counter against a constant.*needs a static bound"):
        onnx_to_graph(m.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True))
