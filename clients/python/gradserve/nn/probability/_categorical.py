"""nn.probability.distribution.Categorical: made with MindSpore 2.10's checks and texts (name, seed, dtype, then the
probabilities: rank >= 1, each in (0, 1), each row summing to one in float32). Its methods (prob, log_prob, cdf,
mean, entropy, sample, ...) are not implemented by gradserve: each call is refused naming itself."""
from __future__ import annotations

import numpy as np

from ... import dtype as _dt
from ..._tensor import Tensor
from ._distributions import Distribution, checked_name_seed

# MindSpore 2.10's list in its dtype error (every int and float type it has)
_DTYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
           "bfloat16", "float8_e4m3fn", "float8_e5m2", "hifloat8")


def _dtype_name(dtype) -> str:
    """"mindspore.<name>" of a dtype, or the value's repr (MindSpore 2.10 quotes a str dtype twice: "''int32''")."""
    try:
        return f"mindspore.{_dt.to_name(dtype)}" if not isinstance(dtype, str) else repr(dtype)
    except TypeError:
        return repr(dtype)


def _checked_probs(probs) -> Tensor:
    """probs as a float32 Tensor, checked as MindSpore 2.10 checks them when the distribution is made: each row's
    sum in the given values' own precision (a list's float64, a Tensor's dtype) within 11 eps of it of one
    (probed: float64 lists refuse a sum off by 1e-10, float32 Tensors take one off by 6e-7)."""
    if isinstance(probs, tuple):
        raise TypeError("Unable to convert input of type <class 'tuple'> to a Tensor of type Float32")
    p = np.asarray(probs._host_copy() if isinstance(probs, Tensor) else probs)
    p = p if p.dtype.kind == "f" else p.astype(np.float64)
    if p.ndim < 1:
        raise ValueError("probs for Categorical distribution must have rank >= 1.")
    if np.any(~(p > 0)):
        raise ValueError("Probabilities must be greater than zero")
    if np.any(p >= 1):
        raise ValueError("Probabilities must be less than one")
    if p.size == 0 or np.any(np.abs(p.sum(axis=-1) - 1) > 11 * np.finfo(p.dtype).eps):
        raise ValueError("Probabilities for each category should sum to one for Categorical distribution.")
    return Tensor(p.astype(np.float32))


class Categorical(Distribution):
    """Categorical(probs=None, seed=None, dtype=mstype.int32, name='Categorical'): P(k) = probs[..., k]."""

    def __init__(self, probs=None, seed=None, dtype=_dt.int32, name="Categorical"):
        super().__init__()
        seed = checked_name_seed("Categorical", name, seed)
        if not isinstance(dtype, _dt.Type) or _dt.to_name(dtype) not in _DTYPES:
            raise TypeError(f"For 'Categorical', the 'dtype' should be one of "
                            f"[{', '.join('mindspore.' + d for d in _DTYPES)}], but got '{_dtype_name(dtype)}'.")
        self._probs = None if probs is None else _checked_probs(probs)
        self.seed, self.dtype, self.name = seed, dtype, name

    @property
    def probs(self):
        return self._probs

    def __repr__(self) -> str:
        return f"Categorical(probs = {self._probs._host_copy()})" if self._probs is not None else "Categorical<>"


def _refused(method: str):
    def refuse(self, *args, **kwargs):
        raise NotImplementedError(f"Categorical.{method} is not implemented by gradserve (of Categorical only its "
                                  "construction and its probs are)")
    refuse.__name__ = method
    return refuse


for _method in ("prob", "log_prob", "cdf", "log_cdf", "survival_function", "log_survival", "sd", "var", "mode", "mean",
                "entropy", "kl_loss", "cross_entropy", "sample"):
    setattr(Categorical, _method, _refused(_method))
