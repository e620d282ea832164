"""mint names whose meaning is PyTorch's and differs from the ops function of the same name (diag with an
offset, dot / vdot of 1-d Tensors only, kthvalue, select, take, triangular_solve, unique, count_nonzero's
int64, linspace's dtype, item, empty). MindSpore 2.10's CPU has no kernel for most of them ("The kernel DiagExt /
Dot / Take / TriangularSolve / Unique2 / ... unregistered.", "Not implement exception" for vdot): the meanings
are mint's documented (PyTorch's) ones, and the refusals MindSpore's own where its CPU checks before the kernel."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .. import ops as _ops
from ..ops import _unique
from .._tensor import Tensor
from .._trace import apply


def addcdiv(input, tensor1, tensor2, *, value=1):  # noqa: A002 - MindSpore's names
    """input + value * tensor1 / tensor2 (value keyword-only, as mint's); integer operands refused (PyTorch's)."""
    if all(isinstance(t, Tensor) and t._dtype.startswith(("int", "uint", "bool")) for t in (tensor1, tensor2)):
        raise RuntimeError("For 'addcdiv', integer division is not supported: tensor1 and tensor2 are integer "
                           "Tensors; cast one to a float dtype")
    return _ops.addcdiv(input, tensor1, tensor2, value)


def addcmul(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """input + value * tensor1 * tensor2 (value keyword-only, as mint's); bool operands refused (PyTorch's)."""
    if any(isinstance(t, Tensor) and t._dtype == "bool" for t in (input, tensor1, tensor2)):
        raise TypeError("For 'addcmul', bool Tensors are not supported; cast them to a number dtype")
    return _ops.addcmul(input, tensor1, tensor2, value)


def count_nonzero(input, dim=None):  # noqa: A002
    """the number of nonzero elements over dim (an int or tuple; all when None), int64 (PyTorch's)."""
    return _ops.count_nonzero(input, () if dim is None else dim, False, _dt.int64)


def diag(input, diagonal=0):  # noqa: A002
    """1-d input: the square matrix with input on its `diagonal`-th diagonal; 2-d: that diagonal as 1-d."""
    nd = len(input.shape)
    if nd not in (1, 2):
        raise RuntimeError(f"For diag, the shape of input must 1 or 2, but got {nd}.")
    if nd == 1:
        return _ops.cast(_ops.diag_embed(input, int(diagonal)), input.dtype)  # (diag_embed: int64 for ints)
    rows, cols = input.shape
    if not -rows <= diagonal <= cols:  # MindSpore 2.10's check (PyTorch gives an empty Tensor)
        raise RuntimeError(f"For diag, when the input is 2-D, the diagonal must in [{-rows}, {cols}], but got "
                           f"{diagonal}.")
    return _ops.diagonal(input, int(diagonal), 0, 1)


def _vectors(name: str, input, other):  # noqa: A002
    if len(input.shape) != 1 or len(other.shape) != 1:
        raise RuntimeError(f"For '{name}', 1D tensors expected, but got {len(input.shape)}D and "
                           f"{len(other.shape)}D tensors")
    if input._dtype != other._dtype or input._dtype == "bool":
        raise TypeError(f"For '{name}', input and other must have the same number dtype, but got {input.dtype} "
                        f"and {other.dtype}")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"For '{name}', input and other must hold the same number of elements, but got "
                           f"{input.shape[0]} and {other.shape[0]}")


def dot(input, other):  # noqa: A002
    """the inner product of two 1-d Tensors of one dtype."""
    _vectors("dot", input, other)
    return _ops.cast(_ops.sum(_ops.mul(input, other)), input.dtype)  # (ops.sum: int64 for narrower ints)


def vdot(input, other):  # noqa: A002
    """dot with input conjugated (complex Tensors)."""
    _vectors("vdot", input, other)
    return dot(_ops.conj(input) if input._dtype.startswith("complex") else input, other)


def item(input):  # noqa: A002
    """the one element of input as a Python number."""
    n = int(np.prod(input.shape))
    if n != 1:
        raise RuntimeError(f"a Tensor with {n} elements cannot be converted to Scalar")
    return input.item()


def kthvalue(input, k, dim=-1, keepdim=False):  # noqa: A002
    """(values, int64 indices): the k-th smallest (k from 1) along dim; the gradient flows to that element."""
    x = _ops.reshape(input, (1,)) if not input.shape else input
    n = x.shape[dim]
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"For 'kthvalue', 'k' must be an int in [1, {n}], but got {k!r}.")
    values, indices = _ops.sort(x, dim)
    values, indices = (select(t, dim, k - 1) for t in (values, _ops.cast(indices, "int64")))
    if keepdim and input.shape:
        return _ops.unsqueeze(values, dim), _ops.unsqueeze(indices, dim)
    return values, indices


def linspace(start, end, steps, *, dtype=None):
    """steps values from start to end (float32 unless dtype; an integer dtype truncates, as PyTorch's)."""
    out = _ops.linspace(start, end, steps)
    return out if dtype is None else _ops.cast(out, dtype)


def select(input, dim, index):  # noqa: A002
    """input's slice at `index` along dim, that dim removed."""
    n = input.shape[dim]
    if not -n <= index < n:
        raise ValueError(f"For Primitive [SelectExtView] start exceed range. start: {index}, start should be in "
                         f"[{-n}, {n}).")
    return _ops.squeeze(_ops.narrow(input, dim, index % n, 1), dim)


def take(input, index):  # noqa: A002
    """input's elements (row-major, as 1-d) at index (negative from the end), in index's shape."""
    flat = _ops.reshape(input, (-1,))
    n = int(flat.shape[0])
    known = index._value() if isinstance(index, Tensor) else None
    if known is not None and np.asarray(known).size:
        bad = np.asarray(known)[(np.asarray(known) < -n) | (np.asarray(known) >= n)]
        if bad.size:
            raise IndexError(f"For 'take', out of range: tried to access index {int(bad.ravel()[0])} on a tensor "
                             f"of {n} elements.")
    idx = _ops.cast(index, "int64")
    return _ops.gather(flat, _ops.select(_ops.less(idx, 0), _ops.add(idx, n), idx), 0)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):  # noqa: N803 - mint's names
    """(X, a copy of A): X solves op(T) X = b, T A's upper (lower) triangle, op the transpose when transpose,
    a unit diagonal assumed when unitriangular."""
    x = apply("triangular_solve", [A, b], {"lower": not upper, "transpose_a": bool(transpose),
                                           "unit_diagonal": bool(unitriangular)})[0]
    return x, _ops.identity(A)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """the distinct values (slices along dim) in ascending order, and with return_inverse / return_counts each
    element's int64 position in them / each value's int64 count; ops.unique's path (the values gathered from
    input). MindSpore 2.10's CPU has no kernel (Unique2 / UniqueDim): always sorted, as PyTorch's CPU."""
    values, inverse, counts = _unique.distinct(input, dim, True, "For 'unique', the output shape depends on the "
                                               "values, which this trace does not know; call it on concrete Tensors")
    out = [values]
    if return_inverse:
        out.append(Tensor(inverse.astype(np.int64)))
    if return_counts:
        out.append(Tensor(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def _size(size, where: str) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not size:
        raise TypeError(f"{where}() missing 1 required positional argument: size.")
    for i, n in enumerate(size):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"For '{where}', the size must be ints, but got {size!r}.")
        if n < 0:
            raise ValueError(f"For primitive[Empty], the {i}th dimension of input shape must be greater than or "
                             f"equal to 0, but got {n}.")
    return tuple(int(n) for n in size)


def empty(*size, dtype=None, device=None):
    """a Tensor of shape size (float32 unless dtype); its values are unspecified (zeros here)."""
    return _ops.zeros(_size(size, "empty"), dtype)


def empty_like(input, *, dtype=None, device=None):  # noqa: A002
    """an uninitialised Tensor of input's shape and dtype (or dtype); zeros here."""
    return _ops.zeros(tuple(input.shape), dtype or input.dtype)
