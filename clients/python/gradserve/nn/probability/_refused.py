"""Placeholders for the names of mindspore.nn.probability's modules (see the package's docstring)."""
from __future__ import annotations

from typing import Any, Callable, NoReturn

from ...ops.operations._missing import Unimplemented, module_getattr as _module_getattr


class NotInGradserve(Unimplemented):
    def _refuse(self) -> NoReturn:
        raise NotImplementedError(f"{self._qualname} is not implemented by gradserve (MindSpore's probability "
                                  "package: distributions other than Bernoulli / Cauchy / Exponential / Gamma / Normal / LogNormal / StudentT / Laplace / HalfNormal, bijectors other than ScalarAffine / GumbelCDF / PowerTransform / Exp / Invert and "
                                  "Bayesian layers are not supported)")


def module_getattr(where: str) -> Callable[[str], Any]:
    return _module_getattr(where, placeholder=NotInGradserve)
