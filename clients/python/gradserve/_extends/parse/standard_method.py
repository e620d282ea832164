"""`mindspore._extends.parse.standard_method`: the functions MindSpore's graph compiler binds Tensor methods to
(`standard_method.reshape(x, *shape)` is `x.reshape(*shape)`), which programs and MindSpore's tests import and
call directly. Here each calls the Tensor's own method, so there is one definition of each (on the Tensor);
`tensor_bool` is a one-element Tensor's truth as a bool Tensor (a condition's cast)."""
from __future__ import annotations

__all__ = ["unsqueeze", "tensor_bool", "topk", "view", "reshape", "swapaxes", "squeeze", "argmax", "diagonal",
           "take", "choose", "var", "searchsorted", "ms_len"]


def unsqueeze(input, dim):  # noqa: A002 - MindSpore's names
    return input.unsqueeze(dim)


def tensor_bool(x):
    """x (one element) as a bool Tensor; more elements: MindSpore's ambiguity ValueError."""
    if x.size != 1:
        raise ValueError(f"The truth value of a Tensor with {x.size} elements is ambiguous: it needs one element.")
    return x.astype("bool")


def topk(input_x, k, dim=None, largest=True, sorted=True):  # noqa: A002
    return input_x.topk(k, dim=dim, largest=largest, sorted=sorted)


def view(x, *shape):
    return x.view(*shape)


def reshape(x, *shape):
    return x.reshape(*shape)


def swapaxes(input, axis0, axis1):  # noqa: A002
    return input.swapaxes(axis0, axis1)


def squeeze(x, axis=None):
    return x.squeeze(axis)


def argmax(x, axis=None, keepdims=False):
    return x.argmax(axis, keepdims)


def diagonal(x, offset=0, axis1=0, axis2=1):
    return x.diagonal(offset, axis1, axis2)


def take(x, indices, axis=None, mode="clip"):
    return x.take(indices, axis, mode)


def choose(x, choices, mode="clip"):
    return x.choose(choices, mode)


def var(x, axis=None, ddof=0, keepdims=False):
    return x.var(axis, ddof=ddof, keepdims=keepdims)


def searchsorted(x, v, side="left", sorter=None):
    return x.searchsorted(v, side=side, sorter=sorter)


def ms_len(input_data):
    """`len(input_data)`, the function MindSpore's compiler binds len() to."""
    return len(input_data)
