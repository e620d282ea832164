"""Tensor.untyped_storage(): MindSpore 2.10's UntypedStorage of a Tensor's bytes (its CPU build has it): size() and
nbytes() in bytes, data_ptr() (0 once resized to nothing), resize_(n) (the bytes kept up to n, zeros after),
copy_(other) (the other storage's bytes written into this Tensor: `b.untyped_storage().copy_(c.untyped_storage())`
gives b c's values). A traced (symbolic) Tensor has no bytes yet: a RuntimeError."""
from __future__ import annotations

import numpy as np

from .._tensor import Parameter, Tensor

__all__: list[str] = []


class UntypedStorage:
    """The bytes of one Tensor (gradserve keeps them in one C-ordered host array)."""

    def __init__(self, tensor: Tensor):
        self._tensor = tensor
        self._bytes = np.ascontiguousarray(tensor._data).view(np.uint8).reshape(-1)

    def size(self) -> int:
        return int(self._bytes.size)

    def nbytes(self) -> int:
        return int(self._bytes.size)

    def data_ptr(self) -> int:
        return int(self._bytes.ctypes.data) if self._bytes.size else 0

    def resize_(self, nbytes: int) -> "UntypedStorage":
        new = np.zeros(int(nbytes), np.uint8)
        keep = min(new.size, self._bytes.size)
        new[:keep] = self._bytes[:keep]
        self._bytes = new
        return self

    def copy_(self, other: "UntypedStorage") -> "UntypedStorage":
        if not isinstance(other, UntypedStorage) or other.nbytes() != self.nbytes():
            raise RuntimeError(f"UntypedStorage.copy_: the source must be a storage of {self.nbytes()} bytes, got "
                               f"{other.nbytes() if isinstance(other, UntypedStorage) else type(other).__name__}")
        self._bytes[:] = other._bytes
        t = self._tensor
        new = self._bytes.view(t._data.dtype).reshape(t._data.shape).copy()  # (the Tensor sees the new bytes)
        if isinstance(t, Parameter):
            t.set_data(new)  # (a new value: its version counts up, as any write's)
        else:
            t._data = new
        return self


def _untyped_storage(self) -> UntypedStorage:
    if self._data is None:
        raise RuntimeError("Tensor.untyped_storage: a traced Tensor has no storage (its values exist when the graph "
                           "runs)")
    return UntypedStorage(self)


setattr(Tensor, "untyped_storage", _untyped_storage)
