"""MindSpore's sparse tensor classes (CSRTensor, COOTensor, RowTensor): gradserve has no sparse tensors yet.
The names exist so that a program importing them still loads (and `isinstance(x, CSRTensor)` is False);
constructing one raises NotImplementedError naming it."""
from __future__ import annotations


class _Unsupported:
    _gradserve_placeholder = True  # _support lists these under "Not supported"

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(f"mindspore.{type(self).__name__}: gradserve has no sparse tensors; "
                                  "use dense Tensors")


class CSRTensor(_Unsupported):
    """Not implemented (see the module's doc)."""


class COOTensor(_Unsupported):
    """Not implemented (see the module's doc)."""


class RowTensor(_Unsupported):
    """Not implemented (see the module's doc)."""
