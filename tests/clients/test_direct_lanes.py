"""The direct lane (service.lanes, gradserve._transport._lanes; on by default) with a real server process (two
CPU workers, API keys on, the default settings otherwise) and real workers: a granted client's repeated
shared-memory job goes straight to its leased worker, and answers as HTTP would: the same bytes; lane jobs are
counted as HTTP jobs (gradserve_requests_total, the latency histogram); a full queue of the lane client's own
jobs revokes its lease (its jobs then meet HTTP's admission); a worker killed mid-job (by a crash, or by the
server past the job's deadline) or stopped / killed before it took the lane job raises WorkerDied /
DeadlineExceeded as HTTP's answer would, within the deadline and its grace, and the worker is replaced; the
grant and the cause's route take the API key, and a lane socket refuses a wrong token; another client's job
takes the leased worker back (the flooding lane client does not starve it); and the HTTP path whenever the
server or the client has lanes off (GRADSERVE_DIRECT_LANES=0); a lane job done past its deadline within the grace
answers HTTP's 504; a grant whose outputs came in the answer's body makes no lease; a client closed before it used
its lane gives the worker back at once."""
from __future__ import annotations

import os
import signal
import socket
import struct
import threading
import time

import httpx
import numpy as np
import pytest

import gradserve as gs
from gradserve import errors
from gradserve._transport import _lanes
from engine import GraphBuilder
from engine.serialize import graph_to_json

from .conftest import RealServer
from .test_client_shm import w2_graph, w2_inputs  # noqa: F401 - (w2_inputs: a fixture)

KEYS = ("key-a", "key-b")
CEILING_S = 60.0  # generous: a loaded 2-core CI box


@pytest.fixture(scope="module")
def lane_server(tmp_path_factory):
    s = RealServer(tmp_path_factory.mktemp("lanes") / "server.log",
                   env={"GRADSERVE_CPU_WORKERS": "2", "GRADSERVE_QUEUE_SIZE": "8",
                        "GRADSERVE_API_KEYS": ",".join(KEYS)})
    yield s
    s.stop()


@pytest.fixture
def lanes_on(monkeypatch):
    monkeypatch.delenv("GRADSERVE_DIRECT_LANES", raising=False)  # (the default: on)


def _http(server, key: str = KEYS[0]) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30, headers={"authorization": f"Bearer {key}"})


def _metric(server, name: str, *labels: str) -> float:
    """The samples of `name` whose labels include each of `labels` ('lane="direct"'), summed (0: none)."""
    with _http(server) as h:
        return sum(float(line.rsplit(" ", 1)[1]) for line in h.get("/metrics").text.splitlines()
                   if line.startswith(name + "{") and all(x in line for x in labels))


def _direct_jobs(server) -> float:
    return _metric(server, "gradserve_job_lanes_total", 'lane="direct"', 'device="cpu"')


def _grad_jobs(server) -> tuple[float, float]:
    """(gradserve_requests_total, the latency histogram's count) of grad jobs that went well."""
    return (_metric(server, "gradserve_requests_total", 'endpoint="grad"', 'code="ok"'),
            _metric(server, "gradserve_request_latency_seconds_count", 'endpoint="grad"', 'device="cpu"',
                    'code="ok"'))


def _worker_pids(server, state: str) -> list:
    with _http(server) as h:
        pools = h.get("/v1/devices").json()["pools"]
    return [w["pid"] for p in pools for w in p["workers"] if w["state"] == state]


def _leased_pid(server) -> int | None:
    with _http(server) as h:
        pools = h.get("/v1/devices").json()["pools"]
    return next((w["pid"] for p in pools for w in p["workers"] if w["state"] == "leased"), None)


def _until(cond, what: str, ceiling: float = CEILING_S):
    end = time.monotonic() + ceiling
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(0.02)
    raise AssertionError(f"not within {ceiling}s: {what}")


def _settled(server) -> None:
    """Both workers up (one the test killed before is replaced), at most one leased."""
    def ready():
        with _http(server) as h:
            states = [w["state"] for p in h.get("/v1/devices").json()["pools"] for w in p["workers"]]
        return all(st in ("idle", "leased") for st in states) and states.count("leased") <= 1
    _until(ready, "both workers up")


def _on_lane(server, call, calls: int = 20) -> list:
    """Calls until one ran on the direct lane (its timing says so); the results of all of them."""
    _settled(server)
    out = []
    for _ in range(calls):
        r = call()
        out.append(r)
        if r.timing.get("lane") == "direct":
            return out
    raise AssertionError(f"no call of {calls} went on the direct lane: {[r.timing.get('lane') for r in out]}")


def _steady_on_lane(server, call, calls: int = 20) -> None:
    """Calls, each result dropped at once, until two in a row ran on the direct lane: the request's bytes
    settled (a Result left alive holds its SDK region pair: the next call takes another pair, whose request is
    not granted yet; and the region's generations settle over the first calls)."""
    _settled(server)
    seen: list = []
    for _ in range(calls):
        seen.append(call().timing.get("lane"))
        if seen[-2:] == ["direct", "direct"]:
            return
    raise AssertionError(f"not two calls in a row on the direct lane in {calls}: {seen}")


def _slow_graph(n: int = 1024, layers: int = 6) -> dict:
    """tanh layers of x @ w, w shared: ~0.1-1 s a gradient on one core, long enough to be killed mid-job."""
    gb = GraphBuilder("slow")
    x, w = gb.input((n, n), name="x"), gb.input((n, n), name="w")
    h = x
    for _ in range(layers):
        h = gb.tanh(gb.matmul(h, w))
    return graph_to_json(gb.build(gb.sum(gb.mul(h, h))))


def _slow_inputs(n: int = 1024) -> list:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, n)).astype(np.float32)
    return [x, (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)]


def test_lane_answers_equal_http_bit_for_bit_and_follow_changed_inputs(lane_server, lanes_on, w2_inputs):
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    plain = gs.Client(lane_server.url, api_key=KEYS[1], shared_memory=False)  # bytes over HTTP: never a lane
    c = gs.Client(lane_server.url, api_key=KEYS[0])
    try:
        # (first: another client's job takes a leased worker's lent cores back, and so ends the lease)
        want = plain.grad(g, w2_inputs, grad_position=pos).outputs
        changed = [w2_inputs[0] * np.float32(0.5), *w2_inputs[1:]]
        want2 = plain.grad(g, changed, grad_position=pos).outputs
        more = [[w2_inputs[0] * np.float32(1.5 + k), *w2_inputs[1:]] for k in range(4)]
        want_more = [plain.grad(g, xs, grad_position=pos).outputs for xs in more]
        before = _direct_jobs(lane_server)
        got = _on_lane(lane_server, lambda: c.grad(g, w2_inputs, grad_position=pos))
        for r in got + [c.grad(g, w2_inputs, grad_position=pos) for _ in range(3)]:
            assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(r.outputs, want))
        assert _direct_jobs(lane_server) >= before + 4
        # a changed input changes the request (its region's generation): HTTP, then a lane of its own
        for r in _on_lane(lane_server, lambda: c.grad(g, changed, grad_position=pos)):
            assert all(np.array_equal(a, b) for a, b in zip(r.outputs, want2))
        for xs, want_k in zip(more, want_more):  # more requests than a lease keeps: a new lane (the old one ended)
            for r in _on_lane(lane_server, lambda: c.grad(g, xs, grad_position=pos)):
                assert all(np.array_equal(a, b) for a, b in zip(r.outputs, want_k))
        # and back (another generation of the region's bytes)
        for r in _on_lane(lane_server, lambda: c.grad(g, w2_inputs, grad_position=pos)):
            assert all(np.array_equal(a, b) for a, b in zip(r.outputs, want))
    finally:
        c.close()
        plain.close()


def _killed_mid_job(server, sig: int, deadline_ms: int | None):
    """A client on the lane with the slow graph; its next lane job's worker gets `sig` once the job started
    (the server counted it); what that call raised, the call after it, the deadline (ms) and how long the call
    took from its start."""
    g, xs = _slow_graph(), _slow_inputs()
    if deadline_ms is not None:  # as long as it must be on this box: 8x a run (the grant's calls keep within it)
        with gs.Client(server.url, api_key=KEYS[0], shared_memory=False) as probe:
            deadline_ms = int(max(deadline_ms, 8 * probe.grad(g, xs, grad_position=[0, 1]).timing["compute_ms"]))
    c = gs.Client(server.url, api_key=KEYS[0], deadline_ms=deadline_ms, max_retries=0)
    try:
        _settled(server)
        seen: list = []
        for _ in range(12):  # (results not kept: the call after these reuses their region pair, on its lane)
            seen.append(c.grad(g, xs, grad_position=[0, 1]).timing.get("lane"))
            if seen[-2:] == ["direct", "direct"]:
                break
        assert seen[-2:] == ["direct", "direct"], seen
        pid, started = _leased_pid(server), _direct_jobs(server)
        assert pid is not None
        box: dict = {}

        def call():
            try:
                box["result"] = c.grad(g, xs, grad_position=[0, 1])
            except Exception as e:  # noqa: BLE001 - what the test checks
                box["error"] = e

        t = threading.Thread(target=call)
        t0 = time.monotonic()
        t.start()
        _until(lambda: _direct_jobs(server) > started, "the lane job started")
        os.kill(pid, sig)
        t.join(CEILING_S)
        took = time.monotonic() - t0
        assert not t.is_alive()
        after = c.grad(g, xs, grad_position=[0, 1])  # over HTTP, on the replaced worker or the other one
        assert after.timing.get("lane") != "direct"
        return box.get("error"), after, deadline_ms, took
    finally:
        c.close()


def test_a_worker_killed_mid_lane_job_raises_worker_died_as_http(lane_server, lanes_on):
    err, after, _, _ = _killed_mid_job(lane_server, signal.SIGKILL, None)
    assert isinstance(err, errors.WorkerDied), err
    assert "died while running this job" in str(err)
    assert np.isfinite(after.outputs[0]).all()


def test_a_lane_job_past_its_deadline_raises_deadline_exceeded(lane_server, lanes_on):
    """The worker stopped mid-job (SIGSTOP: it never finishes): the server kills it past the deadline and its
    grace, and the client raises DeadlineExceeded, as an HTTP job's 504: within the deadline and grace (the
    call's time, its warm-up calls not counted: they take a minute on a loaded box)."""
    err, _, deadline_ms, took = _killed_mid_job(lane_server, signal.SIGSTOP, 1500)
    assert isinstance(err, errors.DeadlineExceeded), err
    assert took < deadline_ms / 1e3 + 0.5 + 10.0, (took, deadline_ms)  # (grace 0.5 s; 10 s: a loaded box)


def test_api_key_checked_for_the_grant_and_the_cause_and_a_wrong_token_refused(lane_server, lanes_on, w2_inputs):
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    bad = gs.Client(lane_server.url, api_key="wrong", max_retries=0)
    try:
        for _ in range(3):
            with pytest.raises(errors.AuthError):
                bad.grad(g, w2_inputs, grad_position=pos)
        assert bad._transport._direct.token is None  # never granted
    finally:
        bad.close()
    c = gs.Client(lane_server.url, api_key=KEYS[0])
    try:
        _on_lane(lane_server, lambda: c.grad(g, w2_inputs, grad_position=pos))
        lane = c._transport._direct
        assert httpx.get(f"{lane_server.url}/v1/lane/{lane.token}").status_code == 401
        assert httpx.post(f"{lane_server.url}/v1/lane/{lane.token}/overdue").status_code == 401
        with _http(lane_server) as h:
            assert h.get(f"/v1/lane/{lane.token}").json() == {"state": "held"}
        before = _direct_jobs(lane_server)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(CEILING_S)
        s.connect(lane.path)
        s.sendall(b"0" * 32 + _lanes.FRAME.pack(1, 0, 0))  # a wrong token, then a frame
        try:
            assert s.recv(64) == b""  # closed: nothing ran
        except ConnectionResetError:  # (closed with the frame unread)
            pass
        s.close()
        assert _direct_jobs(lane_server) == before  # (closed in its accept: no frame was read)
        _on_lane(lane_server, lambda: c.grad(g, w2_inputs, grad_position=pos))  # the lane goes on
    finally:
        c.close()


@pytest.mark.serial  # another client's latency under a flood: a sibling's load skews it
def test_an_http_client_is_not_starved_by_a_flooding_lane_client(lane_server, lanes_on, w2_inputs):
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    flood = gs.Client(lane_server.url, api_key=KEYS[0])
    other = gs.Client(lane_server.url, api_key=KEYS[1], shared_memory=False)  # another client, over HTTP
    want = other.grad(g, w2_inputs, grad_position=pos).outputs
    stop, lanes_seen, wrong = threading.Event(), [], []

    def run():
        while not stop.is_set():
            r = flood.grad(g, w2_inputs, grad_position=pos)
            lanes_seen.append(r.timing.get("lane"))
            if not all(np.array_equal(a, b) for a, b in zip(r.outputs, want)):
                wrong.append(r)

    try:
        _on_lane(lane_server, lambda: flood.grad(g, w2_inputs, grad_position=pos))
        t = threading.Thread(target=run)
        t.start()
        _until(lambda: lanes_seen.count("direct") >= 5, "the flood on its lane")
        took = []
        for _ in range(5):
            t0 = time.monotonic()
            r = other.grad(g, w2_inputs, grad_position=pos)
            took.append(time.monotonic() - t0)
            assert all(np.array_equal(a, b) for a, b in zip(r.outputs, want))
        stop.set()
        t.join(CEILING_S)
        assert not wrong
        assert max(took) < CEILING_S / 4, took
    finally:
        stop.set()
        flood.close()
        other.close()


def test_http_when_the_server_has_no_lanes(tmp_path, lanes_on, w2_inputs):
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    off = RealServer(tmp_path / "server.log", env={"GRADSERVE_DIRECT_LANES": "0", "GRADSERVE_CPU_WORKERS": "2"})
    c = gs.Client(off.url)
    plain = gs.Client(off.url, shared_memory=False)
    try:
        want = plain.grad(g, w2_inputs, grad_position=pos).outputs
        for _ in range(5):
            r = c.grad(g, w2_inputs, grad_position=pos)
            assert r.timing.get("lane") == "worker" and "direct_lane" not in r.timing
            assert all(np.array_equal(a, b) for a, b in zip(r.outputs, want))
        assert c._transport._direct.token is None
    finally:
        c.close()
        plain.close()
        off.stop()


def test_http_when_the_client_has_lanes_off(lane_server, monkeypatch, w2_inputs):
    monkeypatch.setenv("GRADSERVE_DIRECT_LANES", "0")
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    c = gs.Client(lane_server.url, api_key=KEYS[0])
    try:
        assert c._transport._direct is None
        for _ in range(4):
            r = c.grad(g, w2_inputs, grad_position=pos)
            assert r.timing.get("lane") != "direct" and "direct_lane" not in r.timing
    finally:
        c.close()


def test_lane_jobs_are_counted_as_http_jobs(lane_server, lanes_on, w2_inputs):
    """Every job this client makes, over HTTP or on the lane, is one more grad request counted ok and one more
    latency observation: N jobs, N counted, the lane's among them (gradserve_job_lanes_total says how many)."""
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    c = gs.Client(lane_server.url, api_key=KEYS[0])
    try:
        _steady_on_lane(lane_server, lambda: c.grad(g, w2_inputs, grad_position=pos))
        time.sleep(0.5)  # (the lane's last report in)
        before, direct, n = _grad_jobs(lane_server), _direct_jobs(lane_server), 16
        lanes = [c.grad(g, w2_inputs, grad_position=pos).timing.get("lane") for _ in range(n)]
        on_lane = lanes.count("direct")
        assert on_lane == n, lanes
        want = (before[0] + n, before[1] + n)
        _until(lambda: _grad_jobs(lane_server) == want, f"{n} jobs counted ({on_lane} on the lane): {want}")
        time.sleep(0.5)
        assert _grad_jobs(lane_server) == want  # exactly N: none counted twice, none left out
        assert _direct_jobs(lane_server) == direct + on_lane
    finally:
        c.close()


def test_a_full_queue_of_the_lane_clients_own_jobs_revokes_its_lease(tmp_path, lanes_on, w2_inputs):
    """Over HTTP a client holding the whole queue is refused (429) past it; a lease would let its lane jobs past
    that, so a full queue ends it: the lane client's next job goes over HTTP, through admission. (A server that
    lends no cores: a job on a lender would end the lease at once, whatever the queue.)"""
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    lane_server = RealServer(tmp_path / "server.log", env={"GRADSERVE_CPU_WORKERS": "2", "GRADSERVE_QUEUE_SIZE": "8",
                                                           "GRADSERVE_LEND_CORES": "0",
                                                           "GRADSERVE_API_KEYS": ",".join(KEYS)})
    c = gs.Client(lane_server.url, api_key=KEYS[0])
    stopped = None
    threads: list = []
    try:
        _on_lane(lane_server, lambda: c.grad(g, w2_inputs, grad_position=pos))
        token = c._transport._direct.token
        stopped = _worker_pids(lane_server, "idle")[0]
        os.kill(stopped, signal.SIGSTOP)  # the other worker takes one job and holds it: the rest queue
        outcomes: list = []

        def one():
            with gs.Client(lane_server.url, api_key=KEYS[0], shared_memory=False, max_retries=0) as h:
                try:
                    h.grad(g, w2_inputs, grad_position=pos, deadline_ms=int(CEILING_S * 1e3))
                    outcomes.append("ok")
                except errors.APIStatusError as e:
                    outcomes.append(type(e).__name__)

        threads = [threading.Thread(target=one) for _ in range(10)]  # 1 held + a queue of 8 + more
        for t in threads:
            t.start()
        with _http(lane_server) as h:
            _until(lambda: h.get(f"/v1/lane/{token}").json() == {"state": "revoked"}, "the lease revoked")
        os.kill(stopped, signal.SIGCONT)
        stopped = None
        for t in threads:
            t.join(CEILING_S)
        assert len(outcomes) == 10 and set(outcomes) <= {"ok", "Overloaded"}, outcomes
        r = c.grad(g, w2_inputs, grad_position=pos)  # over HTTP: the lease is gone
        assert r.timing.get("lane") != "direct"
    finally:
        if stopped is not None:
            os.kill(stopped, signal.SIGCONT)
        for t in threads:
            t.join(CEILING_S)
        c.close()
        lane_server.stop()


@pytest.mark.parametrize("sig", [signal.SIGSTOP, signal.SIGKILL])
def test_a_worker_stopped_or_killed_before_it_takes_the_lane_job(lane_server, lanes_on, w2_inputs, sig):
    """The leased worker stopped (or killed) between lane jobs: it never reads the next frame, so nothing
    announces the job. Stopped: the client, its answer not in within the deadline and grace, tells the server,
    which kills the silent worker: DeadlineExceeded within deadline + grace (+ the round trips), as HTTP's 504.
    Killed: the lane is gone before the job reached it, so it runs over HTTP on the other worker, as an HTTP
    job sent after a worker died would (or, the frame sent before the kill took effect, WorkerDied as HTTP's
    job on a dying worker). Either way at once, and the worker is replaced."""
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    deadline_ms = 2000
    with gs.Client(lane_server.url, api_key=KEYS[1], shared_memory=False) as plain:
        want = plain.grad(g, w2_inputs, grad_position=pos).outputs
    c = gs.Client(lane_server.url, api_key=KEYS[0], deadline_ms=deadline_ms, max_retries=0)
    try:
        _steady_on_lane(lane_server, lambda: c.grad(g, w2_inputs, grad_position=pos))
        pid = _leased_pid(lane_server)
        assert pid is not None
        restarts = _metric(lane_server, "gradserve_worker_restarts_total", 'device="cpu"')
        os.kill(pid, sig)
        t0 = time.monotonic()
        try:
            got = c.grad(g, w2_inputs, grad_position=pos)
            lane = got.timing.get("lane")
        except errors.APIStatusError as e:
            got, lane = e, None
        took = time.monotonic() - t0
        grace = 0.5  # (deadline_grace_s's default)
        if sig == signal.SIGSTOP:
            assert isinstance(got, errors.DeadlineExceeded) and "held the lane's job" in str(got), got
            assert deadline_ms / 1e3 <= took < deadline_ms / 1e3 + grace + 10.0, took  # (10 s: a loaded box)
        else:
            assert isinstance(got, errors.WorkerDied) or (
                lane != "direct" and all(np.array_equal(a, b) for a, b in zip(got.outputs, want))), got
            assert took < 10.0, took
        _until(lambda: _metric(lane_server, "gradserve_worker_restarts_total", 'device="cpu"') > restarts,
               "the worker replaced")
        _settled(lane_server)
        assert pid not in _worker_pids(lane_server, "idle") + _worker_pids(lane_server, "leased")
        assert c.grad(g, w2_inputs, grad_position=pos).timing.get("lane") != "direct"  # (over HTTP, then asks)
    finally:
        c.close()


def test_a_grant_whose_outputs_came_in_the_body_makes_no_lease(lane_server, lanes_on, w2_inputs):
    """A client's first call has an output region too small for W2's gradients: the answer carries them in its
    body, so the client cannot take a lane from it. The server makes none (before: a lease the client never used,
    ended by its next call's ask, which got no grant: the lane came a call later, and the leased worker sat idle
    in between): the second call is granted, the third runs on the lane."""
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    _settled(lane_server)
    _until(lambda: _leased_pid(lane_server) is None, "no worker leased (earlier tests' clients closed)")
    c = gs.Client(lane_server.url, api_key=KEYS[0])
    try:
        first = c.grad(g, w2_inputs, grad_position=pos)
        assert "direct_lane" not in first.timing, first.timing
        assert _leased_pid(lane_server) is None  # (the worker answered after it ended the lease: no race)
        del first  # (its outputs hold its region pair)
        seen = [c.grad(g, w2_inputs, grad_position=pos).timing.get("lane") for _ in range(2)]
        assert seen == ["worker", "direct"], seen
    finally:
        c.close()


def test_a_client_closed_before_it_used_its_lane_gives_the_worker_back(lane_server, lanes_on, w2_inputs):
    """A client granted a lane that closes before its next job (a script's last call) tells the worker: the worker
    goes back to the pool at once (before: leased until another client's job would have queued; meanwhile the
    pool had a worker less, and no other client could be granted a lane: never the pool's last idle worker)."""
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    _settled(lane_server)
    _until(lambda: _leased_pid(lane_server) is None, "no worker leased (earlier tests' clients closed)")
    c = gs.Client(lane_server.url, api_key=KEYS[0])
    try:
        for _ in range(4):  # (the first call's outputs come in the body: no grant; then a grant, learned)
            c.grad(g, w2_inputs, grad_position=pos)
            if c._transport._direct.token is not None:
                break
        token = c._transport._direct.token
        assert token is not None and _leased_pid(lane_server) is not None
    finally:
        c.close()
    with _http(lane_server) as h:
        _until(lambda: h.get(f"/v1/lane/{token}").json() == {"state": "revoked"}, "the lease ended")
    assert _leased_pid(lane_server) is None


class _FrameDeadline(struct.Struct):
    """The lane's frame with a deadline of its own (ms; the SDK sends 0: the grant's)."""

    def __init__(self, ms: int):
        super().__init__(_lanes.FRAME.format)
        self.ms = ms

    def pack(self, seq, index, _deadline):  # type: ignore[override]
        return super().pack(seq, index, self.ms)


def test_a_lane_job_done_past_its_deadline_within_the_grace_answers_504_as_http(tmp_path, lanes_on, monkeypatch,
                                                                                 w2_inputs):
    """HTTP answers a job still running at its deadline with 504 DeadlineExceeded, whatever the job returns after
    (Pool._on_deadline); a lane job that ends past its deadline but within the grace (its worker not killed) gets
    the same answer, not its outputs (before: answered as if in time), counted as HTTP's 504; the worker and the
    lane go on. The client's frames ask a 1 ms deadline (W2's run takes longer) on a server whose grace is 60 s."""
    g, pos = w2_graph(), list(range(len(w2_inputs)))
    server = RealServer(tmp_path / "server.log", env={"GRADSERVE_CPU_WORKERS": "2", "GRADSERVE_DEADLINE_GRACE_S": "60"})
    try:
        with gs.Client(server.url, shared_memory=False) as plain:
            want = plain.grad(g, w2_inputs, grad_position=pos).outputs
        c = gs.Client(server.url, max_retries=0)
        try:
            _steady_on_lane(server, lambda: c.grad(g, w2_inputs, grad_position=pos))
            pid = _leased_pid(server)
            late = _metric(server, "gradserve_requests_total", 'endpoint="grad"', 'code="deadline_exceeded"')
            with monkeypatch.context() as m:
                m.setattr(_lanes, "FRAME", _FrameDeadline(1))
                with pytest.raises(errors.DeadlineExceeded) as got:
                    c.grad(g, w2_inputs, grad_position=pos)
            assert got.value.status == 504 and got.value.detail.get("where") == "running", got.value
            _until(lambda: _metric(server, "gradserve_requests_total", 'endpoint="grad"',
                                   'code="deadline_exceeded"') == late + 1, "the 504 counted as HTTP's")
            r = c.grad(g, w2_inputs, grad_position=pos)  # the same worker, the lane kept
            assert r.timing.get("lane") == "direct" and _leased_pid(server) == pid
            assert all(np.array_equal(a, b) for a, b in zip(r.outputs, want))
        finally:
            c.close()
    finally:
        server.stop()
