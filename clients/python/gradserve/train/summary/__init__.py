"""`mindspore.train.summary` (SummaryRecord, the summary ops' event files for MindInsight): not implemented.

MindSpore's summaries record Tensor values from inside the compiled program (ops.ScalarSummary / TensorSummary
...) into protobuf event files of its own schema. Here the program runs on a service and returns only its
outputs, so nothing could be written from inside it: each name of this package (and its summary_record module,
and the SummaryCollector callback) raises NotImplementedError naming itself when made or called, so a file
that imports them still runs what does not use them. Record values by returning them from the call."""
from __future__ import annotations

from typing import Any, Callable, NoReturn

from ...ops.operations._missing import Unimplemented, module_getattr


class NoSummaries(Unimplemented):
    def _refuse(self) -> NoReturn:
        raise NotImplementedError(f"{self._qualname} is not implemented by gradserve: summaries are written from "
                                  "inside MindSpore's compiled program, and a gradserve program returns only its "
                                  "outputs (return the values to record them)")


def refusing(where: str) -> Callable[[str], Any]:
    return module_getattr(where, placeholder=NoSummaries)


SummaryRecord = NoSummaries("mindspore.train.summary", "SummaryRecord")
__getattr__ = refusing("mindspore.train.summary")
