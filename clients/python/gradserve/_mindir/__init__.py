"""MindSpore's MindIR files: `gradserve.load(file)` reads one MindSpore exported (`export(..., "MINDIR")`) and
`nn.GraphCell(graph)` runs it as a Cell (differentiable, in either mode, on the service) through the SDK's ops."""
from __future__ import annotations

from .reader import MindIRError, MindIRModel, read

__all__ = ["MindIRError", "MindIRModel", "read"]
