"""Small MindSpore top-level functions with nothing to compute on a service."""
from __future__ import annotations

import random

import numpy as np


def set_seed(seed: int) -> None:
    """Seeds Python's and NumPy's generators (initializers drawn on the client use NumPy)."""
    random.seed(seed)
    np.random.seed(seed)


class MutableDict(dict):
    """A dict made variable by mutable(): its Tensors are inputs of a trace (so they get gradients,
    a tuple over its values in order, as in MindSpore), where a plain dict argument is a constant."""


def mutable(input_data, dynamic_len: bool = False):
    """MindSpore marks a value as variable across graph compilations. A trace per signature already
    treats Tensors (and tuples / lists of them) that way, so those are returned as they are; dicts,
    at any depth, become MutableDicts."""
    if isinstance(input_data, dict):
        return MutableDict({k: mutable(v) for k, v in input_data.items()})
    if isinstance(input_data, (tuple, list)) and any(isinstance(v, dict) for v in input_data):
        return type(input_data)(mutable(v) for v in input_data)
    return input_data
