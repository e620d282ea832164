"""Readable text form of a graph: `format_graph` (defined in ir, beside the names it shares with JSON)."""
from .ir import format_graph

__all__ = ["format_graph"]
