"""Round 22, part 3: programs MindSpore 2.10 CPU refuses and the SDK answers (benchmarks/mindspore_suite/README.md,
"round 22, part 3"). With no MindSpore answer to compare with, these guard ours against PyTorch float64, computed here
(CI has torch): LayerNorm with axes below -1, float64 jacobians, and jvp of the losses / masked_select whose
second-order kernels MindSpore lacks. Every one of them agreed when checked; the tests keep them so."""
import numpy as np
import pytest

from clients._ms_shim import in_mode as _in_mode, mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)

torch = pytest.importorskip("torch")


def _t64(a) -> "torch.Tensor":
    return torch.tensor(np.asarray(a, np.float64))


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_layernorm_axes_below_minus_one_match_torch(mindspore_is_gradserve, graph):
    """nn.LayerNorm((3, 4), begin_norm_axis=-2, begin_params_axis=-2) on a (2, 3, 4) input (r22:22:56 and 45 more:
    MindSpore 2.10 refuses "'begin_params_axis' value should be in the range [-1, 3)"; with the same axes written 1
    it answers as ours): the value, the input's gradient and gamma / beta's against torch's layer_norm in float64."""
    import mindspore as ms
    from mindspore import Tensor, nn, ops
    rs = np.random.RandomState(0)
    x, gamma, beta = rs.standard_normal((2, 3, 4)), rs.standard_normal((3, 4)), rs.standard_normal((3, 4))
    net = nn.LayerNorm((3, 4), begin_norm_axis=-2, begin_params_axis=-2)
    net.gamma.set_data(Tensor(gamma.astype(np.float32)))
    net.beta.set_data(Tensor(beta.astype(np.float32)))

    def loss(a):
        y = net(a)
        return (ops.sin(y) * 0.5 + y * y * 0.25).sum()
    xs = Tensor(x.astype(np.float32))
    y = _in_mode(graph, lambda: net(xs))
    dx = _in_mode(graph, lambda: ops.grad(loss, 0)(xs))
    dg, db = _in_mode(graph, lambda: ops.GradOperation(get_by_list=True)(loss, ms.ParameterTuple(net.trainable_params()))(xs))

    tx, tg, tb = (_t64(a).requires_grad_() for a in (x, gamma, beta))
    ty = torch.nn.functional.layer_norm(tx, (3, 4), tg, tb, eps=1e-7)
    (torch.sin(ty) * 0.5 + ty * ty * 0.25).sum().backward()
    np.testing.assert_allclose(y.asnumpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    for ours, ref in ((dx, tx), (dg, tg), (db, tb)):
        np.testing.assert_allclose(ours.asnumpy(), ref.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
@pytest.mark.parametrize("jac", ["jacfwd", "jacrev"])
def test_float64_jacobians_match_torch(mindspore_is_gradserve, graph, jac):
    """ms.jacfwd / jacrev(g, (0, 1)) of cumprod(x * y, -1) with float64 inputs (r22:22:9, r22:22:158: MindSpore 2.10
    refuses "Type Join Failed: dtype1 = Float32, dtype2 = Float64", its ones being float32): against torch.func's
    jacobians, float64 kept."""
    import mindspore as ms
    from mindspore import Tensor, ops
    rs = np.random.RandomState(1)
    x, y = rs.standard_normal(3), rs.standard_normal((2, 3))

    def g(a, b):
        return ops.cumprod(a * b, -1)
    jx, jy = _in_mode(graph, lambda: getattr(ms, jac)(g, (0, 1))(Tensor(x), Tensor(y)))
    rx, ry = getattr(torch.func, jac)(lambda a, b: torch.cumprod(a * b, -1), (0, 1))(_t64(x), _t64(y))
    assert jx.dtype == ms.float64 and jy.dtype == ms.float64
    np.testing.assert_allclose(jx.asnumpy(), rx.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(jy.asnumpy(), ry.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("graph", [False, True], ids=["pynative", "graph"])
def test_jvp_of_losses_and_masked_select_match_torch(mindspore_is_gradserve, graph):
    """ops.jvp through nn.KLDivLoss(reduction='sum') (r22:22:28: MindSpore "KLDivLossGrad's bprop not defined"),
    nn.NLLLoss(weight, reduction='mean') (r22:122:329: "Bprop GatherDGradV2 ... null pointer") and ops.masked_select
    (r22:22:360: "The shape of sense must not be dynamic shape"): values and tangents against torch.func.jvp in
    float64."""
    import mindspore as ms
    from mindspore import Tensor, nn, ops
    rs = np.random.RandomState(2)
    x, tx, p = rs.standard_normal((4, 3)), rs.standard_normal((4, 3)), rs.standard_normal((4, 3))
    w, label = np.abs(rs.standard_normal(3)) + 0.1, np.array([0, 2, 1, 2])
    mask = rs.standard_normal((4, 3)) > 0
    t0 = np.exp(p) / np.exp(p).sum(-1, keepdims=True)
    f32 = lambda a: Tensor(np.asarray(a, np.float32))  # noqa: E731
    kl, nll = nn.KLDivLoss(reduction="sum"), nn.NLLLoss(weight=f32(w), reduction="mean")
    cases = [
        (lambda a: kl(ops.log_softmax(a, -1), f32(t0)),
         lambda a: torch.nn.functional.kl_div(torch.log_softmax(a, -1), _t64(t0), reduction="sum")),
        (lambda a: nll(ops.log_softmax(a, -1), Tensor(label.astype(np.int32))),
         lambda a: torch.nn.functional.nll_loss(torch.log_softmax(a, -1), torch.tensor(label), _t64(w))),
        (lambda a: ops.masked_select(a * a, Tensor(mask)),
         lambda a: torch.masked_select(a * a, torch.tensor(mask))),
    ]
    for ours_fn, ref_fn in cases:
        out, tangent = _in_mode(graph, lambda: ops.jvp(ours_fn, f32(x), f32(tx)))
        ref_out, ref_tangent = torch.func.jvp(ref_fn, (_t64(x),), (_t64(tx),))
        assert out.dtype == ms.float32
        np.testing.assert_allclose(out.asnumpy(), ref_out.numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(tangent.asnumpy(), ref_tangent.numpy(), rtol=1e-4, atol=1e-5)


def test_refcheck_reports_a_one_percent_difference():
    """benchmarks/ms_refcheck.py's comparison: equal answers agree, ours 1% off or of another shape is reported."""
    import ms_refcheck
    ref = [{"dtype": "float32", "shape": [2], "data": [4.0125, -0.5]}]
    assert ms_refcheck.difference(ref, ref)[1] is None
    assert ms_refcheck.difference(ref, ref, mutate=1.01)[1] is not None
    assert ms_refcheck.difference(ref, [{"dtype": "float32", "shape": [1, 2], "data": [4.0125, -0.5]}])[1] is not None


def test_refcheck_finite_differences_of_a_program(mindspore_is_gradserve):
    """ms_refcheck.finite_differences replaces the program's derivative operators: GradOperation(sens_param=True) of
    x * x + 1 in float64 is 2 x s (by hand), jvp of sin its cos times the tangent."""
    import ms_refcheck
    src = ("inputs = [T('float64', (2, 2), 3, 'normal')]\n"
           "s = T('float64', (2, 2), 4, 'normal')\n"
           "def f(a0):\n"
           "    return ops.GradOperation(sens_param=True)(lambda x: x * x + 1)(a0, s), ops.jvp(ops.sin, a0, s)\n")
    grad, value, tangent = ms_refcheck.finite_differences({"name": "t", "src": src, "context": "pynative"}, False)
    x, s = np.random.RandomState(3).standard_normal((2, 2)), np.random.RandomState(4).standard_normal((2, 2))
    np.testing.assert_allclose(np.reshape(grad["data"], (2, 2)), 2 * x * s, rtol=1e-8)
    np.testing.assert_allclose(np.reshape(value["data"], (2, 2)), np.sin(x), rtol=1e-12)
    np.testing.assert_allclose(np.reshape(tangent["data"], (2, 2)), np.cos(x) * s, rtol=1e-8)


def test_refcheck_writes_layernorm_axes_from_the_front():
    """MindSpore's reference for LayerNorm axes below -1 is the same layer with the axes written rank + axis."""
    import ms_refcheck
    src = "inputs = [T('float32', (2, 2, 4), 1, 'normal')]\nnet = nn.LayerNorm((2, 4), begin_norm_axis=-2, begin_params_axis=-1)\n"
    assert "begin_norm_axis=1, begin_params_axis=2" in ms_refcheck.positive_layernorm_axes(src)
