"""Round 16 of the model zoo (benchmarks/IMPORT_ZOO.md): held-out kinds, each imported and checked against its own
framework (value, gradients w.r.t. the input and every weight, a jvp, a Hessian-vector product).

- Silently wrong gradients closed: lax.custom_root (JAX's own custom_jvp, no while loop inside) and
  lax.custom_linear_solve (jax.scipy.sparse.linalg.cg) exported as the solver's iterations, which the import
  differentiated as written: wherever the solve stops short (2 Newton steps, cg with maxiter=3) that is another
  derivative than JAX's implicit rule (0.051 / 0.076 off jax.grad). Both go through JAX's VJP now (jax_custom.py).
- torch.sinc's gradient at 0 was nan (torch's: 0). jnp.sinc's second derivative at 0 was 0 (JAX's own custom_jvp, its Maclaurin terms, dropped): -pi^2 / 3 now.
- JAX's expn / exp1 / expi in float64 stopped at while_max_trips=200 (limit_exceeded): each series ran on every
  element, its trip count set by elements whose result is discarded (jax_series.py).
Expected values: torch's and JAX's own autodiff on the same models, onnx.reference and torch for the ONNX graphs,
SciPy for the exponential integrals."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, ops

from .checks import check_against_jax, check_torch_export, torch_case, jax_err
from .jax_zoo16 import MODELS as JAX_MODELS
from .models import close, to_onnx
from .zoo16 import MODELS as TORCH_MODELS

pytestmark = pytest.mark.usefixtures("fake")


@pytest.mark.parametrize("name", sorted(TORCH_MODELS))
def test_torch_model_through_torch_export(name):
    check_torch_export(*torch_case(TORCH_MODELS, name))


@pytest.mark.parametrize("name", ["gated_linear_attention", "mixture_of_depths", "switch_capacity_moe"])
def test_torch_model_through_onnx(name):
    """The TorchScript exporter's file (the loop unrolled; topk + index_add; cumsum capacity): value and input
    gradient against torch."""
    import onnx

    model, x = torch_case(TORCH_MODELS, name)
    net = gs.from_onnx(onnx.load_from_string(to_onnx(model, x)))
    close(net(Tensor(x.numpy())).asnumpy(), model(x).detach().numpy(), "value")
    c = torch.from_numpy(np.random.default_rng(5).uniform(0.5, 1.5, tuple(model(x).shape)).astype(np.float32))
    gx = ops.grad(lambda z: (net(z) * Tensor(c.numpy())).sum())(Tensor(x.numpy()))
    xr = x.clone().requires_grad_(True)
    close(gx.asnumpy(), torch.autograd.grad((model(xr) * c).sum(), xr)[0].numpy(), "grad x")


@pytest.mark.parametrize("name", sorted(JAX_MODELS))
def test_jax_model(name):
    check_against_jax(*JAX_MODELS[name])


def test_custom_root_rule_is_not_the_iterations_derivative():
    """custom_root's rule differs from the unrolled Newton steps' derivative here (so the test above can fail)."""
    import jax
    from jax import lax

    fn, p, x, _ = JAX_MODELS["jax_newton_custom_root"]

    def unrolled(q, z):  # the same 2 Newton steps, no custom_root
        b = jax.numpy.tanh(z @ q["w"])
        y = lax.fori_loop(0, 2, lambda _, y: y - (y ** 3 + 2.0 * y - b) / (3 * y ** 2 + 2.0), jax.numpy.zeros_like(b))
        return jax.numpy.sin(y) * b
    np.testing.assert_allclose(unrolled(p, x), fn(p, x), rtol=1e-6)
    assert jax_err(jax.grad(lambda z: unrolled(p, z).sum())(x), jax.grad(lambda z: fn(p, z).sum())(x)) > 1e-2


def test_only_iterative_linear_solves_take_jaxs_rule():
    """jnp.linalg.solve is a custom_linear_solve too (LU, triangular solves: exact, its written derivative is the
    rule's): it keeps the single graph; cg's loop does not."""
    import jax.numpy as jnp

    from gradserve.importers.jax_custom import has_custom_rule

    a, b = np.eye(3, dtype=np.float32) * 2, np.ones(3, np.float32)
    assert not has_custom_rule(lambda m, v: jnp.linalg.solve(m, v), (a, b))
    fn, p, x, _ = JAX_MODELS["jax_cg_custom_linear_solve"]
    assert has_custom_rule(fn, (p, x))


def test_jax_sinc_keeps_its_maclaurin_rule_at_zero():
    # before round 16: second derivative 0 at x = 0 (jnp.sinc's primal there is the constant 1); JAX's: -pi^2 / 3
    import jax
    import jax.numpy as jnp

    x = np.array([0.0, 0.5, -1.5], np.float32)
    net = gs.from_jax(lambda z: jnp.sinc(z) * z[::-1], x)
    h = ops.grad(lambda z: ops.grad(lambda y: net(y).sum())(z).sum())(Tensor(x)).asnumpy()
    want = jax.grad(lambda z: jax.grad(lambda y: (jnp.sinc(y) * y[::-1]).sum())(z).sum())(x)
    np.testing.assert_allclose(h, want, rtol=1e-5, atol=1e-6)
    g = ops.grad(lambda z: net(z).sum())(Tensor(x)).asnumpy()
    np.testing.assert_allclose(g, jax.grad(lambda y: (jnp.sinc(y) * y[::-1]).sum())(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_torch_sinc_derivatives_at_and_near_zero(dtype):
    # before round 16: a nan gradient at x = 0 (torch's decomposition's untaken 0 / 0); torch's own is 0. The second
    # derivative at 0 is the math's -pi^2 / 3 (torch's own double backward gives nan there; JAX's rule -pi^2 / 3)
    class Sinc(torch.nn.Module):
        def forward(self, x):
            return torch.sinc(x)

    x = torch.tensor([0.0, 0.002, -0.003, 0.5, 1.5, -2.25], dtype=dtype)
    net = gs.from_torch(Sinc(), (x + 0.3,))
    xn = x.numpy()
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(net(Tensor(xn)).asnumpy(), torch.sinc(x).numpy(), **tol)
    xr = x.double().requires_grad_(True)  # torch float64 (its float32 gradient near 0 cancels: 0.3% off at 0.002)
    tg = torch.autograd.grad(torch.sinc(xr).sum(), xr, create_graph=True)[0]
    th = torch.autograd.grad(tg.sum(), xr)[0].numpy()
    g = ops.grad(lambda z: net(z).sum())(Tensor(xn)).asnumpy()
    np.testing.assert_allclose(g, tg.detach().numpy(), **tol)
    h = ops.grad(lambda z: ops.grad(lambda y: net(y).sum())(z).sum())(Tensor(xn)).asnumpy()
    np.testing.assert_allclose(h[1:], th[1:], rtol=max(tol["rtol"], 1e-10), atol=tol["atol"])  # torch's cancels
    assert np.isnan(th[0]) and abs(h[0] + np.pi ** 2 / 3) < 1e-5


# ---- ONNX opset 18-21 graphs (onnx.helper), against onnx.reference (value) and torch (value and gradients)

def _onnx_model(nodes, x_shape, inits, opset):
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    return model


def _check_onnx(model, torch_fn, x, inits, reference=True):
    from onnx.reference import ReferenceEvaluator

    net = gs.from_onnx(model)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in inits.items() if v.dtype == np.float32}
    xt = torch.tensor(x, requires_grad=True)
    want = torch_fn(xt, params)
    got = net(Tensor(x)).asnumpy()
    close(got, want.detach().numpy(), "value (torch)")
    if reference:
        close(got, ReferenceEvaluator(model).run(None, {"x": x})[0], "value (onnx.reference)")
    c = np.random.default_rng(0).uniform(0.5, 1.5, tuple(want.shape)).astype(np.float32)
    tg = torch.autograd.grad((want * torch.tensor(c)).sum(), [xt, *params.values()])
    gx, gw = ops.grad(lambda z: (net(z) * Tensor(c)).sum(), grad_position=0, weights=net.trainable_params())(
        Tensor(x))
    close(gx.asnumpy(), tg[0].numpy(), "grad x")
    names = list(params)
    assert sorted(q.name for q in net.trainable_params()) == sorted(names)
    for q, g in zip(net.trainable_params(), gw):
        close(g.asnumpy(), tg[1 + names.index(q.name)].numpy(), f"grad {q.name}")


def test_onnx18_col2im_fold_head():
    """Col2Im (opset 18) with strides and an end pad: torch's F.fold on the padded image, cropped."""
    from onnx import helper

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 12, 12)).astype(np.float32)
    inits = {"img": np.array([5, 6], np.int64), "blk": np.array([2, 2], np.int64),
             "w": rng.normal(size=(3, 1, 1)).astype(np.float32)}
    model = _onnx_model([helper.make_node("Col2Im", ["x", "img", "blk"], ["f"], strides=[1, 2], pads=[0, 0, 0, 1]),
                         helper.make_node("Mul", ["f", "w"], ["p"]), helper.make_node("Tanh", ["p"], ["y"])],
                        [2, 12, 12], inits, 18)
    fold = torch.nn.functional.fold
    _check_onnx(model, lambda z, q: torch.tanh(fold(z, (5, 7), 2, stride=(1, 2))[..., :6] * q["w"]), x, inits)


def test_onnx21_group_normalization_per_channel_affine():
    """GroupNormalization at opset 21: scale and bias per channel (opset 18's were per group)."""
    from onnx import helper

    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 3, 3)).astype(np.float32)
    inits = {"s": rng.normal(size=6).astype(np.float32), "b": rng.normal(size=6).astype(np.float32)}
    model = _onnx_model([helper.make_node("GroupNormalization", ["x", "s", "b"], ["g"], num_groups=3, epsilon=1e-5),
                         helper.make_node("Sin", ["g"], ["y"])], [2, 6, 3, 3], inits, 21)
    gn = torch.nn.functional.group_norm
    _check_onnx(model, lambda z, q: torch.sin(gn(z, 3, q["s"], q["b"], 1e-5)), x, inits)


@pytest.mark.parametrize("mode", ["linear", "cubic"])
def test_onnx20_spatial_transformer_affine_grid_grid_sample(mode):
    """A spatial transformer head at opset 20: AffineGrid of a trained theta, GridSample (linear / cubic, border)."""
    from onnx import helper

    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 5, 6)).astype(np.float32)
    theta = np.array([[1, 0.1, 0.05], [-0.2, 0.9, 0.1]]) + rng.normal(size=(2, 2, 3)) * 0.1
    inits = {"theta": theta.astype(np.float32), "size": np.array([2, 3, 4, 5], np.int64)}
    model = _onnx_model([helper.make_node("AffineGrid", ["theta", "size"], ["grid"], align_corners=0),
                         helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode, padding_mode="border",
                                          align_corners=0)], [2, 3, 5, 6], inits, 20)
    fn = torch.nn.functional

    def want(z, q):
        grid = fn.affine_grid(q["theta"], [2, 3, 4, 5], align_corners=False)
        return fn.grid_sample(z, grid, mode="bilinear" if mode == "linear" else "bicubic", padding_mode="border",
                              align_corners=False)
    # onnx.reference clamps an outside sample point to the border before its cubic taps; torch clamps each tap (its
    # bicubic skips the coordinate clamp), which the torch exporters' files mean: 9 of 120 values differ, up to 0.15
    _check_onnx(model, want, x, inits, reference=mode == "linear")


def test_onnx20_dft_power_spectrum_with_dft_length_input():
    """DFT at opset 20 (dft_length and axis as inputs, onesided), zero-padded 6 -> 8: |rfft|^2."""
    from onnx import helper

    x = np.random.default_rng(3).normal(size=(2, 6, 1)).astype(np.float32)
    inits = {"n": np.array(8, np.int64), "ax": np.array(1, np.int64), "last": np.array([-1], np.int64)}
    model = _onnx_model([helper.make_node("DFT", ["x", "n", "ax"], ["c"], onesided=1),
                         helper.make_node("Mul", ["c", "c"], ["sq"]),
                         helper.make_node("ReduceSum", ["sq", "last"], ["y"], keepdims=0)], [2, 6, 1], inits, 20)
    _check_onnx(model, lambda z, q: torch.fft.rfft(z[..., 0], n=8).abs() ** 2, x, inits)


# ---- JAX's exponential integrals in float64 (jax_series.py)

def test_jax_exponential_integrals_float64_within_200_trips_match_scipy():
    """Before: limit_exceeded (float64 needs 1,693 continued-fraction trips at x = 0.1 and 214 power-series trips at
    x = 80, on elements whose result is discarded). SciPy's values; the derivatives' closed forms."""
    import jax
    import jax.numpy as jnp
    from jax.scipy import special as sp
    from scipy import special as ss

    def fn(z):  # expi(-z) = -exp1(z) = -expn(1, z); expi on z > 0 runs no loop
        return jnp.stack([sp.expi(-z), sp.expn(3, z)])

    x = np.array([0.1, 0.5, 1.0, 1.7, 5.0, 30.0, 80.0])
    with jax.enable_x64(True):
        net = gs.from_jax(fn, x, while_max_trips=200)
        got = net(Tensor(x)).asnumpy()
        gx = ops.grad(lambda z: (net(z) * Tensor(np.array([[2.0], [1.0]]))).sum())(Tensor(x)).asnumpy()
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, np.stack([ss.expi(-x), ss.expn(3, x)]), rtol=1e-13)
    # d/dz expi(-z) = e^-z / z (expi' = e^x / x), d/dz E_3(z) = -E_2(z)
    np.testing.assert_allclose(gx, 2 * np.exp(-x) / x - ss.expn(2, x), rtol=1e-12)


def test_jax_exp1_float32_small_argument_within_200_trips():
    # float32 needed 415 continued-fraction trips at x = 0.1 before (every element ran it)
    from jax.scipy import special as sp
    from scipy import special as ss

    x = np.array([0.1, 0.3, 2.0, 9.0], np.float32)
    got = gs.from_jax(sp.exp1, x, while_max_trips=200)(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, ss.exp1(x.astype(np.float64)), rtol=2e-6)
