"""The lean HTTP path (service.lean_http): a plain small POST /v1/<job> skips uvicorn's ASGI cycle and
answers exactly as the ASGI route does; every other request takes uvicorn's path (LeanJobs.taken tells
them apart); pipelined requests are answered in order; a client that disconnects cancels its job; a
graceful shutdown lets a lean answer finish. A real uvicorn server on loopback, in-process, with the
core's `run` replaced (no pools), spoken to over raw sockets."""
from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import zlib

import numpy as np
import uvicorn

from fake_core import fake_app
from service.core import Core, JobResult
from service.errors import Overloaded
from service.http_app import create_app
from service.http_guard import guarded_protocol
from service.lean_http import LEAN_MAX_BODY, LeanJobs
from service.settings import Settings

GOOD = {"graph_id": "sha256:" + "0" * 64, "inputs": [{"shape": [2], "datatype": "FP32", "data": [1.0, 2.0]}]}
BODY = json.dumps(GOOD).encode()


async def ok_run(req):
    x = req.inputs[0]
    return JobResult([("out0", np.asarray(x.sum())), ("out1", 2 * x)], [0, 1], "sha256:g", "cpu:0", {"compute_ms": 0.1})


@contextlib.asynccontextmanager
async def serving(run=ok_run, lean=True, **settings):
    """(port, LeanJobs or None, uvicorn.Server): the app served as service.cli serves it."""
    s, app = fake_app(run, **settings)
    jobs = LeanJobs(app.state.job_runners, s.max_body_bytes) if lean else None
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None, access_log=False,
                            timeout_keep_alive=s.idle_timeout_s, timeout_graceful_shutdown=10,
                            http=guarded_protocol(s.header_timeout_s, s.max_header_bytes, jobs))
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # (older uvicorn; newer ones capture signals only in run())
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port, jobs, server
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)


def request(path="/v1/eval", body=BODY, headers=None, method="POST", version="1.1") -> bytes:
    h = {"host": "t", "content-type": "application/json", "content-length": str(len(body)), "x-request-id": "rid"}
    h.update(headers or {})
    head = f"{method} {path} HTTP/{version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items() if v is not None)
    return head.encode() + b"\r\n" + body


async def read_response(r: asyncio.StreamReader) -> tuple[int, dict, bytes]:
    head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 20)
    while head.startswith(b"HTTP/1.1 100 "):  # (the interim answer to Expect: 100-continue)
        head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 20)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            n = int((await r.readuntil(b"\r\n")).strip(), 16)
            chunk = await r.readexactly(n + 2)
            if n == 0:
                break
            body += chunk[:-2]
    else:
        body = await asyncio.wait_for(r.readexactly(int(headers.get("content-length", 0))), 20)
    return status, headers, body


async def exchange(port: int, *raws: bytes, split: float = 0) -> list:
    """Send the requests on one connection (pipelined: all in one write); read one response each."""
    r, w = await asyncio.open_connection("127.0.0.1", port)
    try:
        data = b"".join(raws)
        if split:  # the head first, the rest after `split` seconds
            cut = data.index(b"\r\n\r\n") + 4
            w.write(data[:cut])
            await w.drain()
            await asyncio.sleep(split)
            data = data[cut:]
        w.write(data)
        await w.drain()
        return [await read_response(r) for _ in raws]
    finally:
        w.close()


def comparable(resp) -> tuple:
    status, headers, body = resp
    if headers.get("content-type", "").startswith("application/json") and body:
        d = json.loads(body)
        d.pop("timing", None)  # (measured times differ)
        body = d
    return status, body, {h: headers.get(h) for h in ("content-type", "x-request-id", "retry-after", "connection")}


def both(raws_list: list, run=ok_run, **settings) -> tuple[list, list, int]:
    """(lean-server answers, lean-off answers, requests the lean path took), each request on its own connection."""
    async def main():
        out = []
        taken = 0
        for lean in (True, False):
            async with serving(run, lean, **settings) as (port, jobs, _):
                out.append([comparable((await exchange(port, raw))[0]) for raw in raws_list])
                taken = jobs.taken if jobs else taken
        return out[0], out[1], taken

    return asyncio.run(main())


def test_lean_path_answers_as_the_asgi_route():
    async def overloaded(req):
        raise Overloaded("pool 'cpu' is full: retry after 3s", retry_after=3)

    async def broken(req):
        raise RuntimeError("a bug in the core")

    cases = [request(headers={"x-request-id": "r-ok"}), request(body=b"{not json"),
             request(body=json.dumps({"graph_id": "x", "inputs": "nope"}).encode(), headers={"x-request-id": "r-bad"}),
             request(headers={"connection": "close"})]
    lean, asgi, taken = both(cases)
    assert taken == len(cases)
    assert lean == asgi
    assert lean[0][0] == 200 and lean[0][1]["outputs"][1]["data"] == [2.0, 4.0]
    assert lean[1][0] == 400 and lean[2][0] == 400 and lean[3][2]["connection"] == "close"
    for run, status in ((overloaded, 429), (broken, 500)):
        lean, asgi, taken = both([request(headers={"x-request-id": "r-err"})], run)
        assert taken == 1 and lean == asgi and lean[0][0] == status
        assert lean[0][1]["error"]["detail"]["request_id"] == "r-err"


def test_a_compressed_body_is_answered_as_on_the_asgi_route():
    """Content-Encoding on the lean path: decompressed by the same job runner, within the same max_body_bytes
    (a bomb is a 413, a truncated stream a 400, an unknown coding a 415), so the answer is the ASGI route's."""
    cases = [request(body=gzip.compress(BODY), headers={"content-encoding": "gzip"}),
             request(body=zlib.compress(BODY), headers={"content-encoding": "deflate"}),
             request(body=gzip.compress(BODY)[:-9], headers={"content-encoding": "gzip"}),
             request(body=gzip.compress(b" " * (2 << 20)), headers={"content-encoding": "gzip"}),  # (spaces: NUL is a 400 at once)
             request(body=BODY, headers={"content-encoding": "br"})]
    lean, asgi, taken = both(cases, max_body_bytes=1 << 20)
    assert taken == len(cases)
    assert lean == asgi
    assert [a[0] for a in lean] == [200, 200, 400, 413, 415]
    assert lean[0][1]["outputs"][1]["data"] == [2.0, 4.0] and lean[1][1] == lean[0][1]
    assert "truncated" in lean[2][1]["error"]["message"] and "send gzip" in lean[4][1]["error"]["message"]


def test_fallbacks_take_uvicorns_path_with_the_same_answer():
    big = json.dumps(dict(GOOD, pad="x" * LEAN_MAX_BODY)).encode()
    chunked = (b"POST /v1/eval HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\nx-request-id: rid\r\n"
               b"transfer-encoding: chunked\r\n\r\n" + b"%x\r\n" % len(BODY) + BODY + b"\r\n0\r\n\r\n")
    cases = [request("/v1/eval?x=1"), request(version="1.0"), request(headers={"expect": "100-continue"}),
             chunked, request(body=big), request(method="PUT"), request("/v1/nope"),
             request("/v2/health/live", b"", method="GET")]
    lean, asgi, taken = both(cases)
    assert taken == 0
    assert lean == asgi
    assert [a[0] for a in lean[:4]] == [200] * 4
    assert lean[4][0] == 400 and "pad" in json.dumps(lean[4][1])  # (read whole and decoded: an unknown field)
    assert lean[5][0] == 405 and lean[6][0] == 404 and lean[7][0] == 200


def test_api_keys_leave_the_lean_path_off():
    from service.cli import http_protocol

    s = Settings(api_keys="k1")
    app = create_app(s, Core(s))
    assert not hasattr(http_protocol(s, app, app), "_lean_take")
    s = Settings()
    app = create_app(s, Core(s))
    assert hasattr(http_protocol(s, app, app), "_lean_take")
    assert not hasattr(http_protocol(s, app, object()), "_lean_take")  # the access log or tracing wrap the app
    s = Settings(lean_http=False)
    assert not hasattr(http_protocol(s, app, app), "_lean_take")


def test_pipelined_requests_answered_in_order():
    calls = []

    async def slow_run(req):  # the first (lean) job is the slowest: a request run beside it would answer first
        calls.append(1)
        await asyncio.sleep(0.2 if len(calls) == 1 else 0)
        return await ok_run(req)

    chunked = (b"POST /v1/eval HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\nx-request-id: r2\r\n"
               b"transfer-encoding: chunked\r\n\r\n" + b"%x\r\n" % len(BODY) + BODY + b"\r\n0\r\n\r\n")

    async def main():
        async with serving(slow_run) as (port, jobs, _):
            raws = [request(headers={"x-request-id": "r1"}), chunked, request(headers={"x-request-id": "r3"}),
                    request(headers={"x-request-id": "r4"})]
            got = await exchange(port, *raws)
            assert [g[1]["x-request-id"] for g in got] == ["r1", "r2", "r3", "r4"]
            assert all(g[0] == 200 for g in got)
            assert 1 <= jobs.taken <= 3  # r1 lean; r2 (chunked) uvicorn's, and what queued behind it
            # the connection serves lean requests again once the pipeline is empty
            before = jobs.taken
            (status, headers, _), = await exchange(port, request(headers={"x-request-id": "r5"}))
            assert status == 200 and jobs.taken == before + 1

    asyncio.run(main())


def test_body_after_the_head_and_a_stalled_body():
    async def main():
        # the body 0.1 s after its head, within body_timeout_s by 20x (a loaded box's loop may wake late)
        async with serving(body_timeout_s=2.0) as (port, jobs, _):
            (status, _, body), = await exchange(port, request(headers={"x-request-id": "late"}), split=0.1)
            assert status == 200 and json.loads(body)["outputs"][1]["data"] == [2.0, 4.0]
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(request()[:-5])  # the body never completes
            status, headers, body = await read_response(r)
            assert status == 408 and headers["connection"] == "close"
            assert "body_timeout_s" in json.loads(body)["error"]["message"]
            assert await asyncio.wait_for(r.read(), 10) == b""  # closed
            w.close()
            assert jobs.taken == 2

    asyncio.run(main())


def test_disconnect_cancels_the_job():
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def stuck_run(req):
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def main():
        async with serving(stuck_run) as (port, jobs, _):
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(request())
            await asyncio.wait_for(started.wait(), 10)
            w.close()
            await asyncio.wait_for(cancelled.wait(), 10)
            assert jobs.taken == 1

    asyncio.run(main())


def test_graceful_shutdown_waits_for_a_lean_answer():
    started = asyncio.Event()

    async def slow_run(req):
        started.set()
        await asyncio.sleep(0.5)
        return await ok_run(req)

    async def main():
        async with serving(slow_run) as (port, jobs, server):
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(request())
            await asyncio.wait_for(started.wait(), 10)
            server.should_exit = True  # what SIGTERM does
            status, headers, body = await read_response(r)
            assert status == 200 and headers["connection"] == "close"
            assert json.loads(body)["outputs"][1]["data"] == [2.0, 4.0]
            assert await asyncio.wait_for(r.read(), 10) == b""
            w.close()
            assert jobs.taken == 1

    asyncio.run(main())


def test_large_answer_to_a_small_request_streams_as_on_the_asgi_route():
    async def big_run(req):  # above http_app.BIG: a PartsResponse, sent in chunks under flow control
        return JobResult([("out0", np.arange(400_000, dtype=np.float32))], [0], "sha256:g", "cpu:0",
                         {"compute_ms": 0.1})

    lean, asgi, taken = both([request(headers={"x-request-id": "big"})], big_run)
    assert taken == 1 and lean == asgi
    assert lean[0][0] == 200 and lean[0][1]["outputs"][0]["data"][-1] == 399_999.0


def test_client_gone_mid_body_frees_the_request():
    calls = []

    async def counting_run(req):
        calls.append(req)
        return await ok_run(req)

    async def main():
        async with serving(counting_run) as (port, jobs, server):
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(request()[:-5])  # the job starts, awaiting the rest of its body; the client leaves
            await w.drain()
            for _ in range(200):
                if server.server_state.tasks:
                    break
                await asyncio.sleep(0.01)
            w.close()
            for _ in range(500):  # the lean job ends (a 499 nobody reads), with no job run
                if not server.server_state.tasks:
                    break
                await asyncio.sleep(0.01)
            assert not server.server_state.tasks and not calls
            (status, _, _), = await exchange(port, request())
            assert status == 200 and len(calls) == 1 and jobs.taken == 2

    asyncio.run(main())


def test_an_uvicorn_without_the_hooks_gets_no_lean_path():
    """The lean path overrides uvicorn internals: a protocol class lacking one of them is served plain."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from service.lean_http import UVICORN_HOOKS, fits

    assert fits(HttpToolsProtocol)
    for name in UVICORN_HOOKS:
        stripped = type("Stripped", (), {n: getattr(HttpToolsProtocol, n) for n in UVICORN_HOOKS if n != name})
        assert not fits(stripped), name


def test_an_idle_connection_after_a_lean_answer_closes_at_the_keep_alive_timeout():
    # the keep-alive timeout runs on the loop's shared ticker (service.ticker.Later): armed after each
    # answer, taken back by the next request, firing once the connection stays idle
    async def main():
        async with serving(idle_timeout_s=1.0) as (port, jobs, _):
            r, w = await asyncio.open_connection("127.0.0.1", port)
            try:
                for _ in range(3):  # each request within the timeout: the connection stays open
                    w.write(request())
                    await w.drain()
                    assert (await read_response(r))[0] == 200
                    await asyncio.sleep(0.05)
                assert jobs.taken == 3
                loop = asyncio.get_running_loop()
                t0 = loop.time()
                assert await asyncio.wait_for(r.read(), 20) == b""  # the server closed it
                return loop.time() - t0
            finally:
                w.close()

    idle = asyncio.run(main())
    assert 0.5 <= idle < 20, idle  # (0.05 s of the 1.0 had passed; a generous ceiling for a loaded box)


def test_the_keep_alive_timeout_counts_from_the_last_answer():
    """The keep-alive timer is armed once per idle spell (LeanProtocol._keep_alive_due): when it fires after
    requests came and went, the connection has been idle for less than the timeout and stays open; it closes
    once a whole timeout has passed since its last answer."""
    async def main():
        async with serving(idle_timeout_s=2.0) as (port, jobs, _):
            r, w = await asyncio.open_connection("127.0.0.1", port)
            loop = asyncio.get_running_loop()
            try:
                for pause in (1.4, 1.0, 0):  # the first answer's timer is due ~0.6 s before the third request
                    w.write(request())
                    await w.drain()
                    assert (await read_response(r))[0] == 200
                    t0 = loop.time()
                    await asyncio.sleep(pause)
                assert jobs.taken == 3
                assert await asyncio.wait_for(r.read(), 20) == b""  # the server closed it
                return loop.time() - t0
            finally:
                w.close()

    idle = asyncio.run(main())
    assert 1.5 <= idle < 20, idle  # (from the last answer; a generous ceiling for a loaded box)


def test_a_coroutine_started_outside_a_task_goes_on_in_one():
    # what LeanProtocol._lean_start does with a job that waits: send(None) here, the rest in a task (_Rest)
    from service.lean_http import _Rest

    async def job(fut, log):
        log.append("started")
        try:
            got = await fut
        except asyncio.CancelledError:
            log.append("cancelled")
            await asyncio.sleep(0)  # it may still wait after its cancel
            return "cleaned up"
        log.append(got)
        await asyncio.sleep(0)
        return got * 2

    async def main():
        loop = asyncio.get_running_loop()
        results = []
        for cancel in (False, True):
            fut, log = loop.create_future(), []
            coro = job(fut, log)
            waiting = coro.send(None)  # eagerly, up to its first wait
            assert log == ["started"] and waiting is fut
            task = loop.create_task(_Rest(coro, waiting).run())
            await asyncio.sleep(0)
            if cancel:
                task.cancel()
            else:
                fut.set_result(21)
            results.append((await asyncio.wait_for(task, 10), log))
        return results

    assert asyncio.run(main()) == [(42, ["started", 21]), ("cleaned up", ["started", "cancelled"])]


def test_a_job_that_never_waits_is_answered_without_a_task():
    # a whole small body starts its job from the parser (LeanProtocol._lean_start): a job that never waits
    # (the inline lane) needs no task; one that waits goes on in one (_Rest.run), answered the same
    async def waits_once(req):
        await asyncio.sleep(0.01)
        return await ok_run(req)

    async def main():
        names = []

        def factory(loop, coro, **kw):
            names.append(getattr(coro, "__qualname__", ""))
            return asyncio.Task(coro, loop=loop, **kw)

        out = []
        for run in (ok_run, waits_once):
            async with serving(run) as (port, jobs, _):
                asyncio.get_running_loop().set_task_factory(factory)
                names.clear()
                out.append((comparable((await exchange(port, request()))[0]), jobs.taken,
                            [n for n in names if "Lean" in n or "Rest" in n]))
                asyncio.get_running_loop().set_task_factory(None)
        return out

    (eager, taken, tasks), (waited, taken2, tasks2) = asyncio.run(main())
    assert eager == waited and eager[0] == 200 and taken == taken2 == 1
    assert tasks == [] and tasks2 == ["_Rest.run"]


def test_bytes_the_parser_refuses_after_a_request_get_the_400_alone():
    # a whole request followed, in the same packet, by bytes that are no request: uvicorn answers 400 and
    # closes before the request's job starts, on both paths (the lean job starts once its chunk is parsed)
    async def main():
        out = []
        for lean in (True, False):
            async with serving(lean=lean) as (port, jobs, _):
                r, w = await asyncio.open_connection("127.0.0.1", port)
                w.write(request() + b"junk!!\r\n\r\n")
                await w.drain()
                first = await read_response(r)
                rest = await asyncio.wait_for(r.read(), 20)
                w.close()
                out.append((first[0], rest))
        return out

    assert asyncio.run(main()) == [(400, b""), (400, b"")]


def test_a_request_leaving_the_lean_path_gets_uvicorns_scope():
    """The lean protocol builds a request's ASGI scope only when the request leaves the lean path (uvicorn's
    route, http_guard's 431): its method, path, query, headers (an Expect: 100-continue too) and peer are the
    ones uvicorn gives, and a head above max_header_bytes is answered 431 on both paths."""
    seen = []

    async def main():
        out = []
        for lean in (True, False):
            async with serving(lean=lean, max_header_bytes=4096) as (port, jobs, server):
                app = server.config.loaded_app

                async def spy(scope, receive, send, inner=server.config.app):
                    if scope["type"] == "http":
                        seen.append((lean, scope["method"], scope["path"], scope["query_string"],
                                     dict(scope["headers"]).get(b"x-request-id"), scope["client"][0]))
                    await inner(scope, receive, send)

                server.config.loaded_app = spy
                try:
                    got = [comparable(a) for a in await exchange(port, request("/v1/eval?x=1"),
                                                                 request(headers={"expect": "100-continue"}))]
                    big = await exchange(port, request(headers={"x-big": "a" * 5000}))
                finally:
                    server.config.loaded_app = app
                out.append((got, big[0][0], jobs.taken if jobs else 0))
        return out

    (lean, lean_big, taken), (asgi, asgi_big, _) = asyncio.run(main())
    assert lean == asgi and [a[0] for a in lean] == [200, 200] and taken == 0
    assert lean_big == asgi_big == 431
    assert sorted(s[1:] for s in seen if s[0]) == sorted(s[1:] for s in seen if not s[0])
    assert ("POST", "/v1/eval", b"x=1", b"rid", "127.0.0.1") in [s[1:] for s in seen if s[0]]


def test_the_response_head_follows_the_servers_default_headers():
    """response_head keeps the status line and the server's default headers as bytes while the same list
    stands; uvicorn's new list (the date, once a second) or another status is written as given, and a
    `connection: close` anywhere closes."""
    from service.lean_http import response_head

    def plain(status, defaults, raw, keep):  # (what uvicorn writes)
        lines = b"".join(b"%s: %s\r\n" % h for h in (*defaults, *raw))
        close = any(k == b"connection" and b"close" in v.lower() for k, v in (*defaults, *raw))
        extra = b"connection: close\r\n" if not keep and not close else b""
        return b"HTTP/1.1 %d %s\r\n" % (status, {200: b"OK", 429: b"Too Many Requests"}[status]) + lines + extra + \
            b"\r\n", keep and not close

    raw = [(b"content-length", b"12"), (b"x-request-id", b"r1")]
    d1 = [(b"date", b"Sat, 05 Dec 2026 13:00:00 GMT"), (b"server", b"uvicorn")]
    d2 = [(b"date", b"Sat, 05 Dec 2026 13:00:01 GMT"), (b"server", b"uvicorn")]
    d3 = [*d2, (b"connection", b"Close")]
    for status, defaults, rows, keep in ((200, d1, raw, True), (200, d1, raw, True), (200, d2, raw, True),
                                         (429, d2, raw, True), (200, d2, raw, False), (200, d3, raw, True),
                                         (200, d2, [*raw, (b"connection", b"close")], True), (200, d2, raw, True)):
        assert response_head(status, defaults, rows, keep) == plain(status, defaults, rows, keep)
