"""`mindspore.nn.probability.bijector`: Bijector, ScalarAffine and GumbelCDF (_bijectors), PowerTransform and Exp
(_bijectors_power); the other bijectors (Softplus, Invert) are not implemented (see the package)."""
from ._bijectors import Bijector, GumbelCDF, ScalarAffine
from ._bijectors_power import Exp, PowerTransform
from ._refused import module_getattr

__all__ = ["Bijector", "Exp", "GumbelCDF", "PowerTransform", "ScalarAffine"]
__getattr__ = module_getattr("mindspore.nn.probability.bijector")
