"""MindSpore's top-level types, as `_inner_ops.TopTypeof()(x)` answers them (MindSpore 2.10, checked): a Tensor
(a Parameter too) gives `tensor_type` (an instance of `mstype.TensorType`; str Tensor, repr mindspore.tensor), a
Python float mindspore.float32, and int / bool / tuple / list / dict / None / slice / Ellipsis / str each a type of
its own kind (str Int, Bool, Tuple, List, Dictionary, None, Slice, Ellipsis, String). Only these; the classes
of MindSpore's type lattice (mstype.Int holding int32, ...) are not modelled."""
from __future__ import annotations

from typing import Any


class TopType:
    """One top-level type: its str and repr are MindSpore's; equal to another of the same class and name."""

    __slots__ = ("_str", "_repr")

    def __init__(self, text: str, rep: str):
        self._str, self._repr = text, rep

    def __str__(self) -> str:
        return self._str

    def __repr__(self) -> str:
        return self._repr

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and other._str == self._str

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._str))


class TensorType(TopType):
    """mstype.TensorType: the top type of every Tensor."""


tensor_type = TensorType("Tensor", "mindspore.tensor")
# bool before int (a bool is an int); MindSpore's class names (its reprs) beside its texts
KINDS = ((bool, TopType("Bool", "mindspore.bool")), (int, TopType("Int", "mindspore.int")),
         (tuple, TopType("Tuple", "mindspore.tuple_")), (list, TopType("List", "mindspore.list_")),
         (dict, TopType("Dictionary", "mindspore.Dictionary")), (type(None), TopType("None", "mindspore.type_none")),
         (slice, TopType("Slice", "mindspore.Slice")), (type(...), TopType("Ellipsis", "mindspore.Ellipsis")),
         (str, TopType("String", "mindspore.string_")))
