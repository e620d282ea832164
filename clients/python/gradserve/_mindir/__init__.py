"""MindSpore's MindIR files: `gradserve.load(file)` reads one MindSpore exported (`export(..., "MINDIR")`) or
gradserve did, and `nn.GraphCell(graph)` runs it as a Cell (differentiable, in either mode, on the service)."""
from __future__ import annotations

from . import own_graphs
from .reader import MindIRError, MindIRModel, from_model, parse

__all__ = ["MindIRError", "MindIRModel", "read"]


def read(file_name, dec_key=None) -> MindIRModel:
    path, m = parse(file_name, dec_key)
    return own_graphs.model_of(path, m) if m.producer_name == own_graphs.PRODUCER else from_model(path, m)
