"""mindspore.Model(network, loss_fn=None, optimizer=None, metrics=None): train / eval / predict over a
simple dataset, on the SDK's training path (TrainOneStepCell: loss and gradients from the service in one
request, the optimizer's update in the client).

A dataset is an iterable of batches, each a tuple (data, label) of Tensors or arrays (a dict batch gives
its values in order); a MindSpore dataset object's `create_tuple_iterator()` is used when it has one.
Callbacks are objects with MindSpore's hooks (on_train_begin / on_train_epoch_begin / on_train_step_begin /
on_train_step_end / on_train_epoch_end / on_train_end, and on_eval_* likewise), each given a run context
whose original_args() has cur_epoch_num, cur_step_num, epoch_num, batch_num, net_outputs, train_network.
Not supported: dataset_sink_mode=True (refused), amp_level other than 'O0', boost_level, eval_indexes.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from . import nn
from ._cellbase import Cell
from ._tensor import Tensor
from .nn._metrics import Accuracy, Loss


class _RunContext:
    def __init__(self, params: SimpleNamespace):
        self._params = params
        self._stop = False

    def original_args(self) -> SimpleNamespace:
        return self._params

    def request_stop(self) -> None:
        self._stop = True

    def get_stop_requested(self) -> bool:
        return self._stop


class Callback:
    """Base of Model's callbacks: override the hooks wanted (each takes the run context)."""

    def on_train_begin(self, run_context): ...

    def on_train_epoch_begin(self, run_context): ...

    def on_train_step_begin(self, run_context): ...

    def on_train_step_end(self, run_context): ...

    def on_train_epoch_end(self, run_context): ...

    def on_train_end(self, run_context): ...


class LossMonitor(Callback):
    """Prints each per_print_times-th step's loss: 'epoch: 1 step: 2, loss is 0.5' (MindSpore's line)."""

    def __init__(self, per_print_times: int = 1):
        if isinstance(per_print_times, bool) or not isinstance(per_print_times, int) or per_print_times < 0:
            raise ValueError(f"LossMonitor: per_print_times must be an int >= 0, got {per_print_times!r}")
        self.per_print_times = per_print_times

    def on_train_step_end(self, run_context):
        a = run_context.original_args()
        if self.per_print_times and a.cur_step_num % self.per_print_times == 0:
            print(f"epoch: {a.cur_epoch_num} step: {a.cur_step_num}, loss is {float(a.net_outputs.asnumpy())}",
                  flush=True)


def _call(callbacks, hook: str, ctx: _RunContext) -> None:
    for cb in callbacks:
        fn = getattr(cb, hook, None)
        if fn is not None:
            fn(ctx)


def _batches(dataset):
    it = dataset.create_tuple_iterator() if hasattr(dataset, "create_tuple_iterator") else dataset
    for b in it:
        items = list(b.values()) if isinstance(b, dict) else list(b) if isinstance(b, (tuple, list)) else [b]
        yield tuple(x if isinstance(x, Tensor) else Tensor(np.asarray(x)) for x in items)


_METRICS = {"acc": Accuracy, "accuracy": Accuracy, "loss": Loss}


def _metric(name: str, m):
    if not isinstance(m, str):
        return m  # an object with clear / update / eval
    if m not in _METRICS:
        raise ValueError(f"Model: unknown metric {m!r}; known: {sorted(_METRICS)} (or pass an object with "
                         "clear / update / eval)")
    return _METRICS[m]()


class Model:
    def __init__(self, network, loss_fn=None, optimizer=None, metrics=None, eval_network=None, eval_indexes=None,
                 amp_level="O0", boost_level="O0", **kwargs):
        if not isinstance(network, Cell):
            raise TypeError(f"Model: network must be a Cell, got {type(network).__name__}")
        if amp_level not in ("O0", None):
            raise NotImplementedError(f"Model: amp_level {amp_level!r} is not supported (O0 only)")
        self._network, self._loss_fn, self._optimizer = network, loss_fn, optimizer
        names = metrics.items() if isinstance(metrics, dict) else [(m, m) for m in (metrics or ())]
        self._metrics = {str(k): _metric(k, m) for k, m in names}
        self._eval_network = eval_network
        self._train_step = None

    @property
    def train_network(self):
        if self._train_step is None:
            if self._optimizer is None:
                raise ValueError("Model.train: the Model has no optimizer")
            net = self._network if self._loss_fn is None else nn.WithLossCell(self._network, self._loss_fn)
            self._train_step = nn.TrainOneStepCell(net, self._optimizer)
        return self._train_step

    @property
    def predict_network(self):
        return self._network

    def train(self, epoch, train_dataset, callbacks=None, dataset_sink_mode=False, sink_size=-1, initial_epoch=0):
        """`epoch` passes over the dataset, one optimizer step per batch (epochs initial_epoch..epoch-1)."""
        if dataset_sink_mode:
            raise NotImplementedError("Model.train: dataset_sink_mode=True is not supported (the steps run here)")
        step_cell = self.train_network
        cbs = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks] if callbacks else []
        params = SimpleNamespace(epoch_num=epoch, cur_epoch_num=initial_epoch, cur_step_num=0, batch_num=None,
                                 net_outputs=None, train_network=step_cell, network=self._network,
                                 optimizer=self._optimizer, mode="train")
        ctx = _RunContext(params)
        self._network.set_train(True)
        try:
            _call(cbs, "on_train_begin", ctx)
            for ep in range(initial_epoch, epoch):
                params.cur_epoch_num = ep + 1
                _call(cbs, "on_train_epoch_begin", ctx)
                n = 0
                for batch in _batches(train_dataset):
                    _call(cbs, "on_train_step_begin", ctx)
                    params.net_outputs = step_cell(*batch)
                    n += 1
                    params.cur_step_num += 1
                    _call(cbs, "on_train_step_end", ctx)
                    if ctx.get_stop_requested():
                        break
                params.batch_num = n
                _call(cbs, "on_train_epoch_end", ctx)
                if ctx.get_stop_requested():
                    break
            _call(cbs, "on_train_end", ctx)
        finally:
            self._network.set_train(False)

    def eval(self, valid_dataset, callbacks=None, dataset_sink_mode=False):
        """{metric name: value} over the dataset: the network's outputs against the labels, and the loss
        (loss_fn of them) for the 'loss' metric."""
        if not self._metrics:
            raise ValueError("Model.eval: the Model has no metrics")
        if dataset_sink_mode:
            raise NotImplementedError("Model.eval: dataset_sink_mode=True is not supported")
        cbs = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks] if callbacks else []
        params = SimpleNamespace(cur_step_num=0, net_outputs=None, network=self._network, mode="eval")
        ctx = _RunContext(params)
        for m in self._metrics.values():
            m.clear()
        self._network.set_train(False)
        _call(cbs, "on_eval_begin", ctx)
        for batch in _batches(valid_dataset):
            *data, label = batch
            out = (self._eval_network or self._network)(*data)
            for name, m in self._metrics.items():
                if isinstance(m, Loss):
                    if self._loss_fn is None:
                        raise ValueError("Model.eval: the 'loss' metric needs the Model's loss_fn")
                    m.update(self._loss_fn(out, label))
                else:
                    m.update(out, label)
            params.cur_step_num += 1
            params.net_outputs = out
            _call(cbs, "on_eval_step_end", ctx)
        _call(cbs, "on_eval_end", ctx)
        return {name: m.eval() for name, m in self._metrics.items()}

    def predict(self, *predict_data, backend=None, config=None):
        """The network's output for predict_data, in inference mode."""
        self._network.set_train(False)
        return self._network(*predict_data)


__all__ = ["Model", "Callback", "LossMonitor"]
