"""`mindspore.ops._grad_experimental.grad_base`: bprop_getters, the table a user-defined primitive's derivative
rule registers into (`@bprop_getters.register(MyOp)`; see ops/_user_prim.py)."""
from .._user_prim import bprop_getters

__all__ = ["bprop_getters"]
