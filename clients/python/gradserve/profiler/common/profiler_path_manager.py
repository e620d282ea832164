"""`mindspore.profiler.common.profiler_path_manager.ProfilerPathManager`: the profile's folder names
(`<host>_<pid>_<UTC ms timestamp>_ascend_ms`, or `<worker_name>_<pid>_...`) and the on_trace_ready handler's
folder, with MindSpore 2.10's checks and texts."""
from __future__ import annotations

import os
import socket
from datetime import datetime, timezone
from typing import Optional

from ... import log as logger
from .path_manager import PathManager
from .profiler_context import ProfilerContext
from .singleton import Singleton


def _real_path(path: str) -> str:
    """MindSpore's PathManager.get_real_path: a link is refused, ~ expanded."""
    from .exceptions.exceptions import ProfilerPathErrorException
    if os.path.islink(path):
        raise ProfilerPathErrorException(f"Invalid input path is a soft link: {path}")
    return os.path.realpath(os.path.expanduser(path))


@Singleton
class ProfilerPathManager:
    _ASCEND_MS_DIR = "{}_{}_ascend_ms"
    MAX_WORKER_NAME_LENGTH = 226

    def __init__(self) -> None:
        self._prof_ctx = ProfilerContext()
        self._worker_name: Optional[str] = None
        self._dir_path: Optional[str] = None

    def init(self, worker_name: Optional[str] = None, dir_name: Optional[str] = None) -> None:
        valid_wk_name = bool(worker_name) and isinstance(worker_name, str)
        valid_wk_len = isinstance(worker_name, str) and len(worker_name) < self.MAX_WORKER_NAME_LENGTH
        if (valid_wk_name and valid_wk_len) or worker_name is None:
            self._worker_name = worker_name
        else:
            logger.warning("Invalid parameter worker_name, reset it to default.")
            self._worker_name = None
        if dir_name and isinstance(dir_name, str):
            dir_path = _real_path(dir_name)
            PathManager.check_input_directory_path(dir_path)
            self._dir_path = dir_path
        elif dir_name is None:
            self._dir_path = None
        else:
            logger.warning("Invalid parameter dir_name, reset it to default.")
            self._dir_path = None
        if self._dir_path:
            self._prof_ctx.on_trace_ready_output_path = self._dir_path

    def set_ascend_ms_dir(self) -> None:
        self._prof_ctx.ascend_ms_dir = self._get_ascend_ms_dir()

    def create_profiler_paths(self) -> None:
        PathManager.make_dir_safety(self._prof_ctx.ascend_ms_dir)
        PathManager.make_dir_safety(self._prof_ctx.framework_path)
        logger.info("Profiler ascend_ms_dir initialized: %s", self._prof_ctx.ascend_ms_dir)

    def _get_ascend_ms_dir(self) -> str:
        timestamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")[:-3]
        worker = self._worker_name or socket.gethostname()
        return self._ASCEND_MS_DIR.format(f"{worker}_{os.getpid()}", timestamp)
