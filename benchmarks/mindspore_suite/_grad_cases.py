"""The cases grad_diff.py runs: one function of MindSpore's public API (ops, mint, Tensor methods,
nn.functional-style ops) on one argument set. Written against `import mindspore`: under the rename-only shim
the same code runs on gradserve. Inputs come from np.random.RandomState (its streams are the same in every
NumPy version), so both sides see the same numbers without shipping them."""
from __future__ import annotations

import dataclasses
import zlib
from typing import Callable

import numpy as np

import mindspore as ms
from mindspore import mint, ops

F32, F64, F16 = np.float32, np.float64, np.float16


@dataclasses.dataclass
class Case:
    name: str                     # "api[arg set]"
    fn: Callable                  # takes Tensors (made from the ndarray args) and the other args as they are
    args: tuple
    modes: tuple = ("pynative",)  # also "graph" (ms.jit of the gradient) and "second" (gradient of a gradient)

    def grad_positions(self) -> tuple:
        return tuple(i for i, a in enumerate(self.args)
                     if isinstance(a, np.ndarray) and a.dtype.kind == "f")


_rng = np.random.RandomState(20261204)


def reseed(group: str) -> None:
    """Each group of cases draws from its own stream (by its name), so adding a group or a case to one
    group leaves every other group's inputs as they were (a saved MindSpore side stays comparable)."""
    global _rng
    _rng = np.random.RandomState(zlib.crc32(group.encode()))


def randn(*shape, dtype=F32) -> np.ndarray:
    return _rng.standard_normal(shape).astype(dtype)


def arr(values, dtype=F32) -> np.ndarray:
    return np.array(values, dtype=dtype)


KINKS = arr([-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 6.0])
POSITIVE = arr([0.0, 1e-3, 0.5, 1.0, 2.5])
UNIT = arr([-1.0, -0.5, 0.0, 0.5, 1.0])
ABOVE_ONE = arr([1.0, 1.5, 3.0])
INNER_UNIT = arr([-0.9, -0.3, 0.2, 0.7])

# unary elementwise: name -> the argument sets besides random normal (None: random normal only)
UNARY = {
    "abs": [KINKS], "relu": [KINKS], "relu6": [KINKS], "elu": [KINKS], "selu": [KINKS], "celu": [KINKS],
    "gelu": [KINKS], "silu": [KINKS], "sigmoid": None, "softsign": [KINKS], "softplus": None, "mish": None,
    "hardswish": [KINKS], "hardsigmoid": [KINKS], "hardtanh": [KINKS], "leaky_relu": [KINKS],
    "logsigmoid": None, "hardshrink": [KINKS], "softshrink": [KINKS], "tanhshrink": None, "sign": [KINKS],
    "floor": None, "ceil": None, "round": None, "trunc": None, "frac": [KINKS], "neg": None, "square": None,
    "exp": None, "exp2": None, "expm1": None, "sin": None, "cos": None, "tan": None, "tanh": None,
    "sinh": None, "cosh": None, "atan": None, "asinh": None, "erf": None, "erfc": None, "sinc": [KINKS],
    "sqrt": [POSITIVE], "rsqrt": [POSITIVE], "log": [POSITIVE], "log2": [POSITIVE], "log10": [POSITIVE],
    "log1p": [POSITIVE], "reciprocal": None, "lgamma": [POSITIVE], "digamma": [POSITIVE],
    "asin": [UNIT, INNER_UNIT], "acos": [UNIT, INNER_UNIT], "atanh": [INNER_UNIT], "erfinv": [INNER_UNIT],
    "acosh": [ABOVE_ONE], "logit": [INNER_UNIT * 0.5 + 0.5], "i0": None, "deg2rad": None, "rad2deg": None,
    "positive": None, "angle": None, "relu_": None,
}
# which of them need x > 0 / |x| < 1 for the random-normal set
_POSITIVE_ONLY = {"sqrt", "rsqrt", "log", "log2", "log10", "log1p", "lgamma", "digamma", "acosh"}
_UNIT_ONLY = {"asin", "acos", "atanh", "erfinv", "logit"}


def call(holder, name: str):
    """holder.name as a plain def (MindSpore's graph mode parses a function's source: an inline lambda fails);
    a name the holder lacks raises when called, so the case counts as that side's error."""
    op = getattr(holder, name, None)
    if op is None:
        return lambda *args: getattr(holder, name)(*args)

    def apply(*args):
        return op(*args)
    return apply


def _normal_for(name: str, dtype=F32, shape=(2, 3)) -> np.ndarray:
    x = randn(*shape, dtype=F64)
    if name in _POSITIVE_ONLY:
        x = np.abs(x) + (1.1 if name == "acosh" else 0.1)
    elif name in _UNIT_ONLY:
        x = np.tanh(x) * 0.9 if name != "logit" else 0.5 + 0.45 * np.tanh(x)
    return x.astype(dtype)


def _unary_cases() -> list[Case]:
    reseed("_unary_cases")
    cases = []
    for name, extra in UNARY.items():
        sets = [("normal", _normal_for(name)), ("f64", _normal_for(name, F64)), ("f16", _normal_for(name, F16))]
        sets += [(f"special{i}", x) for i, x in enumerate(extra or [])]
        for label, x in sets:
            modes = ("pynative", "second") if label.startswith("special") or label == "normal" else ("pynative",)
            cases.append(Case(f"ops.{name}[{label}]", call(ops, name), (x,),
                              modes + (("graph",) if label == "normal" else ())))
        x = sets[-1][1] if extra else sets[0][1]
        cases.append(Case(f"Tensor.{name}[{'special' if extra else 'normal'}]",
                          lambda x, n=name: getattr(x, n)(), (x,)))
        cases.append(Case(f"mint.{name}[{'special' if extra else 'normal'}]",
                          lambda x, n=name: _mint(n)(x), (x,)))
    return cases


def _mint(name: str):
    for holder in (mint, mint.nn.functional):
        if hasattr(holder, name):
            return getattr(holder, name)
    raise AttributeError(f"mindspore.mint has no {name}")


BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "pow", "atan2", "fmod", "remainder", "hypot", "xlogy",
          "xdivy", "logaddexp", "logaddexp2", "squared_difference", "fmax", "fmin", "copysign", "floor_divide",
          "true_divide", "float_power", "ldexp"]


def _binary_cases() -> list[Case]:
    reseed("_binary_cases")
    tie_x = arr([[1.0, 2.0, -1.0], [0.0, 3.0, 0.0]])
    tie_y = arr([[1.0, 1.0, -1.0], [0.0, 4.0, 2.0]])
    pos_x = np.abs(randn(2, 3)) + 0.2
    sets = [
        ("normal", lambda: (randn(2, 3), randn(2, 3))),
        ("broadcast", lambda: (randn(2, 3), randn(3))),
        ("broadcast_col", lambda: (randn(2, 1), randn(1, 3))),
        ("ties_zeros", lambda: (tie_x, tie_y)),
        ("f64", lambda: (randn(2, 3, dtype=F64), randn(2, 3, dtype=F64))),
        ("positive_base", lambda: (pos_x, randn(2, 3))),
    ]
    cases = []
    for name in BINARY:
        for label, make in sets:
            a, b = make()
            cases.append(Case(f"ops.{name}[{label}]", call(ops, name), (a, b),
                              ("pynative", "graph", "second") if label == "ties_zeros" else ("pynative",)))
        a = randn(2, 3)
        cases.append(Case(f"ops.{name}[python_scalar_rhs]", lambda a, n=name: getattr(ops, n)(a, 2.0), (a,)))
        cases.append(Case(f"ops.{name}[python_scalar_lhs]", lambda a, n=name: getattr(ops, n)(2.0, a), (a,)))
        cases.append(Case(f"ops.{name}[int_tensor_rhs]", lambda a, b, n=name: getattr(ops, n)(a, b),
                          (a, arr([[1, 2, 3], [0, -1, 2]], np.int32))))
        cases.append(Case(f"ops.{name}[bool_tensor_rhs]", lambda a, b, n=name: getattr(ops, n)(a, b),
                          (a, arr([[True, False, True], [False, True, True]], np.bool_))))
        cases.append(Case(f"mint.{name}[ties_zeros]", lambda a, b, n=name: _mint(n)(a, b), (tie_x, tie_y)))
        cases.append(Case(f"Tensor.{name}[ties_zeros]", lambda a, b, n=name: getattr(a, n)(b), (tie_x, tie_y)))
    special = [("pow_zero_base", "pow", arr([0.0, 0.0, -2.0, 2.0]), arr([2.0, 0.5, 2.0, 0.0])),
               ("pow_zero_exp", "pow", arr([0.0, 1.0, -1.0]), arr([0.0, 0.0, 0.0])),
               ("xlogy_zero", "xlogy", arr([0.0, 0.0, 1.0]), arr([0.0, 1.0, 2.0])),
               ("atan2_origin", "atan2", arr([0.0, 0.0, 1.0]), arr([0.0, -1.0, 0.0])),
               ("hypot_origin", "hypot", arr([0.0, 3.0]), arr([0.0, 4.0])),
               ("div_by_zero", "div", arr([1.0, 0.0, -1.0]), arr([0.0, 0.0, 0.0]))]
    for label, name, a, b in special:
        cases.append(Case(f"ops.{name}[{label}]", lambda a, b, n=name: getattr(ops, n)(a, b), (a, b)))
    cases.append(Case("Tensor.__pow__[int_exp_negative_base]", lambda a: a ** 2, (arr([-2.0, 0.0, 3.0]),)))
    cases.append(Case("Tensor.__rpow__[zero_base]", lambda a: 0.0 ** a, (arr([0.0, 1.0, 2.0]),)))
    return cases


def cases() -> list[Case]:
    return _unary_cases() + _binary_cases()
