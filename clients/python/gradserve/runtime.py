"""`mindspore.runtime` (the parts a program may call): launch_blocking. gradserve runs each op to its end
before the call returns (eager calls and compiled runs both wait on the service), so blocking is its
only mode."""
from __future__ import annotations

__all__ = ["launch_blocking"]


def launch_blocking() -> None:
    """MindSpore's switch to synchronous kernel launches: what gradserve always does."""
