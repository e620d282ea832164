"""`nn`: `Cell` (defined in _cellbase) and a few cells: `Jvp`, `Vjp`, `Dense`, `SequentialCell`, activations.

Calling a cell with no trace active traces `construct` into a graph (once per input
signature in GRAPH_MODE) and evaluates it on the service; inside a trace (a cell used by
another cell, or differentiated) `construct` is inlined.
"""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from .. import ops as _ops
from .._tensor import Parameter, ParameterTuple, Tensor
from .. import context as _context
from .._cellbase import Cell, names_prefix, switch_layer
from ..common.initializer import initializer
from .._trace import emit_grad, emit_jvp, flatten, unflatten
from ..errors import ShapeError
from ..ops._axis_range import checked_axis
from ..ops._autodiff import check_cotangent_kind, check_cotangents_for_one_tensor
from ..ops._running_stats import update_running
from ..ops import _ms_more as _ops_ms_more


class CellList(Cell, list):
    """nn.CellList(cells): the cells in order; their Parameters are the network's ('<index>.<name>')."""

    def __init__(self, cells=()):
        Cell.__init__(self)
        list.__init__(self)
        self.extend(cells)

    def _renamed(self, start: int, stop: int, prefix: str) -> None:
        for i in range(start, stop):
            self[i].update_parameters_name(f"{prefix}{i}.")

    def append(self, cell) -> None:
        prefix = names_prefix(self)
        list.append(self, _a_cell(cell, "CellList"))
        self._renamed(len(self) - 1, len(self), prefix)

    def extend(self, cells) -> None:
        """MindSpore's refusals (TypeError): a CellDict as `cells` or among them (append / insert take one)."""
        from ._layers_ms import CellDict
        if isinstance(cells, CellDict):
            raise TypeError("For 'CellList', the new cells wanted to append should be instance of list, but got "
                            "CellDict.")
        cells = list(cells)
        for c in cells:
            if isinstance(c, CellDict):
                raise TypeError("For 'CellList', the type of cell can not be CellDict, but got CellDict.")
        for c in cells:
            self.append(c)

    def insert(self, index, cell) -> None:
        """The cells from `index` on shift, and are renamed by their new index (MindSpore's)."""
        prefix, n = names_prefix(self), len(self)
        list.insert(self, index, _a_cell(cell, "CellList"))
        start = min(index, n) if index >= 0 else max(n + index, 0)  # where list.insert put it
        self._renamed(start, len(self), prefix)

    def __setitem__(self, index, cell):
        prefix = names_prefix(self)
        list.__setitem__(self, index, [_a_cell(c, "CellList") for c in cell] if isinstance(index, slice)
                         else _a_cell(cell, "CellList"))
        if isinstance(index, int):
            self._renamed(index % len(self), index % len(self) + 1, prefix)

    def __getitem__(self, index):  # type: ignore[override]  # a Cell or a switched cell for a Tensor index
        """A Tensor index: GRAPH_MODE's switch_layer (as a tuple of Cells), PyNative's TypeError (MindSpore 2.10's,
        /work/scratch_left35/p4.py)."""
        if isinstance(index, Tensor):
            if _context.get_context("mode") == _context.GRAPH_MODE:
                return switch_layer(tuple(self), index)
            raise TypeError("For 'CellList', the type of 'index' must be int or slice, but got Tensor.")
        return list.__getitem__(self, index)

    def construct(self, *inputs):
        raise TypeError("CellList is not callable")


class SequentialCell(Cell):
    """nn.SequentialCell(*cells | [cells] | OrderedDict(name -> cell)): the cells applied in order; a container
    (len, index, slice, item assignment / deletion, append) with MindSpore 2.10's names and error texts."""

    _gs_order: list[str]  # the cells' attribute names, in order

    def __init__(self, *cells):
        super().__init__()
        if len(cells) == 1 and isinstance(cells[0], dict):  # an OrderedDict: its keys name the cells
            items = list(cells[0].items())
        else:
            if len(cells) == 1 and isinstance(cells[0], (list, tuple)):
                cells = tuple(cells[0])
            items = [(str(i), c) for i, c in enumerate(cells)]
        object.__setattr__(self, "_gs_order", [])
        for k, c in items:
            self._gs_put(k, _a_cell(c))

    def _gs_put(self, key: str, cell) -> None:
        if key not in self._gs_order:
            self._gs_order.append(key)
        setattr(self, key, cell)

    def _gs_at(self, index) -> int:
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError(f"For 'SequentialCell', the type of 'index' must be int, but got {type(index).__name__}.")
        n = len(self._gs_order)
        if not -n <= index < n:
            raise IndexError(f"For 'SequentialCell', the value of 'index' must be a number in range [{-n}, {n}), "
                             f"but got {index}.")
        return index % n

    def __len__(self) -> int:
        return len(self._gs_order)

    def __iter__(self):
        return iter([getattr(self, k) for k in self._gs_order])

    def __getitem__(self, index):
        if isinstance(index, slice):
            return SequentialCell(OrderedDict((k, getattr(self, k)) for k in self._gs_order[index]))
        return getattr(self, self._gs_order[self._gs_at(index)])

    def __setitem__(self, index, cell) -> None:
        key, prefix = self._gs_order[self._gs_at(index)], names_prefix(self)
        setattr(self, key, _a_cell(cell))
        cell.update_parameters_name(f"{prefix}{key}.")

    def __delitem__(self, index) -> None:
        keys = self._gs_order[index] if isinstance(index, slice) else [self._gs_order[self._gs_at(index)]]
        kept = [(k, getattr(self, k)) for k in self._gs_order if k not in keys]
        for k in self._gs_order:
            object.__delattr__(self, k)
        self._gs_order.clear()
        for i, (k, c) in enumerate(kept):  # numbered names follow their position (MindSpore's)
            object.__setattr__(self, k if not k.isdigit() else str(i), c)
            self._gs_order.append(k if not k.isdigit() else str(i))

    def append(self, cell) -> "SequentialCell":
        prefix = names_prefix(self)
        key = str(len(self._gs_order))
        self._gs_put(key, _a_cell(cell))
        getattr(self, key).update_parameters_name(f"{prefix}{key}.")
        return self

    def construct(self, x):
        for k in self._gs_order:
            x = getattr(self, k)(x)
        return x


def _a_cell(c, container: str = "SequentialCell"):
    if not isinstance(c, Cell):
        raise TypeError(f"For '{container}', each cell must be subclass of Cell, but got {type(c).__name__}.")
    return c


# -- activations ----------------------------------------------------------------------------------
def _activation(name, fn):
    cls = type(name, (Cell,), {"construct": lambda self, x: fn(x), "__module__": __name__})
    return cls


Tanh = _activation("Tanh", lambda x: _ops.tanh(x))
Sigmoid = _activation("Sigmoid", lambda x: _ops.sigmoid(x))


class ReLU(Cell):
    """nn.ReLU(): max(input, 0). Its construct reads as MindSpore 2.10's (`return self.relu(input)`): the source
    a switch_layer join error quotes for each Cell (MindSpore's test_switch_layer_join_failed looks for it)."""

    def relu(self, input):  # noqa: A002 - MindSpore's name
        return _ops.relu(input)

    def construct(self, input):
        return self.relu(input)


Softplus = _activation("Softplus", lambda x: _ops.softplus(x))
# MindSpore 2.10's, derivatives at the kinks as ops.hardswish / hardsigmoid / selu give them
HSwish = _activation("HSwish", lambda x: _ops.hardswish(x))
HSigmoid = _activation("HSigmoid", lambda x: _ops.hardsigmoid(x))
SiLU = _activation("SiLU", lambda x: _ops.silu(x))
Mish = _activation("Mish", lambda x: _ops.mish(x))
SeLU = _activation("SeLU", lambda x: _ops.selu(x))
LogSigmoid = _activation("LogSigmoid", lambda x: _ops.logsigmoid(x))
Tanhshrink = _activation("Tanhshrink", lambda x: _ops.tanhshrink(x))


def _init_value(init, shape, dt) -> Tensor:
    """An initial value: an array / Tensor as given, or an initializer name, number or object."""
    if isinstance(init, np.ndarray):
        return Tensor(init.astype(dt))
    return initializer(init, shape, dt)


def _positive_int(cls: str, name: str, n) -> None:
    """MindSpore's check_positive_int: a float is a TypeError, a bool or a number <= 0 its ValueError / TypeError."""
    if not isinstance(n, int):
        raise TypeError(f"For '{cls}', the '{name}' must be int, but got '{type(n).__name__}'")
    if isinstance(n, bool) or n <= 0:
        raise (TypeError if isinstance(n, bool) else ValueError)(
            f"For '{cls}', the '{name}' must be int and must > 0, but got '{n}' with type '{type(n).__name__}'.")


class Dense(Cell):
    """y = activation(x @ W^T + b), W of shape [out, in] (MindSpore's layout).

    `weight_init` / `bias_init`: arrays, Tensors, or None for a seeded uniform(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_channels: int, out_channels: int, weight_init=None, bias_init=None, has_bias: bool = True,
                 activation=None, dtype=None, seed: int = 0):
        super().__init__()
        for name, n in (("in_channels", in_channels), ("out_channels", out_channels)):
            _positive_int("Dense", name, n)
        dt = np.dtype(getattr(dtype, "name", dtype) or "float32")
        rng = np.random.default_rng(seed)
        bound = 1.0 / math.sqrt(in_channels)
        w = rng.uniform(-bound, bound, (out_channels, in_channels)) if weight_init is None else weight_init
        self.weight = Parameter(_init_value(w, (out_channels, in_channels), dt))
        self.has_bias = has_bias
        if has_bias:
            b = rng.uniform(-bound, bound, (out_channels,)) if bias_init is None else bias_init
            self.bias = Parameter(_init_value(b, (out_channels,), dt))
        if isinstance(activation, str):
            activation = get_activation(activation)  # noqa: F405  (nn/_doc_cells.py, imported below)
        self.activation = activation

    def construct(self, x):
        if x.ndim == 1:  # MindSpore's Dense takes (*, in) with * empty as well: (in,) -> (out,)
            return self.construct(x.reshape((1, -1))).reshape((-1,))
        y = _ops.matmul(x, self.weight, transpose_b=True)
        if self.has_bias:
            y = y + self.bias
        if self.activation is not None:
            y = self.activation(y)
        return y


class Flatten(Cell):
    """nn.Flatten(start_dim=1, end_dim=-1)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def construct(self, x):
        for d in (self.start_dim, self.end_dim):  # MindSpore 2.10's nn.Flatten: no defaults' pass for rank 0 / 1
            checked_axis(d, max(x.ndim, 1), ValueError, "'start_dim' or 'end_dim' out of range.")
        return _ops.flatten(x, start_dim=self.start_dim, end_dim=self.end_dim)


class LeakyReLU(Cell):
    def __init__(self, alpha=0.2):
        super().__init__()
        self.alpha = alpha

    def construct(self, x):
        return _ops.leaky_relu(x, self.alpha)


class GELU(Cell):
    """nn.GELU(approximate=True): the tanh approximation by default, erf's exact form with False."""

    def __init__(self, approximate: bool = True):
        super().__init__()
        self.approximate = "tanh" if approximate else "none"

    def construct(self, x):
        return _ops.gelu(x, self.approximate)


class CELU(Cell):
    """nn.CELU(alpha=1.0): ops.celu."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = float(alpha)

    def construct(self, x):
        return _ops.celu(x, self.alpha)


class Hardtanh(Cell):
    """nn.Hardtanh(min_val=-1.0, max_val=1.0): ops.hardtanh (the input's dtype kept)."""

    def __init__(self, min_val=-1.0, max_val=1.0):
        super().__init__()
        self.min_val, self.max_val = min_val, max_val

    def construct(self, x):
        return _ops.hardtanh(x, self.min_val, self.max_val)


class ELU(Cell):
    """nn.ELU(alpha=1.0): ops.elu (alpha 1.0 only, as MindSpore 2.10)."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = _ops_ms_more.elu_alpha(alpha)

    def construct(self, x):
        return _ops.elu(x, self.alpha)


class LayerNorm(Cell):
    """nn.LayerNorm(normalized_shape, begin_norm_axis=-1, begin_params_axis=-1, gamma_init='ones',
    beta_init='zeros', epsilon=1e-7): (x - mean) / sqrt(var + eps) * gamma + beta over the axes from
    begin_norm_axis (biased variance)."""

    def __init__(self, normalized_shape, begin_norm_axis=-1, begin_params_axis=-1, gamma_init="ones",
                 beta_init="zeros", epsilon=1e-7, dtype=None):
        super().__init__()
        shape = tuple(normalized_shape)
        dt = getattr(dtype, "name", dtype) or "float32"
        self.begin_norm_axis, self.epsilon = begin_norm_axis, epsilon
        self.gamma = Parameter(_init_value(gamma_init, shape, dt), name="gamma")
        self.beta = Parameter(_init_value(beta_init, shape, dt), name="beta")

    def construct(self, x):
        axes = tuple(range(self.begin_norm_axis % x.ndim, x.ndim))
        mean = _ops.mean(x, axes, True)
        centred = x - mean
        var = _ops.mean(centred * centred, axes, True)
        return centred * _ops.rsqrt(var + self.epsilon) * self.gamma + self.beta


class _BatchNorm(Cell):
    """Batch normalisation over the channel axis 1. Training (set_train(), or use_batch_statistics=True)
    normalises by the batch's statistics (biased variance) and updates the moving ones after the call,
    moving = momentum * moving + (1 - momentum) * batch (unbiased variance), as MindSpore's;
    otherwise it normalises by the moving ones (MindSpore's default for a Cell not set to train)."""

    _ndim: tuple = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.9, affine=True, gamma_init="ones", beta_init="zeros",
                 moving_mean_init="zeros", moving_var_init="ones", use_batch_statistics=None, data_format="NCHW",
                 dtype=None):
        super().__init__()
        dt = getattr(dtype, "name", dtype) or "float32"
        shape = (int(num_features),)
        self.eps, self.momentum, self.use_batch_statistics = eps, momentum, use_batch_statistics
        if not 0 <= momentum <= 1:
            raise ValueError(f"For '{type(self).__name__}', the 'momentum' must be a number in range [0, 1], "
                             f"but got {momentum}.")
        # MindSpore's order: the moving statistics first
        self.moving_mean = Parameter(_init_value(moving_mean_init, shape, dt), name="mean", requires_grad=False)
        self.moving_variance = Parameter(_init_value(moving_var_init, shape, dt), name="variance",
                                         requires_grad=False)
        self.gamma = Parameter(_init_value(gamma_init, shape, dt), name="gamma", requires_grad=affine)
        self.beta = Parameter(_init_value(beta_init, shape, dt), name="beta", requires_grad=affine)

    def construct(self, x):
        if self._ndim and x.ndim not in self._ndim:
            raise ValueError(f"{type(self).__name__}: input of rank {x.ndim}, expected {self._ndim}")
        axes = (0,) + tuple(range(2, x.ndim))
        bshape = (1, -1) + (1,) * (x.ndim - 2)
        batch = self.use_batch_statistics if self.use_batch_statistics is not None else self.training
        if batch:
            mean = _ops.mean(x, axes, True)
            var = _ops.mean((x - mean) * (x - mean), axes, True)
            update_running(x, self.moving_mean, self.moving_variance, 1.0 - self.momentum)
        else:
            mean = _ops.reshape(self.moving_mean, bshape)
            var = _ops.reshape(self.moving_variance, bshape)
        y = (x - mean) * _ops.rsqrt(var + self.eps)
        return y * _ops.reshape(self.gamma, bshape) + _ops.reshape(self.beta, bshape)


class BatchNorm1d(_BatchNorm):
    _ndim = (2, 3)


class BatchNorm2d(_BatchNorm):
    _ndim = (4,)


class BatchNorm3d(_BatchNorm):
    """nn.BatchNorm3d: over [N, C, D, H, W] (MindSpore 2.10 takes no data_format for it)."""

    _ndim = (5,)

    def __init__(self, num_features, eps=1e-5, momentum=0.9, affine=True, gamma_init="ones", beta_init="zeros",
                 moving_mean_init="zeros", moving_var_init="ones", use_batch_statistics=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, gamma_init, beta_init, moving_mean_init,
                         moving_var_init, use_batch_statistics, dtype=dtype)


# -- derivative cells -----------------------------------------------------------------------------
class Jvp(Cell):
    """`nn.Jvp(net)(*inputs, v)` -> (net(*inputs), J v); v is one Tensor for a single input, else a tuple with
    one tangent per input (MindSpore 2.10: any other form is a TypeError, v being the sensitivity of a gradient
    of that structure)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def construct(self, *args):
        inputs, v = args[:-1], args[-1]
        if len(inputs) == 1 and isinstance(v, (tuple, list)):
            raise TypeError(f"For 'Jvp', 'v' must be a Tensor for a single input, got a {type(v).__name__} of "
                            f"{len(v)}")
        if len(inputs) > 1 and (not isinstance(v, (tuple, list)) or len(v) != len(inputs)):
            raise TypeError(f"For 'Jvp', 'v' must be a tuple of {len(inputs)} Tensors, one per input, got "
                            f"{type(v).__name__}" + (f" of {len(v)}" if isinstance(v, (tuple, list)) else ""))
        vs = tuple(v) if isinstance(v, (tuple, list)) else (v,)
        vals, tans, info = emit_jvp(self.fn, inputs, vs, label=type(self.fn).__name__)
        return unflatten(info.out_tdef, vals), unflatten(info.out_tdef, tans)


def _joined_cotangents(v, out_avals):
    """More cotangents than a tuple output has (MindSpore 2.10, checked): where the outputs and every cotangent are
    Tensors of one shape and dtype, its tuples join and the extra cotangents are ignored (the first ones are used);
    otherwise its TypeError. None where v is not such a longer tuple."""
    if out_avals is None or not isinstance(v, (tuple, list)) or len(v) <= len(out_avals):
        return None
    kinds = {(tuple(t.shape), t._dtype) if isinstance(t, Tensor) else None for t in v}
    kinds |= {(tuple(s), str(d)) for s, d in out_avals}
    if len(kinds) != 1 or None in kinds:
        raise TypeError("Type Join Failed: Abstract type AbstractTuple cannot join with AbstractTuple.")
    return tuple(v[:len(out_avals)])


class Vjp(Cell):
    """`nn.Vjp(net)(*inputs, v)` -> (net(*inputs), v^T J): a tuple over the inputs, the Tensor for one input."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def construct(self, *args):
        inputs, v = args[:-1], args[-1]
        try:
            outs, info = emit_grad(self.fn, inputs, positions=list(range(len(inputs))), sens=flatten(v)[0],
                                   with_value=True, label=type(self.fn).__name__)
        except ShapeError as e:  # (v, v) for one output Tensor: the join failure, as a 1-tuple's below
            check_cotangents_for_one_tensor(e.detail.get("one_tensor_output", False), v)
            v = _joined_cotangents(v, e.detail.get("out_avals"))
            if v is None:
                raise
            outs, info = emit_grad(self.fn, inputs, positions=list(range(len(inputs))), sens=list(v),
                                   with_value=True, label=type(self.fn).__name__)
        k = len(info.flat_out_avals)
        grads, value = tuple(outs[k:]), unflatten(info.out_tdef, outs[:k])
        check_cotangent_kind(value, v)
        return value, (grads[0] if len(inputs) == 1 else grads)  # one input: the Tensor


__all__ = ["Cell", "CellList", "SequentialCell", "Dense", "Tanh", "Sigmoid", "ReLU", "Softplus", "GELU", "LayerNorm", "Flatten", "LeakyReLU",
           "HSwish", "HSigmoid", "SiLU", "Mish", "SeLU", "LogSigmoid", "CELU", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Jvp", "Vjp"]
__all__ += ["ELU"]

# loops: optimizers, losses and training cells (their own module)
from .._training import (SGD, Adam, AdamOffload, CrossEntropyLoss, L1Loss, LossBase, Momentum, MSELoss, Optimizer,  # noqa: E402
                        TrainOneStepCell, WithLossCell)

__all__ += ["Optimizer", "SGD", "Momentum", "Adam", "AdamOffload", "LossBase", "MSELoss", "L1Loss", "CrossEntropyLoss",
            "WithLossCell", "TrainOneStepCell"]
from ._loss_scale import DynamicLossScaleUpdateCell, FixedLossScaleUpdateCell, TrainOneStepWithLossScaleCell  # noqa: E402

__all__ += ["TrainOneStepWithLossScaleCell", "DynamicLossScaleUpdateCell", "FixedLossScaleUpdateCell"]
from .optim._more import ASGD, AdaMax, AdamWeightDecay, Rprop  # noqa: E402

__all__ += ["ASGD", "AdaMax", "Rprop", "AdamWeightDecay"]

from ._conv import AvgPool2d, Conv1d, Conv1dTranspose, Conv2d, Conv2dTranspose, MaxPool2d  # noqa: E402

__all__ += ["Conv1d", "Conv2d", "Conv1dTranspose", "Conv2dTranspose", "MaxPool2d", "AvgPool2d"]

from ._layers_ms import CellDict, Dropout, Embedding, SoftmaxCrossEntropyWithLogits  # noqa: E402

__all__ += ["Embedding", "Dropout", "SoftmaxCrossEntropyWithLogits", "CellDict"]

from ._rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # noqa: E402

__all__ += ["LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell"]

from ._metrics import MAE, MSE, Accuracy, Loss, Metric  # noqa: E402

__all__ += ["Metric", "Accuracy", "Loss", "MAE", "MSE"]

from ._math import MatMul, Moments, Range, SparseTensorDenseMatmul  # noqa: E402
from ._focal_loss import FocalLoss  # noqa: E402

__all__ += ["MatMul", "Moments", "Range", "SparseTensorDenseMatmul", "FocalLoss"]

from ._conv3d import Conv3d, Conv3dTranspose  # noqa: E402
from ._pooling import AvgPool1d, AvgPool3d, LPPool1d, LPPool2d, MaxPool1d, MaxPool3d  # noqa: E402
from ._pad import Pad  # noqa: E402
from ._padding_layers import *  # noqa: E402,F401,F403  ConstantPad1d..3d, ZeroPad2d, ReflectionPad*, ReplicationPad*
from ._padding_layers import __all__ as _padding_all  # noqa: E402
from ._losses_ms import HingeEmbeddingLoss, KLDivLoss, MarginRankingLoss, MultiLabelSoftMarginLoss, SmoothL1Loss  # noqa: E402
from ._losses_ms import GaussianNLLLoss, NLLLoss  # noqa: E402
from ._activations_ms import FastGelu, HShrink, LogSoftmax, OneHot, PReLU, RReLU, Softmax  # noqa: E402
from ._simple_cells import *  # noqa: E402,F401,F403  Identity, ReLU6, Softmin ..., BCELoss, HuberLoss, RMSELoss ...
from ._simple_cells import __all__ as _simple_all  # noqa: E402
from ._group_norm import GroupNorm  # noqa: E402
from ._instance_norm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d  # noqa: E402
from ._dropout_layers import Dropout1d, Dropout2d, Dropout3d  # noqa: E402
from ._bidense import BiDense  # noqa: E402
from ._grad_cell import ForwardValueAndGrad, WithGradCell  # noqa: E402

__all__ += ["Conv3d", "Conv3dTranspose", "MaxPool3d", "AvgPool3d", "MaxPool1d", "AvgPool1d", "Pad", "SmoothL1Loss", "LogSoftmax", "Softmax", "FastGelu", "WithGradCell",
            "ForwardValueAndGrad"]
__all__ += ["PReLU", "RReLU", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "MarginRankingLoss", "KLDivLoss", "HShrink", "OneHot"]
__all__ += [*_padding_all, "GaussianNLLLoss", "NLLLoss", *_simple_all]
__all__ += ["HingeEmbeddingLoss", "Dropout1d", "Dropout2d", "Dropout3d", "LPPool1d", "LPPool2d", "BiDense", "MultiLabelSoftMarginLoss", "Tanhshrink",
            "Hardtanh"]

from ._upsample import Upsample  # noqa: E402
from ._doc_cells import *  # noqa: E402,F401,F403  AdaptiveAvgPool2d, SSIM, PSNR, LRN ..., get_activation
from ._doc_cells import __all__ as _doc_cells_all  # noqa: E402

__all__ += ["Upsample", *_doc_cells_all]
from ._param_update import ParameterUpdate  # noqa: E402
from ._msssim import MSSSIM  # noqa: E402
__all__ += ["ParameterUpdate", "MSSSIM"]

from . import cell, grad, layer, loss, optim, wrap  # noqa: E402,F401  (MindSpore's submodules, after the cells)
from . import dynamic_lr, learning_rate_schedule  # noqa: E402  (MindSpore's learning-rate modules)
from .dynamic_lr import *  # noqa: E402,F401,F403  (nn.piecewise_constant_lr ..., as MindSpore exports them)
from .learning_rate_schedule import *  # noqa: E402,F401,F403  (nn.ExponentialDecayLR ...)

__all__ += [*dynamic_lr.__all__, *learning_rate_schedule.__all__]

# h-msfid8's topic modules
from ._time_distributed import TimeDistributed  # noqa: E402

__all__ += ["TimeDistributed"]

from ._multihead_attention import MultiheadAttention  # noqa: E402

__all__ += ["MultiheadAttention"]

from ._transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,  # noqa: E402
                           TransformerEncoder, TransformerEncoderLayer)

__all__ += ["TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder",
            "Transformer"]

from ._embedding_lookup import EmbeddingLookup, MultiFieldEmbeddingLookup  # noqa: E402

__all__ += ["EmbeddingLookup", "MultiFieldEmbeddingLookup"]

from ._adaptive_pool1d import AdaptiveAvgPool1d, AdaptiveMaxPool1d  # noqa: E402

__all__ += ["AdaptiveMaxPool1d", "AdaptiveAvgPool1d"]

from ._ctc_loss import CTCLoss  # noqa: E402

__all__ += ["CTCLoss"]

from .optim._adagrad_rmsprop import Adadelta, Adagrad, RMSProp  # noqa: E402

__all__ += ["Adagrad", "RMSProp", "Adadelta"]

from .optim._lamb_lars import LARS, Lamb  # noqa: E402

__all__ += ["Lamb", "LARS"]

from .optim._ftrl_proximal import FTRL, ProximalAdagrad  # noqa: E402

__all__ += ["FTRL", "ProximalAdagrad"]

# h-msfid9's topic modules
from ._pixel_shuffle import PixelShuffle, PixelUnshuffle  # noqa: E402

__all__ += ["PixelShuffle", "PixelUnshuffle"]

from ._max_unpool import MaxUnpool1d, MaxUnpool2d, MaxUnpool3d  # noqa: E402

__all__ += ["MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]

from ._fractional_pool import FractionalMaxPool2d, FractionalMaxPool3d  # noqa: E402

__all__ += ["FractionalMaxPool2d", "FractionalMaxPool3d"]

from ._graph_cell import GraphCell  # noqa: E402

__all__ += ["GraphCell"]
