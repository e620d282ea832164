"""Same-host clients over a Unix socket (setting `uds_path`), beside the TCP listener.

Why: on this kind of box a 2 kB ping-pong costs ~70 us over loopback TCP and ~40 us over a Unix socket
(the server's send on TCP loopback was ~20% of its busy samples in the loops benchmarks). Measured on
the job path (benchmarks/unix_socket_ab.py, loops_bench L3's echo, 2-core box at load 9-11): ~30-60 us
less per bare echo, 5-13 us less client CPU and ~7% less wall per small job request.

- The socket serves the same protocol class as TCP (uvicorn's, guarded, with the lean path), added to
  uvicorn's listeners once it has started (`start`), closed with them, unlinked on exit (`close`).
- Its peers are this host by construction: their connections carry the peer address `UNIX_PEER`, which
  service.client_shm counts as same-host (shared memory over the socket works as over loopback TCP).
- Access: "auto" puts the socket in a fresh directory of mode 0700 (only this user); an explicit path gets
  its missing directory created 0700 and the socket mode 0600 (0660 with uds_group, for a path in a
  directory the group may enter).
- Advertised as shared memory is negotiated: `GET /v1/local` answers {"unix_socket", "instance", "ports"}
  to a peer on this host (loopback TCP or the socket itself) whose request no proxy passed on, 404 to
  anyone else. The SDK uses the socket only when its URL's port is one of `ports` (not a same-host proxy
  or load balancer in front of this server), the socket belongs to its own user, and the same server
  answers on it (`instance`, drawn per start: a path learnt through a forwarded port names some other
  server or nothing here) (gradserve._transport._local).
"""
from __future__ import annotations

import asyncio
import errno
import logging
import os
import re
import secrets
import shutil
import socket
import stat
import tempfile

log = logging.getLogger("gradserve")

UNIX_PEER = "unix"  # the peer host of a connection on the Unix socket (uvicorn has none for AF_UNIX)
ROUTE = "/v1/local"
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip", "via")  # a request a proxy passed on


class ListenerError(Exception):
    """The socket cannot be made (the server does not start: a setting names a path it cannot use)."""


def resolve(setting: str, host_is_loopback: bool) -> UnixListener | None:
    """The listener the setting asks for: "auto" (a socket in a fresh directory, for a loopback bind only: a
    server others reach over the network keeps one transport), "off"/"" (none) or a path."""
    s = setting.strip()
    if s.lower() in ("", "off", "none", "false", "0"):
        return None
    if s.lower() == "auto":
        if not host_is_loopback or not hasattr(socket, "AF_UNIX"):
            return None
        base = os.environ.get("XDG_RUNTIME_DIR")
        parent = base if base and os.path.isdir(base) and os.access(base, os.W_OK) else tempfile.gettempdir()
        sweep(parent)
        directory = tempfile.mkdtemp(prefix=f"gradserve-{os.getpid()}-", dir=parent)  # (mode 0700)
        return UnixListener(os.path.join(directory, "http.sock"), auto_dir=True)
    return UnixListener(os.path.abspath(os.path.expanduser(s)), auto_dir=False)


_AUTO_DIR = re.compile(r"gradserve-(\d+)-[A-Za-z0-9_]+$")


def sweep(parent: str) -> None:
    """Remove the "auto" directories that servers killed before their exit cleanup left in `parent`: this
    user's, named after a process that is gone, holding nothing but the socket."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        m = _AUTO_DIR.match(name)
        if m is None:
            continue
        d = os.path.join(parent, name)
        try:
            st = os.lstat(d)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or set(os.listdir(d)) - {"http.sock"}:
                continue
            os.kill(int(m.group(1)), 0)  # alive (or another user's process): kept
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except OSError:
            continue


class UnixListener:
    """One server's Unix socket: made by `open`, served by `start`, removed by `close`."""

    def __init__(self, path: str, auto_dir: bool, group: bool = False):
        self.path, self.auto_dir, self.group = path, auto_dir, group
        self.instance = secrets.token_hex(16)
        self.sock: socket.socket | None = None
        self.serving = False
        self.ports: list[int] = []

    def open(self) -> None:
        directory = os.path.dirname(self.path)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        if len(os.fsencode(self.path)) >= 100:  # sun_path is 108 bytes on Linux, 104 on macOS
            raise ListenerError(f"uds_path {self.path!r} is too long for a Unix socket (at most ~100 bytes)")
        self._clear_stale()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # created 0600 (no window in which others could connect)
        try:
            s.bind(self.path)
        except OSError as e:
            s.close()
            raise ListenerError(f"cannot bind the Unix socket {self.path!r}: {e}") from None
        finally:
            os.umask(old)
        if self.group:
            os.chmod(self.path, 0o660)
        s.setblocking(False)
        self.sock = s

    def _clear_stale(self) -> None:
        """A socket file left by a server that is gone is removed; one a server still answers on is not."""
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(st.st_mode):
            raise ListenerError(f"uds_path {self.path!r} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(self.path)
        except OSError as e:
            if e.errno not in (errno.ECONNREFUSED, errno.ENOENT):
                raise ListenerError(f"uds_path {self.path!r}: {e}") from None
            os.unlink(self.path)
            return
        finally:
            probe.close()
        raise ListenerError(f"uds_path {self.path!r} is in use by another server")

    async def start(self, server) -> None:
        """Serve the socket with `server`'s (a started uvicorn.Server) protocol class; uvicorn's shutdown
        closes it with its own listeners."""
        assert self.sock is not None
        config = server.config
        proto = unix_protocol(config.http_protocol_class)

        def factory():
            return proto(config=config, server_state=server.server_state, app_state=server.lifespan.state)

        # the TCP ports it serves beside the socket: a client takes the socket only when its URL names one
        # (through a same-host proxy or load balancer, the port is the proxy's: the client stays behind it)
        self.ports = sorted({s.getsockname()[1] for srv in server.servers for s in (srv.sockets or ())
                             if s.family in (socket.AF_INET, socket.AF_INET6)})
        srv = await asyncio.get_running_loop().create_server(factory, sock=self.sock, backlog=config.backlog)
        server.servers.append(srv)
        self.serving = True
        log.info("same-host clients: also serving on unix socket %s", self.path)

    def close(self) -> None:
        self.serving = False
        if self.sock is not None:  # only a socket this server bound is removed
            self.sock.close()
            self.sock = None
            try:
                os.unlink(self.path)
            except OSError:
                pass
        if self.auto_dir:
            shutil.rmtree(os.path.dirname(self.path), ignore_errors=True)


_PROTOCOLS: dict = {}


def unix_protocol(base: type) -> type:
    """`base` with the peer address of a Unix socket connection set to UNIX_PEER."""
    cls = _PROTOCOLS.get(base)
    if cls is None:
        class UnixPeer(base):  # type: ignore[misc, valid-type]
            def connection_made(self, transport) -> None:
                super().connection_made(transport)
                self.client = (UNIX_PEER, 0)  # read per request (scope["client"], the lean path's peer)

        cls = _PROTOCOLS[base] = UnixPeer
    return cls


def same_host(peer: str | None) -> bool:
    from .client_shm import is_loopback_peer

    return is_loopback_peer(peer)  # (UNIX_PEER included)


def install(app, listener: UnixListener | None) -> None:
    """GET /v1/local: the socket, for peers on this host (API keys checked as on every /v1 route)."""
    from fastapi.responses import JSONResponse

    from .api_keys import key_ok
    from .http_app import unauthorized

    async def local(request):  # (a plain route: the app's Request, no FastAPI dependency solving)
        keys = getattr(app, "keys", None)
        if keys and not key_ok(request.headers.get("authorization"), keys):
            raise unauthorized()  # (the app's handler: the same 401 as every route's)
        peer = request.client.host if request.client else None
        proxied = any(h in request.headers for h in PROXY_HEADERS)  # a proxy's clients stay behind it
        if listener is None or not listener.serving or not same_host(peer) or proxied:
            return JSONResponse({"error": "no same-host transport for this client"}, status_code=404)
        return JSONResponse({"unix_socket": listener.path, "instance": listener.instance, "ports": listener.ports})

    app.add_route(ROUTE, local, methods=["GET"], include_in_schema=False)
