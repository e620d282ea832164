"""ops.EditDistance(normalize=True)(hypothesis_indices, hypothesis_values, hypothesis_shape, truth_indices,
truth_values, truth_shape): the Levenshtein distance between the sequences of two sparse tensors, as MindSpore 2.10
CPU's (TensorFlow's edit_distance). A sequence is the values sharing one index prefix (the first R-1 columns), in
the order given (the last column is not read: MindSpore's warning on unordered indices). The output is float32 of
the larger of the two shapes' first R-1 dims; normalize divides by the truth's length (an empty truth: inf, or 0
when the hypothesis is empty too). The inputs are read as values (the output's shape is the shapes' values), so the
result is data: its gradient is zero, the math of a piecewise-constant distance (MindSpore refuses: "Illegal
primitive EditDistance's bprop not defined")."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type

__all__ = ["EditDistance"]

_VALUE_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
                 "float64")
_SUPPORTED = "; ".join(f"input[Int64 {d} Int64 Int64 {d} Int64], output[Float32]" for d in (
    "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float16", "Float32", "Float64"))
_NAMES = ("hypothesis_indices", "hypothesis_values", "hypothesis_shape", "truth_indices", "truth_values",
          "truth_shape")


def _levenshtein(a: list, b: list) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def _check(args) -> None:
    """MindSpore 2.10's checks, in its order, with its classes and texts."""
    for name, t in zip(_NAMES, args):
        if not isinstance(t, Tensor):
            raise TypeError(f"For 'EditDistance', the input argument[{name}] must be a Tensor, but got "
                            f"{type(t).__name__}.")
    for name, t in zip(_NAMES, args):
        if name.endswith(("indices", "shape")) and t._dtype != "int64":
            raise input_dtype_error("EditDistance", name, ("int64",), tensor_type(t))
    hv, tv = args[1], args[4]
    if hv._dtype != tv._dtype:
        raise TypeError(f"Dtype of hypothesis_values and truth_values must be the same, but got hypothesis_values: "
                        f"Tensor[{hv.dtype}], truth_values: Tensor[{tv.dtype}].")
    for side, (idx, val, shp) in (("hypothesis", args[:3]), ("truth", args[3:])):
        if val.ndim != 1:
            raise ValueError(f"For primitive[EditDistance], the {side}_values rank must be equal to 1, but got "
                             f"{val.ndim}.")
        if idx.ndim != 2 or int(idx.shape[0]) != int(val.shape[0]):
            raise ValueError(f"{side}_values shape should be equal to {side}_indices shape[0] but got {side}_values "
                             f"shape: {val.shape[0]} and {side}_indices shape[0]: {idx.shape[0] if idx.ndim else 0}.")
        if shp.ndim != 1 or int(shp.shape[0]) != int(idx.shape[1]):
            raise ValueError(f"{side}_shape should be equal to {side}_indices shape[1] but got {side}_shape: "
                             f"{shp.shape[0] if shp.ndim else 0} and {side}_indices shape[1]: {idx.shape[1]}.")
    if int(args[2].shape[0]) != int(args[5].shape[0]):
        raise ValueError(f"hypothesis_shape should be equal to truth_shape but got hypothesis_shape: "
                         f"{args[2].shape[0]} and truth_shape: {args[5].shape[0]}.")
    if hv._dtype not in _VALUE_DTYPES:
        ins = f"Int64 {hv.dtype} Int64 Int64 {hv.dtype} Int64"
        raise TypeError(f"Select CPU operator[EditDistance] fail! Unsupported data type!\nThe supported data types "
                        f"are {_SUPPORTED}; , but get input[{ins} ] and output[Float32 ]")


def _sequences(side: str, idx: np.ndarray, val: np.ndarray, out_shape: tuple) -> dict:
    """{flat output position: [values in input order]}; a prefix outside the output is MindSpore's ValueError."""
    seqs: dict = {}
    for k, (pos, v) in enumerate(zip(idx[:, :-1], val)):
        for d, (i, n) in enumerate(zip(pos, out_shape)):
            if not 0 <= i < n:
                raise ValueError(f"For 'EditDistance', the {k}th {side}_value in {d}th dimension index: {i} of "
                                 f"'output' out of bounds: [0, {n}).")
        seqs.setdefault(int(np.ravel_multi_index(tuple(pos), out_shape)), []).append(v.item())
    return seqs


class EditDistance:
    """See the module's doc."""

    def __init__(self, normalize=True):
        if not isinstance(normalize, bool):
            raise TypeError(f"For 'EditDistance', the type of 'normalize' should be 'bool', but got type "
                            f"'{type(normalize).__name__}'.")
        self.normalize = normalize

    def __call__(self, hypothesis_indices, hypothesis_values, hypothesis_shape, truth_indices, truth_values,
                 truth_shape):
        args = (hypothesis_indices, hypothesis_values, hypothesis_shape, truth_indices, truth_values, truth_shape)
        _check(args)
        hi, hv, hs, ti, tv, ts = (t._concrete(f"EditDistance's {n} (the output is computed on the client)")
                                  for n, t in zip(_NAMES, args))
        out_shape = tuple(int(d) for d in np.maximum(hs[:-1], ts[:-1]))
        if not out_shape:
            raise RuntimeError("For 'EditDistance', output's shape size must be greater than 0.")
        hyp = _sequences("hypothesis", hi, hv, out_shape)
        truth = _sequences("truth", ti, tv, out_shape)
        out = np.zeros(int(np.prod(out_shape)), np.float32)
        for k in range(out.size):
            a, b = hyp.get(k, []), truth.get(k, [])
            dist = float(_levenshtein(a, b))
            if self.normalize:
                dist = dist / len(b) if b else (np.inf if a else 0.0)
            out[k] = dist
        return Tensor(out.reshape(out_shape))
