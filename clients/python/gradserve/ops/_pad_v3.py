"""ops.PadV3(mode='constant', paddings_contiguous=True)(x, paddings, constant_value): MindSpore 2.10's primitive
over ops.pad (the same values and gradients; its 'edge' is pad's 'replicate'), with the primitive's own argument
rules and texts (MindSpore 2.10 CPU runs): no batch axis is added for the edge / reflect / circular ranks,
constant mode needs the constant_value input, paddings_contiguous=False reads [begin..., end...]."""
from __future__ import annotations

from .._late import late
from .._tensor import Tensor
from ._ms_prims import _check_pad_v3

__all__ = ["PadV3"]

_MODES = ("constant", "reflect", "edge", "circular")


def _pads(paddings, contiguous: bool) -> list[int]:
    pads = [int(v) for v in (paddings.asnumpy().ravel() if isinstance(paddings, Tensor) else paddings)]
    if contiguous:
        return pads
    half = len(pads) // 2
    return [v for pair in zip(pads[:half], pads[half:]) for v in pair]


class PadV3:
    """See the module's doc; pads are ops.pad's: (left, right) of the last axis first."""

    def __init__(self, mode="constant", paddings_contiguous=True):
        if not isinstance(mode, str) or mode not in _MODES:
            raise ValueError(f"For 'PadV3', the 'mode' must be str and must be in '{list(_MODES)}', but got "
                             f"'{mode}'.")
        self.mode, self.contiguous = mode, bool(paddings_contiguous)

    def __call__(self, x, paddings, constant_value=None):
        pads = _pads(paddings, self.contiguous)
        if len(pads) > 6:
            raise ValueError(f"For primitive[PadV3], the paddings_length must be less than or equal to 6, but got "
                             f"{len(pads)}.")
        if self.mode == "constant":
            if constant_value is None:
                raise ValueError("For primitive[PadV3], the input number must be equal to 3, but got 2.")
            if len(pads) % 2:
                raise ValueError("For 'PadV3' constant mode, paddings length must be divisible by 2")
            if isinstance(constant_value, Tensor) and constant_value.dtype != x.dtype:  # (MindSpore: a bare TypeError)
                raise TypeError(f"For primitive[PadV3], 'constant_value' must have x's dtype {x.dtype}, but got "
                                f"{constant_value.dtype}.")
        else:
            _check_pad_v3("reflect" if self.mode == "reflect" else "edge", len(pads), len(x.shape), False)
        for k in range(len(pads) // 2):
            size = int(x.shape[-1 - k]) + pads[2 * k] + pads[2 * k + 1]
            if size <= 0:
                raise ValueError(f"For primitive[PadV3], the output size must be greater than 0, but got {size}.")
            axis, (left, right) = len(x.shape) - 1 - k, pads[2 * k:2 * k + 2]
            if self.mode == "reflect" and max(left, right) >= int(x.shape[axis]):
                raise ValueError(f"For 'PadV3' reflect mode, Padding size must be less than the corresponding input "
                                 f"dimension, but got: padding ({left},{right}) at dimension {axis} of input:"
                                 f"[{int(x.shape[axis])}]")
        mode = {"edge": "replicate"}.get(self.mode, self.mode)
        value = constant_value.asnumpy().item() if isinstance(constant_value, Tensor) else constant_value
        return late.ops.pad(x, tuple(pads), mode, value if self.mode == "constant" else None)
