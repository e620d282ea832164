"""A Cell's buffers (MindSpore 2.10's `_Buffer`, `Cell.register_buffer`, `buffers`, `named_buffers`,
`get_buffer`): Tensors a Cell holds as state that are not Parameters (no gradient, not trained). A buffer is
an attribute like any Tensor (construct reads it as a constant); the Cell also lists it in `_buffers`, in
the order registered, and `named_buffers` walks the sub-cells with their dotted names."""
from __future__ import annotations

from ._tensor import Tensor


class _Buffer(Tensor):
    """A Tensor that a Cell registers as a buffer when assigned as its attribute."""


def buffers_of(cell) -> dict:
    """The cell's own buffers, name -> Tensor (made on first use: Cell.__init__ need not have run)."""
    own = cell.__dict__.get("_buffers")
    if own is None:
        own = {}
        object.__setattr__(cell, "_buffers", own)
    return own


class BufferMethods:
    """Cell's buffer methods (Cell inherits them)."""

    def register_buffer(self, name, tensor, persistent: bool = True) -> None:
        if not isinstance(name, str):
            raise TypeError(f"register_buffer: buffer name should be a string, but got {type(name).__name__}")
        if "." in name:
            raise KeyError(f"register_buffer: buffer name can't contain \".\", got {name!r}")
        if name == "":
            raise KeyError("register_buffer: buffer name can't be empty")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: the buffer must be a Tensor or None, got {type(tensor).__name__}")
        buffers_of(self)[name] = tensor
        skip = self.__dict__.setdefault("_gs_non_persistent", set())  # not in state_dict (MindSpore's persistent)
        (skip.discard if persistent else skip.add)(name)
        object.__setattr__(self, name, tensor)

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        seen = set()
        for name, value in buffers_of(self).items():
            if value is None or (remove_duplicate and id(value) in seen):
                continue
            seen.add(id(value))
            yield (f"{prefix}.{name}" if prefix else name), value
        if not recurse:
            return
        for attr, sub in vars(self).items():
            if isinstance(sub, BufferMethods) and sub is not self:
                for name, value in sub.named_buffers(f"{prefix}.{attr}" if prefix else attr, True, remove_duplicate):
                    if not (remove_duplicate and id(value) in seen):
                        seen.add(id(value))
                        yield name, value

    def buffers(self, recurse: bool = True):
        for _, value in self.named_buffers(recurse=recurse):
            yield value

    def get_buffer(self, target: str) -> Tensor:
        *path, name = target.split(".")
        cell = self
        for part in path:
            inner = getattr(cell, part, None)
            if not isinstance(inner, BufferMethods):
                raise AttributeError(f"get_buffer: {type(self).__name__} has no attribute {part!r} (in {target!r})")
            cell = inner
        own = buffers_of(cell)
        if name not in own:
            raise AttributeError(f"get_buffer: {type(cell).__name__} has no attribute `{name}` that is a buffer")
        return own[name]
