"""`mindspore.profiler.common.file_manager.FileManager`: the profiler's reads and writes of json / csv / txt files
on the user's paths, behind PathManager's checks, with MindSpore 2.10's order of checks and RuntimeError texts
("Failed read json file: <path>, error: <err>"). Files are created with mode DATA_FILE_AUTHORITY (0o640)."""
from __future__ import annotations

import csv
import json
import os
import shutil
from typing import Any, Callable, IO, Optional

import numpy as np

from ... import log as logger
from .path_manager import PathManager

__all__ = ["FileManager"]


def _read(path: str, what: str, read: Callable[[], Any]) -> Any:
    """PathManager's file and readable checks, then read(); its failure the RuntimeError naming `what`."""
    PathManager.check_input_file_path(path)
    PathManager.check_directory_path_readable(path)
    try:
        return read()
    except Exception as err:
        raise RuntimeError(f"Failed read {what}: {path}, error: {err}") from err


def _csv_as_numpy(path: str, extern_headers: Optional[list]) -> tuple[np.ndarray, list]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter=",", quotechar='"')
        headers = list(extern_headers or []) + list(reader.fieldnames or [])  # extern columns read as None
        rows = [tuple(row.get(h) for h in headers) for row in reader]
    return np.array(rows, dtype=np.dtype([(h, object) for h in headers])), headers


class FileManager:
    """The profiler's file reads and writes (class methods only)."""
    MAX_PATH_LENGTH = 4096
    MAX_FILE_NAME_LENGTH = 255
    DATA_FILE_AUTHORITY = 0o640
    DATA_DIR_AUTHORITY = 0o700
    FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC

    @classmethod
    def _write(cls, path: str, what: str, write: Callable[[IO[str]], object]) -> None:
        try:
            with os.fdopen(os.open(path, cls.FLAGS, cls.DATA_FILE_AUTHORITY), "w") as f:
                write(f)
        except Exception as err:
            raise RuntimeError(f"Failed create {what}: {path}, error: {err}") from err

    @classmethod
    def read_file_content(cls, path: str, mode: str = "r") -> Any:
        def read() -> Any:
            with open(path, mode) as f:  # (the caller's mode: text or bytes)
                return f.read()
        return _read(path, "file", read)

    @classmethod
    def read_json_file(cls, file_path: str) -> Any:
        def read() -> Any:
            with open(file_path, "r", encoding="utf-8") as f:
                return json.load(f)
        return _read(file_path, "json file", read)

    @classmethod
    def create_json_file(cls, output_file_path: str, json_data: Any, indent: Optional[int] = None) -> None:
        """The folder checked writable first; empty data only warned about (no file)."""
        PathManager.check_directory_path_writeable(os.path.dirname(output_file_path))
        if not json_data:
            logger.warning("Json data is empty, file path: %s", output_file_path)
            return
        cls._write(output_file_path, "json file", lambda f: f.write(json.dumps(json_data, indent=indent,
                                                                                ensure_ascii=False)))

    @classmethod
    def read_csv_file(cls, file_path: str) -> list:
        def read() -> list:
            with open(file_path, newline="", encoding="utf-8") as f:
                return list(csv.reader(f))
        return _read(file_path, "csv file", read)

    @classmethod
    def read_csv_file_as_numpy(cls, file_path: str, extern_headers: Optional[list] = None) -> tuple[np.ndarray, list]:
        """The rows as a structured array of object fields (strings), extern_headers' fields first."""
        return _read(file_path, "csv file", lambda: _csv_as_numpy(file_path, extern_headers))

    @classmethod
    def create_csv_file(cls, file_path: str, data: list, headers: Optional[list] = None) -> None:
        """Empty data only logged as an error (no file, the folder unchecked), as MindSpore 2.10 does."""
        if not data:
            logger.error("Create csv file failed, data is empty, file path: %s", file_path)
            return
        PathManager.check_directory_path_writeable(os.path.dirname(file_path))

        def write(f: IO[str]) -> None:
            writer = csv.writer(f)
            if headers:
                writer.writerow(headers)
            writer.writerows(data)
        cls._write(file_path, "csv file", write)

    @classmethod
    def combine_csv_file(cls, source_file_list: list, target_file_path: str, header_map: Optional[dict] = None) -> None:
        """The rows of every file with rows under its header, under the last such file's header (renamed by
        header_map); nothing written when no file has rows."""
        headers: list = []
        rows: list = []
        for source in source_file_list:
            data = cls.read_csv_file(source)
            if len(data) > 1:
                headers, rows = data[0], rows + data[1:]
        if rows:
            if isinstance(header_map, dict):
                headers = [header_map.get(h, h) for h in headers]
            cls.create_csv_file(target_file_path, rows, headers)

    @classmethod
    def read_txt_file(cls, file_path: str) -> list:
        """The lines, each stripped of surrounding whitespace."""
        def read() -> list:
            with open(file_path, "r", encoding="utf-8") as f:
                return [line.strip() for line in f.readlines()]
        return _read(file_path, "txt file", read)

    @classmethod
    def copy_file(cls, src_path: str, dst_path: str) -> None:
        """A missing source only warned about; else the source file and its folder checked readable, the
        destination's folder writable, then copied with its metadata."""
        if not os.path.exists(src_path):
            logger.warning("The source file does not exist: %s", src_path)
            return
        PathManager.check_input_file_path(src_path)
        PathManager.check_directory_path_readable(os.path.dirname(src_path))
        PathManager.check_directory_path_writeable(os.path.dirname(dst_path))
        try:
            shutil.copy2(src_path, dst_path)
        except (shutil.Error, OSError) as err:
            raise RuntimeError(f"Failed to copy from '{src_path}' to '{dst_path}': {err}") from err

    @classmethod
    def get_csv_file_list_by_start_name(cls, source_path: str, start_name: str) -> list:
        """The .csv files in source_path whose names start with start_name (os.listdir's order)."""
        return [os.path.join(source_path, n) for n in os.listdir(source_path)
                if n.startswith(start_name) and n.endswith(".csv")]

    @classmethod
    def check_file_owner(cls, path: str) -> bool:
        """Whether root or the effective user owns the path."""
        uid = os.stat(path).st_uid
        return uid == 0 or uid == os.geteuid()
