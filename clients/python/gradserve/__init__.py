"""gradserve: gradients computed by a gradserve service, from a MindSpore-shaped front end.

    import gradserve as gs
    from gradserve import nn, ops, Tensor, Parameter, ParameterTuple
    from gradserve import dtype as mstype
    gs.set_context(server="http://127.0.0.1:8000", device_target="CPU")

and the raw API: `gradserve.Client` / `gradserve.AsyncClient`.
"""
from __future__ import annotations

from . import dtype, errors
from ._client import AsyncClient, Client, GraphRef, Result, RetryPolicy, graph_hash
from ._tensor import Parameter, ParameterTuple, Tensor
from ._version import __version__
from .context import COMPATIBLE, GRAPH_MODE, LAX, PYNATIVE_MODE, STRICT, get_context, reset_context, set_context
from .errors import (APIConnectionError, APIStatusError, APITimeoutError, AuthError, DeadlineExceeded,
                     DeviceUnavailable, DifferentiationError, GradserveError, GraphNotFound, InternalError,
                     InvalidGraph, InvalidRequest, LimitExceeded, Overloaded, PayloadTooLarge, ShapeError,
                     UnknownOp, WorkerDied)
from . import ops  # noqa: E402  (after Tensor)
from . import _branches  # noqa: E402,F401  (fills _late: `if` on a traced Tensor; after ops, which it uses)
from . import _rewrite  # noqa: E402,F401  (fills _late: `if` / `while` / `for` of construct rewritten; after _branches)
from . import nn  # noqa: E402
from . import context  # noqa: E402
from ._trace import trace_graph  # noqa: E402
from ._trace import no_grad as _no_grad  # noqa: E402  (mindspore._no_grad)
from .importers import from_jax, from_onnx, from_torch  # noqa: E402  (torch/jax/onnx load on call)
from ._jit import jit, jit_class, ms_function  # noqa: E402
from ._jit_config import JitConfig  # noqa: E402
from ._misc import Variable, mutable, set_seed  # noqa: E402
from .context import set_device  # noqa: E402
from .ops import get_grad, grad, jacfwd, jacrev, jvp, value_and_grad, vjp  # noqa: E402  (MindSpore 2.x spellings)
from . import common, graph  # noqa: E402
from .ops import vmap  # noqa: E402  (mindspore.vmap)
from .ops import is_tensor  # noqa: E402  (mindspore.is_tensor)
from .ops import function as _ops_function  # noqa: E402,F401  (ops.function an attribute, as MindSpore's: ops.function.array_func)

float16, float32, float64, int32, int64, bool_ = (dtype.float16, dtype.float32, dtype.float64, dtype.int32,
                                                  dtype.int64, dtype.bool_)
complex64, complex128 = dtype.complex64, dtype.complex128
int8, int16, uint8 = dtype.int8, dtype.int16, dtype.uint8  # images arrive as uint8: no gradient, as MindSpore
uint16, uint32, uint64 = dtype.uint16, dtype.uint32, dtype.uint64  # named only: Tensors refuse them (dtype.to_name)
bfloat16 = dtype.bfloat16  # named only, as uint16
int_, tuple_, list_, number, float_ = dtype.int_, dtype.tuple_, dtype.list_, dtype.number, dtype.float_  # (IsInstance)
dtype_to_nptype = dtype.dtype_to_nptype  # (MindSpore exports it at the top level too)
dtype_to_pytype, string, type_none = dtype.dtype_to_pytype, dtype.string, dtype.type_none


def __getattr__(name: str):
    """mindspore.bool: dtype.bool_ (not a module attribute: it would shadow the builtin here); mindspore.mint with
    no import of it first (MindSpore 2.10 has it as an attribute), loaded on first use; mindspore.experimental
    alike (`ms.experimental.optim.Adam` with no import of it)."""
    if name == "bool":
        return dtype.bool_
    if name == "tensor_type":  # (mindspore.tensor_type: TopTypeof's answer for a Tensor)
        return dtype.tensor_type
    if name in ("mint", "experimental"):
        import importlib  # (`from . import mint` here asks this __getattr__ again first: a recursion)
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["Client", "AsyncClient", "Result", "RetryPolicy", "GraphRef", "graph_hash", "Tensor", "Parameter",
           "ParameterTuple", "nn", "ops", "dtype", "context", "errors", "set_context", "get_context",
           "reset_context", "vmap", "GRAPH_MODE", "PYNATIVE_MODE", "STRICT", "COMPATIBLE", "LAX", "trace_graph", "__version__", "from_onnx", "from_torch",
           "from_jax",
           "GradserveError", "APIConnectionError", "APITimeoutError", "APIStatusError", "InvalidRequest",
           "InvalidGraph", "UnknownOp", "ShapeError", "DifferentiationError", "AuthError", "GraphNotFound",
           "PayloadTooLarge", "LimitExceeded", "Overloaded", "InternalError", "WorkerDied", "DeviceUnavailable",
           "DeadlineExceeded", "float16", "float32", "float64", "int32", "int64", "bool_", "complex64", "complex128", "int8", "int16", "uint8", "uint16", "uint32", "uint64", "bfloat16", "jit", "jit_class", "JitConfig",
           "ms_function",
           "mutable", "Variable", "set_seed", "set_device", "grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev",
           "get_grad", "common", "_no_grad"]

from ._checkpoint import load_checkpoint, load_param_into_net, save_checkpoint  # noqa: E402  (MindSpore's .ckpt)
from ._model import Model  # noqa: E402  (train / eval / predict on the SDK's training path)
from . import amp  # noqa: E402  (mindspore.amp)
from .amp import DynamicLossScaleManager, FixedLossScaleManager, LossScaleManager  # noqa: E402  (top level too)

from . import train  # noqa: E402  (mindspore.train)
# MindSpore's `from mindspore.train import *`: its callbacks and metrics at the top level too
from .train import (  # noqa: E402
    Accuracy, BleuScore, Callback, ConfusionMatrix, ConfusionMatrixMetric, CosineSimilarity, Dice,
    EarlyStopping, F1, Fbeta, HausdorffDistance, Loss, LossMonitor, MAE, MSE, MeanSurfaceDistance, Metric,
    OcclusionSensitivity, OnRequestExit, Perplexity, Precision, ROC, Recall, ReduceLROnPlateau,
    RootMeanSquareDistance, RunContext, SummaryCollector, SummaryRecord, Top1CategoricalAccuracy,
    Top5CategoricalAccuracy, TopKCategoricalAccuracy, auc, get_metric_fn, names, rearrange_inputs)
from . import device_context  # noqa: E402  (mindspore.device_context: backend settings, recorded)
from .train.serialization import export, load  # noqa: E402  (MindIR files, for nn.GraphCell)

__all__ += ["export", "load", "save_checkpoint", "load_checkpoint", "load_param_into_net", "Model", "train", "device_context", "amp",
            "DynamicLossScaleManager", "FixedLossScaleManager", "LossScaleManager"]
__all__ += ["Accuracy", "BleuScore", "Callback", "ConfusionMatrix", "ConfusionMatrixMetric", "CosineSimilarity",
            "Dice", "EarlyStopping", "F1", "Fbeta", "HausdorffDistance", "Loss", "LossMonitor", "MAE", "MSE",
            "MeanSurfaceDistance", "Metric", "OcclusionSensitivity", "OnRequestExit", "Perplexity", "Precision",
            "ROC", "Recall", "ReduceLROnPlateau", "RootMeanSquareDistance", "RunContext", "SummaryCollector",
            "SummaryRecord", "Top1CategoricalAccuracy", "Top5CategoricalAccuracy", "TopKCategoricalAccuracy", "auc",
            "get_metric_fn", "names", "rearrange_inputs"]

from . import numpy  # noqa: E402  (mindspore.numpy, after the ops it is built from)

from ._function import _Function  # noqa: E402  (mindspore._Function: a custom autograd function)

from ._tensor_function import tensor  # noqa: E402  (mindspore.tensor, MindSpore 2.x)
from ._cellbase import recompute  # noqa: E402  (mindspore.recompute)
from ._sparse import COOTensor, CSRTensor, RowTensor  # noqa: E402  (client-side structures of Tensors)

__all__ += ["recompute", "tensor", "COOTensor", "CSRTensor", "RowTensor", "dtype_to_nptype", "dtype_to_pytype", "string", "type_none"]
