"""`mindspore.nn.probability`: of MindSpore's probability package (distributions, bijectors, Bayesian layers)
gradserve implements distribution.Bernoulli, Categorical (made and checked; its methods refused), Cauchy, Exponential, Gamma, Normal, LogNormal, and Laplace / HalfNormal (their log_prob / prob, MindSpore's only methods
for them), bijector.Bijector, ScalarAffine, GumbelCDF, PowerTransform, Exp and Invert. The modules exist so that a program importing them at the top still runs what does not use them; each
other name raises NotImplementedError naming itself when constructed or called."""
from . import bijector, distribution  # noqa: F401
