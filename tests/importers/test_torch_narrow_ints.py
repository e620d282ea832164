"""Narrow integers and float16 through gradserve.from_torch, exactly as torch computes them: casts to and
arithmetic in uint8 / int8 / int16 wrap (the importer widened them to int64: x.to(torch.uint8) of -7 gave -7,
torch 249), mixed dtypes promote as torch.promote_types, Python int scalars wrap into the tensor's dtype, and a
float16 tensor times / divided by a Python number is computed in float32 (torch's opmath for a scalar second
operand: half(-0.7) // 0.7 is -2 in torch, -1 in float16). Expected values: torch itself, element for element."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor

pytestmark = pytest.mark.usefixtures("fake")


def _same_as_torch(module, *args):
    net = gs.from_torch(module, args)
    got = net(*(Tensor(a.numpy()) for a in args))
    want = module(*args)
    got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want)):
        g, w = g.asnumpy(), w.numpy()
        assert g.dtype == w.dtype, f"output {k}: {g.dtype}, torch {w.dtype}"
        np.testing.assert_array_equal(g, w, err_msg=f"output {k}")


class _Narrow(torch.nn.Module):
    def forward(self, x, f, a, b, u):
        return (x.to(torch.uint8), x.to(torch.int8), x.to(torch.int16) * 300,  # casts wrap
                f.to(torch.uint8), f.to(torch.int8),  # float -> narrow: truncated, then wrapped (through int64)
                a + b, a * b, a - b, u - 7, u * 3 + 300, 5 - u,  # arithmetic wraps; int scalars wrap into the dtype
                u + a, a * x, u > 300, u == -1,  # promotion (uint8 + int8 -> int16); compared with wrapped scalars
                (u * 3).sum(), a.prod(), u.cumsum(0),  # torch sums / multiplies integers in int64
                u // 7, a // -3, a % 7, a / b, u / 4, u + torch.tensor(3),  # a 0-d tensor does not promote
                torch.eye(3) + a[:3].to(torch.float32))


def test_narrow_integers_wrap_and_promote_as_torch():
    x = torch.tensor([-7, 300, 5, -200, 40000, 127])
    f = torch.tensor([-7.5, 300.2, 5.9, -200.0, 255.0, -128.7])
    a = torch.tensor([100, -100, 7, 127, -128, 3], dtype=torch.int8)
    b = torch.tensor([100, -100, 9, 1, 1, -5], dtype=torch.int8)
    u = torch.tensor([3, 250, 0, 255, 128, 7], dtype=torch.uint8)
    _same_as_torch(_Narrow(), x, f, a, b, u)


class _HalfScalar(torch.nn.Module):
    def forward(self, h, s):
        return (h * s, h / s, h // s, h + s,  # a 0-d float32 tensor: as a Python number (no promotion either)
                torch.div(h, 0.7, rounding_mode="floor"), torch.div(h, 0.7, rounding_mode="trunc"), h // 1.3,
                h / 0.7, h * 0.7, h * 3001, 0.7 // h, 0.7 - h, h + 0.7, h - 0.7, h % 0.7, h.abs() ** 0.5)


def test_float16_with_a_python_scalar_as_torch():
    rng = np.random.default_rng(3)
    h = torch.tensor(np.r_[rng.normal(size=200) * 3, [-0.7, 0.7, 1.4, -1.4, 2.6, 0.35]], dtype=torch.float16)
    _same_as_torch(_HalfScalar(), h, torch.tensor(0.7))


class _ClampWide(torch.nn.Module):
    def forward(self, x):
        return torch.clamp(x, -(2 ** 62) - 1, 2 ** 62 + 1), torch.clamp(x, max=2 ** 62 + 1), x.clamp_min(2 ** 53 + 1)


def test_clamp_of_int64_by_bounds_past_two_to_the_53_as_torch():
    """The bounds went to the engine's clip op as floats: 2^62 + 1 clipped to 2^62."""
    _same_as_torch(_ClampWide(), torch.tensor([2 ** 63 - 1, -2 ** 63, 2 ** 62 + 7, 5, 2 ** 53]))


class _FullOfNumbers(torch.nn.Module):
    def forward(self, x):
        return torch.full((3,), 2 ** 62 + 1) + x, torch.full((3,), True) & (x > 7), torch.full((3,), 0.5) * x


def test_full_takes_its_dtype_from_the_fill_value_as_torch():
    """torch.full without a dtype: int64 for an int, bool for a bool, float32 for a float (it was float32 always:
    an int fill was refused as a mismatch)."""
    _same_as_torch(_FullOfNumbers(), torch.tensor([2 ** 62, 7, 2 ** 53 + 1]))
