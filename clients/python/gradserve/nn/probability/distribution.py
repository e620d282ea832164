"""`mindspore.nn.probability.distribution`: Bernoulli (its closed forms: _bernoulli), Laplace and HalfNormal
(_distributions.py); the other distributions (Normal, ...) are not implemented (see the package)."""
from ._bernoulli import Bernoulli
from ._distributions import HalfNormal, Laplace
from ._refused import module_getattr

__all__ = ["Bernoulli", "Laplace", "HalfNormal"]
__getattr__ = module_getattr("mindspore.nn.probability.distribution")
