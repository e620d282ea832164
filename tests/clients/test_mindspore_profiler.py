"""`mindspore.profiler.common.path_manager.PathManager`, `.file_manager.FileManager` and the profiler's exceptions
(ut/python/profiler/common/test_path_manager.py and test_file_manager.py: 22 + 17 items MindSpore 2.10 passes on CPU).
Expected values and texts: MindSpore 2.10 CPU runs of the same calls (/work/ms_suite57/probe/p3.py,
/work/ms_suite_profiler/probe/p1.py, p2.py). Client-side only: no server."""
import os
import stat
from unittest.mock import patch

import numpy as np
import pytest

import gradserve.log
from gradserve.profiler.common.exceptions.exceptions import (ProfilerException, ProfilerParamTypeErrorException,
                                                             ProfilerParamValueErrorException,
                                                             ProfilerPathErrorException)
from gradserve.profiler.common.file_manager import FileManager as FM
from gradserve.profiler.common.path_manager import PathManager as PM

PREFIX = "[ProfilerPathErrorException] code: 50546081, msg: Path error. "  # MindSpore 2.10's str of one


@pytest.fixture(autouse=True)
def _umask_022():
    """Files written here without group/other write bits: check_input_file_path refuses those (MindSpore 2.10)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


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
    PM.make_dir_safety(str(tmp_path / "n1" / "n2"))  # (umask 022)
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


# -- FileManager (ut/python/profiler/common/test_file_manager.py; values: /work/ms_suite_profiler/probe/p2.py) --

def test_file_manager_reads(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.txt"
    a.write_text('name,value\n"x,y",1\nz\n')
    b.write_text(" l1 \r\n\tl2\n\n")
    assert FM.read_csv_file(str(a)) == [["name", "value"], ["x,y", "1"], ["z"]]
    data, headers = FM.read_csv_file_as_numpy(str(a), ["id", "k"])
    assert headers == ["id", "k", "name", "value"] and data.shape == (2,)
    assert data.dtype == np.dtype([(h, object) for h in headers])
    assert data.tolist() == [(None, None, "x,y", "1"), (None, None, "z", None)]
    assert FM.read_txt_file(str(b)) == ["l1", "l2", ""]
    assert FM.read_file_content(str(b)) == " l1 \n\tl2\n\n"
    assert FM.read_file_content(str(b), "rb") == b" l1 \r\n\tl2\n\n"
    (tmp_path / "bad.json").write_text("invalid json")
    with pytest.raises(RuntimeError) as info:
        FM.read_json_file(str(tmp_path / "bad.json"))
    assert str(info.value) == f"Failed read json file: {tmp_path / 'bad.json'}, error: Expecting value: line 1 " \
        "column 1 (char 0)"
    with pytest.raises(FileNotFoundError):
        FM.read_json_file(str(tmp_path / "no.json"))


def test_file_manager_writes(tmp_path):
    FM.create_json_file(str(tmp_path / "o.json"), {"k": "\u4e2d", "v": [1]}, indent=2)
    FM.create_csv_file(str(tmp_path / "o.csv"), [[1, "a,b"], [None, 2.5]], ["h1", "h2"])
    assert (tmp_path / "o.json").read_text(encoding="utf-8") == '{\n  "k": "\u4e2d",\n  "v": [\n    1\n  ]\n}'
    assert (tmp_path / "o.csv").read_text() == 'h1,h2\n1,"a,b"\n,2.5\n'
    assert [stat.S_IMODE(os.stat(tmp_path / n).st_mode) for n in ("o.json", "o.csv")] == [0o640, 0o640]
    nod = tmp_path / "nod"
    assert _raises(FM.create_json_file, str(nod / "o.json"), []) == PREFIX + f"The path does not exist: {nod}"
    FM.create_csv_file(str(nod / "o.csv"), [])  # empty: logged, the folder not checked (MindSpore 2.10)
    assert _raises(FM.create_csv_file, str(nod / "o.csv"), [[1]]) == PREFIX + f"The path does not exist: {nod}"
    for name, text in (("h1", "a,b\n1,2\n"), ("h2", "c,d\n3,4\n5,6\n"), ("h3", "e,f\n")):
        (tmp_path / f"{name}.csv").write_text(text)
    FM.combine_csv_file([str(tmp_path / f"{n}.csv") for n in ("h1", "h2", "h3")], str(tmp_path / "m.csv"), {"c": "C"})
    assert FM.read_csv_file(str(tmp_path / "m.csv")) == [["C", "d"], ["1", "2"], ["3", "4"], ["5", "6"]]
    FM.combine_csv_file([str(tmp_path / "h3.csv")], str(tmp_path / "m2.csv"))
    assert not (tmp_path / "m2.csv").exists()
    assert sorted(os.path.basename(p) for p in FM.get_csv_file_list_by_start_name(str(tmp_path), "h")) == \
        ["h1.csv", "h2.csv", "h3.csv"]


def test_file_manager_copy(tmp_path):
    src = tmp_path / "b.txt"
    src.write_text("x\ny")
    FM.copy_file(str(src), str(tmp_path / "c.txt"))
    assert (tmp_path / "c.txt").read_text() == "x\ny"
    assert _raises(FM.copy_file, str(src), str(tmp_path / "nod" / "x")) == \
        PREFIX + f"The path does not exist: {tmp_path / 'nod'}"
    with pytest.raises(RuntimeError) as info:
        FM.copy_file(str(src), f"{tmp_path}/")
    assert str(info.value) == f"Failed to copy from '{src}' to '{tmp_path}/': '{src}' and '{src}' are the same file"
    with patch.object(gradserve.log, "warning") as warning:
        FM.copy_file(str(tmp_path / "none.txt"), str(tmp_path / "d.txt"))
    warning.assert_called_once_with("The source file does not exist: %s", str(tmp_path / "none.txt"))
    assert FM.check_file_owner(str(tmp_path)) is True
