"""mindspore.Model(network, loss_fn=None, optimizer=None, metrics=None): train / eval / predict over a
simple dataset, on the SDK's training path (TrainOneStepCell: loss and gradients from the service in one
request, the optimizer's update in the client).

A dataset is an iterable of batches, each a tuple (data, label) of Tensors or arrays (a dict batch gives
its values in order); a MindSpore dataset object's `create_tuple_iterator()` is used when it has one.
Callbacks are objects with MindSpore's hooks (on_train_begin / on_train_epoch_begin / on_train_step_begin /
on_train_step_end / on_train_epoch_end / on_train_end, and on_eval_* likewise), each given a run context
whose original_args() has cur_epoch_num, cur_step_num, epoch_num, batch_num, net_outputs, train_network.
amp_level and kwargs' loss_scale_manager build the training step as `amp.build_train_network` does (the
network cast in place); without an optimizer train runs the network (with a loss_fn: WithLossCell) forward and
updates nothing, as MindSpore 2.10. Not supported: boost_level, eval_indexes; dataset_sink_mode in eval.
"""
from __future__ import annotations

import numpy as np

from . import amp
from ._callbacks import Callback, LossMonitor, RunContext, _CallbackManager, _InternalCallbackParam
from ._cellbase import Cell
from ._tensor import Tensor
from .dataset import Dataset, config as _ds_config
from .nn._metrics import Loss
from ._training import WithLossCell


def _should_eval(epoch: int, frequency) -> bool:
    return epoch % frequency == 0 if isinstance(frequency, int) else epoch in frequency


def _batch_count(dataset) -> int | None:
    if hasattr(dataset, "get_dataset_size"):
        return dataset.get_dataset_size()
    return len(dataset) if hasattr(dataset, "__len__") else None


def _passes(dataset, epochs: int):
    """What each epoch of a run reads: one iterator of the SDK's dataset for the whole run (its passes are its
    epochs: a seeded shuffle's orders and set_init_step's start, as MindSpore's), else the dataset itself."""
    return dataset.create_tuple_iterator(num_epochs=epochs) if isinstance(dataset, Dataset) else dataset


def _batches(dataset):
    it = dataset.create_tuple_iterator() if hasattr(dataset, "create_tuple_iterator") else dataset
    for b in it:
        items = list(b.values()) if isinstance(b, dict) else list(b) if isinstance(b, (tuple, list)) else [b]
        yield tuple(x if isinstance(x, Tensor) else Tensor(np.asarray(x)) for x in items)


def _metric(name: str, m):
    if not isinstance(m, str):
        return m  # an object with clear / update / eval
    from .train._metric_names import get_metric_fn, names  # train's package imports this module: at call time
    if m not in names():
        raise ValueError(f"Model: unknown metric {m!r}; known: {names()} (or pass an object with "
                         "clear / update / eval)")
    return get_metric_fn(m)


class Model:
    def __init__(self, network, loss_fn=None, optimizer=None, metrics=None, eval_network=None, eval_indexes=None,
                 amp_level="O0", boost_level="O0", **kwargs):
        if not isinstance(network, Cell):
            raise TypeError(f"Model: network must be a Cell, got {type(network).__name__}")
        unknown = set(kwargs) - {"loss_scale_manager"}
        if unknown:
            raise ValueError(f"Model: unknown argument(s) {sorted(unknown)}")
        self._amp = {"level": amp_level or "O0", **kwargs}
        if self._amp["level"] not in amp.LEVELS:
            raise ValueError(f"Model: amp_level must be one of {list(amp.LEVELS)}, got {amp_level!r}")
        self._network, self._loss_fn, self._optimizer = network, loss_fn, optimizer
        names = metrics.items() if isinstance(metrics, dict) else [(m, m) for m in (metrics or ())]
        self._metrics = {str(k): _metric(k, m) for k, m in names}
        self._eval_network = eval_network
        self._train_step = None

    @property
    def train_network(self):
        if self._train_step is None:
            if self._optimizer is None:  # MindSpore 2.10: the network (with loss_fn: WithLossCell) forward, no update
                self._train_step = self._network if self._loss_fn is None else WithLossCell(self._network,
                                                                                            self._loss_fn)
            else:
                self._train_step = amp.build_train_network(self._network, self._optimizer, self._loss_fn,
                                                           **self._amp)
        return self._train_step

    @property
    def predict_network(self):
        return self._network

    def train(self, epoch, train_dataset, callbacks=None, dataset_sink_mode=False, sink_size=-1, initial_epoch=0):
        """`epoch` passes over the dataset, one optimizer step per batch (epochs initial_epoch..epoch-1).
        dataset_sink_mode=True runs as MindSpore 2.10 runs it on CPU (no device queue): the same passes and
        step hooks, with the run's batch_num = sink_size where one is given."""
        self._run(epoch, train_dataset, callbacks, (dataset_sink_mode, sink_size), initial_epoch, None)

    def fit(self, epoch, train_dataset, valid_dataset=None, valid_frequency=1, callbacks=None,
            dataset_sink_mode=False, valid_dataset_sink_mode=False, sink_size=-1, initial_epoch=0):
        """train, with an evaluation on valid_dataset at the end of every valid_frequency-th epoch (an int) or
        of the epochs listed; its metrics reach the callbacks' on_train_epoch_end as `metrics` and
        `eval_results` (with `eval_loss`)."""
        if isinstance(valid_frequency, bool) or not isinstance(valid_frequency, (int, list)):
            raise TypeError(f"For 'Model.fit', the type of 'valid_frequency' must be a list or an integer, but got "
                            f"type {type(valid_frequency)}.")
        if valid_dataset is not None and not self._metrics:
            raise ValueError("For 'Model.fit', if valid_dataset is not None, the model argument 'metrics' can not be "
                             "None or empty, you should set the argument 'metrics' for model.")
        self._run(epoch, train_dataset, callbacks, (dataset_sink_mode, sink_size), initial_epoch,
                  (valid_dataset, valid_frequency))

    def _run(self, epoch, dataset, callbacks, sink, initial_epoch, valid):
        sink_mode, sink_size = sink
        if sink_mode and _ds_config.get_debug_mode():  # (MindSpore 2.10's check and text)
            raise ValueError("Dataset sink mode is not supported when dataset pipeline debug mode is on. Please "
                             "manually turn off sink mode.")
        step_cell = self.train_network
        params = _InternalCallbackParam(epoch_num=epoch, cur_epoch_num=initial_epoch, cur_step_num=0,
                                        batch_num=sink_size if sink_mode and sink_size > 0 else _batch_count(dataset),
                                        net_outputs=None, train_network=step_cell, network=self._network,
                                        optimizer=self._optimizer, mode="train", dataset_sink_mode=bool(sink_mode),
                                        train_dataset=dataset)
        ctx, cbs = RunContext(params), _CallbackManager(callbacks)
        source = _passes(dataset, epoch - initial_epoch)
        self._network.set_train(True)
        try:
            with cbs:
                cbs.on_train_begin(ctx)
                for ep in range(initial_epoch, epoch):
                    params.cur_epoch_num = ep + 1
                    params.pop("metrics", None)
                    params.pop("eval_results", None)
                    cbs.on_train_epoch_begin(ctx)
                    self._epoch(step_cell, source, params, ctx, cbs)
                    if valid is not None and valid[0] is not None and _should_eval(ep + 1, valid[1]):
                        self._eval_in_fit(valid[0], params, cbs)
                    cbs.on_train_epoch_end(ctx)
                    if ctx.get_stop_requested():
                        break
                cbs.on_train_end(ctx)
        finally:
            self._network.set_train(False)

    @staticmethod
    def _epoch(step_cell, dataset, params, ctx, cbs):
        n = 0
        for batch in _batches(dataset):
            cbs.on_train_step_begin(ctx)
            params.net_outputs = step_cell(*batch)
            n += 1
            params.cur_step_num += 1
            cbs.on_train_step_end(ctx)
            if ctx.get_stop_requested():
                break
        params.batch_num = params.batch_num or n

    def _eval_in_fit(self, valid_dataset, params, cbs):
        """An evaluation inside fit: the eval hooks of the user's callbacks, then the results in params."""
        saved = {k: params.get(k) for k in ("cur_step_num", "net_outputs")}
        metrics, eval_loss = self._evaluate(valid_dataset, cbs)
        params.update(saved)
        params.metrics = metrics
        if eval_loss is not None:
            params.eval_results = dict(metrics, eval_loss=eval_loss)

    def eval(self, valid_dataset, callbacks=None, dataset_sink_mode=False):
        """{metric name: value} over the dataset: the network's outputs against the labels, and the loss
        (loss_fn of them) for the 'loss' metric."""
        if not self._metrics:
            raise ValueError("Model.eval: the Model has no metrics")
        if dataset_sink_mode:
            raise NotImplementedError("Model.eval: dataset_sink_mode=True is not supported")
        cbs = _CallbackManager(callbacks)
        with cbs:
            return self._evaluate(valid_dataset, cbs)[0]

    def _evaluate(self, dataset, cbs):
        """(the metrics, the mean loss per batch or None without a loss_fn) over the dataset."""
        params = _InternalCallbackParam(cur_step_num=0, net_outputs=None, network=self._network, mode="eval",
                                        batch_num=_batch_count(dataset))
        ctx = RunContext(params)
        for m in self._metrics.values():
            m.clear()
        eval_loss = Loss() if self._loss_fn is not None else None
        self._network.set_train(False)
        cbs.on_eval_begin(ctx)
        cbs.on_eval_epoch_begin(ctx)
        for batch in _batches(dataset):
            *data, label = batch
            params.cur_step_num += 1
            cbs.on_eval_step_begin(ctx)
            out = (self._eval_network or self._network)(*data)
            params.net_outputs = out
            loss = self._loss_fn(out, label) if self._loss_fn is not None else None
            for m in self._metrics.values():
                if isinstance(m, Loss):
                    if loss is None:
                        raise ValueError("Model.eval: the 'loss' metric needs the Model's loss_fn")
                    m.update(loss)
                else:
                    m.update(out, label)
            if eval_loss is not None:
                eval_loss.update(loss)
            cbs.on_eval_step_end(ctx)
            if ctx.get_stop_requested():
                break
        cbs.on_eval_epoch_end(ctx)
        metrics = {name: m.eval() for name, m in self._metrics.items()}
        params.metrics = metrics
        cbs.on_eval_end(ctx)
        return metrics, (eval_loss.eval() if eval_loss is not None else None)

    def predict(self, *predict_data, backend=None, config=None):
        """The network's output for predict_data, in inference mode (backend 'lite' runs the same network here)."""
        if backend is not None and backend != "lite":  # MindSpore 2.10's check and text
            raise ValueError(f"For Model.predict, `backend` should be 'lite' or None, but got {backend}")
        self._network.set_train(False)
        return self._network(*predict_data)


__all__ = ["Model", "Callback", "LossMonitor", "RunContext"]
