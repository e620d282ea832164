"""Tensor, Parameter, ParameterTuple.

A Tensor is either concrete (holds a NumPy array: what you create and what calls return)
or symbolic (a value inside a trace: a name in the graph being built, with shape and dtype).
Operators on Tensors emit graph ops while tracing; on concrete Tensors outside a trace
they run on the service (one small graph per op).
"""
from __future__ import annotations

import copy as _copy
import itertools
import numbers
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _join_kinds, _private_arrays, _views
from . import dtype as _dt
from ._jit_forbidden import refuse
from ._late import late  # operators and methods run ops, bound by the layers above (see _late)
from ._misc import without_twin

_SUPPORTED = ("bool", "int32", "int64", "float16", "float32", "float64", "complex64", "complex128", "int8", "int16",
              "uint8", "uint16", "uint32", "uint64", "bfloat16")


def dtype_name(dt: np.dtype) -> str:
    """`dt.name`, remembered per dtype (dtype.name costs ~3-5 us: every Tensor made would pay it)."""
    name = _NAMES.get(dt)
    if name is None:
        name = _NAMES[dt] = dt.name
    return name


_NAMES: dict = {}
_SUPPORTED_SET = frozenset(_SUPPORTED)


def _as_dtype(data, name: str, from_tensor: bool = False) -> np.ndarray:
    """data in dtype `name`; complex data to a real dtype keeps the real part (MindSpore's
    tensor([1, 1+1j], int32) is [1 1]; NumPy refuses Python complex numbers there). To bool, complex Python /
    NumPy data is "nonzero" but a complex Tensor its real part's, as ops.cast (MindSpore 2.10: Tensor(Tensor(
    [-1j]), bool) is [False], Tensor([-1j], bool) [True])."""
    arr = data if isinstance(data, np.ndarray) else np.array(data)
    if arr.dtype.kind == "c" and name not in ("complex64", "complex128"):
        return (arr != 0) if name == "bool" and not from_tensor else np.real(arr).astype(name)
    try:
        return np.array(data, dtype=name)
    except OverflowError as e:
        if arr.dtype.kind in "iuf":  # Python ints past the dtype but within 64 bits wrap, as MindSpore 2.10 under
            with np.errstate(over="ignore", invalid="ignore"):  # its NumPy 1: Tensor([300, -1], int8) is [44, -1],
                return arr.astype(name)  # Tensor([2**63], int64) -2**63
        # past 64 bits (NumPy's object array): MindSpore 2.10's RuntimeError, "Cannot construct Tensor ..."
        raise RuntimeError(f"Cannot construct a Tensor of {name} from {str(data)[:80]}: {e}") from None


def _to_array(data, dtype) -> np.ndarray:
    from_tensor = isinstance(data, Tensor)
    if from_tensor:
        data = data._host_copy()
    if isinstance(data, (tuple, list)) and any(isinstance(x, Tensor) for x in data):
        data = [x._host_copy() if isinstance(x, Tensor) else x for x in data]
    if dtype is not None:
        return _as_dtype(data, _dt.to_name(dtype), from_tensor)
    was_array = isinstance(data, (np.ndarray, np.generic))
    try:
        arr = np.array(data)
    except ValueError:  # a ragged nesting ([[3], [4, 5]]): MindSpore 2.10's class and text
        arr = np.array(None)
    if isinstance(data, (list, tuple)) and arr.dtype.kind in "OUSV":
        raise TypeError(f"For Tensor, the input_data is {data} that contain unsupported element.")
    name = dtype_name(arr.dtype)
    if not was_array:  # Python numbers: MindSpore's defaults
        if arr.dtype.kind == "f":
            return arr.astype(np.float32)
        if arr.dtype.kind in "iu":
            return arr.astype(np.int64)
    if name in _SUPPORTED:
        return arr
    if arr.dtype.kind in "iu":  # (platform spellings: intc, longlong, ...)
        return arr.astype(np.int64 if arr.dtype.itemsize > 4 else np.int32)
    if arr.dtype.kind == "f":
        return arr.astype(np.float64 if arr.dtype.itemsize > 8 else np.float32)
    what = (f"because the element type '{type(arr.flat[0])}' of array is not supported" if arr.dtype.kind == "V"
            and arr.size else f"numpy array: {arr}, data type: {arr.dtype}")
    prefix = "initializing tensor by numpy array failed, " if was_array else ""  # (MindSpore 2.10's words)
    raise TypeError(f"{prefix}cannot make a Tensor of dtype {arr.dtype} ({what}); supported: {', '.join(_SUPPORTED)}")


def _fmt_scalar(v, dtype) -> str:
    """A 0-d value as MindSpore prints it: floats with 6 significant digits (%g)."""
    if dtype.kind == "f" or dtype.name == "bfloat16":  # (bfloat16's kind is V)
        return f"{v:g}"
    if dtype.kind == "b":
        return "True" if v else "False"
    if dtype.kind == "c":
        return _fmt_complex(v)
    return str(v)


def _fmt_complex(v) -> str:
    """MindSpore's form of a complex value: `1+2j`, `0+0.5j` (each part as %g)."""
    return f"{v.real:g}{v.imag:+g}j"


def _fmt_array(a: np.ndarray) -> str:
    """MindSpore's value form: `[ 1.00000000e+00, -2.00000000e+00]` (a sign column), rows on their own
    lines, more than 1000 elements summarised as `[a, b, c ... x, y, z]`."""
    text = np.array2string(a, separator=", ", max_line_width=sys.maxsize, threshold=1000, edgeitems=3,
                           formatter={"float_kind": lambda v: f"{v: .8e}", "complex_kind": _fmt_complex})
    return text.replace(", ..., ", " ... ").replace(",\n\n", ",\n")


def _fmt_bfloat16(a: np.ndarray, kind: str, separator: str, width: int) -> str:
    """MindSpore 2.10's bfloat16 text (checked in its venv): str '[1.500000 2.250000 -3.000000]' (each element
    '%f', none padded); the repr's value '[ 1.5, 2.25,   -3]' (each '%g', right-aligned to the widest shown).
    Summarised past 1000 elements as _fmt_array."""
    f = a.astype(np.float32)  # (exact: every bfloat16 is a float32)
    if a.ndim == 0:
        return f"{f.item():{kind}}"
    pad = 0
    if kind == "g":
        shown = f if f.size <= 1000 else f[np.ix_(*[np.r_[0:3, n - 3:n] if n > 6 else np.arange(n) for n in f.shape])]
        pad = max(len(f"{v:g}") for v in shown.reshape(-1).tolist())
    text = np.array2string(f, separator=separator, max_line_width=width, threshold=1000, edgeitems=3,
                           formatter={"float_kind": lambda v: f"{v:{kind}}".rjust(pad)})
    return text.replace(", ..., ", " ... ").replace(",\n\n", ",\n") if kind == "g" else text


def _no_out(out, name: str) -> None:
    if out is not None:
        raise TypeError(f"Tensor.{name}: out= is not supported (gradserve's Tensors are values)")



# operators whose sequence operand MindSpore 2.10 answers alike in a @jit graph (checked: ==, <, >=); `t * (u,)` it
# refuses in PyNative only (the graph multiplies), so a traced operand keeps the old path there
_GRAPH_SEQ_OPS = frozenset({"equal", "not_equal", "less", "greater", "greater_equal", "less_equal"})


def _seq_checked(op: str, x: "Tensor", other) -> bool:
    traced = x._data is None or any(isinstance(e, Tensor) and e._data is None for e in other)
    return op in _GRAPH_SEQ_OPS or not traced


def _unguarded(f):
    """An ops function without ops._seq_guard's sequence-operand check (Python's operators read sequences as
    MindSpore's do)."""
    return f.__wrapped__ if getattr(f, "_seq_guarded", False) else f

class Tensor:
    """`Tensor(input_data, dtype=None)`: MindSpore's constructor (Python floats default to float32)."""

    __array_priority__ = 1000  # numpy defers `ndarray * Tensor` to Tensor

    def __init__(self, input_data=None, dtype=None, shape=None, init=None, *, const_arg=False):
        if type(input_data) is np.ndarray and dtype is None and shape is None:  # (a loop's `Tensor(array)`)
            a = np.array(input_data)  # (_to_array's copy, its dtype kept where supported)
            name = dtype_name(a.dtype)
            if name in _SUPPORTED_SET:
                _private_arrays.seal(a)  # (no one else holds the copy: _shm need not compare it again)
                self._data, self._trace, self._name, self._shape, self._dtype = a, None, None, a.shape, name
                return
        if input_data is None:
            if shape is None and dtype is not None:  # Tensor(dtype=...): MindSpore's dynamic-rank placeholder
                self._dynamic((-2,), dtype)
                return
            if shape is None:
                raise ValueError("Tensor needs input_data or shape")
            if any(d is None or (isinstance(d, int) and d < 0) for d in shape):
                self._dynamic(shape, dtype)  # a placeholder for Cell.set_inputs: no values
                return
            if init is not None:  # Tensor(shape=..., dtype=..., init=One()): the initializer's values
                input_data = late.initializer(init, shape, dtype or _dt.float32)
            else:
                input_data = np.zeros(shape, dtype=_dt.to_name(dtype or _dt.float32))
        self._data = _to_array(input_data, dtype)
        if shape is not None and tuple(self._data.shape) != tuple(shape):
            self._data = np.broadcast_to(self._data, tuple(shape)).copy()
        self._trace: Any = None  # the Trace that made it (a traced value), else None
        self._name: Any = None  # its name in that trace
        self._shape = tuple(self._data.shape)
        self._dtype = dtype_name(self._data.dtype)

    def _dynamic(self, shape, dtype) -> None:
        """`Tensor(shape=[None, 3], dtype=...)`: shape -1 where unknown, no data (MindSpore's dynamic-shape
        placeholder, only for `Cell.set_inputs`); shape (-2,): any rank (MindSpore's dynamic rank)."""
        self._shape = tuple(-1 if d is None else int(d) for d in shape)
        self._dtype = _dt.to_name(dtype or _dt.float32)
        self._data = np.zeros([max(d, 0) for d in self._shape], dtype=self._dtype)
        self._trace = self._name = None

    @property
    def is_dynamic(self) -> bool:
        return any(d < 0 for d in self._shape)

    @classmethod
    def _symbolic(cls, trace, name: str, shape, dtype: str) -> "Tensor":
        t = cls.__new__(cls)
        t._data = None
        t._trace = trace
        t._name = name
        t._shape = tuple(int(s) for s in shape)
        t._dtype = dtype
        return t

    def _become(self, other: "Tensor") -> None:
        """Take other's value (its data, or its name in a trace) as this object's own: how an in-place
        method's result lands in the Tensor it was called on (ops/_inplace.py); shape and dtype match."""
        self._data, self._trace, self._name = other._data, other._trace, other._name

    def __deepcopy__(self, memo) -> "Tensor":
        """copy.deepcopy: a traced Tensor's copy is a new value of its trace (ops.deepcopy: copying the object
        would copy the trace itself); a concrete one's, as Python copies any object (its __dict__)."""
        if self._data is None:
            return late.ops.deepcopy(self)
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        new.__dict__.update(_copy.deepcopy(self.__dict__, memo))
        return new

    # -- data ---------------------------------------------------------------------------------
    @property
    def is_symbolic(self) -> bool:
        return self._data is None

    def _value(self) -> np.ndarray | None:
        """Its array: its data, or (a traced Tensor) its value in the call being traced where that is known
        (gradserve._value_reads: PyNative's read; the trace is then specialised on it); else None."""
        return self._data if self._data is not None else late.read_value(self)

    def _concrete(self, what: str) -> np.ndarray:
        value = self._value()
        if value is None:
            raise RuntimeError(f"{what} of a Tensor inside a trace (construct is compiled to a graph; its values "
                               "exist only on the service). Return the Tensor from construct instead.")
        return value

    def asnumpy(self) -> np.ndarray:
        """The Tensor's own array, as MindSpore 2.10's CPU asnumpy(): a write through it changes the Tensor (the
        array is released: gradserve._private_arrays); a PyNative view's (x[0], x.reshape(...): gradserve._views)
        is a copy there, its source's the storage they share. A traced Tensor's value read is a copy. The SDK's own
        reads go through _host_copy, which cannot be written through."""
        a = self._data
        if a is None:
            return self._concrete("asnumpy()").copy()
        shared = _views.own_array(self)  # (a view's: a copy; its source's: the storage, seen by its views)
        if shared is not None:
            _private_arrays.release(shared)
            return shared
        if not _private_arrays.handed_out(a):  # first an array of its own, the same value: no array an op made
            _private_arrays.release(a)  # viewing the old one sees writes; old released: frozen Parameters
            a = self._data = a.copy()  # look again
            _private_arrays.release(a)
        return a

    def _host_copy(self) -> np.ndarray:
        """Its value as a NumPy array of the SDK's own (a copy: writing into it leaves the Tensor unchanged)."""
        a = self._data  # (a concrete Tensor's, without _concrete's two calls: a loop reads every answer)
        return (a if a is not None else self._concrete("asnumpy()")).copy()

    def numpy(self) -> np.ndarray:
        """MindSpore 2.10's alias of asnumpy."""
        return self.asnumpy()

    def __array__(self, dtype=None, copy=None):
        a = self._concrete("np.asarray()")
        if dtype is not None:
            return a.astype(dtype)
        if copy:  # np.array(t): NumPy's protocol asks for a copy and trusts it (it copies no more)
            return a.copy()
        shared = _views.own_array(self)  # (a view's: a copy; its source's: the storage, seen by its views)
        if shared is not None:
            _private_arrays.release(shared)
            return shared
        # (no copy, a result viewing its shared memory region too; the caller may write into it: released. A view
        # of it another Tensor made before is not copied: asnumpy() is the way to an array of its own)
        _private_arrays.release(a)
        return a

    def item(self, index=None):
        a = self._concrete("item()")
        return a.item() if index is None else a.item(index)

    def tolist(self):
        return self._concrete("tolist()").tolist()

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def dtype(self) -> _dt.Type:
        return _dt.get(self._dtype)

    @property
    def ndim(self) -> int:
        return len(self._shape)

    def dim(self) -> int:
        """the number of dimensions (Tensor.ndim)."""
        return len(self._shape)

    @property
    def size(self) -> int:
        return int(np.prod(self._shape, dtype=np.int64)) if self._shape else 1

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("Not support len of a 0-D tensor")  # (MindSpore 2.10's text; a graph's ends in ".")
        return self._shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __contains__(self, element) -> bool:
        """MindSpore's `in`: a number or Tensor equal to some element (broadcast, as `==`); anything else, a
        list included, is not in (Python's fallback through __iter__ found [1] in Tensor([1, 2]) and failed
        on a Tensor of two elements)."""
        if isinstance(element, (Tensor, numbers.Number)):
            return bool((self == element).any())
        return False

    def __bool__(self) -> bool:
        if self._data is None:  # an `if` on a traced value: the trace explores both answers
            v = late.decide(self)
            if v is not None:
                return v
        return bool(self._concrete("bool() (Python control flow on a traced value)"))

    def _one(self, what: str) -> np.ndarray:
        """Its single element, of any shape ([3] too, as MindSpore 2.10 takes it)."""
        a = self._concrete(what)
        if a.size != 1:
            raise ValueError("Only one element tensors can be converted to Python scalars")
        return a.reshape(())

    def __float__(self) -> float:
        return float(self._one("float()"))

    def __int__(self) -> int:
        if "_join_kinds" in self.__dict__:
            _join_kinds.refuse_op_read(self)
        return int(self._one("int()"))

    def __index__(self) -> int:
        if "_join_kinds" in self.__dict__:
            _join_kinds.refuse_op_read(self)
        integer = self._dtype == "bool" or self._dtype.startswith(("int", "uint"))  # (not bfloat16)
        if not integer or self.size != 1:  # (MindSpore 2.10's message, for both)
            raise ValueError("Only integer tensors of a single element can be converted to an index.")
        return int(self._one("int()"))

    __hash__ = object.__hash__

    # -- printing (MindSpore's forms) ------------------------------------------------------------
    def __str__(self) -> str:
        # A traced Tensor prints its value in this call where that is known (MindSpore's PyNative, and its
        # GRAPH_MODE JIT Fallback: `"{}".format(x)` in construct is the value's text); else its trace name
        a = self._value()
        if a is None:
            return repr(self)
        if self._dtype == "bfloat16":  # MindSpore's own bfloat16 NumPy type: each element '%f', no padding
            return _fmt_bfloat16(a, "f", " ", 75)
        return str(a)  # MindSpore's str(self.asnumpy()): a 0-d float32 1.12 is '1.1199999', not .item()'s digits

    def _value_str(self) -> str:
        a = self._data
        if a.ndim == 0:
            return " " + _fmt_scalar(a.item(), a.dtype)
        if a.size == 0:
            return "\n"
        text = _fmt_bfloat16(a, "g", ", ", sys.maxsize) if self._dtype == "bfloat16" else _fmt_array(a)
        return ("\n" if a.ndim > 1 else " ") + text

    def __repr__(self) -> str:
        shape = list(self._shape)
        if self._data is None:
            return f"Tensor(shape={shape}, dtype={self.dtype}, traced={self._name})"
        return f"Tensor(shape={shape}, dtype={self.dtype}, value={self._value_str()})"

    # -- conversions and methods ---------------------------------------------------------------------
    def astype(self, dtype) -> "Tensor":
        return late.ops.cast(self, dtype)

    def set_dtype(self, dtype) -> _dt.Type:
        """MindSpore 2.10's: its values cast to dtype in place (float to int truncates, as astype); returns
        dtype."""
        new = self.astype(dtype)
        self._become(new)
        self._dtype = new._dtype
        return _dt.get(self._dtype)

    def reshape(self, *shape) -> "Tensor":
        packed = len(shape) == 1 and isinstance(shape[0], (tuple, list))
        if packed:
            shape = tuple(shape[0])
        for i, s in enumerate(shape):  # (int() would truncate 1.1 to 1 silently)
            if isinstance(s, (bool, float, np.floating)):
                raise TypeError(f"reshape(): argument 'shape' (position {1 if packed else i + 1}) must be tuple "
                                f"of int, not {type(s).__name__}.")
        return late.ops.reshape(self, shape)

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    if TYPE_CHECKING:  # set below from ops/_tensor_sig.py (MindSpore's overloaded calling forms)
        def sum(self, *args: Any, **kwargs: Any) -> "Tensor": ...
        def prod(self, *args: Any, **kwargs: Any) -> "Tensor": ...
        def mean(self, *args: Any, **kwargs: Any) -> "Tensor": ...
        def var(self, *args: Any, **kwargs: Any) -> "Tensor": ...
        def std(self, *args: Any, **kwargs: Any) -> "Tensor": ...
        def argmax(self, *args: Any, **kwargs: Any) -> "Tensor": ...
        def argmin(self, *args: Any, **kwargs: Any) -> "Tensor": ...
        def cumsum(self, *args: Any, **kwargs: Any) -> "Tensor": ...
        def flip(self, *args: Any, **kwargs: Any) -> "Tensor": ...
        def squeeze(self, *args: Any, **kwargs: Any) -> "Tensor": ...
        def unsqueeze(self, dim: int) -> "Tensor": ...
        def transpose(self, *args: Any) -> "Tensor": ...
        def view(self, *shape: Any) -> "Tensor": ...
        def repeat(self, *repeats: Any) -> "Tensor": ...
        def gather(self, *args: Any, **kwargs: Any) -> "Tensor": ...
        def index_select(self, *args: Any, **kwargs: Any) -> "Tensor": ...
        def max(self, *args: Any, **kwargs: Any) -> Any: ...  # a Tensor, or (values, indices)
        def min(self, *args: Any, **kwargs: Any) -> Any: ...
        def sort(self, *args: Any, **kwargs: Any) -> tuple["Tensor", "Tensor"]: ...
        def topk(self, k: int, *args: Any, **kwargs: Any) -> tuple["Tensor", "Tensor"]: ...

    def expand_dims(self, axis: int) -> "Tensor":
        return late.ops.expand_dims(self, axis)

    def to_coo(self):
        """The COOTensor of the nonzero elements (the pattern read from the values: gradserve._sparse)."""
        return late.sparse.dense_to_coo(self)

    def to_csr(self):
        """The CSRTensor of the nonzero elements of a 2-D Tensor (see to_coo)."""
        return late.sparse.dense_to_csr(self)

    def abs(self) -> "Tensor":
        return late.ops.abs(self)

    def exp(self) -> "Tensor":
        return late.ops.exp(self)

    # complex parts (MindSpore's Tensor methods; of a real tensor: itself, zeros, itself)
    def real(self) -> "Tensor":
        return late.ops.real(self)

    def imag(self) -> "Tensor":
        return late.ops.imag(self)

    def conj(self) -> "Tensor":
        return late.ops.conj(self)

    def angle(self) -> "Tensor":
        return late.ops.angle(self)

    def is_complex(self) -> bool:
        return self._dtype in _dt.COMPLEX

    def is_signed(self) -> bool:
        """MindSpore 2.10's answer (its venv): signed integers, float32 / float64 and complex; not unsigned
        integers, bool, nor float16 (its signed-type list leaves float16 out)."""
        return self._dtype.startswith("int") or self._dtype in ("float32", "float64") or self._dtype in _dt.COMPLEX

    def log(self) -> "Tensor":
        return late.ops.log(self)

    def square(self) -> "Tensor":
        return late.ops.square(self)

    def sqrt(self) -> "Tensor":
        return late.ops.sqrt(self)

    def tanh(self) -> "Tensor":
        return late.ops.tanh(self)

    def sin(self) -> "Tensor":
        return late.ops.sin(self)

    def cos(self) -> "Tensor":
        return late.ops.cos(self)

    # out / keepdims: the keywords numpy.all / numpy.any pass when given a Tensor (np.all(x) calls x.all)
    # dim / keepdim: MindSpore 2.10's second form (mint's names)
    def all(self, axis=None, keep_dims=False, *, out=None, keepdims=None, dim=None, keepdim=None) -> "Tensor":
        _no_out(out, "all")
        if not isinstance(self, Tensor):  # Tensor.all(1): MindSpore 2.10's TypeError
            raise TypeError(f"Tensor.all(): argument 'input' must be Tensor, not {type(self).__name__}")
        keep = next((k for k in (keepdims, keepdim) if k is not None), keep_dims)
        return late.ops.all(self, axis if dim is None else dim, keep)

    def any(self, axis=None, keep_dims=False, *, out=None, keepdims=None, dim=None, keepdim=None) -> "Tensor":
        _no_out(out, "any")
        if not isinstance(self, Tensor):  # Tensor.any(1): MindSpore 2.10's TypeError
            raise TypeError(f"Tensor.any(): argument 'input' must be Tensor, not {type(self).__name__}")
        keep = next((k for k in (keepdims, keepdim) if k is not None), keep_dims)
        return late.ops.any(self, axis if dim is None else dim, keep)

    # -- operators -----------------------------------------------------------------------------
    def _bin(self, op, other, reverse=False):
        if not isinstance(other, (Tensor, numbers.Number, np.ndarray, np.generic, list, tuple)):
            if isinstance(other, str) and op in ("add", "sub", "mul"):  # (MindSpore 2.10's text, either side)
                name = op.capitalize()
                raise TypeError(f'Failed calling {name} with "{name}()(input=Tensor, other=string)".\nThe valid '
                                f'calling should be: \n"{name}()(input=<Number, Tensor>, other=<Number, Tensor>)".')
            return NotImplemented
        if op == "sub" and not reverse and self._dtype == "bool" and _is_bool(other):
            return late.ops.logical_xor(self, other)  # MindSpore 2.10: bool - bool is bool (the difference's truth)
        if op == "mul" and isinstance(other, (list, tuple)) and self._data is None and (
                "_join_kinds" in self.__dict__ or getattr(self, "_py_number", None)):
            return _join_kinds.repeat(other, self)  # ([x] * y, y joined by an `if`: a sequence by path)
        if isinstance(other, (list, tuple)) and _seq_checked(op, self, other):
            seq = late.seq_operator(op, self, other, reverse)  # MindSpore 2.10's answer (_seq_operands)
            if seq is not NotImplemented:
                return seq
        if op in ("mul", "div"):  # MindSpore 2.10 gives a mutable() number no gradient through these
            other = without_twin(other)
        out = late.binary(op, other, self) if reverse else late.binary(op, self, other)
        if "_join_kinds" in self.__dict__ or "_join_kinds" in getattr(other, "__dict__", ()):
            out = _join_kinds.carry(op, out, *((other, self) if reverse else (self, other)))
        return out

    def __add__(self, o): return self._bin("add", o)
    def __radd__(self, o): return self._bin("add", o, True)
    def __sub__(self, o): return self._bin("sub", o)
    def __rsub__(self, o): return self._bin("sub", o, True)
    def __mul__(self, o): return self._bin("mul", o)
    def __rmul__(self, o): return self._bin("mul", o, True)
    def __truediv__(self, o): return self._bin("div", o)
    def __rtruediv__(self, o): return self._bin("div", o, True)
    def __pow__(self, o): return self._bin("pow", o)
    def __rpow__(self, o): return self._bin("pow", o, True)
    def __lt__(self, o): return self._bin("less", o)
    def __le__(self, o): return self._bin("less_equal", o)
    def __gt__(self, o): return self._bin("greater", o)
    def __ge__(self, o): return self._bin("greater_equal", o)
    def __eq__(self, o): return self._bin("equal", o)  # noqa: E704 - elementwise, as in MindSpore
    def __ne__(self, o): return self._bin("not_equal", o)
    # &, |, ^: bitwise on integer tensors, logical otherwise (bool masks); ~ is logical_not on every dtype, as
    # MindSpore 2.10's (~ of an int tensor is a bool tensor there: invert / bitwise_not are the bitwise ones)
    def __and__(self, o): return self._bitwise("bitwise_and", "logical_and", o)
    def __or__(self, o): return self._bitwise("bitwise_or", "logical_or", o)
    def __xor__(self, o): return self._bitwise("bitwise_xor", "not_equal", o)
    # number & Tensor: MindSpore 2.10's graphs (a GRAPH_MODE construct, a jit function) compute it; its
    # PyNative Tensor has no reflected form (Python's TypeError: unsupported operand type(s) for &)
    def __rand__(self, o): return self._reflected_bitwise("bitwise_and", "logical_and", o)
    def __ror__(self, o): return self._reflected_bitwise("bitwise_or", "logical_or", o)
    def __rxor__(self, o): return self._reflected_bitwise("bitwise_xor", "not_equal", o)

    def _reflected_bitwise(self, int_op: str, bool_op: str, o):
        if not late.ops._reduce_ms.graph_syntax():
            return NotImplemented
        return self._bitwise(int_op, bool_op, o, True)

    def _bitwise(self, int_op: str, bool_op: str, o, reverse: bool = False):
        """A bool Tensor with an integer (a Python int: int64; an int Tensor: its dtype) is that integer type's
        bitwise op, as MindSpore 2.10's (b | 1 -> Int64 [1, 1, 1]; b ^ 2 -> [3, 2, 3]; b | int32 -> Int32), and an
        int Tensor with a bool one casts the bool; bool with bool (or True / False) stays logical."""
        other_int = isinstance(o, Tensor) and o._int() or isinstance(o, (int, np.integer)) and not isinstance(o, bool)
        if self._dtype == "bool" and other_int:
            return late.ops.cast(self, o._dtype if isinstance(o, Tensor) else "int64")._bin(int_op, o, reverse)
        if self._int() and isinstance(o, Tensor) and o._dtype == "bool":
            o = late.ops.cast(o, self._dtype)
        return self._bin(int_op if self._int() else bool_op, o, reverse)

    def _int(self) -> bool:
        return self._dtype.startswith(("int", "uint"))

    # `t // (u,)` reads the tuple as a tensor in MindSpore 2.10 where ops.floor_div(t, (u,)) refuses it: the operator
    # calls the function under ops._seq_guard's check
    def __floordiv__(self, o):
        return _unguarded(late.ops.floor_div)(self, without_twin(o))

    def __rfloordiv__(self, o):
        return _unguarded(late.ops.floor_div)(without_twin(o), self)

    def __mod__(self, o):
        if isinstance(o, (list, tuple)) and _seq_checked("floor_mod", self, o):
            late.seq_operator("floor_mod", self, o, False)  # MindSpore 2.10's TypeError (_seq_operands)
        return late.ops.floor_mod(self, without_twin(o))

    def __rmod__(self, o):
        return late.ops.floor_mod(without_twin(o), self)

    def __matmul__(self, o):
        return late.ops.matmul(self, o)

    def __rmatmul__(self, o):
        return late.ops.matmul(o, self)

    def __neg__(self):
        _join_kinds.refuse_neg(self)
        return late.ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return late.ops.abs(self)

    def __invert__(self):
        return late.ops.logical_not(self)

    def __getitem__(self, index) -> Any:  # (Any: item writes go through the Tensor __setitem__ bound later)
        out = late.getitem(self, index)
        if type(out) is Tensor and out._data is not None and not is_view(self) and \
                _strided_view(self._shape, index):
            # is_contiguous() False, as MindSpore 2.10's PyNative view. Not _gs_view (a transpose's): that one
            # goes into a Cell's trace and makes the call uncached, which a loop over x[:, i] would pay each call
            out.__dict__["_gs_strided"] = True
        return out


def is_view(t: "Tensor") -> bool:
    """Whether t is a PyNative strided view (a transposing transpose's or a strided basic index's result)."""
    d = t.__dict__
    return bool(d.get("_gs_view") or d.get("_gs_strided"))


def _strided_view(shape: tuple, index) -> bool:
    """Whether basic indexing (ints, slices, ..., None) of a C-contiguous array of `shape` gives a non-contiguous
    view (x[:, 1], x[:, ::2]: MindSpore 2.10's is_contiguous() False; x[0], x[1:] True). Asked of NumPy on a
    strided stand-in that holds no data (basic indexing reads none); any other index: a copy, contiguous."""
    parts = index if type(index) is tuple else (index,)
    if not all(p is None or p is Ellipsis or type(p) in (int, slice) for p in parts):
        return False
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(int(n), 1)
    stand_in = np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), shape=tuple(int(n) for n in shape),
                                               strides=tuple(reversed(strides)))
    try:
        return not stand_in[index].flags.c_contiguous
    except (IndexError, TypeError, ValueError):
        return False


def _is_bool(v) -> bool:
    return isinstance(v, (bool, np.bool_)) or isinstance(v, Tensor) and v._dtype == "bool"


def _arith_method(name: str, op: str):
    """Tensor.add / .sub / .mul / .div / .pow: the operator's op (and its mutable() rule), as a method."""
    def method(self, other, *, alpha=1):
        if isinstance(alpha, (bool, np.bool_)) or alpha != 1:  # self +- alpha * other (MindSpore 2.10's AddExt)
            if op not in ("add", "sub"):
                raise TypeError(f"Tensor.{name}() got an unexpected keyword argument 'alpha'")
            return getattr(late.ops._alpha_arith, f"{op}_ext")(self, other, alpha)
        if op == "mul" and isinstance(other, (list, tuple)):  # refused in a @jit graph too (MindSpore 2.10), unlike `*`
            late.seq_operator("mul", self, other, False)
        out = self._bin(op, other)
        if out is NotImplemented:
            raise TypeError(f"Tensor.{name}: unsupported operand type {type(other).__name__}")
        return out
    method.__name__ = name
    return method


def _ops_method(name: str, op: str):
    """Tensor.<name>(*args) = ops.<op>(self, *args), as MindSpore's Tensor methods are."""
    def method(self, *args, **kwargs):
        return getattr(late.ops, op)(self, *args, **kwargs)
    method.__name__, method.__doc__ = name, f"ops.{op}(self, ...)"
    return method


def _sig_method(name: str):
    """Tensor.<name>(*args): MindSpore 2.10's overloaded calling forms, settled in ops/_tensor_sig.py."""
    def method(self, *args, **kwargs):
        return getattr(late.ops._tensor_sig, name)(self, *args, **kwargs)
    method.__name__, method.__doc__ = name, f"MindSpore's Tensor.{name} (its calling forms: ops/_tensor_sig.py)"
    return method


# sum, mean, max, min, argmax, sort, topk, cumsum, std, var, squeeze, transpose, view, gather, ...
for _name in ("argmax", "argmin", "max", "min", "sort", "topk", "cumsum", "flip", "var", "std", "squeeze",
              "transpose", "view", "repeat", "gather", "index_select", "sum", "mean", "unsqueeze", "split", "dot",
              "prod", "narrow", "expand"):
    setattr(Tensor, _name, _sig_method(_name))
for _name, _op in (("add", "add"), ("sub", "sub"), ("subtract", "sub"), ("mul", "mul"), ("multiply", "mul"),
                   ("pow", "pow"), ("bitwise_and", "bitwise_and"), ("bitwise_or", "bitwise_or"),
                   ("bitwise_xor", "bitwise_xor")):  # a Python int takes the tensor's dtype, as with & | ^
    setattr(Tensor, _name, _arith_method(_name, _op))
# MindSpore 2.10 Tensor methods that are the op of the same (or an aliased) name with self first.
for _name, _op in (*((n, n) for n in (
        "clamp", "xlogy", "atan2", "lerp", "true_divide", "maximum", "minimum", "acos", "acosh", "asin",
        "asinh", "atan", "atanh", "cosh", "sinh", "tan", "erf", "expm1", "log1p", "reciprocal", "rsqrt",
        "sigmoid", "sign", "neg", "ceil", "trunc", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
        "logical_and", "logical_or", "logical_not", "matmul", "floor", "tile", "broadcast_to", "amax", "amin",
        "logsumexp", "norm", "softmax", "trace", "tril", "triu", "roll", "swapaxes",
        "moveaxis", "movedim", "unbind", "chunk", "masked_fill", "gather_elements", "outer", "inner",
        "diff", "hypot", "logit", "kron", "addmm", "addmv", "baddbmm", "bmm", "mv", "ger", "cross", "cumprod",
        "tensor_split", "hsplit", "vsplit", "dsplit",
        "fill_diagonal")),
        ("clip", "clamp"), ("arctan2", "atan2"), ("negative", "neg"), ("absolute", "abs"), ("arcsin", "asin"),
        ("arccos", "acos"), ("arctan", "atan"), ("arcsinh", "asinh"), ("arccosh", "acosh"), ("arctanh", "atanh"),
        ("eq", "equal"), ("ne", "not_equal"), ("gt", "greater"), ("ge", "greater_equal"), ("lt", "less"),
        ("le", "less_equal")):
    setattr(Tensor, _name, _ops_method(_name, _op))
for _name in ("isneginf", "isposinf", "isinf", "isnan", "isfinite", "logaddexp", "logaddexp2", "logdet", "cov",
              "masked_select", "sgn", "t", "copy", "unique_consecutive"):
    setattr(Tensor, _name, _ops_method(_name, _name))
setattr(Tensor, "bitwise_not", _ops_method("bitwise_not", "bitwise_not"))
setattr(Tensor, "bitwise_left_shift", _ops_method("bitwise_left_shift", "bitwise_left_shift"))
setattr(Tensor, "bitwise_right_shift", _ops_method("bitwise_right_shift", "bitwise_right_shift"))
setattr(Tensor, "msort", _ops_method("msort", "msort"))  # (MindSpore 2.10 has Tensor.msort)
for _name in ("nanmedian", "aminmax", "float_power", "positive", "fmod", "det"):
    setattr(Tensor, _name, _ops_method(_name, _name))


def _diagonal(self, offset=0, axis1=0, axis2=1):
    """Tensor.diagonal(offset=0, axis1=0, axis2=1): MindSpore 2.10's method spells the axes axis1 / axis2 (dim1= is
    a TypeError there); ops.diagonal spells them dim1 / dim2."""
    return late.ops.diagonal(self, offset, axis1, axis2)


_diagonal.__name__, _diagonal.__qualname__ = "diagonal", "Tensor.diagonal"  # (as Python's argument errors name it)


def _median(self, *args, **kwargs):
    """Tensor.median(axis=-1, keepdims=False) / (dim=, keepdim=): (values, indices), ops/_median.py."""
    return late.ops._median.tensor_median(self, *args, **kwargs)


def _nansum(self, *args, **kwargs):
    """Tensor.nansum(axis=None, keepdims=False, *, dtype=None) / (dim=, keepdim=, dtype=)."""
    return late.ops._median.tensor_nansum(self, *args, **kwargs)


def _round(self, decimals=0):
    """Tensor.round(decimals=0): half to even, at `decimals` places (scaled by 10**decimals)."""
    if not decimals:
        return late.ops.round(self)
    scale = 10.0 ** int(decimals)
    return late.ops.div(late.ops.round(late.ops.mul(self, scale)), scale)


def _set_const_arg(self, const_arg=True):
    """Tensor.set_const_arg(const_arg=True): MindSpore compiles a const_arg Tensor's values into the graph; here
    every Tensor argument is a graph input, which gives the same values and gradients: nothing to change."""
    refuse("Tensor", "set_const_arg")  # (in a program's graph: MindSpore's refusal)
    return self


for _name, _method in (("median", _median), ("nansum", _nansum), ("round", _round), ("set_const_arg", _set_const_arg),
                       ("diagonal", _diagonal)):
    setattr(Tensor, _name, _method)
setattr(Tensor, "to", _ops_method("to", "cast"))  # Tensor.to(dtype)
def _cast_method(name: str, dtype: str):
    def method(self):
        return late.ops.cast(self, dtype)
    method.__name__, method.__doc__ = name, f"this tensor as {dtype}"
    return method


for _name, _dtype in (("half", "float16"), ("float", "float32"), ("double", "float64"), ("short", "int16"),
                      ("int", "int32"), ("long", "int64"), ("bool", "bool"), ("byte", "uint8"), ("bfloat16", "bfloat16")):
    setattr(Tensor, _name, _cast_method(_name, _dtype))


def _type(self, dtype=None):
    """Tensor.type(dtype=None): without dtype the dtype's name ('Float32'), else this tensor cast to dtype."""
    return str(self.dtype) if dtype is None else late.ops.cast(self, dtype)


def _flatten(self, *args, order="C", start_dim=0, end_dim=-1):
    """Tensor.flatten(start_dim=0, end_dim=-1) or flatten(order='C', *, start_dim=0, end_dim=-1) (MindSpore
    2.10's two forms; a Tensor flattens from axis 0, ops.flatten from axis 1). order 'F' reverses the axes
    first (a whole flatten only)."""
    if args and isinstance(args[0], str):
        order, args = args[0], args[1:]
    if len(args) > 2:
        raise TypeError(f"Tensor.flatten takes at most start_dim and end_dim, got {len(args)} positional arguments")
    late.ops._tensor_sig._refuse_bool_call("flatten", args, {}, (0, 1))  # (a bool: MindSpore 2.10's TypeError)
    if len(args) >= 1:
        start_dim = args[0]
    if len(args) == 2:
        end_dim = args[1]
    if not isinstance(order, str):  # MindSpore 2.10: a TypeError (no overload takes it), a bad string a ValueError
        raise TypeError(f'Failed calling flatten with "flatten(order={type(order).__name__})": order must be a '
                        f"string 'C' or 'F'")
    if order not in ("C", "F"):
        raise ValueError(f"For Tensor.flatten, the parameter 'order' must be 'C' or 'F', but got {order!r}")
    x = self
    if order == "F" and self.ndim > 1:
        if (start_dim % self.ndim, end_dim % self.ndim) != (0, self.ndim - 1):
            raise ValueError("Tensor.flatten: order 'F' flattens all axes only (start_dim 0, end_dim -1)")
        x = late.ops.transpose(self, tuple(range(self.ndim - 1, -1, -1)))
    return late.ops._extra.flatten_dims(x, start_dim, end_dim)


def _div(self, other, *, rounding_mode=None):
    """Tensor.div(other, *, rounding_mode=None): true division, or 'floor' / 'trunc' of the quotient."""
    if rounding_mode is None:
        return _arith_method("div", "div")(self, other)
    return late.ops._tensor_forms.div_rounding(self, other, rounding_mode)


setattr(Tensor, "type", _type)
setattr(Tensor, "flatten", _flatten)
setattr(Tensor, "div", _div)
setattr(Tensor, "divide", _div)
setattr(Tensor, "mT", property(lambda self: late.ops.swapaxes(self, -1, -2),
                               doc="the last two axes swapped (a batch of matrices transposed)"))
setattr(Tensor, "clone", _ops_method("clone", "copy"))
setattr(Tensor, "numel", lambda self: self.size)
setattr(Tensor, "nelement", lambda self: self.size)
setattr(Tensor, "floor_divide", _ops_method("floor_divide", "floor_div"))
setattr(Tensor, "type_as", lambda self, other: late.ops.cast(self, other.dtype))


def _new_filled(name: str, value: float):
    def method(self, size, dtype=None):
        size = (size,) if isinstance(size, int) else tuple(size)
        return late.ops.fill(dtype if dtype is not None else self.dtype, size, value)
    method.__name__ = name
    method.__doc__ = f"Tensor.{name}(size, dtype=None): {value:g}s of size, in dtype or this tensor's."
    return method


setattr(Tensor, "new_zeros", _new_filled("new_zeros", 0.0))
setattr(Tensor, "new_ones", _new_filled("new_ones", 1.0))


def _index_add(self, dim=None, index=None, source=None, *, alpha=1, axis=None, use_lock=True,
               check_index_bound=True):
    """Tensor.index_add(dim, index, source, *, alpha=1): ops.index_add(self, index, alpha * source, dim), or
    MindSpore 2.10's first form index_add(indices, y, axis, use_lock=True, check_index_bound=True).
    MindSpore 2.10 also writes the result into self: ops.index_add does for a Parameter, not for a plain
    Tensor (gradserve's Tensors are values)."""
    if axis is not None or isinstance(dim, Tensor):  # (indices, y, axis): the first form
        dim, index, source = (axis if axis is not None else source), dim, index
    return late.ops.index_add(self, index, source if alpha == 1 else late.ops.mul(source, alpha), dim)


setattr(Tensor, "index_add", _index_add)


thaws = [0]  # how many Parameters have changed value for the first time (a Parameter's _version left 0)
# how many times a Parameter took another shape (set_data): part of every trace's cache key, since a trace holds
# its Parameters' shapes
param_reshapes = [0]


_UNNAMED = itertools.count(1)  # the numbers of Parameters made without a name (MindSpore: "Parameter#1", ...)


def is_generated_name(name) -> bool:
    """Whether a Parameter's name is one made for it (it was given none), MindSpore's _is_parameter_generated."""
    return isinstance(name, str) and name.startswith("Parameter#")


class Parameter(Tensor):
    """A trainable tensor with a name (`Parameter(Tensor(...), name='z')`). Its value travels with the graph."""

    def __init__(self, default_input, name: str | None = None, requires_grad: bool = True, layerwise_parallel=False):
        if isinstance(default_input, (bool, np.bool_)):
            raise ValueError("Parameter data can not be `bool`")  # (MindSpore 2.10's text)
        if type(default_input) is int:  # MindSpore 2.10: an int32 Parameter (Tensor(-4) is int64); wraps as a cast
            default_input = np.asarray(default_input).astype(np.int32)
        super().__init__(default_input)
        self._own_array()
        self.name = name if name is not None else f"Parameter#{next(_UNNAMED)}"  # MindSpore's generated names
        self._auto_name = name is None
        self.requires_grad = requires_grad
        self._version = 0

    def _own_array(self) -> None:
        """Its array sealed (gradserve._private_arrays): while it stays so, no NumPy write can have changed the
        value a registered graph holds. Tensor.__init__ made the array (a copy of what it was given: NumPy's
        np.array copies), so no one else holds it; one viewing other memory would be copied."""
        a = self._data
        if a is not None and not _private_arrays.sealed(a):
            a = a if a.base is None else a.copy()
            _private_arrays.seal(a, any_size=True)
            self._data = a

    def __deepcopy__(self, memo) -> "Tensor":
        new = super().__deepcopy__(memo)
        if isinstance(new, Parameter):  # (a copied Cell's Parameter: its copied array is its own too)
            new._own_array()
        return new

    def set_data(self, data, slice_shape=False) -> "Parameter":
        """MindSpore 2.10: data cast to the Parameter's dtype; another shape becomes the Parameter's (its set_data
        checks no shape, slice_shape or not)."""
        refuse("Parameter", "set_data")  # (in a program's graph: MindSpore's refusal)
        arr = _to_array(data, self._dtype)
        if arr.shape != self._shape:
            self._shape = tuple(arr.shape)
            param_reshapes[0] += 1
        if arr is not data and arr.base is None:  # (a copy of its own: a loaded checkpoint's weights, sent unchanged)
            _private_arrays.seal(arr)
        self._data = arr
        self._bump()
        return self

    def assign_value(self, value) -> "Parameter":
        refuse("Parameter", "assign_value")
        return self.set_data(value)

    def set_dtype(self, dtype) -> _dt.Type:
        """Its values cast to dtype in place; returns dtype (MindSpore 2.10's Parameter.set_dtype)."""
        name = _dt.to_name(dtype)
        self._data = _to_array(self._data.astype(_dt.get(name).np), name)
        self._dtype = name
        self._bump()
        return _dt.get(name)

    def _assign(self, arr: np.ndarray) -> None:
        """set_data for a new array made for this parameter (the optimizers' update): kept as it is,
        without set_data's conversion and copy (~6 us a parameter) when dtype and shape already match."""
        if type(arr) is not np.ndarray:  # (a 0-d parameter's update: NumPy's scalar, which the wire took for a float)
            arr = np.asarray(arr)
        if arr.shape != self._shape:  # (an update of another shape is a bug of its maker: set_data would take it)
            raise ValueError(f"Parameter {self.name!r}: an update of shape {list(arr.shape)} for its shape "
                             f"{list(self._shape)}")
        if arr.dtype != self._dtype:
            self.set_data(arr)
            return
        self._data = arr
        self._bump()

    def _bump(self) -> None:
        """A new value: the version counts up; a first change also counts in `thaws` (programs watch that
        count instead of every Parameter's version, gradserve._trace.Program)."""
        if self._version == 0:
            thaws[0] += 1
        self._version += 1

    @property
    def data(self) -> "Parameter":
        return self

    def value(self) -> "Parameter":
        return self

    def __repr__(self) -> str:
        return (f"Parameter (name={self.name}, shape={tuple(self._shape)}, dtype={self.dtype}, "
                f"requires_grad={self.requires_grad})")

    __str__ = __repr__  # (MindSpore 2.10: str(p) and print(p) of a Parameter are its repr, not its values)


_views.UNLINKED = (Parameter,)


class ParameterTuple(tuple):
    """A tuple of Parameters (what `GradOperation(get_by_list=True)` differentiates)."""

    def __new__(cls, iterable=()):
        items = tuple(iterable)
        for p in items:
            if not isinstance(p, Parameter):
                raise TypeError(f"ParameterTuple holds Parameters, got {type(p).__name__}")
        seen: dict = {}
        for p in items:  # MindSpore 2.10: two Parameter objects of one name in a tuple are refused (one twice is not)
            if seen.setdefault(p.name, p) is not p:
                raise ValueError(f"The value {p!r} , its name '{p.name}' already exists. Please set a unique name "
                                 "for the parameter.")
        return super().__new__(cls, items)

    def clone(self, prefix: str, init="same") -> "ParameterTuple":
        """New Parameters named `prefix.<name>`, each of its Parameter's shape, dtype and requires_grad: a copy
        of its data (init 'same'), or init (an initializer name, a number, a Tensor) in that shape and dtype
        (what MindSpore's optimizers build their moments with: `params.clone(prefix="m", init="zeros")`)."""
        import re

        if not isinstance(prefix, str):
            raise TypeError(f"expected string or bytes-like object, got '{type(prefix).__name__}'")
        if not re.match(r"^\w+[0-9a-zA-Z_.]*$", prefix, re.ASCII):
            raise ValueError(f"The '{prefix}' is illegal, it must be match regular'^\\w+[0-9a-zA-Z\\_\\.]*$' "
                             "by flags're.ASCII.'")
        out = []
        for p in self:
            if isinstance(init, str) and init == "same":
                data = Tensor(np.array(p._host_copy()))
            elif isinstance(init, Tensor):
                data = Tensor(np.broadcast_to(init._host_copy(), p.shape).astype(p._host_copy().dtype))
            elif isinstance(init, (int, float)) and not isinstance(init, bool):
                data = Tensor(np.full(p.shape, init, p._host_copy().dtype))
            else:
                data = late.initializer(init, p.shape, p.dtype)  # (common.initializer: a layer up)
            out.append(Parameter(data, name=f"{prefix}.{p.name}", requires_grad=p.requires_grad))
        return ParameterTuple(out)
