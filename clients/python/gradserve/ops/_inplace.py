"""MindSpore's in-place Tensor methods (`x.add_(y)`, `x.zero_()`, `x.fill_(v)`, `x.copy_(src)`, ...) and item
assignment (`x[idx] = v`, so also `x[idx] += v`).

gradserve's values are immutable, so an in-place method computes the new value with the functional op and
rebinds the Tensor object to it: later reads of the same object (and the method's result, which is the
object itself) see the new value, in PyNative and inside a traced construct / jit / grad. Inside a trace the
object then names the new traced value, so a derivative flows through the in-place op as through its
functional form (MindSpore 2.10 gives `x.add_(y)` the gradient of `x + y`). A Parameter is written with
ops.assign (its value travels with the graph, see _param_state). The new value keeps the object's shape
and dtype: a result that does not broadcast to that shape is refused naming the method.

In PyNative a slice, a reshape, a transpose, ... of x is a view sharing x's storage, as MindSpore 2.10's (gradserve._views):
an in-place write into either (an item assignment, an in-place method) is seen by both. (MindSpore 2.10's CPU
in-place kernels write nothing in PyNative, checked: `x.add_(10)` leaves x; the documented in-place semantics are
kept.) `x += 1` rebinds the name only in PyNative (another name for the old x keeps its value, as
in 2.10) and is in place in GRAPH_MODE and jit (_augmented, below).
A traced program (a Cell's construct, a jit function) writes the final value of an input it changed in place
back into the caller's Tensor after the run, as MindSpore 2.10's GRAPH_MODE does (`net(x)` with `x.add_(1)` in
construct changes x; _trace.trace_program). Inside a traced `if`, a write to a Tensor of the enclosing code is
carried out of the branch as an extra output of the cond (_inplace_state, _branches). Not done (refused, naming
the method): inside a trace, an in-place write to a value made outside the loop body or nested function it is
in, or to a concrete Tensor (a Cell attribute, a global: make it a Parameter)."""
from __future__ import annotations

import numpy as np

from .. import _if_alias, _inplace_state, _private_arrays, _same_args, _views
from .._late import late
from .._tensor import Parameter, Tensor
from .._trace import current, graph_semantics
from ._index_ms import index_added
from ._item_assign import setitem as _item_setitem

__all__ = ["InplaceIndexAdd", "inplace_index_add", "InplaceAddExt"]  # and Tensor's methods (set on Tensor below)


def _as_tensor(value, like: Tensor) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value, dtype=like._dtype))


def write(self: Tensor, new, where: str) -> Tensor:
    """Rebind self to new (cast to self's dtype, broadcast to self's shape); returns self."""
    new = _as_tensor(new, self)
    if tuple(new.shape) != tuple(self.shape):
        try:
            ok = np.broadcast_shapes(tuple(new.shape), tuple(self.shape)) == tuple(self.shape)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{where}: the result of shape {list(new.shape)} cannot be written in place into a "
                             f"Tensor of shape {list(self.shape)}")
        new = late.ops.broadcast_to(new, tuple(self.shape))
    if new._dtype != self._dtype:
        new = late.ops.cast(new, self._dtype)
    if isinstance(self, Parameter):
        late.ops._assign.store(self, new)
        return self
    tr = current()
    if tr is not None and self._data is None and self._trace is not tr and _in_if_sides(tr, self._trace):
        tr.ref(self)  # the value before the write: an input of this side, the other side's output if it keeps it
    elif tr is not None and self._data is None and self._trace is not tr:
        raise RuntimeError(f"{where}: an in-place write inside a loop body or nested function to a Tensor "
                           "made outside it is not supported; write `x = x.<op>(...)` (the functional form) there")
    if tr is not None and self._data is not None:
        # a concrete Tensor (a Cell attribute, a global, a constant) would keep the traced value after the
        # trace, and a construct traced again (a branch explored, a new signature) would start from it
        raise RuntimeError(f"{where}: an in-place write inside a traced construct / jit / grad to a Tensor that "
                           "is not an input or a value computed there (a Cell attribute, a global, a constant) is "
                           "not supported; make it a Parameter (its updates are kept) or write `x = x.<op>(...)`")
    _inplace_state.record(self)
    self._become(new)
    if tr is not None and graph_semantics(tr):
        _inplace_state.note_graph_write(self)
    if tr is None:  # PyNative: into the storage it shares with its views (_views), as the in-place op documents
        _views.wrote(self)
    elif where != "Tensor.__setitem__":  # (an item assignment binds the name alone in a graph: assigned_item)
        _if_alias.follow(self, where)
        _same_args.share(self, where)
    return self


def _in_if_sides(tr, owner) -> bool:
    """Whether tr is a side of a traced `if` (nested ones too) inside owner's trace: the cond carries a write
    there to owner's Tensor (_branches); a loop body or a function traced on its own does not."""
    while tr is not owner:
        if tr is None or not tr.if_side:
            return False
        tr = tr.parent
    return _inplace_state.depth() > 0


def _inplace(name: str, functional):
    def method(self, *args, **kwargs):
        return write(self, functional(self, *args, **kwargs), f"Tensor.{name}")
    method.__name__ = name
    method.__doc__ = f"Tensor.{name}: in place (this Tensor rebound to the result, returned)."
    return method


def _scaled(other, alpha):
    return other if alpha == 1 else other * alpha


def _fill(self, value):
    if isinstance(value, Tensor):
        if value.size != 1:
            raise ValueError(f"Tensor.fill_: the value must be a number or a 1-element Tensor, got shape "
                             f"{list(value.shape)}")
        return late.ops.broadcast_to(late.ops.reshape(late.ops.cast(value, self._dtype), ()), tuple(self.shape))
    return late.ops.full(tuple(self.shape), value, dtype=self._dtype)


def _copy(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        raise TypeError(f"Tensor.copy_: src must be a Tensor, got {type(src).__name__}")
    return src


def _index_add(self, dim, index, source, *, alpha=1):
    return index_added(self, index, _scaled(source, alpha), dim)


class InplaceIndexAdd:
    """ops.InplaceIndexAdd(axis)(var, indices, updates): var[indices[i]] += updates[i] along axis, written into
    var (a Parameter or a Tensor, as Tensor.index_add_), which is returned."""

    def __init__(self, axis):
        self.axis = int(axis)

    def __call__(self, var, indices, updates):
        return write(var, index_added(var, indices, updates, self.axis), "InplaceIndexAdd")


class InplaceAddExt:
    """MindSpore's generated InplaceAddExt()(input, other, alpha=1): input += alpha * other, written into input
    (as Tensor.add_: the result keeps input's dtype and shape), which is returned."""

    def __call__(self, input, other, alpha=1):  # noqa: A002 - MindSpore's name
        return input.add_(other, alpha=alpha)


def inplace_index_add(var, indices, updates, axis):
    """ops.inplace_index_add(var, indices, updates, axis): InplaceIndexAdd(axis)(var, indices, updates)."""
    return InplaceIndexAdd(axis)(var, indices, updates)


_METHODS = {
    "add_": lambda self, other, *, alpha=1: self.add(_scaled(other, alpha)),
    "sub_": lambda self, other, *, alpha=1: self.sub(_scaled(other, alpha)),
    "mul_": lambda self, other: self.mul(other),
    "div_": lambda self, other, *, rounding_mode=None: self.div(other, rounding_mode=rounding_mode),
    "floor_divide_": lambda self, other: self.floor_divide(other),
    "pow_": lambda self, exponent: self.pow(exponent),
    "copy_": _copy,
    "zero_": lambda self: late.ops.zeros_like(self),
    "fill_": _fill,
    "clamp_": lambda self, min=None, max=None: self.clamp(min, max),  # noqa: A002 - MindSpore's names
    "masked_fill_": lambda self, mask, value: self.masked_fill(mask, value),
    "index_add_": _index_add,
}
_METHODS["divide_"] = _METHODS["div_"]
_METHODS["clip_"] = _METHODS["clamp_"]
for _name in ("exp", "log", "sqrt", "abs", "neg", "floor", "ceil", "sigmoid", "tanh", "sin", "cos", "reciprocal",
              "square", "trunc", "sign", "erf", "rsqrt"):
    _METHODS[_name + "_"] = (lambda n: lambda self: getattr(self, n)())(_name)

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _inplace(_name, _fn))


def _setitem(self, index, value) -> None:
    """`x[index] = value`: x rebound to x with the indexed elements replaced (value broadcast to them).
    Inside a trace this makes x a new value, no longer the caller's input: MindSpore 2.10's GRAPH_MODE writes
    back into the caller's Tensor only the in-place writes before the first item assignment (checked:
    `x.add_(1); x[0] = 9` leaves the caller's x at x + 1; `x[0] = 9; x.add_(1)` leaves it unchanged), so
    the value x had is kept for trace_program's write-back."""
    if self._data is None and "_gs_input_value" not in self.__dict__:
        self._gs_input_value = self._name
    before = self._data
    in_place = _writes_in_place(index)
    shared = current() is None and _views.member(self)
    if shared and not in_place:  # a new buffer of its own: its views keep the old one (MindSpore 2.10's)
        _views.leave(self)
    write(self, _item_setitem(self, index, value), "Tensor.__setitem__")
    if shared and in_place:  # written into the storage it shares (write): its source and views see it already
        return
    if current() is None and in_place:  # an asnumpy() array from before sees the write
        self._data = _private_arrays.kept_through_write(before, self._data)
    source = self.__dict__.get("_gs_item_of")
    if source is not None and current() is None:  # into the Tensor it was indexed from (_getitem), on up its chain:
        parent, at = source  # only the elements written here, into the parent's value as it is now (a write into
        fresh = _plain_getitem(parent, at)  # the parent since this Tensor was taken from it stays: they share
        fresh[index] = value  # storage in MindSpore); fresh carries no _gs_item_of, so this writes it alone
        parent[at] = fresh


_plain_getitem = Tensor.__getitem__


def _getitem(self, index):
    """x[index]. In PyNative the result remembers (x, index), and an item assignment into it is written back into x,
    as MindSpore 2.10's PyNative does (checked: `row = x[0]; row[1:] = 0` zeroes x[0, 1:]; also through chains
    x[0][1:], ..., None, negative steps, lists and masks). A basic index (ints, slices, None, ...) gives a view
    sharing x's storage (gradserve._views): a later write into x reaches row too, as there (`row[[0, 2]] = v`
    gives row a buffer of its own, after writing v back into x: checked)."""
    out = _plain_getitem(self, index)
    if current() is None and isinstance(out, Tensor) and out is not self and out._data is not None:
        out.__dict__["_gs_item_of"] = (self, index)
        basic = _views.basic_index(index)
        if basic is not None:
            _views.link(out, self, lambda a: a[basic])
    return out


setattr(Tensor, "__getitem__", _getitem)


def _writes_in_place(index) -> bool:
    """Whether MindSpore 2.10 (CPU, PyNative) writes `x[index] = v` into x's own buffer: for ints and slices, alone
    or in a tuple; an index with `...`, None, a list, a Tensor or a bool mask gives x a new buffer (checked)."""
    return all(isinstance(i, slice) or isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))
               for i in (index if isinstance(index, tuple) else (index,)))


setattr(Tensor, "__setitem__", _setitem)


def assigned_item(x, index, value):
    """`x[index] = value` in rewritten code (_rewrite's pass 1b: `x = _gs_.setitem(x, index, value)`). With
    GRAPH_MODE's semantics (GRAPH_MODE, a jit function's program) the new value is bound to the name x alone:
    another name for x keeps the old value, as MindSpore 2.10's graph does (checked: `z = y; y[0] = 0` leaves
    z). In PyNative the write is in place on a value of the trace being built, as eager MindSpore 2.10's (z
    sees it, and its gradient follows); elsewhere (a loop body's or a branch's write to an outer value) it is
    a new value, as in graph mode (the loop state, the branch's output)."""
    if (isinstance(x, Tensor) and x._data is None and x._trace is current() and not isinstance(x, Parameter)
            and not graph_semantics(x._trace)):
        _setitem(x, index, value)  # (Tensor.__setitem__)
        return x
    return _item_setitem(x, index, value)


def _augmented(name: str, binary):
    """`x += y` (and -=, *=, /=, //=, %=): in place inside a GRAPH_MODE trace, on a value of the trace being
    built, as MindSpore 2.10's GRAPH_MODE does (checked: another name for x sees the new value, and an input
    written so lands in the caller's Tensor; `**=` is not in place there). Elsewhere, and where the result has
    another shape, the name is rebound to the result (PyNative: MindSpore 2.10's Cell leaves the caller's x
    unchanged; a jit function is GRAPH_MODE's in both modes). On a side of a traced `if` it is in place on the
    enclosing code's Tensor too (the cond carries the write out, _branches): MindSpore 2.10's graph writes an
    input so changed back to the caller (`if x > 1: x += 2`, and `x += 1` after an `if` that returned)."""
    def method(self, other):
        new = binary(self, other)
        tr = current()
        if (self._data is None and (self._trace is tr or _in_if_sides(tr, self._trace)) and isinstance(new, Tensor)
                and new._shape == self._shape and not isinstance(self, Parameter)
                and graph_semantics(self._trace)):
            return write(self, new, f"Tensor.{name}")  # (a dtype differing is cast back: int x += 1.5 stays int)
        return new
    method.__name__ = name
    return method


for _name, _op in (("__iadd__", Tensor.__add__), ("__isub__", Tensor.__sub__), ("__imul__", Tensor.__mul__),
                   ("__itruediv__", Tensor.__truediv__), ("__ifloordiv__", Tensor.__floordiv__),
                   ("__imod__", Tensor.__mod__)):
    setattr(Tensor, _name, _augmented(_name, _op))
