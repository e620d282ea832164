"""`mindspore.profiler.common.path_manager.PathManager`: the profiler's checks of the user's paths, with MindSpore
2.10's limits, order of checks and ProfilerPathErrorException texts (probed in /work/msvenv). The checks reach the
file system through `os` / `os.path` / `shutil` at call time, as MindSpore's tests patch them there."""
from __future__ import annotations

import os
import re
import shutil
import stat
from typing import Callable

from ... import log as logger
from .exceptions.exceptions import ProfilerPathErrorException

__all__ = ["PathManager"]

# The characters a profiler path may hold: . / _ - whitespace ~ ASCII letters and digits, CJK (U+4E00-U+9FA5).
_PATH_CHARS = re.compile(r"[./_\s~0-9a-zA-Z\u4e00-\u9fa5-]+")


def _refuse_link(path: str, msg: str) -> None:
    if os.path.islink(path):
        raise ProfilerPathErrorException(msg)


class PathManager:
    """The profiler's path checks and safe makes / removes (class methods only)."""
    MAX_PATH_LENGTH = 4096
    MAX_FILE_NAME_LENGTH = 255
    DATA_FILE_AUTHORITY = 0o640
    DATA_DIR_AUTHORITY = 0o750
    MAX_FILE_SIZE = 10 * 1024 ** 3

    @classmethod
    def _input_path_common_check(cls, path: str) -> None:
        """Length, soft link, characters, then each name's length; whether the path exists is not checked."""
        if len(path) > cls.MAX_PATH_LENGTH:
            raise ProfilerPathErrorException(f"Path {path} length {len(path)} exceeds the limit {cls.MAX_PATH_LENGTH}.")
        _refuse_link(path, f"Invalid input path is a soft link: {path}")
        if not _PATH_CHARS.fullmatch(path):
            raise ProfilerPathErrorException(f"Invalid input path: {path}, contains invalid characters.")
        for name in path.split("/"):
            if len(name) > cls.MAX_FILE_NAME_LENGTH:
                raise ProfilerPathErrorException(f"Length of input path {path} file name {name} exceeds the limit "
                                                 f"{cls.MAX_FILE_NAME_LENGTH}.")

    @classmethod
    def check_input_directory_path(cls, path: str) -> None:
        """The common checks and not a file (a missing path passes)."""
        cls._input_path_common_check(path)
        if os.path.isfile(path):
            raise ProfilerPathErrorException(f"Invalid input path is a file path: {path}")

    @classmethod
    def check_input_file_path(cls, path: str) -> None:
        """The common checks, not a directory, under MAX_FILE_SIZE, not group/other-writable, not a device (a
        missing file is os.path.getsize's FileNotFoundError, as in MindSpore)."""
        cls._input_path_common_check(path)
        if os.path.isdir(path):
            raise ProfilerPathErrorException(f"Invalid input path is a directory path: {path}")
        size = os.path.getsize(path)
        if size >= cls.MAX_FILE_SIZE:
            raise ProfilerPathErrorException(f"file size exceeds the limit: {cls.MAX_FILE_SIZE}, file size: {size}")
        mode = os.stat(path).st_mode
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise ProfilerPathErrorException(f"File path {path} has group or others writable permissions, "
                                             "which is not allowed.")
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            raise ProfilerPathErrorException(f"Invalid input path is a character or block device path: {path}")

    @classmethod
    def check_path_owner_consistent(cls, path: str) -> None:
        """The path exists and (off Windows) belongs to the current user."""
        if not os.path.exists(path):
            raise ProfilerPathErrorException(f"The path does not exist: {path}")
        if os.name != "nt" and os.stat(path).st_uid != os.getuid():
            raise ProfilerPathErrorException(f"Path {path} owner[{os.stat(path).st_uid}] does not match the current "
                                             f"user[{os.getuid()}].Please execute chown -R $(id -un) {path}")

    @classmethod
    def _check_directory_access(cls, path: str, mode: int, what: str) -> None:
        cls.check_path_owner_consistent(path)
        _refuse_link(path, f"Invalid path is a soft link: {path}")
        if not os.access(path, mode):
            raise ProfilerPathErrorException(f"The path {what} permission check failed: {path}. "
                                             f"Please execute chmod -R 755 {path}")

    @classmethod
    def check_directory_path_writeable(cls, path: str) -> None:
        """The user's own, not a soft link, writable."""
        cls._check_directory_access(path, os.W_OK, "writeable")

    @classmethod
    def check_directory_path_readable(cls, path: str) -> None:
        """The user's own, not a soft link, readable."""
        cls._check_directory_access(path, os.R_OK, "readable")

    @classmethod
    def check_path_is_readable(cls, path: str) -> None:
        """Not a soft link and readable (whoever owns it)."""
        _refuse_link(path, f"Invalid path is a soft link: {path}")
        if not os.access(path, os.R_OK):
            raise ProfilerPathErrorException(f"The path readable permission check failed: {path}.")

    @classmethod
    def check_path_is_executable(cls, path: str) -> bool:
        """Whether the user may execute (enter) the path."""
        return os.access(path, os.X_OK)

    @classmethod
    def remove_path_safety(cls, path: str) -> None:
        """A directory tree removed; a missing one only warned about; a soft link refused."""
        cls._remove(path, "path", shutil.rmtree)

    @classmethod
    def remove_file_safety(cls, file: str) -> None:
        """A file removed; a missing one only warned about; a soft link refused."""
        cls._remove(file, "file", os.remove)

    @classmethod
    def _remove(cls, path: str, what: str, remove: Callable[[str], object]) -> None:
        if not os.path.exists(path):
            logger.warning(f"The {what} does not exist: %s", path)
            return
        _refuse_link(path, f"Failed to remove {what}: {path}, is a soft link")
        try:
            remove(path)
        except PermissionError as err:
            raise ProfilerPathErrorException(f"Permission denied while removing {what}: {path}") from err
        except Exception as err:
            raise ProfilerPathErrorException(f"Failed to remove {what}: {path}, err: {err}") from err

    @classmethod
    def make_dir_safety(cls, path: str) -> None:
        """The directory and its parents made with mode DATA_DIR_AUTHORITY; anything already there is left as is
        (a file too, as in MindSpore); a dangling soft link refused."""
        if os.path.exists(path):
            return
        _refuse_link(path, f"Failed to make directory: {path}, is a soft link")
        try:
            os.makedirs(path, mode=cls.DATA_DIR_AUTHORITY, exist_ok=True)
        except Exception as err:
            raise ProfilerPathErrorException(f"Failed to make directory: {path}, err: {err}") from err
