"""The SDK type-checks: mypy and pyright (settings in clients/python/pyproject.toml: pyright's standard mode,
strict Optional) report no error in the gradserve package nor in a MindSpore-style user script
(typecheck/user_script.py: ops.MatMul, ops.sin, construct, grad_position=(0, 1), the client's typed options),
and do report each deliberate mistake of typecheck/wrong_script.py (lines marked WRONG), so the check can fail.
One run of each checker covers all three (cold, about a minute each on a loaded box); the two run at once."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "clients/python"
SCRIPTS = Path(__file__).resolve().parent / "typecheck"
USER, WRONG = SCRIPTS / "user_script.py", SCRIPTS / "wrong_script.py"
BIN = Path(sys.executable).parent

# pyright takes ~90 s of CPU on the SDK (mypy less); on a loaded 2-core machine that was 5-6 min of wall
# time, past the suite's 300 s per-test ceiling (seen in a CI emulation at load 17): the checkers' own
# subprocess timeout (900 s) is the ceiling that matters here.
# serial: the checkers' minutes of CPU are not run beside another xdist worker's tests (the Makefile's second pass)
pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.timeout(1200)]


def _tool(name: str) -> str:
    exe = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if exe is None:
        pytest.skip(f"{name} is not installed (the server project's test extra has it)")
    return exe


def _wrong_lines() -> set[int]:
    return {i for i, line in enumerate(WRONG.read_text().splitlines(), 1) if "# WRONG" in line}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """One run of each checker over the package and both scripts, the two at once: each is one single-threaded
    process of a minute or more of CPU, so on CI's two cores running them side by side halves their wall time."""
    cache = tmp_path_factory.mktemp("mypy-cache")
    commands = {
        "mypy": [_tool("mypy"), "--config-file", "pyproject.toml", "--strict-optional", "--cache-dir", str(cache),
                 "--no-error-summary", "--show-absolute-path", "gradserve", str(USER), str(WRONG)],
        "pyright": [_tool("pyright"), "--pythonpath", sys.executable, "-p", "pyproject.toml", "--outputjson",
                    "gradserve", str(USER), str(WRONG)],
    }
    logs = tmp_path_factory.mktemp("typecheck-output")
    procs = {}
    for name, cmd in commands.items():  # output into files: a full pipe would stall one while the other is waited
        with open(logs / f"{name}.out", "w") as out, open(logs / f"{name}.err", "w") as err:
            procs[name] = subprocess.Popen(cmd, cwd=SDK, stdout=out, stderr=err)
    try:
        for proc in procs.values():
            proc.wait(timeout=900)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    done = {name: subprocess.CompletedProcess(commands[name], proc.returncode, (logs / f"{name}.out").read_text(),
                                              (logs / f"{name}.err").read_text()) for name, proc in procs.items()}
    return done


@pytest.fixture(scope="module")
def mypy_errors(reports) -> tuple[dict[str, set[int]], str]:
    """({file: lines with an error}, the report) of the mypy run."""
    r = reports["mypy"]
    assert r.returncode in (0, 1), r.stdout + r.stderr  # 2: mypy itself failed
    out: dict[str, set[int]] = {}
    for m in re.finditer(r"^(.+?):(\d+): error:", r.stdout, re.M):
        out.setdefault(str(Path(m[1]).resolve()), set()).add(int(m[2]))
    return out, r.stdout


@pytest.fixture(scope="module")
def pyright_errors(reports) -> tuple[dict[str, set[int]], str]:
    r = reports["pyright"]
    report = json.loads(r.stdout)
    out: dict[str, set[int]] = {}
    for d in report["generalDiagnostics"]:
        if d["severity"] == "error":
            out.setdefault(str(Path(d["file"]).resolve()), set()).add(d["range"]["start"]["line"] + 1)
    return out, r.stdout


def _package(errors: dict) -> dict:
    return {f: sorted(lines) for f, lines in errors.items() if f.startswith(str(SDK / "gradserve"))}


def test_mypy_clean_on_the_sdk(mypy_errors):
    errors, report = mypy_errors
    assert _package(errors) == {}, report


def test_pyright_clean_on_the_sdk(pyright_errors):
    errors, report = pyright_errors
    assert _package(errors) == {}, report[:20000]


@pytest.mark.parametrize("checker", ["mypy_errors", "pyright_errors"])
def test_mindspore_style_script_type_checks(checker, request):
    errors, report = request.getfixturevalue(checker)
    assert str(USER) not in errors, report[:20000]


@pytest.mark.parametrize("checker", ["mypy_errors", "pyright_errors"])
def test_each_mistake_is_reported(checker, request):
    errors, report = request.getfixturevalue(checker)
    assert len(_wrong_lines()) == 7
    assert errors.get(str(WRONG), set()) == _wrong_lines(), report[:20000]
