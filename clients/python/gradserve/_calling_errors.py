"""MindSpore 2.10's TypeError for a primitive called with an input it cannot take, in its words (checked in its
venv: `ops.acos("s")`, `ops.diagonal(1.0)`, `ops.sin([1, "a"])`):

    Failed calling ACos with "ACos()(input=string)".
    The valid calling should be: 
    "ACos()(input=<Tensor>)".

The primitive's class name is the op's name in CamelCase, or MindSpore's own spelling (PRIMITIVE_NAMES)."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import dtype as _dt
from ._tensor import Tensor

# op -> MindSpore's primitive class where it is not the op's CamelCase (from its errors for `ops.<op>("s")`)
PRIMITIVE_NAMES = {"acos": "ACos", "relu": "ReLU", "det": "MatrixDeterminant", "slogdet": "LogMatrixDeterminant",
                   "fft": "FFT", "rfft": "RFFT", "irfft": "IRFFT"}

# the catalogue's attribute kinds as MindSpore's "valid calling" line writes them
_KIND_TYPES = {"bool": "bool", "int": "int", "float": "float", "str": "str", "ints": "Tuple, List", "shape": "Tuple",
               "dtype": "mindspore.dtype", "any": "any"}


def camel(name: str) -> str:
    """An op's name as a primitive class name: log_softmax -> LogSoftmax."""
    return "".join(p.capitalize() for p in name.split("_"))


def primitive_name(op: str) -> str:
    return PRIMITIVE_NAMES.get(op) or camel(op)


def primitive_type(v: Any, method_form: bool = False) -> str:
    """A value's type as MindSpore's primitive-call errors write it: Tensor, string, List<int, float>, ...; its
    Tensor-method overload errors (method_form) write list<int, float> and a bare class name for other objects."""
    if isinstance(v, Tensor):
        return "Tensor"
    if v is None:
        return "None"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (list, tuple)):
        kind = type(v).__name__
        return f"{kind if method_form else kind.capitalize()}<{', '.join(primitive_type(e, method_form) for e in v)}>"
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (int, np.integer)):
        return "int"
    if isinstance(v, (float, np.floating)):
        return "float"
    return type(v).__name__ if method_form else str(type(v))


def input_names(n: int) -> list[str]:
    """MindSpore's names of a primitive's tensor inputs where ours have none: input, other, then input2, ..."""
    return ["input", "other", *(f"input{i}" for i in range(2, n))][:n]


def failed_calling(prim: str, attrs: dict, inputs: dict, valid: dict, attr_types: dict | None = None) -> TypeError:
    """The TypeError for `prim(**attrs)(**inputs)`; `valid` gives each input's accepted types ("Tensor",
    "Number, Tensor"), `attr_types` each attribute's (default: the type of the value given)."""
    def call(args: dict, types) -> str:
        return ", ".join(f"{k}={types(k, v)}" for k, v in args.items())

    given = f'{prim}({call(attrs, lambda k, v: primitive_type(v))})({call(inputs, lambda k, v: primitive_type(v))})'
    kinds = attr_types or {k: primitive_type(v) for k, v in attrs.items()}
    accepted = f'{prim}({call(attrs, lambda k, v: f"<{kinds[k]}>")})({call(inputs, lambda k, v: f"<{valid[k]}>")})'
    return TypeError(f'Failed calling {prim} with "{given}".\nThe valid calling should be: \n"{accepted}".')


def op_failed_calling(op: str, attrs: dict, attr_kinds: dict, inputs: list, valid: str = "Tensor") -> TypeError:
    """failed_calling for a catalogue op (its attribute kinds from the catalogue, its inputs named input_names)."""
    named = dict(zip(input_names(len(inputs)), inputs))
    types = {k: _KIND_TYPES.get(attr_kinds.get(k, "any"), "any") for k in attrs}
    return failed_calling(primitive_name(op), attrs, named, dict.fromkeys(named, valid), types)


def input_dtype_error(prim: str, arg: str, allowed, got: str, tensor_form: bool = True) -> TypeError:
    """MindSpore's TypeError for a primitive's input of a type its kernels do not take: "For primitive[ReLU6], the
    input argument[input_x] must be a type of {Tensor[Float16], Tensor[Float32]}, but got Tensor[Int32]." allowed:
    the dtypes' names (float16, ...) in MindSpore's order; tensor_form False: its bare {Float16, ...} spelling (as
    for scalars and dtype arguments); got: the value's type as that primitive's text writes it (tensor_type)."""
    names = ", ".join(f"Tensor[{n}]" if tensor_form else n for n in (str(_dt.get(a)) for a in allowed))
    return TypeError(f"For primitive[{prim}], the input argument[{arg}] must be a type of {{{names}}}, but got {got}.")


def tensor_type(x: Any) -> str:
    """A value's type as those texts write it: Tensor[Float32], or a non-Tensor's class name."""
    return f"Tensor[{x.dtype}]" if isinstance(x, Tensor) else type(x).__name__


def refuse_input_dtype(prim: str, arg: str, x: Any, allowed: tuple[str, ...], tensor_form: bool = False) -> None:
    """input_dtype_error for a Tensor x of a dtype not in allowed ("For primitive[HShrink], the input
    argument[input_x] must be a type of {BFloat16, Float16, Float32}, but got Int32."; tensor_form: its
    {Tensor[Float16], ...} spelling, as LpNorm's)."""
    if isinstance(x, Tensor) and x._dtype not in allowed:
        raise input_dtype_error(prim, arg, allowed, tensor_type(x) if tensor_form else str(x.dtype), tensor_form)
