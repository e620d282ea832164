"""`_no_grad()` (MindSpore's `mindspore._no_grad`): a context manager and decorator under which
the values computed carry no gradient (each traced op's outputs pass through stop_gradient), and
computing a gradient is an error."""
from __future__ import annotations

import contextlib
import threading

_tls = threading.local()


def active() -> bool:
    return getattr(_tls, "depth", 0) > 0


class _no_grad(contextlib.ContextDecorator):  # noqa: N801 - MindSpore's name
    def __enter__(self):
        _tls.depth = getattr(_tls, "depth", 0) + 1
        return self

    def __exit__(self, *exc):
        _tls.depth -= 1
        return False
