"""A slice bound that is not an integer (x[1.2:]): MindSpore 2.10 refuses it where NumPy-style code would
truncate it (gradserve did: x[1.2:] was x[1:]). In a GRAPH_MODE construct / @jit function its TypeError names the
user's line; eagerly its RuntimeError."""
from __future__ import annotations

import linecache
import os
import sys
import types

import numpy as np

from ._late import late
from ._misc import current_trace

_HERE = os.path.dirname(os.path.abspath(__file__))


def _user_line() -> str:
    """'# In file F:N' and the source line of the nearest caller outside gradserve ('' if none)."""
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and (os.path.abspath(frame.f_code.co_filename).startswith(_HERE) or
                                 frame.f_code.co_name.startswith("_gs_fn")):
        frame = frame.f_back
    if frame is None:
        return ""
    path, line = frame.f_code.co_filename, frame.f_lineno
    return f"\n\n# In file {path}:{line}\n{linecache.getline(path, line).rstrip()}\n"


def slice_bound(x):
    """start / stop / step of a slice as an int (None kept); anything but an integer, a bool or an integer
    Tensor is MindSpore's error."""
    if x is None:
        return None
    if isinstance(x, (int, np.integer)) or getattr(x, "_dtype", "").startswith(("int", "uint", "bool")):
        return int(x)
    if current_trace[0]() is not None and late.graph_semantics():  # (GRAPH_MODE's top level is eager)
        kind = "Float32" if isinstance(x, (float, np.floating)) else type(x).__name__
        raise TypeError(f"Slice indices must be integers or bool. But got a {kind} number.{_user_line()}")
    raise RuntimeError("Slice index type must be int, tensor or none.")
