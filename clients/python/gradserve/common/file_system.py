"""`mindspore.common.file_system`: the local file system MindSpore's checkpoint code writes through
(MindSpore 2.10's basic backend; its MindIO backend is not part of gradserve)."""
from __future__ import annotations

from typing import Any, Callable


class FileSystem:
    """create / open: Python's open, with create_args ("ab",) and open_args ("rb",) (MindSpore's basic backend)."""

    create: Callable[..., Any]
    create_args: tuple[str, ...]
    open: Callable[..., Any]
    open_args: tuple[str, ...]

    def __init__(self):
        _register_basic_file_system(self)
        self.backend = "basic"


def _register_basic_file_system(fs: FileSystem) -> bool:
    """fs's create / open set to the basic backend's (MindSpore's helper; True: registered)."""
    fs.create, fs.create_args = open, ("ab",)
    fs.open, fs.open_args = open, ("rb",)
    return True


def _register_mindio_file_system(fs: FileSystem) -> bool:
    """MindSpore's MindIO backend: not part of gradserve, so never registered (False, as MindSpore answers
    without the mindio package)."""
    return False


__all__ = ["FileSystem"]
