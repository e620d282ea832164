"""`mindspore.nn.probability.bijector`: Bijector and ScalarAffine (_bijectors); the other bijectors are not
implemented (see the package)."""
from ._bijectors import Bijector, ScalarAffine
from ._refused import module_getattr

__all__ = ["Bijector", "ScalarAffine"]
__getattr__ = module_getattr("mindspore.nn.probability.bijector")
