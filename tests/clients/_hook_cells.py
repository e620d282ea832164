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
