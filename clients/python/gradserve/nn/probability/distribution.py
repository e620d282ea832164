"""`mindspore.nn.probability.distribution` (Bernoulli, Normal, ...): not implemented; see the package."""
from ._refused import module_getattr

__getattr__ = module_getattr("mindspore.nn.probability.distribution")
