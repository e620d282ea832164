"""MindSpore 2.10's refusal to join a Python number on one side of an `if` on a traced value with a Tensor on
the other, in its graphs (a GRAPH_MODE construct, a jit function): "Cannot join the return values of different
branches" (a TypeError), with the code of the branches. PyNative runs only the side taken, so there (a gradient
hook's `if dx > 1: dx = 1.0`) the number is selected at the Tensor's dtype instead (_branches._leaf)."""
from __future__ import annotations

import inspect
import os
import types

from . import dtype as _dt
from .ops._reduce_ms import graph_syntax

_HERE = os.path.dirname(os.path.abspath(__file__))

JOIN_FAILED = "Cannot join the return values of different branches, perhaps you need to make them equal."


class UnsupportedRaise(RuntimeError):
    """A graph's raise of an exception type MindSpore does not raise (gradserve/_graph_raise). Not decided by value
    afterwards either: refused on whichever side of an `if` on a Tensor it is compiled."""


class BranchJoinError(TypeError):
    """A number against a Tensor from the two sides of an `if` in a graph. Not decided by value afterwards: a
    graph compiles both sides whatever this call's values are."""

    located = False

    def locate(self, frame: types.FrameType | None) -> None:
        """Add the code of the user function whose `if` this is (frame: the `if`'s, or one inside gradserve
        below it: the nearest outside gradserve above it is taken)."""
        while frame is not None and (os.path.abspath(frame.f_code.co_filename).startswith(_HERE) or
                                     frame.f_code.co_name.startswith("_gs_fn")):  # (_rewrite's sides of an if)
            frame = frame.f_back
        if self.located or frame is None:
            return
        self.located = True
        try:
            lines, first = inspect.getsourcelines(frame.f_code)
        except (OSError, TypeError):
            return
        code = "".join(f"{first + i:>5}  {line}" for i, line in enumerate(lines))
        self.args = (f"{self.args[0]}\nThe `if` at {frame.f_code.co_filename}:{frame.f_lineno}, in:\n{code}",)


def innermost_user_frame(tb: types.TracebackType | None) -> types.FrameType | None:
    """The innermost frame of tb outside gradserve (where a fork's `if` is)."""
    frame = None
    while tb is not None:
        if not os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(_HERE):
            frame = tb.tb_frame
        tb = tb.tb_next
    return frame


def refuse_number_against_tensor(number, tensor) -> None:
    """Raise BranchJoinError where a graph joins a side's Python number with the other side's Tensor."""
    if graph_syntax() and not (isinstance(number, bool) and tensor.dtype == _dt.bool_):  # (_rewrite's jump flags)
        raise BranchJoinError(f"{JOIN_FAILED}\nType Join Failed: one branch gives the number {number!r} "
                              f"where the other gives a Tensor of {tensor.dtype}{list(tensor.shape)}.")


def _ms_dtype(v) -> str:
    """A join's dtype as MindSpore 2.10's message names it (a Python int is Int64, a float Float32)."""
    if isinstance(v, bool):
        return "Bool"
    if isinstance(v, int):
        return "Int64"
    if isinstance(v, float):
        return "Float32"
    return str(v.dtype)


def refuse_other_dtypes(true_value, false_value) -> None:
    """Raise BranchJoinError where a graph joins two sides' values (Tensors, or Python numbers) of other dtypes:
    MindSpore 2.10 promotes none of them (float32 against float64, int32 against int64, an int against a float),
    whatever this call's values; PyNative runs only the side taken. dtype1 is the true side's, as MindSpore's."""
    a, b = _ms_dtype(true_value), _ms_dtype(false_value)
    if graph_syntax() and a != b:
        raise BranchJoinError(f"{JOIN_FAILED}\nType Join Failed: dtype1 = {a}, dtype2 = {b}.")


_CONTAINERS = ("tuple", "list", "dict")


def _clashing_constants(a, b) -> bool:
    """Whether two output tree defs (_trace.flatten_out's) hold, at one place, constants of other types (a
    string against a list or a number) or containers of other kinds (a Tensor against a tuple). Other
    differences (a dict's keys, None against a Tensor where the rewritten loops carry one) are left to the
    caller: MindSpore 2.10's graphs run some of those as the side taken."""
    if a == b:
        return False
    if a == "*" or b == "*":  # a value (a Tensor, a number) against a string constant or a tuple / list / dict
        other = b if a == "*" else a  # (MindSpore 2.10: `return x` against `return x, y` is the join TypeError)
        return other[0] == "static" and isinstance(other[1], str) or other[0] in _CONTAINERS
    if a[0] == "static" and b[0] == "static":
        return type(a[1]) is not type(b[1])
    if a[0] != b[0] and a[0] in _CONTAINERS and b[0] in _CONTAINERS:
        return True  # a list against a tuple (a tuple of one length against another is not refused)
    if a[0] in ("static", "pynum") or a[:-1] != b[:-1] or len(a[-1]) != len(b[-1]):
        return False
    return any(_clashing_constants(x, y) for x, y in zip(a[-1], b[-1]))


def refuse_other_structures(true_def, false_def) -> None:
    """Raise BranchJoinError where a graph's two sides give constants of other types at one place of their
    outputs; two constants of one type that differ are left to the caller."""
    if graph_syntax() and _clashing_constants(true_def, false_def):
        raise BranchJoinError(f"{JOIN_FAILED}\nType Join Failed: the branches' outputs hold constants of other "
                              f"types: {true_def} and {false_def}.")
