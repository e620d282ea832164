"""`mindspore.nn.probability.bijector`'s PowerTransform (y = (1 + c x)^(1/c), exp(x) at c = 0) and Exp (its c = 0),
MindSpore 2.10's formulas, checks and texts (checked in its venv): a negative power is its ValueError; a power of 0
takes the exp / log branch element by element (a Tensor of powers may mix them)."""
from __future__ import annotations

import numpy as np

from ... import ops as _ops
from ._bijectors import Bijector


class PowerTransform(Bijector):
    """y = exp(log1p(c x) / c) for c != 0, exp(x) for c = 0; log|dy/dx| = (1/c - 1) log1p(c x) (x at c = 0);
    the inverse's (c - 1) log y."""

    def __init__(self, power=0.0, name="PowerTransform"):
        super().__init__(name=name, param={"power": power, "name": name, "param_dict": {"power": power}})
        self._power = self._add_parameter(power, "power")
        if np.any(np.asarray(self._power.asnumpy()) < 0):
            raise ValueError("Power must be greater than or equal to zero.")

    @property
    def power(self):
        return self._power

    def __repr__(self) -> str:
        return self._described({"power": self._power})

    __str__ = __repr__

    def _broadcast(self, v):
        """(the power and v broadcast to one shape, whether the power is 0 there, a power safe to divide by)."""
        c = self._like(self._power, v)
        ones = _ops.ones_like(v + c)
        c, v = c * ones, v * ones
        zero = c == 0
        return c, v, zero, _ops.select(zero, ones, c)

    def _forward(self, x):
        c, x, zero, safe = self._broadcast(x)
        return _ops.select(zero, _ops.exp(x), _ops.exp(_ops.log1p(x * safe) / safe))

    def _inverse(self, y):
        c, y, zero, safe = self._broadcast(y)
        return _ops.select(zero, _ops.log(y), _ops.expm1(_ops.log(y) * safe) / safe)

    def _forward_log_jacobian(self, x):
        c, x, zero, _ = self._broadcast(x)
        return _ops.select(zero, x, (1.0 / c - 1) * _ops.log1p(x * c))

    def _inverse_log_jacobian(self, y):
        return (self._like(self._power, y) - 1) * _ops.log(y)


class Exp(PowerTransform):
    """y = exp(x): PowerTransform with power 0."""

    def __init__(self, name="Exp"):
        super().__init__(name=name)

    def __repr__(self) -> str:
        return "Exp(exp)"

    __str__ = __repr__
