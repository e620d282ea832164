"""`x[index]` and `x[index] = value` as values, for NumPy's advanced indexes (bool masks, lists, index arrays
beside other parts) as MindSpore 2.10 takes them. Assignment:  x with the indexed elements replaced, for any NumPy-style index whose parts
are known (ints, slices with any step, None, ..., lists, bool or integer arrays and concrete Tensors).

Which elements an index names does not depend on x's values, so they are found once with NumPy on the
element positions (`arange(x.size).reshape(x.shape)[index]`); the write is then a scatter of value
(broadcast to the indexed shape, cast to x's dtype) into x flattened, whose derivative reaches x outside
the written elements and value inside them. Concrete x and value outside a trace are written with NumPy.
An index holding a traced integer array goes to _traced_index (positions computed in the graph), one
holding a traced integer scalar to _dynindex (dynamic_update_slice); a traced bool mask is a select."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor
from .._trace import current, graph_semantics
from ._extra import P
from ._scatter_ms import tensor_scatter_update
from . import _traced_index


def _has_traced_int(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(it, Tensor) and it._data is None and it.ndim == 0 and it._dtype.startswith("int")
               for it in parts)


def _numpy_index(index, where: str):
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for it in parts:
        if isinstance(it, Tensor):
            a = it._value()  # a traced one: its value in this call, where known (the trace is specialised on it)
            if a is None:
                raise IndexError(f"{where}: an index Tensor inside a trace must be an integer scalar; which elements "
                                 "a traced mask or index array names is not known to the graph (use ops.select / "
                                 "ops.masked_fill / ops.tensor_scatter_update)")
            it = a
        elif isinstance(it, list):
            it = np.asarray([x._host_copy() if isinstance(x, Tensor) else x for x in it])
            # MindSpore takes a list of bools as the positions of its True values (an empty list: none)
            it = np.flatnonzero(it) if it.dtype.kind == "b" else it.astype(np.int64) if it.size == 0 else it
        if isinstance(it, np.ndarray) and it.dtype.kind not in "biu":
            raise IndexError(f"{where}: index arrays must hold integers or bools, got {it.dtype}")
        out.append(it)
    return tuple(out) if isinstance(index, tuple) else out[0]


def _whole_value(x: Tensor, index, value):
    """x[...] = value of x's shape with leading 1s ((1, 3, 4, 5) into (3, 4, 5)): MindSpore 2.10 writes it (in
    both modes), as NumPy does; x[1:] = a value of more dims than the region it refuses (BroadcastTo)."""
    whole = index is Ellipsis or isinstance(index, tuple) and len(index) == 1 and index[0] is Ellipsis
    if not whole or not isinstance(value, Tensor):
        return value
    k = value.ndim - x.ndim
    if k > 0 and tuple(value.shape) == (1,) * k + tuple(x.shape):
        return P.reshape(value, tuple(x.shape))
    return value


def _fit_value_rank(x: Tensor, index, np_index, value):
    """PyNative's refusal of a Tensor value of more dims than the region it goes to (MindSpore 2.10 checked:
    x[1:] = (1, 2, 4, 5) into (3, 4, 5), x[0] = (1, 4, 5), x[[0, 1]] / a mask the same; NumPy would drop the
    leading 1s). x[...] = v and x[None] = v write such a value there; its GRAPH_MODE accepts x[0] = (1, 4, 5).
    A (1,) value into one element is written (as there; NumPy refuses it): the value reshaped to ()."""
    if graph_semantics() or not isinstance(value, Tensor) or index is Ellipsis or index is None:
        return value
    region = np.zeros(tuple(x.shape), dtype=bool)[np_index].ndim
    if region == 0 and value.ndim > 1:
        raise ValueError(f"For SetItem, the shape of right value must be () or (1, ) when shape of left value is 0, "
                         f"but got[const vector]{{{', '.join(str(d) for d in value.shape)}}}")
    if 0 < region < value.ndim:
        raise ValueError(f"For primitive [BroadcastTo]: input's rank should be less equal to the number of "
                         f"proposed_shape, but got {value.ndim} and {region}")
    return P.reshape(value, ()) if region == 0 and tuple(value.shape) == (1,) else value


def setitem(x, index, value):
    """x with x[index] = value, as a new Tensor (x itself unchanged)."""
    if not isinstance(x, Tensor):
        x[index] = value  # a list, a dict, a NumPy array: Python's own item assignment
        return x
    value = _whole_value(x, index, value)
    if _traced_index.has_traced_array(index):
        return _traced_index.setitem(x, index, value)
    if _has_traced_int(index):
        return late.dyn_setitem(x, index, value)  # gradserve._dynindex
    if isinstance(index, Tensor) and index._data is None and index._dtype == "bool":
        if graph_semantics() or _size(value) == 1:
            return _masked_write(x, index, value)
        # PyNative (traced for a gradient): MindSpore has the mask's value when it writes, so the mask is read
        # here (the trace specialised on it) and its True positions take the value's elements
        index = late.read_value(index)
    np_index = _numpy_index(index, "Tensor item assignment")
    value = _fit_value_rank(x, index, np_index, value)
    if current() is None and x._data is not None and not (isinstance(value, Tensor) and value._data is None):
        out = np.array(x._data)
        v = value._data if isinstance(value, Tensor) else np.asarray(value)
        try:
            out[np_index] = v.astype(out.dtype) if v.dtype != out.dtype else v
        except (IndexError, ValueError) as e:
            raise type(e)(f"Tensor item assignment into shape {list(x.shape)}: {e}") from None
        return Tensor(out)
    try:
        pos = np.arange(x.size, dtype=np.int64).reshape(x.shape)[np_index]
    except IndexError as e:
        raise IndexError(f"Tensor item assignment into shape {list(x.shape)}: {e}") from None
    if pos.size == 0:
        return x
    v = value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=x._dtype))
    if v._dtype != x._dtype:
        v = P.cast(v, x._dtype)
    try:
        v = P.broadcast_to(v, pos.shape) if tuple(v.shape) != pos.shape else v
    except Exception as e:  # noqa: BLE001 - re-raised with the shapes named
        raise ValueError(f"Tensor item assignment: a value of shape {list(v.shape)} does not broadcast to the "
                         f"indexed shape {list(pos.shape)} of a Tensor of shape {list(x.shape)}") from e
    flat = tensor_scatter_update(P.reshape(x, (-1,)), Tensor(pos.reshape(-1, 1)), P.reshape(v, (-1,)))
    return P.reshape(flat, tuple(x.shape))


def _size(value) -> int:
    return value.size if isinstance(value, Tensor) else int(np.size(value))


def _mask_to(mask: Tensor, shape: tuple) -> Tensor:
    """A bool mask of fewer dims than x, as MindSpore 2.10 writes with it: padded with trailing 1s and broadcast
    to x's shape (a (3,) mask of a (3, 4, 5) x picks whole rows); its ValueError where that does not broadcast."""
    if mask.ndim > len(shape):  # (MindSpore 2.10's text, PyNative and GRAPH_MODE)
        raise ValueError(f"For 'ScatterNd', if the rank of output tensor is 'P' (length of the 'shape'), and the last "
                         f"dimension of 'indices' is 'N', the 'N' should be less than or equal to 'P', but got P = "
                         f"{len(shape)}, N = {mask.ndim}")
    padded = tuple(mask.shape) + (1,) * (len(shape) - mask.ndim)
    if any(a not in (1, b) for a, b in zip(padded, shape)):
        if graph_semantics():
            raise ValueError("For 'BroadcastTo', in order to broadcast, each dimension pair must be equal or input "
                             f"dimension is 1 or target dimension is -1. But got x_shape: {padded}, target shape: "
                             f"{shape}.")
        raise ValueError(f"operands could not be broadcast together with remapped shapes [original->remapped]: "
                         f"({','.join(map(str, padded))})  and requested shape ({','.join(map(str, shape))})")
    return P.broadcast_to(P.reshape(mask, padded), shape)


def _masked_write(x: Tensor, mask: Tensor, value):
    """x[mask] = value for a traced bool mask of x's shape, a select: a single value, or (GRAPH_MODE and jit) a
    value MindSpore's graph broadcasts to x's shape first (its ValueError where it cannot: a value of the mask's
    count of True values is not taken there)."""
    if tuple(mask.shape) != tuple(x.shape):
        mask = _mask_to(mask, tuple(x.shape))
    v = value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=x._dtype))
    v = P.cast(v, x._dtype) if v._dtype != x._dtype else v
    if v.size == 1:
        return P.select(mask, P.broadcast_to(P.reshape(v, ()), tuple(x.shape)), x)
    shape, target = list(v.shape), list(x.shape)
    if len(shape) > len(target) or any(a not in (1, b) for a, b in zip(shape[::-1], target[::-1])):
        raise ValueError("For 'BroadcastTo', in order to broadcast, each dimension pair must be equal or input "
                         "dimension is 1 or target dimension is -1. But got x_shape: [const vector]"
                         f"{{{', '.join(map(str, shape))}}}, target shape: [const vector]{{{', '.join(map(str, target))}}}.")
    return P.select(mask, P.broadcast_to(v, tuple(x.shape)), x)


def advanced(index) -> bool:
    """Whether an index needs NumPy's advanced indexing here: a bool, a list or array, or a bool / non-scalar
    Tensor beside other parts (a lone integer array or Tensor is the gather path of _trace.getitem)."""
    parts = index if isinstance(index, tuple) else (index,)
    for it in parts:
        if isinstance(it, (bool, np.bool_)):
            return True
        if isinstance(it, Tensor) and (it._dtype == "bool" or (it.ndim > 0 and isinstance(index, tuple))):
            return True
        if isinstance(it, (list, np.ndarray)) and (isinstance(index, tuple) or np.asarray(
                [v._host_copy() if isinstance(v, Tensor) else v for v in it] if isinstance(it, list) else it
                ).dtype.kind == "b"):
            return True
    return False


def _refuse_empty_read(index) -> None:
    """MindSpore 2.10 refuses a read whose index is False, an empty list (or a list of False only) or a tuple
    holding False (its messages); an assignment through the same index is a no-op there and here."""
    parts = index if isinstance(index, tuple) else (index,)
    for it in parts:
        if isinstance(it, (bool, np.bool_)) and not it:
            raise IndexError("When tensor is indexed by a bool object, the value only support 'True'." if
                             not isinstance(index, tuple) else
                             "Bool element of tuple index must be 'True', but got 'False'.")
        if isinstance(it, list) and not any(v is not False and not (isinstance(v, np.bool_) and not v) for v in it):
            raise IndexError("When tensor is indexed by list, the list can't be empty.")


def getitem(x: Tensor, index) -> Tensor:
    """x[index] for an advanced index whose parts are known: NumPy's result; of a traced x a gather of the
    indexed positions (its derivative scatters back)."""
    _refuse_empty_read(index)
    if _traced_index.has_traced_array(index):
        return _traced_index.getitem(x, index)
    np_index = _numpy_index(index, "Tensor indexing")
    if current() is None and x._data is not None:
        try:
            return Tensor(np.array(x._data[np_index]))
        except IndexError as e:
            raise IndexError(f"Tensor indexing of shape {list(x.shape)}: {e}") from None
    try:
        pos = np.arange(x.size, dtype=np.int64).reshape(x.shape)[np_index]
    except IndexError as e:
        raise IndexError(f"Tensor indexing of shape {list(x.shape)}: {e}") from None
    flat = P.gather(P.reshape(x, (-1,)), Tensor(pos.reshape(-1)), 0)
    return P.reshape(flat, tuple(pos.shape))


late.bind(adv_index=advanced, adv_getitem=getitem)
