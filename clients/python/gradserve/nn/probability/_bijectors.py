"""`mindspore.nn.probability.bijector`'s base Bijector, ScalarAffine (y = scale * x + shift) and GumbelCDF, with
MindSpore 2.10's checks and texts (checked in its venv): a bijector's parameters are float Tensors of one dtype (a
Python float or list is float32), cast to the value's dtype when used; a value must be a float Tensor. The other
bijectors: PowerTransform and Exp in _bijectors_power, Invert in _invert; Softplus is not implemented (see the
package)."""
from __future__ import annotations

import numpy as np

from ..._cellbase import Cell
from ..._tensor import Tensor
from ... import ops as _ops
from ._distributions import checked_name_seed

_FLOATS = "[mindspore.float16, mindspore.float32, mindspore.float64, mindspore.bfloat16, mindspore.float8_e4m3fn, " \
          "mindspore.float8_e5m2, mindspore.hifloat8]"


class Bijector(Cell):
    """The base of the bijectors: forward / inverse / forward_log_jacobian / inverse_log_jacobian of a float Tensor,
    each its subclass's _forward ...; a call's first argument names the method (MindSpore's)."""

    def __init__(self, is_constant_jacobian=False, is_injective=True, name=None, dtype=None, param=None):
        super().__init__()
        name = type(self).__name__ if name is None else name
        checked_name_seed(type(self).__name__, name, 0)
        self.name, self.dtype, self.parameters = name, dtype, dict(param or {})
        self.is_constant_jacobian, self.is_injective = bool(is_constant_jacobian), bool(is_injective)
        self._param_dtype: str | None = None

    def construct(self, name: str, *args, **kwargs):
        if name not in ("forward", "inverse", "forward_log_jacobian", "inverse_log_jacobian"):
            raise Exception("Invalid name")  # (MindSpore 2.10's own class and text)  # noqa: TRY002
        return getattr(self, name)(*args, **kwargs)

    def _add_parameter(self, value, name: str) -> Tensor:
        """value as a float Tensor (Python floats and lists as float32), all of a bijector's of one dtype."""
        if value is None:
            raise TypeError(f"{name} cannot be type {type(value)}")
        if isinstance(value, str):
            raise TypeError(f"Unable to convert input of type {type(value)} to a Tensor of type Float32")
        if isinstance(value, (bool, np.bool_)):
            raise TypeError("Input cannot be Type Bool")
        if isinstance(value, Tensor):
            t = value
        elif isinstance(value, (np.ndarray, np.generic)):
            t = Tensor(np.asarray(value))
        else:
            arr = np.asarray(value)
            t = Tensor(arr.astype(np.float32) if arr.dtype.kind == "f" else arr)
        if not t._dtype.startswith(("float", "bfloat")):
            raise TypeError(f"For '{type(self).__name__}', the 'dtype of {name}' should be one of {_FLOATS}, but got "
                            f"'mindspore.{t._dtype}'.")
        if self.dtype is not None and t.dtype != self.dtype:
            raise TypeError(f"{name} should have the same dtype as the bijector's dtype.")
        if self._param_dtype is not None and t._dtype != self._param_dtype:
            raise TypeError(f"{name} should have the same dtype as other arguments.")
        self._param_dtype = t._dtype
        return t

    @staticmethod
    def _checked(value) -> Tensor:
        if value is None:  # MindSpore 2.10's text: its dtype read comes first for None
            raise TypeError("For Primitive[Dtype], the input argument[input_x] must be a Tensor, CSRTensor or "
                            "COOTensor, but got <class 'NoneType'>.")
        if not isinstance(value, Tensor):
            raise TypeError("For input value of bijector, input type must be a Tensor or Parameter.")
        if not value._dtype.startswith(("float", "bfloat")):
            raise TypeError(f"For input value of bijector , the type must be or be subclass of Float, but got "
                            f"{value.dtype}")
        return value

    def _check_value_dtype(self, value) -> Tensor:
        """A float Tensor, or one of the bijector's dtype where it has one (MindSpore 2.10's checks and texts)."""
        if self.dtype is None or value is None or not isinstance(value, Tensor):
            return self._checked(value)
        if value.dtype != self.dtype:
            raise TypeError(f"For 'SameTypeShape', the x dtype should be = y dtype: {self.dtype}, but got "
                            f"{value.dtype}.")
        return value

    def cast_param_by_value(self, value, para) -> Tensor:
        return self._like(para, value)

    def forward(self, value):
        return self._forward(self._check_value_dtype(value))

    def inverse(self, value):
        return self._inverse(self._check_value_dtype(value))

    def forward_log_jacobian(self, value):
        return self._forward_log_jacobian(self._check_value_dtype(value))

    def inverse_log_jacobian(self, value):
        return self._inverse_log_jacobian(self._check_value_dtype(value))

    def _described(self, params: dict) -> str:
        """MindSpore's repr: the parameters' values where all are scalars, else their broadcast batch shape."""
        if not any(p.shape for p in params.values()):
            return f"{type(self).__name__}(" + ", ".join(f"{k} = {v}" for k, v in params.items()) + ")"
        return f"{type(self).__name__}(batch_shape = {tuple(np.broadcast_shapes(*(p.shape for p in params.values())))})"

    @staticmethod
    def _like(p: Tensor, x: Tensor) -> Tensor:
        """A parameter in the value's dtype (MindSpore's cast_param_by_value)."""
        return p if p._dtype == x._dtype else p.astype(x._dtype)

    def _forward(self, x):
        raise NotImplementedError(f"forward is not implemented for {type(self).__name__}")

    _inverse = _forward_log_jacobian = _inverse_log_jacobian = _forward


class ScalarAffine(Bijector):
    """y = scale * x + shift; its log Jacobians log|scale| and -log|scale| (shape of scale, not of x)."""

    def __init__(self, scale=1.0, shift=0.0, name="ScalarAffine"):
        super().__init__(is_constant_jacobian=True, is_injective=True, name=name, dtype=None,
                         param={"scale": scale, "shift": shift, "name": name,
                                "param_dict": {"scale": scale, "shift": shift}})
        self._scale = self._add_parameter(scale, "scale")
        self._shift = self._add_parameter(shift, "shift")

    @property
    def scale(self) -> Tensor:
        return self._scale

    @property
    def shift(self) -> Tensor:
        return self._shift

    def __repr__(self) -> str:
        return self._described({"scale": self._scale, "shift": self._shift})

    __str__ = __repr__

    def _forward(self, x):
        return self._like(self._scale, x) * x + self._like(self._shift, x) * _ops.ones_like(x)

    def _inverse(self, y):
        return (y - self._like(self._shift, y)) / self._like(self._scale, y)

    def _forward_log_jacobian(self, x):
        return _ops.log(_ops.abs(self._like(self._scale, x)))

    def _inverse_log_jacobian(self, y):
        return -self._forward_log_jacobian(y)


class GumbelCDF(Bijector):
    """y = exp(-exp(-(x - loc) / scale)), the Gumbel distribution's CDF; scale must be > 0 (MindSpore's ValueError)."""

    def __init__(self, loc=0.0, scale=1.0, name="GumbelCDF"):
        super().__init__(name=name, param={"loc": loc, "scale": scale, "name": name,
                                           "param_dict": {"loc": loc, "scale": scale}})
        self._loc = self._add_parameter(loc, "loc")
        self._scale = self._add_parameter(scale, "scale")
        if not np.all(np.asarray(self._scale.asnumpy()) > 0):
            raise ValueError("scale must be greater than zero.")

    @property
    def loc(self) -> Tensor:
        return self._loc

    @property
    def scale(self) -> Tensor:
        return self._scale

    def __repr__(self) -> str:
        return self._described({"loc": self._loc, "scale": self._scale})

    __str__ = __repr__

    def _z(self, x):
        return (x - self._like(self._loc, x)) / self._like(self._scale, x)

    def _forward(self, x):
        return _ops.exp(-_ops.exp(-self._z(x)))

    def _inverse(self, y):
        return self._like(self._loc, y) - self._like(self._scale, y) * _ops.log(-_ops.log(y))

    def _forward_log_jacobian(self, x):
        z = self._z(x)
        return -z - _ops.exp(-z) - _ops.log(self._like(self._scale, x))

    def _inverse_log_jacobian(self, y):
        return _ops.log(self._like(self._scale, y) / (-y * _ops.log(y)))
