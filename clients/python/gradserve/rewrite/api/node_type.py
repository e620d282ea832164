"""`mindspore.rewrite.api.node_type`: NodeType (see .._values)."""
from __future__ import annotations

from .._values import NodeType

__all__ = ["NodeType"]
