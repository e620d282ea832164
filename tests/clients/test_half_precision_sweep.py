"""float16 ops rounded as MindSpore 2.10's CPU kernels round them (most in float32, rounded once: ops/_half_precision.
in_float32 and the engine's kernels; bessel_i1e's gradient one op at a time), checked against MindSpore's own values;
bfloat16 (no CPU kernel in MindSpore 2.10 for these) against PyTorch's CPU kernels, which also compute in float32 and
round once.

data/ms210_half_sweep.npz: MindSpore 2.10.0 CPU (PyNative) runs of the float16 sweep in benchmarks/mindspore_suite
(half_sweep/, section "float16 / bfloat16 sweep"): per case the inputs' and MindSpore's outputs' bits, at up to 96
points where float16 steps differed from MindSpore (an ulp, or -0 for -1 in floor_divide) and 32 where they agreed
(whole rows for the reductions and log_softmax1, both gradients for remainder's)."""
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.ops.operations._grad_ops import FastGeLUGrad

DATA = np.load(Path(__file__).parent / "data" / "ms210_half_sweep.npz")
BF16 = np.dtype(ml_dtypes.bfloat16)

FORWARD = {
    "float16.u.hardsigmoid": ops.hardsigmoid, "float16.u.softsign": ops.softsign, "float16.u.logit": ops.logit,
    "float16.u.gelu_tanh": lambda x: ops.gelu(x, approximate="tanh"), "float16.r.std": lambda x: ops.std(x, 1),
    "float16.b.lerp_half": lambda x, y: ops.lerp(x, y, 0.5), "float16.b.floor_divide": ops.floor_divide,
    "float16.b.div_floor": lambda x, y: ops.div(x, y, rounding_mode="floor"),
    "float16.ug.gelu_tanh": lambda x: gs.grad(lambda t: ops.gelu(t, approximate="tanh").sum())(x),
    "float16.ug.logit": lambda x: gs.grad(lambda t: ops.logit(t).sum())(x),
    "float16.ug.asin": lambda x: gs.grad(lambda t: ops.asin(t).sum())(x),  # (the engine's rule)
    "float16.ug.acos": lambda x: gs.grad(lambda t: ops.acos(t).sum())(x),
    # engine kernels and derivative rules (rows of 16 / 8 for the reductions and log_softmax1)
    "float16.u.sin": ops.sin, "float16.ug.cos": lambda x: gs.grad(lambda t: ops.cos(t).sum())(x),
    "float16.ug.tanh": lambda x: gs.grad(lambda t: ops.tanh(t).sum())(x),
    "float16.ug.tanhshrink": lambda x: gs.grad(lambda t: ops.tanhshrink(t).sum())(x),
    "float16.ug.softplus": lambda x: gs.grad(lambda t: ops.softplus(t).sum())(x),
    "float16.ug.bessel_i1e": lambda x: gs.grad(lambda t: ops.bessel_i1e(t).sum())(x),
    "float16.bg.remainder": lambda x, y: ops.stack(gs.grad(lambda a, b: ops.remainder(a, b).sum(),
                                                           grad_position=(0, 1))(x, y), 1),
    "float16.u.log_softmax1": lambda x: ops.log_softmax(x, 1), "float16.r.log_softmax": lambda x: ops.log_softmax(x, 1),
    "float16.r.cumprod": lambda x: ops.cumprod(x, 1),
    "float16.rg.prod": lambda x: gs.grad(lambda t: ops.prod(t, 1).sum())(x),
}


def _bits(t) -> np.ndarray:
    return t.asnumpy().view(np.uint16).ravel()


@pytest.mark.parametrize("case", sorted(FORWARD))
def test_float16_as_mindspore(fake, case):
    args = [Tensor(DATA[f"{case}:{a}"].view(np.float16)) for a in ("x", "y") if f"{case}:{a}" in DATA]
    got, want = _bits(FORWARD[case](*args)), DATA[f"{case}:ms"]
    both_nan = np.isnan(want.view(np.float16)) & np.isnan(got.view(np.float16))
    bad = np.flatnonzero((got != want) & ~both_nan)
    assert bad.size == 0, (f"{bad.size} of {want.size} differ from MindSpore 2.10: at x = "
                           f"{args[0].asnumpy().ravel()[bad[:3] * args[0].size // want.size].tolist()} "
                           f"MindSpore {want[bad[:3]].view(np.float16)}, ours {got[bad[:3]].view(np.float16)}")


def _bf16_points():
    """Every 97th bfloat16 bit pattern (subnormals, +-inf, nan, the largest among them) and a few near 0."""
    bits = np.concatenate([np.arange(0, 65536, 97), [0x3C00, 0x3C23, 0xBC51, 0x0001, 0x7F80]]).astype(np.uint16)
    return bits.view(BF16)


def _torch_bf16(fn, *arrays):
    torch = pytest.importorskip("torch")
    ts = [torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16) for a in arrays]
    return fn(torch, *ts).to(torch.float32).numpy().astype(BF16)


@pytest.mark.parametrize("name", ["sinc", "logaddexp2", "hypot"])
def test_bfloat16_rounded_once_as_pytorch(fake, name):
    """Their dtype is the input's (sinc of bfloat16 was Float32), each value float32's rounded once, as
    PyTorch's bfloat16 CPU kernels (torch.sinc / logaddexp2 / hypot)."""
    x = _bf16_points()
    y = x[np.random.default_rng(5).permutation(x.size)]
    args = [x] if name == "sinc" else [x, y]
    got = getattr(ops, name)(*[Tensor(a) for a in args])
    assert got.dtype == gs.bfloat16
    want = _torch_bf16(lambda torch, *ts: getattr(torch, name)(*ts), *args)
    np.testing.assert_array_equal(got.asnumpy().astype(np.float32), want.astype(np.float32))


def test_fast_gelu_grad_of_bfloat16_rounds_once(fake):
    """FastGeLUGrad of bfloat16 (was float16 only: bfloat16 rounded at each step) against PyTorch's autograd of
    x * sigmoid(1.702 x) in float32, rounded once."""
    torch = pytest.importorskip("torch")
    x = _bf16_points()
    x = x[np.isfinite(x.astype(np.float32)) & (np.abs(x.astype(np.float32)) < 60)]
    dy = x[::-1].copy()
    t = torch.from_numpy(x.astype(np.float32)).requires_grad_()
    (t * torch.sigmoid(1.702 * t)).backward(torch.from_numpy(dy.astype(np.float32)))
    want = t.grad.numpy().astype(BF16).astype(np.float32)
    got = FastGeLUGrad()(Tensor(dy), Tensor(x))
    assert got.dtype == gs.bfloat16
    np.testing.assert_array_equal(got.asnumpy().astype(np.float32), want)


def test_mixed_precision_arguments_are_not_narrowed(fake):
    """float16 with float32 promotes to float32 (MindSpore 2.10): in_float32 leaves such a call alone."""
    x = Tensor(np.array([0.1, 0.7], np.float16))
    y = Tensor(np.array([0.2, 0.3], np.float32))
    out = ops.lerp(x, y, 0.5)
    assert out.dtype == gs.float32
    np.testing.assert_array_equal(out.asnumpy(), (np.array([0.1, 0.7], np.float16).astype(np.float32)
                                                  + np.array([0.2, 0.3], np.float32)) * np.float32(0.5))


def test_hypot_of_float32_past_its_squares_range(fake):
    """float32 squares overflow past 1.8e19 and underflow below 1e-23: hypot squares in float64. Values and
    gradients from MindSpore 2.10 CPU (its Hypot kernel is std::hypot) on the same inputs."""
    x = Tensor(np.array([1e20, 3e-30, 1e-45, 3, np.inf, np.nan, -2e19], np.float32))
    y = Tensor(np.array([1, 4e-30, 1e-45, 4, np.nan, np.inf, 1e19], np.float32))
    np.testing.assert_array_equal(ops.hypot(x, y).asnumpy(), np.array(
        [1e20, 5e-30, 1.401298e-45, 5, np.inf, np.inf, 2.236068e19], np.float32))
    gx, gy = gs.grad(lambda a, b: ops.hypot(a, b).sum(), grad_position=(0, 1))(x, y)
    np.testing.assert_allclose(gx.asnumpy()[[0, 1, 3, 6]], [1.0, 0.6, 0.6, -0.89442718], rtol=1e-6)
    np.testing.assert_allclose(gy.asnumpy()[[0, 1, 3, 6]], [1e-20, 0.8, 0.8, 0.44721359], rtol=1e-6)


def test_floor_divide_of_float32_whose_quotient_underflows(fake):
    """MindSpore 2.10 CPU divides float32 in double: a quotient below float32's range is still negative, its floor
    -1 (ours was floor(-0) = -0). Values from MindSpore 2.10 on the same inputs (1 // -inf is -0 there too)."""
    x = Tensor(np.array([1e-39, 1.0, -3e-30, 5e-30, 7.0, 1.0, 0.0, np.inf], np.float32))
    y = Tensor(np.array([-1e30, -1e30, 2e20, 1e-20, 2.0, -np.inf, -1.0, -1.0], np.float32))
    want = np.array([-1, -1, -1, 0, 3, -0.0, -0.0, -np.inf], np.float32)
    for got in (ops.floor_divide(x, y), ops.div(x, y, rounding_mode="floor"), x // y):
        assert got.dtype == gs.float32
        np.testing.assert_array_equal(got.asnumpy(), want)
        np.testing.assert_array_equal(np.signbit(got.asnumpy()), np.signbit(want))


def test_tensor_std_rounds_as_ops_std(fake):
    """Tensor.std / var have their own implementation (ops/_tensor_sig): the same MindSpore 2.10 rows as ops.std."""
    x = Tensor(DATA["float16.r.std:x"].view(np.float16))
    np.testing.assert_array_equal(_bits(x.std(1)), DATA["float16.r.std:ms"])
    assert x.var(1).dtype == gs.float16


@pytest.mark.parametrize("name", ["sqrt", "reciprocal", "tanhshrink"])
def test_bfloat16_stays_bfloat16(fake, name):
    """sqrt / reciprocal / tanhshrink of bfloat16 came back Float32 (the integer-to-float32 step took bfloat16 for an
    integer); now BFloat16, valued as PyTorch's bfloat16 CPU kernels (MindSpore 2.10 CPU refuses these: 'Select CPU
    operator[Reciprocal] fail! Unsupported data type!')."""
    x = _bf16_points()
    got = getattr(ops, name)(Tensor(x))
    assert got.dtype == gs.bfloat16
    def fn(torch, t):
        return torch.nn.functional.tanhshrink(t) if name == "tanhshrink" else getattr(torch, name)(t)
    np.testing.assert_array_equal(got.asnumpy().astype(np.float32), _torch_bf16(fn, x).astype(np.float32))


def test_exp2_and_copysign_of_bfloat16_are_float32_as_mindspore(fake):
    """MindSpore 2.10 CPU answers Float32 for these (exp2: float32's 2 ** x exactly; values from its run)."""
    x = Tensor(np.array([0.5, 2.0, 3.0, -1.3, 10.1], np.float32), gs.bfloat16)
    got = ops.exp2(x)
    assert got.dtype == gs.float32
    np.testing.assert_array_equal(got.asnumpy(), np.array([1.4142135381698608, 4.0, 8.0, 0.4070068597793579,
                                                           1116.679931640625], np.float32))
    assert ops.copysign(x, -1.0).dtype == gs.float32


def test_cumprod_and_prod_grad_through_inf(fake):
    """cumprod's scan turned inf * 0 into NaN and -0 + 0 into +0 (float32 [2, 3, inf, ...] gave [2, 6, nan, ...]);
    under vmap too (its batching rule ran the composite). Values from MindSpore 2.10 CPU on the same rows (float32)."""
    cases = [([[2, 3, np.inf, 0.5, -2, 0]], [[2, 6, np.inf, np.inf, -np.inf, np.nan]],
              [[np.nan, np.nan, -0.0, np.nan, np.nan, -np.inf]]),
             ([[-0.5, 3, 0.0, 2, 4], [1, -np.inf, 2, 0.5, 3]], [[-0.5, -1.5, -0.0, -0.0, -0.0], [1] + [-np.inf] * 4],
              [[0, -0.0, -12, -0.0, -0.0], [-np.inf, 3, -np.inf, -np.inf, -np.inf]])]
    for rows, want, want_grad in cases:
        x = Tensor(np.array(rows, np.float32))
        for got, expected in ((ops.cumprod(x, 1), want), (gs.vmap(lambda r: ops.cumprod(r, 0))(x), want),
                              (gs.grad(lambda t: ops.prod(t, 1).sum())(x), want_grad)):
            got, expected = got.asnumpy(), np.array(expected, np.float32)
            np.testing.assert_array_equal(got, expected)
            number = ~np.isnan(expected)
            np.testing.assert_array_equal(np.signbit(got[number]), np.signbit(expected[number]))


def test_remainder_grad_quotient_in_float64(fake):
    """d remainder(a, b) / db is -floor(a / b): a float32 quotient below its range was -0 (gradient 0); MindSpore 2.10's
    (its FloorDiv in double) is 1 on these (values from its run)."""
    x = Tensor(np.array([1e-39, 1.0, -3e-30, 7.0], np.float32))
    y = Tensor(np.array([-1e30, -1e30, 2e20, 2.0], np.float32))
    gx, gy = gs.grad(lambda a, b: ops.remainder(a, b).sum(), grad_position=(0, 1))(x, y)
    np.testing.assert_array_equal(gx.asnumpy(), [1, 1, 1, 1])
    np.testing.assert_array_equal(gy.asnumpy(), [1, 1, 1, -3])


def test_bessel_i1e_grad_cut_off_at_eps(fake):
    """MindSpore 2.10 gives 1/2 where |x| <= the dtype's eps (float32 1.19e-7, float16 2**-10), the formula beyond.
    Values from its run (float16 bits; float32 to its kernel's precision)."""
    x = Tensor(np.array([0.0, 1e-7, -1.1e-7, 1.2e-7, 2e-7, 1e-3, 0.5, -2.0], np.float32))
    got = gs.grad(lambda t: ops.bessel_i1e(t).sum())(x).asnumpy()
    np.testing.assert_array_equal(got[:3], 0.5)
    np.testing.assert_allclose(got[3:], [0.4999998211860657, 0.4999997615814209, 0.49900099635124207,
                                         0.17577290534973145, -0.014395654201507568], rtol=5e-6)
    assert got[3] < 0.5
    h = Tensor(np.array([0.0, 0.0009765625, -0.0009765625, 0.0009775162, 0.5, -2.0, 0.00390625], np.float16))
    np.testing.assert_array_equal(_bits(gs.grad(lambda t: ops.bessel_i1e(t).sum())(h)),
                                  [14336, 14336, 14336, 14332, 12704, 41792, 14320])
