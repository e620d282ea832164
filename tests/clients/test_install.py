"""`pip install ./clients/python` into a fresh venv brings numpy and httpx (and their own
dependencies), nothing of the server, and the front end works there without a server."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER_ONLY = {"fastapi", "uvicorn", "starlette", "pydantic", "pydantic-settings", "cupy", "cupy-cuda12x", "torch",
               "scipy", "prometheus-client", "grpcio", "protobuf", "array-api-compat", "gradserve"}


@pytest.mark.slow
@pytest.mark.serial  # a fresh venv's pip install: minutes of CPU and disk, alone
@pytest.mark.timeout(900)  # the pip install's own ceiling (600 s) is the one that matters, not pytest's 300 s
def test_fresh_venv_install_is_light(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "clients" / "python", src,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # (a checkout on it would be listed too)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", str(src)], capture_output=True, text=True, timeout=600,
                       env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    listed = subprocess.run([str(py), "-m", "pip", "list", "--format=json"], capture_output=True, text=True,
                            check=True, env=env)
    names = {p["name"].lower().replace("_", "-") for p in json.loads(listed.stdout)}
    assert {"gradserve-client", "numpy", "httpx"} <= names
    assert not names & SERVER_ONLY, f"server-side packages pulled in: {sorted(names & SERVER_ONLY)}"
    code = ("import json, sys, gradserve as gs; from gradserve import ops; "
            "d = gs.trace_graph(lambda x: ops.grad(ops.sin)(x), [[1.0, 2.0]]); "
            "assert 'engine' not in sys.modules and 'service' not in sys.modules; "
            "print(json.dumps(sorted(n['op'] for n in d['nodes'])))")
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=str(tmp_path), env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == ["grad"]
    # typed: the checkers read py.typed and the generated ops' declarations from the installed package
    where = subprocess.run([str(py), "-c", "import gradserve, os; print(os.path.dirname(gradserve.__file__))"],
                           capture_output=True, text=True, check=True, cwd=str(tmp_path), env=env).stdout.strip()
    assert (Path(where) / "py.typed").is_file() and (Path(where) / "ops" / "__init__.pyi").is_file()
