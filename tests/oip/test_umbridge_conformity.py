"""UM-Bridge's own model conformance suite (tests/oip/third_party/umbridge_conformity_1_0, unmodified), run as
UM-Bridge runs it against a model server (`pytest test_model_schema.py --model_url=...`): it checks the first
model of /Info, so each case leaves one model loaded (the repository extension): two inputs and two outputs
(`um`), one input and a scalar output (`logpost`), and integer / boolean tensors whose derivatives ModelInfo
says are unsupported (`dtypes`: the suite then wants UnsupportedFeature errors), and a bfloat16 model whose
derivatives are supported (`bf16`: round 19; ModelInfo refused them before)."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from e2e.server import Server

from .models import MODELS, write_model

SUITE = Path(__file__).parent / "third_party" / "umbridge_conformity_1_0"
NAMES = ("um", "logpost", "dtypes", "bf16")


@pytest.fixture(scope="module")
def um_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("um_models")
    for name in NAMES:
        write_model(root, name, *MODELS[name])
    s = Server(tmp_path_factory.mktemp("um_server") / "server.log", devices="cpu",
               env={"GRADSERVE_MODEL_REPOSITORY": str(root), "GRADSERVE_CPU_WORKERS": "1"})
    yield s
    s.stop()


def only(server: Server, name: str) -> None:
    """`name` the one model the server has loaded (the suite takes /Info's first)."""
    with server.client() as c:
        for other in NAMES:
            r = c.post(f"/v2/repository/models/{other}/{'load' if other == name else 'unload'}")
            assert r.status_code in (200, 404), r.text  # (404: that one was unloaded already)
        assert c.get("/umbridge/Info").json()["models"] == [name]


@pytest.mark.parametrize("name, value", [("um", "0.5"), ("logpost", "0.0"), ("dtypes", "1"), ("bf16", "0.5")])
def test_umbridge_conformity_suite_passes(um_server, tmp_path, name, value):
    only(um_server, name)
    suite = tmp_path / "suite"
    shutil.copytree(SUITE, suite)
    (suite / "pytest.ini").write_text("[pytest]\n")  # its own rootdir: none of this project's pytest settings
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_model_schema.py",
                        f"--model_url={um_server.url}/umbridge", f"--input_value={value}"],
                       cwd=suite, capture_output=True, text=True, timeout=240,
                       # as UM-Bridge runs it: pytest alone, not the ~10 s of this venv's plugins (hypothesis,
                       # schemathesis, xdist...) loaded at each of the four starts (the suite uses none of them),
                       # nor options meant for this project's run (PYTEST_ADDOPTS: its plugins' flags)
                       env={**{k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"},
                            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert p.returncode == 0 and "22 passed" in p.stdout, p.stdout[-4000:] + p.stderr[-2000:]


# sha256 of the files at UM-Bridge's commit 8fa2ee0d (third_party/umbridge_conformity_1_0/README.md)
UPSTREAM = {"conftest.py": "b44fb5c1c5b7cda26b94ed371077ba345eb9317b7972599c547b4296e9d27858",
            "test_model_schema.py": "17312e0cbf2fa46eb321d7eb6e50e88a05039688854f46f5b4cf1d56deb42b63"}


def test_the_suite_is_upstream_text():
    """A local edit would make it our own test of ourselves."""
    for name, digest in UPSTREAM.items():
        assert hashlib.sha256((SUITE / name).read_bytes()).hexdigest() == digest, name
