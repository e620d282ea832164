"""`mindspore.device_context.cpu.op_tuning`."""
from __future__ import annotations

from .._settings import record


def threads_num(num: int) -> None:
    """MindSpore's CPU kernel thread count: an int, set once per process (a second call is a RuntimeError).
    The service sizes its own pools; the value is recorded only."""
    record("threads_num", num, int, "num", once=True)
