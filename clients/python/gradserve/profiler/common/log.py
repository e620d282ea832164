"""`mindspore.profiler.common.log`: the profiler's own log, a rotating file under <output dir>/logs (10 MiB a file,
3 kept; INFO and up; not passed to the root logger). One logger per process: init once, then get_instance."""
from __future__ import annotations

import logging
import os
from datetime import datetime
from logging.handlers import RotatingFileHandler
from typing import Optional

from .path_manager import PathManager


class ProfilerLogger:
    LOG_FORMAT = "[%(asctime)s] [%(levelname)s] [%(filename)s:%(lineno)d] %(message)s"
    DATE_FORMAT = "%Y-%m-%d-%H:%M:%S"
    DEFAULT_LOGGER_NAME = "MindSporeProfiler"
    DEFAULT_LOG_LEVEL = logging.INFO
    DEFAULT_LOG_DIR = "logs"
    MAX_BYTES = 10 * 1024 * 1024
    BACKUP_COUNT = 3

    _instance: Optional[logging.Logger] = None

    @classmethod
    def get_instance(cls) -> logging.Logger:
        if cls._instance is None:
            raise RuntimeError("Logger not initialized. Call init first.")
        return cls._instance

    @classmethod
    def init(cls, output_dir: str, custom_name: Optional[str] = None) -> None:
        """The file: profiler_<YYYYmmddHHMMSS>_<pid>[_<custom_name>].log; the folder made through PathManager's
        checks. A second init keeps the first logger."""
        if cls._instance is not None:
            return
        log_dir = os.path.join(output_dir, cls.DEFAULT_LOG_DIR)
        PathManager.make_dir_safety(log_dir)
        PathManager.check_directory_path_writeable(log_dir)
        log = logging.getLogger(cls.DEFAULT_LOGGER_NAME)
        log.setLevel(cls.DEFAULT_LOG_LEVEL)
        log.propagate = False
        suffix = f"_{custom_name}" if custom_name else ""
        stamp = datetime.now().strftime("%Y%m%d%H%M%S")
        log_file = os.path.join(log_dir, f"profiler_{stamp}_{os.getpid()}{suffix}.log")
        handler = RotatingFileHandler(filename=log_file, maxBytes=cls.MAX_BYTES, backupCount=cls.BACKUP_COUNT,
                                      encoding="utf-8")
        handler.setFormatter(logging.Formatter(fmt=cls.LOG_FORMAT, datefmt=cls.DATE_FORMAT))
        handler.setLevel(cls.DEFAULT_LOG_LEVEL)
        log.addHandler(handler)
        cls._instance = log
        log.info("Profiler logger initialized at: %s", log_file)

    @classmethod
    def set_level(cls, level: int) -> None:
        log = cls.get_instance()
        log.setLevel(level)
        for handler in log.handlers:
            handler.setLevel(level)

    @classmethod
    def destroy(cls) -> None:
        if cls._instance:
            for handler in list(cls._instance.handlers):
                handler.close()
                cls._instance.removeHandler(handler)
            cls._instance = None
