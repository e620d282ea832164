"""Small cells the hook tests share: sum(Power(n)(x)^2), whose inner cell takes the backward hooks; N(x, y) at X, Y."""
import numpy as np

from gradserve import Parameter, Tensor, nn

X = Tensor(np.array([1.0], np.float32))
Y = Tensor(np.array([5.0], np.float32))


class M(nn.Cell):
    def construct(self, a, b):
        return a * b * 3


class N(nn.Cell):
    """N(x, y) = M(x * w, y) + 1, w = 2: d/dx = 3yw = 30, d/dy = 3xw = 6; M's input gradients (15, 6)."""

    def __init__(self, inner=None):
        super().__init__()
        self.m = inner if inner is not None else M()
        self.w = Parameter(Tensor(np.array([2.0], np.float32)), name="w")

    def construct(self, x, y):
        return self.m(x * self.w, y) + 1


class Power(nn.Cell):
    """a^n as n - 1 products (the form the MindSpore runs the expected values come from used)."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n

    def construct(self, a):
        out = a
        for _ in range(self.n - 1):
            out = out * a
        return out


class SquareSum(nn.Cell):
    """sum(inner(x)^2) with inner = Power(n): a hook on inner sees grad_output 2 inner(x)."""

    def __init__(self, n: int):
        super().__init__()
        self.inner = Power(n)

    def construct(self, x):
        y = self.inner(x)
        return (y * y).sum()


class Squared(nn.Cell):
    def construct(self, a):
        return a * a


class DoubledSquare(nn.Cell):
    """2 i(a), i = Squared: a hooked cell with a hookable cell inside."""

    def __init__(self):
        super().__init__()
        self.i = Squared()

    def construct(self, a):
        return self.i(a) * 2


class NestedSquares(nn.Cell):
    """sum(m(scale x)^2) (+ sum(x^3) with cubed), m = DoubledSquare: m(a) = 2a^2, its inner cell m.i."""

    def __init__(self, scale: float = 1.0, cubed: bool = False):
        super().__init__()
        self.m, self.scale, self.cubed = DoubledSquare(), scale, cubed

    def construct(self, x):
        out = (self.m(x * self.scale if self.scale != 1.0 else x) ** 2).sum()
        return out + (x ** 3).sum() if self.cubed else out
