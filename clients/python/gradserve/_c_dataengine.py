"""`mindspore._c_dataengine`: MindSpore's C++ dataset engine module, of which only `Tensor` is here (a dataset
tensor made from a NumPy array, strings and bytes too; `as_array` gives the array back), as MindSpore's dataset tests
use it. Any other public name is a placeholder that raises NotImplementedError when used."""
from __future__ import annotations

import numpy as np

from .ops.operations._missing import module_getattr

__getattr__ = module_getattr("mindspore._c_dataengine")


class Tensor:
    def __init__(self, array) -> None:
        self._array = np.array(array)  # (a copy: MindSpore's tensor owns its data)

    def as_array(self) -> np.ndarray:
        return self._array.copy()

    def shape(self) -> list[int]:
        return list(self._array.shape)

    def __repr__(self) -> str:
        return f"Tensor(shape={self.shape()}, {self._array!r})"
