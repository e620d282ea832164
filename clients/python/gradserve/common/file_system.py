"""`mindspore.common.file_system`: the local file system MindSpore's checkpoint code writes through
(MindSpore 2.10's basic backend; its MindIO backend is not part of gradserve)."""
from __future__ import annotations


class FileSystem:
    """create / open: Python's open, with create_args ("ab",) and open_args ("rb",) (MindSpore's basic backend)."""

    def __init__(self):
        self.create = open
        self.create_args = ("ab",)
        self.open = open
        self.open_args = ("rb",)
        self.backend = "basic"


__all__ = ["FileSystem"]
