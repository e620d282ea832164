"""Model's callbacks (`mindspore.train.callback`): the run context and its parameters, the callback base and
manager, LossMonitor, EarlyStopping and ReduceLROnPlateau, with MindSpore 2.x's rules (its docs and behaviour).

A callback's hooks take a RunContext whose original_args() is the run's parameters (a dict read as attributes:
cur_epoch_num, cur_step_num, epoch_num, batch_num, net_outputs, train_network, optimizer, and after an
evaluation in Model.fit, metrics and eval_results).
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ._tensor import Parameter, Tensor


class _InternalCallbackParam(dict):
    """The run's parameters: a dict whose keys read and write as attributes."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self[key] = value


class RunContext:
    def __init__(self, original_args):
        if not isinstance(original_args, dict):
            raise TypeError(f"For 'RunContext', the type of 'original_args' must be dict, but got "
                            f"{type(original_args).__name__}.")
        self._original_args = original_args
        self._stop_requested = False

    def original_args(self):
        return self._original_args

    def request_stop(self) -> None:
        self._stop_requested = True

    def get_stop_requested(self) -> bool:
        return self._stop_requested


_HOOKS = ("on_train_begin", "on_train_epoch_begin", "on_train_step_begin", "on_train_step_end",
          "on_train_epoch_end", "on_train_end", "on_eval_begin", "on_eval_epoch_begin", "on_eval_step_begin",
          "on_eval_step_end", "on_eval_epoch_end", "on_eval_end")


class Callback:
    """Base of Model's callbacks: override the hooks wanted. The on_train_* hooks call MindSpore 1.x's names
    (begin, epoch_begin, step_begin, step_end, epoch_end, end) by default, as MindSpore's base does."""

    def __enter__(self):
        return self

    def __exit__(self, *err):
        return None

    def begin(self, run_context): ...

    def epoch_begin(self, run_context): ...

    def step_begin(self, run_context): ...

    def step_end(self, run_context): ...

    def epoch_end(self, run_context): ...

    def end(self, run_context): ...

    def on_train_begin(self, run_context):
        self.begin(run_context)

    def on_train_epoch_begin(self, run_context):
        self.epoch_begin(run_context)

    def on_train_step_begin(self, run_context):
        self.step_begin(run_context)

    def on_train_step_end(self, run_context):
        self.step_end(run_context)

    def on_train_epoch_end(self, run_context):
        self.epoch_end(run_context)

    def on_train_end(self, run_context):
        self.end(run_context)

    def on_eval_begin(self, run_context): ...

    def on_eval_epoch_begin(self, run_context): ...

    def on_eval_step_begin(self, run_context): ...

    def on_eval_step_end(self, run_context): ...

    def on_eval_epoch_end(self, run_context): ...

    def on_eval_end(self, run_context): ...


def _callback_list(callbacks) -> list:
    """The callbacks as a list (objects with some of the hooks: a Callback, or any object having them)."""
    return list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks] if callbacks is not None else []


class _CallbackManager(Callback):
    """Calls each hook on every callback in turn (a context manager entering them all)."""

    def __init__(self, callbacks):
        self._callbacks = _callback_list(callbacks)

    def __enter__(self):
        for cb in self._callbacks:
            getattr(cb, "__enter__", lambda: None)()
        return self

    def __exit__(self, *err):
        for cb in reversed(self._callbacks):
            getattr(cb, "__exit__", lambda *e: None)(*err)
        return None


def _fan_out(hook: str):
    def call(self, run_context):
        for cb in self._callbacks:
            fn = getattr(cb, hook, None)
            if fn is not None:
                fn(run_context)
    call.__name__ = hook
    return call


for _h in _HOOKS:
    setattr(_CallbackManager, _h, _fan_out(_h))


def _loss_value(loss) -> Any:
    """The first output's mean as a float (MindSpore's _handle_loss)."""
    if isinstance(loss, (tuple, list)) and loss:
        loss = loss[0]
    if isinstance(loss, Tensor):
        loss = loss._host_copy()
    return float(np.mean(loss)) if isinstance(loss, np.ndarray) else loss


class LossMonitor(Callback):
    """Prints each per_print_times-th step's loss, 'epoch: 1 step: 2, loss is 0.5' (the step counted in its
    epoch), and after an evaluation in Model.fit 'Eval result: epoch 1, metrics: {...}' (MindSpore's lines)."""

    def __init__(self, per_print_times: int = 1):
        if isinstance(per_print_times, bool) or not isinstance(per_print_times, int) or per_print_times < 0:
            raise ValueError(f"LossMonitor: per_print_times must be an int >= 0, got {per_print_times!r}")
        self.per_print_times = per_print_times
        self._last_print = 0

    def on_train_step_end(self, run_context):
        a = run_context.original_args()
        loss = _loss_value(a.net_outputs)
        step = (a.cur_step_num - 1) % a.batch_num + 1 if a.get("batch_num") else a.cur_step_num
        if isinstance(loss, float) and not np.isfinite(loss):
            raise ValueError(f"In epoch: {a.cur_epoch_num} step: {step}, loss is NAN or INF, training process "
                             "cannot continue, terminating training.")
        if self.per_print_times and a.cur_step_num - self._last_print >= self.per_print_times:
            self._last_print = a.cur_step_num
            print(f"epoch: {a.cur_epoch_num} step: {step}, loss is {loss}", flush=True)

    def on_train_epoch_end(self, run_context):
        a = run_context.original_args()
        if a.get("metrics"):
            print("Eval result: epoch %d, metrics: %s" % (a.cur_epoch_num, a.metrics))  # (no flush: as MindSpore)


_SMALLER_BETTER = ("hausdorff_distance", "mae", "mse", "loss", "perplexity", "mean_surface_distance",
                   "root_mean_square_distance", "eval_loss")


class _Monitored(Callback):
    """The monitored value of EarlyStopping / ReduceLROnPlateau: 'loss' (the step's loss) or a key of the last
    evaluation's eval_results; better is smaller or larger by `mode` ('auto': by the name) beyond min_delta."""

    def __init__(self, monitor: str, mode: str, min_delta):
        if not isinstance(monitor, str):
            raise TypeError(f"The type of 'monitor' must be str, but got {type(monitor).__name__}.")
        if not isinstance(min_delta, (int, float)) or isinstance(min_delta, bool):
            raise TypeError(f"The type of 'min_delta' must be float or int, but got {type(min_delta).__name__}.")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode should be 'auto', 'min' or 'max', but got {mode}.")
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self._smaller = mode == "min" or (mode == "auto" and monitor in _SMALLER_BETTER)
        self.best = np.inf if self._smaller else -np.inf

    def _reset_best(self) -> None:
        self.best = np.inf if self._smaller else -np.inf

    def is_improvement(self, a, b) -> bool:
        return bool(a < b - self.min_delta) if self._smaller else bool(a > b + self.min_delta)

    def _value(self, params):
        if self.monitor == "loss":
            v = _loss_value(params.get("net_outputs"))
        else:
            v = (params.get("eval_results") or {}).get(self.monitor)
        if isinstance(v, np.ndarray) and v.shape != ():
            raise ValueError(f"{type(self).__name__} only supports scalar monitor now.")
        return None if v is None else np.array(v)


def _check_int(v, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ValueError(f"The '{name}' must be a non-negative int, but got {v!r}.")
    return v


class EarlyStopping(_Monitored):
    """Stops training once the monitored value has not improved (beyond min_delta, and beyond baseline when
    given) for `patience` epochs; restore_best_weights loads the best epoch's weights when it stops."""

    def __init__(self, monitor="eval_loss", min_delta=0, patience=0, verbose=False, mode="auto", baseline=None,
                 restore_best_weights=False):
        super().__init__(monitor, mode, min_delta)
        self.patience, self.verbose = _check_int(patience, "patience"), bool(verbose)
        self.baseline, self.restore_best_weights = baseline, bool(restore_best_weights)
        self.wait, self.stopped_epoch, self.best_weights_param_dict = 0, 0, None

    def on_train_begin(self, run_context):
        self.wait, self.stopped_epoch, self.best_weights_param_dict = 0, 0, None
        self._reset_best()

    def on_train_epoch_end(self, run_context):
        params = run_context.original_args()
        current = self._value(params)
        if current is None:
            return
        if self.restore_best_weights and self.best_weights_param_dict is None:
            self.best_weights_param_dict = copy.deepcopy(params.train_network.parameters_dict())
        self.wait += 1
        if self.is_improvement(current, self.best):
            self.best = current
            if self.restore_best_weights:
                self.best_weights_param_dict = copy.deepcopy(params.train_network.parameters_dict())
            if self.baseline is None or self.is_improvement(current, self.baseline):
                self.wait = 0
        if self.wait >= self.patience:
            self.stopped_epoch = params.get("cur_epoch_num")
            run_context.request_stop()
            if self.restore_best_weights and self.best_weights_param_dict is not None:
                from ._checkpoint import load_param_into_net
                if self.verbose:
                    print("Restoring model weights from the end of the best epoch.")
                load_param_into_net(params.train_network, self.best_weights_param_dict)

    def on_train_end(self, run_context):
        if self.stopped_epoch and self.verbose:
            print("Epoch %05d: early stopping" % self.stopped_epoch)


class ReduceLROnPlateau(_Monitored):
    """Multiplies the optimizer's learning rate (its Parameter) by `factor` (not below min_lr) once the
    monitored value has not improved for `patience` epochs, then waits `cooldown` epochs."""

    def __init__(self, monitor="eval_loss", factor=0.1, patience=10, verbose=False, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0):
        super().__init__(monitor, mode, min_delta)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0.0 < factor < 1.0:
            raise ValueError(f"The 'factor' must be in (0.0, 1.0), but got {factor!r}.")
        self.factor, self.verbose = float(factor), bool(verbose)
        self.patience, self.cooldown = _check_int(patience, "patience"), _check_int(cooldown, "cooldown")
        self.min_lr = min_lr
        self.cooldown_counter, self.wait = 0, 0

    def on_train_begin(self, run_context):
        self.cooldown_counter, self.wait = 0, 0
        self._reset_best()

    def on_train_epoch_end(self, run_context):
        params = run_context.original_args()
        lr = params.optimizer.learning_rate
        if not isinstance(lr, Parameter) or lr.shape != ():
            raise ValueError("ReduceLROnPlateau does not support dynamic learning rate and group learning rate now.")
        current = self._value(params)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.is_improvement(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                cur = float(lr._host_copy())
                if cur > self.min_lr:
                    new = max(cur * self.factor, self.min_lr)
                    lr.set_data(Tensor(np.array(new, np.float32)))
                    if self.verbose:
                        print("Epoch %05d: ReduceLROnPlateau reducing learning rate to %s."
                              % (params.cur_epoch_num, new))
                self.cooldown_counter, self.wait = self.cooldown, 0


__all__ = ["Callback", "RunContext", "LossMonitor", "EarlyStopping", "ReduceLROnPlateau"]
