"""`mindspore.nn.probability.distribution`: Bernoulli (its closed forms: _bernoulli); the other distributions
(Normal, ...) are not implemented (see the package)."""
from ._bernoulli import Bernoulli
from ._refused import module_getattr

__all__ = ["Bernoulli"]

__getattr__ = module_getattr("mindspore.nn.probability.distribution")
