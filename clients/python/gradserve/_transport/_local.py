"""The server's Unix socket, for a client on its host (server setting uds_path; service.local_socket).

A loopback TCP round trip of a small request costs about twice one over a Unix socket on the same box.
A client whose base URL is loopback asks `GET /v1/local` once, on its first request; the server names
its socket, its TCP ports and a per-start `instance` to same-host peers only. The client uses the socket
only when

- the URL's port is one the server listens on (a same-host proxy or load balancer in front of the server
  has its own port: the client stays behind it),
- it is a socket owned by this user (never another user's: it could relay and read the traffic), and
- the same server answers on it (`instance` equal): a path learnt through a forwarded port names
  something on the server's host, not necessarily this one.

Any failure leaves the client on TCP; a socket that stops answering later sends it back to TCP too
(_http1.HTTP1Client._connect; the AsyncClient: http.AsyncHTTPTransport._send, with an httpx client on
the socket). Options: `unix_socket=None` (this, unless GRADSERVE_UNIX_SOCKET=0),
False (never), or a path (that socket, TCP when it fails); a `http+unix://<path>` URL uses only the socket.
"""
from __future__ import annotations

import json
import os
import socket
import stat
from typing import Any

from .._shm import is_local
from . import _http1

ROUTE = "/v1/local"
ASK_S = 5.0


def auto(url: str, option: Any) -> bool:
    """Whether a client at `url` asks the server for its socket."""
    if option is not None:
        return option is True
    return hasattr(socket, "AF_UNIX") and is_local(url) and \
        os.environ.get("GRADSERVE_UNIX_SOCKET", "1").lower() not in ("0", "false", "off")


def is_unix_url(url: str) -> bool:
    return url.lower().startswith(_http1.UNIX_SCHEME + "://")


def owned(path: str) -> bool:
    """A Unix socket that belongs to this process's user."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISSOCK(st.st_mode) and st.st_uid == os.getuid()


def _advert(resp: _http1.Response) -> tuple[str, str, list] | None:
    if resp.status != 200:
        return None
    try:
        d = json.loads(bytes(resp.content))
        path, instance, ports = d["unix_socket"], d["instance"], d["ports"]
    except (ValueError, KeyError, TypeError):
        return None
    if not (isinstance(path, str) and isinstance(instance, str) and os.path.isabs(path) and instance
            and isinstance(ports, list)):
        return None
    return path, instance, ports


def discover(client: _http1.HTTP1Client, timeout: Any = None) -> bool | None:
    """Ask the server (over TCP) for its socket and switch `client` to it when it qualifies. True: on the
    socket; False: stays on TCP; None: not reachable yet (ask again on the next request). The question
    waits at most ASK_S, or the call's own timeout when shorter: a slow server keeps TCP."""
    limit = _http1.timeouts(client.timeout if timeout is None else timeout)[1]
    limit = ASK_S if limit is None else min(limit, ASK_S)
    try:
        resp = client.request("GET", ROUTE, None, {}, limit)
    except TimeoutError:
        return False
    except (OSError, _http1.ProtocolError):
        return None
    advert = _advert(resp)
    if advert is None or client.address is None or client.address[1] not in advert[2] or not owned(advert[0]):
        return False  # (another port: a proxy in front of the server, which the client must go through)
    path, instance, _ = advert
    return client.try_unix(path, ROUTE, lambda r: (_advert(r) or ("", "", []))[1] == instance, limit)
