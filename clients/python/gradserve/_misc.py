"""Small MindSpore top-level functions with nothing to compute on a service."""
from __future__ import annotations

import random

import numpy as np


def set_seed(seed: int) -> None:
    """Seeds Python's and NumPy's generators (initializers drawn on the client use NumPy)."""
    random.seed(seed)
    np.random.seed(seed)


def mutable(input_data, dynamic_len: bool = False):
    """MindSpore marks a value as variable across graph compilations; a trace per signature
    already treats Tensors that way, so the value is returned as it is."""
    return input_data
