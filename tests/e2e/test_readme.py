"""The README's curl examples, run as written (bash + curl) against the real server: they must
return the seed's numbers. Keeps the README true as the API evolves."""
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def readme_curl(marker: str) -> str:
    """The curl command of the README's ```sh block whose text contains `marker`."""
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        if marker in block:
            return block[block.index("curl"):].split("\n# ->")[0]
    raise AssertionError(f"no curl example with {marker!r} in README.md")


def run(cmd: str, server) -> dict:
    cmd = cmd.replace("http://127.0.0.1:8000", server.url)
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60, check=True).stdout
    return json.loads(out)


def test_readme_grad_curl_returns_the_seed_numbers(server):
    r = run(readme_curl("/v1/grad"), server)
    dx, dy = (np.array(o["data"], np.float32).reshape(o["shape"]) for o in r["outputs"])
    assert r["structure"] == [0, 1] and [o["name"] for o in r["outputs"]] == ["d/dx", "d/dy"]
    np.testing.assert_allclose(dx, [[4.51, 2.7, 3.6]] * 2, rtol=1e-6)
    np.testing.assert_allclose(dy, [[2.6] * 3, [1.9] * 3, [1.3] * 3], rtol=1e-6)


def test_readme_jvp_curl_returns_the_seed_numbers(server):
    r = run(readme_curl("/v1/jvp"), server)
    out, jvp = (np.array(o["data"], np.float32).reshape(o["shape"]) for o in r["outputs"])
    np.testing.assert_allclose(out, [[2, 10], [30, 68]], rtol=1e-6)
    np.testing.assert_allclose(jvp, [[4, 13], [28, 49]], rtol=1e-6)
