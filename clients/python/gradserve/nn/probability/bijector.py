"""`mindspore.nn.probability.bijector`: not implemented; see the package."""
from ._refused import module_getattr

__getattr__ = module_getattr("mindspore.nn.probability.bijector")
