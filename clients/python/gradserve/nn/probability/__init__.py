"""`mindspore.nn.probability`: gradserve does not implement MindSpore's probability package (distributions,
bijectors, Bayesian layers), but for the distributions Laplace and HalfNormal (their log_prob / prob). The modules exist so that a program importing them at the top still runs what
does not use them; each name raises NotImplementedError naming itself when constructed or called."""
from . import bijector, distribution  # noqa: F401
