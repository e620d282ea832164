"""Python numbers divided by zero in a graph (GRAPH_MODE or a @jit function): MindSpore's ValueError.

MindSpore 2.10's graph evaluates `2 / 0`, `2 // 0`, `2.0 / 0.0` and `2 % 0` of Python numbers when compiling and
refuses them with a ValueError ("The divisor could not be zero. But the divisor is zero now." / "Cannot perform
modulo operation on zero."); Python raises ZeroDivisionError. Rewritten code (gradserve/_rewrite.py) turns the
one into the other: an exception of both classes, so that a user's `except ZeroDivisionError` still takes it."""
from __future__ import annotations

from ._trace import graph_semantics

__all__ = ["GraphZeroDivision", "in_graph"]


class GraphZeroDivision(ZeroDivisionError, ValueError):
    """A Python number divided by zero in a graph (see the module's doc)."""


def in_graph(e: ZeroDivisionError) -> ZeroDivisionError:
    """e as MindSpore's graph reports it (GraphZeroDivision with its text) in a graph; e itself elsewhere."""
    if isinstance(e, GraphZeroDivision) or not graph_semantics():
        return e
    if "modulo" in str(e) and "division" not in str(e):
        return GraphZeroDivision("Cannot perform modulo operation on zero.")
    return GraphZeroDivision("The divisor could not be zero. But the divisor is zero now.")
