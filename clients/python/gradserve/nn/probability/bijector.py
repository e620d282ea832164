"""`mindspore.nn.probability.bijector`: Bijector, ScalarAffine and GumbelCDF (_bijectors), PowerTransform and Exp
(_bijectors_power), Invert (_invert); the other bijectors (Softplus) are not implemented (see the package)."""
from ._bijectors import Bijector, GumbelCDF, ScalarAffine
from ._bijectors_power import Exp, PowerTransform
from ._invert import Invert
from ._refused import module_getattr

__all__ = ["Bijector", "Exp", "GumbelCDF", "Invert", "PowerTransform", "ScalarAffine"]
__getattr__ = module_getattr("mindspore.nn.probability.bijector")
