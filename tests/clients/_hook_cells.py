"""Small cells the hook tests share: sum(Power(n)(x)^2), whose inner cell takes the backward hooks."""
from gradserve import nn


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
