"""mindspore.amp: automatic mixed precision and loss scaling.

auto_mixed_precision / custom_mixed_precision mark the network's Cells with a precision (`_amp_cast`): the
casts enter the traced graph, so the service computes in float16 (or bfloat16) and the gradients of the
float32 Parameters come back float32. The lists are MindSpore 2.x's documented white list (O1) and black list
(O2). The loss scalers, managers and TrainOneStepWithLossScaleCell are in nn/_loss_scale.py."""
from __future__ import annotations

import functools

from . import _amp_cast, nn
from . import dtype as _dt
from ._cellbase import Cell
from .nn._loss_scale import (DynamicLossScaler, DynamicLossScaleUpdateCell, FixedLossScaleUpdateCell,
                             StaticLossScaler, TrainOneStepWithLossScaleCell, _Scaler, all_finite)

LossScaler = _Scaler
LEVELS = ("O0", "O1", "O2", "O3", "auto")


def get_white_list() -> list:
    """The Cells O1 runs in low precision (MindSpore's documented white list, those the SDK has)."""
    names = ("Conv1d", "Conv2d", "Conv3d", "Conv1dTranspose", "Conv2dTranspose", "Conv3dTranspose", "Dense",
             "LSTMCell", "RNNCell", "GRUCell", "PReLU", "ReLU")
    return [getattr(nn, n) for n in names if hasattr(nn, n)]


def get_black_list() -> list:
    """The Cells O2 keeps in float32 (MindSpore's documented black list)."""
    return [nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm]


def _low(dtype) -> str:
    name = _dt.to_name(dtype)
    if name not in ("float16", "bfloat16"):
        raise ValueError(f"mixed precision: dtype must be float16 or bfloat16, got {name}")
    return name


def _network(network, where: str) -> Cell:
    if not isinstance(network, Cell):
        raise TypeError(f"{where}: network must be a Cell, got {type(network).__name__}")
    return network


def _mark_kinds(network, kinds: tuple, scope: tuple, out32: bool) -> None:
    for _, cell in network.cells_and_names():
        if cell is not network and isinstance(cell, kinds):
            _amp_cast.mark(cell, scope, out32)


def auto_mixed_precision(network, amp_level="O0", dtype=_dt.float16):
    """The network with its Cells and ops cast by amp_level: O0 none; O1 the white list's Cells and ops
    (MatMul, Conv, PReLU, ReLU) in dtype, results back to float32; O2 all but the black list's Cells
    (BatchNorm, LayerNorm: float32); O3 all; 'auto' the auto white list's ops in dtype and the auto black list's
    (exp, log, pow, softmax, norms, sums ...) in float32. The network's results are float32, except at 'auto'
    (as they come there, MindSpore 2.10's: a MatMul's result is float16). The network is changed in place and
    returned; at 'auto' a function is taken too (a new function is returned)."""
    if amp_level not in LEVELS:
        raise ValueError(f"auto_mixed_precision: amp_level must be one of {list(LEVELS)}, got {amp_level!r}")
    if amp_level == "auto" and callable(network) and not isinstance(network, Cell):
        return _auto_function(network, _low(dtype))
    _network(network, "auto_mixed_precision")
    low = _low(dtype)
    if amp_level == "O0":
        return network
    if amp_level == "O1":
        _mark_kinds(network, tuple(get_white_list()), (low, None, None), True)
        _amp_cast.mark(network, (low, _amp_cast.O1_OPS, None), True)
    elif amp_level == "auto":
        _amp_cast.mark(network, (low, _amp_cast.AUTO_WHITE, _amp_cast.AUTO_BLACK), False)  # (results as they come)
    else:
        if amp_level == "O2":
            _mark_kinds(network, tuple(get_black_list()), ("float32", None, None), False)
        _amp_cast.mark(network, (low, None, None), True)
    return network


def _auto_function(fn, low: str):
    """A function at level 'auto' (MindSpore 2.10 takes functions at this level only): its ops in the 'auto'
    scope; its results as they come (MindSpore casts no function's results to float32: checked)."""
    scope = (low, _amp_cast.AUTO_WHITE, _amp_cast.AUTO_BLACK)

    @functools.wraps(fn)
    def amp_function(*args, **kwargs):
        return _amp_cast.in_scope(scope, False, lambda: fn(*args, **kwargs), None)
    return amp_function


def custom_mixed_precision(network, *, white_list=None, black_list=None, dtype=_dt.float16):
    """white_list: these Cell classes run in dtype (results back to float32), the rest float32; black_list:
    the network in dtype but these Cell classes in float32. Exactly one of the two."""
    _network(network, "custom_mixed_precision")
    if (white_list is None) == (black_list is None):
        raise ValueError("custom_mixed_precision: give exactly one of white_list and black_list")
    kinds = tuple(white_list if white_list is not None else black_list or ())
    if not all(isinstance(k, type) and issubclass(k, Cell) for k in kinds):
        raise TypeError("custom_mixed_precision: the list must hold Cell classes")
    low = _low(dtype)
    if white_list is not None:
        _mark_kinds(network, kinds, (low, None, None), True)
        return network
    _mark_kinds(network, kinds, ("float32", None, None), False)
    _amp_cast.mark(network, (low, None, None), True)
    return network


class LossScaleManager:
    """The base of the loss scale managers (mindspore.amp.LossScaleManager)."""

    def get_loss_scale(self):
        raise NotImplementedError

    def update_loss_scale(self, overflow):
        raise NotImplementedError

    def get_update_cell(self):
        raise NotImplementedError


class FixedLossScaleManager(LossScaleManager):
    """A fixed scale. drop_overflow_update=True: a step with overflowing gradients is skipped (the update cell
    of TrainOneStepWithLossScaleCell); False: every step applies, the optimizer's loss_scale undoing the scale."""

    def __init__(self, loss_scale=128.0, drop_overflow_update=True):
        if isinstance(loss_scale, bool) or not isinstance(loss_scale, (int, float)) or loss_scale < 1:
            raise ValueError(f"FixedLossScaleManager: loss_scale must be a number >= 1, got {loss_scale!r}")
        self._loss_scale, self._drop = float(loss_scale), bool(drop_overflow_update)

    def get_loss_scale(self):
        return self._loss_scale

    def get_drop_overflow_update(self):
        return self._drop

    def update_loss_scale(self, overflow):
        """Nothing changes."""

    def get_update_cell(self):
        return FixedLossScaleUpdateCell(self._loss_scale) if self._drop else None


class DynamicLossScaleManager(LossScaleManager):
    """The scale drops by scale_factor on overflow (not below 1) and grows by it after scale_window steps
    without one (mindspore.amp.DynamicLossScaleManager, MindSpore's defaults)."""

    def __init__(self, init_loss_scale=2 ** 24, scale_factor=2, scale_window=2000):
        if isinstance(init_loss_scale, bool) or not isinstance(init_loss_scale, (int, float)) or init_loss_scale < 1:
            raise ValueError(f"DynamicLossScaleManager: init_loss_scale must be >= 1, got {init_loss_scale!r}")
        if isinstance(scale_factor, bool) or not isinstance(scale_factor, int) or scale_factor < 1:
            raise ValueError(f"DynamicLossScaleManager: scale_factor must be an int >= 1, got {scale_factor!r}")
        self._scaler = DynamicLossScaler(init_loss_scale, scale_factor, scale_window)
        self._init = float(init_loss_scale)

    def get_loss_scale(self):
        return float(self._scaler.scale_value._host_copy())

    def get_drop_overflow_update(self):
        return True

    def update_loss_scale(self, overflow):
        self._scaler.adjust(not overflow)

    def get_update_cell(self):
        return DynamicLossScaleUpdateCell(self._init, self._scaler.scale_factor, self._scaler.scale_window)


def _train_cell(network, optimizer, manager):
    if manager is None:
        return nn.TrainOneStepCell(network, optimizer)
    if not isinstance(manager, LossScaleManager):
        raise TypeError(f"loss_scale_manager must be a LossScaleManager, got {type(manager).__name__}")
    cell = manager.get_update_cell()
    if cell is None:  # (a fixed scale applied every step: MindSpore's sens, undone by the optimizer's loss_scale)
        return nn.TrainOneStepCell(network, optimizer, sens=manager.get_loss_scale())
    return TrainOneStepWithLossScaleCell(network, optimizer, scale_sense=cell)


def build_train_network(network, optimizer, loss_fn=None, level="O0", boost_level="O0", **kwargs):
    """The training step of network at `level` (auto_mixed_precision), with loss_fn (WithLossCell) and
    kwargs' loss_scale_manager (O2's default: DynamicLossScaleManager(), as MindSpore's)."""
    unknown = set(kwargs) - {"loss_scale_manager", "keep_batchnorm_fp32", "cast_model_type"}
    if unknown:
        raise ValueError(f"build_train_network: unknown argument(s) {sorted(unknown)}")
    if kwargs.get("keep_batchnorm_fp32") is not None or kwargs.get("cast_model_type") is not None:
        raise NotImplementedError("build_train_network: keep_batchnorm_fp32 / cast_model_type are not supported "
                                  "(the level's own settings apply)")
    manager = kwargs.get("loss_scale_manager", DynamicLossScaleManager() if level == "O2" else None)
    network = auto_mixed_precision(_network(network, "build_train_network"), level)
    if loss_fn is not None:
        network = nn.WithLossCell(network, loss_fn)
    return _train_cell(network, optimizer, manager)


__all__ = ["auto_mixed_precision", "custom_mixed_precision", "get_white_list", "get_black_list", "all_finite",
           "LossScaler", "StaticLossScaler", "DynamicLossScaler", "LossScaleManager", "FixedLossScaleManager",
           "DynamicLossScaleManager", "build_train_network"]
