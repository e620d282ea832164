"""`mindspore.nn.probability`: gradserve implements distribution.Bernoulli only of MindSpore's probability package (distributions,
bijectors, Bayesian layers). The modules exist so that a program importing them at the top still runs what
does not use them; each name raises NotImplementedError naming itself when constructed or called."""
from . import bijector, distribution  # noqa: F401
