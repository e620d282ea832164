"""enumerate() in a graph (GRAPH_MODE or a @jit function): MindSpore 2.10's refusals, before Python's.

Its graph enumerate takes a sequence, a Tensor, a str or a dict, but refuses a number with its own text ("For
'enumerate', the 'first input' should be tuple or list or tensor, but got <class 'int'>.", TypeError), and takes
only a constant int as start ("For 'enumerate', the 'start' should be a const int number, but got 1.2."; a Tensor
or a bool is refused too, a NumPy integer taken). Probed in its venv (/work/ms_suite69/probe/p8.py)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._tensor import Tensor

__all__ = ["checked"]


def checked(f: Callable) -> Callable:
    """f (enumerate, or its trace wrapper) with MindSpore's graph checks of its arguments first."""
    def run(iterable: Any, *args: Any, **kwargs: Any):
        if isinstance(iterable, (int, float, np.number)) and not isinstance(iterable, Tensor):
            raise TypeError("For 'enumerate', the 'first input' should be tuple or list or tensor, but got "
                            f"{type(iterable)}.")
        if args or "start" in kwargs:
            start = args[0] if args else kwargs["start"]
            if isinstance(start, (bool, np.bool_, Tensor)) or not isinstance(start, (int, np.integer)):
                shown = repr(start) if isinstance(start, Tensor) else start
                raise TypeError(f"For 'enumerate', the 'start' should be a const int number, but got {shown}.")
            args, kwargs = (), {"start": int(start)}
        return f(iterable, *args, **kwargs)
    return run
