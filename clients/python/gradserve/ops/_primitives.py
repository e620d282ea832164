"""Op classes (`ops.MatMul()`, `ops.Sin()`, ...) and functions (`ops.sin`, `ops.matmul`, ...).

One class and one function per engine op are generated from `_ops.json` (the engine's
registry); MindSpore's names and call signatures are layered on top where they differ
(`ReduceSum(keep_dims)(x, axis)`, `Reshape()(x, shape)`, `ReLU`, `Select`, ...).
"""
from __future__ import annotations

import builtins  # (max / min / sum below are ops: MindSpore's names)
import inspect
import math
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .. import _catalog, _join_kinds
from .. import dtype as _dt
from .._infer import BINARY, BINARY_FLOAT, COMPARE
from ..errors import IndexRangeError
from .._late import late  # sign of complex: ops.sgn, an upper layer
from .._seq_operands import refuse_primitive
from .._tensor import Tensor, _is_bool
from .._calling_errors import camel as _camel, failed_calling, input_dtype_error, primitive_type
from .._misc import twin_of
from .._trace import _scalar_dtype, _scalar_tensor, apply, binary, cast as _cast, current, graph_semantics
from ._axis_range import DIM_OUT_OF_RANGE, checked_axis
from ._nan_pick import pick
from ._nan_scan import scan_like
from ._running_stats import update_running
from . import _tensor_only, _user_prim

__all__: list[str] = []


def _out(outs) -> Any:
    return outs[0] if len(outs) == 1 else tuple(outs)


def _run(op: str, inputs, attrs: dict):
    if op in ("maximum", "minimum"):
        return pick(op, inputs[0], inputs[1])
    if op in BINARY or op in BINARY_FLOAT or op in COMPARE:
        return binary(op, inputs[0], inputs[1])
    if op == "relu" and inputs and isinstance(inputs[0], Tensor) and inputs[0]._dtype.startswith(("int", "uint", "bool")):
        return _relu_exact(inputs[0])
    return _out(apply(op, list(inputs), attrs))


def _relu_exact(x: Tensor) -> Tensor:
    """ReLU of an integer or bool Tensor, its dtype kept (MindSpore 2.10; the engine's relu is for floats)."""
    if x._dtype == "bool" or x._dtype.startswith("uint"):
        return _out(apply("identity", [x], {}))
    return binary("maximum", x, Tensor(np.zeros((), x._dtype)))


class Primitive:
    """An engine op with its attributes bound: `ops.Sin()(x)`, `ops.MatMul(transpose_b=True)(a, b)`."""

    op: str = ""  # "" (no engine op): a user-defined primitive (MindSpore's `class MyOp(Primitive)`)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__call__" in cls.__dict__ and not cls.__module__.startswith("gradserve."):
            cls.__call__ = _user_prim.with_registered_bprop(cls.__dict__["__call__"])  # type: ignore[method-assign]

    def __init__(self, name: str | None = None, **attrs):
        self.name = name or type(self).__name__  # (MindSpore's Primitive(name))
        if self.op not in _catalog.OPS:  # a user-defined primitive: its attributes are its own
            self.attrs = attrs
            return
        if name is not None and name not in (type(self).__name__, getattr(type(self), "substitute_name", None)):
            # (prim_attr_register passes the class's name, or its substitute_name)
            raise TypeError(f"For '{type(self).__name__}', too many positional arguments: MindSpore's op classes "
                            f"take no name (got {name!r}); their attributes, if any, are keywords")
        unknown = set(attrs) - set(_catalog.OPS[self.op]["attrs"])
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown attribute(s) {sorted(unknown)}; "
                            f"allowed: {sorted(_catalog.OPS[self.op]['attrs']) or 'none'}")
        self.attrs = attrs

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:  # (*Any, **Any): MindSpore's overrides fit
        if self.op not in _catalog.OPS:
            return _user_prim.run_unimplemented(self, inputs, kwargs)
        if kwargs:  # inputs by MindSpore's keywords (Sin()(input=x)), as the op functions take them
            inputs = _keyword_inputs(self.op, inputs, kwargs)
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument(s) {sorted(kwargs)}")
        if inputs and (self.op in _tensor_only.INPUT_NAMES or self.op in _tensor_only.TYPED):  # (MindSpore 2.10: Exp()(1.0) is a TypeError too)
            _tensor_only.refuse(self.op, inputs[0])
            _tensor_only.refuse_kernel_dtype(self.op, inputs[0])
        return _run(self.op, inputs, self.attrs)

    def add_prim_attr(self, name: str, value: Any) -> "Primitive":
        """MindSpore's: the attribute set on the primitive (readable as prim.<name>). An engine op's attributes
        are its constructor's; one added here is kept for the program to read, not passed to the engine."""
        self.__dict__[name] = value
        if self.op not in _catalog.OPS:
            self.__dict__.setdefault("attrs", {})[name] = value
        return self

    def set_device(self, device_target: str) -> "Primitive":
        """MindSpore's `P.X().set_device("CPU")`: the device it runs on, as its primitive_target attribute (one
        service runs every op here: kept for the program to read)."""
        return self.add_prim_attr("primitive_target", device_target)

    def init_prim_io_names(self, inputs: Any, outputs: Any) -> None:
        """MindSpore's input/output names for its kernels: kept, not used."""
        self.input_names, self.output_names = list(inputs), list(outputs)

    def __repr__(self) -> str:
        return f"Prim[{type(self).__name__}]" + (f"<{self.attrs}>" if self.attrs else "")


# MindSpore's keyword names for an op's tensor inputs by arity (ops.sin(input=x), ops.equal(input=a, other=b);
# ops.sqrt(x=...) / ops.arcsin(x=...) name their input x), so keyword calls written for MindSpore run
_INPUT_KEYWORDS = {1: (("input", "x"),), 2: (("input", "x"), ("other", "y"))}


def _keyword_inputs(op: str, inputs: tuple, attrs: dict) -> tuple:
    """inputs with those given by MindSpore's keyword names appended in their positions."""
    slots = _INPUT_KEYWORDS.get(_catalog.OPS[op]["arity"], ())
    taken = list(inputs)
    for i, names in enumerate(slots):
        given = [n for n in names if n in attrs]
        if not given:
            continue
        if i < len(taken) or len(given) > 1:
            raise TypeError(f"{op}() got multiple values for its input {i} ({', '.join(given)})")
        if i > len(taken):
            raise TypeError(f"{op}() missing its input {len(taken)} ({' / '.join(slots[len(taken)])})")
        taken.append(attrs.pop(given[0]))
    return tuple(taken)


def _make_function(op: str):
    def f(*inputs, **attrs):
        if attrs:
            inputs = _keyword_inputs(op, inputs, attrs)
        return _run(op, inputs, attrs)

    f.__name__ = f.__qualname__ = op
    f.__doc__ = _catalog.OPS[op]["doc"]
    return f


CLASSES: dict[str, type[Primitive]] = {}
FUNCTIONS: dict[str, Callable[..., Any]] = {}
for _name, _spec in _catalog.OPS.items():
    if _name in _catalog.FUNCTION_OPS:
        continue
    CLASSES[_camel(_name)] = type(_camel(_name), (Primitive,), {"op": _name, "__doc__": _spec["doc"],
                                                                  "__module__": __name__})
    FUNCTIONS[_name] = _make_function(_name)


# -- MindSpore's signatures where they differ ---------------------------------------------------------
def _has_bool(v) -> bool:
    """A Python (or NumPy) bool as an int argument, or in a tuple / list of them: MindSpore 2.10 refuses it (its
    argument types are checked before any value is read; True is no 1 there)."""
    return isinstance(v, (bool, np.bool_)) or (isinstance(v, (tuple, list)) and any(_has_bool(e) for e in v))


def _refuse_bools(v, prim: str, call: str, valid: str) -> None:
    """MindSpore 2.10's TypeError for a bool in `v`: `call` / `valid` formatted with {t}, v's type as it writes it."""
    if _has_bool(v):
        t = primitive_type(v)
        raise TypeError(f'Failed calling {prim} with "{call.format(t=t)}".\nThe valid calling should be: \n"{valid}".')


def _refuse_bool(v, text: str) -> None:
    """MindSpore 2.10's TypeError `text` for a Python bool in `v`, an op's int argument (True is no 1 there)."""
    if _has_bool(v):
        raise TypeError(text)


def _compiled() -> bool:
    """Whether the code is a compiled graph's now (a @jit function's, or a trace in GRAPH_MODE: a GradOperation's
    function there), where MindSpore 2.10's compiler checks arguments eager MindSpore reads otherwise; GRAPH_MODE
    code outside a trace runs eagerly in both."""
    return current() is not None and graph_semantics()


def _axis(axis):
    _join_kinds.refuse_arg(axis)  # (an `if`'s join of a bool / float with an int: refused on every path)
    if _has_bool(axis):  # (MindSpore 2.10: TypeError 'Failed calling sum with "sum(axis=bool)"', both modes)
        raise TypeError(f"the axis must be an int, a tuple / list of int or a Tensor, not {primitive_type(axis)}: "
                        f"MindSpore 2.10 refuses a bool there (its TypeError 'Failed calling ... axis="
                        f"{primitive_type(axis)}'); True is no axis 1")
    if isinstance(axis, Tensor):  # a traced axis: its value in this call (MindSpore's dynamic rank)
        axis = axis._host_copy().tolist()
    if axis is None or axis == () or axis == []:
        return None
    return [int(a) for a in axis] if isinstance(axis, (tuple, list)) else int(axis)


def _flag(v) -> bool:
    """keep_dims / keepdim as a bool (a joined number with an int / float path refused, as MindSpore 2.10's graph)."""
    _join_kinds.refuse_arg(v, "bool")
    return bool(v)


def _reduce_axis(x, axis):
    """_axis(axis) for a reduction; an axis named twice (0 and -1 of a 0-d x too) is MindSpore 2.10's RuntimeError."""
    ax = _axis(axis)
    if isinstance(ax, list) and isinstance(x, Tensor):
        nd = len(x.shape)
        seen = [a % nd if nd and -nd <= a < nd else 0 if not nd and a in (0, -1) else a for a in ax]
        twice = [a for i, a in enumerate(seen) if a in seen[:i]]
        if twice:
            raise RuntimeError(f"dim={twice[0]} appears multiple times in the list of dims")
    return ax


def _refuse_bool_mean(op: str, x) -> None:
    """MindSpore 2.10 refuses a bool tensor's mean; the engine's was a bool (mean([True, False, False]) True)."""
    if op == "mean" and isinstance(x, Tensor) and x.dtype.name == "bool":
        raise RuntimeError("For 'ReduceMean', unsupported reduce operation for bool: cast the input to a number "
                           "type first")


def _reduce_class(name: str, op: str):
    class _Reduce(Primitive):
        def __init__(self, keep_dims: bool = False):
            self.op = op
            self.attrs = {}
            self.keep_dims = _flag(keep_dims)

        def __call__(self, x, axis=()):
            if axis is None:  # (MindSpore 2.10 refuses it, both modes; SDK code reducing all axes calls _reduce())
                attrs = "keep_dims=bool, skip_mode=bool" if name == "ReduceSum" else "keep_dims=bool"
                valid = "keep_dims=<bool>, skip_mode=<bool>" if name == "ReduceSum" else "keep_dims=<bool>"
                raise TypeError(f'Failed calling {name} with "{name}({attrs})(x=Tensor, axis=None)".\nThe valid '
                                f'calling should be: \n"{name}({valid})(x=<Tensor>, axis=<list of int, int, Tensor, '
                                'tuple of int>)".')
            return self._reduce(x, axis)

        def _reduce(self, x, axis):
            """The SDK's own entry: axis None reduces all axes (a user's call of None is refused above)."""
            _refuse_bool_mean(op, x)
            ax = _axis(axis)
            x = scan_like(x, ax, op) if op in ("max", "min") else x  # (NaN as MindSpore's CPU scan)
            return _out(apply(op, [x], {"axis": ax, "keepdims": self.keep_dims}))

    _Reduce.__name__ = _Reduce.__qualname__ = name
    _Reduce.__doc__ = f"MindSpore {name}(keep_dims=False)(x, axis=()): engine op {op}"
    return _Reduce


class ReduceSum(_reduce_class("ReduceSum", "sum")):  # type: ignore[misc]  # a class made at import time
    """MindSpore ReduceSum(keep_dims=False, skip_mode=False)(x, axis=()): skip_mode with an empty axis ((), [] or
    an empty Tensor) is MindSpore 2.10's: x as it is in a graph; in PyNative the sum of all of x's elements
    broadcast to x's shape, its gradient dout itself (MindSpore's bprop is the graph's identity's)."""

    def __init__(self, keep_dims: bool = False, skip_mode: bool = False):
        super().__init__(keep_dims)
        self.skip_mode = bool(skip_mode)

    def __call__(self, x, axis=()):
        empty = axis.size == 0 if isinstance(axis, Tensor) else isinstance(axis, (tuple, list)) and not axis
        if self.skip_mode and empty:
            return _skipped(x)
        return super().__call__(x, axis)


def _skipped(x):
    """ReduceSum(skip_mode=True) of an empty axis (its doc: x unchanged): x in a GRAPH_MODE construct or jit function;
    MindSpore 2.10's PyNative kernel sums all of x and broadcasts it (x = arange(6).reshape(2, 3): all 15), while
    its gradient stays the identity's (dout), as the graph's."""
    tr = current()
    if tr is not None and graph_semantics(tr):
        return x
    total = broadcast_to(_out(apply("sum", [x], {"axis": None, "keepdims": False})), tuple(x.shape))
    return stop_gradient(total) + (x - stop_gradient(x))  # (value: the total exactly; gradient: dout)


ReduceMean = _reduce_class("ReduceMean", "mean")
ReduceMax = _reduce_class("ReduceMax", "max")
ReduceMin = _reduce_class("ReduceMin", "min")
ReduceProd = _reduce_class("ReduceProd", "prod")
ReduceLogSumExp = _reduce_class("ReduceLogSumExp", "logsumexp")


if TYPE_CHECKING:  # generated at import time: the checkers read their declarations in ops/__init__.pyi
    _Matmul = Primitive
    _Softmax = Primitive
    _LogSoftmax = Primitive
    _Div = Primitive
else:
    _Matmul, _Softmax, _LogSoftmax = CLASSES["Matmul"], CLASSES["Softmax"], CLASSES["LogSoftmax"]
    _Div = CLASSES["Div"]


class MatMul(_Matmul):
    """MatMul(transpose_a=False, transpose_b=False)(a, b)."""

    def __init__(self, transpose_a: bool = False, transpose_b: bool = False):
        super().__init__(transpose_a=bool(transpose_a), transpose_b=bool(transpose_b))

    def __call__(self, input, mat2):  # noqa: A002 - MindSpore's names
        return super().__call__(input, mat2)


class BatchMatMul(MatMul):
    def __init__(self, transpose_a: bool = False, transpose_b: bool = False):
        super().__init__(transpose_a, transpose_b)

    def __call__(self, x, y):  # MindSpore's names here
        return Primitive.__call__(self, x, y)


class Reshape(Primitive):
    op = "reshape"

    def __call__(self, input, shape):  # noqa: A002 - MindSpore's names
        return reshape(input, shape)


class Transpose(Primitive):
    op = "transpose"

    def __call__(self, input, dims=None):  # noqa: A002
        return transpose(input, dims)


class ExpandDims(Primitive):
    op = "expand_dims"

    def __call__(self, input_x, axis):
        return expand_dims(input_x, axis)


class Squeeze(Primitive):
    op = "squeeze"

    def __init__(self, axis=()):
        super().__init__()
        self.axis = axis

    def __call__(self, input):  # noqa: A002
        return squeeze(input, self.axis)


class Cast(Primitive):
    op = "cast"

    def __call__(self, input_x, dtype):
        return cast(input_x, dtype)


class Concat(Primitive):
    op = "concat"

    def __init__(self, axis: int = 0):
        super().__init__(axis=axis)

    def __call__(self, tensors):
        return concat(tensors, self.attrs["axis"])


class Stack(Primitive):
    op = "stack"

    def __init__(self, axis: int = 0):
        super().__init__(axis=axis)

    def __call__(self, tensors):
        return stack(tensors, self.attrs["axis"])


class Split(Primitive):
    op = "split"

    def __init__(self, axis: int = 0, output_num: int = 1):
        super().__init__()
        self.axis, self.output_num = axis, output_num

    def __call__(self, input_x):
        outs = apply("split", [input_x], {"sections": int(self.output_num), "axis": int(self.axis)})
        return tuple(outs)


class Tile(Primitive):
    op = "tile"

    def __call__(self, input, dims):  # noqa: A002 - MindSpore's names
        return tile(input, dims)


class BroadcastTo(Primitive):
    op = "broadcast_to"

    def __init__(self, shape):
        super().__init__(shape=[int(s) for s in shape])

    def __call__(self, input):  # noqa: A002
        return broadcast_to(input, self.attrs["shape"])


class Gather(Primitive):
    op = "gather"

    def __init__(self, batch_dims: int = 0):
        super().__init__()
        self.batch_dims = int(batch_dims)

    def __call__(self, input_params, input_indices, axis=0):
        return gather(input_params, input_indices, axis, self.batch_dims)


class SparseGatherV2(Gather):
    """MindSpore's SparseGatherV2()(input_params, input_indices, axis): Gather's values; MindSpore hands its
    gradient on as a RowTensor, here it is Gather's dense one (the same numbers once an optimizer applies it)."""

    def __init__(self):
        super().__init__()


class Fill(Primitive):
    op = "fill"

    def __call__(self, dtype, dims, x):  # MindSpore's names
        return fill(dtype, dims, x)


class Softmax(_Softmax):
    def __init__(self, axis: int | tuple[int, ...] = -1):
        axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        self._axes = axes  # (MindSpore keeps a tuple; its checks come at the call)
        super().__init__(axis=int(axes[0]) if len(axes) == 1 else -1)

    @property
    def axis(self) -> tuple[int, ...]:
        """MindSpore's attribute: the axes as a tuple (Softmax(1).axis == (1,))."""
        return self._axes

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        if not self._axes:
            raise ValueError("For primitive[Softmax], the length of axis must be greater than or equal to 1, but got 0.")
        if len(self._axes) > 1:  # (MindSpore's CPU kernel fails on it: a RuntimeError, no value)
            raise RuntimeError(f"For primitive[Softmax], an axis tuple of more than one axis {self._axes} is not "
                               "supported (MindSpore 2.10's CPU kernel refuses it too); give one axis")
        return super().__call__(*inputs, **kwargs)


class LogSoftmax(_LogSoftmax):
    def __init__(self, axis: int = -1):
        super().__init__(axis=int(axis))


ReLU = CLASSES["Relu"]
Select = CLASSES["Where"]


class RealDiv(_Div):
    """ops.RealDiv()(x, y): Div for floats; of integers (after promotion: int32 / a Python int is int32, bool / a
    Python int int64) MindSpore 2.10's CPU kernel keeps the integer dtype and rounds toward zero, a zero divisor
    saturating toward the dividend's sign (7 / 2 = 3, -7 / 2 = -3, 5 / 0 = max, -5 / 0 = min, 0 / 0 = 0); two bool
    Tensors are its TypeError. (ops.div, P.Div and `/` give the float quotient of integers.)"""

    def __call__(self, x, y):
        if not all(isinstance(v, (Tensor, int, float)) for v in (x, y)):
            return super().__call__(x, y)
        a, b = _promoted(x, y)
        if a._dtype == "bool":
            raise TypeError("For primitive[RealDiv], the input argument[x] must be a type of {Tensor[BFloat16], "
                            "Tensor[Float16], Tensor[Float32], Tensor[Float64], Tensor[Int16], Tensor[Int32], "
                            "Tensor[Int64], Tensor[Int8], Tensor[UInt16], Tensor[UInt32], Tensor[UInt64], "
                            "Tensor[UInt8]}, but got Tensor[Bool].")
        if a._dtype.startswith(("int", "uint")):
            return late.ops.truncate_div(a, b)
        return super().__call__(x, y)


ZerosLike = CLASSES["ZerosLike"]
OnesLike = CLASSES["OnesLike"]
StopGradient = CLASSES["StopGradient"]
Erf = CLASSES["Erf"]


# -- functions with MindSpore's signatures ----------------------------------------------------------------
def matmul(input, other, transpose_a: bool = False, transpose_b: bool = False):  # noqa: A002 - MindSpore's names
    if any(x is None or isinstance(x, str) for x in (input, other)):  # (MindSpore 2.10's words for them)
        raise failed_calling("MatMulExt", {}, {"input": input, "other": other}, {"input": "Tensor", "other": "Tensor"})
    a, b = (x if isinstance(x, Tensor) else Tensor(x) for x in (input, other))
    if (a.ndim == 1 or b.ndim == 1) and not (transpose_a or transpose_b):
        # NumPy's rule, as MindSpore 2.10's ops.matmul / Tensor.matmul: a 1-D a is a row, a 1-D b a column,
        # and that axis is dropped from the product ([1, 2] @ [2] -> [1]; [2] @ [2] -> a 0-d Tensor)
        out = matmul(a.reshape((1, -1)) if a.ndim == 1 else a, b.reshape((-1, 1)) if b.ndim == 1 else b)
        shape = out.shape[:-2] + (out.shape[-2],) * (a.ndim > 1) + (out.shape[-1],) * (b.ndim > 1)
        return out.reshape(shape)
    return _out(apply("matmul", [a, b], {"transpose_a": bool(transpose_a), "transpose_b": bool(transpose_b)}))


def sum(input, dim=None, keepdim: bool = False, *, dtype=None, axis=None, keepdims=None):  # noqa: A001,A002 - MindSpore's names
    """MindSpore 2.10's ops.sum(input, dim=None, keepdim=False, *, dtype=None): dtype casts input first (the
    sum computed and returned in it). axis / keepdims: the earlier spelling, still taken by keyword."""
    if axis is not None and dim is not None:
        raise TypeError("sum: dim and axis are the same argument; give one")
    dim = axis if axis is not None else dim
    keepdim = keepdims if keepdims is not None else keepdim
    to_bool = dtype is not None and _dt.to_name(dtype) == "bool"
    # dtype bool: MindSpore 2.10 gives a Bool Tensor, True where the sum is nonzero (any of the values)
    x = _widened(input) if dtype is None or to_bool else cast(input, dtype)
    out = _out(apply("sum", [x], {"axis": _reduce_axis(x, dim), "keepdims": _flag(keepdim)}))
    return _cast(out, "bool") if to_bool else out


_NARROW_INTS = ("bool", "int8", "uint8", "int16", "int32")


def _widened(x) -> Tensor:
    """x as int64 when bool or a narrower integer: MindSpore 2.10's ops.sum / ops.prod (and their Tensor and
    mint forms) give int64 for those; ReduceSum / ReduceProd keep the dtype."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return _cast(x, "int64") if x._dtype in _NARROW_INTS else x


def prod(input, axis=None, keep_dims: bool = False, dtype=None, *, keepdims=None):  # noqa: A002 - MindSpore's names
    """MindSpore 2.10's ops.prod; dtype: input cast to it first (the product computed and returned in it)."""
    kd = keepdims if keepdims is not None else keep_dims
    x = _widened(input) if dtype is None else cast(input, dtype)
    return _out(apply("prod", [x], {"axis": _axis(axis), "keepdims": _flag(kd)}))


def _reduction(op):
    def f(x, axis=None, keep_dims: bool = False, *, keepdims=None):
        kd = keepdims if keepdims is not None else keep_dims
        _refuse_bool_mean(op, x)
        ax = _reduce_axis(x, axis)
        x = scan_like(x, ax, op) if op in ("max", "min") else x  # (NaN as MindSpore's CPU scan)
        return _out(apply(op, [x], {"axis": ax, "keepdims": _flag(kd)}))

    f.__name__ = f.__qualname__ = op
    return f


mean = _reduction("mean")
amax = max = _reduction("max")  # noqa: A001
amin = min = _reduction("min")  # noqa: A001


def logsumexp(input, dim=None, keepdim: bool = False):  # noqa: A002 - MindSpore 2.10's names
    """log(sum(exp(input))) over dim (None: all axes), stable (the engine op subtracts the maximum)."""
    return _out(apply("logsumexp", [input], {"axis": _axis(dim), "keepdims": _flag(keepdim)}))


def reshape(input, shape):
    if isinstance(shape, int):
        shape = (shape,)
    bad = [type(s).__name__ for s in shape if isinstance(s, (bool, float, np.floating))]
    if bad:  # (int() would truncate 1.1 to 1 silently)
        raise TypeError(f"For 'Reshape', the shape must be a tuple of int, got {bad[0]} in {tuple(shape)}")
    return _out(apply("reshape", [input], {"shape": [int(s) for s in shape]}))


def transpose(input, dims=None):
    n = len(input.shape) if isinstance(input, Tensor) else 0
    _refuse_bools(dims, "Transpose", "Transpose()(input=Tensor, dims={t})",
                  "Transpose()(input=<Tensor>, dims=<list of int, tuple of int>)")
    if dims is not None:  # negative entries count from the end (MindSpore 2.10: transpose(x, (-1, -2)) of a 2-D x)
        dims = [int(p) + n if -n <= int(p) < 0 else int(p) for p in dims]
    out = _out(apply("transpose", [input], {"perm": dims}))
    moved = n > 1 if dims is None else [int(p) % n if n else int(p) for p in dims] != list(range(n))
    if moved and isinstance(out, Tensor) and out._data is not None:
        # MindSpore 2.10's PyNative transpose is a strided view: is_contiguous() False (ops/_tensor_op_methods)
        out.__dict__["_gs_view"] = True
    return out


def expand_dims(input_x, axis: int):
    _refuse_bools(axis, "ExpandDims", "ExpandDims()(input_x=Tensor, axis={t})",
                  "ExpandDims()(input_x=<Tensor>, axis=<Tensor, int>)")
    return _out(apply("expand_dims", [input_x], {"axis": int(axis)}))


def squeeze(input, axis=None):
    """An axis of size other than 1 is left as it is (MindSpore 2.10: x.squeeze(0) of a (2, 3) x is x, a view in
    PyNative, checked; its documentation since 2.5 says so). MindSpore 2.10 also takes a repeated axis as one
    ((0, 0) of a (1, 2, 1) x gives (2, 1)) and squeezes a 0-d x over any axis (1 too) to itself."""
    ax = _axis(axis)
    if ax is not None and isinstance(input, Tensor):
        nd = len(input.shape)
        axes = sorted({checked_axis(a, nd, ValueError, DIM_OUT_OF_RANGE)
                       for a in (ax if isinstance(ax, list) else [ax])} if nd else ())
        axes = [a for a in axes if input.shape[a] == 1]
        if not axes:
            return reshape(input, tuple(input.shape))
        ax = axes
    return _out(apply("squeeze", [input], {"axis": ax}))


def cast(input, dtype):  # noqa: A002 - MindSpore's name
    x = input if isinstance(input, Tensor) else Tensor(input)
    return _cast(x, _dt.to_name(dtype))


def concat(tensors, axis: int = 0):
    if _has_bool(axis):
        _refuse_bools(axis, "Concat", f"Concat(axis={{t}})(tensors={primitive_type(tensors)})",
                      "Concat(axis=<int>)(tensors=<list of tensor, tuple of Tensor>)")
    return _out(apply("concat", list(tensors), {"axis": int(axis)}))


cat = concat


def stack(tensors, axis: int = 0):
    """A Tensor given for `tensors` is one item (MindSpore 2.10: stack(x) has shape (1, *x.shape)), not a
    sequence of its rows."""
    if _has_bool(axis):  # (MindSpore 2.10's text)
        raise TypeError(f"For 'Stack', the type of 'axis' should be 'int', but got type '{primitive_type(axis)}'.")
    items = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    return _out(apply("stack", items, {"axis": int(axis)}))


def split(tensor, split_size_or_sections, axis: int = 0):
    """MindSpore 2.x: an int is the size of each chunk; a list, the sizes of the chunks."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"expect `tensor` is a Tensor, but got {type(tensor)}")
    axis = _split_axis(axis, tensor.ndim)
    points = _split_points(split_size_or_sections, int(tensor.shape[axis]))
    return tuple(apply("split", [tensor], {"indices": points, "axis": axis}))


def _split_axis(axis, ndim: int) -> int:
    if type(axis) is not int:  # (bool too: MindSpore 2.10 refuses split(x, 2, True))
        raise TypeError(f"Type of Argument `axis` should be integer but got {type(axis)}")
    return checked_axis(axis, ndim, ValueError, "axis {axis} is out of bounds for array of dimension {ndim}")


def _split_points(sizes, n: int) -> list[int]:
    """The cut points of split's chunks along an axis of length n, with MindSpore 2.10's checks and texts: a size
    given as True, (2, 3.0) or numpy ints is a TypeError there, sizes not summing to n a ValueError (they were
    cut at the given points and the rest kept as one more chunk)."""
    if type(sizes) is int:
        if sizes <= 0:
            raise ValueError(f"For split, the value of 'split_size_or_sections' must be more than zero, but got {sizes}.")
        return list(range(sizes, n, sizes))
    if not isinstance(sizes, (tuple, list)):
        raise TypeError("Type of Argument `split_size_or_sections` should be integer, tuple(int) or list(int), "
                        f"but got {type(sizes)}")
    for s in sizes:
        if type(s) is not int:
            raise TypeError(f"Each element in 'split_size_or_sections' should be integer, but got {type(s)}.")
    if any(s < 0 for s in sizes):
        raise TypeError(f"Each element in 'split_size_or_sections' should be non-negative, but got {sizes}.")
    if builtins.sum(sizes) != n:
        raise ValueError(f"The sum of 'split_size_or_sections' should be equal to {n}, but got {builtins.sum(sizes)}.")
    return [int(p) for p in np.cumsum(sizes)[:-1]]


def tile(input, dims):
    _refuse_bools(dims, "Tile", "Tile()(input=Tensor, dims={t})", "Tile()(input=<Tensor>, dims=<Tensor, tuple of int>)")
    return _out(apply("tile", [input], {"reps": [int(m) for m in dims]}))


def _resolved_shape(x, shape) -> list:
    """shape with each -1 read as x's size on that axis (axes aligned from the right), as MindSpore does."""
    shape = [int(s) for s in shape]
    xs, lead = tuple(x.shape), len(shape) - len(x.shape)
    for i, s in enumerate(shape):
        if s == -1:
            if i < lead:
                # (MindSpore 2.10's text: its number is x's rank, not the first axis where -1 may stand)
                raise ValueError(f"For 'BroadcastTo', -1 in init shape is in an incompatible location with given "
                                 f"input tensor, -1 index in init shape: {i} but -1 can only be in index{len(xs)}"
                                 f"onwards for this input.")
            shape[i] = xs[i - lead]
    for i, d in enumerate(xs):  # (MindSpore 2.10's text; a shorter target is left to the shape rule)
        t = shape[lead + i] if lead >= 0 else None
        if isinstance(d, int) and isinstance(t, int) and d not in (1, t):
            raise ValueError(f"For 'BroadcastTo', in order to broadcast, each dimension pair must be equal or input "
                             f"dimension is 1 or target dimension is -1. But got x_shape: {xs}, target shape: "
                             f"{tuple(shape)}.")
    return shape


def broadcast_to(input, shape):
    _refuse_bools(shape, "BroadcastTo", "BroadcastTo(shape={t})(input=Tensor)",
                  "BroadcastTo(shape=<list of int, Tensor, tuple of int>)(input=<Tensor>)")
    return _out(apply("broadcast_to", [input], {"shape": _resolved_shape(input, shape)}))


def softmax(input, axis: int = -1, *, dtype=None):  # noqa: A002 - MindSpore's names
    """MindSpore 2.10's ops.softmax; dtype: input cast to it first (the result in it)."""
    _refuse_bools(axis, "Softmax", "Softmax(axis={t})(input=Tensor)", "Softmax(axis=<int, tuple of int>)(input=<Tensor>)")
    x = input if dtype is None else cast(input, dtype)
    return _out(apply("softmax", [x], {"axis": int(axis)}))


def log_softmax(logits, axis: int = -1):
    _refuse_bools(axis, "LogSoftmax", "LogSoftmax(axis={t})(logits=Tensor)", "LogSoftmax(axis=<int>)(logits=<Tensor>)")
    return _out(apply("log_softmax", [logits], {"axis": int(axis)}))


def gather(input_params, input_indices, axis: int = 0, batch_dims: int = 0):
    _refuse_bools(axis, "Gather", "Gather(batch_dims=int)(input_params=Tensor, input_indices=Tensor, axis={t})",
                  "Gather(batch_dims=<int>)(input_params=<Tensor>, input_indices=<Tensor>, axis=<Tensor, int>)")
    if batch_dims:
        return _gather_batched(input_params, input_indices, int(axis), int(batch_dims))
    _gather_range(input_params, input_indices, int(axis))
    return _out(apply("gather", [input_params, input_indices], {"axis": int(axis)}))


def _gather_range(params, indices, axis: int) -> None:
    """Concrete indices past the axis (MindSpore 2.10 takes [-n, n): negatives wrap) are its RuntimeError with its
    text (an IndexRangeError, a ShapeError too), before any request; traced ones reach the engine's check."""
    known = indices._data if isinstance(indices, Tensor) else None
    shape = getattr(params, "shape", None)
    if known is None or shape is None or not -len(shape) <= axis < len(shape) or known.dtype.kind not in "iu":
        return
    n = int(shape[axis])
    bad = known[(known >= n) | (known < -n)]
    if bad.size:
        v = int(bad.reshape(-1)[0])
        raise IndexRangeError(f"For 'Gather', the 'input_indices' should be in the range [0, {n}), but got {v} "
                              f"(gather: index {v} out of range for axis {axis} of size {n})", detail={"op": "gather"})


# -- gather with batch_dims > 0 (TensorFlow's rule, MindSpore's): the first batch_dims axes of params and indices pair
# up, out[b.., m.., i.., r..] = params[b.., m.., indices[b.., i..], r..]. One gather over params with its batch axes
# folded into the gathered axis (each batch's indices offset by its start): the gradient is the engine gather's.
# Negative indices wrap, as MindSpore's forward.
def _gather_batched(params, indices, axis: int, batch_dims: int):
    if not isinstance(indices, Tensor) or not isinstance(params, Tensor):
        raise TypeError("For 'Gather', 'input_params' and 'input_indices' must be Tensors when batch_dims is set")
    k = batch_dims + indices.ndim if batch_dims < 0 else batch_dims
    ax = axis % builtins.max(params.ndim, 1)
    if not 0 <= k <= builtins.min(indices.ndim, ax):
        raise ValueError(f"For 'Gather', batch_dims {batch_dims} must be in [0, min(rank(indices) "
                         f"{indices.ndim}, axis {ax})]")
    batch = tuple(int(s) for s in params.shape[:k])
    if batch != tuple(int(s) for s in indices.shape[:k]):
        raise ValueError(f"For 'Gather', the first {k} dims of input_params {list(params.shape)} and input_indices "
                         f"{list(indices.shape)} must be equal")
    n = int(params.shape[ax])
    mid, rest = list(range(k, ax)), list(range(ax + 1, params.ndim))
    folded = transpose(params, tuple(range(k)) + (ax,) + tuple(mid) + tuple(rest))
    folded = reshape(folded, (math.prod(batch) * n,) + tuple(params.shape[k:ax]) + tuple(params.shape[ax + 1:]))
    idx = select(binary("less", indices, 0), add(indices, n), indices)
    starts = (np.arange(math.prod(batch)) * n).reshape(batch + (1,) * (indices.ndim - k))
    out = gather(folded, add(idx, Tensor(starts.astype(indices._dtype))), 0)  # batch, idx.., mid.., rest..
    ni = indices.ndim - k
    order = (tuple(range(k)) + tuple(range(k + ni, k + ni + len(mid))) + tuple(range(k, k + ni))
             + tuple(range(k + ni + len(mid), out.ndim)))
    return transpose(out, order)


def _promoted(*values):
    """Tensors and Python numbers as Tensors of one dtype, the rule of binary(): the Tensors' dtypes promote
    (dtype.promote, MindSpore's), then a number may widen that (a float with integers: float32; an int with bool:
    int64; _scalar_dtype). A number alone is a 0-d Tensor of its own (int64 / float32) dtype. The casts carry
    each Tensor's gradient back in its own dtype. MindSpore 2.10's where / select / clamp promote this way."""
    dt = _promoted_dtype(*values)
    if dt is None:
        dt = _numbers_dtype(values)
        return tuple(Tensor(v) if dt is None else _scalar_tensor(v, dt) for v in values)
    return tuple(_cast(v, dt) if isinstance(v, Tensor) else _scalar_tensor(v, dt) for v in values)


def _numbers_dtype(values) -> str | None:
    """Python numbers of different kinds alone: the widest one's dtype (MindSpore 2.10: where(c, 1, 2.5) is
    Float32 [1, 2.5], checked); None where all are of one kind (each its own Tensor)."""
    kinds = {complex if isinstance(v, complex) else float if isinstance(v, float) else bool if isinstance(v, bool)
             else int for v in values}
    if len(kinds) < 2:
        return None
    return "complex64" if complex in kinds else "float32" if float in kinds else "int64"


def _promoted_dtype(*values) -> str | None:
    """The dtype Tensors and Python numbers promote to (_promoted's rule); None without a Tensor."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    if not tensors:
        return None
    dt = tensors[0]._dtype
    for v in tensors[1:]:
        _dt.check_implicit(dt, v._dtype)
        dt = _dt.promote(dt, v._dtype)
    for v in values:
        if not isinstance(v, Tensor):
            dt = _scalar_dtype(v, dt)[1]
    return dt


def select(condition, input, other):  # noqa: A002 - MindSpore 2.10's names (select(cond, input=1, other=2))
    """input where condition, else other; of different dtypes they promote (MindSpore 2.10: int32 / float16 is
    float16)."""
    x, y = _promoted(input, other)
    return _out(apply("where", [condition, x, y], {}))


where = select


def _refuse_fill_bools(shape) -> None:
    """ops.fill / ops.full of a shape holding a bool: MindSpore 2.10's FillV2 TypeError (True is no size 1 there)."""
    if _has_bool(shape):
        raise input_dtype_error("FillV2", "input[shape]", ("int32", "int64"), "Bool", tensor_form=False)


def fill(type, shape, value):  # noqa: A002
    _refuse_fill_bools(shape)
    shape = [int(s) for s in shape]
    if twin_of(value) is not None:  # a mutable() number: its twin broadcast, so that it gets a gradient
        return broadcast_to(_scalar_tensor(value, _dt.to_name(type)), shape)
    return _out(apply("fill", [], {"shape": shape, "value": float(value), "dtype": _dt.to_name(type)}))


def zeros(size, dtype=None):
    _refuse_bools(size, "Zeros", "Zeros()(size={t}, dtype=mindspore.dtype)",
                  "Zeros()(size=<list of int, int, Tensor, tuple of int>, dtype=<mindspore.dtype>)")
    return fill(dtype or _dt.float32, (size,) if isinstance(size, int) else size, 0.0)


def ones(shape, dtype=None):
    _refuse_bools(shape, "Ones", "Ones()(shape={t}, dtype=mindspore.dtype)",
                  "Ones()(shape=<list of int, int, Tensor, tuple of int>, dtype=<mindspore.dtype>)")
    return fill(dtype or _dt.float32, (shape,) if isinstance(shape, int) else shape, 1.0)


def stop_gradient(x):
    return _out(apply("stop_gradient", [x], {}))


def mul(input, other):
    refuse_primitive("mul", input, other, graph=graph_semantics())  # a list / tuple operand: MindSpore 2.10's TypeError
    return binary("mul", input, other)


_NUMBER_TENSORS = ("bfloat16", "float16", "float32", "float64", "int16", "int32", "int64", "int8", "uint16", "uint32",
                   "uint64", "uint8")


def _refuse_two_bools(prim: str, input, other) -> None:  # noqa: A002
    """MindSpore 2.10's Add / Sub primitives (ops.add / ops.sub) take no bool pair (`b + c` does: Tensor's own)."""
    if _is_bool(input) and _is_bool(other) and isinstance(input, Tensor):
        raise input_dtype_error(prim, "x", _NUMBER_TENSORS, "Tensor[Bool]")


def add(input, other):
    refuse_primitive("add", input, other)  # a list / tuple operand: MindSpore 2.10's TypeError
    _refuse_two_bools("Add", input, other)
    return binary("add", input, other)


def sub(input, other):
    refuse_primitive("sub", input, other, graph=graph_semantics())  # a list / tuple operand: MindSpore 2.10's TypeError
    _refuse_two_bools("Sub", input, other)
    return binary("sub", input, other)


def div(x, y):
    refuse_primitive("div", x, y, graph=graph_semantics())  # a list / tuple operand: MindSpore 2.10's TypeError
    return binary("div", x, y)


def pow(input, exponent):  # noqa: A001,A002 - MindSpore 2.10's names (pow(x, exponent=3.0))
    return binary("pow", input, exponent)


relu = FUNCTIONS["relu"]


# -- batch normalisation: MindSpore's five outputs and argument order over the engine's batch_norm(x,
# scale, bias, mean, var) (which would silently give other numbers). Running statistics are not
# updated (a graph holds no state); only output 0 is differentiated, as MindSpore's rule does.
def _bn_stats(x, mean, variance, training: bool):
    """Outputs 1-4: the batch mean and (biased) variance in training, the given ones in inference
    (MindSpore documents reserve_space_1/2 equal to mean/variance for inference)."""
    if training:
        axes = [0] + list(range(2, len(x.shape)))
        keep = apply("mean", [x], {"axis": axes, "keepdims": True})[0]
        centred = x - keep
        mean = apply("mean", [x], {"axis": axes, "keepdims": False})[0]
        variance = apply("mean", [centred * centred], {"axis": axes, "keepdims": False})[0]
    mean, variance = stop_gradient(mean), stop_gradient(variance)
    return mean, variance, mean, variance


class BatchNorm(Primitive):
    """BatchNorm(is_training=False, epsilon=1e-5, momentum=0.1, data_format='NCHW')(x, scale, bias,
    mean, variance) -> (y, batch_mean, batch_variance, reserve_space_1, reserve_space_2)."""

    op = "batch_norm"

    def __init__(self, is_training: bool = False, epsilon: float = 1e-5, momentum: float = 0.1,
                 data_format: str = "NCHW"):
        if data_format != "NCHW":
            raise ValueError(f"BatchNorm: data_format {data_format!r} is not supported (NCHW only)")
        super().__init__(epsilon=float(epsilon), training=bool(is_training))
        self.momentum = momentum

    def __call__(self, *inputs, **by_name):
        # MindSpore's input names bind keywords inside a graph only (2.10: outside one, Python's TypeError)
        if by_name and current() is None:
            raise TypeError(f"BatchNorm.__call__() got an unexpected keyword argument '{next(iter(by_name))}'")
        x, scale, bias, mean, variance = _bind(inputs, by_name, ("input_x", "scale", "bias", "mean", "variance"))
        y = apply("batch_norm", [x, scale, bias, mean, variance], self.attrs)[0]
        stats = _bn_stats(x, mean, variance, self.attrs["training"])
        if self.attrs["training"]:  # Parameters given as mean / variance are moving statistics (MindSpore's)
            update_running(x, mean, variance, self.momentum)
        return (y, *stats)


def _bind(inputs: tuple, by_name: dict, names: tuple) -> tuple:
    """inputs, then those given by their names, in names' order (a missing or doubled one: the signature's
    TypeError)."""
    slots = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    bound = inspect.Signature(slots).bind(*inputs, **by_name)
    return tuple(bound.arguments[n] for n in names)


def _channel_fill(x, value: float) -> Tensor:
    return Tensor(np.full((x.shape[1],), value, np.dtype(x._dtype)))


def batch_norm(input_x, running_mean, running_var, weight, bias, training=False, momentum=0.1, eps=1e-5):
    """MindSpore's functional batch_norm (its argument order): weight / bias None are 1 / 0."""
    weight = _channel_fill(input_x, 1.0) if weight is None else weight
    bias = _channel_fill(input_x, 0.0) if bias is None else bias
    y = apply("batch_norm", [input_x, weight, bias, running_mean, running_var],
              {"epsilon": float(eps), "training": bool(training)})[0]
    if training:
        update_running(input_x, running_mean, running_var, momentum)
    return y


# -- complex numbers: MindSpore 2.10's ops.abs / ops.Abs of a complex tensor keep its dtype (|z| + 0i);
# ops.ComplexAbs gives the real modulus (the engine's abs)
def abs(input):  # noqa: A001
    if isinstance(input, Tensor) and input._dtype == "bool":  # MindSpore 2.10: abs of bool is a bool copy
        return _out(apply("cast", [input], {"dtype": "bool"}))
    out = _out(apply("abs", [input], {}))
    return _cast(out, input._dtype) if isinstance(input, Tensor) and input._dtype in _dt.COMPLEX else out


class Abs(Primitive):
    op = "abs"

    def __call__(self, input):  # noqa: A002
        return abs(input)


ComplexAbs = CLASSES["Abs"]


# -- MindSpore 2.10's sign of a real NaN is 0 (its CPU kernel, as torch's); the engine's sign keeps NumPy's / JAX's
# NaN (its importers need that one)
_SIGN_DTYPES = ("bool", "int32", "int64", "float16", "float32", "float64", "bfloat16", "complex64", "complex128")


def sign(input):
    if isinstance(input, Tensor) and input._dtype not in _SIGN_DTYPES:  # MindSpore 2.10 refuses int8 / int16 / uints
        raise TypeError("For Primitive Sign, the type of input must be in {Bool, Int32, Int64, Float16, Float32, "
                        f"Float64, BFloat16, Complex64, Complex128}}, but got {input.dtype}.")
    if isinstance(input, Tensor) and input._dtype in _dt.COMPLEX:  # MindSpore 2.10: x / |x| (ops.sgn's); the engine
        return late.ops.sgn(input)  # op refuses complex
    out = _out(apply("sign", [input], {}))
    if isinstance(input, Tensor) and input._dtype in _dt.FLOAT:
        return select(binary("not_equal", input, input), _out(apply("zeros_like", [out], {})), out)
    return out


class Sign(Primitive):
    op = "sign"

    def __call__(self, input):  # noqa: A002
        return sign(input)


# -- MindSpore's n-ary sum and the 1.x name of Add
class AddN(Primitive):
    """AddN()(inputs): the elementwise sum of a tuple or list of tensors (broadcasting as add)."""

    op = "add"

    def __call__(self, x):  # MindSpore's name: the tuple or list of tensors
        if not isinstance(x, (list, tuple)) or not x:
            raise TypeError(f"AddN: expects a non-empty tuple or list of tensors, got {type(x).__name__}")
        out = x[0]
        for term in x[1:]:
            out = _run("add", [out, term], {})
        return out


def addn(x):
    """ops.addn(x): AddN()(x)."""
    return AddN()(x)


TensorAdd = CLASSES["Add"]

_OVERRIDES = {k: v for k, v in dict(globals()).items()
              if callable(v) and getattr(v, "__module__", None) == __name__ and not k.startswith("_")}
