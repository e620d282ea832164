"""float16 ops that MindSpore 2.10's CPU kernels compute in float32 and round once (ops/_half_precision.in_float32),
checked against MindSpore's own values; bfloat16 (no CPU kernel in MindSpore 2.10 for these) against PyTorch's CPU
kernels, which also compute in float32 and round once.

data/ms210_half_sweep.npz: MindSpore 2.10.0 CPU (PyNative) runs of the float16 sweep in benchmarks/mindspore_suite
(half_sweep/, section "float16 / bfloat16 sweep"): per case the inputs' and MindSpore's outputs' bits, at up to 96
points where float16 steps differed from MindSpore (an ulp, or -0 for -1 in floor_divide) and 32 where they agreed."""
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
                           f"{args[0].asnumpy().reshape(want.size, -1)[bad[:3]].tolist()} "
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
