"""`mindspore.nn.probability.distribution`: Bernoulli (its closed forms: _bernoulli), Categorical (made and checked only: _categorical), Cauchy (_cauchy), Exponential (_exponential), Gamma (_gamma), LogNormal (_log_normal), Normal (_normal), StudentT (_student_t), Laplace
and HalfNormal (_distributions.py), their base Distribution; the other distributions (Uniform, ...) are not
implemented (see the package)."""
from ._bernoulli import Bernoulli
from ._categorical import Categorical
from ._cauchy import Cauchy
from ._distributions import Distribution, HalfNormal, Laplace
from ._exponential import Exponential
from ._gamma import Gamma
from ._log_normal import LogNormal
from ._normal import Normal
from ._student_t import StudentT
from ._refused import module_getattr

__all__ = ["Distribution", "Bernoulli", "Categorical", "Cauchy", "Exponential", "Gamma", "LogNormal", "Laplace", "HalfNormal", "Normal", "StudentT"]
__getattr__ = module_getattr("mindspore.nn.probability.distribution")
