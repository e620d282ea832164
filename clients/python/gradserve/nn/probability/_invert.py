"""`mindspore.nn.probability.bijector.Invert`: a bijector run backwards (forward is its inverse, the log-Jacobians
swap), with MindSpore 2.10's checks and texts (checked in its venv)."""
from __future__ import annotations

from ._bijectors import Bijector
from ._distributions import checked_name_seed


class Invert(Bijector):
    def __init__(self, bijector, name=""):
        if not isinstance(bijector, Bijector):
            raise TypeError(f"For 'Invert', the type of 'bijector' should be 'Bijector', but got type "
                            f"'{type(bijector).__name__}'.")
        checked_name_seed("Invert", name, 0)
        name = name or "Invert" + bijector.name  # (MindSpore's: an empty name too)
        super().__init__(is_constant_jacobian=bijector.is_constant_jacobian, is_injective=bijector.is_injective,
                         name=name, dtype=bijector.dtype, param={"bijector": bijector, "name": name})
        self._bijector = bijector

    @property
    def bijector(self) -> Bijector:
        return self._bijector

    def forward(self, value):
        return self._bijector.inverse(value)

    def inverse(self, value):
        return self._bijector.forward(value)

    def forward_log_jacobian(self, value):
        return self._bijector.inverse_log_jacobian(value)

    def inverse_log_jacobian(self, value):
        return self._bijector.forward_log_jacobian(value)
