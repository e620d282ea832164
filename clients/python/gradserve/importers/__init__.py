"""Bring your model: `from_onnx`, `from_torch` (torch.export), `from_jax` (jax.export / StableHLO).

Each returns an `nn.Cell` (`ImportedCell`) whose `trainable_params()` are the model's weights and
whose call takes the model's inputs in order. onnx, torch and jax are optional extras
(`pip install gradserve-client[onnx|torch|jax]`), imported only when their importer is called.
An op the importer cannot map exactly raises `UnsupportedModel` naming the op, node and version.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..nn._imported_cell import ImportedCell
from ._shared.graph_writer import UnsupportedModel


def _need(module: str, extra: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"this importer needs the {module!r} package: pip install 'gradserve-client[{extra}]'") \
            from None


def from_onnx(model, input_shapes: dict | None = None, *, scalar_weights=(),
              loop_max_trips: int | None = None, outputs: Sequence[str] | None = None) -> ImportedCell:
    """An ONNX model (path, bytes or onnx.ModelProto) as a Cell; `input_shapes` fixes dynamic dims.

    A Loop whose trip count is computed (a graph input, say) runs as many trips as it says, at most
    `loop_max_trips` (more at run time is an error); without it such a Loop is refused.

    Float initializers of rank >= 1 are trainable weights; a 0-d one is a constant unless named in
    `scalar_weights` (a scalar nn.Parameter such as CLIP's `logit_scale`: ONNX does not tell it from an
    exporter's scalar constants).

    Weights that torch.onnx's dynamo exporter computed from parameters at export time (its constant folding)
    are listed in the Cell's `folded_weights` and warned about (`FoldedWeightsWarning`): their gradients are
    not the parameters'.

    `outputs` names the graph outputs the Cell returns, in that order (default: all); nodes only the others need
    are not imported (a scikit-learn classifier's ZipMap output, a sequence of maps, say)."""
    _need("onnx", "onnx")
    import warnings

    from ..nn._imported_cell import cell_from_writer
    from ._shared.onnx_graph import folded_warning, onnx_to_writer

    limits = {"loop_max_trips": int(loop_max_trips)} if loop_max_trips is not None else None
    w, names = onnx_to_writer(model, input_shapes=input_shapes, scalar_weights=scalar_weights, limits=limits,
                              outputs=None if outputs is None else [outputs] if isinstance(outputs, str) else
                              [str(o) for o in outputs])
    cell = cell_from_writer(w, names, "onnx_model")
    object.__setattr__(cell, "folded_weights", tuple(w.folded))
    if w.folded:
        warnings.warn(folded_warning(w.folded), FoldedWeightsWarning, stacklevel=2)
    return cell


class FoldedWeightsWarning(UserWarning):
    """An imported ONNX model's weights include values its exporter computed from the model's parameters."""


def from_torch(module, example_args, *, decompose: bool = True) -> ImportedCell:
    """A torch.nn.Module exported with torch.export at `example_args` (Core ATen after decompositions); or a
    torch.export.ExportedProgram (dynamic shapes too), imported at the shapes of `example_args`."""
    _need("torch", "torch")
    from .torch_import import torch_to_cell

    return torch_to_cell(module, tuple(example_args) if isinstance(example_args, (tuple, list)) else (example_args,),
                         decompose=decompose)


def from_jax(fn, *example_args, params=None, while_max_trips: int | None = None) -> ImportedCell:
    """A JAX function exported with jax.export at `example_args` and read from its StableHLO.

    With `params` (a pytree of arrays), `fn(params, *args)` is exported and the leaves of `params`
    become the Cell's trainable parameters; the Cell takes `args`. lax.cond / switch, and
    fori_loop / scan with static bounds, import as they are; a lax.while_loop needs
    `while_max_trips` (its bound: more trips at run time is an error), else it is refused.
    """
    _need("jax", "jax")
    from .jax_import import jax_to_cell

    return jax_to_cell(fn, example_args, params, while_max_trips)


__all__ = ["from_onnx", "from_torch", "from_jax", "ImportedCell", "UnsupportedModel", "FoldedWeightsWarning"]
