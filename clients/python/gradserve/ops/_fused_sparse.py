"""MindSpore's row-sparse optimizer primitives: FusedSparseFtrl / SparseApplyFtrl, FusedSparseProximalAdagrad and
SparseApplyAdagrad / SparseApplyAdagradV2.
Each updates only the rows of var (and its slots) that indices names, written into the Parameters; repeated
indices add their gradient rows first, as MindSpore 2.10's CPU kernels do. The rows are picked with a mask built
by index_add, so indices may be a traced value (a Unique's output inside a construct). The update rules are the
kernels' (MindSpore's documentation, TensorFlow's SparseApplyFtrl / SparseApplyProximalAdagrad), in their order of
operations, so that float32 results are MindSpore's to the bit; values checked in its venv for this task."""
from __future__ import annotations

from ._assign import assign
from ._extra import P
from ._index_ms import stored_index_add as index_add
from .._tensor import Parameter, Tensor
from .._calling_errors import input_dtype_error, tensor_type

__all__ = ["FusedSparseFtrl", "SparseApplyFtrl", "FusedSparseProximalAdagrad", "SparseApplyAdagrad",
           "SparseApplyAdagradV2"]


def check_sparse_inputs(where: str, var, slots: dict, grad, indices) -> None:
    """MindSpore's argument checks of the row-sparse optimizers: Tensors, int indices of rank 1, slots of var's
    shape, grad = indices' rows of var's trailing shape (its exception types, texts naming the primitive)."""
    head = f"For primitive[{where}]"
    for name, t in (("var", var), *slots.items(), ("grad", grad), ("indices", indices)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{head}, the input argument[{name}] must be a Tensor, got {type(t).__name__}")
    _check_index_dtype(where, indices)
    for name, t in slots.items():
        if tuple(t.shape) != tuple(var.shape):
            raise ValueError(f"{head}, the var shape {list(var.shape)} must be equal to {name} shape {list(t.shape)}")
    if indices.ndim != 1:
        raise ValueError(f"{head}, the indices rank must be equal to 1, got {indices.ndim}")
    if grad.ndim < 1:
        raise ValueError(f"{head}, the grad rank must be greater than or equal to 1, got {grad.ndim}")
    if grad.shape[0] != indices.shape[0]:
        raise ValueError(f"{head}, the grad_shape[0] {grad.shape[0]} must be equal to indices_shape[0] "
                         f"{indices.shape[0]}")
    if tuple(grad.shape[1:]) != tuple(var.shape[1:]):
        raise ValueError(f"{head}, the var_shape[1:] {list(var.shape[1:])} must be equal to grad_shape[1:] "
                         f"{list(grad.shape[1:])}")


_INT32 = ("int32",)
_INT32_64 = ("int32", "int64")
# primitive -> the indices dtypes MindSpore 2.10 takes (its TypeError lists them; SparseApplyAdagrad's also as scalars)
_INDEX_DTYPES = {"FusedSparseFtrl": _INT32, "FusedSparseAdam": _INT32, "FusedSparseLazyAdam": _INT32,
                 "SparseApplyFtrl": _INT32_64, "SparseApplyAdagrad": _INT32_64, "SparseApplyAdagradV2": _INT32_64,
                 "FusedSparseProximalAdagrad": ("int16", "int32", "int64", "int8", "uint16", "uint32", "uint64", "uint8")}
_WITH_SCALARS = ("SparseApplyAdagrad", "SparseApplyAdagradV2")


def _check_index_dtype(where: str, indices: Tensor) -> None:
    """MindSpore 2.10's TypeError for indices of a dtype the primitive does not take (/work/ms_suite_left31/probe/p5*.py)."""
    allowed = _INDEX_DTYPES.get(where, _INT32_64)
    if indices._dtype in allowed:
        return
    if where in _WITH_SCALARS:
        raise TypeError(f"For primitive[{where}], the input argument[indices] must be a type of {{Int32, Int64, "
                        f"Tensor[Int32], Tensor[Int64]}}, but got {tensor_type(indices)}.")
    raise input_dtype_error(where, "indices", allowed, tensor_type(indices))


def proximal_kernel_check(inputs: tuple) -> None:
    """FusedSparseProximalAdagrad's CPU kernels take int32 / int64 indices (int16 runs there too; int8 and the
    unsigned ones pass its type check and fail its kernel selection: that TypeError, its first lines)."""
    if inputs[-1]._dtype in ("int16", "int32", "int64"):
        return
    names = " ".join(str(t.dtype) if isinstance(t, Tensor) else "Float32" for t in inputs)
    kinds = "; ".join(f"input[{' '.join(['Float32'] * 6)} {k}], output[Float32 Float32]" for k in ("Int32", "Int64"))
    raise TypeError("Select CPU operator[FusedSparseProximalAdagrad] fail! Unsupported data type!\n"
                    f"The supported data types are {kinds}; , but get input[{names} ] and output[Float32 Float32 ]")


def summed_rows(var, grad, indices):
    """(g, named): grad's rows added into zeros of var's shape at indices (repeats summed), and where a row is named."""
    g = index_add(P.zeros_like(var), indices, grad, 0)
    named = P.greater(index_add(P.zeros_like(var), indices, P.ones_like(grad), 0), 0.0)
    return g, named


def zeroed(var_out, *slots) -> tuple:
    """(var's new value, zeros for each slot): MindSpore 2.10's Fused* outputs past var are zeros, the slots'
    Parameters holding their new values (its runs, both modes; probe /work/ms_suite_left32/probe/p3.py)."""
    return (var_out,) + tuple(P.zeros_like(s) for s in slots)


def _number(value, name: str, where: str, ok, rule: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not ok(float(value)):
        raise ValueError(f"For '{where}', '{name}' must be a float {rule}, got {value!r}")
    return float(value)


class _SparseFtrl:
    """(lr, l1, l2, lr_power, use_locking=False)(var, accum, linear, grad, indices) -> (var, accum, linear):
    for a named row, accum' = accum + g^2; linear += g - (accum'^-p - accum^-p) / lr var;
    var = (sign(linear) l1 - linear) / (accum'^-p / lr + 2 l2) where |linear| > l1, else 0."""

    def __init__(self, lr, l1, l2, lr_power, use_locking=False):
        where = type(self).__name__
        self.lr = _number(lr, "lr", where, lambda v: v > 0, "> 0")
        self.l1 = _number(l1, "l1", where, lambda v: v >= 0, ">= 0")
        self.l2 = _number(l2, "l2", where, lambda v: v >= 0, ">= 0")
        self.lr_power = _number(lr_power, "lr_power", where, lambda v: v <= 0, "<= 0")

    sequential = False  # SparseApplyFtrl: a repeated index takes its steps one after another

    def __call__(self, var, accum, linear, grad, indices):
        check_sparse_inputs(type(self).__name__, var, {"accum": accum, "linear": linear}, grad, indices)
        passes = _occurrence_passes(indices) if self.sequential else None
        if passes is None:
            return self._step(var, accum, linear, grad, indices)
        out = None  # (passes holds two or more)
        for rows in passes:
            rows = Tensor(rows)
            out = self._step(var, accum, linear, P.gather(grad, rows, 0), P.gather(indices, rows, 0))
        return out

    def _step(self, var, accum, linear, grad, indices):
        g, named = summed_rows(var, grad, indices)
        acc = P.add(accum, P.mul(g, g))
        if self.lr_power == -0.5:  # the kernel's own branch: sqrt, not pow
            y, y_old = P.sqrt(acc), P.sqrt(accum)
        else:
            y, y_old = P.pow(acc, -self.lr_power), P.pow(accum, -self.lr_power)
        lin = P.add(linear, P.sub(g, P.mul(P.div(P.sub(y, y_old), self.lr), var)))
        num = P.sub(P.mul(P.sign(lin), self.l1), lin)
        den = P.add(P.div(y, self.lr), self.l2 * 2.0)
        new = P.select(P.greater(P.abs(lin), self.l1), P.div(num, den), P.zeros_like(var))
        acc1 = assign(accum, P.select(named, acc, accum))
        lin1 = assign(linear, P.select(named, lin, linear))
        return assign(var, P.select(named, new, var)), acc1, lin1


class FusedSparseFtrl(_SparseFtrl):
    def _step(self, var, accum, linear, grad, indices):
        return zeroed(super()._step(var, accum, linear, grad, indices)[0], accum, linear)


class SparseApplyFtrl(_SparseFtrl):
    sequential = True


def _occurrence_passes(indices):
    """Positions in indices split so that no pass names a row twice: pass k holds the k-th occurrence of each
    index (MindSpore 2.10's SparseApplyFtrl applies a repeated index's rows in turn, checked in its venv). None
    where there is no repeat or the indices are not known here (a traced value: one summed step)."""
    if indices.is_symbolic:
        return None
    seen: dict = {}
    passes: list = []
    for pos, row in enumerate(indices._host_copy().tolist()):
        k = seen[row] = seen.get(row, -1) + 1
        if k == len(passes):
            passes.append([])
        passes[k].append(pos)
    return passes if len(passes) > 1 else None


def _shrunk(prox, rate, l1):
    return P.mul(P.sign(prox), P.maximum(P.sub(P.abs(prox), P.mul(rate, l1)), 0.0))


class FusedSparseProximalAdagrad:
    """(use_locking=False)(var, accum, lr, l1, l2, grad, indices) -> (var, accum): for a named row,
    accum += g^2; a = lr / sqrt(accum); prox = var - g a; var = sign(prox) max(|prox| - a l1, 0) / (1 + l2 a)
    (l1 > 0), else prox / (1 + l2 a)."""

    def __init__(self, use_locking=False):
        if not isinstance(use_locking, bool):
            raise TypeError(f"For 'FusedSparseProximalAdagrad', 'use_locking' must be a bool, got {use_locking!r}")

    def __call__(self, var, accum, lr, l1, l2, grad, indices):
        check_sparse_inputs("FusedSparseProximalAdagrad", var, {"accum": accum}, grad, indices)
        proximal_kernel_check((var, accum, lr, l1, l2, grad, indices))
        g, named = summed_rows(var, grad, indices)
        acc = P.add(accum, P.mul(g, g))
        rate = P.mul(P.div(P.ones_like(acc), P.sqrt(acc)), lr)
        prox = P.sub(var, P.mul(g, rate))
        scale = P.add(P.mul(rate, l2), 1.0)
        if isinstance(l1, Tensor):  # the kernel's branch on l1 > 0, per call
            prox = P.select(P.greater(P.mul(P.ones_like(prox), l1), 0.0), _shrunk(prox, rate, l1), prox)
        elif l1 > 0:
            prox = _shrunk(prox, rate, l1)
        assign(accum, P.select(named, acc, accum))
        return zeroed(assign(var, P.select(named, P.div(prox, scale), var)), accum)


class SparseApplyAdagrad:
    """(lr, update_slots=True, use_locking=False)(var, accum, grad, indices) -> (var, accum): for a named row
    (repeats summed first), accum += g^2 (when update_slots); var -= g * (lr * (1 / sqrt(accum))): the CPU
    kernel's order of operations (float32 results MindSpore 2.10's to the bit, checked in its venv)."""

    epsilon = None  # V2: var -= g * (lr * (1 / sqrt(accum + epsilon))); a repeated index refused (see __call__)

    def __init__(self, lr, update_slots=True, use_locking=False):
        where = type(self).__name__
        if not isinstance(lr, float):
            raise TypeError(f"For '{where}', the type of 'lr' must be 'float', but got '{type(lr).__name__}'.")
        for name, flag in (("update_slots", update_slots), ("use_locking", use_locking)):
            if not isinstance(flag, bool):
                raise TypeError(f"For '{where}', the type of '{name}' should be 'bool', but got type "
                                f"'{type(flag).__name__}'.")
        self.lr, self.update_slots = lr, update_slots

    def __call__(self, var, accum, grad, indices):
        where = type(self).__name__
        check_sparse_inputs(where, var, {"accum": accum}, grad, indices)
        # MindSpore 2.10 checks accum first and writes a Parameter's type Ref[Tensor[Float64]] (its run: all float64)
        for name, t in (("accum", accum), ("var", var), ("grad", grad)):
            if t._dtype not in ("float16", "float32"):
                got = f"Ref[{tensor_type(t)}]" if isinstance(t, Parameter) else tensor_type(t)
                raise input_dtype_error(where, name, ("float16", "float32"), got)
        if self.epsilon is not None and _occurrence_passes(indices) is not None:
            # MindSpore 2.10's V2 CPU kernel updates a repeated row from concurrent threads: its var then
            # differs from run to run (indices [2, 2, 2]: two values in three runs, checked in its venv)
            raise ValueError(f"For '{where}', gradserve does not support a repeated index in 'indices' (MindSpore's "
                             f"CPU kernel gives a run-dependent result for one), got {indices._host_copy().tolist()}")
        return self._step(var, accum, grad, indices)

    def _step(self, var, accum, grad, indices):
        g, named = summed_rows(var, grad, indices)
        acc = P.add(accum, P.mul(g, g)) if self.update_slots else accum
        root = P.sqrt(acc if self.epsilon is None else P.add(acc, self.epsilon))
        new = P.sub(var, P.mul(g, P.mul(P.div(P.ones_like(root), root), self.lr)))
        acc1 = assign(accum, P.select(named, acc, accum)) if self.update_slots else accum
        return assign(var, P.select(named, new, var)), acc1


class SparseApplyAdagradV2(SparseApplyAdagrad):
    def __init__(self, lr, epsilon, use_locking=False, update_slots=True):
        super().__init__(lr, update_slots, use_locking)
        if not isinstance(epsilon, float):
            raise TypeError(f"For 'SparseApplyAdagradV2', the type of 'epsilon' must be 'float', but got "
                            f"'{type(epsilon).__name__}'.")
        self.epsilon = epsilon
