"""The server the attack replays of test_attacks_bombs_regions_sockets.py and test_attacks_parsing_framing.py
run against: 2 cpu workers, API keys k1 / k2 as two clients, 2 s head and body timeouts, a compute budget of
1e9 operations a job, 8 shared-memory region places, the OIP suite's model repository. Each module starts its
own (`limited_server`); tests/e2e/conftest.py's `c` (k1's HTTP client) and `stub` (gRPC) reach the module's
`srv`. `canary` after each attack: a small job answered right, and no worker restarted."""
from __future__ import annotations

import functools
import json
import socket

import httpx
import pytest

from . import helpers
from .server import server_in

KEYS = ("k1", "k2")
FLOPS = 10 ** 9
ENV = {"GRADSERVE_CPU_WORKERS": "2", "GRADSERVE_QUEUE_SIZE": "2", "GRADSERVE_API_KEYS": ",".join(KEYS),
       "GRADSERVE_HEADER_TIMEOUT_S": "2", "GRADSERVE_BODY_TIMEOUT_S": "2", "GRADSERVE_IDLE_TIMEOUT_S": "3",
       "GRADSERVE_MAX_HEADER_BYTES": "8192", "GRADSERVE_MAX_JOB_FLOPS": str(FLOPS),
       "GRADSERVE_CLIENT_SHM_MAX_REGIONS": "8"}
CEILING = 30.0  # seconds any one answer may take on a loaded 2-core box
SHM = "/v2/systemsharedmemory"


def auth(key: str = "k1") -> dict:
    return {"Authorization": f"Bearer {key}"}


def limited_server(folder: str, **env: str):
    """A module-scoped fixture `srv`: this module's server (ENV, then `env`) logging under <tmp>/<folder>, with
    the OIP suite's models for the OIP and UM-Bridge routes (tests/e2e/server.py's `server_in`)."""
    @pytest.fixture(scope="module", name="srv")
    def fixture(tmp_path_factory):
        from oip.models import write_repository  # (tests/ is on sys.path: the OIP suite's repository)

        repo = write_repository(tmp_path_factory.mktemp("models"))
        with server_in(tmp_path_factory, folder, devices="cpu",
                       env={**ENV, "GRADSERVE_MODEL_REPOSITORY": str(repo), **env}) as s:
            yield s
    return fixture


# after each attack: a small job answered right, and no worker restarted by any attack so far
canary = functools.partial(helpers.canary, no_restarts=True)


def create(c: httpx.Client, name: str, body) -> httpx.Response:
    """POST a made shared-memory region's create (a dict is sent as JSON, bytes as they are)."""
    return c.post(f"{SHM}/region/{name}/create", content=body if isinstance(body, bytes) else json.dumps(body))


# -- the Unix socket ---------------------------------------------------------------------------------------------
def uds_path(c: httpx.Client) -> str:
    r = c.get("/v1/local")
    assert r.status_code == 200, r.text
    return r.json()["unix_socket"]


def uds(path: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(CEILING)
    s.connect(path)
    return s


def read_all(s: socket.socket) -> bytes:
    """Everything the server sends until it closes (or CEILING passes)."""
    out = b""
    try:
        while True:
            got = s.recv(65536)
            if not got:
                return out
            out += got
    except (socket.timeout, ConnectionResetError):
        return out
