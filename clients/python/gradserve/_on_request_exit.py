"""train.OnRequestExit: a callback that, when the process gets a signal (SIGTERM by default), stops Model.train /
Model.eval at the end of the current step and saves the network's checkpoint as
`directory/rank_0/{file_name}_{train|eval}.ckpt` (MindSpore 2.10's names). MindSpore also writes a MINDIR file
(save_mindir=True, its default); gradserve cannot (a MINDIR file is a compiled MindSpore graph), so that is refused
when the callback is made: pass save_mindir=False."""
from __future__ import annotations

import os
import signal

from ._callbacks import Callback
from ._checkpoint import save_checkpoint


class OnRequestExit(Callback):
    def __init__(self, save_ckpt=True, save_mindir=True, file_name="Net", directory="./", sig=signal.SIGTERM,
                 config_file=None):
        if save_mindir:
            raise NotImplementedError("OnRequestExit(save_mindir=True): gradserve cannot write MINDIR files (a "
                                      "compiled MindSpore graph); pass save_mindir=False (the checkpoint is saved)")
        if not isinstance(file_name, str) or not isinstance(directory, str):
            raise TypeError(f"OnRequestExit: file_name and directory must be str, got {file_name!r}, {directory!r}")
        self.save_ckpt, self.file_name, self.directory, self.sig = bool(save_ckpt), file_name, directory, sig
        self._requested, self._previous, self._runs = False, None, 0

    def _on_signal(self, signum, frame):  # noqa: ARG002 - signal's signature
        self._requested = True

    def _stop_if_asked(self, run_context, mode: str) -> None:
        if not self._requested:
            return
        run_context.request_stop()
        self._requested = False
        if self.save_ckpt:
            params = run_context.original_args()
            net = params.get("train_network") if mode == "train" else params.get("network")
            folder = os.path.join(self.directory, "rank_0")
            os.makedirs(folder, exist_ok=True)
            save_checkpoint(net if net is not None else params["network"],
                            os.path.join(folder, f"{self.file_name}_{mode}.ckpt"))

    def on_train_step_end(self, run_context):
        self._stop_if_asked(run_context, "train")

    def on_train_epoch_end(self, run_context):
        self._stop_if_asked(run_context, "train")

    def on_eval_step_end(self, run_context):
        self._stop_if_asked(run_context, "eval")

    def on_train_begin(self, run_context):  # noqa: ARG002
        # the handler for the run (ValueError outside the main thread: Python's rule for signal handlers); fit's
        # evaluations begin and end inside the training run: only the outermost run installs and restores it
        if self._runs == 0:
            self._previous = signal.signal(self.sig, self._on_signal)
        self._runs += 1

    def on_train_end(self, run_context):  # noqa: ARG002
        self._runs = max(self._runs - 1, 0)
        if self._runs == 0:
            self._restore()

    def _restore(self) -> None:
        if self._previous is not None:  # the process's handler back once the run is over
            signal.signal(self.sig, self._previous)
            self._previous = None

    on_eval_begin = on_train_begin
    on_eval_end = on_train_end

    def __exit__(self, *err):  # (a run that raised ends without on_train_end: the handler back all the same)
        self._runs = 0
        self._restore()
        return None
