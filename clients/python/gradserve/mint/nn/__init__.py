"""`mint.nn`: MindSpore 2.10's `mindspore.mint.nn` layers, PyTorch's spellings (`dim`, `reduction='mean'`)
over the Cells and ops here; `mint.nn.functional` is their functional side."""
from __future__ import annotations

from typing import Any

from ... import nn as _nn
from . import functional  # noqa: F401
from . import functional as F  # noqa: N812 - MindSpore's alias

Cell = _nn.Cell
(ReLU, Sigmoid, Tanh, SiLU, Flatten, LogSigmoid, Mish, Dropout, PReLU, PixelShuffle) = (
    _nn.ReLU, _nn.Sigmoid, _nn.Tanh, _nn.SiLU, _nn.Flatten, _nn.LogSigmoid, _nn.Mish, _nn.Dropout,
    _nn.PReLU, _nn.PixelShuffle)
from ._embedding import Embedding  # noqa: E402  (MindSpore's EmbeddingExt: PyTorch's signature, max_norm)


class Identity(Cell):
    """Identity(*args, **kwargs)(x) is x (the arguments are ignored, as PyTorch's)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def construct(self, input):  # noqa: A002
        return input


class _Functional(Cell):
    """a Cell whose construct is one mint.nn.functional function with the keywords given at construction."""
    _fn: Any = None

    def __init__(self, **kwargs):
        super().__init__()
        self._kwargs = kwargs

    def construct(self, *inputs):
        return type(self)._fn(*inputs, **self._kwargs)


class GLU(_Functional):
    """GLU(dim=-1): a * sigmoid(b) of the halves of the input along dim."""
    _fn = staticmethod(F.glu)

    def __init__(self, dim=-1):
        super().__init__(dim=dim)


class BCEWithLogitsLoss(_Functional):
    """BCEWithLogitsLoss(weight=None, reduction='mean', pos_weight=None)(input, target)."""
    _fn = staticmethod(F.binary_cross_entropy_with_logits)

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(weight=weight, reduction=reduction, pos_weight=pos_weight)


class Hardshrink(_Functional):
    """Hardshrink(lambd=0.5)."""
    _fn = staticmethod(F.hardshrink)

    def __init__(self, lambd=0.5):
        super().__init__(lambd=lambd)


class Softshrink(_Functional):
    """Softshrink(lambd=0.5)."""
    _fn = staticmethod(F.softshrink)

    def __init__(self, lambd=0.5):
        super().__init__(lambd=lambd)


class Hardsigmoid(_Functional):
    """Hardsigmoid()."""
    _fn = staticmethod(F.hardsigmoid)


class Hardswish(_Functional):
    """Hardswish()."""
    _fn = staticmethod(F.hardswish)


class Softmax(_Functional):
    """Softmax(dim=None)."""
    _fn = staticmethod(F.softmax)

    def __init__(self, dim=None):
        super().__init__(dim=dim)


class GroupNorm(_nn.GroupNorm):
    """GroupNorm(num_groups, num_channels, eps=1e-5, affine=True, dtype=None): its Parameters are weight and
    bias (MindSpore 2.10's mint names; nn.GroupNorm's are gamma and beta)."""
    _names = ("weight", "bias")

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, dtype=None):
        super().__init__(num_groups, num_channels, eps=eps, affine=affine, dtype=dtype)


class Linear(_nn.Dense):
    """Linear(in_features, out_features, bias=True, weight_init=None, bias_init=None, dtype=None): x @ W^T + b
    (nn.Dense's initialisation)."""

    def __init__(self, in_features, out_features, bias=True, weight_init=None, bias_init=None, dtype=None):
        super().__init__(in_features, out_features, weight_init=weight_init, bias_init=bias_init, has_bias=bias,
                         dtype=dtype)
