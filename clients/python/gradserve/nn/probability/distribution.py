"""`mindspore.nn.probability.distribution`: Laplace and HalfNormal (_distributions.py); the other names
(Bernoulli, Normal, ...) are not implemented (see the package)."""
from ._distributions import HalfNormal, Laplace
from ._refused import module_getattr

__all__ = ["Laplace", "HalfNormal"]
__getattr__ = module_getattr("mindspore.nn.probability.distribution")
