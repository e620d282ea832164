"""`mindspore.nn.probability.bijector`: Bijector, ScalarAffine and GumbelCDF (_bijectors); the other bijectors
are not implemented (see the package)."""
from ._bijectors import Bijector, GumbelCDF, ScalarAffine
from ._refused import module_getattr

__all__ = ["Bijector", "GumbelCDF", "ScalarAffine"]
__getattr__ = module_getattr("mindspore.nn.probability.bijector")
