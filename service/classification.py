"""Triton's classification extension: a requested output's `classification` parameter (tritonclient's
InferRequestedOutput(class_count=k)) answers, instead of the tensor, its k largest elements as BYTES strings
"value:index" (Triton's server, src/classification.cc: the value as C++'s std::to_string writes it, "%f" for
floats, the index in the flattened tensor; no labels here, so never ":label"). A model here has no batch
dimension (max_batch_size 0), so, as Triton does then, the whole tensor is one row: shape [min(k, size)].
Ties keep the lower index first (Triton's std::sort does so for up to 16 elements; past that it leaves their order
unspecified); NaN goes last (Triton's comparison leaves it unspecified too).
"""
from __future__ import annotations

import numpy as np

from .errors import InvalidRequest

CLASSIFIABLE = ("UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP32", "FP64")


def class_count(value, path: str) -> int:
    """The parameter's k (0: the plain tensor, as Triton reads it)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequest("classification (class_count) must be a non-negative integer", path=path)
    return value


def check_classifiable(datatype: str, path: str) -> None:
    if datatype not in CLASSIFIABLE:  # (Triton's words)
        raise InvalidRequest(f"class result not available for output due to unsupported type '{datatype}'", path=path)


def top_k(a: np.ndarray, k: int) -> np.ndarray:
    """The k "value:index" strings (an object array of bytes), largest first."""
    flat = np.asarray(a).reshape(-1)
    n = flat.size
    nan = np.isnan(flat) if flat.dtype.kind == "f" else np.zeros(n, bool)
    idx = np.flatnonzero(~nan)
    vals = flat[idx]
    if k < vals.size:  # only those at or above the k-th largest sorted (O(n): this runs on the event loop)
        keep = np.flatnonzero(vals >= np.partition(vals, vals.size - k)[vals.size - k])
        idx, vals = idx[keep], vals[keep]
    # descending and stable: an ascending stable sort of the reversed values, reversed
    order = idx[::-1][np.argsort(vals[::-1], kind="stable")][::-1]
    order = np.concatenate([order, np.flatnonzero(nan)])[:k]
    text = (lambda v: f"{float(v):.6f}") if flat.dtype.kind == "f" else (lambda v: str(int(v)))
    return np.array([f"{text(flat[i])}:{i}".encode() for i in order], dtype=object)


def serialized(strings: np.ndarray) -> bytes:
    """Triton's BYTES wire form (binary tensor extension, gRPC raw contents): each element's 4-byte little-endian
    length, then its bytes."""
    return b"".join(len(s).to_bytes(4, "little") + s for s in strings)


def encode(name: str, strings: np.ndarray, binary: bool) -> tuple[dict, bytes | None]:
    """An HTTP output's header (and raw bytes, binary): JSON data is the strings."""
    d = {"name": name, "shape": list(strings.shape), "datatype": "BYTES"}
    if not binary:
        return {**d, "data": [s.decode() for s in strings]}, None
    raw = serialized(strings)
    return {**d, "parameters": {"binary_data_size": len(raw)}}, raw
