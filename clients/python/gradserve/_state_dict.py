"""Cell.state_dict / load_state_dict and their hooks (MindSpore 2.10's, PyTorch's shape): the cell's own Parameters
(attributes, in order) then its persistent buffers, then each sub-cell's under '<attribute>.' (a CellList's under
'<index>.'), keyed by those attribute paths. Values are the Parameter objects and the buffer Tensors.
load_state_dict writes each given value into the Parameter (set_data) or buffer (in place, so other holders of
the buffer see it) of the same key; strict (the default) refuses missing or unexpected keys with MindSpore's
RuntimeError text, else returns them as _IncompatibleKeys(missing_keys, unexpected_keys)."""
from __future__ import annotations

import collections
from collections import OrderedDict

from ._cell_buffers import buffers_of
from ._tensor import Parameter, Tensor

_IncompatibleKeys = collections.namedtuple("_IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _hooks(cell, kind: str) -> list:
    own = cell.__dict__.get("_gs_state_hooks")
    if own is None:
        own = {"pre": [], "post": [], "load_pre": [], "load_post": []}
        object.__setattr__(cell, "_gs_state_hooks", own)
    return own[kind]


def _children(cell):
    """(name, sub-cell): a Cell is a StateDictMethods (Cell inherits it; no import of Cell here)."""
    if isinstance(cell, list):  # CellList: its cells are its items
        for i, sub in enumerate(cell):
            if isinstance(sub, StateDictMethods):
                yield str(i), sub
    for name, sub in vars(cell).items():
        if isinstance(sub, StateDictMethods) and not name.startswith("_") and sub is not cell:
            yield name, sub


def _own_entries(cell):
    """(name, value, is_parameter) of the cell's own Parameters, then its persistent buffers."""
    for name, v in vars(cell).items():
        if isinstance(v, Parameter) and not name.startswith("_gs_"):
            yield name, v, True
    skip = cell.__dict__.get("_gs_non_persistent", set())
    for name, v in buffers_of(cell).items():
        if v is not None and name not in skip:
            yield name, v, False


def _subtree(cell, prefix: str, before, after, path: frozenset = frozenset()) -> None:
    """before(cell, prefix), each sub-cell's subtree, then after(cell, prefix): MindSpore's (PyTorch's) recursion, a
    sub-cell held under two attributes visited under each (a cell is not entered again below itself)."""
    before(cell, prefix)
    path = path | {id(cell)}
    for name, sub in _children(cell):
        if id(sub) not in path:
            _subtree(sub, f"{prefix}{name}.", before, after, path)
    after(cell, prefix)


class StateDictMethods:
    """Cell's state_dict methods (Cell inherits them)."""

    def register_state_dict_pre_hook(self, hook):
        _hooks(self, "pre").append(hook)

    def register_state_dict_post_hook(self, hook):
        _hooks(self, "post").append(hook)

    def register_load_state_dict_pre_hook(self, hook):
        _hooks(self, "load_pre").append(hook)

    def register_load_state_dict_post_hook(self, hook):
        _hooks(self, "load_post").append(hook)

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        out = OrderedDict() if destination is None else destination

        def own(cell, at):
            for hook in _hooks(cell, "pre"):
                hook(cell, at, keep_vars)
            for name, value, _ in _own_entries(cell):
                out[at + name] = value

        def post(cell, at):  # (after the cell's subtree: its hooks see the entries made so far)
            for hook in _hooks(cell, "post"):
                hook(cell, out, at, {})
        _subtree(self, prefix, own, post)
        return out

    def load_state_dict(self, state_dict, strict: bool = True):
        if not isinstance(state_dict, dict):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        missing: list[str] = []
        unexpected: list[str] = []
        errors: list[str] = []
        result = _IncompatibleKeys(missing, unexpected)  # (the hooks see these lists, and may edit them)

        def own(cell, at):
            for hook in _hooks(cell, "load_pre"):
                hook(cell, state_dict, at, {}, strict, missing, unexpected, errors)
            names = set()
            for name, target, is_param in _own_entries(cell):
                key = at + name
                names.add(name)
                if key not in state_dict:
                    missing.append(key)
                    continue
                value = state_dict[key]
                if not isinstance(value, Tensor):
                    raise TypeError(f"load_state_dict: the value of {key!r} must be a Tensor, got "
                                    f"{type(value).__name__}")
                if tuple(value.shape) != tuple(target.shape):
                    errors.append(f"size mismatch for {key}: copying a param with shape {list(value.shape)}, "
                                  f"the shape in current model is {list(target.shape)}.")
                    continue
                if is_param:
                    target.set_data(Tensor(value._host_copy()).astype(target.dtype))
                else:
                    getattr(target, "copy_")(value.astype(target.dtype))  # (set on Tensor by ops/_inplace)
            # a key under this cell's prefix naming neither its own entry nor a sub-cell (MindSpore's rule)
            names.update(name for name, _ in _children(cell))
            unexpected.extend(k for k in state_dict if k.startswith(at) and k[len(at):].split(".", 1)[0] not in names)

        def post(cell, at):
            for hook in _hooks(cell, "load_post"):
                hook(cell, result)
        _subtree(self, "", own, post)
        if strict:
            keys = [("Missing", missing), ("Unexpected", unexpected)]
            errors[:0] = [f"{what} key(s) in state_dict: " + ", ".join(f'"{k}"' for k in ks) + ". " for what, ks in keys if ks]
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        return result
