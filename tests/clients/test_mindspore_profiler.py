"""`mindspore.profiler.common.path_manager.PathManager` and the profiler's exceptions (ut/python/profiler/common/
test_path_manager.py, 22 items MindSpore 2.10 passes on CPU). Expected values and texts: MindSpore 2.10 CPU runs of
the same calls (/work/ms_suite57/probe/p3.py, /work/ms_suite_profiler/probe/p1.py). Client-side only: no server."""
import os
import stat
from unittest.mock import patch

import pytest

import gradserve.log
from gradserve.profiler.common.exceptions.exceptions import (ProfilerException, ProfilerParamTypeErrorException,
                                                             ProfilerParamValueErrorException,
                                                             ProfilerPathErrorException)
from gradserve.profiler.common.path_manager import PathManager as PM

PREFIX = "[ProfilerPathErrorException] code: 50546081, msg: Path error. "  # MindSpore 2.10's str of one


def _raises(fn, *args):
    with pytest.raises(ProfilerPathErrorException) as info:
        fn(*args)
    return str(info.value)


def test_constants():
    # MindSpore 2.10: {'DATA_DIR_AUTHORITY': 488, 'DATA_FILE_AUTHORITY': 416, 'MAX_FILE_NAME_LENGTH': 255,
    # 'MAX_FILE_SIZE': 10737418240, 'MAX_PATH_LENGTH': 4096}; no create_file_safety
    assert (PM.DATA_DIR_AUTHORITY, PM.DATA_FILE_AUTHORITY, PM.MAX_FILE_NAME_LENGTH, PM.MAX_FILE_SIZE,
            PM.MAX_PATH_LENGTH) == (488, 416, 255, 10737418240, 4096)
    assert not hasattr(PM, "create_file_safety")


def test_exception_texts_and_codes():
    e = ProfilerPathErrorException("a  b\n\tc")  # MindSpore 2.10 makes whitespace runs one space
    assert str(e) == PREFIX + "a b c"
    assert e.args == ("Path error. a b c",) and e.message == "Path error. a b c"
    assert (e.error_code, e.http_code, e.error.name, e.error.value) == ("50546081", 400, "PATH_ERROR", 129)
    assert ProfilerPathErrorException.__mro__[1:3] == (ProfilerException, Exception)
    assert str(ProfilerParamValueErrorException("m")) == \
        "[ProfilerParamValueErrorException] code: 50546080, msg: Param value error. m"
    assert str(ProfilerParamTypeErrorException("m")) == \
        "[ProfilerParamTypeErrorException] code: 50546082, msg: Param type error. m"


def test_directory_path_checks(tmp_path):
    d, f = tmp_path / "d", tmp_path / "d" / "f.txt"
    PM.check_input_directory_path(str(d))  # missing: passes (MindSpore 2.10), relative too
    PM.check_input_directory_path("rel/dir")
    d.mkdir()
    f.write_text("x")
    PM.check_input_directory_path(str(d))
    assert _raises(PM.check_input_directory_path, str(f)) == PREFIX + f"Invalid input path is a file path: {f}"
    assert _raises(PM.check_input_directory_path, "a" * 4097) == PREFIX + f"Path {'a' * 4097} length 4097 " \
        "exceeds the limit 4096."
    PM.check_input_directory_path("a/" * 2048)  # 4096 characters: fits
    long_name = str(tmp_path / ("a" * 256))
    assert _raises(PM.check_input_directory_path, long_name) == \
        PREFIX + f"Length of input path {long_name} file name {'a' * 256} exceeds the limit 255."
    os.symlink(d, tmp_path / "s")
    assert _raises(PM.check_input_directory_path, str(tmp_path / "s")) == \
        PREFIX + f"Invalid input path is a soft link: {tmp_path / 's'}"


@pytest.mark.parametrize("path,ok", [("a!b", False), ("file\\.txt", False), ("a\u00e9b", False), ("a\u9fa6b", False),
                                     ("", False), ("a b", True), ("a\tb", True), ("a\u00a0b", True),
                                     ("a~b-c_d.e/f", True), ("a\u4e2db", True)])
def test_path_characters(path, ok):
    # MindSpore 2.10: . / _ - whitespace ~ ASCII letters and digits and U+4E00..U+9FA5 pass, nothing else
    if ok:
        PM.check_input_directory_path(path)
    else:
        assert _raises(PM.check_input_directory_path, path) == \
            PREFIX + f"Invalid input path: {path}, contains invalid characters."


def test_file_path_checks(tmp_path):
    d, f = tmp_path / "d", tmp_path / "d" / "f.txt"
    d.mkdir()
    with pytest.raises(FileNotFoundError):  # a missing file: os.path.getsize's error in MindSpore 2.10
        PM.check_input_file_path(str(f))
    f.write_text("x")
    os.chmod(f, 0o644)
    PM.check_input_file_path(str(f))
    assert _raises(PM.check_input_file_path, str(d)) == PREFIX + f"Invalid input path is a directory path: {d}"
    os.chmod(f, 0o664)
    assert _raises(PM.check_input_file_path, str(f)) == \
        PREFIX + f"File path {f} has group or others writable permissions, which is not allowed."
    with patch("os.path.getsize", return_value=PM.MAX_FILE_SIZE):
        assert _raises(PM.check_input_file_path, str(f)) == \
            PREFIX + "file size exceeds the limit: 10737418240, file size: 10737418240"


def test_owner_and_access_checks(tmp_path):
    d = str(tmp_path)
    PM.check_path_owner_consistent(d)
    PM.check_directory_path_writeable(d)
    assert _raises(PM.check_path_owner_consistent, "/non/existent/path") == \
        PREFIX + "The path does not exist: /non/existent/path"

    class Stat:
        st_uid = 1001
    with patch("os.name", "posix"), patch("os.getuid", return_value=1000), patch("os.stat", return_value=Stat()):
        assert _raises(PM.check_path_owner_consistent, d) == PREFIX + \
            f"Path {d} owner[1001] does not match the current user[1000].Please execute chown -R $(id -un) {d}"
    with patch("os.access", return_value=False):
        assert _raises(PM.check_directory_path_writeable, d) == \
            PREFIX + f"The path writeable permission check failed: {d}. Please execute chmod -R 755 {d}"
        assert _raises(PM.check_directory_path_readable, d) == \
            PREFIX + f"The path readable permission check failed: {d}. Please execute chmod -R 755 {d}"
        assert _raises(PM.check_path_is_readable, d) == PREFIX + f"The path readable permission check failed: {d}."
        assert PM.check_path_is_executable(d) is False


def test_make_and_remove(tmp_path):
    old = os.umask(0o022)
    try:
        PM.make_dir_safety(str(tmp_path / "n1" / "n2"))
    finally:
        os.umask(old)
    # MindSpore 2.10: the parent with the default mode, the leaf with DATA_DIR_AUTHORITY
    assert [stat.S_IMODE(os.stat(tmp_path / p).st_mode) for p in ("n1", "n1/n2")] == [0o755, 0o750]
    f = tmp_path / "f"
    f.write_text("x")
    PM.make_dir_safety(str(f))  # anything there is left alone
    os.symlink("nowhere", tmp_path / "dl")
    assert _raises(PM.make_dir_safety, str(tmp_path / "dl")) == \
        PREFIX + f"Failed to make directory: {tmp_path / 'dl'}, is a soft link"
    os.symlink(tmp_path / "n1", tmp_path / "ld")
    assert _raises(PM.remove_path_safety, str(tmp_path / "ld")) == \
        PREFIX + f"Failed to remove path: {tmp_path / 'ld'}, is a soft link"
    assert _raises(PM.remove_file_safety, str(tmp_path / "n1")) == PREFIX + \
        f"Failed to remove file: {tmp_path / 'n1'}, err: [Errno 21] Is a directory: '{tmp_path / 'n1'}'"
    assert _raises(PM.remove_path_safety, str(f)) == \
        PREFIX + f"Failed to remove path: {f}, err: [Errno 20] Not a directory: '{f}'"
    PM.remove_path_safety(str(tmp_path / "n1"))
    PM.remove_file_safety(str(f))
    assert not (tmp_path / "n1").exists() and not f.exists()


def test_missing_paths_only_warn():
    # MindSpore's test patches mindspore.log.warning: the warning goes through that module's function
    with patch.object(gradserve.log, "warning") as warning:
        PM.remove_file_safety("/non/existent/file.txt")
        PM.remove_path_safety("/non/existent/path")
    assert warning.call_args_list == [(("The file does not exist: %s", "/non/existent/file.txt"),),
                                      (("The path does not exist: %s", "/non/existent/path"),)]
