"""Model importers: ONNX -> `gradserve.graph/1` (this package; the SDK carries a generated copy).

The torch.export and StableHLO importers live in the SDK (clients/python/gradserve/importers/):
only the ONNX path is needed by the server. Nothing here imports the engine, so the copy runs
without it; the engine re-checks every document it loads.
"""
from .graph_writer import GraphWriter, ModelLimitExceeded, UnsupportedModel
from .onnx_graph import onnx_to_graph, onnx_to_writer, parse_input_shape

__all__ = ["GraphWriter", "UnsupportedModel", "ModelLimitExceeded", "onnx_to_graph", "onnx_to_writer",
           "parse_input_shape"]
