"""The server's Unix socket (service.local_socket) serves the same protocol class as TCP: a small job
request on it takes the lean HTTP path (service.lean_http) and gets the answer TCP gives; its peers are
same-host; the socket is gone once the server stops. A real uvicorn server in-process."""
from __future__ import annotations

import asyncio
import os

from service.local_socket import UNIX_PEER, UnixListener, same_host

from test_lean_http import comparable, read_response, request, serving


async def _exchange_unix(path: str, raw: bytes):
    r, w = await asyncio.open_unix_connection(path)
    try:
        w.write(raw)
        await w.drain()
        return await read_response(r)
    finally:
        w.close()


def test_a_job_on_the_socket_takes_the_lean_path_and_answers_as_tcp(tmp_path):
    path = str(tmp_path / "s" / "http.sock")

    async def main():
        async with serving() as (port, jobs, server):
            unix = UnixListener(path, auto_dir=False)
            unix.open()
            await unix.start(server)
            assert unix.serving and unix.ports == [port]
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(request())
            await w.drain()
            over_tcp = await read_response(r)
            w.close()
            before = jobs.taken
            over_unix = await _exchange_unix(path, request())
            taken = jobs.taken - before
        unix.close()
        return over_tcp, over_unix, taken

    over_tcp, over_unix, taken = asyncio.run(main())
    assert over_unix[0] == 200 and comparable(over_unix) == comparable(over_tcp)
    assert taken == 1  # the lean path served it
    assert not os.path.exists(path)


def test_unix_peers_are_this_host():
    assert same_host(UNIX_PEER)
