"""service.http_guard.OneSend: a response's head is held until its body's first write (one send for a
small response), and nothing is lost or reordered when no body write follows."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from service.http_guard import JOIN_MAX, OneSend


class Transport:
    def __init__(self):
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name):
        return ("127.0.0.1", 1) if name == "peername" else None


def run(steps):
    async def main():
        t = Transport()
        cycle = SimpleNamespace(response_started=False)
        one = OneSend(t, cycle)
        await steps(one, cycle)
        await asyncio.sleep(0)  # the end of the loop step
        return t

    return asyncio.run(main())


def test_head_and_body_leave_in_one_write():
    async def steps(one, cycle):
        one.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # before the response starts: at once
        cycle.response_started = True
        one.write(b"HEAD\r\n\r\n")
        one.write(b"body")
        one.write(b"more")

    assert run(steps).writes == [b"HTTP/1.1 100 Continue\r\n\r\n", b"HEAD\r\n\r\nbody", b"more"]


def test_a_head_without_a_body_write_goes_at_the_end_of_the_step():
    async def steps(one, cycle):
        cycle.response_started = True
        one.write(b"HEAD\r\n\r\n")  # a HEAD request: uvicorn writes no body

    assert run(steps).writes == [b"HEAD\r\n\r\n"]


def test_close_sends_a_held_head_first_and_other_calls_reach_the_transport():
    async def steps(one, cycle):
        cycle.response_started = True
        one.write(b"HEAD\r\n\r\n")
        assert one.get_extra_info("peername") == ("127.0.0.1", 1) and not one.is_closing()
        one.close()

    t = run(steps)
    assert t.writes == [b"HEAD\r\n\r\n"] and t.closed


def test_a_large_first_body_write_is_not_copied_onto_the_head():
    big = b"x" * (JOIN_MAX + 1)

    async def steps(one, cycle):
        cycle.response_started = True
        one.write(b"HEAD\r\n\r\n")
        one.write(big)

    assert run(steps).writes == [b"HEAD\r\n\r\n", big]
