"""Round 9 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 9 (gradient APIs with weights /
has_aux / sens_param / stop_gradient, layers with Parameters in training mode, complex64, float16 / bfloat16 mixed
with float32, scans / sorts / scatters, linalg), run as the same text in MindSpore 2.10 CPU (/work/msvenv) and in the
SDK. The harness's own checks and a regression test per wrong answer it found. Expected values: closed forms worked by
hand, finite differences or torch float64 (each test says which)."""
import numpy as np
import pytest

from clients._ms_shim import assert_programs_reproducible, mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen9 as gen9  # noqa: E402
import ms_differential as msd  # noqa: E402

FORMS = ("grad_api", "bn_stats", "complex", "mixed", "select", "linalg")


# ----------------------------------------------------------------------------------------- the harness
def test_round9_programs_are_reproducible_and_compile():
    assert_programs_reproducible(gen9.programs9, 9, 300, msd._available, unlisted=FORMS)


def test_round9_draws_every_form_the_brief_names():
    progs = gen9.programs9(9, 600, msd._available)
    apis = {p["api"] for p in progs}
    text = "\n".join(p["src"] for p in progs)
    for api in ("grad_api.grad", "grad_api.value_and_grad", "grad_api.GradOperation", "grad_api.jvp", "grad_api.vjp",
                "grad_api.third", "bn_stats.BatchNorm1d", "bn_stats.BatchNorm2d", "complex.built", "complex.input",
                "mixed.bfloat16", "mixed.float16", "linalg.inverse", "linalg.det", "linalg.slogdet", "linalg.cholesky",
                "linalg.qr", "linalg.svd", "select.cumprod", "select.logcumsumexp", "select.topk",
                "select.tensor_scatter_elements", "select.masked_fill", "nn.Conv3d", "nn.LSTMCell", "nn.Dropout"):
        assert api in apis, api
    for spelling in ("has_aux=True", "weights=[w]", "grad_position=(1, 0)", "ops.stop_gradient(", "sens_param=True",
                     "get_by_list=True", "group=2", "dilation=2", "pad_mode='same'", "p=1.0", "affine=False",
                     "T('complex64'", "ms.bfloat16", "net.set_train(True)"):
        assert spelling in text, spelling
    assert {p["mode"] for p in progs if p["api"].startswith(gen9.VALUE_ONLY)} == {"value"}


def test_a_complex64_input_is_drawn_the_same_on_both_sides(mindspore_is_gradserve):
    """T('complex64', ...) takes its imaginary parts from the stream's next draw (both sides run make_tensor)."""
    rs = np.random.RandomState(11)
    real = rs.standard_normal((2, 3))
    want = (real + 1j * rs.standard_normal((2, 3))).astype(np.complex64)
    np.testing.assert_array_equal(msd.make_tensor("complex64", (2, 3), 11, "normal").asnumpy(), want)


# ----------------------------------------------------------------------------------------- wrong answers fixed
def test_sqrt_reciprocal_and_exp2_of_a_complex_tensor_stay_complex(mindspore_is_gradserve):
    """ops.sqrt / reciprocal / exp2 / tanhshrink and Tensor.sqrt / reciprocal cast a complex64 tensor to float32 first:
    sqrt([1+2j, -0.5+0.3j, -4]) was float32 [1, nan, nan] (MindSpore 2.10.0 CPU, run by hand: complex64
    [1.272+0.786j, 0.204+0.736j, 2j]), reciprocal [1, -2, -0.25] (for [0.2-0.4j, -1.4706-0.8824j, -0.25]), exp2
    [2, 0.707, 0.0625] (for [0.367+1.966j, 0.692+0.146j, 0.0625]). Expected: NumPy complex128 (closed forms; equal to
    MindSpore's output above); integers still float32. The gradient of |sqrt(z)| summed: MindSpore's convention
    dL/dx + i dL/dy, which for |sqrt z| = |z|^(1/2) is z / (2 |z|^(3/2)) (closed form; MindSpore gives the same).
    tanhshrink(z) = z - tanh(z) was float32 [0.238, -0.038, -3.0007] (MindSpore: complex64 -0.1667+2.2435j, ...)."""
    from gradserve import Tensor, dtype, ops
    z = np.array([1 + 2j, -0.5 + 0.3j, -4 + 0j], np.complex64)
    zt, zz = Tensor(z), z.astype(np.complex128)
    for got, want in ((ops.sqrt(zt), np.sqrt(z.astype(np.complex128))), (zt.sqrt(), np.sqrt(z.astype(np.complex128))),
                      (ops.reciprocal(zt), 1 / z.astype(np.complex128)), (zt.reciprocal(), 1 / z.astype(np.complex128)),
                      (ops.exp2(zt), 2 ** z.astype(np.complex128))):
        assert got.dtype == dtype.complex64
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ops.tanhshrink(zt).asnumpy(), zz - np.tanh(zz), rtol=1e-5, atol=1e-6)
    assert ops.sqrt(Tensor(z.astype(np.complex128))).dtype == dtype.complex128
    np.testing.assert_allclose(ops.sqrt(Tensor(np.array([4, 2], np.int32))).asnumpy(), [2, np.sqrt(2)], rtol=1e-6)
    grad = ops.grad(lambda a: ops.abs(ops.sqrt(a)).sum())(zt).asnumpy()
    np.testing.assert_allclose(grad, z / (2 * np.abs(z) ** 1.5), rtol=1e-5)


def test_mindspore_numpy_functions_of_a_complex_tensor_stay_complex(mindspore_is_gradserve):
    """mindspore.numpy's sqrt / exp / log / log2 / log10 / log1p / expm1 / exp2 / reciprocal / mean cast a complex64 tensor
    to float32 (its real part): mnp.exp([1+2j, -0.5+0.3j, -4]) was float32 [2.718, 0.607, 0.018] (MindSpore 2.10.0 CPU,
    run by hand: complex64 [-1.131+2.472j, 0.579+0.179j, 0.018]), mnp.log [0, nan, nan], mnp.mean -1.1667 (for
    -1.1667+0.7667j). Expected: NumPy complex128 (the same functions; equal to MindSpore's printed outputs)."""
    import gradserve.numpy as mnp
    from gradserve import Tensor, dtype
    z = np.array([1 + 2j, -0.5 + 0.3j, -4 + 0j], np.complex64)
    zz = z.astype(np.complex128)
    for name, want in (("sqrt", np.sqrt(zz)), ("exp", np.exp(zz)), ("log", np.log(zz)), ("log2", np.log2(zz)),
                       ("log10", np.log10(zz)), ("log1p", np.log1p(zz)), ("expm1", np.expm1(zz)), ("exp2", 2 ** zz),
                       ("reciprocal", 1 / zz), ("mean", np.mean(zz))):
        got = getattr(mnp, name)(Tensor(z))
        assert got.dtype == dtype.complex64, name
        np.testing.assert_allclose(got.asnumpy(), want, rtol=2e-6, atol=2e-6, err_msg=name)


def test_the_variance_of_a_complex_tensor_is_the_mean_squared_modulus(mindspore_is_gradserve):
    """ops.var / std / var_mean and mindspore.numpy.var of a complex tensor took the real parts' variance (3.5556 for
    the z below; NumPy 4.4236), Tensor.var / std the mean of the squared complex deviation (zt.var(0) was complex
    [-0.75-1j, -0.06+0.175j, 4.8125-2.25j]; NumPy [1.25, 0.185, 5.3125]); MindSpore 2.10's CPU refuses. Expected:
    NumPy's var / std (mean |z - mean|^2, real) and its gradient 2 (z - mean) / n in MindSpore's dL/dx + i dL/dy
    convention (closed form)."""
    import gradserve.numpy as mnp
    from gradserve import Tensor, dtype, ops
    z = np.array([[1 + 2j, -0.5 + 0.3j, -4], [2, 1j, 0.5 - 1j]], np.complex64)
    zt = Tensor(z)
    for got, want in ((ops.var(zt), np.var(z)), (ops.std(zt, 1, ddof=1), np.std(z, 1, ddof=1)),
                      (zt.var(0), np.var(z, 0)), (zt.std(1, ddof=1), np.std(z, 1, ddof=1)), (mnp.var(zt), np.var(z)),
                      (ops.var_mean(zt)[0], np.var(z))):
        assert got.dtype == dtype.float32
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)
    np.testing.assert_allclose(ops.grad(lambda a: a.var())(zt).asnumpy(), 2 * (z - z.mean()) / z.size, rtol=1e-5)


def test_mse_loss_of_complex_tensors_stays_mindspores_float32(mindspore_is_gradserve):
    """Keeping complex tensors complex (above) must not change ops.mse_loss: MindSpore 2.10.0 CPU (run by hand) gives
    float32 4.386667 for mse_loss(z, 2 z), z = [1+2j, -0.5+0.3j, -4]: the mean of the real parts of the squared
    errors (-3, 0.16, 16), which the SDK gave before and gives still."""
    from gradserve import Tensor, dtype, ops
    z = Tensor(np.array([1 + 2j, -0.5 + 0.3j, -4 + 0j], np.complex64))
    got = ops.mse_loss(z, z * 2)
    assert got.dtype == dtype.float32 and float(got) == pytest.approx(4.386667, rel=1e-6)


def test_mint_div_true_divide_and_xlogy_of_complex_tensors_stay_complex(mindspore_is_gradserve):
    """mint.div / ops.true_divide / ops.xlogy cast both operands to float32 when the first was not a float dtype, so a
    complex64 pair lost its imaginary parts: mint.div(z, z + 1) was float32 [0.5, -1, 1.333] (MindSpore 2.10.0 CPU,
    run by hand: complex64 [0.75+0.25j, -0.4706+0.8824j, 1.3333]), xlogy(z, z) float32 [0, nan, nan] (for
    [-1.4096+2.7166j, -0.5106-1.4624j, -5.5452-12.5664j]), true_divide(1, z) float32 [1, -2, -0.25] (MindSpore refuses
    an int32 with a complex64; the quotient is 1 / z). Expected: NumPy complex128 (closed forms; equal to MindSpore's
    printed outputs); integers still divide as float32."""
    from gradserve import Tensor, dtype, mint, ops
    z = np.array([1 + 2j, -0.5 + 0.3j, -4 + 0j], np.complex64)
    zt, zz = Tensor(z), z.astype(np.complex128)
    for got, want in ((mint.div(zt, zt + 1), zz / (zz + 1)), (ops.true_divide(zt, zt + 1), zz / (zz + 1)),
                      (ops.true_divide(1, zt), 1 / zz), (ops.xlogy(zt, zt), zz * np.log(zz))):
        assert got.dtype == dtype.complex64
        np.testing.assert_allclose(got.asnumpy(), want, rtol=2e-6, atol=2e-6)
    halves = mint.div(Tensor(np.array([1, 2, 3], np.int32)), Tensor(np.array([2, 4, 2], np.int32)))
    assert halves.dtype == dtype.float32 and halves.asnumpy().tolist() == [0.5, 0.5, 1.5]


def test_sign_of_a_complex_tensor_is_its_unit_phase(mindspore_is_gradserve):
    """ops.sign / Tensor.sign / mint.sign of a complex tensor were refused ("sign: not defined for complex operands");
    MindSpore 2.10.0 CPU (run by hand) gives x / |x|, 0 at 0: [0.4472+0.8944j, -0.8575+0.5145j, -1, 0] for
    [1+2j, -0.5+0.3j, -4, 0]. Expected: that closed form (NumPy's)."""
    from gradserve import Tensor, dtype, mint, ops
    z = np.array([1 + 2j, -0.5 + 0.3j, -4 + 0j, 0j], np.complex64)
    want = np.where(z == 0, 0, z / np.where(z == 0, 1, np.abs(z)))
    for got in (ops.sign(Tensor(z)), Tensor(z).sign(), mint.sign(Tensor(z))):
        assert got.dtype == dtype.complex64
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6, atol=1e-7)
