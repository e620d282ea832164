"""gRPC answers handed to grpc but not yet sent, per client (reliab8).

A unary gRPC answer is handed to grpc's transport whole and waits there for the peer's flow-control credit: a peer
that never reads kept every answer of its calls (20 Evals of 16 MiB on one connection: +1,137 MiB) until
grpc_max_connection_age_s closed the connection. grpc.aio finishes a unary call (its done callbacks run) only once
the batch that sends the answer and the status has completed, that is once the answer is written or the call is
gone (reset, connection closed): so the bytes between the hand-over and that callback are what the client has not
taken yet.

`UnsentAnswers` counts them per client (jobs.client_of: the API key, else the peer host; jobs' answers and
GetGraph's, a graph's JSON for a request of a few bytes): past
`grpc_unsent_answer_bytes`, the client's next jobs are refused before they run, and an answer that would take the
client past it is dropped (RESOURCE_EXHAUSTED `overloaded` naming the setting, retry after): what one client's
unread answers hold stays within the setting, or one answer when nothing else is held. Answers below `COUNTED`
leave within HTTP/2's initial window and are not counted (the small-job path keeps no callback).
"""
from __future__ import annotations

from .errors import Overloaded

COUNTED = 64 << 10  # HTTP/2's default initial window (65,535 bytes): an answer within it needs no credit


class UnsentAnswers:
    """Per client: the counted answer bytes handed over (to grpc; to HTTP's streamed answers, `setting`
    http_unsent_answer_bytes) and not yet taken."""

    __slots__ = ("limit", "retry_after", "held", "setting", "protocol")

    def __init__(self, limit: int, retry_after: int = 1, setting: str = "grpc_unsent_answer_bytes",
                 protocol: str = "gRPC"):
        self.limit, self.retry_after, self.setting, self.protocol = limit, retry_after, setting, protocol
        self.held: dict[str, int] = {}

    def _refuse(self, client: str, more: int) -> Overloaded:
        held = self.held.get(client, 0)
        what = "this job's answer" if more else "new jobs"
        return Overloaded(f"this client's {self.protocol} answers not yet read hold {held} bytes, past {self.setting}="
                          f"{self.limit}: {what} refused until the client reads them; retry after "
                          f"{self.retry_after}s", retry_after=self.retry_after, limit=self.setting,
                          unsent_bytes=held, answer_bytes=more or None)

    def check(self, client: str) -> None:
        """Before a job runs: Overloaded when the client's unsent answers are past the limit already."""
        if self.held and self.held.get(client, 0) >= self.limit > 0:
            raise self._refuse(client, 0)

    def hold(self, context, client: str, nbytes: int) -> None:
        """Before a counted answer is handed over: count it until its call finishes (context.add_done_callback),
        or Overloaded when it would take the client past the limit while others are still unsent."""
        release = self.take(client, nbytes)
        if release is not None:
            context.add_done_callback(lambda _ctx: release())

    def take(self, client: str, nbytes: int):
        """Count `nbytes` of an answer about to be handed over: the function that gives them back once it is
        taken or dropped (None: not counted), or Overloaded when it would take the client past the limit while
        others are still unsent."""
        if nbytes < COUNTED or self.limit <= 0:
            return None
        held = self.held.get(client, 0)
        if held and held + nbytes > self.limit:
            raise self._refuse(client, nbytes)
        self.held[client] = held + nbytes
        return lambda: self._release(client, nbytes)

    def _release(self, client: str, nbytes: int) -> None:
        left = self.held.get(client, 0) - nbytes
        if left > 0:
            self.held[client] = left
        else:
            self.held.pop(client, None)
