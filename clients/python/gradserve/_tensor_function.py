"""mindspore.tensor(input_data=None, dtype=None, shape=None, init=None, const_arg=False): MindSpore 2.x's
function spelling of the Tensor constructor (same arguments, a Tensor)."""
from __future__ import annotations

from ._tensor import Tensor


def tensor(input_data=None, dtype=None, shape=None, init=None, const_arg=False):
    return Tensor(input_data, dtype, shape, init, const_arg=const_arg)
